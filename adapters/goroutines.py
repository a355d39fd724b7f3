"""Goroutines at scale: wait reasons, filters, paging, and a census between stops.

Delve's ListGoroutines runs inline in a connection's read loop and holds the
target lock for its whole duration, so a server-side grouping of 100k goroutines
would freeze the session's connection (and any step the user asks for) for
seconds. The census therefore runs on a second connection to the same
``--accept-multiclient`` dlv and walks the goroutine list in chunks sized to
take ~0.2 s each: a step or quit waits for one chunk at most, progress can be
shown after each chunk, and cancelling closes the second connection. Group
totals from the chunks add up exactly, because grouping by a goroutine's own
properties does not depend on which chunk it was seen in.

Nothing here ever holds every goroutine: the census keeps one counter per group
key, a bounded sample of member ids per group and a bounded history of totals.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import anyio

from .dlv.client import DelveClient, DelveError, ListGoroutinesOut, RPCError
from .dlv.types import (
    FILTER_WAITING_ON_CHANNEL,
    GOROUTINE_FIELD,
    GOROUTINE_STATUS,
    EvalScope,
    Goroutine,
    ListGoroutinesFilter,
    LoadConfig,
    Location,
    Stackframe,
)
from .events import Closed, Exited, Launching, Phase, Running, SessionFailed, Stopped

if TYPE_CHECKING:
    from .session import DebugSession

# ----- wait reasons -------------------------------------------------------------------------

# The runtime's waitReason enum (runtime/runtime2.go) changes between Go releases and
# Delve reports the raw number, so the names depend on the target's Go version.
# Delve's service/api/waitreason.go keeps one table per release group; these are the
# same numberings, written as "what changed since the previous group".
_GO_1_18 = (
    "", "GC assist marking", "IO wait", "chan receive (nil chan)", "chan send (nil chan)",
    "dumping heap", "garbage collection", "garbage collection scan", "panicwait", "select",
    "select (no cases)", "GC assist wait", "GC sweep wait", "GC scavenge wait", "chan receive",
    "chan send", "finalizer wait", "force gc (idle)", "semacquire", "sleep", "sync.Cond.Wait",
    "timer goroutine (idle)", "trace reader (blocked)", "wait for GC cycle", "GC worker (idle)",
    "preempted", "debug call",
)


def _edit(base: tuple[str, ...], *, drop: Iterable[str] = (), after: dict[str, Sequence[str]] | None = None,
          rename: dict[str, str] | None = None, append: Sequence[str] = ()) -> tuple[str, ...]:
    out: list[str] = []
    for name in base:
        if name in drop:
            continue
        out.append((rename or {}).get(name, name))
        out.extend((after or {}).get(name, ()))
    return (*out, *append)


# 1.20: the timer goroutine went away; sync primitives got their own reasons.
_GO_1_20 = _edit(
    _GO_1_18,
    drop=("timer goroutine (idle)",),
    after={"sync.Cond.Wait": ("sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock"),
           "GC worker (idle)": ("GC worker (active)",)},
    append=("GC mark termination", "stopping the world"),
)
# 1.22: the new execution tracer and coroutines (iter.Pull).
_GO_1_22 = _edit(
    _GO_1_20,
    append=("flushing proc caches", "trace goroutine status", "trace proc status", "page trace flush", "coroutine"),
)
# 1.24: WaitGroup and testing/synctest.
_GO_1_24 = _edit(
    _GO_1_22,
    after={"sync.RWMutex.Lock": ("sync.WaitGroup.Wait",)},
    append=("GC weak to strong wait", "synctest.Run", "synctest.Wait", "chan receive (synctest)", "chan send (synctest)"),
)
# 1.25: the GOMAXPROCS updater; synctest's "durable" blocking; cleanups.
_GO_1_25 = _edit(
    _GO_1_24,
    after={"force gc (idle)": ("GOMAXPROCS updater (idle)",)},
    rename={"chan receive (synctest)": "chan receive (durable)", "chan send (synctest)": "chan send (durable)"},
    append=("select (durable)", "sync.WaitGroup.Wait (durable)", "cleanup wait"),
)
# 1.26 reordered the enum so that every reason a goroutine can be woken from by a
# channel or sync primitive sits in one range; nothing was added or removed.
_GO_1_26 = (
    "", "GC assist marking", "IO wait", "dumping heap", "garbage collection", "garbage collection scan",
    "panicwait", "GC assist wait", "GC sweep wait", "GC scavenge wait", "finalizer wait", "force gc (idle)",
    "GOMAXPROCS updater (idle)", "semacquire", "sleep", "chan receive (nil chan)", "chan send (nil chan)",
    "select (no cases)", "select", "chan receive", "chan send", "sync.Cond.Wait", "sync.Mutex.Lock",
    "sync.RWMutex.RLock", "sync.RWMutex.Lock", "sync.WaitGroup.Wait", "trace reader (blocked)",
    "wait for GC cycle", "GC worker (idle)", "GC worker (active)", "preempted", "debug call",
    "GC mark termination", "stopping the world", "flushing proc caches", "trace goroutine status",
    "trace proc status", "page trace flush", "coroutine", "GC weak to strong wait", "synctest.Run",
    "synctest.Wait", "chan receive (durable)", "chan send (durable)", "select (durable)",
    "sync.WaitGroup.Wait (durable)", "cleanup wait",
)

# Go 1.<minor> → reason names indexed by the runtime's number (as Delve 1.27.1 maps them).
WAIT_REASONS: dict[int, tuple[str, ...]] = {
    18: _GO_1_18, 19: _GO_1_18, 20: _GO_1_20, 21: _GO_1_20, 22: _GO_1_22, 23: _GO_1_22,
    24: _GO_1_24, 25: _GO_1_25, 26: _GO_1_26, 27: _GO_1_26,
}


def wait_reason_name(go_version: tuple[int, int, int], reason: int) -> str:
    """The runtime's name for a raw waitReason of a target built with ``go_version``.

    Unknown Go versions get Delve's own wording, ``unknown wait reason N``.
    """
    table = WAIT_REASONS.get(go_version[1]) if go_version[0] == 1 else None
    if table is not None and 0 < reason < len(table):
        return table[reason]
    return f"unknown wait reason {reason}"


def is_parked(g: Goroutine) -> bool:
    """Waiting or in a syscall: the only states in which waitReason/waitSince mean anything."""
    return g.status in (3, 4)


def goroutine_state(g: Goroutine, go_version: tuple[int, int, int]) -> str:
    """What a goroutine is doing: its wait reason when parked, else its status name."""
    if is_parked(g) and g.waitReason:
        return wait_reason_name(go_version, g.waitReason)
    return GOROUTINE_STATUS.get(g.status, f"status {g.status}")


# ----- locations, groupings and filters -----------------------------------------------------


def format_location(loc: Location) -> str:
    """Delve's own rendering of a location, which is also its group name and filter text."""
    fn = loc.function.name if loc.function is not None and loc.function.name else "?"
    return f"{loc.file}:{loc.line} in {fn}"


GROUPINGS = ("userloc", "curloc", "goloc", "startloc", "label", "running", "user")
_LOCATION_OF = {
    "userloc": lambda g: g.userCurrentLoc,
    "curloc": lambda g: g.currentLoc,
    "goloc": lambda g: g.goStatementLoc,
    "startloc": lambda g: g.startLoc,
}


def group_label(key: str, group_by: str) -> str:
    """A short name for a group key: ``main.go:221 main.blockedOnChan`` for locations."""
    if group_by in _LOCATION_OF:
        where, _, fn = key.rpartition(" in ")
        path, _, line = where.rpartition(":")
        return f"{os.path.basename(path) or '?'}:{line} {fn}"
    return key


@dataclass(frozen=True)
class GoroutineFilters:
    """The census and list filters, as Delve's ListGoroutinesFilter list (all AND-ed).

    ``with_locations`` / ``without_locations`` are ``(kind, text)`` pairs where kind is
    userloc, curloc, goloc or startloc and text a substring of "file:line in function";
    ``labels`` are ``key=value`` (or just ``key``: has the label); ``running`` True keeps
    goroutines on a thread, False the parked ones.
    """

    user_only: bool = True
    with_locations: tuple[tuple[str, str], ...] = ()
    without_locations: tuple[tuple[str, str], ...] = ()
    labels: tuple[str, ...] = ()
    running: bool | None = None

    @classmethod
    def parse(cls, text: str, *, user_only: bool = True) -> GoroutineFilters:
        """The filter a user types: words AND-ed, each a user-location substring, ``-word``
        excluding one, ``k=v`` (or ``k=``) a pprof label, ``:running`` / ``:parked`` the
        thread state (locations are "file:line in function", so they hold no ``=``)."""
        with_locations: list[tuple[str, str]] = []
        without_locations: list[tuple[str, str]] = []
        labels: list[str] = []
        running: bool | None = None
        for word in text.split():
            if word in (":running", ":parked"):
                running = word == ":running"
            elif "=" in word:
                labels.append(word[:-1] if word.endswith("=") else word)
            elif word.startswith("-") and len(word) > 1:
                without_locations.append(("userloc", word[1:]))
            elif word != "-":
                with_locations.append(("userloc", word))
        return cls(user_only, tuple(with_locations), tuple(without_locations), tuple(labels), running)

    def to_delve(self) -> list[ListGoroutinesFilter]:
        out = [ListGoroutinesFilter(Kind=GOROUTINE_FIELD["user"])] if self.user_only else []
        for negated, pairs in ((False, self.with_locations), (True, self.without_locations)):
            for kind, text in pairs:
                if kind not in _LOCATION_OF:
                    raise ValueError(f"location filter kind must be one of {', '.join(_LOCATION_OF)}, not {kind!r}")
                out.append(ListGoroutinesFilter(Kind=GOROUTINE_FIELD[kind], Negated=negated, Arg=text))
        out += [ListGoroutinesFilter(Kind=GOROUTINE_FIELD["label"], Arg=label) for label in self.labels]
        if self.running is not None:
            out.append(ListGoroutinesFilter(Kind=GOROUTINE_FIELD["running"], Negated=not self.running))
        return out

    def describe(self) -> str:
        parts = ["user goroutines" if self.user_only else "all goroutines"]
        parts += [f"{kind} contains {text!r}" for kind, text in self.with_locations]
        parts += [f"{kind} without {text!r}" for kind, text in self.without_locations]
        parts += [f"label {label}" for label in self.labels]
        if self.running is not None:
            parts.append("running" if self.running else "not running")
        return ", ".join(parts)


def member_filters(group_by: str, key: str, label_key: str = "") -> list[ListGoroutinesFilter]:
    """Delve filters that select a group's members (location ones may over-match: see is_member)."""
    if group_by in _LOCATION_OF:
        return [ListGoroutinesFilter(Kind=GOROUTINE_FIELD[group_by], Arg=key)]
    if group_by == "label":
        return [ListGoroutinesFilter(Kind=GOROUTINE_FIELD["label"], Arg=key)]
    if group_by in ("running", "user"):
        return [ListGoroutinesFilter(Kind=GOROUTINE_FIELD[group_by], Negated=key.endswith("=false"))]
    raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}, not {group_by!r}")


def is_member(g: Goroutine, group_by: str, key: str) -> bool:
    """Exact membership for location groups (Delve's filter is a substring match).

    For the other groupings Delve's filter is already exact, so this says True.
    """
    location = _LOCATION_OF.get(group_by)
    return location is None or format_location(location(g)) == key


# ----- waiting times ------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitClock:
    """How long parked goroutines have waited, as far as the target's clock allows.

    ``waitSince`` is the runtime's nanotime() — CLOCK_MONOTONIC on Linux — but the
    runtime writes it only when a GC cycle finds the goroutine parked (it stamps the
    cycle's start time), so it is 0 until the first GC after the goroutine parked, and a
    stamped value means "parked at or before this". There is no runtime variable that
    holds the current nanotime (``sched.lastpoll`` is 0 while a thread sits in the
    network poller, which is the usual idle state), and a paused target cannot be asked
    to call nanotime(). So ``now_ns`` is our own CLOCK_MONOTONIC at the stop, used only
    when the target is a local, traced process in our time namespace whose
    ``runtime.runtimeInitTime`` fits its start time; otherwise (remote dlv, core file,
    other time namespace) it is None and only the ordering, plus the lower bound
    "parked at least X before the last GC" (``runtime.memstats.last_gc_nanotime``), is
    available.
    """

    now_ns: int | None
    last_gc_ns: int | None
    source: str

    @property
    def absolute(self) -> bool:
        return self.now_ns is not None

    def waited_ns(self, g: Goroutine) -> int | None:
        """Lower bound of how long ``g`` had waited at the stop; None if unknown."""
        if not is_parked(g) or g.waitSince <= 0 or self.now_ns is None:
            return None
        return max(0, self.now_ns - g.waitSince)

    def before_last_gc_ns(self, g: Goroutine) -> int | None:
        """Lower bound of how long before the last GC ``g`` parked (always the target's own clock)."""
        if not is_parked(g) or g.waitSince <= 0 or self.last_gc_ns is None:
            return None
        return max(0, self.last_gc_ns - g.waitSince)

    def describe(self, g: Goroutine) -> str:
        waited = self.waited_ns(g)
        if waited is not None:
            return f"≥ {format_duration(waited)}"
        if is_parked(g) and g.waitSince <= 0:
            return "since the last GC" if self.last_gc_ns else "unknown"
        before = self.before_last_gc_ns(g)
        if before is not None:
            return f"≥ {format_duration(before)} before last GC"
        return ""


NO_CLOCK = WaitClock(None, None, "not measured")


def longest_waiting_first(goroutines: Iterable[Goroutine]) -> list[Goroutine]:
    """Order parked goroutines by how long they have waited; needs no clock at all.

    Stamped waiters come first, oldest stamp first; parked goroutines without a stamp
    (parked after the last GC started) follow; goroutines that are not parked come last.
    """

    def key(g: Goroutine) -> tuple[int, int, int]:
        if not is_parked(g):
            return (2, 0, g.id)
        if g.waitSince <= 0:
            return (1, 0, g.id)
        return (0, g.waitSince, g.id)

    return sorted(goroutines, key=key)


def format_duration(ns: int) -> str:
    s = ns / 1e9
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 120:
        return f"{s:.1f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


# ----- counts, snapshots, results -----------------------------------------------------------


@dataclass(frozen=True)
class GoroutineCount:
    """How many goroutines the target has, read from runtime variables in a few Evals.

    ``slots`` is ``runtime.allglen`` (every g ever allocated, dead ones included: an upper
    bound); ``live`` is the runtime's own gcount() formula (slots minus the free lists)
    when this Go version's fields could be read — or, in an unfiltered census, the
    census total — and ``system`` the runtime's count of its own goroutines
    (``sched.ngsys``).
    """

    slots: int
    live: int | None = None
    system: int | None = None

    @property
    def best(self) -> int:
        return self.live if self.live is not None else self.slots

    def describe(self) -> str:
        if self.live is None:
            return f"≤ {self.slots:,} goroutines"
        user = f" ({self.live - self.system:,} user)" if self.system is not None else ""
        return f"{self.live:,} goroutines{user}"


@dataclass(frozen=True)
class GroupCensus:
    """One group of a census: its exact size, change since the previous stop, recent history."""

    key: str
    total: int
    delta: int | None
    history: tuple[int, ...]
    leak_suspect: bool
    sample_ids: tuple[int, ...] = ()
    representative: Goroutine | None = None
    stack: tuple[Stackframe, ...] | None = None


@dataclass(frozen=True)
class CensusSnapshot:
    """A complete census of one stop (partial progress is a CensusProgress instead)."""

    group_by: str
    label_key: str
    filters: GoroutineFilters
    stop: int
    groups: tuple[GroupCensus, ...]
    total: int
    count: GoroutineCount | None
    clock: WaitClock
    go_version: tuple[int, int, int]
    elapsed_s: float
    chunks: int
    other_groups: int = 0
    other_total: int = 0

    @property
    def leak_suspects(self) -> tuple[GroupCensus, ...]:
        return tuple(g for g in self.groups if g.leak_suspect)

    def group(self, key: str) -> GroupCensus:
        for g in self.groups:
            if g.key == key:
                return g
        raise KeyError(key)

    def find(self, text: str) -> GroupCensus:
        """The largest group whose key contains ``text`` (e.g. a function name)."""
        for g in self.groups:
            if text in g.key:
                return g
        raise KeyError(text)


@dataclass(frozen=True)
class CensusProgress:
    """Where a census is: ``scanned`` of ``slots`` goroutine slots, running group totals."""

    scanned: int
    slots: int
    totals: tuple[tuple[str, int], ...]
    count: GoroutineCount | None
    elapsed_s: float

    @property
    def fraction(self) -> float:
        return min(1.0, self.scanned / self.slots) if self.slots else 0.0


@dataclass(frozen=True)
class StackBucket:
    """Goroutines of one group whose whole stacks are identical, shown once with ×count."""

    group_key: str
    frames: tuple[tuple[str, str, int], ...]
    count: int
    sampled: int
    goroutine_ids: tuple[int, ...]
    truncated: bool = False


@dataclass(frozen=True)
class StackBuckets:
    """Full-stack-signature buckets; ``exact`` False means counts were scaled up from samples."""

    buckets: tuple[StackBucket, ...]
    exact: bool
    note: str


@dataclass(frozen=True)
class MemberPage:
    """Some members of a group; pass ``next_start`` back for more (−1: no more)."""

    goroutines: tuple[Goroutine, ...]
    next_start: int


@dataclass(frozen=True)
class ChannelWaiters:
    """Goroutines blocked on a channel; ``truncated`` when there were more than asked for."""

    expr: str
    goroutines: tuple[Goroutine, ...]
    truncated: bool


class CensusError(Exception):
    """A census operation failed; the message says why and what to do."""


class CensusCancelled(CensusError):
    """The census was cancelled (the target resumed, or someone called cancel())."""

    def __init__(self, message: str = "goroutine census cancelled: the program resumed or the census was stopped"):
        super().__init__(message)


# ----- history and leak suspects -------------------------------------------------------------

HISTORY_LEN = 20
LEAK_MIN_GROWTHS = 3


def is_leak_suspect(history: Sequence[int], min_growths: int = LEAK_MIN_GROWTHS) -> bool:
    """True when a group grew at each of the last ``min_growths`` stops and never shrank.

    ``history`` is the group's total at each recorded stop, oldest first (0 where it
    did not exist yet), so ``min_growths`` growths need ``min_growths + 1`` stops.
    """
    if len(history) < min_growths + 1:
        return False
    steps = [b - a for a, b in zip(history, history[1:])]
    return all(s > 0 for s in steps[-min_growths:]) and all(s >= 0 for s in steps)


def sparkline(history: Sequence[int], bars: str = "▁▂▃▄▅▆▇█") -> str:
    """A one-line chart of a group's totals, scaled between its own min and max; ``bars`` are
    the levels, lowest first (the UI passes its glyph table's, ASCII on a C locale)."""
    if not history:
        return ""
    lo, hi = min(history), max(history)
    if hi == lo:
        return bars[0 if hi == 0 else (len(bars) - 1) // 2] * len(history)
    return "".join(bars[round((v - lo) / (hi - lo) * (len(bars) - 1))] for v in history)


@dataclass
class _Series:
    """Totals per group key at each recorded stop of one (grouping, filters) combination."""

    stops: deque[tuple[int, dict[str, int]]] = field(default_factory=lambda: deque(maxlen=HISTORY_LEN))

    def record(self, stop: int, totals: dict[str, int]) -> None:
        if self.stops and self.stops[-1][0] == stop:
            self.stops.pop()
        self.stops.append((stop, totals))

    def history(self, key: str) -> tuple[int, ...]:
        return tuple(totals.get(key, 0) for _, totals in self.stops)

    def previous(self) -> dict[str, int] | None:
        return self.stops[-2][1] if len(self.stops) >= 2 else None


# ----- the census ---------------------------------------------------------------------------

Connect = Callable[[], Awaitable[DelveClient]]
Progress = Callable[[CensusProgress], object]

SAMPLES_PER_GROUP = 16
MAX_GROUPS = 20_000
CHUNK_TARGET_S = 0.2
MIN_CHUNK, MAX_CHUNK, FIRST_CHUNK = 500, 50_000, 1000
PAGE_SIZE = 1000
STACK_DEPTH = 64
CHANNEL_FILTER_SINCE = (1, 21, 1)


class GoroutineCensus:
    """Group counts of all goroutines at each stop, with their history across stops.

    ``connect`` opens a NEW DelveClient to the session's dlv (a second connection, so
    the session's own stays free); ``scope`` gives the EvalScope for channel
    expressions; ``is_stopped`` says whether the target may be read (a census on a
    running target would block until the next stop). ``for_session`` wires all of this
    and cancels running work when the session resumes or closes.

    Stops are counted by ``mark_stop()`` (``for_session`` calls it on every Stopped
    event); every ``take()`` at the same stop replaces that stop's entry in the history
    rather than adding one.
    """

    def __init__(
        self,
        connect: Connect,
        scope: Callable[[], EvalScope] = EvalScope,
        *,
        go_version: tuple[int, int, int] | Callable[[], tuple[int, int, int]] = (0, 0, 0),
        dlv_version: tuple[int, int, int] | None = None,
        is_stopped: Callable[[], bool] = lambda: True,
        chunk_target_s: float = CHUNK_TARGET_S,
        samples_per_group: int = SAMPLES_PER_GROUP,
        max_groups: int = MAX_GROUPS,
        call_timeout: float = 120.0,
    ) -> None:
        self._connect = connect
        self._scope = scope
        self._go_version = go_version
        self.dlv_version = dlv_version
        self._is_stopped = is_stopped
        self.chunk_target_s = chunk_target_s
        self.samples_per_group = samples_per_group
        self.max_groups = max_groups
        self.call_timeout = call_timeout
        self.stop = 0
        self.stop_time_ns: int | None = None
        self.last: CensusSnapshot | None = None
        self._series: dict[tuple[Any, ...], _Series] = {}
        self._scopes: set[anyio.CancelScope] = set()
        self._warm_stop: int | None = None
        self._clock: tuple[int, WaitClock] | None = None
        self._rng = random.Random(0)

    @classmethod
    def for_session(cls, session: DebugSession, **kwargs: Any) -> GoroutineCensus:
        """A census on a second connection to the session's dlv, following its stops.

        A restart starts a new process, so it also forgets the history.
        """
        server = session.server
        if server is None:
            raise CensusError("the session has no dlv to connect to yet")
        address = server.address

        async def connect() -> DelveClient:
            return await DelveClient.connect(address)

        census = cls(
            connect,
            session.scope,
            go_version=lambda: session.go_version,
            dlv_version=session.dlv_version,
            is_stopped=lambda: session.phase == Phase.STOPPED,
            **kwargs,
        )

        def on_event(event: object) -> None:
            if isinstance(event, Stopped):
                census.mark_stop()
            elif isinstance(event, Launching):
                census.cancel()
                census.forget()
            elif isinstance(event, (Running, Exited, SessionFailed, Closed)):
                census.cancel()

        session.subscribe(on_event)
        if session.phase == Phase.STOPPED:
            census.mark_stop()
        return census

    # ----- stops and cancellation -----

    @property
    def go_version(self) -> tuple[int, int, int]:
        v = self._go_version
        return v() if callable(v) else v

    def mark_stop(self, at_ns: int | None = None) -> None:
        """The target stopped again: the next take() starts a new history entry."""
        self.stop += 1
        self.stop_time_ns = time.monotonic_ns() if at_ns is None else at_ns

    def forget(self) -> None:
        """Drop every history (the goroutines of a restarted process are new ones)."""
        self._series.clear()
        self.last = None

    def cancel(self) -> None:
        """Abandon every running census call: its connection is closed at once.

        Delve finishes the chunk it is working on (at most ~chunk_target_s) and then
        serves the session's own connection.
        """
        for scope in list(self._scopes):
            scope.cancel()

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[DelveClient]:
        """A fresh second connection for one operation, closed when cancel() is called.

        Errors are raised only after the client's task group has closed, so callers see
        CensusError / CensusCancelled rather than an exception group.
        """
        if not self._is_stopped():
            raise CensusError("the program is not paused (it runs, has exited or is gone): pause it first")
        scope = anyio.CancelScope()
        self._scopes.add(scope)
        failure: BaseException | None = None
        try:
            with scope:
                try:
                    client = await self._connect()
                except DelveError as exc:
                    raise CensusError(f"could not open a second connection to Delve: {exc}") from exc
                client.default_timeout = self.call_timeout
                async with client:
                    try:
                        yield client
                    except anyio.get_cancelled_exc_class():
                        raise
                    except RPCError as exc:
                        failure = CensusError(exc.message)
                        failure.__cause__ = exc
                    except DelveError as exc:
                        failure = (
                            CensusCancelled()
                            if not self._is_stopped()
                            else CensusError(f"the census connection to Delve failed: {exc}")
                        )
                        failure.__cause__ = exc
                    except Exception as exc:
                        failure = exc
        finally:
            self._scopes.discard(scope)
        if failure is not None:
            raise failure
        if scope.cancelled_caught:
            raise CensusCancelled()

    def _check_stopped(self) -> None:
        if not self._is_stopped():
            raise CensusCancelled()

    # ----- counting -----

    async def count(self) -> GoroutineCount:
        """The goroutine count in a few Evals (milliseconds, whatever the count)."""
        async with self._connection() as client:
            return await count_goroutines(client)

    # ----- the census -----

    async def take(
        self,
        group_by: str = "userloc",
        *,
        label_key: str = "",
        filters: GoroutineFilters = GoroutineFilters(),
        progress: Progress | None = None,
    ) -> CensusSnapshot:
        """Count every goroutine by group (exact totals), and record them as this stop's entry.

        ``progress`` is called before the first chunk (with ``runtime.allglen`` as the
        number of goroutine slots to walk) and after every chunk. The snapshot's count
        is exact only without filters (count() reads the runtime's own). Raises
        CensusCancelled if the target resumes or cancel() is called meanwhile; nothing is
        recorded then.
        """
        if group_by not in GROUPINGS:
            raise ValueError(f"group_by must be one of {', '.join(GROUPINGS)}, not {group_by!r}")
        if group_by == "label" and not label_key:
            raise ValueError("grouping by label needs a label_key")
        stop = self.stop
        started = time.perf_counter()
        delve_filters = filters.to_delve()
        totals: dict[str, int] = {}
        samples: dict[str, list[int]] = {}
        seen: dict[str, int] = {}
        representatives: dict[str, Goroutine] = {}
        other_keys: set[str] = set()
        other_total = 0
        chunks = 0
        async with self._connection() as client:
            slots = await _eval_int(client, "runtime.allglen")
            if slots is None:
                raise CensusError("cannot read runtime.allglen: is this a Go program with debug information?")
            count = GoroutineCount(slots=slots)

            def report(scanned: int) -> None:
                if progress is not None:
                    ranked = tuple(sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])))
                    progress(CensusProgress(scanned, count.slots, ranked, count, time.perf_counter() - started))

            report(0)

            def members_per_group() -> int:
                # Delve unwinds and converts every member it returns (the cost of a
                # census is mostly that, per goroutine): a full sample from the first
                # chunk, then the minimum of one per group, which the reservoir spreads.
                return self.samples_per_group if chunks == 0 else 1

            async for out, scanned in self._chunks(client, delve_filters, group_by, label_key, members_per_group):
                chunks += 1
                members = out.Goroutines or []
                for group in out.Groups or []:
                    key = group.Name
                    if key not in totals and len(totals) >= self.max_groups:
                        other_keys.add(key)
                        other_total += group.Total
                        continue
                    totals[key] = totals.get(key, 0) + group.Total
                    for g in members[group.Offset : group.Offset + group.Count]:
                        self._sample(samples.setdefault(key, []), seen, key, g.id)
                        representatives.setdefault(key, g)
                report(scanned if scanned >= 0 else count.slots)
            clock = await self._wait_clock(client, stop)
        total = sum(totals.values()) + other_total
        if not delve_filters:
            count = GoroutineCount(slots=count.slots, live=total)
        series = self._series.setdefault((group_by, label_key, filters), _Series())
        series.record(stop, totals)
        previous = series.previous()
        groups = [
            GroupCensus(
                key=key,
                total=total,
                delta=None if previous is None else total - previous.get(key, 0),
                history=series.history(key),
                leak_suspect=is_leak_suspect(series.history(key)),
                sample_ids=tuple(sorted(samples.get(key, ()))),
                representative=representatives.get(key),
            )
            for key, total in totals.items()
        ]
        if previous is not None:
            groups += [
                GroupCensus(key=key, total=0, delta=-was, history=series.history(key), leak_suspect=False)
                for key, was in previous.items()
                if key not in totals
            ]
        groups.sort(key=lambda g: (-g.total, g.key))
        self._warm_stop = stop
        snapshot = CensusSnapshot(
            group_by=group_by,
            label_key=label_key,
            filters=filters,
            stop=stop,
            groups=tuple(groups),
            total=total,
            count=count,
            clock=clock,
            go_version=self.go_version,
            elapsed_s=time.perf_counter() - started,
            chunks=chunks,
            other_groups=len(other_keys),
            other_total=other_total,
        )
        self.last = snapshot
        return snapshot

    def _sample(self, bucket: list[int], seen: dict[str, int], key: str, gid: int) -> None:
        """Reservoir sampling, so a group's sample spreads over the whole goroutine list.

        Slot 0 keeps the first member seen: the group's representative is always sampled.
        """
        n = seen[key] = seen.get(key, 0) + 1
        if len(bucket) < self.samples_per_group:
            bucket.append(gid)
        else:
            slot = self._rng.randrange(1, n)
            if slot < self.samples_per_group:
                bucket[slot] = gid

    async def _chunks(
        self,
        client: DelveClient,
        filters: list[ListGoroutinesFilter],
        group_by: str,
        label_key: str,
        members: int | Callable[[], int],
        *,
        start: int = 0,
        window: int | None = None,
    ) -> AsyncIterator[tuple[ListGoroutinesOut, int]]:
        """ListGoroutines over consecutive chunks, each sized to take ~chunk_target_s.

        A fixed ``window`` is for listings that return every goroutine they scan (pages).
        """
        size = window or FIRST_CHUNK
        while start >= 0:
            self._check_stopped()
            began = time.perf_counter()
            out = await client.list_goroutines(
                start,
                size,
                filters=filters,
                group_by=GOROUTINE_FIELD[group_by] if group_by else 0,
                group_by_key=label_key,
                max_group_members=members() if callable(members) else members,
            )
            took = max(time.perf_counter() - began, 1e-4)
            start = out.Nextg
            yield out, start
            if window:
                continue
            wanted = size * self.chunk_target_s / took
            size = int(min(MAX_CHUNK, max(MIN_CHUNK, size / 2, min(size * 2, wanted))))

    # ----- members, stacks, channels -----

    async def group_members(
        self,
        group: GroupCensus | str,
        snapshot: CensusSnapshot | None = None,
        *,
        start: int = 0,
        limit: int = 100,
    ) -> MemberPage:
        """At most ``limit`` (≤ 1000) members of a group, scanning from ``start`` (a Nextg index).

        Delve filters after paging, so a small group in a big program costs a scan of
        the goroutines between its members: each call asks for as many goroutine slots
        as members are still wanted, so a page never exceeds ``limit``.
        """
        snapshot = snapshot or self.last
        if snapshot is None:
            raise CensusError("take a census before listing a group's members")
        key = group if isinstance(group, str) else group.key
        filters = snapshot.filters.to_delve() + member_filters(snapshot.group_by, key, snapshot.label_key)
        limit = max(1, min(limit, PAGE_SIZE))
        found: list[Goroutine] = []
        next_start = start
        async with self._connection() as client:
            while next_start >= 0 and len(found) < limit:
                self._check_stopped()
                out = await client.list_goroutines(next_start, limit - len(found), filters=filters)
                found += [g for g in out.Goroutines or [] if is_member(g, snapshot.group_by, key)]
                next_start = out.Nextg
        return MemberPage(tuple(found), next_start)

    async def with_stacks(self, snapshot: CensusSnapshot | None = None, *, depth: int = 32) -> CensusSnapshot:
        """The snapshot with one representative stack per group (for export)."""
        snapshot = snapshot or self.last
        if snapshot is None:
            raise CensusError("take a census first")
        ids = {g.key: g.representative.id for g in snapshot.groups if g.representative is not None}
        async with self._connection() as client:
            stacks = await _stacks(client, list(ids.values()), depth)
        groups = tuple(
            replace(g, stack=tuple(stacks.get(ids[g.key], ()))) if g.key in ids else g for g in snapshot.groups
        )
        return replace(snapshot, groups=groups)

    async def stack_buckets(
        self,
        snapshot: CensusSnapshot | None = None,
        *,
        sample_limit: int = SAMPLES_PER_GROUP,
        exact_limit: int = 1000,
        max_stacks: int = 2000,
        depth: int = STACK_DEPTH,
    ) -> StackBuckets:
        """Collapse goroutines with identical whole stacks into buckets, per group.

        Exact (every stack read) when the snapshot counted at most ``exact_limit``
        goroutines; otherwise each group's census sample (≤ ``sample_limit`` stacks,
        ≤ ``max_stacks`` overall, biggest groups first) is bucketed and the counts are
        scaled to the group's exact total — the note says so.
        """
        snapshot = snapshot or self.last
        if snapshot is None:
            raise CensusError("take a census first")
        async with self._connection() as client:
            if snapshot.total <= exact_limit:
                members: dict[str, list[int]] = {}
                async for out, _ in self._chunks(client, snapshot.filters.to_delve(), "", "", 1, window=PAGE_SIZE):
                    for g in out.Goroutines or []:
                        members.setdefault(_group_key_of(g, snapshot), []).append(g.id)
                exact = True
            else:
                budget = max_stacks
                members = {}
                for group in snapshot.groups:
                    take = list(group.sample_ids[: min(sample_limit, budget)])
                    if take:
                        members[group.key] = take
                        budget -= len(take)
                exact = False
            stacks = await _stacks(client, [gid for ids in members.values() for gid in ids], depth)
        totals = {g.key: g.total for g in snapshot.groups}
        buckets: list[StackBucket] = []
        for key, ids in members.items():
            by_signature: dict[tuple[tuple[str, str, int], ...], list[int]] = {}
            truncated: set[tuple[tuple[str, str, int], ...]] = set()
            for gid in ids:
                frames = stacks.get(gid)
                if frames is None:
                    continue
                signature = tuple(_frame_key(f) for f in frames[: depth + 1])
                by_signature.setdefault(signature, []).append(gid)
                if len(frames) > depth:
                    truncated.add(signature)
            sampled = sum(len(v) for v in by_signature.values())
            for signature, gids in by_signature.items():
                count = len(gids) if exact else round(totals.get(key, sampled) * len(gids) / max(sampled, 1))
                buckets.append(
                    StackBucket(key, signature, count, len(gids), tuple(sorted(gids)[:8]), signature in truncated)
                )
        buckets.sort(key=lambda b: (-b.count, b.group_key, b.frames))
        if exact:
            note = f"exact: all {snapshot.total:,} stacks compared"
        else:
            read = sum(b.sampled for b in buckets)
            note = (
                f"sampled: {read:,} stacks read out of {snapshot.total:,} goroutines (≤ {sample_limit} per group); "
                "counts are the group's exact total split by the sample's proportions"
            )
        return StackBuckets(tuple(buckets), exact, note)

    async def channel_waiters(self, expr: str, *, limit: int = 1000) -> ChannelWaiters:
        """Goroutines blocked sending to or receiving from the channel ``expr`` (Delve ≥ 1.21.1).

        Delve looks each waiter up by id, which scans the goroutine list unless it was
        read since the stop; so the list is scanned once (chunked, cancellable) first
        unless a census of this stop already did it.
        """
        if not expr.strip():
            raise CensusError("give a channel expression, e.g. main.jobs or s.ch")
        async with self._connection() as client:
            version = self.dlv_version or _parse_version((await client.get_version()).DelveVersion)
            if version < CHANNEL_FILTER_SINCE:
                raise CensusError(
                    f"listing a channel's waiters needs Delve 1.21.1 or newer (this is {'.'.join(map(str, version))}); "
                    "print the channel instead, or upgrade dlv"
                )
            if self._warm_stop != self.stop:
                running = [ListGoroutinesFilter(Kind=GOROUTINE_FIELD["running"])]
                async for _ in self._chunks(client, running, "", "", 1):
                    pass
                self._warm_stop = self.stop
            self._check_stopped()
            chan = ListGoroutinesFilter(Kind=FILTER_WAITING_ON_CHANNEL, Arg=expr)
            # One more than wanted tells whether there are more (Delve ≤ 1.27.1 may even
            # return count+1 waiters, with Nextg −1, so Nextg cannot tell).
            out = await client.list_goroutines(0, limit + 1, filters=[chan], scope=self._scope())
        found = out.Goroutines or []
        return ChannelWaiters(expr, tuple(found[:limit]), len(found) > limit)

    # ----- clocks -----

    async def _wait_clock(self, client: DelveClient, stop: int) -> WaitClock:
        if self._clock is not None and self._clock[0] == stop:
            return self._clock[1]
        values = await _eval_ints(client, ["runtime.runtimeInitTime", "runtime.memstats.last_gc_nanotime"])
        init_ns, last_gc = values["runtime.runtimeInitTime"], values["runtime.memstats.last_gc_nanotime"]
        pid = await client.process_pid()
        now = self.stop_time_ns if self.stop_time_ns is not None else time.monotonic_ns()
        reason = _local_clock_problem(pid, init_ns, now)
        clock = WaitClock(
            now_ns=None if reason else now,
            last_gc_ns=last_gc or None,
            source=reason or f"our CLOCK_MONOTONIC at the stop (process {pid} runs on this machine)",
        )
        self._clock = (stop, clock)
        return clock


def _group_key_of(g: Goroutine, snapshot: CensusSnapshot) -> str:
    """The group a goroutine falls in, computed as Delve's GroupGoroutines does."""
    location = _LOCATION_OF.get(snapshot.group_by)
    if location is not None:
        return format_location(location(g))
    if snapshot.group_by == "label":
        return f"{snapshot.label_key}={(g.labels or {}).get(snapshot.label_key, '')}"
    if snapshot.group_by == "running":
        return f"running={'true' if g.threadID else 'false'}"
    fn = g.startLoc.function.name if g.startLoc.function else ""
    system = fn.startswith("runtime.") and fn not in ("runtime.main", "runtime.handleAsyncEvent")
    return f"user={'false' if system else 'true'}"


def _frame_key(frame: Stackframe) -> tuple[str, str, int]:
    fn = frame.function.name if frame.function is not None else "?"
    return (fn, frame.file, frame.line)


async def _stacks(client: DelveClient, ids: Sequence[int], depth: int, parallel: int = 16) -> dict[int, list[Stackframe]]:
    """Stacks of many goroutines, pipelined on one connection (Delve answers them in turn)."""
    out: dict[int, list[Stackframe]] = {}
    limiter = anyio.Semaphore(parallel)

    async def one(gid: int) -> None:
        async with limiter:
            with contextlib.suppress(RPCError):
                out[gid] = await client.stacktrace(gid, depth)

    async with anyio.create_task_group() as tg:
        for gid in ids:
            tg.start_soon(one, gid)
    return out


_COUNT_CFG = LoadConfig(FollowPointers=False, MaxVariableRecurse=1, MaxStringLen=0, MaxArrayValues=0, MaxStructFields=-1)
# The free lists changed shape: gList + n (≤ 1.24) → stack/noStack gQueues with sizes (1.25+).
_SCHED_FREE = (
    ("runtime.sched.gFree.stack.size", "runtime.sched.gFree.noStack.size"),
    ("runtime.sched.gFree.n",),
)
_P_FREE = ("runtime.allp[{i}].gFree.size", "runtime.allp[{i}].gFree.n")
_NGSYS = ("runtime.sched.ngsys.value", "runtime.sched.ngsys")


async def _eval_int(client: DelveClient, expr: str) -> int | None:
    try:
        v = await client.eval(EvalScope(GoroutineID=-1), expr, _COUNT_CFG)
    except RPCError:
        return None
    try:
        return int(v.value)
    except ValueError:
        return None


async def _eval_ints(client: DelveClient, exprs: Sequence[str]) -> dict[str, int | None]:
    """Evaluate several integer expressions pipelined on one connection."""
    out: dict[str, int | None] = {}

    async def one(expr: str) -> None:
        out[expr] = await _eval_int(client, expr)

    async with anyio.create_task_group() as tg:
        for expr in dict.fromkeys(exprs):
            tg.start_soon(one, expr)
    return out


def _first_known(values: dict[str, int | None], candidates: Sequence[Sequence[str]]) -> int | None:
    """The sum of the first candidate group whose expressions all evaluated."""
    for group in candidates:
        parts = [values.get(expr) for expr in group]
        if all(p is not None for p in parts):
            return sum(p for p in parts if p is not None)
    return None


MAX_PROCS_READ = 1024


async def count_goroutines(client: DelveClient) -> GoroutineCount:
    """runtime.gcount(): allglen minus the global and per-P free lists, in two pipelined rounds."""
    values = await _eval_ints(
        client, ["runtime.allglen", "len(runtime.allp)", *(e for v in _SCHED_FREE for e in v), *_NGSYS]
    )
    slots = values["runtime.allglen"]
    if slots is None:
        raise CensusError("cannot read runtime.allglen: is this a Go program with debug information?")
    free = _first_known(values, _SCHED_FREE)
    system = _first_known(values, [(e,) for e in _NGSYS])
    nprocs = values["len(runtime.allp)"]
    live = None
    if free is not None and nprocs is not None and nprocs <= MAX_PROCS_READ:
        per_p = [[t.format(i=i) for i in range(nprocs)] for t in _P_FREE]
        p_values = await _eval_ints(client, [e for exprs in per_p for e in exprs])
        p_free = _first_known(p_values, per_p)
        if p_free is not None:
            live = slots - free - p_free
    return GoroutineCount(slots=slots, live=live if live is not None and live > 0 else None, system=system)


def _parse_version(text: str) -> tuple[int, int, int]:
    m = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)) if m else (0, 0, 0)


def _local_clock_problem(pid: int, init_ns: int | None, now_ns: int) -> str:
    """Why our CLOCK_MONOTONIC cannot stand in for the target's nanotime(); "" if it can."""
    if init_ns is None or init_ns <= 0:
        return "waiting times are relative only: runtime.runtimeInitTime is unreadable"
    try:
        stat = open(f"/proc/{pid}/stat").read()
        status = open(f"/proc/{pid}/status").read()
    except OSError:
        return "waiting times are relative only: the program does not run on this machine (remote dlv or core file)"
    tracer = next((line.split()[1] for line in status.splitlines() if line.startswith("TracerPid:")), "0")
    if tracer == "0":
        return f"waiting times are relative only: local process {pid} is not the one being debugged"
    with contextlib.suppress(OSError):
        if os.readlink(f"/proc/{pid}/ns/time") != os.readlink("/proc/self/ns/time"):
            return "waiting times are relative only: the program runs in another time namespace"
    start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
    start_boot_ns = start_ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")
    boot_minus_mono = time.clock_gettime_ns(time.CLOCK_BOOTTIME) - time.monotonic_ns()
    start_mono_ns = start_boot_ns - boot_minus_mono
    # The runtime starts after exec (and under dlv maybe much later), never before it, nor after the stop.
    if not (start_mono_ns - 1_000_000_000 <= init_ns <= now_ns):
        return "waiting times are relative only: the program's clock does not match this machine's"
    return ""


# ----- export -------------------------------------------------------------------------------


def to_markdown(snapshot: CensusSnapshot, buckets: StackBuckets | None = None, *, title: str = "Goroutine census") -> str:
    """The census as Markdown for an incident report: groups, counts, Δ, history, stacks."""
    by = snapshot.group_by if snapshot.group_by != "label" else f"label {snapshot.label_key}"
    lines = [
        f"# {title}",
        "",
        f"- **{snapshot.total:,}** goroutines ({snapshot.filters.describe()}), grouped by **{by}** "
        f"into {len([g for g in snapshot.groups if g.total])} groups",
        f"- stop #{snapshot.stop}; census took {snapshot.elapsed_s:.2f} s in {snapshot.chunks} chunks",
    ]
    if snapshot.count is not None:
        lines.append(f"- runtime count: {snapshot.count.describe()}")
    if snapshot.go_version != (0, 0, 0):
        lines.append(f"- Go {'.'.join(map(str, snapshot.go_version))}")
    lines.append(f"- waiting times: {snapshot.clock.source}")
    if snapshot.other_groups:
        lines.append(f"- {snapshot.other_groups:,} further groups ({snapshot.other_total:,} goroutines) not listed")
    suspects = snapshot.leak_suspects
    if suspects:
        lines += ["", "## Leak suspects", ""]
        lines += [
            f"- `{_md(group_label(g.key, snapshot.group_by))}`: {g.total:,} goroutines, grew at each of the last "
            f"{LEAK_MIN_GROWTHS} stops ({' → '.join(f'{v:,}' for v in g.history)})"
            for g in suspects
        ]
    lines += ["", "## Groups", "", "| Count | Δ | History | State | Group |", "|---:|---:|---|---|---|"]
    for g in snapshot.groups:
        delta = "" if g.delta is None else f"{g.delta:+,}"
        state = _state_text(g.representative, snapshot) if g.representative else ""
        mark = " ⚠ leak suspect" if g.leak_suspect else ""
        lines.append(
            f"| {g.total:,} | {delta} | {sparkline(g.history)} | {_md(state)} | `{_md(g.key)}`{mark} |"
        )
    stacked = [g for g in snapshot.groups if g.stack]
    if stacked:
        lines += ["", "## Representative stacks"]
        for g in stacked:
            assert g.representative is not None and g.stack is not None
            lines += [
                "",
                f"### {_md(group_label(g.key, snapshot.group_by))} ×{g.total:,}",
                "",
                "```",
                f"goroutine {g.representative.id} [{_state_text(g.representative, snapshot)}]:",
                *_stack_lines(g.stack),
                "```",
            ]
    if buckets is not None and buckets.buckets:
        lines += ["", "## Identical stacks", "", f"_{buckets.note}_"]
        for b in buckets.buckets:
            approx = "" if buckets.exact else "≈"
            lines += [
                "",
                f"### ×{approx}{b.count:,} in `{_md(group_label(b.group_key, snapshot.group_by))}`"
                + (f" (sampled {b.sampled})" if not buckets.exact else ""),
                "",
                "```",
                *(f"{fn}\n\t{file}:{line}" for fn, file, line in b.frames),
                *(["…(stack truncated)"] if b.truncated else []),
                "```",
            ]
    return "\n".join(lines) + "\n"


def _state_text(g: Goroutine, snapshot: CensusSnapshot) -> str:
    state = goroutine_state(g, snapshot.go_version)
    waited = snapshot.clock.describe(g) if is_parked(g) else ""
    return f"{state}, {waited}" if waited else state


def _stack_lines(frames: Iterable[Stackframe]) -> list[str]:
    out = []
    for f in frames:
        fn = f.function.name if f.function else "?"
        out += [f"{fn}(…)", f"\t{f.file}:{f.line}"]
    return out


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


__all__ = [
    "WAIT_REASONS",
    "CensusCancelled",
    "CensusError",
    "CensusProgress",
    "CensusSnapshot",
    "ChannelWaiters",
    "GoroutineCensus",
    "GoroutineCount",
    "GoroutineFilters",
    "GroupCensus",
    "MemberPage",
    "StackBucket",
    "StackBuckets",
    "WaitClock",
    "format_duration",
    "format_location",
    "goroutine_state",
    "group_label",
    "is_leak_suspect",
    "is_member",
    "longest_waiting_first",
    "member_filters",
    "sparkline",
    "to_markdown",
    "wait_reason_name",
]
