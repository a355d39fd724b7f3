"""Build the heap profile of a stopped target through Delve alone.

No ``net/http/pprof`` and nothing injected: this reads what
``runtime.MemProfile(p, inuseZero=true)`` reads (runtime/mprof.go) and
scales it as ``runtime/pprof`` does (protomem.go ``scaleHeapSample``), so the
totals equal the ``/debug/pprof/heap`` profile of the same moment.

1. Evals: ``runtime.mbuckets`` (head of the bucket list), ``runtime.mProfCycle``,
   ``runtime.MemProfileRate``, and once per target the layout of
   ``runtime.bucket`` / ``runtime.memRecord`` from DWARF (field addresses of
   a cast), so field moves between Go versions are followed.
2. Each bucket (via ``allnext``) is a header, ``nstk`` return PCs and a
   memRecord ``{active, future[3]}``; counts are ``active + future[cycle % 3]``
   (MemProfile flushes that cycle the same way), or all cycles summed when
   no bucket has published data yet (no GC so far). Buckets come from
   persistentalloc chunks, so memory is read in aligned windows of Delve's
   ExamineMemory limit (64 KiB from dlv 1.24, 1000 B before) and cached.
3. Each distinct PC is resolved once with ``FindLocation "*0x…"`` (pc−1:
   return addresses), pipelined on the connection. Leading ``runtime.``
   frames are dropped as runtime/pprof does.

Limits: the stack depth is what the runtime recorded (32 frames up to Go 1.22,
``GODEBUG=profstackdepth``, default 128, from 1.23). Delve names a PC by the
function physically containing it, so a frame the compiler inlined carries its
caller's name (its file:line is right); debug builds (``-gcflags=all=-N -l``)
have no inlined user code.
"""

from __future__ import annotations

import math
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio

from ..dlv.client import DelveClient, RPCError
from ..dlv.types import EvalScope, LoadConfig, Variable
from .counters import field, number
from .profile import Frame, HeapProfile, ValueType

MEM_PROFILE_BUCKET = 1  # runtime.memProfile
MAX_STACK = 1024  # runtime.maxProfStackDepth
DEFAULT_MAX_BUCKETS = 50_000
SYMBOLIZE_IN_FLIGHT = 32
HEAP_SAMPLE_TYPES = (
    ValueType("alloc_objects", "count"),
    ValueType("alloc_space", "bytes"),
    ValueType("inuse_objects", "count"),
    ValueType("inuse_space", "bytes"),
)
_RUNTIME_PREFIXES = ("runtime.", "internal/runtime/")
_LAYOUT_LOAD = LoadConfig(FollowPointers=False, MaxVariableRecurse=2, MaxStringLen=0, MaxArrayValues=3, MaxStructFields=-1)
_VALUE_LOAD = LoadConfig(FollowPointers=False, MaxVariableRecurse=2, MaxStringLen=0, MaxArrayValues=0, MaxStructFields=-1)
# EvalScope goroutine 0 with a goroutine selected makes Delve skip building a scope, so
# "*0x…" is parsed as a plain number instead of evaluated (pkg/locspec AddrLocationSpec).
_NO_SCOPE = EvalScope(GoroutineID=0)


class HeapWalkError(Exception):
    """The runtime's bucket list could not be read; the message says why."""


@dataclass(frozen=True, slots=True)
class BucketLayout:
    """Offsets (bytes) inside runtime.bucket and runtime.memRecord on the target."""

    next: int = 0
    allnext: int = 8
    typ: int = 16
    nstk: int = 40
    header: int = 48
    active: int = 0
    future: int = 32
    cycle: int = 32  # sizeof(memRecordCycle)
    allocs: int = 0
    frees: int = 8
    alloc_bytes: int = 16
    free_bytes: int = 24
    record: int = 128


@dataclass(frozen=True, slots=True)
class HeapWalk:
    """A profile rebuilt from the runtime's buckets, and how it was made."""

    profile: HeapProfile
    buckets: int
    pcs: int
    truncated: bool
    mprof_cycle: int
    memprofile_rate: int
    seconds: float


class _Memory:
    """ExamineMemory through a cache of aligned windows."""

    def __init__(self, client: DelveClient, window: int):
        self.client = client
        self.window = window
        self.pages: dict[int, bytes] = {}
        self.reads = 0

    async def read(self, addr: int, length: int) -> bytes:
        w = self.window
        first = addr - addr % w
        chunks = []
        for base in range(first, addr + length, w):
            page = self.pages.get(base)
            if page is None:
                page = await self._fetch(base, w)
            chunks.append(page)
        data = b"".join(chunks)
        start = addr - first
        out = data[start : start + length]
        if len(out) != length:
            return await self._exact(addr, length)
        return out

    async def _fetch(self, base: int, length: int) -> bytes:
        self.reads += 1
        try:
            mem, _ = await self.client.examine_memory(base, length)
        except RPCError:
            mem = b""  # part of the window is unmapped: fall back to exact reads
        self.pages[base] = mem
        return mem

    async def _exact(self, addr: int, length: int) -> bytes:
        out = bytearray()
        while len(out) < length:
            self.reads += 1
            step = min(self.window, length - len(out))
            try:
                mem, _ = await self.client.examine_memory(addr + len(out), step)
            except RPCError as exc:
                raise HeapWalkError(f"cannot read the heap profile bucket at {addr:#x}: {exc.message}") from exc
            if not mem:
                raise HeapWalkError(f"cannot read the heap profile bucket at {addr:#x}")
            out += mem
        return bytes(out)


def scale_heap_sample(count: int, size: int, rate: int) -> tuple[int, int]:
    """runtime/pprof's scaleHeapSample: undo the Poisson sampling of MemProfileRate."""
    if count == 0 or size == 0:
        return 0, 0
    if rate <= 1:
        return count, size
    avg = size / count
    scale = 1 / (1 - math.exp(-avg / rate))
    return int(count * scale), int(size * scale)


async def _eval(client: DelveClient, expr: str, cfg: LoadConfig = _VALUE_LOAD) -> Variable:
    try:
        return await client.eval(EvalScope(GoroutineID=-1), expr, cfg)
    except RPCError as exc:
        raise HeapWalkError(f"cannot read {expr}: {exc.message}") from exc


def _offsets(var: Variable) -> dict[str, int]:
    return {c.name: c.addr - var.addr for c in var.children or () if c.name}


async def read_layout(client: DelveClient, head: int) -> BucketLayout:
    """The bucket and memRecord layout from the target's DWARF, checked against Go's 64-bit layout."""
    bucket = await _eval(client, f"*(*runtime.bucket)({head:#x})", _LAYOUT_LOAD)
    record = await _eval(client, f"*(*runtime.memRecord)({head:#x})", _LAYOUT_LOAD)
    b = _offsets(bucket)
    r = _offsets(record)
    future = field(record, "future")
    active = field(record, "active")
    try:
        items = future.children if future is not None else None
        cycle = items[1].addr - items[0].addr if items and len(items) > 1 else 32
        c = _offsets(active) if active is not None else {}
        return BucketLayout(
            next=b["next"],
            allnext=b["allnext"],
            typ=b["typ"],
            nstk=b["nstk"],
            header=b["nstk"] + 8,
            active=r["active"],
            future=r["future"],
            cycle=cycle,
            allocs=c["allocs"],
            frees=c["frees"],
            alloc_bytes=c["alloc_bytes"],
            free_bytes=c["free_bytes"],
            record=r["future"] + 3 * cycle,
        )
    except (KeyError, IndexError, TypeError) as exc:
        raise HeapWalkError(f"unexpected runtime.bucket layout on this Go version (no field {exc})") from None


async def walk_heap(
    client: DelveClient,
    *,
    dlv_version: tuple[int, int, int] = (1, 24, 0),
    max_buckets: int = DEFAULT_MAX_BUCKETS,
    layout: BucketLayout | None = None,
    progress: Callable[[int], None] | None = None,
) -> HeapWalk:
    """Walk ``runtime.mbuckets`` of the stopped target on ``client`` and build its heap profile.

    Cancel the calling scope to abort (e.g. when the target is resumed).
    At most ``max_buckets`` buckets are read; the result says if it stopped
    early. ``progress`` is called with the number of buckets read so far.
    """
    started = time.perf_counter()
    head_var = await _eval(client, "runtime.mbuckets")
    rate_var = await _eval(client, "runtime.MemProfileRate")
    cycle_var = await _eval(client, "runtime.mProfCycle")
    head = number(head_var)
    rate = number(rate_var)
    raw_cycle = number(cycle_var)
    if head is None or rate is None or raw_cycle is None:
        raise HeapWalkError("this Go runtime has no readable runtime.mbuckets / MemProfileRate / mProfCycle")
    cycle = raw_cycle >> 1
    if layout is None and head:
        layout = await read_layout(client, head)
    layout = layout or BucketLayout()
    window = 65536 if dlv_version >= (1, 24, 0) else 1000
    memory = _Memory(client, window)
    index = cycle % 3
    records: list[tuple[tuple[int, ...], list[int], list[int]]] = []
    truncated = False
    addr = head
    seen: set[int] = set()
    while addr:
        if len(records) >= max_buckets:
            truncated = True
            break
        if addr in seen:
            raise HeapWalkError("the heap profile bucket list loops; the target's runtime state is inconsistent")
        seen.add(addr)
        header = await memory.read(addr, layout.header)
        nstk = _word(header, layout.nstk)
        typ = _word(header, layout.typ)
        if typ != MEM_PROFILE_BUCKET or nstk > MAX_STACK:
            raise HeapWalkError(f"bucket at {addr:#x} is not a heap profile bucket (type {typ}, {nstk} frames)")
        body = await memory.read(addr + layout.header, nstk * 8 + layout.record)
        pcs = struct.unpack_from(f"<{nstk}Q", body, 0)
        rec = nstk * 8
        active = _cycle(body, rec + layout.active, layout)
        pending = _cycle(body, rec + layout.future + index * layout.cycle, layout)
        futures = [_cycle(body, rec + layout.future + i * layout.cycle, layout) for i in range(3)]
        flushed = [a + p for a, p in zip(active, pending)]
        everything = [a + f0 + f1 + f2 for a, f0, f1, f2 in zip(active, *futures)]
        records.append((pcs, flushed, everything))
        addr = _word(header, layout.allnext)
        if progress is not None and len(records) % 256 == 0:
            progress(len(records))
    published = any(counts[0] or counts[1] for _, counts, _ in records)
    frames_of = await _symbolize(client, {pc for pcs, _, _ in records for pc in pcs})
    profile = _build(records, published, rate, frames_of)
    return HeapWalk(
        profile=profile,
        buckets=len(records),
        pcs=len(frames_of),
        truncated=truncated,
        mprof_cycle=cycle,
        memprofile_rate=rate,
        seconds=time.perf_counter() - started,
    )


def _word(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 8], "little")


def _cycle(data: bytes, offset: int, layout: BucketLayout) -> tuple[int, int, int, int]:
    """(allocs, frees, alloc_bytes, free_bytes) of the memRecordCycle at ``offset``."""
    return (
        _word(data, offset + layout.allocs),
        _word(data, offset + layout.frees),
        _word(data, offset + layout.alloc_bytes),
        _word(data, offset + layout.free_bytes),
    )


async def _symbolize(client: DelveClient, pcs: set[int]) -> dict[int, Frame]:
    """Frame of each return PC (looked up at pc−1, inside the call instruction)."""
    frames: dict[int, Frame] = {}
    limiter = anyio.Semaphore(SYMBOLIZE_IN_FLIGHT)

    async def one(pc: int) -> None:
        async with limiter:
            try:
                out = await client.find_location(f"*{pc - 1:#x}", _NO_SCOPE)
            except RPCError:
                frames[pc] = Frame(f"{pc:#x}", "", 0)
                return
        loc = out.Locations[0] if out.Locations else None
        name = loc.function.name if loc is not None and loc.function is not None else ""
        frames[pc] = Frame(name or f"{pc:#x}", loc.file if loc else "", loc.line if loc else 0)

    async with anyio.create_task_group() as tg:
        for pc in sorted(pcs):
            tg.start_soon(one, pc)
    return frames


def _build(
    records: list[tuple[tuple[int, ...], list[int], list[int]]],
    published: bool,
    rate: int,
    frames_of: dict[int, Frame],
) -> HeapProfile:
    frames: list[Frame] = []
    frame_index: dict[Frame, int] = {}
    loc_of_pc: dict[int, int] = {}
    locations: list[tuple[int, ...]] = []
    addresses: list[int] = []
    for pc, frame in frames_of.items():
        fi = frame_index.get(frame)
        if fi is None:
            fi = frame_index[frame] = len(frames)
            frames.append(frame)
        loc_of_pc[pc] = len(locations)
        locations.append((fi,))
        addresses.append(pc)
    stacks: list[tuple[int, ...]] = []
    values: list[list[int]] = [[], [], [], []]
    seen: dict[tuple[int, ...], int] = {}
    for pcs, flushed, everything in records:
        allocs, frees, alloc_bytes, free_bytes = flushed if published else everything
        stack = _stack(pcs, frames_of, loc_of_pc, hide_runtime=True) or _stack(pcs, frames_of, loc_of_pc)
        row = (
            *scale_heap_sample(allocs, alloc_bytes, rate),
            *scale_heap_sample(allocs - frees, alloc_bytes - free_bytes, rate),
        )
        at = seen.get(stack)
        if at is None:
            seen[stack] = len(stacks)
            stacks.append(stack)
            for col, v in zip(values, row):
                col.append(v)
        else:
            for col, v in zip(values, row):
                col[at] += v
    return HeapProfile(
        sample_types=HEAP_SAMPLE_TYPES,
        frames=frames,
        locations=locations,
        stacks=stacks,
        values=values,
        period_type=ValueType("space", "bytes"),
        period=rate,
        time_nanos=time.time_ns(),
        addresses=addresses,
    )


def _stack(pcs: tuple[int, ...], frames_of: dict[int, Frame], loc_of_pc: dict[int, int], *, hide_runtime: bool = False) -> tuple[int, ...]:
    """Location indices of a bucket's stack as runtime/pprof writes it.

    runtime.goexit frames are dropped (proto.go allFrames); with
    ``hide_runtime``, so are leading runtime frames (protomem.go), and an
    empty result tells the caller to retry without hiding.
    """
    start = 0
    if hide_runtime:
        while start < len(pcs) and frames_of[pcs[start]].function.startswith(_RUNTIME_PREFIXES):
            start += 1
    return tuple(loc_of_pc[pc] for pc in pcs[start:] if frames_of[pc].function != "runtime.goexit")
