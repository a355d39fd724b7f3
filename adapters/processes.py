"""The processes a user could attach Delve to, read from /proc (Linux).

For each process: who owns it, its command line, its executable (when the
kernel lets us see it), the Go version that built it (via gobinary, cached by
file identity so a refresh costs a stat per process) and whether something is
already tracing it (``TracerPid``), since a second tracer cannot attach.

Left out: this process, Delve itself, kernel threads (no command line) and
zombies, none of which can be debugged. Order: Go programs first, then the
user's own processes before others' (attaching to another user's process
needs privileges), newest first within each group.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import anyio.to_thread

from .gobinary import BuildInfo, BuildInfoCache

_DLV_NAMES = frozenset({"dlv", "dlv-dap"})

_BUILD_INFO = BuildInfoCache()


@dataclass(frozen=True)
class ProcessInfo:
    """One attachable process.

    ``exe`` is None when /proc/PID/exe cannot be read (another user's process,
    without privileges); then ``build`` is None too and Go-ness is unknown.
    ``tracer_pid`` is 0 unless a debugger (or strace…) is attached already.
    """

    pid: int
    user: str
    uid: int
    command: str
    exe: str | None
    build: BuildInfo | None
    tracer_pid: int = 0
    tracer_name: str = ""
    start_ticks: int = 0

    @property
    def is_go(self) -> bool:
        return self.build is not None

    @property
    def go_version(self) -> str | None:
        return self.build.go_version if self.build else None

    @property
    def traced(self) -> bool:
        return self.tracer_pid != 0

    def traced_by(self) -> str:
        """``being debugged by 123 (dlv)``, or "" when nobody traces it."""
        if not self.traced:
            return ""
        name = f" ({self.tracer_name})" if self.tracer_name else ""
        return f"being debugged by {self.tracer_pid}{name}"


@dataclass(frozen=True)
class _Stat:
    comm: str
    state: str
    start_ticks: int


def _read_stat(pid: int) -> _Stat | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
        # comm sits in parentheses and may itself contain spaces or ")".
        close = raw.rindex(")")
        fields = raw[close + 2 :].split()
        return _Stat(comm=raw[raw.index("(") + 1 : close], state=fields[0], start_ticks=int(fields[19]))
    except (OSError, ValueError, IndexError):
        return None


def _read_status(pid: int) -> dict[str, str]:
    """The ``Key:\tvalue`` lines of /proc/PID/status (also works for a thread id)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def _tracer_process(tracer_tid: int) -> tuple[int, str]:
    """(pid, name) of the process owning thread ``tracer_tid``.

    TracerPid names the tracing *thread*, and Delve traces from a dedicated
    OS thread, so it is mapped to that thread's process (Tgid).
    """
    status = _read_status(tracer_tid)
    try:
        tgid = int(status["Tgid"])
    except (KeyError, ValueError):
        return tracer_tid, ""
    return tgid, _read_status(tgid).get("Name", "")


def _read_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [arg.decode(errors="replace") for arg in raw.rstrip(b"\0").split(b"\0")] if raw else []


def _read_exe(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
    except OSError:
        return None


@cache
def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _is_dlv(comm: str, exe: str | None, argv: list[str]) -> bool:
    names = {comm, os.path.basename(exe or ""), os.path.basename(argv[0]) if argv else ""}
    return not names.isdisjoint(_DLV_NAMES)


def read_processes(*, cache: BuildInfoCache | None = None, exclude: set[int] | None = None) -> list[ProcessInfo]:
    """Attachable processes, Go ones first (see the module docstring). Blocking: reads /proc.

    ``exclude`` adds pids to leave out besides this process (e.g. a debugger
    session's own target).
    """
    build_cache = cache if cache is not None else _BUILD_INFO
    skip = {os.getpid(), *(exclude or ())}
    my_uid = os.geteuid()
    found: list[ProcessInfo] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        if pid in skip:
            continue
        stat = _read_stat(pid)
        if stat is None or stat.state in ("Z", "X"):
            continue
        argv = _read_cmdline(pid)
        status = _read_status(pid)
        if not argv or "Uid" not in status:
            continue
        exe = _read_exe(pid)
        if _is_dlv(stat.comm, exe, argv):
            continue
        uid = int(status["Uid"].split()[0])
        tracer_tid = int(status.get("TracerPid") or 0)
        tracer_pid, tracer_name = _tracer_process(tracer_tid) if tracer_tid else (0, "")
        found.append(
            ProcessInfo(
                pid=pid,
                user=_user_name(uid),
                uid=uid,
                command=" ".join(argv),
                exe=exe,
                build=build_cache.get(f"/proc/{pid}/exe") if exe is not None else None,
                tracer_pid=tracer_pid,
                tracer_name=tracer_name,
                start_ticks=stat.start_ticks,
            )
        )
    found.sort(key=lambda p: (not p.is_go, p.uid != my_uid, -p.start_ticks, -p.pid))
    return found


async def list_processes(*, cache: BuildInfoCache | None = None, exclude: set[int] | None = None) -> list[ProcessInfo]:
    """read_processes in a worker thread, so the UI loop never waits on /proc or binaries."""
    return await anyio.to_thread.run_sync(lambda: read_processes(cache=cache, exclude=exclude))


def ptrace_scope() -> int | None:
    """kernel.yama.ptrace_scope (0 = classic, 1 = descendants only, 2 = admin only, 3 = none), None if no Yama."""
    try:
        return int(Path("/proc/sys/kernel/yama/ptrace_scope").read_text())
    except (OSError, ValueError):
        return None


_CAP_SYS_PTRACE = 19


def _has_cap_sys_ptrace() -> bool:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> _CAP_SYS_PTRACE & 1)
    except (OSError, ValueError, IndexError):
        pass
    return os.geteuid() == 0


def attach_warning(process: ProcessInfo) -> str | None:
    """Why attaching to ``process`` will probably fail, in words a user can act on; None if it should work.

    Judged from what is knowable without trying: Yama's ptrace_scope, our
    CAP_SYS_PTRACE, and ownership. An existing tracer is a certain failure and
    is reported by ProcessInfo.traced_by instead.
    """
    privileged = _has_cap_sys_ptrace()
    scope = ptrace_scope()
    if scope == 3:
        return "attaching is disabled on this machine (kernel.yama.ptrace_scope=3) until the next reboot"
    if privileged:
        return None
    if scope == 2:
        return "only root can attach here (kernel.yama.ptrace_scope=2); run godbg-tui as root"
    if scope == 1:
        return (
            f"attaching to {process.pid} will likely fail: ptrace is restricted (kernel.yama.ptrace_scope=1); "
            "run as root or set it to 0 (sudo sysctl kernel.yama.ptrace_scope=0)"
        )
    if process.uid != os.geteuid():
        return f"pid {process.pid} belongs to {process.user}; attaching to another user's process needs root"
    return None
