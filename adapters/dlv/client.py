"""Delve JSON-RPC 1.0 client over a unix socket or TCP.

Delve runs most methods inline in its per-connection read loop, and almost all of
them wait for the target to stop. A synchronous request sent while the target runs
therefore freezes the connection, including a later ``halt``. This client keeps a
running flag: while a resuming ``Command`` is outstanding only the methods Delve
answers while running go out; every other call waits here for the stop.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import anyio
import anyio.abc
import msgspec

from .types import (
    AsmInstruction,
    Breakpoint,
    DebuggerCommand,
    DebuggerState,
    DiscardedBreakpoint,
    EvalScope,
    GetVersionOut,
    Goroutine,
    GoroutineGroup,
    ListGoroutinesFilter,
    LoadConfig,
    Location,
    PackageBuildInfo,
    Register,
    Stackframe,
    Thread,
    Variable,
)

T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0
MAX_REPLY_BYTES = 256 * 1024 * 1024

# Methods Delve answers without taking the target lock (safe while running).
FREE_METHODS = frozenset(
    {"GetVersion", "IsMulticlient", "AttachedToExistingProcess", "DumpWait", "DumpCancel", "GetEvents"}
)
# Command names that resume the target; the reply comes at the next stop.
RESUMING_COMMANDS = frozenset(
    {
        "continue",
        "next",
        "step",
        "stepOut",
        "stepInstruction",
        "nextInstruction",
        "call",
        "directionCongruentContinue",
        "rewind",
        "reverseNext",
        "reverseStep",
        "reverseStepOut",
        "reverseStepInstruction",
    }
)

SHORT_LOAD = LoadConfig(FollowPointers=False, MaxVariableRecurse=0, MaxStringLen=64, MaxArrayValues=0, MaxStructFields=3)
LONG_LOAD = LoadConfig()


class DelveError(Exception):
    """Anything that went wrong talking to Delve."""


class RPCError(DelveError):
    """Delve answered with an error string (its only error shape)."""

    def __init__(self, method: str, message: str):
        super().__init__(message)
        self.method = method
        self.message = message

    @property
    def process_exited(self) -> bool:
        return "has exited with status" in self.message


class ConnectionLost(DelveError):
    """The socket closed or broke; pending and later calls fail with this."""


class CallTimeout(DelveError):
    """No reply within the call's timeout (Delve may be busy or wedged)."""


class ProtocolError(DelveError):
    """Delve sent something that is not a JSON-RPC 1.0 reply we can use."""


class _Envelope(msgspec.Struct):
    id: Any = None
    result: msgspec.Raw = msgspec.field(default_factory=lambda: msgspec.Raw(b"null"))
    error: str | None = None


class _Pending:
    __slots__ = ("method", "done", "result", "error")

    def __init__(self, method: str):
        self.method = method
        self.done = anyio.Event()
        self.result: msgspec.Raw = msgspec.Raw(b"null")
        self.error: BaseException | None = None


class ReplyReader:
    """Splits Delve's newline-terminated replies out of a byte stream, bounded in size."""

    def __init__(self, max_bytes: int = MAX_REPLY_BYTES):
        self._buf = bytearray()
        self._scan = 0
        self._max = max_bytes
        self._decoder = msgspec.json.Decoder(_Envelope)

    def feed(self, data: bytes) -> list[_Envelope]:
        """Add bytes; return every complete reply. Raises ProtocolError on junk or overflow."""
        self._buf += data
        out = []
        while True:
            nl = self._buf.find(b"\n", self._scan)
            if nl < 0:
                self._scan = len(self._buf)
                if len(self._buf) > self._max:
                    raise ProtocolError(f"reply larger than {self._max} bytes")
                return out
            line = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            self._scan = 0
            if line.strip():
                try:
                    out.append(self._decoder.decode(line))
                except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeDecodeError) as exc:
                    # RecursionError: msgspec's answer to absurdly deep nesting
                    raise ProtocolError(f"malformed reply from Delve: {exc}") from exc


async def open_stream(address: str, timeout: float = 10.0) -> anyio.abc.ByteStream:
    """Connect to ``unix:/path``, a bare absolute path, or ``host:port``."""
    with anyio.fail_after(timeout):
        try:
            if address.startswith("unix:"):
                return await anyio.connect_unix(address[5:])
            if address.startswith("/"):
                return await anyio.connect_unix(address)
            host, _, port = address.rpartition(":")
            if not host or not port.isdigit():
                raise DelveError(f"bad address {address!r}: expected host:port or unix:/path")
            return await anyio.connect_tcp(host.strip("[]"), int(port))
        except OSError as exc:
            raise ConnectionLost(f"cannot connect to Delve at {address}: {exc.strerror or exc}") from exc


class DelveClient:
    """One JSON-RPC connection. Use as ``async with DelveClient(stream) as c``."""

    def __init__(self, stream: anyio.abc.ByteStream, *, default_timeout: float = DEFAULT_TIMEOUT):
        self._stream = stream
        # A unix socket is written directly (see _write); a TCP stream's socket belongs to its transport.
        self._raw_socket = (
            stream.extra(anyio.abc.SocketAttribute.raw_socket, None) if isinstance(stream, anyio.abc.UNIXSocketStream) else None
        )
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._send_lock = anyio.Lock(fast_acquire=True)  # uncontended (the usual case): no extra loop turn
        self._stopped = anyio.Event()
        self._stopped.set()
        self._resuming = 0
        self._closed: BaseException | None = None
        self._closed_event = anyio.Event()
        self._tg: anyio.abc.TaskGroup | None = None
        self._watching: tuple[asyncio.AbstractEventLoop, int, ReplyReader] | None = None
        self.default_timeout = default_timeout
        self._encoder = msgspec.json.Encoder()

    @classmethod
    async def connect(cls, address: str, *, timeout: float = 10.0) -> DelveClient:
        return cls(await open_stream(address, timeout))

    async def __aenter__(self) -> DelveClient:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        if not self._watch_socket():
            self._tg.start_soon(self._read_loop)
        return self

    async def __aexit__(self, *exc_info: object) -> bool | None:
        assert self._tg is not None
        self._fail_all(ConnectionLost("connection closed"))
        self._tg.cancel_scope.cancel()
        try:
            return await self._tg.__aexit__(*exc_info)
        finally:
            await anyio.aclose_forcefully(self._stream)

    async def aclose(self) -> None:
        """Close the socket; pending calls fail with ConnectionLost and the reader ends."""
        self._fail_all(ConnectionLost("connection closed"))
        await anyio.aclose_forcefully(self._stream)

    @property
    def running(self) -> bool:
        """True while a resuming Command is outstanding (the target runs)."""
        return self._resuming > 0

    @property
    def closed(self) -> bool:
        return self._closed is not None

    async def wait_closed(self) -> BaseException:
        """Wait until the connection is gone; returns why."""
        await self._closed_event.wait()
        assert self._closed is not None
        return self._closed

    async def wait_stopped(self) -> None:
        await self._stopped.wait()

    async def _settle_resume(self, call_id: int, pending: _Pending) -> None:
        try:
            await pending.done.wait()
        finally:
            self._pending.pop(call_id, None)
            self._resume_finished()

    def _resume_finished(self) -> None:
        self._resuming -= 1
        if self._resuming == 0:
            self._stopped.set()

    def _fail_all(self, exc: BaseException) -> None:
        self._unwatch_socket()
        if self._closed is None:
            self._closed = exc
            self._closed_event.set()
        for p in self._pending.values():
            p.error = exc
            p.done.set()
        self._pending.clear()
        self._stopped.set()

    def _deliver(self, replies: list[_Envelope]) -> None:
        for env in replies:
            pending = self._pending.pop(env.id, None) if isinstance(env.id, int) else None
            if pending is None:
                continue
            if env.error is not None:
                pending.error = RPCError(pending.method, env.error)
            else:
                pending.result = env.result
            pending.done.set()

    async def _read_loop(self) -> None:
        reader = ReplyReader()
        try:
            while True:
                try:
                    data = await self._stream.receive()
                except (anyio.EndOfStream, anyio.ClosedResourceError):
                    raise ConnectionLost("Delve closed the connection") from None
                except anyio.BrokenResourceError as exc:  # anyio's wrapper for ECONNRESET and friends
                    raise ConnectionLost(f"connection to Delve broke: {exc.__cause__ or exc}") from exc
                except OSError as exc:
                    raise ConnectionLost(f"connection to Delve broke: {exc}") from exc
                self._deliver(reader.feed(data))
        except DelveError as exc:
            self._fail_all(exc)

    def _watch_socket(self) -> bool:
        """On asyncio, read a unix socket from a loop reader callback instead of _read_loop.

        Replies are delivered as the bytes arrive, with no task to wake; anyio's
        receive adds and removes the socket from the selector at every reply.
        """
        raw = self._raw_socket
        if raw is None:
            return False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # another event loop (trio): the stream reads
            return False
        self._watching = (loop, raw.fileno(), ReplyReader())
        loop.add_reader(raw.fileno(), self._on_readable)
        return True

    def _unwatch_socket(self) -> None:
        if self._watching is not None:
            loop, fd, _ = self._watching
            self._watching = None
            loop.remove_reader(fd)

    def _on_readable(self) -> None:
        assert self._raw_socket is not None and self._watching is not None
        reader = self._watching[2]
        try:
            try:
                data = self._raw_socket.recv(65536)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                raise ConnectionLost(f"connection to Delve broke: {exc}") from exc
            if not data:
                raise ConnectionLost("Delve closed the connection")
            self._deliver(reader.feed(data))
        except DelveError as exc:
            self._fail_all(exc)

    async def call(
        self,
        method: str,
        params: Any = None,
        result_type: type[T] | Any = msgspec.Raw,
        *,
        timeout: float | None | object = ...,
        on_sent: Callable[[], object] | None = None,
    ) -> T:
        """Send ``RPCServer.<method>`` and wait for its reply.

        ``timeout=None`` waits forever (resuming commands); the default is
        ``default_timeout``. Non-free methods wait for the target to stop first.
        ``on_sent`` runs once the request is on the wire (for a resume: the
        target is now running as far as this connection is concerned).
        """
        if timeout is ...:
            timeout = self.default_timeout
        free = method in FREE_METHODS or _is_free_call(method, params)
        resuming = method == "Command" and _command_name(params) in RESUMING_COMMANDS
        deadline = math.inf if timeout is None else anyio.current_time() + float(timeout)
        with _deadline(deadline, method):
            return await self._send_and_wait(method, params, result_type, free=free, resuming=resuming, on_sent=on_sent)

    async def _send_and_wait(
        self, method: str, params: Any, result_type: Any, *, free: bool, resuming: bool, on_sent: Any
    ) -> Any:
        call_id = next(self._ids)
        pending = _Pending(method)
        payload = self._encoder.encode(
            {"method": f"RPCServer.{method}", "params": [params if params is not None else {}], "id": call_id}
        )
        while True:
            if not free and not self._stopped.is_set():  # wait() on a set Event still yields a loop turn
                await self._stopped.wait()
            async with self._send_lock:
                if self._closed is not None:
                    raise ConnectionLost(str(self._closed))
                if not free and self.running:
                    continue
                self._pending[call_id] = pending
                if resuming:
                    self._resuming += 1
                    self._stopped = anyio.Event()
                try:
                    await self._write(payload + b"\n")
                except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError) as exc:
                    self._fail_all(ConnectionLost(f"cannot send to Delve: {exc}"))
                break
        if on_sent is not None and self._closed is None:
            on_sent()
        try:
            await pending.done.wait()
        finally:
            if resuming and not pending.done.is_set() and self._tg is not None:
                # Cancelled while the target runs: it still runs, so keep gating until Delve replies.
                self._tg.start_soon(self._settle_resume, call_id, pending)
            else:
                self._pending.pop(call_id, None)
                if resuming:
                    self._resume_finished()
        if pending.error is not None:
            raise pending.error
        raw = pending.result
        if result_type is msgspec.Raw:
            return raw
        if bytes(raw) == b"null":
            raise ProtocolError(f"{method}: reply without result")
        try:
            return msgspec.json.decode(raw, type=result_type)
        except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError) as exc:
            raise ProtocolError(f"{method}: unexpected reply shape: {exc}") from exc

    async def _write(self, data: bytes) -> None:
        """Put a request on the wire: at once when the socket takes it all.

        anyio's send yields a loop turn before writing; written here, a request made
        while the UI has work queued reaches Delve before that work runs, and Delve
        answers meanwhile. What the socket does not take goes through the stream.
        """
        raw = self._raw_socket
        if raw is not None:
            try:
                sent = raw.send(data)
            except (BlockingIOError, InterruptedError):
                sent = 0
            if sent == len(data):
                return
            data = data[sent:]
        await self._stream.send(data)

    # ----- typed methods, one per RPC, named as Delve names them -----

    async def get_version(self) -> GetVersionOut:
        return await self.call("GetVersion", {}, GetVersionOut)

    async def set_api_version(self, version: int = 2) -> None:
        await self.call("SetApiVersion", {"APIVersion": version})

    async def is_multiclient(self) -> bool:
        return (await self.call("IsMulticlient", {}, _IsMulticlientOut)).IsMulticlient

    async def attached_to_existing_process(self) -> bool:
        return (await self.call("AttachedToExistingProcess", {}, _AnswerOut)).Answer

    async def process_pid(self) -> int:
        return (await self.call("ProcessPid", {}, _PidOut)).Pid

    async def last_modified(self) -> str:
        return (await self.call("LastModified", {}, _TimeOut)).Time

    async def state(self, non_blocking: bool = True, *, timeout: float | None = DEFAULT_TIMEOUT) -> DebuggerState:
        out = await self.call("State", {"NonBlocking": non_blocking}, _StateOut, timeout=timeout)
        return out.State

    async def command(
        self,
        name: str,
        *,
        goroutine_id: int = 0,
        thread_id: int = 0,
        expr: str = "",
        unsafe_call: bool = False,
        return_cfg: LoadConfig | None = LONG_LOAD,
        timeout: float | None = None,
        on_sent: Callable[[], object] | None = None,
    ) -> DebuggerState:
        cmd = DebuggerCommand(
            name=name,
            goroutineID=goroutine_id,
            threadID=thread_id,
            expr=expr,
            unsafeCall=unsafe_call,
            ReturnInfoLoadConfig=return_cfg,
        )
        out = await self.call("Command", cmd, _StateOut, timeout=timeout, on_sent=on_sent)
        return out.State

    async def halt(self) -> DebuggerState:
        return await self.command("halt", timeout=DEFAULT_TIMEOUT)

    async def cancel_next(self) -> None:
        await self.call("CancelNext", {})

    async def restart(
        self,
        *,
        new_args: Sequence[str] | None = None,
        rebuild: bool = False,
        position: str = "",
        rerecord: bool = False,
        new_redirects: Sequence[str] | None = None,
        timeout: float | None = 120.0,
    ) -> list[DiscardedBreakpoint]:
        params: dict[str, Any] = {"Position": position, "Rerecord": rerecord, "Rebuild": rebuild}
        if new_args is not None:
            params["ResetArgs"] = True
            params["NewArgs"] = list(new_args)
            params["NewRedirects"] = list(new_redirects) if new_redirects is not None else ["", "", ""]
        out = await self.call("Restart", params, _RestartOut, timeout=timeout)
        return out.DiscardedBreakpoints or []

    async def detach(self, kill: bool) -> None:
        await self.call("Detach", {"Kill": kill})

    # breakpoints
    async def create_breakpoint(
        self,
        bp: Breakpoint,
        *,
        loc_expr: str = "",
        substitute_path_rules: Sequence[tuple[str, str]] | None = None,
        suspended: bool = False,
    ) -> Breakpoint:
        params = {
            "Breakpoint": bp,
            "LocExpr": loc_expr,
            "SubstitutePathRules": [list(r) for r in substitute_path_rules] if substitute_path_rules else None,
            "Suspended": suspended,
        }
        return (await self.call("CreateBreakpoint", params, _BreakpointOut)).Breakpoint

    async def create_watchpoint(self, scope: EvalScope, expr: str, wtype: int) -> Breakpoint:
        return await self.call("CreateWatchpoint", {"Scope": scope, "Expr": expr, "Type": wtype}, Breakpoint)

    async def get_breakpoint(self, bp_id: int = 0, name: str = "") -> Breakpoint:
        return (await self.call("GetBreakpoint", {"Id": bp_id, "Name": name}, _BreakpointOut)).Breakpoint

    async def clear_breakpoint(self, bp_id: int = 0, name: str = "") -> Breakpoint:
        return (await self.call("ClearBreakpoint", {"Id": bp_id, "Name": name}, _BreakpointOut)).Breakpoint

    async def toggle_breakpoint(self, bp_id: int = 0, name: str = "") -> Breakpoint:
        return (await self.call("ToggleBreakpoint", {"Id": bp_id, "Name": name}, _BreakpointOut)).Breakpoint

    async def amend_breakpoint(self, bp: Breakpoint) -> None:
        await self.call("AmendBreakpoint", {"Breakpoint": bp})

    async def list_breakpoints(self, all: bool = False) -> list[Breakpoint]:
        out = await self.call("ListBreakpoints", {"All": all}, _BreakpointsOut)
        return sorted(out.Breakpoints or [], key=lambda b: b.id)

    async def function_return_locations(self, fn_name: str) -> list[int]:
        return (await self.call("FunctionReturnLocations", {"FnName": fn_name}, _AddrsOut)).Addrs or []

    # threads, goroutines, stacks
    async def list_threads(self) -> list[Thread]:
        return (await self.call("ListThreads", {}, _ThreadsOut)).Threads or []

    async def get_thread(self, thread_id: int) -> Thread:
        return (await self.call("GetThread", {"Id": thread_id}, _ThreadOut)).Thread

    async def list_goroutines(
        self,
        start: int = 0,
        count: int = 1000,
        *,
        filters: Sequence[ListGoroutinesFilter] = (),
        group_by: int = 0,
        group_by_key: str = "",
        max_group_members: int = 1,
        max_groups: int = 0,
        scope: EvalScope | None = None,
        timeout: float | None | object = ...,
    ) -> ListGoroutinesOut:
        params: dict[str, Any] = {
            "Start": start,
            "Count": count,
            "Filters": list(filters) or None,
            "GroupBy": group_by,
            "GroupByKey": group_by_key,
            "MaxGroupMembers": max_group_members,
            "MaxGroups": max_groups,
        }
        if scope is not None:
            params["EvalScope"] = scope
        return await self.call("ListGoroutines", params, ListGoroutinesOut, timeout=timeout)

    async def stacktrace(
        self,
        goroutine_id: int = -1,
        depth: int = 50,
        *,
        full: bool = False,
        defers: bool = False,
        cfg: LoadConfig | None = None,
        opts: int = 0,
    ) -> list[Stackframe]:
        params = {"Id": goroutine_id, "Depth": depth, "Full": full, "Defers": defers, "Opts": opts, "Cfg": cfg}
        return (await self.call("Stacktrace", params, _LocationsFramesOut)).Locations or []

    async def ancestors(self, goroutine_id: int, num: int = 5, depth: int = 20) -> list[Any]:
        out = await self.call("Ancestors", {"GoroutineID": goroutine_id, "NumAncestors": num, "Depth": depth}, dict)
        return out.get("Ancestors") or []

    # variables
    async def list_local_vars(self, scope: EvalScope, cfg: LoadConfig = SHORT_LOAD) -> list[Variable]:
        return (await self.call("ListLocalVars", {"Scope": scope, "Cfg": cfg}, _VariablesOut)).Variables or []

    async def list_function_args(self, scope: EvalScope, cfg: LoadConfig = SHORT_LOAD) -> list[Variable]:
        return (await self.call("ListFunctionArgs", {"Scope": scope, "Cfg": cfg}, _ArgsOut)).Args or []

    async def list_package_vars(self, filter: str = "", cfg: LoadConfig = SHORT_LOAD) -> list[Variable]:
        return (await self.call("ListPackageVars", {"Filter": filter, "Cfg": cfg}, _VariablesOut)).Variables or []

    async def eval(self, scope: EvalScope, expr: str, cfg: LoadConfig = LONG_LOAD) -> Variable:
        return (await self.call("Eval", {"Scope": scope, "Expr": expr, "Cfg": cfg}, _VariableOut)).Variable

    async def set(self, scope: EvalScope, symbol: str, value: str) -> None:
        await self.call("Set", {"Scope": scope, "Symbol": symbol, "Value": value})

    async def call_function(self, expr: str, *, unsafe: bool = False, goroutine_id: int = 0) -> DebuggerState:
        return await self.command("call", expr=expr, unsafe_call=unsafe, goroutine_id=goroutine_id)

    # code and memory
    async def disassemble(
        self, scope: EvalScope, start_pc: int, end_pc: int = 0, flavour: int = 0
    ) -> list[AsmInstruction]:
        params = {"Scope": scope, "StartPC": start_pc, "EndPC": end_pc, "Flavour": flavour}
        return (await self.call("Disassemble", params, _DisassembleOut)).Disassemble or []

    async def list_registers(self, thread_id: int = 0, include_fp: bool = False, scope: EvalScope | None = None):
        params: dict[str, Any] = {"ThreadID": thread_id, "IncludeFp": include_fp}
        if scope is not None:
            params["Scope"] = scope
        out = await self.call("ListRegisters", params, _RegistersOut)
        return out.Registers, out.Regs or []

    async def examine_memory(self, address: int, length: int) -> tuple[bytes, bool]:
        out = await self.call("ExamineMemory", {"Address": address, "Length": length}, _ExamineMemoryOut)
        return out.Mem, out.IsLittleEndian

    # symbols and locations
    async def find_location(
        self,
        loc: str,
        scope: EvalScope | None = None,
        *,
        include_non_executable: bool = False,
        substitute_path_rules: Sequence[tuple[str, str]] | None = None,
    ) -> FindLocationOut:
        params = {
            "Scope": scope or EvalScope(),
            "Loc": loc,
            "IncludeNonExecutableLines": include_non_executable,
            "SubstitutePathRules": [list(r) for r in substitute_path_rules] if substitute_path_rules else None,
        }
        return await self.call("FindLocation", params, FindLocationOut)

    async def list_sources(self, filter: str = "") -> list[str]:
        return (await self.call("ListSources", {"Filter": filter}, _SourcesOut)).Sources or []

    async def list_functions(self, filter: str = "") -> list[str]:
        return (await self.call("ListFunctions", {"Filter": filter}, _FuncsOut)).Funcs or []

    async def list_types(self, filter: str = "") -> list[str]:
        return (await self.call("ListTypes", {"Filter": filter}, _TypesOut)).Types or []

    async def list_packages_build_info(self, include_files: bool = False) -> list[PackageBuildInfo]:
        out = await self.call("ListPackagesBuildInfo", {"IncludeFiles": include_files}, _PackagesOut)
        return out.List or []

    async def guess_substitute_path(
        self, import_path_of_main: str, client_goroot: str, client_module_dirs: Mapping[str, str]
    ) -> list[tuple[str, str]]:
        args = {
            "ImportPathOfMainPackage": import_path_of_main,
            "ClientGOROOT": client_goroot,
            "ClientModuleDirectories": dict(client_module_dirs),
        }
        out = await self.call("GuessSubstitutePath", {"Args": args}, _GuessOut)
        return [(a, b) for a, b in (out.List or [])]


def _command_name(params: Any) -> str:
    if isinstance(params, DebuggerCommand):
        return params.name
    if isinstance(params, Mapping):
        return str(params.get("name", ""))
    return ""


def _is_free_call(method: str, params: Any) -> bool:
    if method == "Command":
        return _command_name(params) == "halt"
    if method == "State":
        return isinstance(params, Mapping) and bool(params.get("NonBlocking"))
    return False


class _deadline:
    """A cancel scope with an absolute deadline that raises CallTimeout naming the method."""

    def __init__(self, deadline: float, method: str):
        self._scope = anyio.CancelScope(deadline=deadline)
        self._method = method

    def __enter__(self) -> None:
        self._scope.__enter__()

    def __exit__(self, *exc_info: Any) -> bool:
        suppressed = self._scope.__exit__(*exc_info)
        if self._scope.cancelled_caught and self._scope.deadline != math.inf:
            raise CallTimeout(f"Delve did not answer {self._method} in time")
        return bool(suppressed)


# ----- reply shapes (Delve's …Out structs) -----


class ListGoroutinesOut(msgspec.Struct, kw_only=True):
    Goroutines: list[Goroutine] | None = None
    Nextg: int = -1
    Groups: list[GoroutineGroup] | None = None
    TooManyGroups: bool = False


class FindLocationOut(msgspec.Struct, kw_only=True):
    Locations: list[Location] | None = None
    SubstituteLocExpr: str = ""


class _StateOut(msgspec.Struct):
    State: DebuggerState = msgspec.field(default_factory=DebuggerState)


class _PidOut(msgspec.Struct):
    Pid: int = 0


class _TimeOut(msgspec.Struct):
    Time: str = ""


class _IsMulticlientOut(msgspec.Struct):
    IsMulticlient: bool = False


class _AnswerOut(msgspec.Struct):
    Answer: bool = False


class _RestartOut(msgspec.Struct):
    DiscardedBreakpoints: list[DiscardedBreakpoint] | None = None


class _BreakpointOut(msgspec.Struct):
    Breakpoint: Breakpoint = msgspec.field(default_factory=Breakpoint)


class _BreakpointsOut(msgspec.Struct):
    Breakpoints: list[Breakpoint] | None = None


class _AddrsOut(msgspec.Struct):
    Addrs: list[int] | None = None


class _ThreadsOut(msgspec.Struct):
    Threads: list[Thread] | None = None


class _ThreadOut(msgspec.Struct):
    Thread: Thread = msgspec.field(default_factory=Thread)


class _LocationsFramesOut(msgspec.Struct):
    Locations: list[Stackframe] | None = None


class _VariablesOut(msgspec.Struct):
    Variables: list[Variable] | None = None


class _ArgsOut(msgspec.Struct):
    Args: list[Variable] | None = None


class _VariableOut(msgspec.Struct):
    Variable: Variable = msgspec.field(default_factory=Variable)


class _DisassembleOut(msgspec.Struct):
    Disassemble: list[AsmInstruction] | None = None


class _RegistersOut(msgspec.Struct):
    Registers: str = ""
    Regs: list[Register] | None = None


class _ExamineMemoryOut(msgspec.Struct):
    Mem: bytes = b""
    IsLittleEndian: bool = True


class _SourcesOut(msgspec.Struct):
    Sources: list[str] | None = None


class _FuncsOut(msgspec.Struct):
    Funcs: list[str] | None = None


class _TypesOut(msgspec.Struct):
    Types: list[str] | None = None


class _PackagesOut(msgspec.Struct):
    List: list[PackageBuildInfo] | None = None


class _GuessOut(msgspec.Struct):
    List: list[list[str]] | None = None
