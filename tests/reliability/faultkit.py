"""Tools for injecting faults and checking what is left afterwards.

* Processes are judged from /proc: alive (not a zombie), stopped, traced by whom.
* :class:`Target` is a program started outside the debugger (something to attach to);
  :class:`RemoteDlv` is a headless dlv someone else runs (something to connect to), with
  a tiny synchronous JSON-RPC client to inspect what our session left on it.
* :class:`Terminal` runs a shell in a pane of a private tmux server, so the real
  ``godbg-tui`` command can be started, signalled and hung up on, and the terminal state
  it leaves behind read back (alternate screen, termios flags).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from support import WaitTimeout, wait_until

VENV_BIN = Path(sys.executable).parent
GODBG = VENV_BIN / "godbg-tui"
PROMPT = "godbg-prompt$ "


# ---------------------------------------------------------------------------------------------
# Processes


def proc_state(pid: int) -> str:
    """The one-letter /proc state (R, S, D, T, t, Z…), or "" once the process is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rpartition(b")")[2].split()[0].decode()
    except (OSError, IndexError):
        return ""


def alive(pid: int) -> bool:
    return proc_state(pid) not in ("", "Z", "X")


def tracer_pid(pid: int) -> int:
    """Who ptraces ``pid`` (0: nobody); -1 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("TracerPid:"):
                return int(line.split()[1])
    except OSError:
        pass
    return -1


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (all its threads' children)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            found += [int(p) for p in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except OSError:
            pass
    return found


def cmdline(pid: int) -> list[str]:
    try:
        return [a.decode(errors="replace") for a in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if a]
    except OSError:
        return []


def kill_if_alive(pid: int) -> None:
    if pid > 0 and alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------------------------------------
# A program someone else started


@dataclass
class Target:
    """A Go program started outside the debugger, its output going to a file."""

    proc: subprocess.Popen[bytes]
    out: Path

    @classmethod
    def start(cls, program: Path | str, args: tuple[str, ...] | list[str], out: Path, *, stdin_pipe: bool = False) -> Target:
        with open(out, "wb") as sink:
            proc = subprocess.Popen(
                [str(program), *args],
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
            )
        target = cls(proc, out)
        wait_until(lambda: b"started pid=" in target.output(), message=f"{program} to start")
        return target

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> bytes:
        return self.out.read_bytes()

    def keeps_working(self, timeout: float = 5.0) -> bool:
        """True once it prints something new: it runs, and is not stuck on a breakpoint."""
        before = len(self.output())
        try:
            wait_until(lambda: len(self.output()) > before, timeout=timeout)
        except WaitTimeout:
            return False
        return True

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.kill()
        self.proc.wait()


# ---------------------------------------------------------------------------------------------
# A dlv server someone else runs


class RemoteDlv:
    """``dlv exec PROGRAM --headless --accept-multiclient`` on a unix socket, as a user runs it."""

    def __init__(self, proc: subprocess.Popen[bytes], sock: Path, out: Path):
        self.proc = proc
        self.sock = sock
        self.out = out
        self.target_pid = 0

    @classmethod
    def start(cls, dlv: Path, program: Path | str, args: tuple[str, ...] | list[str], directory: Path) -> RemoteDlv:
        directory.mkdir(parents=True, exist_ok=True)
        sock, out = directory / "dlv.sock", directory / "output"
        argv = [str(dlv), "exec", str(program), "--headless", "--api-version=2", "--accept-multiclient", f"--listen=unix:{sock}"]
        with open(out, "wb") as sink:
            proc = subprocess.Popen(
                [*argv, "--", *args], stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
            )
        server = cls(proc, sock, out)
        server.target_pid = wait_until(lambda: server.call("ProcessPid")["Pid"], timeout=30, ignore=(OSError,), message="remote dlv to answer")
        return server

    @property
    def address(self) -> str:
        return f"unix:{self.sock}"

    def call(self, method: str, params: dict | None = None, timeout: float = 10.0) -> dict:
        """One JSON-RPC call on a fresh connection (the server accepts many)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(timeout)
            s.connect(str(self.sock))
            return self._exchange(s, method, params)

    @staticmethod
    def _exchange(s: socket.socket, method: str, params: dict | None = None, *, reply: bool = True) -> dict:
        request = {"method": f"RPCServer.{method}", "params": [params or {}], "id": 1}
        s.sendall(json.dumps(request).encode() + b"\n")
        if not reply:
            return {}
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError(f"dlv closed the connection during {method}")
            data += chunk
        answer = json.loads(data)
        if answer["error"]:
            raise RuntimeError(answer["error"])
        return answer["result"]

    def user_breakpoints(self) -> list[dict]:
        """The server's user breakpoints; a running program is paused for the look and resumed."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(self.sock))
            running = self._exchange(s, "State", {"NonBlocking": True})["State"]["Running"]
            if running:
                self._exchange(s, "Command", {"name": "halt"})
            found = [b for b in self._exchange(s, "ListBreakpoints")["Breakpoints"] if b["id"] > 0]
            if running:
                self._exchange(s, "Command", {"name": "continue"}, reply=False)
        return found

    def running(self) -> bool:
        return self.call("State", {"NonBlocking": True})["State"]["Running"]

    def output(self) -> bytes:
        return self.out.read_bytes()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        kill_if_alive(self.target_pid)


# ---------------------------------------------------------------------------------------------
# A real terminal


def _tmux(server: str, *args: str) -> str:
    done = subprocess.run(["tmux", "-L", server, "-f", "/dev/null", *args], capture_output=True, text=True, timeout=20)
    if done.returncode != 0:
        raise RuntimeError(f"tmux {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


@dataclass
class Terminal:
    """An interactive ``dash`` in a tmux pane of a private tmux server.

    dash, unlike bash, never repairs the terminal modes a program leaves behind, so what
    ``stty`` says after a run is what the program did.
    """

    workdir: Path
    env: dict[str, str] = field(default_factory=dict)
    size: tuple[int, int] = (100, 30)
    server: str = field(default_factory=lambda: f"godbg-rel-{uuid.uuid4().hex[:8]}")

    def __post_init__(self) -> None:
        rc = self.workdir / ".dashrc"
        rc.write_text(f"PS1='{PROMPT}'\n")
        env = {"ENV": str(rc), **self.env}
        flags = [a for k, v in env.items() for a in ("-e", f"{k}={v}")]
        width, height = self.size
        # COLUMNS/LINES inherited from the test run would override the pane's real size.
        shell = "env -u COLUMNS -u LINES dash -i"
        _tmux(self.server, "new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), "-c", str(self.workdir), *flags, shell)
        _tmux(self.server, "set-option", "-g", "remain-on-exit", "off")
        wait_until(lambda: PROMPT.strip() in self.screen(), message="the shell prompt")

    def tmux(self, *args: str) -> str:
        return _tmux(self.server, *args)

    def type(self, line: str) -> None:
        """Type a line and press Enter."""
        self.tmux("send-keys", "-t", "t", "-l", line)
        self.tmux("send-keys", "-t", "t", "Enter")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def alternate_on(self) -> bool:
        return self.tmux("display", "-p", "-t", "t", "#{alternate_on}").strip() == "1"

    @property
    def shell_pid(self) -> int:
        return int(self.tmux("display", "-p", "-t", "t", "#{pane_pid}"))

    def app_pid(self) -> int:
        """The godbg-tui process the shell is running (0 if none): under the supervisor
        (tui/supervisor.py), its forked child, which runs the app."""
        for pid in children(self.shell_pid):
            if any("godbg" in a for a in cmdline(pid)):
                forked = [c for c in children(pid) if cmdline(c) == cmdline(pid)]
                return forked[0] if forked else pid
        return 0

    def supervisor_pid(self) -> int:
        """The process the shell started (the supervisor when there is one), 0 if none."""
        for pid in children(self.shell_pid):
            if any("godbg" in a for a in cmdline(pid)):
                return pid
        return 0

    def hang_up(self) -> None:
        """Close the terminal, as a dropped SSH connection does: the kernel sends SIGHUP."""
        self.tmux("kill-server")

    def close(self) -> None:
        try:
            self.tmux("kill-server")
        except RuntimeError:
            pass


def termios_flags(stty_output: str) -> set[str]:
    """The flag words of ``stty -a`` (``icanon``, ``-echo``…)."""
    return set(stty_output.split())
