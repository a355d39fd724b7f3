"""Start (or locate) a headless Delve server and own its lifetime.

Linux only (ptrace, /proc, PR_SET_PDEATHSIG, ELF). Facts this module rests on, checked
against dlv 1.27.1 by tests/adapters/test_launcher.py:

* dlv creates its listener *before* it launches or attaches: the unix socket exists and a
  connect succeeds (the kernel queues it) while launch errors are still to come on stderr,
  after which dlv exits 1 and resets the queued connection. Only a JSON-RPC reply proves the
  debugger exists, so readiness is one ``RPCServer.GetVersion`` round trip.
* ``dlv debug``/``dlv test`` build first: compile errors arrive (on stderr in 1.27.1, stdout
  in 1.20.2) before any listener exists.
* dlv 1.27.1 launches non-Go and stripped binaries with only a warning, so they are refused
  here before dlv runs.
* With ``--tty`` dlv prints no "API server listening at" line, so the address must be known
  in advance: a unix socket in a private directory, or a port chosen by us.
* dlv handles SIGTERM (halt, kill a launched target, detach an attached one, exit 0) only
  once launch/attach is done; earlier, SIGTERM kills it outright, possibly orphaning a
  target. A SIGKILLed dlv always orphans a launched target. Hence set_target_pid().

Program stdio: exec and debug give the target a pty of ours (``--tty``), so it sees a
terminal, its stdin is fed by :meth:`DlvServer.write_stdin`, and stdout and stderr arrive
merged as ``"stdout"``. test, attach and core cannot have one: the target's stdout is dlv's
stdout after the listening line and its stderr is dlv's stderr, mixed with dlv's own
messages (a Delve limitation); that stderr is both program output and :meth:`dlv_log`.

This module needs the asyncio backend: reader threads wake the event loop with
``call_soon_threadsafe``. Call :func:`start_dlv` from the event loop's thread, which must
outlive dlv: PR_SET_PDEATHSIG fires when the *thread* that spawned dlv ends.
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import ctypes
import fcntl
import ipaddress
import json
import os
import pwd
import re
import selectors
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import termios
import threading
import time
import weakref
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Literal

import anyio
import anyio.abc

from ..gobinary import read_build_info

Mode = Literal["exec", "debug", "test", "attach", "core", "connect"]
MODES: tuple[str, ...] = ("exec", "debug", "test", "attach", "core", "connect")
LAUNCHED_MODES = ("exec", "debug", "test")
PTY_MODES = ("exec", "debug")

DLV_INSTALL = "go install github.com/go-delve/delve/cmd/dlv@v1.27.1"
MIN_DLV_VERSION = (1, 20, 2)
UNIX_SOCKET_DLV_VERSION = (1, 22, 1)

MAX_PENDING_OUTPUT = 8 * 1024 * 1024
MAX_DLV_LOG = 256 * 1024

_LISTENING = re.compile(rb"^API server listening at: (.+?)\r?$")
_VERSION = re.compile(r"Version:\s*v?(\d+)\.(\d+)\.(\d+)")
_RELEASE = re.compile(r"v(\d+)\.(\d+)\.(\d+)")
DLV_PACKAGE = "github.com/go-delve/delve/cmd/dlv"
_UNAUTHENTICATED = (
    "Delve's JSON-RPC channel at {addr} is not authenticated or encrypted: anyone who can "
    "reach it can run code as you. Prefer a unix socket, or an SSH tunnel "
    "(ssh -L 4040:127.0.0.1:4040 host) to a loopback listener."
)

# Newest Delve release whose supported Go window contains go1.<minor>, from
# pkg/goversion/compat.go of each tag (see ../shared/ref/delve-api.md section 5).
_DLV_FOR_GO = ((25, "v1.27.1"), (24, "v1.26.2"), (22, "v1.25.2"), (21, "v1.25.0"), (19, "v1.22.1"), (18, "v1.20.2"))

_PR_SET_PDEATHSIG = 1
_CAP_SYS_PTRACE = 19
_ET_EXEC, _ET_DYN, _ET_CORE = 2, 3, 4


class LaunchError(Exception):
    """dlv could not be started or reached.

    ``message`` says what happened, ``hint`` what to do about it, ``output`` carries dlv's
    or the compiler's own text for a details view.
    """

    def __init__(self, message: str, hint: str | None = None, output: str = ""):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.output = output

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


@dataclass(frozen=True)
class LaunchSpec:
    """What to debug and how; see :func:`validate_spec` for which fields each mode takes."""

    mode: Mode
    program: str | None = None
    args: tuple[str, ...] = ()
    pid: int | None = None
    core: str | None = None
    address: str | None = None
    test_run: str | None = None
    build_flags: str | None = None
    wd: str | None = None
    env: Mapping[str, str] | None = None
    listen: str | None = None
    dlv_path: str | None = None
    allow_non_loopback: bool = False
    check_go_version: bool = True  # False: dlv --check-go-version=false, for a Go older than dlv supports


@dataclass(frozen=True)
class _Address:
    """A Delve address: a unix socket ``path``, or ``host``:``port``."""

    path: str | None = None
    host: str = ""
    port: int = 0

    def __str__(self) -> str:
        if self.path is not None:
            return f"unix:{self.path}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        if self.path is not None or self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def dialable(self) -> _Address:
        """The address to connect to: a wildcard listener is reached over loopback."""
        if self.path is not None:
            return self
        if self.host in ("", "0.0.0.0"):
            return _Address(host="127.0.0.1", port=self.port)
        if self.host == "::":
            return _Address(host="::1", port=self.port)
        return self


def _parse_address(text: str, *, what: str) -> _Address:
    if text.startswith("unix:") or text.startswith("/"):
        path = text.removeprefix("unix:")
        if not path:
            raise LaunchError(f"{what} {text!r} has an empty socket path", hint="write it as unix:/path/to/dlv.sock")
        return _Address(path=path)
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise LaunchError(
            f"{what} {text!r} is not an address",
            hint="write it as host:port (e.g. 127.0.0.1:4040) or unix:/path/to/dlv.sock",
        )
    return _Address(host=host.removeprefix("[").removesuffix("]"), port=int(port))


def validate_spec(spec: LaunchSpec) -> None:
    """Reject specs that cannot work, before touching the file system or starting anything."""
    if spec.mode not in MODES:
        raise LaunchError(f"unknown mode {spec.mode!r}", hint=f"use one of: {', '.join(MODES)}")
    needs = {
        "exec": ("program",),
        "core": ("program", "core"),
        "attach": ("pid",),
        "connect": ("address",),
    }.get(spec.mode, ())
    for name in needs:
        if not getattr(spec, name):
            raise LaunchError(f"{spec.mode} mode needs a {name}")
    if spec.mode == "attach" and (type(spec.pid) is not int or spec.pid <= 0):
        raise LaunchError(f"pid must be a positive number, got {spec.pid!r}")
    if spec.mode != "attach" and spec.pid is not None:
        raise LaunchError(f"a pid only makes sense in attach mode, not {spec.mode}")
    if spec.test_run is not None and spec.mode != "test":
        raise LaunchError(f"a test regex only makes sense in test mode, not {spec.mode}")
    if spec.build_flags and spec.mode not in ("debug", "test"):
        raise LaunchError(f"build flags only make sense in debug and test modes, not {spec.mode}")
    if spec.args and spec.mode not in LAUNCHED_MODES:
        raise LaunchError(f"program arguments only make sense when dlv starts the program, not in {spec.mode} mode")
    if spec.mode == "connect":
        if spec.listen:
            raise LaunchError("connect mode reaches an existing server; --listen does not apply")
        address = _parse_address(spec.address or "", what="address")
        if address.path is None and address.port == 0:
            raise LaunchError(f"address {spec.address!r} needs a port")
    elif spec.listen:
        address = _parse_address(spec.listen, what="listen address")
        if not address.loopback and not spec.allow_non_loopback:
            raise LaunchError(
                f"refusing to listen on non-loopback address {spec.listen}: "
                "Delve's API is unauthenticated and lets anyone who can connect run code as you",
                hint="use the default private unix socket, or listen on 127.0.0.1 and use an SSH tunnel; "
                "pass --allow-non-loopback if you really mean it",
            )


def find_dlv(explicit: str | None = None) -> str:
    """Locate dlv: ``explicit``, $GODBG_DLV, PATH, then where ``go install`` puts it."""
    install = f"install it with: {DLV_INSTALL}"
    if explicit:
        path = os.path.expanduser(explicit)
        if not os.path.isfile(path) or not os.access(path, os.X_OK):
            raise LaunchError(f"dlv not found at {explicit} (no executable file there)", hint=install)
        return path
    candidates = [os.environ.get("GODBG_DLV"), shutil.which("dlv")]
    if os.environ.get("GOBIN"):
        candidates.append(os.path.join(os.environ["GOBIN"], "dlv"))
    gopath = os.environ.get("GOPATH") or os.path.expanduser("~/go")
    candidates += [os.path.join(entry, "bin", "dlv") for entry in gopath.split(os.pathsep) if entry]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise LaunchError(
        "dlv (Delve) is not installed, or not on PATH",
        hint=f"{install}\nthen put $(go env GOPATH)/bin on PATH, or set GODBG_DLV to its path",
    )


async def dlv_version(path: str) -> tuple[int, int, int]:
    """dlv's version; the launcher needs it to pick unix sockets (1.22.1+).

    Read from the binary's Go build info when ``go install …@vX.Y.Z`` wrote a release
    there (no process to start); else parsed from ``dlv version`` (a build from a
    checkout says ``(devel)`` or a pseudo-version, which need not be the release it is).
    """
    info = read_build_info(path)
    if info is not None and info.path == DLV_PACKAGE and (m := _RELEASE.fullmatch(info.main_version)):
        major, minor, patch = (int(g) for g in m.groups())
        return major, minor, patch
    try:
        with anyio.fail_after(20):
            result = await anyio.run_process([path, "version"], check=False)
    except (OSError, TimeoutError) as exc:
        raise LaunchError(f"could not run {path} version: {exc}", hint=f"reinstall it: {DLV_INSTALL}") from exc
    text = (result.stdout + result.stderr).decode(errors="replace")
    match = _VERSION.search(text)
    if result.returncode != 0 or not match:
        raise LaunchError(f"{path} does not look like Delve", hint=f"install it with: {DLV_INSTALL}", output=text)
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def _format_version(version: tuple[int, int, int]) -> str:
    return ".".join(map(str, version))


# ---------------------------------------------------------------------------------------------
# Cheap checks before dlv runs


def _elf_type(path: str) -> int | None:
    """e_type of an ELF file (executable, PIE, core…), or None if it is not ELF."""
    with open(path, "rb") as f:
        header = f.read(18)
    if len(header) < 18 or header[:4] != b"\x7fELF":
        return None
    return int.from_bytes(header[16:18], "little" if header[5] == 1 else "big")


def _binary_problem(path: str) -> tuple[str, str] | None:
    """Why dlv cannot usefully debug the file at ``path`` (what, hint), or None."""
    rebuild = "build it with: go build -gcflags=all=-N -l"
    elf_type = _elf_type(path)
    if elf_type is None:
        return "is not an ELF executable", f"{rebuild}; to build and debug a package or .go file, use debug mode"
    if elf_type not in (_ET_EXEC, _ET_DYN):
        return "is an ELF file but not an executable", rebuild
    info = read_build_info(path)
    if info is None:
        return "is not a Go program", "godbg-tui debugs Go programs; " + rebuild
    if not info.has_debug_info:
        return (
            "has no debug information (built with -ldflags='-s -w', stripped, or via go run)",
            "rebuild without -ldflags='-s -w': go build -gcflags=all=-N -l",
        )
    return None


def _regular_file(path: str, what: str) -> None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise LaunchError(f"{what} {path} does not exist") from None
    except OSError as exc:
        raise LaunchError(f"cannot read {what} {path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        hint = "to build and debug the package in it, use debug mode" if what == "program" else None
        raise LaunchError(f"{what} {path} is a directory", hint=hint)
    if not stat.S_ISREG(st.st_mode):
        raise LaunchError(f"{what} {path} is not a regular file")
    if not os.access(path, os.R_OK):
        raise LaunchError(f"{what} {path} is not readable by you")


def check_go_binary(path: str, *, need_exec: bool = True) -> None:
    """Refuse files dlv cannot debug; dlv 1.27.1 launches stripped and non-Go ELFs with a mere warning."""
    _regular_file(path, "program")
    if need_exec and not os.access(path, os.X_OK):
        raise LaunchError(f"program {path} is not executable", hint=f"chmod +x {path}, or rebuild it with go build")
    problem = _binary_problem(path)
    if problem:
        raise LaunchError(f"program {path} {problem[0]}", hint=problem[1])


def _proc_status(pid: int) -> dict[str, str]:
    with open(f"/proc/{pid}/status", encoding="utf-8", errors="replace") as f:
        return dict(line.rstrip("\n").partition(":")[::2] for line in f)


def _process_name(pid: int) -> str:
    try:
        return _proc_status(pid).get("Name", "?").strip()
    except OSError:
        return "?"


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _has_cap_sys_ptrace() -> bool:
    return bool(int(_proc_status(os.getpid())["CapEff"].strip(), 16) >> _CAP_SYS_PTRACE & 1)


def _check_attach(pid: int) -> None:
    try:
        status = _proc_status(pid)
    except FileNotFoundError:
        raise LaunchError(f"no process with pid {pid}", hint="check the pid (ps -e) and try again") from None
    if pid == os.getpid():
        raise LaunchError("godbg-tui cannot debug itself")
    name = status["Name"].strip()
    tracer = int(status["TracerPid"].strip())
    if tracer:
        raise LaunchError(
            f"pid {pid} ({name}) is already being debugged by pid {tracer} ({_process_name(tracer)})",
            hint="a process can have only one tracer: detach that debugger (or stop it) first",
        )
    owner = int(status["Uid"].split()[0])
    if owner != os.geteuid() and not _has_cap_sys_ptrace():
        raise LaunchError(
            f"pid {pid} ({name}) belongs to {_user_name(owner)}, not to you ({_user_name(os.geteuid())})",
            hint=f"run godbg-tui as {_user_name(owner)}, or as root",
        )
    exe = f"/proc/{pid}/exe"
    try:
        problem = _binary_problem(exe)
        shown = os.readlink(exe)
    except OSError:
        return  # not readable before ptrace access is granted: dlv will say why
    if problem:
        raise LaunchError(f"pid {pid} ({shown}) {problem[0]}", hint=problem[1])


def _ptrace_hint(pid: int) -> str:
    """Explain, from /proc, why the kernel refused ptrace."""
    reasons = []
    try:
        with open("/proc/sys/kernel/yama/ptrace_scope") as f:
            scope = f.read().strip()
    except OSError:
        scope = "0"
    explained = {
        "1": "kernel.yama.ptrace_scope=1: only a debugger's own descendants may be attached without "
        "CAP_SYS_PTRACE; run `sudo sysctl kernel.yama.ptrace_scope=0`, run as root, or start the "
        "program under the debugger (exec/debug mode)",
        "2": "kernel.yama.ptrace_scope=2: only root (CAP_SYS_PTRACE) may attach",
        "3": "kernel.yama.ptrace_scope=3: attaching is disabled until reboot; start the program "
        "under the debugger (exec/debug mode) instead",
    }
    if scope in explained:
        reasons.append(explained[scope])
    try:
        owner = int(_proc_status(pid)["Uid"].split()[0])
        if os.stat(f"/proc/{pid}/stat").st_uid != owner:  # the kernel gives a non-dumpable task's files to root
            reasons.append(
                "the process is not dumpable (setuid/setcap binary, or it called prctl(PR_SET_DUMPABLE, 0)), "
                "so only root with CAP_SYS_PTRACE may attach"
            )
    except OSError:
        pass
    if not _has_cap_sys_ptrace():
        reasons.append(
            "godbg-tui lacks CAP_SYS_PTRACE; in a container, add it (docker run --cap-add=SYS_PTRACE, "
            "Kubernetes securityContext.capabilities.add: [SYS_PTRACE]) and allow ptrace in seccomp"
        )
    return "; ".join(reasons) or "ptrace is restricted on this system (LSM or seccomp policy)"


def _precheck(spec: LaunchSpec) -> None:
    if spec.wd is not None and not os.path.isdir(spec.wd):
        raise LaunchError(f"working directory {spec.wd} does not exist")
    if spec.mode == "exec":
        check_go_binary(spec.program or "")
    elif spec.mode == "core":
        check_go_binary(spec.program or "", need_exec=False)
        _regular_file(spec.core or "", "core file")
        if _elf_type(spec.core or "") != _ET_CORE:
            raise LaunchError(f"{spec.core} is not an ELF core dump", hint="pass a core file (e.g. from `gcore` or dlv's dump command)")
    elif spec.mode == "attach":
        _check_attach(spec.pid or 0)
    elif (
        spec.program
        and spec.program.startswith((".", "/"))
        and "..." not in spec.program
        and not os.path.exists(spec.program)
    ):
        raise LaunchError(f"package {spec.program} does not exist", hint="give a package directory, an import path or .go files")


# ---------------------------------------------------------------------------------------------
# Explaining a failed start from dlv's own words


def _dlv_for_go(minor: int) -> str | None:
    return next((release for first, release in _DLV_FOR_GO if minor >= first), None)


def _explain_failure(spec: LaunchSpec, text: str, *, returncode: int, listened: bool, dlv: str) -> LaunchError:
    what = {
        "exec": spec.program,
        "core": spec.program,
        "attach": f"pid {spec.pid}",
        "debug": spec.program or ".",
        "test": spec.program or ".",
    }.get(spec.mode)
    lines = [line.strip() for line in text.splitlines() if line.strip()]

    if m := re.search(r"Go version (go1\.(\d+)\S*) is too old for this version of Delve \(minimum supported version ([\d.]+)", text):
        release = _dlv_for_go(int(m[2]))
        hint = (
            f"install a Delve that supports {m[1]}: go install github.com/go-delve/delve/cmd/dlv@{release}, "
            "rebuild the program with a newer Go, or try anyway with --no-check-go-version"
            if release
            else f"no Delve usable by godbg-tui supports {m[1]}; rebuild the program with Go 1.18 or newer"
        )
        return LaunchError(f"{what} was built with {m[1]}, which dlv {dlv} cannot debug (it needs Go {m[3]} or newer)", hint, text)
    if m := re.search(r"Version of Delve is too old for Go version (\S+) \(maximum supported version ([\d.]+)", text):
        return LaunchError(
            f"dlv {dlv} is too old for {what}, built with {m[1]} (it supports Go up to {m[2]})",
            "install a newer Delve: go install github.com/go-delve/delve/cmd/dlv@latest",
            text,
        )
    if "DWARFv5 or later Delve must be built with Go version" in text:
        return LaunchError(
            f"this dlv was compiled with Go older than 1.25 and cannot read the DWARFv5 debug info of {what}",
            f"rebuild dlv with a Go 1.25+ toolchain: {DLV_INSTALL}",
            text,
        )
    if spec.mode == "attach":
        if m := re.search(r"already being debugged by pid (\d+)", text):
            return LaunchError(
                f"pid {spec.pid} is already being debugged by pid {m[1]} ({_process_name(int(m[1]))})",
                "a process can have only one tracer: detach that debugger (or stop it) first",
                text,
            )
        if re.search(r"(?i)could not attach to pid \d+: no such process", text):
            return LaunchError(f"no process with pid {spec.pid} (it has exited)", None, text)
        if re.search(r"operation not permitted|kernel security setting|does not own the process", text):
            return LaunchError(f"could not attach to pid {spec.pid}: the kernel refused ptrace", _ptrace_hint(spec.pid or 0), text)
    if m := re.search(r"could not launch process: (.+)", text):
        return LaunchError(f"could not launch {what}: {m[1].strip()}", None, text)
    if cobra := next((line for line in lines if line.startswith("Error: ")), None):
        return LaunchError(f"dlv rejected its command line: {cobra[7:]}", f"check that dlv {dlv} supports these options", text)
    if spec.mode in ("debug", "test") and not listened:
        first = next((line for line in lines if not line.startswith("#") and not line.startswith("exit status")), "")
        return LaunchError(f"build failed: {first}" if first else "build failed", "the compiler's output is below", text)
    last = lines[-1] if lines else "no output"
    return LaunchError(f"dlv exited with status {returncode} before it was ready: {last}", None, text)


# ---------------------------------------------------------------------------------------------
# Processes


def _die_with_parent(parent: int):
    """preexec_fn: SIGTERM dlv when we die, even by SIGKILL (dlv then kills or detaches the target)."""
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # we died before prctl took effect
            os._exit(1)

    return preexec


def _start_time(pid: int) -> int | None:
    """Kernel start time of a live (non-zombie) process, to tell it from a reused pid."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
    except OSError:
        return None
    return None if fields[0] == b"Z" else int(fields[19])


def _open_pty() -> tuple[int, int, str]:
    """A pty for the target: canonical input (^D is EOF, ^C is SIGINT), no echo, no CR insertion.

    Echo is off because the console pane shows what the user typed itself; ONLCR is off so
    output lines end in a plain ``\\n``.
    """
    master, slave = os.openpty()
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.ONLCR
    attrs[3] &= ~(termios.ECHO | termios.ECHONL)
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    os.set_blocking(master, False)
    return master, slave, os.ttyname(slave)


def _private_dir() -> str:
    """A fresh 0700 directory whose dlv.sock path fits sun_path (108 bytes).

    Its name records our pid and start time, so that a later run can tell when the
    process that made it has died without cleaning up (SIGKILL) and remove it.
    """
    prefix = f"godbg-{os.getpid()}-{_start_time(os.getpid())}-"
    path = tempfile.mkdtemp(prefix=prefix)
    if len(path) > 90:
        os.rmdir(path)
        path = tempfile.mkdtemp(prefix=prefix, dir="/tmp")
    return path


_PRIVATE_NAME = re.compile(r"godbg-(\d+)-(\d+)-[A-Za-z0-9_]+")


def sweep_stale_private_dirs() -> list[str]:
    """Remove private directories left by godbg-tui processes that died without cleaning up.

    Only a directory that is provably ours and orphaned goes: named by :func:`_private_dir`,
    a real directory (not a symlink) owned by our uid, and its recorded process is gone
    (no process with that pid and start time). Returns the paths removed.
    """
    removed = []
    for parent in dict.fromkeys((tempfile.gettempdir(), "/tmp")):
        try:
            names = os.listdir(parent)
        except OSError:
            continue
        for name in names:
            m = _PRIVATE_NAME.fullmatch(name)
            if not m or _start_time(int(m[1])) == int(m[2]):
                continue
            path = os.path.join(parent, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _free_port(host: str) -> int:
    """A currently free TCP port, for ``--tty`` runs where dlv never prints the one it got."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host or "127.0.0.1", 0))
        return s.getsockname()[1]


async def _open_stream(address: _Address) -> anyio.abc.ByteStream:
    if address.path is not None:
        return await anyio.connect_unix(address.path)
    return await anyio.connect_tcp(address.host, address.port)


def _connect_error(address: str, exc: OSError) -> LaunchError:
    cause = exc.__cause__  # anyio.connect_tcp wraps the per-address errors
    if isinstance(cause, BaseExceptionGroup):
        cause = cause.exceptions[0]
    if isinstance(cause, OSError):
        exc = cause
    start = f"start one with: dlv exec PROGRAM --headless --accept-multiclient --listen={address}"
    if isinstance(exc, FileNotFoundError):
        return LaunchError(f"no Delve socket at {address} (the file does not exist)", start)
    if isinstance(exc, ConnectionRefusedError):
        return LaunchError(
            f"nothing is accepting connections at {address} (connection refused)",
            f"is dlv still running there? A dlv without --accept-multiclient serves only its first client; {start}",
        )
    return LaunchError(f"cannot connect to Delve at {address}: {exc.strerror or exc}")


_live_servers: weakref.WeakSet[DlvServer] = weakref.WeakSet()


class DlvServer:
    """A headless dlv: one we started (``owned``) or, for connect mode, just its address."""

    def __init__(self, spec: LaunchSpec, address: _Address, warnings: list[str]):
        self.spec = spec
        self.mode: Mode = spec.mode
        self._address = address
        self.warnings = warnings
        self.owned = spec.mode != "connect"
        self.has_stdin = spec.mode in PTY_MODES
        self.pid: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._private: str | None = None
        self._dlv_version = ""
        self._master: int | None = None
        self._slave: int | None = None
        self._wake_r, self._wake_w = -1, -1
        self._pump: threading.Thread | None = None
        self._lock = threading.Lock()
        self._pending: collections.deque[tuple[str, bytes]] = collections.deque()
        self._pending_bytes = 0
        self._log = bytearray()
        self._stdout_head = bytearray()
        self._listening: bytes | None = None
        self._listener_seen = False
        self._output_done = not self.owned
        self._exit_code: int | None = None
        self._target: tuple[int, int] | None = None
        self._closed = False
        self._loop = asyncio.get_running_loop()
        self._changed = anyio.Event()
        self._terminated = anyio.Event()

    @property
    def address(self) -> str:
        """What the client connects to: ``unix:/path`` or ``host:port``."""
        return str(self._address.dialable())

    # -- start -----------------------------------------------------------------------------

    def _spawn(self, argv: list[str], cwd: str | None, env: dict[str, str] | None, tty: tuple[int, int] | None) -> None:
        try:
            self._proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=cwd,
                env=env,
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),
            )
        except OSError as exc:  # its version came from its build info: it has not run yet
            raise LaunchError(f"could not run {argv[0]}: {exc.strerror or exc}", hint=f"reinstall it: {DLV_INSTALL}") from exc
        if tty:
            self._master, self._slave = tty
        self._wake_r, self._wake_w = os.pipe()
        self.pid = self._proc.pid
        _live_servers.add(self)
        self._pump = threading.Thread(target=self._pump_output, name=f"dlv-{self.pid}-output", daemon=True)
        self._pump.start()
        threading.Thread(target=self._reap, name=f"dlv-{self.pid}-reaper", daemon=True).start()

    def _known_address(self) -> _Address | None:
        """The address to probe, once it is known and (for unix sockets) the file exists."""
        address = self._address
        if address.path is None and address.port == 0:
            if self._listening is None:
                return None
            address = _parse_address(self._listening.decode(errors="replace"), what="dlv's listening address")
            self._address = address
        if address.path is not None and not os.path.exists(address.path):
            return None
        self._listener_seen = True
        return address.dialable()

    async def _wait_ready(self) -> None:
        """Return once dlv answers GetVersion: its listener exists before launch errors are known."""
        while True:
            if self._exit_code is not None:
                raise await self._failure()
            address = self._known_address()
            if address is not None:
                try:
                    stream = await _open_stream(address)
                except OSError:
                    pass
                else:
                    self._listener_seen = True
                    if await self._probe(stream):
                        return
                    with anyio.move_on_after(10):
                        await self.wait_exited()
                    raise await self._failure()
            with anyio.move_on_after(0.05):
                await self._changed.wait()

    async def _probe(self, stream: anyio.abc.ByteStream) -> bool:
        """One GetVersion round trip; False if dlv drops the connection (it is failing)."""
        request = {"method": "RPCServer.GetVersion", "params": [{}], "id": 0}
        reply = b""
        async with stream:
            try:
                await stream.send(json.dumps(request).encode() + b"\n")
                while b"\n" not in reply:
                    reply += await stream.receive()
            except (OSError, anyio.EndOfStream, anyio.BrokenResourceError):
                return False
        return True

    async def _failure(self) -> LaunchError:
        with anyio.move_on_after(2):  # dlv's last words may still be in the pipes
            while not self._output_done:
                await self._changed.wait()
        return _explain_failure(
            self.spec,
            self.dlv_log(),
            returncode=self._exit_code if self._exit_code is not None else -1,
            listened=self._listener_seen,
            dlv=self._dlv_version,
        )

    # -- background threads --------------------------------------------------------------

    def _pump_output(self) -> None:
        """Drain dlv's pipes and the pty without pause: a full 64 KiB pipe would stall the target."""
        assert self._proc is not None and self._proc.stdout and self._proc.stderr
        sources = {self._proc.stdout.fileno(): "dlv-stdout", self._proc.stderr.fileno(): "dlv-stderr"}
        if self._master is not None:
            sources[self._master] = "pty"
        with selectors.DefaultSelector() as selector:
            for fd in sources:
                os.set_blocking(fd, False)
                selector.register(fd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            stopping = False
            while sources:
                ready = selector.select(0 if stopping else None)
                if stopping and not ready:
                    break
                for key, _ in ready:
                    fd = key.fd
                    if fd == self._wake_r:
                        stopping = True
                        selector.unregister(fd)
                        continue
                    try:
                        chunk = os.read(fd, 65536)
                    except BlockingIOError:
                        continue
                    except OSError:  # EIO: the pty has no open slave any more
                        chunk = b""
                    if chunk:
                        self._take(sources[fd], chunk)
                    else:
                        selector.unregister(fd)
                        del sources[fd]
                self._notify()
        with self._lock:
            self._output_done = True
        self._notify()

    def _take(self, source: str, chunk: bytes) -> None:
        with self._lock:
            if source == "pty":
                self._queue("stdout", chunk)
            elif source == "dlv-stderr":
                self._append_log(chunk)
                if self.mode not in PTY_MODES:
                    self._queue("stderr", chunk)
            elif self.mode in PTY_MODES:
                self._append_log(chunk)  # with --tty nothing of the target's comes this way
            elif self._listening is not None:
                self._queue("stdout", chunk)
            else:
                self._stdout_head += chunk
                while self._listening is None and b"\n" in self._stdout_head:
                    line, _, rest = self._stdout_head.partition(b"\n")
                    self._stdout_head = bytearray(rest)
                    if m := _LISTENING.match(bytes(line)):
                        self._listening = m[1]
                    self._append_log(bytes(line) + b"\n")
                if self._listening is not None and self._stdout_head:
                    self._queue("stdout", bytes(self._stdout_head))
                    self._stdout_head.clear()

    def _queue(self, stream: str, chunk: bytes) -> None:
        self._pending.append((stream, chunk))
        self._pending_bytes += len(chunk)
        dropped = 0
        while self._pending_bytes > MAX_PENDING_OUTPUT:
            _, old = self._pending.popleft()
            self._pending_bytes -= len(old)
            dropped += len(old)
        if dropped:
            self._append_log(f"godbg: dropped {dropped} bytes of unread program output\n".encode())

    def _append_log(self, chunk: bytes) -> None:
        self._log += chunk
        if len(self._log) > MAX_DLV_LOG:
            del self._log[: len(self._log) - MAX_DLV_LOG]

    def _reap(self) -> None:
        """The only place dlv is reaped, so ``_exit_code is None`` means its pid is still its own."""
        assert self._proc is not None and self.pid is not None
        try:
            os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOWAIT)
            # dlv is a zombie now, so its pid (= its process group) cannot be reused yet: kill
            # what it left in its group (an interrupted `go build`); the target has its own.
            os.killpg(self.pid, signal.SIGKILL)
        except (ChildProcessError, ProcessLookupError):
            pass
        with self._lock:
            self._exit_code = self._proc.wait()
            self._close_slave()
        self._notify()

    def _signal_dlv(self, sig: signal.Signals) -> None:
        with self._lock:
            if self.pid is not None and self._exit_code is None:
                os.kill(self.pid, sig)

    def _close_slave(self) -> None:
        """Drop our slave fd (lock held), so the master reads EOF once the target is gone too."""
        if self._slave is not None:
            os.close(self._slave)
            self._slave = None

    def _notify(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._wake_waiters)
        except RuntimeError:  # the event loop is closed; nobody is waiting
            pass

    def _wake_waiters(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    # -- public API ----------------------------------------------------------------------

    async def program_output(self) -> AsyncIterator[tuple[str, bytes]]:
        """The target's output as ("stdout"|"stderr", chunk) until dlv and the target are gone.

        Single consumer. Output nobody reads is kept up to 8 MiB, then the oldest is dropped.
        """
        while True:
            with self._lock:
                item = self._pending.popleft() if self._pending else None
                if item:
                    self._pending_bytes -= len(item[1])
                done = self._output_done
            if item:
                yield item
            elif done:
                return
            else:
                await self._changed.wait()

    async def write_stdin(self, data: bytes) -> None:
        """Send bytes to the target's stdin (exec and debug only: the others have no pty).

        The pty is in canonical mode: input reaches the program a line at a time, ``b"\\x04"``
        at the start of a line is end-of-file, ``b"\\x03"`` sends SIGINT, and a line longer
        than 4095 bytes is truncated by the kernel.
        """
        if not self.has_stdin:
            raise RuntimeError(f"the program's stdin is not connected in {self.mode} mode (only exec and debug have a pty)")
        view = memoryview(data)
        while view:
            if self._master is None:
                raise RuntimeError("the debugger session has ended")
            try:
                view = view[os.write(self._master, view) :]
            except BlockingIOError:
                await anyio.wait_writable(self._master)

    def dlv_log(self) -> str:
        """dlv's own stderr and pre-listening stdout (last 256 KiB): diagnostics and build output."""
        with self._lock:
            return self._log.decode(errors="replace")

    @property
    def exit_code(self) -> int | None:
        """dlv's exit code once it has exited (-N: killed by signal N); None while it runs."""
        return self._exit_code

    async def wait_exited(self) -> int:
        """dlv's exit code; for connect mode, returns 0 once :meth:`terminate` has been called."""
        if not self.owned:
            await self._terminated.wait()
            return 0
        while self._exit_code is None:
            await self._changed.wait()
        return self._exit_code

    async def connect(self, timeout: float = 10.0) -> anyio.abc.ByteStream:
        """Open a JSON-RPC stream to the server, with a LaunchError that says what to do on failure."""
        try:
            with anyio.fail_after(timeout):
                return await _open_stream(self._address.dialable())
        except TimeoutError:
            raise LaunchError(f"timed out connecting to Delve at {self.address}", "is the host reachable?") from None
        except OSError as exc:
            raise _connect_error(self.address, exc) from exc

    def set_target_pid(self, pid: int) -> None:
        """Remember the launched target so terminate() can reap it if dlv dies and orphans it.

        Ignored for attach (not ours to kill), core and connect. The start time guards against
        killing an unrelated process that reused the pid.
        """
        if self.mode in LAUNCHED_MODES and (start := _start_time(pid)) is not None:
            self._target = (pid, start)

    async def terminate(self, grace: float = 3.0) -> None:
        """Stop dlv (SIGTERM: it kills a launched target, detaches an attached one), SIGKILL
        after ``grace``, reap an orphaned target, remove the private directory. Idempotent."""
        with anyio.CancelScope(shield=True):
            if self._closed:
                await self._terminated.wait()
                return
            self._closed = True
            try:
                if self._proc is not None and self._exit_code is None:
                    self._signal_dlv(signal.SIGTERM)
                    with anyio.move_on_after(grace):
                        await self.wait_exited()
                    self._signal_dlv(signal.SIGKILL)
                    with anyio.move_on_after(5):
                        await self.wait_exited()
                await anyio.to_thread.run_sync(self._release)
            finally:
                self._terminated.set()

    def kill_now(self) -> None:
        """Synchronous terminate() for signal handlers and atexit: SIGTERM, a short wait, SIGKILL."""
        for sig, patience in ((signal.SIGTERM, 1.0), (signal.SIGKILL, 2.0)):
            self._signal_dlv(sig)
            deadline = time.monotonic() + patience
            while self._proc is not None and self._exit_code is None and time.monotonic() < deadline:
                time.sleep(0.01)  # the reaper thread records the exit
        self._closed = True
        self._release()
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._terminated.set)

    def _release(self) -> None:
        """Kill an orphaned target, stop the reader thread, close fds, remove the private dir."""
        if self._target is not None:
            pid, start = self._target
            if _start_time(pid) == start:
                try:
                    pgid = os.getpgid(pid)
                    if pgid == pid and pgid != os.getpgrp():
                        os.killpg(pgid, signal.SIGKILL)
                    else:
                        os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                deadline = time.monotonic() + 2.0
                while _start_time(pid) == start and time.monotonic() < deadline:
                    time.sleep(0.01)
        with self._lock:
            self._close_slave()
        if self._pump is not None:
            try:
                os.write(self._wake_w, b"x")
            except OSError:
                pass
            self._pump.join(timeout=2.0)
            if not self._pump.is_alive():
                for fd in (self._master, self._wake_r, self._wake_w):
                    if fd is not None and fd >= 0:
                        os.close(fd)
                self._master, self._wake_r, self._wake_w = None, -1, -1
            self._pump = None
        if self._private is not None:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None
        _live_servers.discard(self)


@atexit.register
def _kill_survivors() -> None:
    """Safety net: never leave a dlv (and its target) behind when Python exits."""
    for server in list(_live_servers):
        server.kill_now()


def _build_dir(spec: LaunchSpec) -> str | None:
    """The package directory to run ``dlv debug``/``dlv test`` in, so that go finds *its* module."""
    if spec.mode in ("debug", "test") and spec.program and os.path.isdir(spec.program):
        return os.path.abspath(spec.program)
    return None


def _dlv_argv(spec: LaunchSpec, dlv: str, listen: str, private: str, tty: str | None) -> list[str]:
    argv = [dlv, spec.mode]
    wd = os.path.abspath(spec.wd) if spec.wd else None
    if spec.mode == "attach":
        argv.append(str(spec.pid))
    elif spec.mode == "core":
        argv += [spec.program or "", spec.core or ""]
    elif spec.mode == "exec":
        argv.append(spec.program or "")
    elif _build_dir(spec):
        argv.append(".")
        if spec.mode == "debug" and wd is None:
            wd = os.getcwd()  # dlv debug runs the program in its own cwd, which we moved
    else:
        argv.append(spec.program or ".")
    argv += ["--headless", "--api-version=2", "--accept-multiclient", f"--listen={listen}"]
    if not spec.check_go_version:
        argv.append("--check-go-version=false")
    if tty:
        argv.append(f"--tty={tty}")
    if spec.mode == "debug":
        argv.append(f"--output={os.path.join(private, '__debug_bin')}")
    elif spec.mode == "test":
        argv.append(f"--output={os.path.join(private, 'debug.test')}")
    if spec.build_flags:
        argv.append(f"--build-flags={spec.build_flags}")
    if wd:
        argv.append(f"--wd={wd}")
    target_args = list(spec.args)
    if spec.test_run is not None:
        target_args = ["-test.run", spec.test_run, *target_args]
    if target_args:
        argv += ["--", *target_args]
    return argv


def _connect_only(spec: LaunchSpec) -> DlvServer:
    """connect mode: no probe, since a dlv without --accept-multiclient would take the
    probe as its one client and shut down when it closes."""
    address = _parse_address(spec.address or "", what="address")
    warnings = []
    if address.path is not None:
        try:
            is_socket = stat.S_ISSOCK(os.stat(address.path).st_mode)
        except FileNotFoundError:
            raise _connect_error(str(address), FileNotFoundError()) from None
        if not is_socket:
            raise LaunchError(f"{address.path} is not a socket", "give the path dlv was started with via --listen=unix:PATH")
    elif not address.loopback:
        warnings.append(_UNAUTHENTICATED.format(addr=address))
    return DlvServer(spec, address, warnings)


async def start_dlv(spec: LaunchSpec, *, ready_timeout: float = 60) -> DlvServer:
    """Start a headless dlv for ``spec`` and return once it answers JSON-RPC.

    A dlv that :func:`prestart_dlv` spawned for an equal spec is adopted instead of
    starting another. Raises LaunchError with dlv's (or the compiler's) output when it
    cannot start.
    """
    validate_spec(spec)
    if spec.mode == "connect":
        return _connect_only(spec)
    server = _adopt_prestarted(spec) or await _spawn_dlv(spec)
    try:
        with anyio.fail_after(ready_timeout):
            await server._wait_ready()
    except TimeoutError:
        await server.terminate(grace=1.0)
        raise LaunchError(
            f"dlv did not become ready within {ready_timeout:g} s",
            "a large build may need a longer timeout; dlv's output is below",
            server.dlv_log(),
        ) from None
    except BaseException:
        await server.terminate(grace=1.0)
        raise
    server.warnings += [line for line in server.dlv_log().splitlines() if line.lower().startswith("warning")]
    return server


async def _spawn_dlv(spec: LaunchSpec) -> DlvServer:
    """Check ``spec``, then run dlv for it (not waiting for it to be ready)."""
    _precheck(spec)
    dlv = find_dlv(spec.dlv_path)
    version = await dlv_version(dlv)
    if version < MIN_DLV_VERSION:
        raise LaunchError(
            f"dlv {_format_version(version)} at {dlv} is too old: godbg-tui needs {_format_version(MIN_DLV_VERSION)} or newer",
            f"install a current one: {DLV_INSTALL}",
        )
    warnings: list[str] = []
    use_pty = spec.mode in PTY_MODES
    sweep_stale_private_dirs()
    private = _private_dir()
    tty: tuple[int, int, str] | None = None
    try:
        if spec.listen:
            address = _parse_address(spec.listen, what="listen address")
            if address.path is not None and version < UNIX_SOCKET_DLV_VERSION:
                raise LaunchError(
                    f"dlv {_format_version(version)} cannot listen on a unix socket (needs 1.22.1 or newer)",
                    f"listen on 127.0.0.1:PORT instead, or upgrade: {DLV_INSTALL}",
                )
            if not address.loopback:
                warnings.append(_UNAUTHENTICATED.format(addr=address))
        elif version >= UNIX_SOCKET_DLV_VERSION:
            address = _Address(path=os.path.join(private, "dlv.sock"))
        else:
            address = _Address(host="127.0.0.1")  # --only-same-user guards loopback TCP
        if use_pty and address.path is None and address.port == 0:
            address = _Address(host=address.host, port=_free_port(address.host))
        if use_pty:
            tty = _open_pty()
        server = DlvServer(spec, address, warnings)
        server._private = private
        server._dlv_version = _format_version(version)
        env = {**os.environ, **spec.env} if spec.env else None
        argv = _dlv_argv(spec, dlv, str(address), private, tty[2] if tty else None)
        server._spawn(argv, _build_dir(spec), env, tty[:2] if tty else None)
    except BaseException:
        if tty:
            os.close(tty[0])
            os.close(tty[1])
        shutil.rmtree(private, ignore_errors=True)
        raise
    return server


# ---------------------------------------------------------------------------------------------
# Starting dlv while the UI loads

_prestarted: list[DlvServer] = []
DISCARD_READY_S = 2.0


async def prestart_dlv(spec: LaunchSpec) -> DlvServer | None:
    """Run dlv for ``spec`` now and return without waiting for it: dlv loads the program (or
    builds it) while the caller does other work, and the next :func:`start_dlv` of an
    equal spec adopts it. :func:`discard_prestarted` stops it if nobody does.

    Nothing is started for connect mode (nothing to start). A spec that cannot start raises
    LaunchError here as start_dlv would; a caller may ignore it and let start_dlv say it.
    Same rules as start_dlv: call it from the event loop's thread, which must outlive dlv.
    """
    validate_spec(spec)
    if spec.mode == "connect":
        return None
    server = await _spawn_dlv(spec)
    _prestarted.append(server)
    return server


def _adopt_prestarted(spec: LaunchSpec) -> DlvServer | None:
    for server in _prestarted:
        if server.spec == spec:
            _prestarted.remove(server)
            return server
    return None


async def discard_prestarted() -> None:
    """Stop every pre-started dlv nobody adopted, and what it launched.

    Each gets up to DISCARD_READY_S to finish launching first: before that dlv dies of
    SIGTERM without killing the target it has just started; after it, SIGTERM makes dlv
    kill (exec, debug, test) or detach from (attach) its target.
    """
    while _prestarted:
        server = _prestarted.pop()
        with anyio.move_on_after(DISCARD_READY_S), contextlib.suppress(LaunchError):
            await server._wait_ready()
        await server.terminate(grace=1.0)
