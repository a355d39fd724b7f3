"""The security promises of docs/security.md, each checked against real dlv.

Delve's JSON-RPC API is unauthenticated and runs code in the target on request, so
whoever reaches the socket owns the process. What is already covered elsewhere:
the private directory is 0700 and removed on terminate (tests/adapters/test_launcher.py
test_exec_pty_roundtrip), non-loopback --listen is refused without the flag
(test_validate_spec_rejects, tests/tui/test_app.py), allowed with a warning
(test_non_loopback_listen_allowed_with_warning), and connect warns about remote
addresses (test_connect_warns_about_remote_address).
"""

from __future__ import annotations

import ast
import ipaddress
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from faultkit import alive, cmdline
from support import async_wait_until

from godbg_tui.adapters.dlv import launcher
from godbg_tui.adapters.dlv.launcher import LaunchError, LaunchSpec, start_dlv, sweep_stale_private_dirs, validate_spec
from godbg_tui.adapters.events import Message
from godbg_tui.adapters.session import DebugSession

pytestmark = pytest.mark.timeout(90)

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534
is_root = os.geteuid() == 0


def private_dir_of(address: str) -> Path:
    return Path(address.removeprefix("unix:")).parent


# ---------------------------------------------------------------------------------------------
# The private directory


STARTS_DLV_AND_WAITS = """\
import anyio, json, sys
from godbg_tui.adapters.dlv.launcher import LaunchSpec, start_dlv

async def main():
    server = await start_dlv(LaunchSpec("exec", program=sys.argv[1], dlv_path=sys.argv[2]))
    print(json.dumps({"dlv": server.pid, "address": server.address}), flush=True)
    await anyio.sleep_forever()

anyio.run(main)
"""


async def test_directory_left_by_a_killed_godbg_is_swept_at_the_next_start(go_bin, dlv_path):
    """SIGKILL gives us no chance to clean up: PDEATHSIG ends dlv, the next start removes the directory."""
    child = subprocess.Popen(
        [sys.executable, "-c", STARTS_DLV_AND_WAITS, str(go_bin["attachee"]), str(dlv_path)], stdout=subprocess.PIPE
    )
    assert child.stdout
    try:
        with anyio.fail_after(30):
            started = json.loads(await anyio.to_thread.run_sync(child.stdout.readline))
    finally:
        child.kill()
        child.wait()
    left = private_dir_of(started["address"])
    await async_wait_until(lambda: not alive(started["dlv"]), message="dlv to die with its parent")
    assert left.name.startswith(f"godbg-{child.pid}-")
    # Any dlv start sweeps, a parallel test run's too: the directory may be gone already.
    server = await start_dlv(LaunchSpec("exec", program=str(go_bin["attachee"]), dlv_path=str(dlv_path)))
    try:
        assert not left.exists()
        assert private_dir_of(server.address).is_dir()
    finally:
        await server.terminate()


def test_sweep_removes_only_what_is_provably_ours_and_orphaned(tmp_path, monkeypatch):
    monkeypatch.setattr(launcher.tempfile, "gettempdir", lambda: str(tmp_path))
    dead = subprocess.Popen(["true"])
    dead.wait()
    me = f"godbg-{os.getpid()}-{launcher._start_time(os.getpid())}-live"
    orphan = f"godbg-{dead.pid}-12345-orphan"
    reused_pid = f"godbg-{os.getpid()}-1-reused"  # our pid, another start time: its owner is dead
    for name in (me, orphan, reused_pid, "godbg-x1y2z3", "godbg-notes"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "dlv.sock").touch()
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep").touch()
    (tmp_path / f"godbg-{dead.pid}-1-link").symlink_to(precious)
    (tmp_path / f"godbg-{dead.pid}-1-file").touch()

    removed = {Path(p).name for p in sweep_stale_private_dirs()}

    assert removed == {orphan, reused_pid}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [me, "godbg-x1y2z3", "godbg-notes", "precious", f"godbg-{dead.pid}-1-link", f"godbg-{dead.pid}-1-file"]
    )
    assert (precious / "keep").exists()


@pytest.mark.skipif(not is_root, reason="needs root to make a directory owned by another user")
def test_sweep_leaves_other_users_directories(tmp_path, monkeypatch):
    monkeypatch.setattr(launcher.tempfile, "gettempdir", lambda: str(tmp_path))
    theirs = tmp_path / "godbg-999999-1-theirs"
    theirs.mkdir()
    os.chown(theirs, NOBODY, NOBODY)
    assert sweep_stale_private_dirs() == []
    assert theirs.is_dir()


@pytest.mark.skipif(not is_root or not shutil.which("setpriv"), reason="switches to user nobody with setpriv")
async def test_other_users_cannot_reach_the_socket(go_bin, dlv_path):
    server = await start_dlv(LaunchSpec("exec", program=str(go_bin["attachee"]), dlv_path=str(dlv_path)))
    sock = server.address.removeprefix("unix:")
    try:
        probe = "import socket, sys\ns = socket.socket(socket.AF_UNIX)\ntry:\n    s.connect(sys.argv[1])\nexcept OSError as e:\n    print(e.errno)\nelse:\n    print('connected')"
        done = subprocess.run(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable, "-c", probe, sock],
            capture_output=True, text=True, timeout=30,
        )
        assert done.stdout.strip() == "13", done  # EACCES: the 0700 directory keeps everyone else out
        assert stat.S_IMODE(Path(sock).parent.stat().st_mode) == 0o700
    finally:
        await server.terminate()


async def test_builds_of_debug_and_test_mode_live_in_the_private_directory(fixture_src, dlv_path):
    """The binary dlv runs is written where nobody else can replace it between build and launch."""
    spec = LaunchSpec("test", program=str(fixture_src["testpkg"]), dlv_path=str(dlv_path))
    server = await start_dlv(spec)
    private = private_dir_of(server.address)
    try:
        dlv_argv = cmdline(server.pid or 0)
        assert f"--output={private / 'debug.test'}" in dlv_argv
        assert stat.S_IMODE(private.stat().st_mode) == 0o700
    finally:
        await server.terminate()
    assert not private.exists()


# ---------------------------------------------------------------------------------------------
# Where dlv listens


@pytest.fixture
def dlv_claiming_1_21(dlv_path, tmp_path) -> Path:
    """A dlv that says it is 1.21.0, older than unix-socket support (1.22.1), and is the real one otherwise."""
    fake = tmp_path / "dlv"
    fake.write_text(f'#!/bin/sh\nif [ "$1" = version ]; then echo "Delve Debugger"; echo "Version: 1.21.0"; exit 0; fi\nexec {dlv_path} "$@"\n')
    fake.chmod(0o755)
    return fake


async def test_loopback_tcp_only_when_dlv_cannot_do_unix_sockets(go_bin, dlv_claiming_1_21):
    server = await start_dlv(LaunchSpec("exec", program=str(go_bin["attachee"]), dlv_path=str(dlv_claiming_1_21)))
    try:
        assert server.address.startswith("127.0.0.1:")
        assert any(a.startswith("--listen=127.0.0.1:") for a in cmdline(server.pid or 0))
    finally:
        await server.terminate()
    with pytest.raises(LaunchError, match="cannot listen on a unix socket"):
        await start_dlv(
            LaunchSpec("exec", program=str(go_bin["attachee"]), dlv_path=str(dlv_claiming_1_21), listen="unix:/tmp/x.sock")
        )


@pytest.mark.parametrize("listen", ["0.0.0.0:4040", "[::]:4040", "192.0.2.7:4040", "example.com:4040", ":4040"])
def test_every_non_loopback_listen_address_is_refused(listen):
    with pytest.raises(LaunchError, match="refusing to listen on non-loopback address") as info:
        validate_spec(LaunchSpec("exec", program="x", listen=listen))
    assert "--allow-non-loopback" in (info.value.hint or "") and "SSH tunnel" in (info.value.hint or "")


@pytest.mark.parametrize("listen", ["127.0.0.1:0", "127.0.0.2:4040", "[::1]:4040", "localhost:4040", "unix:/tmp/d.sock"])
def test_loopback_listen_addresses_are_accepted(listen):
    validate_spec(LaunchSpec("exec", program="x", listen=listen))


async def test_an_allowed_remote_listener_is_announced_to_the_user(go_bin, dlv_path):
    spec = LaunchSpec(
        "exec", program=str(go_bin["prog"]), args=("-exit", "0"), dlv_path=str(dlv_path), listen="0.0.0.0:0", allow_non_loopback=True
    )
    seen: list = []
    session = DebugSession(spec)
    session.subscribe(seen.append)
    async with session:
        warnings = [e.text for e in seen if isinstance(e, Message) and e.level == "warning"]
        assert any("not authenticated" in w and "SSH tunnel" in w for w in warnings), warnings


def _non_loopback_ipv4() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


async def test_connecting_to_a_remote_address_warns_and_suggests_a_tunnel(go_bin, dlv_path):
    host = _non_loopback_ipv4()
    if host is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    owner = await start_dlv(
        LaunchSpec("exec", program=str(go_bin["prog"]), dlv_path=str(dlv_path), listen=f"{host}:0", allow_non_loopback=True)
    )
    try:
        seen: list = []
        session = DebugSession(LaunchSpec("connect", address=owner.address))
        session.subscribe(seen.append)
        async with session:
            warnings = [e.text for e in seen if isinstance(e, Message) and e.level == "warning"]
            assert any(f"{host}:" in w and "not authenticated" in w and "ssh -L" in w for w in warnings), warnings
    finally:
        await owner.terminate()


# ---------------------------------------------------------------------------------------------
# No shell, ever


SHELL_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("os", "execl"),
    ("os", "execlp"),
    ("os", "spawnl"),
    ("asyncio", "create_subprocess_shell"),
    ("pty", "spawn"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
}
SHELLS = {"sh", "/bin/sh", "bash", "/bin/bash", "dash", "zsh", "/usr/bin/env"}
SPAWNERS = {"Popen", "run", "call", "check_call", "check_output", "run_process", "open_process", "create_subprocess_exec", "execv", "execvp", "execvpe", "spawnv", "spawnvp"}


def _spawns_a_shell(node: ast.Call) -> bool:
    """A process-starting call whose argument vector starts with a shell binary."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if name not in SPAWNERS or not node.args:
        return False
    argv = node.args[1] if name.startswith(("execv", "spawnv")) and len(node.args) > 1 else node.args[0]
    first = argv.elts[0] if isinstance(argv, (ast.List, ast.Tuple)) and argv.elts else argv
    return isinstance(first, ast.Constant) and first.value in SHELLS


def test_no_shell_in_the_source():
    """Every process is started from an argument vector: no shell=True, os.system, popen or a shell binary."""
    offenders = []
    for path in sorted((REPO / "adapters").rglob("*.py")) + sorted((REPO / "tui").rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.keyword) and node.arg == "shell":
                offenders.append(f"{where} shell=")
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and (node.value.id, node.attr) in SHELL_CALLS:
                offenders.append(f"{where} {node.value.id}.{node.attr}")
            elif isinstance(node, ast.Call) and _spawns_a_shell(node):
                offenders.append(f"{where} runs a shell")
    assert offenders == []


HOSTILE = ["$(touch pwned-arg)", "`touch pwned-tick`", "; touch pwned-semi", "a b", "*", "'\"", "--", "\n"]


async def test_hostile_paths_and_arguments_reach_the_program_verbatim(go_bin, dlv_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    weird = tmp_path / "dir with spaces;$(touch pwned-dir)"
    weird.mkdir()
    program = weird / "prog `touch pwned-name`"
    shutil.copy(go_bin["prog"], program)
    spec = LaunchSpec("exec", program=str(program), args=("-exit", "0", *HOSTILE), dlv_path=str(dlv_path))
    async with DebugSession(spec) as s:
        assert cmdline(s.target_pid) == [str(program), "-exit", "0", *HOSTILE]
    assert not list(tmp_path.glob("pwned*")) and not list(weird.glob("pwned*"))


async def test_hostile_build_flags_and_test_regex_are_not_expanded(fixture_src, dlv_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    spec = LaunchSpec(
        "test",
        program=str(fixture_src["testpkg"]),
        test_run="^TestAdd$|$(touch pwned-run)",
        build_flags="-tags=a$(touch${IFS}pwned-flags)b,`touch${IFS}pwned-tick`",
        dlv_path=str(dlv_path),
    )
    async with DebugSession(spec) as s:
        argv = cmdline(s.target_pid)
        assert argv[argv.index("-test.run") + 1] == "^TestAdd$|$(touch pwned-run)"
    assert not list(tmp_path.glob("pwned*")) and not list(fixture_src["testpkg"].glob("pwned*"))


# ---------------------------------------------------------------------------------------------
# pprof discovery only knocks on loopback


LISTENER = """\
import socket, sys, time
socks = []
for host in sys.argv[1:]:
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.bind((host, 0))
    s.listen()
    socks.append(s)
print(" ".join(f"{h}={s.getsockname()[1]}" for h, s in zip(sys.argv[1:], socks)), flush=True)
time.sleep(60)
"""


def test_pprof_discovery_only_considers_loopback_listeners():
    """Probing sends HTTP requests; a program's public listeners are never probed unasked."""
    from godbg_tui.adapters.pprof.endpoint import listening_sockets

    host = _non_loopback_ipv4()
    hosts = ["127.0.0.1", "0.0.0.0", *([host] if host else [])]
    child = subprocess.Popen([sys.executable, "-c", LISTENER, *hosts], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout
        ports = dict(pair.split("=") for pair in child.stdout.readline().split())
        found = {(s.host, s.port) for s in listening_sockets(child.pid)}
        assert ("127.0.0.1", int(ports["127.0.0.1"])) in found
        assert ("127.0.0.1", int(ports["0.0.0.0"])) in found, "a wildcard listener is reached over loopback"
        if host:
            assert all(port != int(ports[host]) for _, port in found), "a listener on a public address is left alone"
        assert all(ipaddress.ip_address(h).is_loopback for h, _ in found)
    finally:
        child.kill()
        child.wait()
