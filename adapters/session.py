"""DebugSession: the one object the UI talks to.

It owns the dlv process (or a connection to someone else's), the JSON-RPC client,
the phase (launching → stopped ⇄ running → exited, → dead), the selected goroutine
and frame, and the breakpoint list. Every transition and every piece of news is
an event delivered to subscribers; the UI never reads Delve directly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any, Protocol

import anyio
import anyio.abc

from .dlv.client import (
    LONG_LOAD,
    SHORT_LOAD,
    CallTimeout,
    ConnectionLost,
    DelveClient,
    DelveError,
    ListGoroutinesOut,
    RPCError,
)
from .dlv.launcher import DlvServer, LaunchError, LaunchSpec, start_dlv
from .dlv.types import (
    Breakpoint,
    DebuggerState,
    EvalScope,
    GetVersionOut,
    ListGoroutinesFilter,
    LoadConfig,
    Location,
    Stackframe,
    Thread,
    Variable,
)
from .events import (
    BreakpointHit,
    BreakpointsChanged,
    Closed,
    Event,
    Exited,
    Launching,
    Message,
    Output,
    Phase,
    Running,
    ScopeChanged,
    SessionFailed,
    Stopped,
    TraceHit,
)
from .pathmap import to_local, to_remote

log = logging.getLogger(__name__)

Listener = Callable[[Event], None]

STOP_REASONS_BY_COMMAND = {
    "next": "step",
    "step": "step",
    "stepOut": "step",
    "stepInstruction": "step",
    "nextInstruction": "step",
    "call": "call",
    "halt": "manual",
}
PANIC_BREAKPOINT_ID = -1
FATAL_THROW_BREAKPOINT_ID = -2
EXITED_RE = re.compile(r"Process (\d+) has exited with status (-?\d+)")
NO_TESTS_RAN = b"testing: warning: no tests to run"


class SessionError(Exception):
    """A user-facing failure of a session operation; the message says what to do."""


class TargetRunning(SessionError):
    """The operation needs a stopped target."""

    def __init__(self, what: str = "this"):
        super().__init__(f"the program is running: pause it (p / F6) before {what}")


def parse_version(text: str) -> tuple[int, int, int]:
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if not m:
        return (0, 0, 0)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


class InitialBreakpoint(Protocol):
    """A breakpoint to create before the program runs (the store's SavedBreakpoint is one)."""

    location: str
    cond: str
    hit_cond: str
    tracepoint: bool
    name: str
    disabled: bool


class DebugSession:
    """Drive one debugging session. Use as ``async with DebugSession(spec) as s``."""

    def __init__(
        self,
        spec: LaunchSpec,
        *,
        stop_at_main: bool = True,
        substitute_path: Sequence[tuple[str, str]] = (),
        call_timeout: float = 30.0,
        auto_resume_after: float | None = None,
        initial_breakpoints: Sequence[InitialBreakpoint] = (),
    ):
        """``auto_resume_after``: the halt budget, in seconds. A process that is not ours
        (attach, connect) and stays stopped that long is resumed, so that a forgotten
        session cannot hold a live service stopped.

        ``initial_breakpoints`` (a project's saved ones) are created before the program
        first runs, so that those in init functions or early in main are hit."""
        self.spec = spec
        self.stop_at_main = stop_at_main
        self.substitute_path: list[tuple[str, str]] = list(substitute_path)
        self.call_timeout = call_timeout
        self.initial_breakpoints = list(initial_breakpoints)
        self.phase = Phase.LAUNCHING
        self.state: DebuggerState | None = None
        self.version: GetVersionOut | None = None
        self.dlv_version: tuple[int, int, int] = (0, 0, 0)
        self.go_version: tuple[int, int, int] = (0, 0, 0)
        self.target_pid = 0
        self.attached = spec.mode == "attach"
        self.goroutine_id = -1
        self.frame = 0
        self.breakpoints: list[Breakpoint] = []
        self.exit_status: int | None = None
        self.server: DlvServer | None = None
        self.client: DelveClient | None = None
        self._listeners: list[Listener] = []
        self._stack = AsyncExitStack()
        self._tg: anyio.abc.TaskGroup | None = None
        self._created_bp_ids: set[int] = set()
        self._closing = False
        self._control = anyio.Lock(fast_acquire=True)  # uncontended at every step: no extra loop turn
        self._silent_pause: bool | str = False
        self._resume_sent = anyio.Event()
        self._closed_event = anyio.Event()
        self.auto_resume_after = auto_resume_after
        self._stopped_at: float | None = None
        self._stops = 0

    # ----- events -----

    def subscribe(self, listener: Listener, *, first: bool = False) -> None:
        """Deliver every event to ``listener``; ``first``: ahead of the listeners already there
        (one that starts requests at a stop, before others queue the event for their UI)."""
        if first:
            self._listeners.insert(0, listener)
        else:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        """Stop delivering events to ``listener`` (a closed screen); unknown listeners are ignored."""
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def _emit(self, event: Event) -> None:
        self._track_halt(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener failed on %r", event)

    def _message(self, level: str, text: str) -> None:
        self._emit(Message(level, text))

    # ----- halt budget -----

    @property
    def owns_target(self) -> bool:
        """True when the program is ours to keep stopped: dlv started it, or it is a core dump."""
        return self.spec.mode in ("exec", "debug", "test", "core")

    @property
    def stopped_for(self) -> float | None:
        """Seconds since the program stopped; None unless it is stopped."""
        if self._stopped_at is None or self.phase != Phase.STOPPED:
            return None
        return time.monotonic() - self._stopped_at

    @property
    def auto_resume_in(self) -> float | None:
        """Seconds until the halt budget resumes the program; None when it will not."""
        stopped = self.stopped_for
        if stopped is None or self.auto_resume_after is None or self.owns_target:
            return None
        return max(0.0, self.auto_resume_after - stopped)

    def _track_halt(self, event: Event) -> None:
        if isinstance(event, Stopped):
            self._stopped_at = time.monotonic()
            self._stops += 1
            if self.auto_resume_after is not None and not self.owns_target and self._tg is not None:
                self._tg.start_soon(self._auto_resume, self._stops)
        elif isinstance(event, (Running, Exited, SessionFailed, Closed, Launching)):
            self._stopped_at = None

    async def _auto_resume(self, stop: int) -> None:
        assert self.auto_resume_after is not None
        await anyio.sleep(self.auto_resume_after)
        if stop != self._stops or self.phase != Phase.STOPPED or self._closing:
            return
        self._message(
            "warning",
            f"process {self.target_pid} had been stopped for {self.auto_resume_after:g} s "
            "(the halt budget): resumed it",
        )
        with contextlib.suppress(SessionError):
            await self._resume("continue")

    # ----- lifecycle -----

    async def __aenter__(self) -> DebugSession:
        await self._stack.__aenter__()
        try:
            await self.start()
        except BaseException:
            with anyio.CancelScope(shield=True):
                await self.close()
            # Not handed to the task group: anyio would re-raise it wrapped in an
            # ExceptionGroup, and callers could no longer catch LaunchError.
            await self._stack.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        # Teardown talks to Delve under a shield; the task group and the client
        # are left afterwards, outside any new cancel scope, as anyio requires.
        # Never suppress what the body raised: close() cancels the task group,
        # the client's exit then raises that cancellation in place of the body's
        # exception, and the group's scope swallows it (tests passed vacuously).
        with anyio.CancelScope(shield=True):
            await self.close()
        await self._stack.__aexit__(*exc_info)

    async def wait_closed(self) -> None:
        await self._closed_event.wait()

    async def start(self) -> None:
        """Launch or connect, then stop where a user expects to start (main.main for launches)."""
        self._emit(Launching(describe_spec(self.spec)))
        self._tg = await self._stack.enter_async_context(anyio.create_task_group())
        self.server = await start_dlv(self.spec)
        for w in self.server.warnings:
            self._message("warning", w)
        self._tg.start_soon(self._pump_output)
        self.client = await self._stack.enter_async_context(
            await DelveClient.connect(self.server.address, timeout=15.0)
        )
        self.client.default_timeout = self.call_timeout
        self._tg.start_soon(self._watch_connection)
        self.version = await self.client.get_version()
        self.dlv_version = parse_version(self.version.DelveVersion)
        if self.dlv_version < (1, 24, 0):
            await self.client.set_api_version(2)
        state = await self.client.state(non_blocking=True)
        if state.Running:
            self.phase = Phase.RUNNING
            self._emit(Running("connect"))
            self._tg.start_soon(self._wait_for_stop_of_running_target)
            return
        self.target_pid = await self.client.process_pid()
        if self.server.owned and not self.attached and self.spec.mode != "core":
            self.server.set_target_pid(self.target_pid)
        self.go_version = parse_version(self.version.TargetGoVersion)
        await self.refresh_breakpoints()
        if self.spec.mode == "connect" and self.breakpoints:
            n = len(self.breakpoints)
            self._message(
                "warning",
                f"the server already has {n} breakpoint{'s' if n > 1 else ''} from an earlier client; "
                "they stay when you disconnect (clearall removes them)",
            )
        await self._create_initial_breakpoints()
        await self._check_stale_binary()
        if self.stop_at_main and self.spec.mode in ("exec", "debug") and not self.breakpoints_at("main.main"):
            await self._run_to_main()
            return
        reason = {"attach": "attached", "core": "core", "connect": "connected"}.get(self.spec.mode, "entry")
        await self._handle_stop(await self.client.state(non_blocking=False), reason_hint=reason)

    async def _create_initial_breakpoints(self) -> None:
        """Re-create saved breakpoints; one that no longer resolves is reported, not fatal."""
        existing = {b.ExprString for b in self.breakpoints}
        restored = 0
        for saved in self.initial_breakpoints:
            if saved.location in existing:
                continue
            try:
                made = await self.set_breakpoint(
                    saved.location, cond=saved.cond, hit_cond=saved.hit_cond, tracepoint=saved.tracepoint, name=saved.name
                )
                if saved.disabled:
                    for bp in made:
                        await self.toggle_breakpoint(bp.id)
            except SessionError as exc:
                self._message("warning", f"saved breakpoint at {saved.location} not restored: {exc}")
            else:
                restored += 1
        if restored:
            self._message("info", f"restored {restored} saved breakpoint{'s' if restored > 1 else ''}")

    async def _run_to_main(self) -> None:
        assert self.client is not None
        loc = await self._find_location("main.main")
        bp = await self.client.create_breakpoint(Breakpoint(addrs=_loc_pcs(loc)), loc_expr="main.main")
        try:
            self.phase = Phase.RUNNING
            self._emit(Running("continue"))
            state = await self.client.command("continue")
        finally:
            with contextlib.suppress(DelveError):
                await self.client.clear_breakpoint(bp.id)
        if state.currentThread and state.currentThread.breakPoint and state.currentThread.breakPoint.id == bp.id:
            for thread in [state.currentThread, *(state.Threads or [])]:
                if thread.breakPoint is not None and thread.breakPoint.id == bp.id:
                    thread.breakPoint = None
            await self._handle_stop(state, reason_hint="entry")
        else:
            await self._handle_stop(state)

    async def _wait_for_stop_of_running_target(self) -> None:
        assert self.client is not None
        try:
            state = await self.client.state(non_blocking=False, timeout=None)
        except DelveError as exc:
            await self._handle_failure(exc, "waiting for the target to stop")
            return
        self.target_pid = state.Pid
        await self._handle_stop(state)

    async def _watch_connection(self) -> None:
        """Notice a dead Delve at once, not at the user's next command."""
        assert self.client is not None
        reason = await self.client.wait_closed()
        if not self._closing and self.phase not in (Phase.DEAD, Phase.CLOSED):
            if self.server is not None and self.server.owned:
                with anyio.move_on_after(1):
                    code = await self.server.wait_exited()
                    reason = ConnectionLost(f"dlv exited with status {code}")
            await self._handle_failure(reason, "debugging")

    async def _pump_output(self) -> None:
        assert self.server is not None
        tail, warned = b"", False
        async for stream, data in self.server.program_output():
            self._emit(Output(stream, data))
            if self.spec.mode == "test" and not warned:
                tail = (tail + data)[-len(NO_TESTS_RAN) - 4096 :]
                if NO_TESTS_RAN in tail:
                    warned = True
                    pattern = f" -run {self.spec.test_run!r}" if self.spec.test_run else ""
                    self._message(
                        "warning",
                        f"no test in {self.spec.program or '.'} matches{pattern}: nothing ran; "
                        f"`go test -list . {self.spec.program or '.'}` lists the tests",
                    )

    async def write_stdin(self, data: bytes) -> None:
        if self.server is None:
            raise SessionError("no program to write to")
        await self.server.write_stdin(data)

    async def close(self, *, kill: bool | None = None) -> None:
        """End the session leaving nothing behind.

        Launched targets are killed. Attached targets get our breakpoints removed,
        are resumed and detached. A `connect` server is left running with the
        target continued, minus the breakpoints this session created.
        Any task may call it; the task that entered ``async with`` then leaves it.
        """
        if self._closing:
            await self._closed_event.wait()
            return
        self._closing = True
        client, server = self.client, self.server
        note = ""
        try:
            if client is not None and not client.closed and self.phase not in (Phase.DEAD,):
                with anyio.move_on_after(10):
                    note = await self._disconnect(client, server, kill)
            elif self.spec.mode == "connect" and server is not None and not kill:
                with anyio.move_on_after(5):
                    note = await self._release_remote(server)
        except DelveError as exc:
            note = f"Delve did not detach cleanly: {exc}"
        finally:
            with anyio.CancelScope(shield=True):
                if server is not None:
                    await server.terminate()
                if client is not None:
                    await client.aclose()
            self.phase = Phase.CLOSED
            self._emit(Closed(note))
            self._closed_event.set()
            if self._tg is not None:
                self._tg.cancel_scope.cancel()

    async def _disconnect(self, client: DelveClient, server: DlvServer | None, kill: bool | None) -> str:
        owned = server is not None and server.owned
        if self.phase == Phase.RUNNING and not client.running:
            with anyio.move_on_after(2):
                await self._resume_sent.wait()
        halted_here = client.running
        if halted_here:
            await client.halt()
            with anyio.fail_after(5):
                await client.wait_stopped()
        if self.spec.mode == "connect" and not kill:
            for bp_id in sorted(self._created_bp_ids):
                with contextlib.suppress(DelveError):
                    await client.clear_breakpoint(bp_id)
            # Halted just now: the resuming task may not have marked the stop yet, so the
            # phase cannot tell; the program was running and must run on.
            if halted_here or self.phase == Phase.STOPPED:
                await _send_continue(client)
            return "disconnected; the remote program keeps running"
        if self.attached and not kill:
            cleared = False
            for bp in await client.list_breakpoints():
                if bp.id > 0:
                    with contextlib.suppress(DelveError):
                        await client.clear_breakpoint(bp.id)
                        cleared = True
            if cleared:
                await _take_pending_traps(client)
            await client.detach(kill=False)
            return f"detached from {self.target_pid}; it keeps running"
        await client.detach(kill=True if owned or kill else False)
        return "program killed" if owned or kill else "detached"

    async def _release_remote(self, server: DlvServer) -> str:
        """connect mode after the connection broke: if the server can be reached again, take
        this session's breakpoints off it and let the program run, as a normal disconnect does."""
        try:
            stream = await server.connect(timeout=3)
        except LaunchError:
            return f"could not reach {self.spec.address} again: the program there is left as it was"
        async with DelveClient(stream, default_timeout=3) as client:
            state = await client.state(non_blocking=True)
            if state.exited or (state.Running and not self._created_bp_ids):
                return "disconnected; the remote program keeps running"
            if state.Running:
                await client.halt()
            for bp_id in sorted(self._created_bp_ids):
                with contextlib.suppress(DelveError):
                    await client.clear_breakpoint(bp_id)
            await _send_continue(client)
        return "reconnected to remove this session's breakpoints; the remote program keeps running"

    # ----- helpers -----

    def _require_client(self) -> DelveClient:
        if self.phase in (Phase.DEAD, Phase.CLOSED):
            raise SessionError("the debugging session has ended")
        if self.client is None or self.client.closed:
            raise SessionError("not connected to Delve")
        return self.client

    def _require_stopped(self, what: str) -> DelveClient:
        client = self._require_client()
        if self.phase == Phase.RUNNING:
            raise TargetRunning(what)
        if self.phase == Phase.EXITED:
            raise SessionError(f"the program has exited (status {self.exit_status}): restart it (r) before {what}")
        if self.phase in (Phase.DEAD, Phase.CLOSED):
            raise SessionError("the debugging session has ended")
        return client

    def scope(self, frame: int | None = None, goroutine_id: int | None = None, deferred: int = 0) -> EvalScope:
        return EvalScope(
            GoroutineID=self.goroutine_id if goroutine_id is None else goroutine_id,
            Frame=self.frame if frame is None else frame,
            DeferredCall=deferred,
        )

    def breakpoints_at(self, function: str) -> list[Breakpoint]:
        return [b for b in self.breakpoints if b.functionName == function and b.id > 0]

    async def _find_location(self, spec: str) -> Location:
        locs = await self.find_locations(spec)
        if len(locs) > 1 and not spec.startswith("/"):
            names = ", ".join(sorted({_loc_name(l) for l in locs})[:6])
            raise SessionError(f"location {spec!r} is ambiguous: {names}")
        return locs[0]

    async def find_locations(self, spec: str) -> list[Location]:
        client = self._require_stopped("resolving a location")
        try:
            out = await client.find_location(
                spec, self.scope(), substitute_path_rules=self.substitute_path or None
            )
        except RPCError as exc:
            raise SessionError(await self._explain_location_error(spec, exc.message)) from exc
        if not out.Locations:
            raise SessionError(f"location {spec!r} not found")
        return out.Locations

    async def _explain_location_error(self, spec: str, message: str) -> str:
        """Turn 'no statement at line N' into a message naming the nearest lines that have code."""
        m = re.match(r"could not find statement at (.+):(\d+)", message)
        if not m or self.client is None:
            return message
        path, line = m.group(1), int(m.group(2))
        before = after = None
        for delta in range(1, 40):
            for candidate in (line + delta, line - delta):
                if candidate < 1 or (candidate > line and after) or (candidate < line and before):
                    continue
                with contextlib.suppress(RPCError):
                    out = await self.client.find_location(f"{path}:{candidate}", self.scope())
                    if out.Locations:
                        if candidate > line:
                            after = candidate
                        else:
                            before = candidate
            if before or after:
                break
        near = [str(n) for n in (before, after) if n]
        if not near:
            return f"line {line} of {path} has no code"
        return f"line {line} of {path} has no code; nearest line{'s' if len(near) > 1 else ''} with code: {', '.join(near)}"

    async def _check_stale_binary(self) -> None:
        if self.spec.mode not in ("exec", "attach", "core") or self.client is None:
            return
        with contextlib.suppress(DelveError, ValueError, OSError):
            built = _parse_rfc3339(await self.client.last_modified())
            newest = None
            for src in await self.client.list_sources("^/"):
                if "/go/src/" in src or "/pkg/mod/" in src or src.startswith("<"):
                    continue
                with contextlib.suppress(OSError):
                    mtime = os.stat(self.map_to_local(src)).st_mtime
                    if newest is None or mtime > newest[0]:
                        newest = (mtime, src)
            if newest and newest[0] > built + 1:
                self._message("warning", f"{newest[1]} is newer than the binary: rebuild it, or what you see may not match the code")

    def map_to_local(self, path: str) -> str:
        """Binary path → local path through substitute-path rules (Delve's semantics)."""
        return to_local(path, self.substitute_path)

    def map_to_remote(self, path: str) -> str:
        return to_remote(path, self.substitute_path)

    # ----- run control -----

    async def continue_(self, until: str | None = None) -> None:
        """Resume until the next stop; with ``until`` a temporary breakpoint stops there."""
        client = self._require_stopped("continuing")
        temp: Breakpoint | None = None
        if until:
            loc = await self._find_location(until)
            try:
                temp = await client.create_breakpoint(Breakpoint(addrs=_loc_pcs(loc)), loc_expr=until)
            except RPCError as exc:
                if "Breakpoint exists" not in exc.message:
                    raise SessionError(exc.message) from exc
        try:
            await self._resume("continue")
        finally:
            if temp is not None and self.phase == Phase.STOPPED:
                with contextlib.suppress(DelveError):
                    await client.clear_breakpoint(temp.id)

    async def next(self, count: int = 1) -> None:
        for _ in range(max(1, count)):
            await self._step_command("next")
            if self.phase != Phase.STOPPED or (self.state and self.state.NextInProgress):
                return

    async def step(self) -> None:
        await self._step_command("step")

    async def step_out(self) -> None:
        await self._step_command("stepOut")

    async def step_instruction(self) -> None:
        await self._step_command("stepInstruction")

    async def _step_command(self, name: str) -> None:
        self._require_stopped(name)
        if name != "step" and self.frame != 0:
            raise SessionError(f"{name} works on the topmost frame: select frame 0 first (you are on frame {self.frame})")
        if self.state and self.state.NextInProgress:
            raise SessionError("a step was interrupted by a breakpoint: continue it (c) or cancel it first")
        if self.goroutine_id > 0 and self.state and self.state.currentGoroutine and self.state.currentGoroutine.id != self.goroutine_id:
            await self._switch_goroutine(self.goroutine_id)
        await self._resume(name)

    async def finish_interrupted_step(self) -> None:
        """Continue a next/step that another breakpoint interrupted (dlv's [c] answer)."""
        await self._resume("directionCongruentContinue")

    async def cancel_interrupted_step(self) -> None:
        client = self._require_stopped("cancelling the step")
        await client.cancel_next()
        await self._handle_stop(await client.state(non_blocking=False), reason_hint="manual")

    async def call(self, expr: str, *, unsafe: bool = False) -> list[Variable]:
        """Inject a function call; returns its return values."""
        client = self._require_stopped("calling a function")
        self.phase = Phase.RUNNING
        self._emit(Running("call"))
        try:
            state = await client.command("call", expr=expr, unsafe_call=unsafe, goroutine_id=max(self.goroutine_id, 0))
            while self._is_tracepoint_stop(state):
                # A tracepoint inside the called function must not end the call.
                self._report_tracepoints(state)
                state = await client.command("continue")
        except RPCError as exc:
            await self._after_command_error(exc)
            raise SessionError(exc.message) from exc
        await self._handle_stop(state, reason_hint="call")
        thread = state.currentThread
        return list(thread.ReturnValues or []) if thread else []

    async def _resume(self, name: str, *, task_status: anyio.abc.TaskStatus = anyio.TASK_STATUS_IGNORED) -> None:
        """Send a resuming command and handle the stop; ``task_status`` fires once it is on the wire."""
        client = self._require_stopped(name)
        task_status_used = [False]
        async with self._control:
            while True:
                self.phase = Phase.RUNNING
                self._emit(Running(name))
                sent = self._resume_sent = anyio.Event()

                def on_sent() -> None:
                    sent.set()
                    if not task_status_used[0]:
                        task_status_used[0] = True
                        task_status.started()

                try:
                    state = await client.command(name, on_sent=on_sent)
                except RPCError as exc:
                    await self._after_command_error(exc)
                    if self.phase == Phase.STOPPED:
                        raise SessionError(exc.message) from exc
                    return
                except DelveError as exc:
                    await self._handle_failure(exc, name)
                    return
                if self._is_tracepoint_stop(state):
                    self._report_tracepoints(state)
                    name = "continue"
                    continue
                await self._handle_stop(state, reason_hint=STOP_REASONS_BY_COMMAND.get(name))
                return

    async def halt(self) -> None:
        """Pause a running target. Safe to call any time; a no-op unless running."""
        client = self._require_client()
        if self.phase == Phase.RUNNING and not client.running:
            with anyio.move_on_after(5):
                await self._resume_sent.wait()
        if not client.running:
            return
        try:
            await client.halt()
        except DelveError as exc:
            await self._handle_failure(exc, "halt")
            return
        async with self._control:
            pass  # the resuming task has now handled the stop

    async def restart(self, args: Sequence[str] | None = None, *, rebuild: bool = False) -> None:
        client = self._require_client()
        if self.spec.mode in ("attach", "core", "connect"):
            raise SessionError(f"restart is not possible in {self.spec.mode} mode")
        if rebuild and self.spec.mode not in ("debug", "test"):
            raise SessionError("rebuild works for debug and test sessions; for exec, rebuild the binary and restart (r)")
        if client.running:
            await self.halt()
            await client.wait_stopped()
        self.phase = Phase.LAUNCHING
        self._emit(Launching("rebuilding and restarting" if rebuild else "restarting"))
        try:
            discarded = await client.restart(new_args=args, rebuild=rebuild)
        except RPCError as exc:
            self.phase = Phase.EXITED if self.exit_status is not None else Phase.STOPPED
            raise SessionError(f"restart failed: {exc.message}") from exc
        for d in discarded:
            where = f"{d.breakpoint.file}:{d.breakpoint.line}" if d.breakpoint else "?"
            self._message("warning", f"breakpoint at {where} discarded: {d.reason}")
        self.exit_status = None
        self.target_pid = await client.process_pid()
        if self.server is not None and self.server.owned:
            self.server.set_target_pid(self.target_pid)
        self._message("info", f"process restarted with PID {self.target_pid}")
        self.goroutine_id, self.frame = -1, 0
        self.phase = Phase.STOPPED
        await self.refresh_breakpoints()
        if self.stop_at_main and not self.breakpoints_at("main.main"):
            await self._run_to_main()
        else:
            await self._handle_stop(await client.state(non_blocking=False), reason_hint="entry")

    # ----- stop handling -----

    def _is_tracepoint_stop(self, state: DebuggerState) -> bool:
        if state.exited:
            return False
        hit = [t for t in state.Threads or [] if t.breakPoint is not None]
        return bool(hit) and all(t.breakPoint.tracepoint or t.breakPoint.traceReturn for t in hit)

    def _report_tracepoints(self, state: DebuggerState) -> None:
        for t in state.Threads or []:
            if t.breakPoint is not None:
                self._emit(TraceHit(t, t.breakPoint))

    async def _after_command_error(self, exc: RPCError) -> None:
        """A Command failed: the process may have exited, or a condition failed and it stopped."""
        m = EXITED_RE.search(exc.message)
        if m:
            self._set_exited(int(m.group(2)))
            return
        if "no such process" in exc.message:
            # Killed from outside while stopped: dlv only finds out when it resumes it, and
            # may be told before the kernel has finished the process off.
            with anyio.move_on_after(1):
                while (status := _death_status(self.target_pid)) is None:
                    await anyio.sleep(0.01)
            if status is not None:
                self._set_exited(status)
                return
        client = self._require_client()
        try:
            state = await client.state(non_blocking=False)
        except RPCError as exc2:
            m = EXITED_RE.search(exc2.message)
            if m:
                self._set_exited(int(m.group(2)))
                return
            raise
        self._message("error", exc.message)
        await self._handle_stop(state, reason_hint="condition-error" if "evaluating" in exc.message else "manual")

    def _set_exited(self, status: int) -> None:
        self.phase = Phase.EXITED
        self.exit_status = status
        self.state = None
        how = f"exited with status {status}"
        if status < 0:  # Delve reports death by signal N as status -N
            with contextlib.suppress(ValueError):
                how = f"was killed by signal {-status} ({signal.Signals(-status).name})"
        self._message("info" if status == 0 else "warning", f"process {self.target_pid} {how}")
        self._emit(Exited(status))

    async def _handle_failure(self, exc: BaseException, doing: str) -> None:
        if self._closing or self.phase == Phase.DEAD:
            return
        self.phase = Phase.DEAD
        detail = self.server.dlv_log() if self.server is not None else ""
        what = "Delve stopped answering" if isinstance(exc, CallTimeout) else "lost the connection to Delve"
        if isinstance(exc, ConnectionLost) or isinstance(exc, CallTimeout):
            text = f"{what} while {doing}: {exc}"
        else:
            text = f"{doing} failed: {exc}"
        server = self.server
        pid = self.target_pid or self.spec.pid
        owned = server is not None and server.owned
        if owned and not self.attached:
            text += "; the program is stopped and cleaned up (r starts a new session)"
        elif owned and server.exit_code is not None and server.exit_code < 0 and self.breakpoints:
            text += (
                f"; dlv died with its breakpoints still in the code of process {pid}: the process is no "
                "longer traced, but it will be killed (SIGTRAP) if it reaches one of them; restart it when you can"
            )
        elif owned:
            text += f"; process {pid} is released and keeps running (attach again to go on debugging)"
        elif self.spec.mode == "connect":
            text += (
                f"; the program on that server is left as it was: reconnect (godbg-tui connect {self.spec.address}) "
                "once the server is reachable"
            )
        # Said first, done after: a listener may close the session meanwhile (terminate is idempotent).
        self._emit(SessionFailed(text, detail))
        if owned:
            # SIGTERM makes dlv kill a launched target, or halt and detach an attached one
            # (breakpoints removed): neither may be left stopped behind a dead connection.
            await server.terminate()

    async def _handle_stop(self, state: DebuggerState, reason_hint: str | None = None) -> None:
        if state.exited:
            self._set_exited(state.exitStatus)
            return
        self.state = state
        self.phase = Phase.STOPPED
        self.frame = 0
        g = state.currentGoroutine
        self.goroutine_id = g.id if g is not None else -1
        hits = tuple(
            BreakpointHit(t, t.breakPoint, t.goroutineID)
            for t in sorted(state.Threads or [], key=lambda t: (t is not state.currentThread, t.id))
            if t.breakPoint is not None
        )
        if self._silent_pause is True and not hits and not state.NextInProgress:
            self._silent_pause = "paused"
            return
        reason = _stop_reason(state, hits, reason_hint)
        loc = self.current_location()
        optimized = bool(loc and loc.function and loc.function.optimized and not _is_runtime(loc.function.name))
        if hits:
            await self.refresh_breakpoints()
        if state.WatchOutOfScope:
            for bp in state.WatchOutOfScope:
                self._message("warning", f"watchpoint on {bp.WatchExpr} went out of scope and was cleared")
        if optimized:
            self._message("warning", "debugging an optimized function: variables may be unavailable; rebuild with -gcflags=all=-N -l")
        if state.NextInProgress:
            self._message("warning", "a breakpoint was hit during the step: continue the step (c) or cancel it")
        self._emit(
            Stopped(
                state=state,
                reason=reason,
                location=loc,
                goroutine_id=self.goroutine_id,
                hits=hits,
                next_in_progress=state.NextInProgress,
                optimized=optimized,
            )
        )

    def current_location(self) -> Location | None:
        """Where the selected goroutine is, by ClientHowto's rules."""
        state = self.state
        if state is None:
            return None
        g = state.currentGoroutine
        t: Thread | None = state.currentThread
        if g is not None:
            thread = next((th for th in state.Threads or [] if th.id == g.threadID and g.threadID), None)
            if thread is not None:
                return Location(pc=thread.pc, file=thread.file, line=thread.line, function=thread.function)
            return g.currentLoc
        if t is not None:
            return Location(pc=t.pc, file=t.file, line=t.line, function=t.function)
        return None

    # ----- scope -----

    async def _switch_goroutine(self, goroutine_id: int) -> None:
        client = self._require_stopped("switching goroutine")
        try:
            self.state = await client.command("switchGoroutine", goroutine_id=goroutine_id, timeout=self.call_timeout)
        except RPCError as exc:
            raise SessionError(exc.message) from exc

    async def select_goroutine(self, goroutine_id: int) -> Location | None:
        """Make a goroutine current: later stack/vars/next use it (server-side selection)."""
        await self._switch_goroutine(goroutine_id)
        self.goroutine_id = goroutine_id
        self.frame = 0
        frames = await self.stack(depth=0)
        loc = _frame_location(frames[0]) if frames else None
        self._emit(ScopeChanged(goroutine_id, 0, loc))
        return loc

    async def select_thread(self, thread_id: int) -> Location | None:
        """Make an OS thread current (dlv's `thread N`); its goroutine, if any, becomes selected."""
        client = self._require_stopped("switching thread")
        try:
            self.state = await client.command("switchThread", thread_id=thread_id, timeout=self.call_timeout)
        except RPCError as exc:
            raise SessionError(exc.message) from exc
        g = self.state.currentGoroutine
        self.goroutine_id = g.id if g is not None else -1
        self.frame = 0
        loc = self.current_location()
        self._emit(ScopeChanged(self.goroutine_id, 0, loc))
        return loc

    async def select_frame(self, frame: int) -> Location:
        frames = await self.stack(depth=frame)
        if frame < 0 or frame >= len(frames):
            raise SessionError(f"frame {frame} does not exist (the stack has {len(frames)} frames)")
        self.frame = frame
        loc = _frame_location(frames[frame])
        self._emit(ScopeChanged(self.goroutine_id, frame, loc))
        return loc

    # ----- inspection -----

    async def stack(
        self,
        depth: int = 50,
        goroutine_id: int | None = None,
        *,
        defers: bool = False,
        cfg: LoadConfig | None = None,
    ) -> list[Stackframe]:
        """Frames of a goroutine; with ``cfg`` each frame carries its locals and arguments."""
        client = self._require_stopped("reading the stack")
        gid = self.goroutine_id if goroutine_id is None else goroutine_id
        try:
            return await client.stacktrace(gid, depth, defers=defers, cfg=cfg)
        except RPCError as exc:
            raise SessionError(exc.message) from exc

    async def locals(
        self,
        frame: int | None = None,
        cfg: LoadConfig = SHORT_LOAD,
        deferred: int = 0,
        *,
        goroutine_id: int | None = None,
    ) -> list[Variable]:
        client = self._require_stopped("reading variables")
        try:
            return await client.list_local_vars(self.scope(frame, goroutine_id, deferred), cfg)
        except RPCError as exc:
            raise SessionError(exc.message) from exc

    async def args(
        self,
        frame: int | None = None,
        cfg: LoadConfig = SHORT_LOAD,
        deferred: int = 0,
        *,
        goroutine_id: int | None = None,
    ) -> list[Variable]:
        client = self._require_stopped("reading arguments")
        try:
            return await client.list_function_args(self.scope(frame, goroutine_id, deferred), cfg)
        except RPCError as exc:
            raise SessionError(exc.message) from exc

    async def frame_variables(
        self, frame: int | None = None, cfg: LoadConfig = SHORT_LOAD, *, goroutine_id: int | None = None
    ) -> tuple[list[Variable], list[Variable]]:
        """A frame's arguments and locals in one round trip instead of two.

        A Stacktrace down to the frame with ``cfg`` makes Delve load each returned frame's
        variables exactly as ListFunctionArgs/ListLocalVars would (same scope functions);
        the frames above it cost little, and none when the frame is the innermost.
        """
        client = self._require_stopped("reading variables")
        index = self.frame if frame is None else frame
        gid = self.goroutine_id if goroutine_id is None else goroutine_id
        try:
            frames = await client.stacktrace(gid, index, cfg=cfg)
        except RPCError as exc:
            raise SessionError(exc.message) from exc
        if index >= len(frames):
            raise SessionError(f"frame {index} does not exist: the stack of goroutine {gid} has {len(frames)} frames")
        found = frames[index]
        if found.Err and found.Locals is None and found.Arguments is None:
            raise SessionError(found.Err)
        return list(found.Arguments or []), list(found.Locals or [])

    async def package_vars(self, filter: str = "", cfg: LoadConfig = SHORT_LOAD) -> list[Variable]:
        client = self._require_stopped("reading package variables")
        try:
            return await client.list_package_vars(filter, cfg)
        except RPCError as exc:
            raise SessionError(exc.message) from exc

    async def eval(
        self,
        expr: str,
        cfg: LoadConfig = LONG_LOAD,
        *,
        frame: int | None = None,
        goroutine_id: int | None = None,
        deferred: int = 0,
    ) -> Variable:
        client = self._require_stopped("evaluating")
        if not expr.strip():
            raise SessionError("nothing to evaluate: give an expression")
        try:
            return await client.eval(self.scope(frame, goroutine_id, deferred), expr, cfg)
        except RPCError as exc:
            raise SessionError(exc.message) from exc

    async def set_variable(
        self, symbol: str, value: str, *, frame: int | None = None, goroutine_id: int | None = None
    ) -> None:
        client = self._require_stopped("setting a variable")
        try:
            await client.set(self.scope(frame, goroutine_id), symbol, value)
        except RPCError as exc:
            raise SessionError(f"cannot set {symbol}: {exc.message}") from exc

    async def goroutines(
        self,
        start: int = 0,
        count: int = 1000,
        *,
        filters: Sequence[ListGoroutinesFilter] = (),
        group_by: int = 0,
        group_by_key: str = "",
        max_group_members: int = 1,
        max_groups: int = 0,
        timeout: float | None = 120.0,
    ) -> ListGoroutinesOut:
        """One page of goroutines (or groups). Never ask for all of them for display."""
        client = self._require_stopped("listing goroutines")
        try:
            return await client.list_goroutines(
                start,
                count,
                filters=filters,
                group_by=group_by,
                group_by_key=group_by_key,
                max_group_members=max_group_members,
                max_groups=max_groups,
                scope=self.scope() if any(f.Kind == 8 for f in filters) else None,
                timeout=timeout,
            )
        except RPCError as exc:
            raise SessionError(exc.message) from exc

    async def threads(self) -> list[Thread]:
        client = self._require_stopped("listing threads")
        return await client.list_threads()

    async def disassemble(self, start_pc: int | None = None, end_pc: int = 0, flavour: int = 0):
        client = self._require_stopped("disassembling")
        if start_pc is None:
            loc = self.current_location()
            frames = await self.stack(depth=self.frame)
            pc = frames[self.frame].pc if frames else (loc.pc if loc else 0)
            fn = frames[self.frame].function if frames else None
            start_pc = pc
            if fn is not None and fn.value:
                start_pc = fn.value
        try:
            return await client.disassemble(self.scope(), start_pc, end_pc, flavour)
        except RPCError as exc:
            raise SessionError(exc.message) from exc

    async def registers(self, include_fp: bool = False):
        client = self._require_stopped("reading registers")
        try:
            return await client.list_registers(0, include_fp, self.scope())
        except RPCError as exc:
            raise SessionError(exc.message) from exc

    async def examine_memory(self, address: int, length: int) -> bytes:
        client = self._require_stopped("reading memory")
        try:
            mem, _ = await client.examine_memory(address, length)
        except RPCError as exc:
            raise SessionError(exc.message) from exc
        return mem

    # ----- breakpoints -----

    async def refresh_breakpoints(self) -> list[Breakpoint]:
        client = self._require_client()
        if client.running:
            return self.breakpoints
        self.breakpoints = [b for b in await client.list_breakpoints() if b.id > 0]
        self._emit(BreakpointsChanged(tuple(self.breakpoints)))
        return self.breakpoints

    async def _while_paused(self, what: str, action):
        """Run ``action`` with the target stopped, pausing and resuming it if it runs (DAP's way).

        The pause is silent unless the target happened to stop at a breakpoint of its own,
        which is then reported and not resumed.
        """
        client = self._require_client()
        if self.phase != Phase.RUNNING:
            self._require_stopped(what)
            return await action()
        self._silent_pause = True
        try:
            await client.halt()
            async with self._control:
                pass
        finally:
            resume = self._silent_pause == "paused"
            self._silent_pause = False
        try:
            return await action()
        finally:
            if resume and self._tg is not None:
                await self._tg.start(self._resume_quietly)

    async def _resume_quietly(self, *, task_status: anyio.abc.TaskStatus = anyio.TASK_STATUS_IGNORED) -> None:
        with contextlib.suppress(SessionError):
            await self._resume("continue", task_status=task_status)

    async def set_breakpoint(
        self,
        spec: str,
        *,
        cond: str = "",
        hit_cond: str = "",
        tracepoint: bool = False,
        name: str = "",
    ) -> list[Breakpoint]:
        """Create a breakpoint at any dlv location spec; regex specs create one per function."""
        if not spec.strip():
            raise SessionError("give a location: file:line, line, function, +N or /regex/")

        async def create() -> list[Breakpoint]:
            client = self._require_client()
            locs = await self.find_locations(spec)
            if len(locs) > 1 and not spec.startswith("/"):
                # Inlined code: several PCs for one line are one breakpoint.
                pcs = [pc for loc in locs for pc in _loc_pcs(loc)]
                targets = [(locs[0], pcs)]
            else:
                targets = [(loc, _loc_pcs(loc)) for loc in locs]
            made = []
            for loc, pcs in targets:
                bp = Breakpoint(addrs=pcs, Cond=cond, HitCond=hit_cond, tracepoint=tracepoint, name=name)
                if tracepoint:
                    bp.LoadArgs = SHORT_LOAD
                try:
                    made.append(await client.create_breakpoint(bp, loc_expr=spec if len(targets) == 1 else _loc_name(loc)))
                except RPCError as exc:
                    raise SessionError(_explain_bp_error(exc.message)) from exc
            self._created_bp_ids.update(b.id for b in made)
            await self.refresh_breakpoints()
            return made

        return await self._while_paused("setting a breakpoint", create)

    async def set_watchpoint(self, expr: str, mode: str = "w") -> Breakpoint:
        kinds = {"r": 1, "w": 2, "rw": 3}
        if mode not in kinds:
            raise SessionError("watch mode must be -r, -w or -rw")
        client = self._require_stopped("setting a watchpoint")
        try:
            bp = await client.create_watchpoint(self.scope(), expr, kinds[mode])
        except RPCError as exc:
            raise SessionError(exc.message) from exc
        self._created_bp_ids.add(bp.id)
        await self.refresh_breakpoints()
        return bp

    def find_breakpoint(self, ref: str | int) -> Breakpoint:
        """A breakpoint by id or name, as dlv's commands accept."""
        for b in self.breakpoints:
            if str(b.id) == str(ref) or (b.name and b.name == ref):
                return b
        raise SessionError(f"no breakpoint {ref}: `breakpoints` lists them")

    async def clear_breakpoint(self, ref: str | int) -> Breakpoint:
        bp = self.find_breakpoint(ref)

        async def clear() -> Breakpoint:
            client = self._require_client()
            out = await client.clear_breakpoint(bp.id)
            await self.refresh_breakpoints()
            return out

        return await self._while_paused("clearing a breakpoint", clear)

    async def clear_all_breakpoints(self) -> int:
        async def clear() -> int:
            client = self._require_client()
            n = 0
            for b in list(self.breakpoints):
                await client.clear_breakpoint(b.id)
                n += 1
            await self.refresh_breakpoints()
            return n

        return await self._while_paused("clearing breakpoints", clear)

    async def toggle_breakpoint(self, ref: str | int) -> Breakpoint:
        bp = self.find_breakpoint(ref)

        async def toggle() -> Breakpoint:
            client = self._require_client()
            try:
                out = await client.toggle_breakpoint(bp.id)
            except RPCError as exc:
                raise SessionError(exc.message) from exc
            await self.refresh_breakpoints()
            return out

        return await self._while_paused("toggling a breakpoint", toggle)

    async def amend_breakpoint(self, ref: str | int, **changes: Any) -> Breakpoint:
        """Change cond / HitCond / HitCondPerG / tracepoint / variables … of a breakpoint."""
        bp = self.find_breakpoint(ref)

        async def amend() -> Breakpoint:
            client = self._require_client()
            current = await client.get_breakpoint(bp.id)
            for key, value in changes.items():
                setattr(current, key, value)
            try:
                await client.amend_breakpoint(current)
            except RPCError as exc:
                raise SessionError(_explain_bp_error(exc.message)) from exc
            await self.refresh_breakpoints()
            return self.find_breakpoint(bp.id)

        return await self._while_paused("changing a breakpoint", amend)

    async def toggle_breakpoint_at(self, file: str, line: int) -> Breakpoint | None:
        """The source gutter's toggle: clear the breakpoint on that line, or create one."""
        remote = self.map_to_remote(file)
        for b in self.breakpoints:
            if b.line == line and (b.file == remote or b.file == file):
                await self.clear_breakpoint(b.id)
                return None
        made = await self.set_breakpoint(f"{remote}:{line}")
        return made[0]

    # ----- symbols -----

    async def functions(self, filter: str = "") -> list[str]:
        return await self._require_stopped("listing functions").list_functions(filter)

    async def types(self, filter: str = "") -> list[str]:
        return await self._require_stopped("listing types").list_types(filter)

    async def sources(self, filter: str = "") -> list[str]:
        return await self._require_stopped("listing sources").list_sources(filter)


async def _take_pending_traps(client: DelveClient) -> None:
    """Resume once and halt again, so that no thread is detached past a removed breakpoint.

    A thread can execute a breakpoint just as Delve stops the others; its trap arrives only
    when it runs again. Delve rewinds such a thread then (a "phantom" hit), but a detach
    before that leaves it one byte into an instruction with SIGTRAP pending, and the Go
    program dies of it (exit 2; 7 of 15 detaches from four goroutines spinning through a
    conditional breakpoint). Delve reads nothing more from us until the continue has
    resumed the threads, so the halt that follows always comes after the traps.
    """
    await _send_continue(client)
    await client.halt()
    with anyio.fail_after(5):
        await client.wait_stopped()


async def _send_continue(client: DelveClient, send_timeout: float = 5.0) -> None:
    """Let a remote program run on: send ``continue`` and leave without its reply (the next stop).

    Only the reply is not waited for; the request itself must go out. Under one short
    deadline for both, a loop stalled past it (a loaded machine, the moments after a
    hang-up) cancelled the send, and the program stayed halted after we left.
    """
    gone = anyio.Event()

    async def send() -> None:
        try:
            await client.call("Command", {"name": "continue"}, timeout=None, on_sent=gone.set)
        except DelveError:
            pass
        finally:
            gone.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(send)
        with anyio.move_on_after(send_timeout):
            await gone.wait()
        tg.cancel_scope.cancel()


def _death_status(pid: int) -> int | None:
    """How a dead process ended, Delve-style (exit code, or -signal); None while it lives.

    A zombie still shows its wait status in /proc/PID/stat; a reaped one is just gone (-1).
    """
    if pid <= 0:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rpartition(b")")[2].split()
    except FileNotFoundError:
        return -1
    except OSError:
        return None
    if fields[0] not in (b"Z", b"X"):
        return None
    wait_status = int(fields[49]) if len(fields) >= 50 else 0  # field 52, exit_code
    return -(wait_status & 0x7F) if wait_status & 0x7F else wait_status >> 8


def _is_runtime(function: str) -> bool:
    return function.startswith(("runtime.", "internal/", "syscall."))


def _loc_pcs(loc: Location) -> list[int]:
    return list(loc.pcs) if loc.pcs else [loc.pc]


def _loc_name(loc: Location) -> str:
    if loc.function and loc.function.name:
        return loc.function.name
    return f"{loc.file}:{loc.line}"


def _frame_location(frame: Stackframe) -> Location:
    return Location(pc=frame.pc, file=frame.file, line=frame.line, function=frame.function)


def _explain_bp_error(message: str) -> str:
    if message.startswith("Breakpoint exists"):
        return message.replace("Breakpoint exists", "a breakpoint already exists")
    if "could not find symbol" in message or "expected" in message:
        return f"the condition does not compile: {message}"
    return message


def _stop_reason(state: DebuggerState, hits: Sequence[BreakpointHit], hint: str | None) -> str:
    if hint == "condition-error":
        return hint
    current = state.currentThread.breakPoint if state.currentThread else None
    bp = current or (hits[0].breakpoint if hits else None)
    if bp is not None:
        if bp.id == PANIC_BREAKPOINT_ID:
            return "panic"
        if bp.id == FATAL_THROW_BREAKPOINT_ID:
            return "fatal"
        if bp.WatchExpr:
            return "watchpoint"
        return "breakpoint"
    if state.stopReason in ("manual",):
        return "manual"
    if hint:
        return hint
    if state.stopReason == "next finished":
        return "step"
    return state.stopReason or "manual"


def _parse_rfc3339(text: str) -> float:
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", text)
    if not m:
        raise ValueError(text)
    tz = "+00:00" if m.group(3) == "Z" else m.group(3)
    frac = (m.group(2) or ".0")[:7]
    return datetime.fromisoformat(m.group(1) + frac + tz).timestamp()


def describe_spec(spec: LaunchSpec) -> str:
    if spec.mode == "attach":
        return f"attaching to {spec.pid}"
    if spec.mode == "connect":
        return f"connecting to {spec.address}"
    if spec.mode == "core":
        return f"opening core {spec.core} of {spec.program}"
    if spec.mode == "test":
        run = f" -run {spec.test_run}" if spec.test_run else ""
        return f"testing {spec.program or '.'}{run}"
    if spec.mode == "debug":
        return f"building and debugging {spec.program or '.'}"
    return f"running {spec.program}"
