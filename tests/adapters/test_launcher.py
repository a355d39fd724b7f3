"""The launcher against the real dlv and real Go programs: every start failure, the pty, teardown."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import anyio
import pytest

from godbg_tui.adapters.dlv.launcher import (
    DLV_INSTALL,
    DlvServer,
    LaunchError,
    LaunchSpec,
    dlv_version,
    find_dlv,
    start_dlv,
    validate_spec,
)

REPO = Path(__file__).resolve().parents[2]
DLV = os.environ.get("GODBG_DLV") or (
    str(REPO / ".tools/bin/dlv") if (REPO / ".tools/bin/dlv").exists() else shutil.which("dlv")
)
NOBODY = 65534

pytestmark = [
    pytest.mark.skipif(not DLV, reason="dlv not found (set GODBG_DLV)"),
    pytest.mark.skipif(not shutil.which("go"), reason="go toolchain not on PATH"),
    pytest.mark.timeout(60),
]

PROG = """\
package main

import (
	"bufio"
	"fmt"
	"os"
	"syscall"
	"time"
)

func main() {
	switch os.Args[1] {
	case "echo":
		fmt.Println("ready")
		fmt.Fprintln(os.Stderr, "to-stderr")
		line, err := bufio.NewReader(os.Stdin).ReadString('\\n')
		fmt.Printf("got %q %v\\n", line, err)
	case "nodump":
		syscall.Syscall(syscall.SYS_PRCTL, syscall.PR_SET_DUMPABLE, 0, 0)
		fallthrough
	case "loop":
		fmt.Println("looping")
		for {
			time.Sleep(50 * time.Millisecond)
		}
	}
}
"""

TEST_PKG = """\
package tpkg

import (
	"fmt"
	"os"
	"testing"
)

func TestHello(t *testing.T) {
	fmt.Println("hello from TestHello")
	fmt.Fprintln(os.Stderr, "stderr from TestHello")
}

func TestOther(t *testing.T) {
	fmt.Println("hello from TestOther")
}
"""


def _module(directory: Path, name: str, files: dict[str, str]) -> Path:
    directory.mkdir()
    (directory / "go.mod").write_text(f"module example.com/{name}\n\ngo 1.21\n")
    for file, text in files.items():
        (directory / file).write_text(text)
    return directory


def _go_build(src: Path, out: Path, *flags: str) -> Path:
    subprocess.run(["go", "build", *flags, "-o", str(out), "."], cwd=src, check=True, env={**os.environ, "GOTOOLCHAIN": "local"})
    return out


@pytest.fixture(scope="session")
def progs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test programs, built once: debug build, stripped, and version-patched copies."""
    root = tmp_path_factory.mktemp("launcher")
    src = _module(root / "prog", "prog", {"main.go": PROG})
    built = {
        "src": src,
        "prog": _go_build(src, root / "prog.bin", "-gcflags=all=-N -l"),
        "stripped": _go_build(src, root / "stripped.bin", "-ldflags=-s -w"),
        "bad": _module(root / "bad", "bad", {"main.go": "package main\n\nfunc main() { x := 1 }\n"}),
        "tpkg": _module(root / "tpkg", "tpkg", {"tpkg_test.go": TEST_PKG}),
    }
    # dlv reads the Go version from DW_AT_producer: patch it (same length) in an uncompressed-DWARF build.
    plain = _go_build(src, root / "plain.bin", "-gcflags=all=-N -l", "-ldflags=-compressdwarf=false").read_bytes()
    version = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, check=True).stdout.strip()
    producer = b"Go cmd/compile " + version
    assert producer in plain
    for name, fake in (("go_old", b"go1.19."), ("go_new", b"go1.99.")):
        path = root / f"{name}.bin"
        path.write_bytes(plain.replace(producer, b"Go cmd/compile " + (fake + b"8" * 8)[: len(version)]))
        path.chmod(0o755)
        built[name] = path
    return built


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[0] != b"Z"
    except OSError:
        return False


async def _eventually(predicate, what: str, timeout: float = 10.0) -> None:
    with anyio.move_on_after(timeout):
        while not predicate():
            await anyio.sleep(0.02)
        return
    raise AssertionError(f"timed out waiting for {what}")


def _spec(mode: str, **kw) -> LaunchSpec:
    return LaunchSpec(mode, dlv_path=DLV, **kw)  # type: ignore[arg-type]


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
        while b"\n" not in self.buffer:
            self.buffer += await self.stream.receive()
        line, _, self.buffer = self.buffer.partition(b"\n")
        reply = json.loads(line)
        assert reply["error"] is None, reply
        return reply["result"]

    async def call(self, method: str, params: dict | None = None) -> dict:
        await self.send(method, params)
        with anyio.fail_after(10):
            return await self.receive()


async def _read_until(output, needle: bytes, collected: bytearray, timeout: float = 10.0) -> None:
    with anyio.fail_after(timeout):
        while needle not in collected:
            _, chunk = await anext(output)
            collected += chunk


async def _running_loop(progs) -> tuple[DlvServer, Rpc, int]:
    """A dlv running the loop program, its control connection and the target's pid."""
    server = await start_dlv(_spec("exec", program=str(progs["prog"]), args=("loop",)))
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


async def test_start_with_missing_dlv_path(progs):
    spec = LaunchSpec("exec", program=str(progs["prog"]), dlv_path="/nonexistent/dlv")
    error = await _launch_error(spec)
    assert DLV_INSTALL in (error.hint or "")


async def test_dlv_version():
    assert await dlv_version(DLV) >= (1, 20, 2)


# ---------------------------------------------------------------------------------------------
# Specs rejected before anything runs


@pytest.mark.parametrize(
    ("spec", "expected"),
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
def test_validate_spec_rejects(spec, expected):
    with pytest.raises(LaunchError) as info:
        validate_spec(spec)
    assert expected in info.value.message


def test_validate_spec_accepts():
    validate_spec(LaunchSpec("exec", program="x", listen="0.0.0.0:4040", allow_non_loopback=True))
    validate_spec(LaunchSpec("exec", program="x", listen="[::1]:4040"))
    validate_spec(LaunchSpec("test", test_run="^TestX$", args=("-test.v",)))
    validate_spec(LaunchSpec("connect", address="unix:/tmp/x.sock"))


# ---------------------------------------------------------------------------------------------
# Programs dlv cannot debug


async def test_exec_missing_program(tmp_path):
    error = await _launch_error(_spec("exec", program=str(tmp_path / "nope")))
    assert error.message == f"program {tmp_path / 'nope'} does not exist"


async def test_exec_directory(tmp_path):
    error = await _launch_error(_spec("exec", program=str(tmp_path)))
    assert "is a directory" in error.message and "debug mode" in (error.hint or "")


async def test_exec_not_executable(progs, tmp_path):
    copy = tmp_path / "prog"
    shutil.copy(progs["prog"], copy)
    copy.chmod(0o644)
    error = await _launch_error(_spec("exec", program=str(copy)))
    assert "is not executable" in error.message


async def test_exec_text_file(tmp_path):
    script = tmp_path / "main.go"
    script.write_text("package main\n")
    script.chmod(0o755)
    error = await _launch_error(_spec("exec", program=str(script)))
    assert "is not an ELF executable" in error.message


async def test_exec_non_go_binary():
    error = await _launch_error(_spec("exec", program=shutil.which("true") or "/bin/true"))
    assert "is not a Go program" in error.message


async def test_exec_stripped_binary(progs):
    error = await _launch_error(_spec("exec", program=str(progs["stripped"])))
    assert "has no debug information" in error.message
    assert "-ldflags='-s -w'" in (error.hint or "") and "-gcflags=all=-N -l" in (error.hint or "")


async def test_debug_build_failure(progs):
    error = await _launch_error(_spec("debug", program=str(progs["bad"])))
    assert error.message.startswith("build failed")
    assert "declared and not used: x" in error.output
    assert not list(progs["bad"].glob("__debug_bin*"))


async def test_go_too_old_for_dlv(progs):
    error = await _launch_error(_spec("exec", program=str(progs["go_old"])))
    assert "go1.19.8" in error.message and "cannot debug" in error.message
    assert "go install github.com/go-delve/delve/cmd/dlv@v1.22.1" in (error.hint or "")


async def test_dlv_too_old_for_go(progs):
    error = await _launch_error(_spec("exec", program=str(progs["go_new"])))
    assert "too old for" in error.message and "go1.99.8" in error.message
    assert "dlv@latest" in (error.hint or "")


async def test_core_file_not_a_core(progs):
    error = await _launch_error(_spec("core", program=str(progs["prog"]), core=str(progs["prog"])))
    assert "is not an ELF core dump" in error.message


# ---------------------------------------------------------------------------------------------
# attach


async def test_attach_nonexistent_pid():
    gone = subprocess.Popen(["true"])
    gone.wait()
    error = await _launch_error(_spec("attach", pid=gone.pid))
    assert error.message == f"no process with pid {gone.pid}"


async def test_attach_already_traced(progs):
    server, rpc, target = await _running_loop(progs)
    try:
        error = await _launch_error(_spec("attach", pid=target))
        assert f"pid {target} (prog.bin) is already being debugged by pid" in error.message
        assert "(dlv)" in error.message
    finally:
        await server.terminate()


async def test_attach_detaches_on_terminate(progs):
    target = subprocess.Popen([progs["prog"], "loop"], stdout=subprocess.DEVNULL)
    try:
        server = await start_dlv(_spec("attach", pid=target.pid))
        assert server.has_stdin is False
        server.set_target_pid(target.pid)  # ignored: an attached process is not ours to kill
        await server.terminate()
        assert not _alive(server.pid or 0)
        assert target.poll() is None
        status = Path(f"/proc/{target.pid}/status").read_text()
        assert "TracerPid:\t0" in status
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

needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv")


def _attach_as_nobody(pid: int) -> dict:
    result = _as_nobody(sys.executable, "-c", ATTACH_AS_CHILD, str(pid), DLV or "", stdout=subprocess.PIPE)
    out, _ = result.communicate(timeout=30)
    return json.loads(out)


@needs_root
def test_attach_other_users_process(progs):
    target = subprocess.Popen([progs["prog"], "loop"], stdout=subprocess.DEVNULL)
    try:
        error = _attach_as_nobody(target.pid)
        assert f"pid {target.pid} (prog.bin) belongs to root, not to you (nobody)" == error["message"]
    finally:
        target.kill()
        target.wait()


@needs_root
def test_attach_ptrace_denied(progs):
    shared = Path(tempfile.mkdtemp(prefix="godbg-test-"))
    try:
        shared.chmod(0o755)
        binary = shutil.copy(progs["prog"], shared / "prog.bin")
        target = _as_nobody(binary, "nodump", stdout=subprocess.PIPE)
        try:
            assert target.stdout and target.stdout.readline() == b"looping\n"
            error = _attach_as_nobody(target.pid)
            assert error["message"] == f"could not attach to pid {target.pid}: the kernel refused ptrace"
            assert "not dumpable" in error["hint"] and "CAP_SYS_PTRACE" in error["hint"]
        finally:
            target.kill()
            target.wait()
    finally:
        shutil.rmtree(shared)


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


async def test_connect_to_running_server(progs):
    owner = await start_dlv(_spec("exec", program=str(progs["prog"]), args=("loop",)))
    try:
        server = await start_dlv(LaunchSpec("connect", address=owner.address))
        rpc = Rpc(await server.connect())
        assert (await rpc.call("GetVersion"))["APIVersion"] == 2
        await rpc.stream.aclose()
    finally:
        await owner.terminate()


# ---------------------------------------------------------------------------------------------
# Running programs


async def test_exec_pty_roundtrip(progs):
    server = await start_dlv(_spec("exec", program=str(progs["prog"]), args=("echo",)))
    private = Path(server.address.removeprefix("unix:")).parent
    try:
        assert server.address.startswith("unix:") and server.owned and server.has_stdin
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
        rpc = Rpc(await server.connect())
        await rpc.send("Command", {"name": "continue"})
        output = server.program_output()
        seen = bytearray()
        await _read_until(output, b"to-stderr\n", seen)
        await server.write_stdin(b"hello\n")
        await _read_until(output, b"<nil>\n", seen)
        assert bytes(seen) == b'ready\nto-stderr\ngot "hello\\n" <nil>\n'  # no echo, no \r
        with anyio.fail_after(10):
            state = (await rpc.receive())["State"]
        assert state["exited"] and state["exitStatus"] == 0
    finally:
        await server.terminate()
    assert not private.exists()
    assert not _alive(server.pid or 0)


async def test_terminate_leaves_no_process(progs):
    server, _, target = await _running_loop(progs)
    private = Path(server.address.removeprefix("unix:")).parent
    assert _alive(target)
    await server.terminate()
    await server.terminate()  # idempotent
    assert not _alive(server.pid or 0) and not _alive(target)
    assert not private.exists()
    assert await server.wait_exited() is not None


@pytest.mark.parametrize("how", ["terminate", "kill_now"])
async def test_orphaned_target_is_reaped(progs, how):
    server, _, target = await _running_loop(progs)
    os.kill(server.pid or 0, signal.SIGKILL)
    with anyio.fail_after(10):
        assert await server.wait_exited() == -signal.SIGKILL
    assert _alive(target)  # Delve's pitfall: a SIGKILLed dlv leaves its target running
    if how == "terminate":
        await server.terminate()
    else:
        server.kill_now()
    await _eventually(lambda: not _alive(target), "the orphan to be reaped")


DIE_AS_CHILD = """\
import anyio, json, sys
from godbg_tui.adapters.dlv.launcher import LaunchSpec, start_dlv

async def main():
    server = await start_dlv(LaunchSpec("exec", program=sys.argv[1], args=("loop",), dlv_path=sys.argv[2]))
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


async def test_dlv_dies_with_us(progs):
    child = subprocess.Popen([sys.executable, "-c", DIE_AS_CHILD, str(progs["prog"]), DLV or ""], stdout=subprocess.PIPE)
    assert child.stdout
    with anyio.fail_after(20):
        pids = json.loads(await anyio.to_thread.run_sync(child.stdout.readline))
    try:
        assert _alive(pids["dlv"]) and _alive(pids["target"])
        child.kill()
        child.wait()
        await _eventually(lambda: not _alive(pids["dlv"]) and not _alive(pids["target"]), "dlv and its target to die")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        shutil.rmtree(Path(pids["address"].removeprefix("unix:")).parent, ignore_errors=True)


async def test_debug_mode_builds_outside_the_package(progs):
    server = await start_dlv(_spec("debug", program=str(progs["src"]), args=("echo",)))
    try:
        assert not list(progs["src"].glob("__debug_bin*"))
        rpc = Rpc(await server.connect())
        await rpc.send("Command", {"name": "continue"})
        seen = bytearray()
        await _read_until(server.program_output(), b"ready\n", seen)
    finally:
        await server.terminate()


async def test_test_mode_output_over_tcp(progs):
    spec = _spec("test", program=str(progs["tpkg"]), test_run="^TestHello$", args=("-test.v",), listen="127.0.0.1:0")
    server = await start_dlv(spec)
    try:
        assert server.address.startswith("127.0.0.1:") and not server.address.endswith(":0")
        assert not server.has_stdin
        assert not list(progs["tpkg"].glob("debug.test*"))
        rpc = Rpc(await server.connect())
        await rpc.send("Command", {"name": "continue"})
        chunks: dict[str, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
        with anyio.fail_after(20):
            async for stream, chunk in server.program_output():
                chunks[stream] += chunk
                if b"PASS" in chunks["stdout"] and b"stderr from TestHello" in chunks["stderr"]:
                    break
        assert b"hello from TestHello" in chunks["stdout"]
        assert b"API server listening" not in chunks["stdout"]
        assert b"TestOther" not in chunks["stdout"]
        assert "API server listening at: 127.0.0.1:" in server.dlv_log()
        with pytest.raises(RuntimeError):
            await server.write_stdin(b"x")
    finally:
        await server.terminate()


async def test_non_loopback_listen_allowed_with_warning(progs):
    spec = _spec("exec", program=str(progs["prog"]), args=("loop",), listen="0.0.0.0:0", allow_non_loopback=True)
    server = await start_dlv(spec)
    try:
        assert server.address.startswith("127.0.0.1:")
        assert any("not authenticated" in w for w in server.warnings)
        rpc = Rpc(await server.connect())
        assert (await rpc.call("GetVersion"))["APIVersion"] == 2
    finally:
        await server.terminate()


async def test_core_mode(progs, tmp_path):
    live, rpc, _ = await _running_loop(progs)
    core = tmp_path / "core"
    try:
        await rpc.send("Command", {"name": "halt"})
        with anyio.fail_after(10):
            await rpc.receive()
            await rpc.receive()
        await rpc.call("DumpStart", {"Destination": str(core)})
        with anyio.fail_after(20):
            while (await rpc.call("DumpWait", {"Wait": 1000}))["State"]["Dumping"]:
                pass
    finally:
        await live.terminate()
    server = await start_dlv(_spec("core", program=str(progs["prog"]), core=str(core)))
    try:
        rpc = Rpc(await server.connect())
        assert (await rpc.call("ProcessPid"))["Pid"] > 0
    finally:
        await server.terminate()
