"""The launcher against the real dlv and real Go programs: every start failure, the pty, teardown."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from gofixtures import go_env
from support import async_wait_until

from godbg_tui.adapters.dlv import launcher
from godbg_tui.adapters.dlv.launcher import (
    DLV_INSTALL,
    DlvServer,
    LaunchError,
    LaunchSpec,
    discard_prestarted,
    dlv_version,
    find_dlv,
    prestart_dlv,
    start_dlv,
    validate_spec,
)

pytestmark = pytest.mark.timeout(60)

NOBODY = 65534
needs_root = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("setpriv"), reason="switches to user nobody with setpriv"
)


@pytest.fixture(scope="session")
def variants(fixture_src, tmp_path_factory) -> dict[str, Path]:
    """attachee built the ways dlv refuses: stripped, and with a Go version dlv 1.27.1 rejects."""
    root = tmp_path_factory.mktemp("variants")

    def build(name: str, *flags: str) -> Path:
        out = root / name
        subprocess.run(["go", "build", *flags, "-o", str(out), "."], cwd=fixture_src["attachee"], env=go_env(), check=True)
        return out

    built = {"stripped": build("stripped", "-ldflags=-s -w")}
    # dlv reads the Go version from DW_AT_producer: patch it, same length, in an uncompressed-DWARF build.
    plain = build("plain", "-gcflags=all=-N -l", "-ldflags=-compressdwarf=false").read_bytes()
    version = subprocess.run(["go", "env", "GOVERSION"], env=go_env(), capture_output=True, check=True).stdout.strip()
    producer = b"Go cmd/compile " + version
    assert producer in plain
    for name, fake in (("go_old", b"go1.19."), ("go_new", b"go1.99.")):
        path = root / name
        path.write_bytes(plain.replace(producer, b"Go cmd/compile " + (fake + b"8" * 8)[: len(version)]))
        path.chmod(0o755)
        built[name] = path
    return built


@pytest.fixture
def spec(dlv_path):
    def make(mode: str, **kw) -> LaunchSpec:
        return LaunchSpec(mode, dlv_path=str(dlv_path), **kw)  # type: ignore[arg-type]

    return make


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[0] != b"Z"
    except OSError:
        return False


async def _launch_error(spec: LaunchSpec, **kw) -> LaunchError:
    with pytest.raises(LaunchError) as info:
        server = await start_dlv(spec, **kw)
        await server.terminate()
    return info.value


class Rpc:
    """Just enough JSON-RPC to drive dlv without the real client."""

    def __init__(self, stream):
        self.stream = stream
        self.buffer = b""
        self.ids = 0

    async def send(self, method: str, params: dict | None = None) -> None:
        self.ids += 1
        request = {"method": f"RPCServer.{method}", "params": [params or {}], "id": self.ids}
        await self.stream.send(json.dumps(request).encode() + b"\n")

    async def receive(self) -> dict:
        with anyio.fail_after(10):
            while b"\n" not in self.buffer:
                self.buffer += await self.stream.receive()
        line, _, self.buffer = self.buffer.partition(b"\n")
        reply = json.loads(line)
        assert reply["error"] is None, reply
        return reply["result"]

    async def call(self, method: str, params: dict | None = None) -> dict:
        await self.send(method, params)
        return await self.receive()


async def _read_until(output, needle: bytes, seen: bytearray) -> None:
    with anyio.fail_after(10):
        while needle not in seen:
            _, chunk = await anext(output)
            seen += chunk


async def _running(spec, go_bin) -> tuple[DlvServer, Rpc, int]:
    """dlv running attachee (forever), its control connection and the target's pid."""
    server = await start_dlv(spec("exec", program=str(go_bin["attachee"])))
    rpc = Rpc(await server.connect())
    target = (await rpc.call("ProcessPid"))["Pid"]
    server.set_target_pid(target)
    await rpc.send("Command", {"name": "continue"})
    return server, rpc, target


# ---------------------------------------------------------------------------------------------
# dlv itself


def test_find_dlv_explicit_path_missing():
    with pytest.raises(LaunchError) as info:
        find_dlv("/nonexistent/dlv")
    assert "/nonexistent/dlv" in info.value.message
    assert DLV_INSTALL in str(info.value)


def test_find_dlv_not_installed(monkeypatch, tmp_path):
    for var in ("GODBG_DLV", "GOBIN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("GOPATH", str(tmp_path))
    with pytest.raises(LaunchError) as info:
        find_dlv()
    assert "not installed" in info.value.message
    assert "go install github.com/go-delve/delve/cmd/dlv@v1.27.1" in (info.value.hint or "")


async def test_start_with_missing_dlv_path(go_bin):
    error = await _launch_error(LaunchSpec("exec", program=str(go_bin["prog"]), dlv_path="/nonexistent/dlv"))
    assert DLV_INSTALL in (error.hint or "")


async def test_dlv_version(dlv_path):
    assert await dlv_version(str(dlv_path)) >= (1, 20, 2)


async def test_dlv_version_from_build_info_agrees_with_dlv_version(dlv_path, tmp_path, monkeypatch):
    """A `go install`ed dlv names its release in its build info: no `dlv version` to run.
    Without a release there (a checkout build: a pseudo-version, "(devel)"), dlv is asked."""
    asked = []
    real_run = anyio.run_process

    async def run_process(argv, **kw):
        asked.append(argv)
        return await real_run(argv, **kw)

    monkeypatch.setattr(anyio, "run_process", run_process)
    from_build_info = await dlv_version(str(dlv_path))
    assert asked == [], "the version came from the binary's build info"
    monkeypatch.setattr(launcher, "_RELEASE", re.compile(r"(?!)"))  # as if no release were recorded
    assert await dlv_version(str(dlv_path)) == from_build_info
    assert asked == [[str(dlv_path), "version"]]


# ---------------------------------------------------------------------------------------------
# Specs rejected before anything runs


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (LaunchSpec("attach", pid="abc"), "pid must be a positive number, got 'abc'"),  # type: ignore[arg-type]
        (LaunchSpec("attach", pid=-3), "pid must be a positive number"),
        (LaunchSpec("attach", pid=True), "pid must be a positive number"),
        (LaunchSpec("attach"), "attach mode needs a pid"),
        (LaunchSpec("exec"), "exec mode needs a program"),
        (LaunchSpec("core", program="x"), "core mode needs a core"),
        (LaunchSpec("exec", program="x", test_run="^T"), "test regex only makes sense in test mode"),
        (LaunchSpec("attach", pid=1, args=("a",)), "program arguments only make sense"),
        (LaunchSpec("connect", address="nonsense"), "is not an address"),
        (LaunchSpec("connect", address="localhost:0"), "needs a port"),
        (LaunchSpec("exec", program="x", listen="0.0.0.0:4040"), "refusing to listen on non-loopback"),
        (LaunchSpec("bogus"), "unknown mode"),  # type: ignore[arg-type]
    ],
)
def test_validate_spec_rejects(bad, expected):
    with pytest.raises(LaunchError) as info:
        validate_spec(bad)
    assert expected in info.value.message


def test_validate_spec_accepts():
    validate_spec(LaunchSpec("exec", program="x", listen="0.0.0.0:4040", allow_non_loopback=True))
    validate_spec(LaunchSpec("exec", program="x", listen="[::1]:4040"))
    validate_spec(LaunchSpec("test", test_run="^TestX$", args=("-test.v",)))
    validate_spec(LaunchSpec("connect", address="unix:/tmp/x.sock"))


# ---------------------------------------------------------------------------------------------
# Programs dlv cannot debug


async def test_exec_missing_program(spec, tmp_path):
    error = await _launch_error(spec("exec", program=str(tmp_path / "nope")))
    assert error.message == f"program {tmp_path / 'nope'} does not exist"


async def test_exec_directory(spec, tmp_path):
    error = await _launch_error(spec("exec", program=str(tmp_path)))
    assert "is a directory" in error.message and "debug mode" in (error.hint or "")


async def test_exec_not_executable(spec, go_bin, tmp_path):
    copy = tmp_path / "prog"
    shutil.copy(go_bin["prog"], copy)
    copy.chmod(0o644)
    error = await _launch_error(spec("exec", program=str(copy)))
    assert "is not executable" in error.message


async def test_exec_text_file(spec, tmp_path):
    script = tmp_path / "main.go"
    script.write_text("package main\n")
    script.chmod(0o755)
    error = await _launch_error(spec("exec", program=str(script)))
    assert "is not an ELF executable" in error.message


async def test_exec_non_go_binary(spec):
    error = await _launch_error(spec("exec", program=shutil.which("true") or "/bin/true"))
    assert "is not a Go program" in error.message


async def test_exec_stripped_binary(spec, variants):
    error = await _launch_error(spec("exec", program=str(variants["stripped"])))
    assert "has no debug information" in error.message
    assert "-ldflags='-s -w'" in (error.hint or "") and "-gcflags=all=-N -l" in (error.hint or "")


async def test_debug_build_failure(spec, fixture_src):
    error = await _launch_error(spec("debug", program=str(fixture_src["badbuild"])))
    assert error.message.startswith("build failed: ")
    assert "declared and not used: unused" in error.output
    assert not list(fixture_src["badbuild"].glob("__debug_bin*"))


async def test_go_too_old_for_dlv(spec, variants):
    error = await _launch_error(spec("exec", program=str(variants["go_old"])))
    assert "go1.19.8" in error.message and "cannot debug" in error.message
    assert "go install github.com/go-delve/delve/cmd/dlv@v1.22.1" in (error.hint or "")


async def test_dlv_too_old_for_go(spec, variants):
    error = await _launch_error(spec("exec", program=str(variants["go_new"])))
    assert "too old for" in error.message and "go1.99.8" in error.message
    assert "dlv@latest" in (error.hint or "")


async def test_core_file_not_a_core(spec, go_bin):
    error = await _launch_error(spec("core", program=str(go_bin["prog"]), core=str(go_bin["prog"])))
    assert "is not an ELF core dump" in error.message


# ---------------------------------------------------------------------------------------------
# attach


async def test_attach_nonexistent_pid(spec):
    gone = subprocess.Popen(["true"])
    gone.wait()
    error = await _launch_error(spec("attach", pid=gone.pid))
    assert error.message == f"no process with pid {gone.pid}"


async def test_attach_already_traced(spec, go_bin):
    server, _, target = await _running(spec, go_bin)
    try:
        error = await _launch_error(spec("attach", pid=target))
        assert f"pid {target} (attachee) is already being debugged by pid" in error.message
        assert "(dlv)" in error.message
    finally:
        await server.terminate()


async def test_attach_detaches_on_terminate(spec, go_bin):
    target = subprocess.Popen([go_bin["attachee"]], stdout=subprocess.DEVNULL)
    try:
        server = await start_dlv(spec("attach", pid=target.pid))
        assert server.has_stdin is False
        server.set_target_pid(target.pid)  # ignored: an attached process is not ours to kill
        await server.terminate()
        assert not _alive(server.pid or 0)
        assert target.poll() is None
        assert "TracerPid:\t0" in Path(f"/proc/{target.pid}/status").read_text()
    finally:
        target.kill()
        target.wait()


def _as_nobody(*argv: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv], **kw)


ATTACH_AS_CHILD = """\
import anyio, json, sys
from godbg_tui.adapters.dlv.launcher import LaunchError, LaunchSpec, start_dlv

async def main():
    try:
        server = await start_dlv(LaunchSpec("attach", pid=int(sys.argv[1]), dlv_path=sys.argv[2]))
    except LaunchError as e:
        print(json.dumps({"message": e.message, "hint": e.hint}))
    else:
        await server.terminate()
        print(json.dumps({"message": "attached"}))

anyio.run(main)
"""


def _attach_as_nobody(pid: int, dlv_path: Path) -> dict:
    child = _as_nobody(sys.executable, "-c", ATTACH_AS_CHILD, str(pid), str(dlv_path), stdout=subprocess.PIPE)
    out, _ = child.communicate(timeout=30)
    return json.loads(out)


@needs_root
def test_attach_other_users_process(go_bin, dlv_path):
    target = subprocess.Popen([go_bin["attachee"]], stdout=subprocess.DEVNULL)
    try:
        error = _attach_as_nobody(target.pid, dlv_path)
        assert error["message"] == f"pid {target.pid} (attachee) belongs to root, not to you (nobody)"
    finally:
        target.kill()
        target.wait()


@needs_root
def test_attach_ptrace_denied(dlv_path):
    undumpable = "import ctypes, sys; ctypes.CDLL(None).prctl(4, 0, 0, 0, 0); print('ready', flush=True); sys.stdin.read()"
    target = _as_nobody(sys.executable, "-c", undumpable, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert target.stdout and target.stdout.readline() == b"ready\n"
        error = _attach_as_nobody(target.pid, dlv_path)
        assert error["message"] == f"could not attach to pid {target.pid}: the kernel refused ptrace"
        assert "not dumpable" in error["hint"] and "CAP_SYS_PTRACE" in error["hint"]
    finally:
        target.kill()
        target.wait()


# ---------------------------------------------------------------------------------------------
# connect


async def test_connect_missing_socket(tmp_path):
    error = await _launch_error(LaunchSpec("connect", address=f"unix:{tmp_path}/dlv.sock"))
    assert "no Delve socket at" in error.message


async def test_connect_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = await start_dlv(LaunchSpec("connect", address=f"127.0.0.1:{port}"))
    assert server.owned is False and server.pid is None
    with pytest.raises(LaunchError) as info:
        await server.connect()
    assert "connection refused" in info.value.message
    await server.terminate()
    assert await server.wait_exited() == 0


async def test_connect_warns_about_remote_address():
    server = await start_dlv(LaunchSpec("connect", address="192.0.2.7:4040"))
    assert any("not authenticated" in w and "SSH tunnel" in w for w in server.warnings)


async def test_connect_to_running_server(spec, go_bin):
    owner = await start_dlv(spec("exec", program=str(go_bin["attachee"])))
    try:
        server = await start_dlv(LaunchSpec("connect", address=owner.address))
        rpc = Rpc(await server.connect())
        assert (await rpc.call("GetVersion"))["APIVersion"] == 2
        await rpc.stream.aclose()
    finally:
        await owner.terminate()


# ---------------------------------------------------------------------------------------------
# Running programs


async def test_exec_pty_roundtrip(spec, go_bin):
    server = await start_dlv(spec("exec", program=str(go_bin["prog"]), args=("-stderr", "-echo")))
    private = Path(server.address.removeprefix("unix:")).parent
    try:
        assert server.address.startswith("unix:") and server.owned and server.has_stdin
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
        rpc = Rpc(await server.connect())
        await rpc.send("Command", {"name": "continue"})
        output = server.program_output()
        seen = bytearray()
        await _read_until(output, b"prog stderr line\n", seen)
        await server.write_stdin(b"hello\n")
        await _read_until(output, b"echo: hello\n", seen)
        await server.write_stdin(b"\x04")  # ^D: end of file on a canonical-mode pty
        await _read_until(output, b"prog exiting\n", seen)
        assert b"\r" not in seen and seen.count(b"hello") == 1  # no CR insertion, no echo
        state = (await rpc.receive())["State"]
        assert state["exited"] and state["exitStatus"] == 0
    finally:
        await server.terminate()
    assert not private.exists()
    assert not _alive(server.pid or 0)


async def test_terminate_leaves_no_process(spec, go_bin):
    server, _, target = await _running(spec, go_bin)
    private = Path(server.address.removeprefix("unix:")).parent
    await server.terminate(grace=20)  # dlv's own shutdown can take seconds on a loaded machine
    await server.terminate()  # idempotent
    assert not _alive(server.pid or 0) and not _alive(target)
    assert not private.exists()
    # 0 from dlv's SIGTERM handler; -15 if the signal beat its signal.Notify (set up only after launch)
    assert await server.wait_exited() in (0, -signal.SIGTERM)


@pytest.mark.parametrize("how", ["terminate", "kill_now"])
async def test_orphaned_target_is_reaped(spec, go_bin, how):
    server, _, target = await _running(spec, go_bin)
    os.kill(server.pid or 0, signal.SIGKILL)
    with anyio.fail_after(10):
        assert await server.wait_exited() == -signal.SIGKILL
    assert _alive(target)  # Delve's pitfall: a SIGKILLed dlv leaves its target running
    if how == "terminate":
        await server.terminate()
    else:
        server.kill_now()
    await async_wait_until(lambda: not _alive(target), message="the orphaned target to be killed")


DIE_AS_CHILD = """\
import anyio, json, sys
from godbg_tui.adapters.dlv.launcher import LaunchSpec, start_dlv

async def main():
    server = await start_dlv(LaunchSpec("exec", program=sys.argv[1], dlv_path=sys.argv[2]))
    stream = await server.connect()
    await stream.send(b'{"method":"RPCServer.ProcessPid","params":[{}],"id":1}\\n')
    reply = b""
    while b"\\n" not in reply:
        reply += await stream.receive()
    await stream.send(b'{"method":"RPCServer.Command","params":[{"name":"continue"}],"id":2}\\n')
    target = json.loads(reply)["result"]["Pid"]
    print(json.dumps({"dlv": server.pid, "target": target, "address": server.address}), flush=True)
    await anyio.sleep_forever()

anyio.run(main)
"""


async def test_dlv_dies_with_us(go_bin, dlv_path):
    child = subprocess.Popen(
        [sys.executable, "-c", DIE_AS_CHILD, str(go_bin["attachee"]), str(dlv_path)], stdout=subprocess.PIPE
    )
    assert child.stdout
    try:
        with anyio.fail_after(20):
            pids = json.loads(await anyio.to_thread.run_sync(child.stdout.readline))
        assert _alive(pids["dlv"]) and _alive(pids["target"])
    finally:
        child.kill()
        child.wait()
    await async_wait_until(
        lambda: not _alive(pids["dlv"]) and not _alive(pids["target"]), message="dlv (PDEATHSIG) and its target to die"
    )
    shutil.rmtree(Path(pids["address"].removeprefix("unix:")).parent, ignore_errors=True)  # nobody left to do it


async def test_debug_mode_builds_outside_the_package(spec, fixture_src, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    server = await start_dlv(spec("debug", program=str(fixture_src["prog"])))
    try:
        assert not list(fixture_src["prog"].glob("__debug_bin*")) and not list(tmp_path.iterdir())
        rpc = Rpc(await server.connect())
        await rpc.send("Command", {"name": "continue"})
        await _read_until(server.program_output(), b"prog exiting\n", bytearray())
    finally:
        await server.terminate()


async def test_test_mode_output_over_tcp(spec, fixture_src):
    server = await start_dlv(
        spec("test", program=str(fixture_src["testpkg"]), test_run="^TestAdd$", args=("-test.v",), listen="127.0.0.1:0")
    )
    try:
        assert server.address.startswith("127.0.0.1:") and not server.address.endswith(":0")
        assert not server.has_stdin
        assert not list(fixture_src["testpkg"].glob("debug.test*"))
        rpc = Rpc(await server.connect())
        await rpc.send("Command", {"name": "continue"})
        seen = bytearray()
        await _read_until(server.program_output(), b"PASS\n", seen)
        assert b"--- PASS: TestAdd" in seen and b"TestSub" not in seen
        assert b"API server listening" not in seen
        assert "API server listening at: 127.0.0.1:" in server.dlv_log()
        with pytest.raises(RuntimeError):
            await server.write_stdin(b"x")
    finally:
        await server.terminate()


async def test_test_mode_stderr_is_program_output(spec, fixture_src):
    server = await start_dlv(spec("test", program=str(fixture_src["testpkg"]), args=("-test.bogus",)))
    try:
        rpc = Rpc(await server.connect())
        await rpc.send("Command", {"name": "continue"})
        with anyio.fail_after(10):
            async for stream, chunk in server.program_output():
                if stream == "stderr" and b"flag provided but not defined: -test.bogus" in chunk:
                    break
        assert "flag provided but not defined" in server.dlv_log()  # mixed with dlv's own stderr
    finally:
        await server.terminate()


async def test_non_loopback_listen_allowed_with_warning(spec, go_bin):
    server = await start_dlv(
        spec("exec", program=str(go_bin["attachee"]), listen="0.0.0.0:0", allow_non_loopback=True)
    )
    try:
        assert server.address.startswith("127.0.0.1:")
        assert any("not authenticated" in w for w in server.warnings)
        rpc = Rpc(await server.connect())
        assert (await rpc.call("GetVersion"))["APIVersion"] == 2
    finally:
        await server.terminate()


async def test_core_mode(spec, go_bin, tmp_path):
    live, rpc, _ = await _running(spec, go_bin)
    core = tmp_path / "core"
    try:
        await rpc.send("Command", {"name": "halt"})
        await rpc.receive()
        await rpc.receive()  # the halt's reply and the interrupted continue's, in either order
        await rpc.call("DumpStart", {"Destination": str(core)})
        with anyio.fail_after(20):
            while (await rpc.call("DumpWait", {"Wait": 1000}))["State"]["Dumping"]:
                pass
    finally:
        await live.terminate()
    server = await start_dlv(spec("core", program=str(go_bin["attachee"]), core=str(core)))
    try:
        rpc = Rpc(await server.connect())
        assert (await rpc.call("ProcessPid"))["Pid"] > 0
    finally:
        await server.terminate()


async def test_start_timeout_stops_the_build(spec, fixture_src, tmp_path):
    package = shutil.copytree(fixture_src["prog"], tmp_path / "prog")
    error = await _launch_error(spec("debug", program=str(package), build_flags="-a"), ready_timeout=0.5)
    assert "did not become ready within 0.5 s" in error.message

    def working_in_package() -> list[int]:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and _alive(int(entry.name)) and (entry / "cwd").resolve() == package:
                    found.append(int(entry.name))
            except OSError:
                pass
        return found

    await async_wait_until(lambda: not working_in_package(), message="dlv's go build to be killed")


def test_check_go_version_false_reaches_dlv_argv():
    from godbg_tui.adapters.dlv.launcher import _dlv_argv

    checked = _dlv_argv(LaunchSpec("exec", program="bin"), "dlv", "unix:/s", "/p", None)
    unchecked = _dlv_argv(LaunchSpec("exec", program="bin", check_go_version=False), "dlv", "unix:/s", "/p", None)
    assert "--check-go-version=false" not in checked
    assert unchecked[unchecked.index("--headless"):].count("--check-go-version=false") == 1
    assert unchecked.index("--check-go-version=false") < len(unchecked) and "--" not in unchecked


# ---------------------------------------------------------------------------------------------
# A dlv started while the UI loads


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(p) for p in f.read().split()]
    return found


async def test_start_dlv_adopts_the_prestarted_dlv_of_an_equal_spec(spec, go_bin):
    prestarted = await prestart_dlv(spec("exec", program=str(go_bin["prog"]), args=("-workers", "1")))
    assert prestarted is not None and prestarted.pid
    other = None
    try:
        other = await start_dlv(spec("exec", program=str(go_bin["prog"]), args=("-workers", "2")))
        assert other is not prestarted, "another spec starts its own dlv"
        adopted = await start_dlv(spec("exec", program=str(go_bin["prog"]), args=("-workers", "1")))
        assert adopted is prestarted
        rpc = Rpc(await adopted.connect())
        assert (await rpc.call("ProcessPid"))["Pid"] in _children(adopted.pid or 0)
        await rpc.stream.aclose()
        again = await start_dlv(spec("exec", program=str(go_bin["prog"]), args=("-workers", "1")))
        assert again is not prestarted, "adopted once only"
        await again.terminate()
    finally:
        await prestarted.terminate()
        if other is not None:
            await other.terminate()
    await discard_prestarted()


async def test_discard_stops_an_unadopted_dlv_and_its_target(spec, go_bin):
    server = await prestart_dlv(spec("exec", program=str(go_bin["prog"])))
    assert server is not None
    targets = await async_wait_until(lambda: _children(server.pid or 0), message="dlv to launch prog")
    await discard_prestarted()
    assert server.exit_code is not None
    for target in targets:
        await async_wait_until(lambda: not _alive(target), message="the launched target to be gone")
    await discard_prestarted()  # nothing left: a no-op


async def test_prestart_reports_what_start_dlv_would(spec, tmp_path):
    with pytest.raises(LaunchError) as info:
        await prestart_dlv(spec("exec", program=str(tmp_path / "nope")))
    assert "does not exist" in info.value.message
    assert await prestart_dlv(LaunchSpec("connect", address="127.0.0.1:4040")) is None, "connect starts nothing"


async def test_a_dlv_that_cannot_run_is_a_launch_error(go_bin, dlv_path, tmp_path):
    """Its version is read from its build info, so starting it is the first time it runs."""
    foreign = tmp_path / "dlv"
    data = bytearray(dlv_path.read_bytes())
    data[18:20] = b"\0\0"  # e_machine EM_NONE: no kernel executes it
    foreign.write_bytes(bytes(data))
    foreign.chmod(0o755)
    with pytest.raises(LaunchError) as info:
        await start_dlv(LaunchSpec("exec", program=str(go_bin["prog"]), dlv_path=str(foreign)))
    assert info.value.message.startswith(f"could not run {foreign}") and DLV_INSTALL in str(info.value)
