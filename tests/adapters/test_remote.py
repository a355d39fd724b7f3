"""godbg-tui ssh against a real sshd on 127.0.0.1: attach and exec through the forwarded unix
socket, source paths guessed for a binary whose build directory no longer exists, quoting
through the remote shell, what is left behind on quit and on SIGKILL, and the errors."""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import anyio
import pytest
from remote_support import SSHD, SSHD_MISSING, MovedBuild, SshServer, build_moved, start_sshd

from godbg_tui.adapters import pathmap, remote
from godbg_tui.adapters.dlv.launcher import LaunchError, sweep_stale_private_dirs
from godbg_tui.adapters.dlv.types import LoadConfig
from godbg_tui.adapters.events import Exited, Phase
from godbg_tui.adapters.remote import SshRequest, SshTarget
from godbg_tui.adapters.session import DebugSession


@pytest.fixture(scope="module")
def sshd(tmp_path_factory):
    if not os.access(SSHD, os.X_OK):
        pytest.fail(SSHD_MISSING, pytrace=False)
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def moved_attachee(tmp_path_factory) -> MovedBuild:
    return build_moved("attachee", tmp_path_factory.mktemp("remote-attachee"))


class Attachee:
    def __init__(self, binary: Path, output: Path):
        self.output = output
        self.process = subprocess.Popen([str(binary)], stdout=open(output, "wb"), stdin=subprocess.DEVNULL)

    @property
    def pid(self) -> int:
        return self.process.pid

    def ticks(self) -> int:
        return self.output.read_bytes().count(b"tick ")

    def tracer(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
        return -1

    def alive(self) -> bool:
        return self.process.poll() is None


@pytest.fixture
def attachee(moved_attachee, tmp_path):
    target = Attachee(moved_attachee.binary, tmp_path / "attachee.out")
    try:
        yield target
    finally:
        target.process.kill()
        target.process.wait()


def request(sshd: SshServer, dlv_path, **kw) -> SshRequest:
    options = kw.pop("ssh_options", None) or sshd.client_options()
    return SshRequest(sshd.destination, ssh_options=options, remote_dlv=kw.pop("remote_dlv", str(dlv_path)), **kw)


async def eventually(predicate, timeout: float = 15.0, what: str = "condition"):
    with anyio.fail_after(timeout):
        while not (value := predicate()):
            await anyio.sleep(0.02)
    return value


def remote_dlvs(remote_dir: str) -> list[int]:
    """Live dlv processes serving ``remote_dir`` (read from /proc: the remote host is this one)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
                state = Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[0]
            except OSError:
                continue
            if remote_dir.encode() in cmdline and b"dlv" in cmdline and state != "Z":
                found.append(int(entry))
    return found


async def test_attach_over_ssh_with_guessed_source_paths(sshd, dlv_path, moved_attachee, attachee, marker_line):
    assert not moved_attachee.build_dir.exists()
    line = marker_line("attachee", "main.go", "tick-body")
    local_main = str(moved_attachee.local_dir / "main.go")
    async with SshTarget(request(sshd, dlv_path, mode="attach", pid=attachee.pid)) as target:
        assert target.spec is not None and target.spec.mode == "connect"
        assert os.path.isdir(target.remote_dir) and remote_dlvs(target.remote_dir)
        assert oct(os.stat(target.remote_dir).st_mode & 0o777) == "0o700"
        async with DebugSession(target.spec) as s:
            assert s.phase == Phase.STOPPED and s.target_pid == attachee.pid
            assert attachee.tracer() != 0
            assert s.client is not None
            guess = await pathmap.guess_rules(s.client, s.dlv_version, str(moved_attachee.local_dir))
            assert (str(moved_attachee.build_dir), str(moved_attachee.local_dir)) in guess.rules, guess
            s.substitute_path[:] = guess.rules
            await s.set_breakpoint(f"{local_main}:{line}")
            await s.continue_()
            loc = s.current_location()
            assert (loc.file, loc.line) == (str(moved_attachee.build_dir / "main.go"), line)
            assert s.map_to_local(loc.file) == local_main
            assert "BREAK: tick-body" in Path(local_main).read_text().splitlines()[line - 1]
        local_dir = target.local_dir
    assert target.warnings == []
    assert not os.path.exists(target.remote_dir)
    assert local_dir is None or not os.path.exists(local_dir)
    assert target.local_dir is None
    assert remote_dlvs(target.remote_dir) == []
    assert attachee.alive() and attachee.tracer() == 0
    before = attachee.ticks()
    await eventually(lambda: attachee.ticks() > before + 2, what="the process to keep ticking after the detach")


async def test_exec_over_ssh_passes_arguments_verbatim(sshd, dlv_path, go_bin, tmp_path):
    odd_dir = tmp_path / "dir with 'quotes' \"and\" $(touch PWNED) ;&|"
    odd_dir.mkdir()
    program = odd_dir / "prog"
    shutil.copy(go_bin["prog"], program)
    args = ("-deep", "2", "a b", "it's", '"double"', "$(touch PWNED)", "*", "~", "", "back\\slash", "!bang")
    output: list[tuple[str, bytes]] = []
    req = request(sshd, dlv_path, mode="exec", program=str(program), args=args, wd=str(odd_dir))
    async with SshTarget(req) as target, anyio.create_task_group() as tg:

        async def collect() -> None:
            async for item in target.program_output():
                output.append(item)

        tg.start_soon(collect)
        assert target.spec is not None
        async with DebugSession(target.spec) as s:
            seen: list = []
            s.subscribe(seen.append)
            await s.set_breakpoint("main.main")
            await s.continue_()
            argv = await s.eval("os.Args", LoadConfig(FollowPointers=True, MaxVariableRecurse=1, MaxStringLen=4096, MaxArrayValues=64))
            assert [c.value for c in argv.children] == [str(program), *args]
            await s.continue_()
            await eventually(lambda: any(isinstance(e, Exited) for e in seen), what="prog to exit")
        await target.close()
    text = b"".join(data for stream, data in output if stream == "stdout")
    assert b"prog started pid=" in text and b"prog exiting" in text
    assert f"GODBG-{target.token}".encode() not in text  # our markers never reach the program output
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists()
    assert not os.path.exists(target.remote_dir)


async def test_quit_while_the_program_runs_kills_what_exec_started(sshd, dlv_path, go_bin):
    req = request(sshd, dlv_path, mode="exec", program=str(go_bin["prog"]), args=("-linger", "1h"))
    async with SshTarget(req) as target:
        assert target.spec is not None
        async with DebugSession(target.spec) as s:
            pid = s.target_pid
            assert pid > 0 and os.path.exists(f"/proc/{pid}")
        # the session lets the program run on as it leaves a connect server; dlv then gets EOF
    await eventually(lambda: not remote_alive(pid), what="dlv to kill the program it started")
    assert not os.path.exists(target.remote_dir)


CHILD = """
import anyio, json, sys
from godbg_tui.adapters.remote import SshRequest, SshTarget
from godbg_tui.adapters.session import DebugSession
async def main():
    target = SshTarget(SshRequest(**json.loads(sys.argv[1])))
    await target.start()
    async with DebugSession(target.spec) as s:
        await s.set_breakpoint("main.tick")
        await s.continue_()
        print(json.dumps([target.remote_dir, target.local_dir, s.current_location().function.name]), flush=True)
        await anyio.sleep(3600)
anyio.run(main)
"""


async def test_sigkill_of_godbg_ends_the_remote_dlv_and_detaches(sshd, dlv_path, attachee):
    req = request(sshd, dlv_path, mode="attach", pid=attachee.pid)
    fields = {"destination": req.destination, "mode": "attach", "pid": attachee.pid, "ssh_options": list(req.ssh_options), "remote_dlv": req.remote_dlv}
    child = subprocess.Popen([sys.executable, "-c", CHILD, json.dumps(fields)], stdout=subprocess.PIPE, text=True)
    try:
        with anyio.fail_after(60):
            line = await anyio.to_thread.run_sync(child.stdout.readline)
        remote_dir, local_dir, stopped_in = json.loads(line)
        assert stopped_in == "main.tick"  # killed while stopped at a breakpoint
        assert attachee.tracer() != 0 and remote_dlvs(remote_dir)
        child.send_signal(signal.SIGKILL)
        child.wait()
        await eventually(lambda: not os.path.exists(remote_dir), what="the remote directory to go")
        await eventually(lambda: attachee.tracer() == 0, what="dlv to detach")
        assert remote_dlvs(remote_dir) == []
        before = attachee.ticks()
        await eventually(lambda: attachee.ticks() > before + 2, what="the process to keep running")
        assert attachee.alive()  # no breakpoint instruction was left behind to SIGTRAP it
        # Only a later run can tell it is orphaned: this sweep, or one by another godbg-tui
        # running at the same time (parallel test runs) that got there first.
        assert local_dir in sweep_stale_private_dirs() or not os.path.exists(local_dir)
        assert not os.path.exists(local_dir)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def remote_alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


def _free_pid() -> int:
    pid = int(Path("/proc/sys/kernel/pid_max").read_text()) - 1
    while os.path.exists(f"/proc/{pid}"):
        pid -= 1
    return pid


@pytest.mark.parametrize(
    ("case", "message", "hint"),
    [
        ("no-dlv", "dlv is not installed on", "--remote-dlv"),
        ("no-process", "no such process", "ps -e"),
        ("wrong-key", "could not log in to", "BatchMode"),
        ("unknown-host-key", "host key of", "plain `ssh"),
        ("refused", "refused the SSH connection", "sshd running"),
    ],
)
async def test_failures_are_explained_and_leave_nothing(case, message, hint, sshd, dlv_path, attachee):
    kw: dict = {"mode": "attach", "pid": attachee.pid}
    if case == "no-dlv":
        kw["remote_dlv"] = "/nonexistent/dlv"
    elif case == "no-process":
        kw["pid"] = _free_pid()
    elif case == "wrong-key":
        kw["ssh_options"] = sshd.client_options(key="strangerkey")
    elif case == "unknown-host-key":
        kw["ssh_options"] = sshd.client_options(known_hosts="empty_known_hosts")
    elif case == "refused":
        options = list(sshd.client_options())
        options[options.index("-p") + 1] = "1"
        kw["ssh_options"] = tuple(options)
    target = SshTarget(request(sshd, dlv_path, **kw))
    with pytest.raises(LaunchError) as info:
        await target.start(ready_timeout=60)
    assert message in info.value.message, info.value
    assert hint in (info.value.hint or ""), info.value
    assert target.local_dir is None
    assert not os.path.exists(target.remote_dir)
    assert attachee.alive() and attachee.tracer() == 0


async def test_server_that_forbids_socket_forwarding(dlv_path, attachee, tmp_path):
    if not os.access(SSHD, os.X_OK):
        pytest.fail(SSHD_MISSING, pytrace=False)
    strict = start_sshd(tmp_path / "strict-sshd", extra_config=("AllowStreamLocalForwarding no",))
    try:
        target = SshTarget(request(strict, dlv_path, mode="attach", pid=attachee.pid))
        with pytest.raises(LaunchError) as info:
            with anyio.fail_after(30):
                await target.start()
        assert "does not allow forwarding a unix socket" in info.value.message
        assert "AllowStreamLocalForwarding" in (info.value.hint or "")
        await eventually(lambda: not os.path.exists(target.remote_dir), what="the remote directory to go")
        await eventually(lambda: attachee.tracer() == 0, what="the remote dlv to detach")
    finally:
        strict.stop()


# ---------------------------------------------------------------------------------------------
# Pure: command line, script shape, requests


def test_remote_command_is_one_line_for_any_login_shell():
    req = SshRequest("h", "exec", program="/srv/it's here/app", args=("$(x)", "a b"))
    script = remote.remote_script(req, "tok", "/tmp/godbg-tok")
    assert "\n" not in script and "\\" not in script
    argv = remote.ssh_argv(req, "/tmp/local/dlv.sock", "/tmp/godbg-tok", "tok")
    assert argv[argv.index("--") + 1] == "h"
    assert argv[-1].startswith("sh -c '")
    assert "-L" in argv and argv[argv.index("-L") + 1] == "/tmp/local/dlv.sock:/tmp/godbg-tok/dlv.sock"
    assert "BatchMode=yes" in argv and "ControlPath=none" in argv


def test_ssh_command_line_arguments():
    parser = argparse.ArgumentParser()
    remote.add_ssh_arguments(parser)
    ns = parser.parse_args(["-p", "2222", "-i", "k", "-o", "A=b", "-o", "C=d", "--remote-dlv", "/opt/dlv", "me@h", "attach", "42"])
    req = remote.request_from_args(ns)
    assert (req.destination, req.mode, req.pid, req.remote_dlv) == ("me@h", "attach", 42, "/opt/dlv")
    assert req.ssh_options == ("-p", "2222", "-i", "k", "-o", "A=b", "-o", "C=d")
    ns = parser.parse_args(["h", "exec", "/srv/app", "--remote-wd", "/srv"])
    req = remote.request_from_args(ns, ["-port", "1"])
    assert (req.mode, req.program, req.args, req.wd) == ("exec", "/srv/app", ("-port", "1"), "/srv")
    with pytest.raises(LaunchError, match="positive number"):
        remote.request_from_args(parser.parse_args(["h", "attach", "x1"]))


@pytest.mark.parametrize(
    ("req", "words"),
    [
        (SshRequest("-oProxyCommand=x", "attach", pid=1), "not an SSH destination"),
        (SshRequest("h", "attach", pid=0), "positive number"),
        (SshRequest("h", "attach", pid=3, args=("x",)), "attach takes only a pid"),
        (SshRequest("h", "exec"), "exec needs the path"),
    ],
)
def test_bad_requests(req, words):
    with pytest.raises(LaunchError, match=words):
        SshTarget(req)


def test_explain_old_dlv_without_unix_sockets():
    log = "couldn't start listener: listen tcp: address tcp//tmp/godbg-x/dlv.sock: unknown port\n"
    error = remote.explain_failure(SshRequest("h", "attach", pid=1), log, 1, {"exited": "1"})
    assert "too old to listen on a unix socket" in error.message


def test_the_command_line_ssh_attach_runs_an_init_script_and_detaches(sshd, dlv_path, attachee, tmp_path):
    """The real ``godbg-tui ssh … attach PID --init FILE`` in a tmux terminal: the script's
    breakpoint is hit through the tunnel; quitting detaches and removes everything remotely."""
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed; scripts/test installs it (apt-get install tmux)", pytrace=False)
    script = tmp_path / "init.txt"
    script.write_text("break main.tick\ncontinue\n")
    godbg = Path(sys.executable).with_name("godbg-tui")
    command = [str(godbg), "ssh", *sshd.client_options(), "--remote-dlv", str(dlv_path), sshd.destination,
               "attach", str(attachee.pid), "--init", str(script)]
    socket = f"godbg-ssh-cli-{os.getpid()}"
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -g remain-on-exit on\n")

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=30).stdout

    def screen_until(predicate, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = tmux("capture-pane", "-p", "-t", "t")
            if predicate(screen):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"timed out; screen:\n{tmux('capture-pane', '-p', '-t', 't')}\nsshd:\n{sshd.log()[-2000:]}")

    env = ["-e", f"XDG_STATE_HOME={tmp_path / 'state'}", "-e", f"XDG_CONFIG_HOME={tmp_path / 'config'}", "-e", "LANG=C.UTF-8"]
    quoted = " ".join(shlex.quote(a) for a in command)
    # The shell records the exit status: tmux 3.3 now and then never reaps a dead pane's process
    # (it stays a zombie, #{pane_dead_status} empty), so the pane cannot be asked for it.
    exited = tmp_path / "exit-status"
    tmux("-f", str(conf), "new-session", "-d", "-s", "t", "-x", "80", "-y", "24", *env,
         f"{quoted}; echo $? > {shlex.quote(str(exited))}")
    try:
        screen = screen_until(lambda s: re.search(r"breakpoint 1 hit", s))
        assert "main.tick" in screen and attachee.tracer() != 0
        remote_dirs = [d for d in Path(remote.REMOTE_TMP).glob("godbg-*")
                       if re.fullmatch(r"godbg-[0-9a-f]{16}", d.name) and remote_dlvs(str(d))]
        assert remote_dirs, "a remote dlv serves a private directory"
        tmux("send-keys", "-t", "t", "q")
        screen_until(lambda s: "left running (detached)" in s)
        tmux("send-keys", "-t", "t", "Enter")
        screen_until(lambda _s: exited.exists() and exited.read_text().endswith("\n"))
        assert exited.read_text() == "0\n"
    finally:
        tmux("kill-server")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(remote_dlvs(str(d)) or d.exists() for d in remote_dirs):
        time.sleep(0.05)
    assert not any(d.exists() for d in remote_dirs), "the remote directory is removed"
    assert attachee.alive() and attachee.tracer() == 0
    before = attachee.ticks()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and attachee.ticks() <= before + 2:
        time.sleep(0.05)
    assert attachee.ticks() > before + 2, "the process keeps running after the detach"


def test_the_command_line_ssh_exec_shows_the_program_output(sshd, dlv_path, go_bin, tmp_path):
    """``godbg-tui ssh … exec PATH -- ARGS``: the remote program's output reaches the console pane."""
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed; scripts/test installs it (apt-get install tmux)", pytrace=False)
    godbg = Path(sys.executable).with_name("godbg-tui")
    command = [str(godbg), "ssh", *sshd.client_options(), "--remote-dlv", str(dlv_path), sshd.destination,
               "exec", str(go_bin["prog"]), "--", "-deep", "7"]
    socket = f"godbg-ssh-exec-{os.getpid()}"
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -g remain-on-exit on\n")

    def tmux(*args: str) -> str:
        return subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True, timeout=30).stdout

    def screen_until(predicate, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = tmux("capture-pane", "-p", "-t", "t")
            if predicate(screen):
                return screen
            time.sleep(0.05)
        raise AssertionError(f"timed out; screen:\n{tmux('capture-pane', '-p', '-t', 't')}")

    env = ["-e", f"XDG_STATE_HOME={tmp_path / 'state'}", "-e", f"XDG_CONFIG_HOME={tmp_path / 'config'}", "-e", "LANG=C.UTF-8"]
    tmux("-f", str(conf), "new-session", "-d", "-s", "t", "-x", "80", "-y", "24", *env,
         "exec " + " ".join(shlex.quote(a) for a in command))
    try:
        screen_until(lambda s: "stopped: connected" in s)  # at the entry point: connect mode does not run to main
        tmux("send-keys", "-t", "t", "c")
        screen = screen_until(lambda s: "prog exiting" in s)
        assert "deep=" in screen
        tmux("send-keys", "-t", "t", "q")
        screen_until(lambda s: "Quit godbg-tui?" in s)
        tmux("send-keys", "-t", "t", "Enter")
        screen_until(lambda _s: tmux("display-message", "-p", "-t", "t", "#{pane_dead}").strip() == "1")
    finally:
        tmux("kill-server")
    assert not [d for d in Path(remote.REMOTE_TMP).glob("godbg-*") if re.fullmatch(r"godbg-[0-9a-f]{16}", d.name)
                and any(str(go_bin["prog"]).encode() in Path(f"/proc/{p}/cmdline").read_bytes() for p in remote_dlvs(str(d)))]
