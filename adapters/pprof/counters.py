"""Cheap heap counters read at every stop: a handful of Evals, no calls into the target.

The runtime keeps heap sizes in ``runtime.gcController`` (mgcpacer.go) and
GC counts in ``runtime.memstats``; ``runtime.memstats`` has no heap-size
fields in any supported Go. Field types move between versions (``heapLive``
is a plain uint64 in go1.19 and an ``atomic.Uint64`` later), so one rule
reads them all: if a field has a child named ``value``, that child is the
number. Fields a Go version lacks come back as None.
"""

from __future__ import annotations

from dataclasses import dataclass

import anyio

from ..dlv.client import DelveClient, RPCError
from ..dlv.types import EvalScope, LoadConfig, Variable

# Depth 2 reaches atomic.Uint64.value inside a struct; no arrays (memstats.pause_ns is 256 long).
_LOAD = LoadConfig(FollowPointers=False, MaxVariableRecurse=2, MaxStringLen=0, MaxArrayValues=0, MaxStructFields=-1)


@dataclass(frozen=True, slots=True)
class HeapCounters:
    """The runtime's own heap numbers at one stop (bytes unless named otherwise)."""

    num_gc: int | None = None
    num_forced_gc: int | None = None
    heap_live: int | None = None  # bytes the GC considers live: marked at the last GC + allocated since
    heap_marked: int | None = None  # live heap at the end of the last GC's mark
    heap_in_use: int | None = None  # bytes in in-use spans (memstats HeapInuse)
    heap_goal: int | None = None  # the heap size at which the next GC should finish
    total_alloc: int | None = None
    total_free: int | None = None
    pause_total_ns: int | None = None
    last_gc_unix_ns: int | None = None
    memprofile_rate: int | None = None
    mprof_cycle: int | None = None  # the heap profile's publication cycle (changes only after a GC)

    @property
    def heap_alloc(self) -> int | None:
        """≈ memstats HeapAlloc (counts whole spans cached in mcaches)."""
        if self.total_alloc is None or self.total_free is None:
            return None
        return self.total_alloc - self.total_free


def number(var: Variable | None) -> int | None:
    """The integer in a Delve Variable, unwrapping atomic wrappers (a child named ``value``)."""
    while var is not None:
        if var.unreadable:
            return None
        child = next((c for c in var.children or () if c.name == "value"), None)
        if child is None:
            try:
                return int(var.value)
            except ValueError:
                try:
                    return int(float(var.value))
                except ValueError:
                    return None
        var = child
    return None


def field(var: Variable | None, *names: str) -> Variable | None:
    """The first of ``names`` among ``var``'s fields (names differ between Go versions)."""
    if var is None:
        return None
    children = {c.name: c for c in var.children or ()}
    for name in names:
        if name in children:
            return children[name]
    return None


async def read_counters(client: DelveClient, scope: EvalScope | None = None) -> HeapCounters:
    """Read the counters with four concurrent Evals on ``client`` (the target must be stopped)."""
    scope = scope or EvalScope(GoroutineID=-1)
    results: dict[str, Variable | None] = {}

    async def one(name: str, expr: str) -> None:
        try:
            results[name] = await client.eval(scope, expr, _LOAD)
        except RPCError:
            results[name] = None

    async with anyio.create_task_group() as tg:
        tg.start_soon(one, "gc", "runtime.gcController")
        tg.start_soon(one, "mstats", "runtime.memstats")
        tg.start_soon(one, "rate", "runtime.MemProfileRate")
        tg.start_soon(one, "cycle", "runtime.mProfCycle")
    gc, mstats = results["gc"], results["mstats"]
    cycle = number(results["cycle"])
    return HeapCounters(
        num_gc=number(field(mstats, "numgc")),
        num_forced_gc=number(field(mstats, "numforcedgc")),
        heap_live=number(field(gc, "heapLive")) if field(gc, "heapLive") else number(field(mstats, "heap_live")),
        heap_marked=number(field(gc, "heapMarked")),
        heap_in_use=number(field(gc, "heapInUse")) if field(gc, "heapInUse") else number(field(mstats, "heap_inuse")),
        heap_goal=number(field(gc, "gcPercentHeapGoal", "heapGoal", "lastHeapGoal")),
        total_alloc=number(field(gc, "totalAlloc")),
        total_free=number(field(gc, "totalFree")),
        pause_total_ns=number(field(mstats, "pause_total_ns")),
        last_gc_unix_ns=number(field(mstats, "last_gc_unix")),
        memprofile_rate=number(results["rate"]),
        mprof_cycle=None if cycle is None else cycle >> 1,
    )
