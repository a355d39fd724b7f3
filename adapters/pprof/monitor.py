"""HeapMonitor: runs the heap view's data sources for one DebugSession.

* every stop: the counters (a few Evals) → header and sparkline;
* stopped and the view visible: the Delve bucket walk on a second
  connection, cached by GC cycle, cancelled the moment the target resumes;
* running and the view visible: polling ``/debug/pprof/heap`` (found on the
  target's loopback listeners, or given), never while stopped, cancelled on
  a stop; the interval grows when fetch + decode is slow, and an unchanged
  profile is not decoded again;
* gctrace lines the app routes through :meth:`filter_output`.

Decoding runs in worker threads; nothing here blocks the event loop for
long. ``on_update`` is called (on the event loop) whenever something the
view shows changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import anyio
import anyio.abc

from ..dlv.client import DelveClient, DelveError
from ..events import Closed, Event, Exited, Phase, Running, SessionFailed, Stopped
from ..session import DebugSession
from .counters import HeapCounters, read_counters
from .delve_walk import DEFAULT_MAX_BUCKETS, HeapWalkError, walk_heap
from .endpoint import ListeningSocket, discover_pprof
from .gctrace import GCTraceFilter
from .history import HeapHistory, HeapSnapshot, HeapSource
from .http_source import PprofHTTPError, base_url, fetch_heap
from .profile import ProfileDecodeError, content_key, decode_profile, gunzip

log = logging.getLogger(__name__)

MIN_POLL_INTERVAL = 2.0
MAX_POLL_INTERVAL = 30.0
SLOW_FACTOR = 10.0  # next poll waits at least this many times the last fetch + decode
DISCOVERY_INTERVAL = 0.5  # how often /proc is checked for a new listener while none serves pprof
NO_ENDPOINT_HINT = (
    'no pprof endpoint: import _ "net/http/pprof" and serve it on loopback, '
    "pass --pprof URL, or pause the program to see allocation sites"
)


class HeapMonitor:
    """Keeps ``history`` fed while the session runs; see the module doc."""

    def __init__(
        self,
        session: DebugSession,
        *,
        pprof_url: str | None = None,
        min_interval: float = MIN_POLL_INTERVAL,
        max_buckets: int = DEFAULT_MAX_BUCKETS,
        on_update: Callable[[], None] | None = None,
    ):
        self.session = session
        self.history = HeapHistory()
        self.counters: HeapCounters | None = None
        self.endpoint: str | None = None
        self.endpoint_given = False
        self.status = ""
        if pprof_url:
            try:
                self.endpoint = base_url(pprof_url)
                self.endpoint_given = True
            except PprofHTTPError as exc:
                self.status = f"--pprof ignored: {exc}; looking for the program's own listener"
        self.min_interval = max(MIN_POLL_INTERVAL, min_interval)
        self.max_buckets = max_buckets
        self.on_update = on_update
        self.visible = False
        self.busy = ""
        self.poll_interval = self.min_interval
        self.last_poll_seconds = 0.0
        self.requests = 0
        self.decodes = 0
        self._gctrace = GCTraceFilter()
        self._tg: anyio.abc.TaskGroup | None = None
        self._poll_scope: anyio.CancelScope | None = None
        self._stop_scope: anyio.CancelScope | None = None
        self._walked_cycle: tuple[int | None, int | None] | None = None
        self._last_key: bytes | None = None
        self._probed: set[ListeningSocket] = set()  # the target's listeners known not to serve pprof

    # ----- wiring -----

    async def run(self, *, task_status: anyio.abc.TaskStatus = anyio.TASK_STATUS_IGNORED) -> None:
        """Serve until cancelled or the session closes. Start it in the app's task group."""
        async with anyio.create_task_group() as tg:
            self._tg = tg
            self.session.subscribe(self._on_event)
            task_status.started()
            if self.session.phase == Phase.STOPPED:
                self._start_stopped_work()
            elif self.session.phase == Phase.RUNNING:
                self._start_polling()
            await self.session.wait_closed()
            tg.cancel_scope.cancel()
        self._tg = None

    def set_visible(self, visible: bool) -> None:
        """The heap view is shown (start the expensive sources) or hidden (stop them)."""
        if visible == self.visible:
            return
        self.visible = visible
        if not visible:
            self._cancel_polling()
            return
        self._probed.clear()
        if self.session.phase == Phase.RUNNING:
            self._start_polling()
        elif self.session.phase == Phase.STOPPED:
            self._start_stopped_work()

    def refresh(self) -> None:
        """Take a new snapshot now, even if the GC cycle has not changed."""
        self._walked_cycle = None
        self._last_key = None
        if self.session.phase == Phase.STOPPED:
            self._start_stopped_work()

    def filter_output(self, data: bytes) -> bytes:
        """Program output with gctrace lines taken out (and recorded). Route Output events through it."""
        shown, events = self._gctrace.feed(data)
        for event in events:
            self.history.add_gc_event(event)
        if events:
            self._notify()
        return shown

    def _notify(self) -> None:
        if self.on_update is not None:
            try:
                self.on_update()
            except Exception:
                log.exception("heap view update callback failed")

    def _on_event(self, event: Event) -> None:
        if isinstance(event, Running):
            self._cancel_stopped_work()
            if self.visible:
                self._start_polling()
        elif isinstance(event, Stopped):
            self._cancel_polling()
            self._start_stopped_work()
        elif isinstance(event, (Exited, Closed, SessionFailed)):
            self._cancel_polling()
            self._cancel_stopped_work()

    # ----- stopped: counters and the Delve walk -----

    def _start_stopped_work(self) -> None:
        self._cancel_stopped_work()
        if self._tg is not None:
            scope = self._stop_scope = anyio.CancelScope()
            self._tg.start_soon(self._stopped_work, scope)

    def _cancel_stopped_work(self) -> None:
        if self._stop_scope is not None:
            self._stop_scope.cancel()
            self._stop_scope = None

    async def _stopped_work(self, scope: anyio.CancelScope) -> None:
        with scope:
            client = self.session.client
            if client is None or self.session.phase != Phase.STOPPED:
                return
            try:
                self.counters = await read_counters(client)
            except DelveError as exc:
                self.status = f"cannot read heap counters: {exc}"
                self._notify()
                return
            self.history.add_counters(self.counters)
            self._notify()
            if not self.visible:
                return
            cycle = (self.counters.num_gc, self.counters.mprof_cycle)
            if cycle == self._walked_cycle:
                return
            await self._walk(cycle)

    async def _walk(self, cycle: tuple[int | None, int | None]) -> None:
        server = self.session.server
        if server is None:
            return
        self.busy = "reading the heap profile through Delve…"
        self._notify()
        try:
            client = await DelveClient.connect(server.address)
            async with client:
                if self.session.dlv_version < (1, 24, 0):
                    await client.set_api_version(2)
                walk = await walk_heap(client, dlv_version=self.session.dlv_version, max_buckets=self.max_buckets)
        except (DelveError, HeapWalkError) as exc:
            self.status = f"heap walk failed: {exc}"
            return
        finally:
            self.busy = ""
            self._notify()
        self._walked_cycle = cycle
        detail = f"{walk.buckets:,} buckets, {walk.pcs:,} PCs in {walk.seconds:.2f} s"
        if walk.truncated:
            detail += f" (stopped at {self.max_buckets:,} buckets: partial)"
        self.history.add(
            HeapSnapshot(walk.profile, HeapSource.DELVE, num_gc=cycle[0], detail=detail, truncated=walk.truncated)
        )
        self.status = ""

    # ----- running: HTTP polling -----

    def _start_polling(self) -> None:
        self._cancel_polling()
        if self._tg is not None and self.visible:
            scope = self._poll_scope = anyio.CancelScope()
            self._tg.start_soon(self._poll, scope)

    def _cancel_polling(self) -> None:
        if self._poll_scope is not None:
            self._poll_scope.cancel()
            self._poll_scope = None

    def _may_send(self) -> bool:
        return self.visible and self.session.phase == Phase.RUNNING

    async def _poll(self, scope: anyio.CancelScope) -> None:
        with scope:
            while self._may_send():
                if self.endpoint is None and not await self._discover():
                    await anyio.sleep(DISCOVERY_INTERVAL)
                    continue
                assert self.endpoint is not None
                started = time.perf_counter()
                try:
                    data = await fetch_heap(self.endpoint, timeout=max(2.0, 3 * self.last_poll_seconds))
                    self.requests += 1
                    await self._take_profile(data)
                except (PprofHTTPError, ProfileDecodeError) as exc:
                    self.status = str(exc)
                    if not self.endpoint_given:
                        self.endpoint = None
                        self._probed.clear()
                self._notify()
                self.last_poll_seconds = time.perf_counter() - started
                self.poll_interval = min(MAX_POLL_INTERVAL, max(self.min_interval, SLOW_FACTOR * self.last_poll_seconds))
                await anyio.sleep(self.poll_interval)

    async def _discover(self) -> bool:
        """Look for the target's pprof listener; cheap to repeat (only new listeners are probed)."""
        pid = self.session.target_pid or (self.session.state.Pid if self.session.state else 0)
        if pid and self._may_send():
            self.endpoint = await discover_pprof(pid, probed=self._probed)
        if self.endpoint is None:
            if self.status != NO_ENDPOINT_HINT:
                self.status = NO_ENDPOINT_HINT
                self._notify()
            return False
        self.status = ""
        return True

    async def _take_profile(self, data: bytes) -> None:
        def decode() -> tuple[bytes, object]:
            raw = gunzip(data)
            key = content_key(raw)
            if key == self._last_key:
                return key, None
            profile = decode_profile(raw)
            profile.fingerprint()  # here, not on the event loop when the history compares snapshots
            return key, profile

        key, profile = await anyio.to_thread.run_sync(decode, abandon_on_cancel=True)
        self._last_key = key
        if profile is None:
            return
        self.decodes += 1
        num_gc = self.history.gc_events[-1].number if self.history.gc_events else None
        self.history.add(HeapSnapshot(profile, HeapSource.HTTP, num_gc=num_gc, detail=self.endpoint or ""))
        self.status = ""
