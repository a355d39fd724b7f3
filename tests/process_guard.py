"""Find dlv and debug-target processes that a test left running.

A debugger front end that leaks dlv or its target is broken, so every test is
checked (tests/conftest.py ``no_leaked_processes``). Reading /proc (Linux),
a process is a *debug process* when it is

* ``dlv``, a binary dlv built for ``debug``/``test`` mode (``__debug_bin*``,
  ``debug.test*``) or a ``go test`` binary (``*.test``), or
* one of our fixture binaries (its executable lives in tests/.gobuild/),

and it is *ours* when pytest (this process) is among its ancestors, or its
environment carries this pytest process's session token (``GODBG_TEST_SESSION``,
set at start-up and inherited by everything we spawn, even through daemons such
as a tmux server, or after a killed dlv left its target re-parented to init).
A different token means another pytest process (an xdist worker) owns it; no
token at all means someone outside the test run started it (a developer
debugging a fixture by hand), and it is left alone.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from dataclasses import dataclass
from pathlib import Path

SESSION_ENV = "GODBG_TEST_SESSION"

_DEBUG_NAME_PREFIXES = ("__debug_bin", "debug.test")


@dataclass(frozen=True)
class DebugProcess:
    """A live process; (pid, start_ticks) identifies it even across PID reuse."""

    pid: int
    start_ticks: int
    name: str
    exe: str

    def __str__(self) -> str:
        return f"pid {self.pid} {self.name} ({self.exe or 'exe unreadable'})"


@dataclass(frozen=True)
class _Stat:
    name: str
    state: str
    ppid: int
    start_ticks: int


def _read_stat(pid: int) -> _Stat | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may itself contain spaces or ")".
    open_paren, close_paren = raw.index("("), raw.rindex(")")
    fields = raw[close_paren + 2 :].split()
    return _Stat(
        name=raw[open_paren + 1 : close_paren],
        state=fields[0],
        ppid=int(fields[1]),
        start_ticks=int(fields[19]),
    )


def _read_exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        return ""


def _read_session_token(pid: int) -> str | None:
    """The GODBG_TEST_SESSION value in pid's environment; None if absent or unreadable."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    prefix = f"{SESSION_ENV}=".encode()
    for entry in environ.split(b"\0"):
        if entry.startswith(prefix):
            return entry[len(prefix) :].decode(errors="replace")
    return None


class ProcessLeakGuard:
    """Snapshots of this pytest process's debug processes, and their cleanup."""

    def __init__(self, fixture_build_dir: Path) -> None:
        self.owner_pid = os.getpid()
        self.token = f"{self.owner_pid}-{secrets.token_hex(4)}"
        self._build_dir = str(fixture_build_dir.resolve()) + os.sep

    def export_token(self) -> None:
        """Put the session token in os.environ so everything spawned from now on inherits it."""
        os.environ[SESSION_ENV] = self.token

    def _is_debug_process(self, name: str, exe: str) -> bool:
        return (
            name == "dlv"
            or name.startswith(_DEBUG_NAME_PREFIXES)
            or name.endswith(".test")
            or exe.startswith(self._build_dir)
        )

    def _is_ours(self, pid: int, parents: dict[int, int]) -> bool:
        ancestor, seen = parents.get(pid, 0), set()
        while ancestor > 1 and ancestor not in seen:
            if ancestor == self.owner_pid:
                return True
            seen.add(ancestor)
            ancestor = parents.get(ancestor, 0)
        return _read_session_token(pid) == self.token

    def snapshot(self) -> set[DebugProcess]:
        """Our debug processes alive right now (zombies are dead and excluded)."""
        stats: dict[int, _Stat] = {}
        for entry in os.scandir("/proc"):
            if entry.name.isdigit():
                stat = _read_stat(int(entry.name))
                if stat is not None:
                    stats[int(entry.name)] = stat
        parents = {pid: stat.ppid for pid, stat in stats.items()}
        found = set()
        for pid, stat in stats.items():
            if pid == self.owner_pid or stat.state in ("Z", "X"):
                continue
            exe = _read_exe(pid)
            if self._is_debug_process(stat.name, exe) and self._is_ours(pid, parents):
                found.add(DebugProcess(pid, stat.start_ticks, stat.name, exe))
        return found

    def survivors(self, before: set[DebugProcess], grace: float) -> set[DebugProcess]:
        """Debug processes not in ``before`` still alive after up to ``grace`` seconds."""
        deadline = time.monotonic() + grace
        while True:
            leaked = self.snapshot() - before
            if not leaked or time.monotonic() >= deadline:
                return leaked
            time.sleep(0.05)

    def kill(self, processes: set[DebugProcess], timeout: float = 5.0) -> None:
        """SIGKILL ``processes`` and wait until they are gone, reaping our own children.

        A zombie whose parent is someone else (dlv, init) is left for that
        parent to reap, once the parent is not among the processes dying here.
        """
        for process in processes:
            stat = _read_stat(process.pid)
            if stat is not None and stat.start_ticks == process.start_ticks:
                try:
                    os.kill(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        dying = {process.pid for process in processes}
        remaining = set(processes)
        deadline = time.monotonic() + timeout
        while remaining and time.monotonic() < deadline:
            for process in list(remaining):
                stat = _read_stat(process.pid)
                if stat is None or stat.start_ticks != process.start_ticks:
                    remaining.discard(process)
                elif stat.state in ("Z", "X"):
                    if stat.ppid == self.owner_pid:
                        try:
                            os.waitpid(process.pid, os.WNOHANG)
                        except ChildProcessError:
                            remaining.discard(process)
                    elif stat.ppid not in dying:
                        remaining.discard(process)
            if remaining:
                time.sleep(0.02)
