"""Debug a process on another machine over SSH: ``godbg-tui ssh [user@]host attach PID``.

One ``ssh`` process (the system's, so ~/.ssh/config, agents and jump hosts apply) runs a
headless dlv on the remote host listening on a unix socket in a fresh private directory,
and forwards that socket to one in a private local directory (``-L local.sock:remote.sock``
over the same connection). The session then connects to the local socket like any
``connect``.

Teardown, by construction rather than by cleanup code that may never run:

* Our end: ssh gets PR_SET_PDEATHSIG (SIGTERM), so it dies with us even on SIGKILL;
  closing its stdin is the normal "quit".
* Their end: the remote command is a ``sh -c`` script whose stdin is the SSH channel. A
  watcher in it reads that stdin; end-of-file — we quit, ssh died, or sshd dropped the
  connection — SIGTERMs dlv (which detaches an attached process, or kills one it started),
  SIGKILLs it 5 s later if need be, and the script removes the remote directory once dlv
  is gone. dlv itself reads /dev/null, so it never sees the channel.
* A network partition that leaves sshd believing the client is alive delays this until
  sshd's ClientAlive/TCP keepalive gives up; we send ServerAlive probes from our side.

The remote side necessarily goes through the remote user's login shell: the command is
``sh -c '<script>'`` with every interpolated value shlex-quoted, and the script is one line
without backslashes or single quotes of its own, so that csh and fish pass it through
unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import subprocess
import weakref
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Literal

import anyio

from .dlv.launcher import (
    DLV_INSTALL,
    LaunchError,
    LaunchSpec,
    _die_with_parent,
    _private_dir,
    sweep_stale_private_dirs,
)

RemoteMode = Literal["attach", "exec"]

REMOTE_TMP = "/tmp"
MAX_LOG = 256 * 1024
MAX_PENDING_OUTPUT = 8 * 1024 * 1024
# Fixed options: no prompts (there is no terminal to answer them), no shared ControlMaster
# connection (the forward and the remote command must live and die with this ssh), fail
# when the forward cannot be set up, replace a stale local socket, notice a dead link.
SSH_OPTIONS = (
    "-T",
    "-o", "BatchMode=yes",
    "-o", "ExitOnForwardFailure=yes",
    "-o", "StreamLocalBindUnlink=yes",
    "-o", "ControlMaster=no",
    "-o", "ControlPath=none",
    "-o", "ServerAliveInterval=15",
    "-o", "ServerAliveCountMax=3",
)  # fmt: skip

POLICY_REFUSAL_S = 3.0
_EXIT_MKDIR = 97
_EXIT_NO_DLV = 98
_CHANNEL_REFUSED = re.compile(r"open failed: (administratively prohibited|connect failed: open failed)")
_LISTENING = re.compile(rb"API server listening at: [^\n]*\n")


@dataclass(frozen=True)
class SshRequest:
    """What to debug where. ``ssh_options`` are passed to ssh before the destination
    (``-p 2222``, ``-i key``, ``-J jump``, ``-o Name=value``, ``-F file``, ``-l user``)."""

    destination: str
    mode: RemoteMode
    pid: int | None = None
    program: str | None = None
    args: tuple[str, ...] = ()
    wd: str | None = None
    ssh_options: tuple[str, ...] = ()
    remote_dlv: str = "dlv"
    ssh_path: str = "ssh"


def validate_request(request: SshRequest) -> None:
    if not request.destination or request.destination.startswith("-"):
        raise LaunchError(f"{request.destination!r} is not an SSH destination", "write it as [user@]host")
    if request.mode == "attach":
        if type(request.pid) is not int or request.pid <= 0:
            raise LaunchError(f"pid must be a positive number, got {request.pid!r}")
        if request.args or request.program or request.wd:
            raise LaunchError("attach takes only a pid (program, arguments and working directory are the process's own)")
    elif request.mode == "exec":
        if not request.program:
            raise LaunchError("exec needs the path of the program on the remote host")
        if request.pid is not None:
            raise LaunchError("a pid only makes sense with attach")
    else:
        raise LaunchError(f"unknown remote mode {request.mode!r}", "use attach PID or exec PATH")


def remote_dlv_argv(request: SshRequest, listen_path: str) -> list[str]:
    """dlv's command line on the remote host (the dlv binary itself is resolved by the script)."""
    argv = [request.mode]
    argv.append(str(request.pid) if request.mode == "attach" else request.program or "")
    argv += ["--headless", "--accept-multiclient", "--api-version=2", f"--listen=unix:{listen_path}"]
    if request.wd:
        argv.append(f"--wd={request.wd}")
    if request.args:
        argv += ["--", *request.args]
    return argv


def remote_script(request: SshRequest, token: str, remote_dir: str) -> str:
    """The one-line POSIX sh script run remotely (see the module docstring for why so).

    It prints ``GODBG-<token> exited <status>`` when dlv has gone and the directory is
    removed, and ``GODBG-<token> ptrace_scope <n>`` after a failure.
    """
    q = shlex.quote
    mark = f"GODBG-{token}"
    dlv_args = " ".join(q(a) for a in remote_dlv_argv(request, f"{remote_dir}/dlv.sock"))
    find_dlv = (
        f"dlv={q(request.remote_dlv)}; "
        'if command -v "$dlv" >/dev/null 2>&1; then :; '
        f'elif [ "$dlv" = dlv ] && [ -x "$HOME/go/bin/dlv" ]; then dlv="$HOME/go/bin/dlv"; '
        f'else echo "{mark} nodlv"; rmdir "$d"; exit {_EXIT_NO_DLV}; fi'
    )
    steps = [
        "umask 077",
        'trap "" HUP PIPE',
        f"d={q(remote_dir)}",
        f'mkdir "$d" 2>/dev/null || {{ echo "{mark} mkdir"; exit {_EXIT_MKDIR}; }}',
        find_dlv,
        "exec 3<&0",
        f'"$dlv" {dlv_args} </dev/null & p=$!',
        "( while read -r x <&3; do :; done; kill -TERM $p; sleep 5; kill -KILL $p ) >/dev/null 2>&1 & w=$!",
        "exec 3<&-",
        'wait "$p"; s=$?',
        'kill "$w" 2>/dev/null',
        'rm -rf "$d"',
        f'[ "$s" = 0 ] || echo "{mark} ptrace_scope $(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null)"',
        f'echo "{mark} exited $s"',
        'exit "$s"',
    ]
    return "; ".join(steps)


def ssh_argv(request: SshRequest, local_socket: str, remote_dir: str, token: str) -> list[str]:
    script = remote_script(request, token, remote_dir)
    return [
        request.ssh_path,
        *SSH_OPTIONS,
        *request.ssh_options,
        "-L", f"{local_socket}:{remote_dir}/dlv.sock",
        "--",
        request.destination,
        f"sh -c {shlex.quote(script)}",
    ]  # fmt: skip


_live_targets: weakref.WeakSet[SshTarget] = weakref.WeakSet()


class SshTarget:
    """A headless dlv on a remote host, reachable at :attr:`spec` (a ``connect`` LaunchSpec).

    ``async with SshTarget(request) as remote: async with DebugSession(remote.spec) …``.
    Create and close it on the event loop's thread (PR_SET_PDEATHSIG follows the thread
    that spawned ssh); asyncio backend only.
    """

    def __init__(self, request: SshRequest):
        validate_request(request)
        self.request = request
        self.token = secrets.token_hex(8)
        self.remote_dir = f"{REMOTE_TMP}/godbg-{self.token}"
        self.local_dir: str | None = None
        self.spec: LaunchSpec | None = None
        self.exit_status: int | None = None
        self.warnings: list[str] = []
        self._proc: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []
        self._log = bytearray()
        self._stdout_head = bytearray()
        self._pending: deque[tuple[str, bytes]] = deque()
        self._pending_bytes = 0
        self._markers: dict[str, str] = {}
        self._listening = False
        self._streams_open = 0
        self._changed = asyncio.Event()
        self._closed = False

    async def __aenter__(self) -> SshTarget:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def describe(self) -> str:
        what = f"pid {self.request.pid}" if self.request.mode == "attach" else self.request.program
        return f"{what} on {self.request.destination} (over ssh)"

    # -- start ------------------------------------------------------------------------------

    async def start(self, ready_timeout: float = 60.0) -> None:
        """Run ssh and dlv, and return once dlv answers through the forwarded socket."""
        ssh = shutil.which(self.request.ssh_path)
        if ssh is None:
            raise LaunchError(f"{self.request.ssh_path} not found", "install the OpenSSH client (e.g. apt-get install openssh-client)")
        sweep_stale_private_dirs()
        self.local_dir = _private_dir()
        local_socket = os.path.join(self.local_dir, "dlv.sock")
        argv = ssh_argv(self.request, local_socket, self.remote_dir, self.token)
        argv[0] = ssh
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),
            )
        except OSError as exc:
            self._release()
            raise LaunchError(f"could not run {ssh}: {exc.strerror}") from exc
        _live_targets.add(self)
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._streams_open = 2
        self._readers = [
            asyncio.ensure_future(self._read(self._proc.stdout, "stdout")),
            asyncio.ensure_future(self._read(self._proc.stderr, "stderr")),
            asyncio.ensure_future(self._reap()),
        ]
        try:
            with anyio.fail_after(ready_timeout):
                await self._wait_ready(local_socket)
        except TimeoutError:
            await self.close()
            raise LaunchError(
                f"dlv on {self.request.destination} did not become ready within {ready_timeout:g} s",
                "is the host slow to log in (DNS, MOTD scripts)? The output of ssh and dlv is below",
                self.log(),
            ) from None
        except BaseException:
            await self.close()
            raise
        self.spec = LaunchSpec(mode="connect", address=f"unix:{local_socket}")

    async def _wait_ready(self, local_socket: str) -> None:
        """Wait for dlv's listening line, then for a GetVersion reply through the tunnel."""
        refused_since: float | None = None
        while True:
            if self.exit_status is not None:
                raise await self._failure()
            if self._listening and os.path.exists(local_socket):
                if await _probe(local_socket):
                    return
                if _CHANNEL_REFUSED.search(self.log()):
                    # sshd words a policy refusal and a dead dlv alike; only a dlv that stays
                    # up (its script has not reported its exit) means forwarding is forbidden
                    now = anyio.current_time()
                    refused_since = refused_since or now
                    if now - refused_since > POLICY_REFUSAL_S and "exited" not in self._markers:
                        raise explain_failure(self.request, self.log(), None, {**self._markers, "forward": "refused"})
            await self._next_change(0.5)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _next_change(self, timeout: float) -> None:
        """Wait for the next output/exit, at most ``timeout`` s (check state before calling)."""
        event = self._changed
        with anyio.move_on_after(timeout):
            await event.wait()

    async def _failure(self) -> LaunchError:
        await self._drained(2.0)
        return explain_failure(self.request, self.log(), self.exit_status, self._markers)

    # -- background -------------------------------------------------------------------------

    async def _read(self, stream: asyncio.StreamReader, name: str) -> None:
        carry = b""
        marker = f"GODBG-{self.token} ".encode()
        try:
            while chunk := await stream.read(65536):
                data = carry + chunk
                carry = b""
                if name == "stdout":
                    data, carry = self._take_markers(data, marker)
                self._take(name, data)
        finally:
            if carry:
                self._take(name, carry)
            self._streams_open -= 1
            self._notify()

    def _take_markers(self, data: bytes, marker: bytes) -> tuple[bytes, bytes]:
        """Remove our ``GODBG-<token> word value`` lines; keep a possibly cut marker for later."""
        out = bytearray()
        while True:
            at = data.find(marker)
            if at < 0:
                break
            end = data.find(b"\n", at)
            if end < 0:
                return bytes(out + data[:at]), data[at:]
            out += data[:at]
            word, _, value = data[at + len(marker) : end].decode(errors="replace").partition(" ")
            self._markers[word] = value.strip()
            data = data[end + 1 :]
        for keep in range(min(len(marker) - 1, len(data)), 0, -1):
            if marker.startswith(data[-keep:]):
                return bytes(out + data[:-keep]), data[-keep:]
        return bytes(out + data), b""

    def _take(self, name: str, data: bytes) -> None:
        """Route ssh's output: dlv's listening line and messages to the log, the program's
        output (everything on stdout after that line; exec: stderr too) to the queue."""
        if not data:
            return
        if name == "stdout" and not self._listening:
            self._stdout_head += data
            m = _LISTENING.search(self._stdout_head)
            if m is None:
                return
            self._listening = True
            self._append_log(bytes(self._stdout_head[: m.end()]))
            self._queue_output("stdout", bytes(self._stdout_head[m.end() :]))
            self._stdout_head.clear()
        elif name == "stdout":
            self._queue_output("stdout", data)
        else:
            self._append_log(data)
            if self._listening and self.request.mode == "exec":  # the program's stderr is dlv's
                self._queue_output("stderr", data)
        self._notify()

    def _queue_output(self, stream: str, data: bytes) -> None:
        if not data:
            return
        self._pending.append((stream, data))
        self._pending_bytes += len(data)
        while self._pending_bytes > MAX_PENDING_OUTPUT:
            _, old = self._pending.popleft()
            self._pending_bytes -= len(old)

    def _append_log(self, data: bytes) -> None:
        self._log += data
        if len(self._log) > MAX_LOG:
            del self._log[: len(self._log) - MAX_LOG]

    async def _reap(self) -> None:
        assert self._proc is not None
        self.exit_status = await self._proc.wait()
        self._notify()

    async def _drained(self, timeout: float) -> None:
        """Wait until ssh's pipes are read to the end (its last words are in), at most ``timeout`` s."""
        with anyio.move_on_after(timeout):
            while self._streams_open:
                await self._next_change(timeout)

    # -- public -----------------------------------------------------------------------------

    def log(self) -> str:
        """What ssh and dlv said (last 256 KiB), without the program's own output."""
        return (self._log + self._stdout_head).decode(errors="replace")

    async def program_output(self) -> AsyncIterator[tuple[str, bytes]]:
        """The remote program's output, for exec (attach: the process keeps its own stdio)."""
        while True:
            if self._pending:
                stream, data = self._pending.popleft()
                self._pending_bytes -= len(data)
                yield stream, data
            elif self.exit_status is not None and not self._streams_open:
                return
            else:
                await self._next_change(5.0)

    async def close(self, grace: float = 10.0) -> None:
        """End the remote dlv (it detaches or kills the target), wait for the remote directory
        to be removed, then stop ssh and remove the local directory. Idempotent."""
        if self._closed:
            return
        self._closed = True
        proc = self._proc
        with anyio.CancelScope(shield=True):
            if proc is not None and proc.returncode is None:
                if proc.stdin is not None:
                    proc.stdin.close()
                with anyio.move_on_after(grace):
                    await proc.wait()
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    if proc.returncode is None:
                        proc.send_signal(sig)
                        with anyio.move_on_after(3):
                            await proc.wait()
            await self._drained(2.0)
            if proc is not None and "exited" not in self._markers and self.spec is not None:
                self.warnings.append(
                    f"could not confirm that dlv on {self.request.destination} has exited; it stops by itself "
                    f"when sshd notices the connection is gone (check for a leftover {self.remote_dir})"
                )
            for task in self._readers:
                task.cancel()
            self._release()

    def kill_now(self) -> None:
        """For atexit: end ssh at once; the remote script then stops dlv by itself."""
        proc = self._proc
        if proc is not None and proc.returncode is None:
            try:
                proc.kill()
            except ProcessLookupError:
                pass
        self._release()

    def _release(self) -> None:
        if self.local_dir is not None:
            shutil.rmtree(self.local_dir, ignore_errors=True)
            self.local_dir = None
        _live_targets.discard(self)


async def _probe(socket_path: str, timeout: float = 10.0) -> bool:
    """One GetVersion round trip through the tunnel. False when the connection closes first:
    dlv listens before it attaches, so it may still be failing, or the channel is not up."""
    request = json.dumps({"method": "RPCServer.GetVersion", "params": [{}], "id": 0}).encode() + b"\n"
    reply = b""
    with anyio.move_on_after(timeout):
        try:
            async with await anyio.connect_unix(socket_path) as stream:
                await stream.send(request)
                while b"\n" not in reply:
                    reply += await stream.receive()
        except (OSError, anyio.EndOfStream, anyio.BrokenResourceError):
            return False
    return b'"result"' in reply


@atexit.register
def _end_survivors() -> None:
    for target in list(_live_targets):
        target.kill_now()


def explain_failure(request: SshRequest, log: str, status: int | None, markers: dict[str, str]) -> LaunchError:
    """Turn ssh's and dlv's last words into what happened and what to do."""
    host = request.destination
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    if "nodlv" in markers or status == _EXIT_NO_DLV:
        return LaunchError(
            f"dlv is not installed on {host} (not {request.remote_dlv!r} on the remote PATH, nor ~/go/bin/dlv)",
            f"install it there ({DLV_INSTALL}), or pass --remote-dlv /path/to/dlv",
            log,
        )
    if "mkdir" in markers or status == _EXIT_MKDIR:
        return LaunchError(f"could not create a private directory in {REMOTE_TMP} on {host}", "check that /tmp is writable there", log)
    if markers.get("forward") == "refused":
        return LaunchError(
            f"the SSH server on {host} does not allow forwarding a unix socket",
            "ask for AllowStreamLocalForwarding yes (and no DisableForwarding) in its sshd_config",
            log,
        )
    if status == 255 or "exited" not in markers:
        for pattern, message, hint in _SSH_FAILURES:
            if re.search(pattern, log):
                return LaunchError(message.format(host=host), hint.format(host=host), log)
        last = lines[-1] if lines else f"ssh exited with status {status}"
        return LaunchError(f"ssh to {host} failed: {last}", "try `ssh " + host + " true` to see why", log)
    if "could not attach" in log or "does not own the process" in log:
        attach_line = next((line for line in lines if "attach" in line.lower()), lines[-1] if lines else "")
        hint = _ptrace_hint(markers.get("ptrace_scope", ""), request.pid)
        if re.search(r"no such process", log, re.I):
            hint = f"check the pid on {host} (ps -e there)"
        return LaunchError(f"on {host}: {attach_line}", hint, log)
    if m := re.search(r"could not launch process: (.+)", log):
        return LaunchError(f"on {host}: could not launch {request.program}: {m.group(1).strip()}", None, log)
    if "unknown port" in log and "couldn't start listener" in log:
        return LaunchError(
            f"the dlv on {host} is too old to listen on a unix socket (it needs 1.22.1 or newer)",
            f"upgrade it there: {DLV_INSTALL}",
            log,
        )
    last = lines[-1] if lines else "no output"
    return LaunchError(f"dlv on {host} exited with status {markers.get('exited', status)} before it was ready: {last}", None, log)


_SSH_FAILURES = (
    (
        r"Permission denied \(",
        "ssh could not log in to {host} without a password prompt",
        "godbg-tui runs ssh without a terminal (BatchMode): use a key (ssh-copy-id {host}) or an ssh-agent",
    ),
    (
        r"Host key verification failed|No \S+ host key is known",
        "the host key of {host} is not known (or has changed)",
        "connect once with plain `ssh {host}` to check and accept it, then retry",
    ),
    (
        r"Could not resolve hostname",
        "cannot resolve the host name {host}",
        "check the name, or the Host entry in ~/.ssh/config",
    ),
    (r"Connection refused", "{host} refused the SSH connection", "is sshd running there, on that port (-p)?"),
    (r"Connection timed out|Operation timed out", "connecting to {host} timed out", "check the network path (or use -J for a jump host)"),
)


def _ptrace_hint(scope: str, pid: int | None) -> str:
    return {
        "1": "ptrace_scope is 1 there: attach as root, or set kernel.yama.ptrace_scope=0 on that host",
        "2": "ptrace_scope is 2 there: only root can attach; log in as root",
        "3": "ptrace_scope is 3 there: attaching is disabled until reboot; use ssh exec instead",
    }.get(
        scope,
        f"log in as the owner of pid {pid} (or root); in a container, add CAP_SYS_PTRACE and allow ptrace in seccomp "
        "(see docs/containers.md)",
    )


# -------------------------------------------------------------------------------------------
# Command line: `godbg-tui ssh [ssh options] DEST attach PID | exec PATH [-- ARGS]`

SSH_EXAMPLES = (
    "godbg-tui ssh prod-3 attach 4242\n"
    "godbg-tui ssh -p 2222 -i ~/.ssh/id_debug deploy@10.0.0.7 attach $(ssh prod-3 pgrep -n server)\n"
    "godbg-tui ssh -J bastion app@internal exec /srv/app/bin/server -- -port 8080\n"
    "godbg-tui ssh --source ~/src/server prod-3 attach 4242   # local checkout for the path mapping"
)


def add_ssh_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``ssh`` subcommand's arguments (use with :func:`request_from_args`)."""
    parser.add_argument("-p", dest="ssh_port", metavar="PORT", help="SSH port")
    parser.add_argument("-i", dest="ssh_identity", metavar="FILE", help="identity (private key) file")
    parser.add_argument("-J", dest="ssh_jump", metavar="JUMP", help="jump host(s), as ssh -J")
    parser.add_argument("-F", dest="ssh_config", metavar="FILE", help="ssh config file")
    parser.add_argument("-l", dest="ssh_user", metavar="USER", help="remote user name")
    parser.add_argument("-o", dest="ssh_option", metavar="OPTION", action="append", default=[], help="any ssh -o option (repeatable)")
    parser.add_argument("--remote-dlv", metavar="PATH", default="dlv", help="dlv on the remote host (default: dlv on its PATH, then ~/go/bin/dlv)")
    parser.add_argument("--remote-wd", metavar="DIR", help="exec: the program's working directory on the remote host")
    parser.add_argument("--source", metavar="DIR", help="local checkout of the program's module, for the path mapping (default: .)")
    parser.add_argument("destination", metavar="[USER@]HOST")
    parser.add_argument("remote_mode", metavar="attach|exec", choices=("attach", "exec"))
    parser.add_argument("target", metavar="PID|PATH")


def request_from_args(ns: argparse.Namespace, program_args: Sequence[str] = ()) -> SshRequest:
    """Build (and check) the request from :func:`add_ssh_arguments`' namespace; LaunchError if wrong."""
    options: list[str] = []
    for flag, value in (("-p", ns.ssh_port), ("-i", ns.ssh_identity), ("-J", ns.ssh_jump), ("-F", ns.ssh_config), ("-l", ns.ssh_user)):
        if value:
            options += [flag, value]
    for option in ns.ssh_option:
        options += ["-o", option]
    pid = None
    program = None
    if ns.remote_mode == "attach":
        if not ns.target.isdigit() or int(ns.target) <= 0:
            raise LaunchError(f"PID must be a positive number, got {ns.target!r}")
        pid = int(ns.target)
    else:
        program = ns.target
    request = SshRequest(
        destination=ns.destination,
        mode=ns.remote_mode,
        pid=pid,
        program=program,
        args=tuple(program_args),
        wd=ns.remote_wd,
        ssh_options=tuple(options),
        remote_dlv=ns.remote_dlv,
    )
    validate_request(request)
    return request
