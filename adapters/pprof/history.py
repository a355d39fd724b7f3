"""Snapshots over time: GC-distinct history, a pinned baseline and leak suspects.

A heap profile only changes when a GC finishes (runtime/mprof.go publishes a
cycle after its sweep), so snapshots are kept only when they differ from the
previous one: by GC count when the source knows it, else by content.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from enum import Enum

from .counters import HeapCounters
from .gctrace import GCEvent
from .profile import HeapProfile
from .report import Granularity, NodeKey, node_values, printable_name, PROFILER_PREFIXES

MAX_SNAPSHOTS = 32
MAX_POINTS = 512
MIN_RISES = 2  # consecutive rises (so 3 GC-distinct snapshots) before a site is a suspect
MIN_GROWTH_BYTES = 1 << 20
MIN_GROWTH_SHARE = 0.05


class HeapSource(Enum):
    HTTP = "pprof endpoint"
    DELVE = "Delve bucket walk"
    COUNTERS = "counters only"


@dataclass(frozen=True, slots=True)
class HeapSnapshot:
    """One profile and where and when it came from."""

    profile: HeapProfile
    source: HeapSource
    taken_at: float = field(default_factory=time.time)  # wall clock, seconds
    num_gc: int | None = None
    detail: str = ""  # the URL, or "1,216 buckets in 0.26 s"
    truncated: bool = False

    @property
    def sampling_rate(self) -> int:
        """runtime.MemProfileRate the profile was written with (its period)."""
        return self.profile.period

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.taken_at


@dataclass(frozen=True, slots=True)
class LeakSuspect:
    key: NodeKey
    name: str
    inuse_bytes: int
    growth_bytes: int  # over the rising run
    rises: int  # consecutive GC-distinct snapshots it grew in
    bytes_per_second: float
    bytes_per_gc: float | None


class HeapHistory:
    """The snapshots, counters and GC events the heap view draws from."""

    def __init__(self, max_snapshots: int = MAX_SNAPSHOTS, max_points: int = MAX_POINTS):
        self.snapshots: deque[HeapSnapshot] = deque(maxlen=max_snapshots)
        self.counters: deque[tuple[float, HeapCounters]] = deque(maxlen=max_points)
        self.gc_events: deque[GCEvent] = deque(maxlen=max_points)
        self.baseline: HeapSnapshot | None = None

    @property
    def latest(self) -> HeapSnapshot | None:
        return self.snapshots[-1] if self.snapshots else None

    @property
    def previous(self) -> HeapSnapshot | None:
        return self.snapshots[-2] if len(self.snapshots) > 1 else None

    def add(self, snapshot: HeapSnapshot) -> bool:
        """Keep ``snapshot`` if it is GC-distinct from the latest one; True if kept."""
        last = self.latest
        if last is not None and _same_cycle(last, snapshot):
            return False
        self.snapshots.append(snapshot)
        return True

    def pin_baseline(self, snapshot: HeapSnapshot | None = None) -> None:
        """Compare later tables against ``snapshot`` (default: the latest); None unpins."""
        self.baseline = snapshot if snapshot is not None else self.latest

    def clear_baseline(self) -> None:
        self.baseline = None

    def add_counters(self, counters: HeapCounters, at: float | None = None) -> None:
        self.counters.append((time.time() if at is None else at, counters))

    def add_gc_event(self, event: GCEvent) -> None:
        self.gc_events.append(event)

    def inuse_series(self) -> list[int]:
        """Live heap bytes over time for a sparkline: gctrace when present, else the counters."""
        if self.gc_events:
            return [e.heap_live for e in self.gc_events]
        return [c.heap_marked or c.heap_live or 0 for _, c in self.counters]

    def leak_suspects(
        self,
        granularity: Granularity = Granularity.FUNCTION,
        *,
        min_rises: int = MIN_RISES,
        min_growth: int = MIN_GROWTH_BYTES,
        min_share: float = MIN_GROWTH_SHARE,
    ) -> list[LeakSuspect]:
        """Sites whose in-use bytes rose across the last ``min_rises``+ GC-distinct snapshots.

        A site qualifies when its inuse_space (flat) grew in every one of
        the latest ``min_rises`` or more intervals and by more than
        max(``min_growth``, ``min_share`` × total in-use) overall. Churning
        sites (allocating a lot, keeping little) go up and down and never
        qualify. Ranked by growth rate; the profiler's own frames are left out.
        """
        snaps = list(self.snapshots)
        if len(snaps) < min_rises + 1:
            return []
        series = node_values([s.profile for s in snaps], "inuse_space", granularity)
        latest = series[-1]
        total = sum(v for v in latest.values() if v > 0)
        threshold = max(min_growth, min_share * total)
        out = []
        for key, now in latest.items():
            name = printable_name(key)
            if name.startswith(PROFILER_PREFIXES):
                continue
            rises = 0
            i = len(series) - 1
            while i > 0 and series[i].get(key, 0) > series[i - 1].get(key, 0):
                rises += 1
                i -= 1
            if rises < min_rises:
                continue
            start = series[i].get(key, 0)
            growth = now - start
            if growth <= threshold:
                continue
            seconds = snaps[-1].taken_at - snaps[i].taken_at
            gcs = None
            if snaps[-1].num_gc is not None and snaps[i].num_gc is not None and snaps[-1].num_gc > snaps[i].num_gc:
                gcs = snaps[-1].num_gc - snaps[i].num_gc
            out.append(
                LeakSuspect(
                    key=key,
                    name=name,
                    inuse_bytes=now,
                    growth_bytes=growth,
                    rises=rises,
                    bytes_per_second=growth / seconds if seconds > 0 else 0.0,
                    bytes_per_gc=growth / gcs if gcs else None,
                )
            )
        return sorted(out, key=lambda s: (-s.bytes_per_second, -s.growth_bytes, s.name))


def _same_cycle(a: HeapSnapshot, b: HeapSnapshot) -> bool:
    if a.num_gc is not None and b.num_gc is not None:
        return a.num_gc == b.num_gc
    return a.profile.fingerprint() == b.profile.fingerprint()
