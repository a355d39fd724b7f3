"""What the heap view shows, computed from HeapProfiles: top table, diffs, call stacks.

The columns follow ``go tool pprof -top`` exactly (google/pprof
internal/graph and internal/report): a sample's value goes to the leaf
node's flat and, once per sample, to the cum of every node on its stack;
total is Σ|value| (only base samples' when the profile is a ``-diff_base``
diff); rows sort by |flat|, then name, then |cum|. Nodes are functions
(pprof's ``functions`` granularity, the default of ``-top``) or source lines
(``-lines``). Deltas between snapshots are keyed by node name, never by
profile ids, which are assigned afresh in every profile.

Everything here is pure computation meant to run off the UI thread; results
are cached on the profile, so cycling sample types or granularity costs one
aggregation each.
"""

from __future__ import annotations

import posixpath
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import reduce
from itertools import compress, repeat
from operator import eq, getitem, itemgetter, mul, or_, sub

from .profile import Frame, HeapProfile, ValueType, gc_paused

# The order the view cycles through; inuse_space is the default.
SAMPLE_TYPES = ("inuse_space", "inuse_objects", "alloc_space", "alloc_objects")
# Frames of the profiler itself: every HTTP poll allocates ~1.3 MB here.
PROFILER_PREFIXES = ("runtime/pprof.", "compress/flate.", "net/http/pprof.", "compress/gzip.")


class Granularity(Enum):
    FUNCTION = "functions"
    LINE = "lines"


NodeKey = str | tuple[str, str, int]
_CHUNK = 8192  # stacks per bulk step of the aggregation: a few ms of C each


@dataclass(frozen=True, slots=True)
class TopRow:
    """One row of the top table. Deltas are of flat, None when not asked for."""

    key: NodeKey
    name: str
    function: str
    file: str
    line: int
    flat: int
    flat_pct: float
    sum_pct: float
    cum: int
    cum_pct: float
    delta_prev: int | None = None
    delta_base: int | None = None

    @property
    def profiler(self) -> bool:
        """True for the profiler's own frames (they dominate alloc_* views of polled targets)."""
        return self.function.startswith(PROFILER_PREFIXES)


@dataclass(frozen=True, slots=True)
class TopTable:
    sample_type: str
    unit: str
    granularity: Granularity
    total: int
    rows: tuple[TopRow, ...]

    def row(self, key: NodeKey) -> TopRow | None:
        return next((r for r in self.rows if r.key == key), None)


@dataclass(frozen=True, slots=True)
class CallStack:
    """A call stack through a node, leaf first, with its value."""

    frames: tuple[Frame, ...]
    value: int


@dataclass(slots=True)
class _Aggregate:
    keys: list[NodeKey]
    frames: list[Frame]
    flat: list[int]
    cum: list[int]
    total: int


def node_key(frame: Frame, granularity: Granularity) -> NodeKey:
    if granularity is Granularity.FUNCTION:
        return frame.function
    return (frame.function, _clean(frame.file), frame.line)


def printable_name(key: NodeKey) -> str:
    """pprof's PrintableName: ``main.f`` or ``main.f /src/main.go:12``."""
    if isinstance(key, str):
        return key
    function, file, line = key
    return f"{function} {file}:{line}" if line else f"{function} {file}".rstrip()


def _clean(path: str) -> str:
    """Go's filepath.Clean for the paths pprof prints."""
    if not path:
        return ""
    cleaned = posixpath.normpath(path)
    return "/" + cleaned.lstrip("/") if cleaned.startswith("//") else cleaned


def _nodes(profile: HeapProfile, granularity: Granularity) -> tuple[list[NodeKey], list[Frame], list[tuple[int, ...]]]:
    """Node keys, a representative frame per node, and each location's node ids (innermost first)."""
    cached = profile.cache.get(("nodes", granularity))
    if cached is not None:
        return cached
    keys: list[NodeKey] = []
    reps: list[Frame] = []
    index: dict[NodeKey, int] = {}
    frame_node = []
    for frame in profile.frames:
        key = node_key(frame, granularity)
        n = index.get(key)
        if n is None:
            n = index[key] = len(keys)
            keys.append(key)
            reps.append(frame)
        frame_node.append(n)
    loc_nodes = [tuple(frame_node[f] for f in loc) for loc in profile.locations]
    result = (keys, reps, loc_nodes)
    profile.cache[("nodes", granularity)] = result
    return result


def aggregate(profile: HeapProfile, sample_type: str | None, granularity: Granularity) -> _Aggregate:
    """flat and cum per node for one sample type (pprof's newGraph), cached on the profile."""
    t = profile.sample_index(sample_type)
    cache_key = ("agg", t, granularity)
    cached = profile.cache.get(cache_key)
    if cached is not None:
        return cached
    keys, reps, loc_nodes = _nodes(profile, granularity)
    col = profile.values[t]
    total = sum(map(abs, col))
    with gc_paused():
        flat, cum = _flat_and_cum(profile.stacks, col, loc_nodes, len(keys), total)
    if profile.base:
        base_total = sum(abs(v) for v, b in zip(col, profile.base) if b)
        if base_total:
            total = base_total
    result = _Aggregate(keys, reps, flat, cum, total)
    profile.cache[cache_key] = result
    return result


def _flat_and_cum(
    stacks: Sequence[Sequence[int]], col: Sequence[int], loc_nodes: list[tuple[int, ...]], n_nodes: int, total: int
) -> tuple[list[int], list[int]]:
    """flat (leaf node) and cum (each node once per stack) of ``col``, summed in C-level passes.

    Stacks with no value or no frame are left out first. Profiles whose
    locations and nodes fit in a byte take the presence-row path (unless its
    columns would take more than _PRESENCE_BYTES); others the big-integer
    masks.
    """
    stacks = list(compress(stacks, col))
    values = list(compress(col, col))
    if stacks and not min(map(len, stacks)):  # an empty stack: no frame to give its value to
        values = list(compress(values, stacks))
        stacks = list(filter(None, stacks))
    if not values:
        return [0] * n_nodes, [0] * n_nodes
    if len(loc_nodes) <= _PRESENCE_LIMIT and n_nodes <= _PRESENCE_LIMIT and n_nodes * len(values) <= _PRESENCE_BYTES:
        return _by_presence(stacks, values, loc_nodes, n_nodes)
    return _by_masks(stacks, values, loc_nodes, n_nodes, total)


class _Marks(dict):
    """Length → that many 0xFF bytes (the "present" mark of a presence row)."""

    def __missing__(self, length: int) -> bytes:
        marks = self[length] = b"\xff" * length
        return marks


_SEP = 0xFF  # between stacks joined for bulk translation, and a row's "present" mark
_NO_NODE = 0xFE  # the node byte of a location with no frame
_PRESENCE_LIMIT = 0xFE  # most locations and nodes the presence rows take: their indices stay below _NO_NODE
_PRESENCE_BYTES = 64 << 20  # most memory the node columns may take (one byte per node and stack)
_GROUPED = 16  # sort by value when there are at most 1/16 as many distinct values as stacks
_PRESENT = bytes(1 if i == 0xFF else 0 for i in range(0x100))


def _by_presence(
    stacks: list[Sequence[int]], values: list[int], loc_nodes: list[tuple[int, ...]], n_nodes: int
) -> tuple[list[int], list[int]]:
    """flat and cum from one presence row per stack: byte ``n`` is 0xFF if node ``n`` is on the stack.

    A chunk of stacks is joined and translated in bulk into node bytes,
    ``depth`` bytes per location (its inlined frames' nodes, the first one
    repeated to fill), and split again; per stack, ``bytes.maketrans`` marks
    its node bytes in a 256-byte table (node ``n`` is at byte ``n``, 0xFF
    if marked), whose first ``n_nodes`` bytes are the row: a node seen twice
    is marked once (pprof's ``seenNode``). No Python code runs per frame.
    Node ``n``'s column is every ``n_nodes``-th byte of the rows. When few
    distinct values occur (heap profiles: object sizes times counts), stacks
    are sorted by value and cum is Σ value × (marks in that value's run of
    the column); otherwise Σ of the values the column selects. Stacks go in
    chunks so that no single C call holds the GIL for long (this runs in a
    worker thread beside the UI).
    """
    m = len(values)
    distinct = sorted(set(values))
    grouped = len(distinct) * _GROUPED <= m
    order = sorted(range(m), key=values.__getitem__) if grouped else range(m)
    values = list(map(values.__getitem__, order))
    depth = max(map(len, loc_nodes)) or 1
    tables = [
        bytes(nodes[i] if i < len(nodes) else nodes[0] if nodes else _NO_NODE for nodes in loc_nodes).ljust(
            0x100, bytes((_SEP,))
        )
        for i in range(depth)
    ]
    sep = bytes((_SEP,))
    first_nodes = slice(n_nodes)
    marks = _Marks()
    columns = [bytearray() for _ in range(n_nodes)]
    leaves = bytearray()
    for i in range(0, m, _CHUNK):
        part = list(map(stacks.__getitem__, order[i : i + _CHUNK]))
        try:
            joined = sep.join(part)  # type: ignore[arg-type]  # bytes, as decoded profiles' stacks nearly all are
        except TypeError:
            part = list(map(bytes, part))
            joined = sep.join(part)  # type: ignore[arg-type]
        spread = bytearray(len(joined) * depth)
        for d, table in enumerate(tables):
            spread[d::depth] = joined.translate(table)
        nodes = spread.split(sep * depth)
        marked = map(bytes.maketrans, nodes, map(marks.__getitem__, map(len, nodes)))
        rows = b"".join(map(getitem, marked, repeat(first_nodes)))
        for n, column in enumerate(columns):
            column += rows[n::n_nodes]
        leaves += bytes(map(itemgetter(0), part)).translate(tables[0])
    flat = [0] * n_nodes
    cum = [0] * n_nodes
    leaf_nodes = set(leaves) - {_NO_NODE}
    if grouped:
        starts = list(map(bisect_left, repeat(values), distinct))
        ends = [*starts[1:], m]
        for n, column in enumerate(columns):
            cum[n] = sum(map(mul, distinct, map(column.count, repeat(0xFF), starts, ends)))
        for n in leaf_nodes:
            flat[n] = sum(map(mul, distinct, map(leaves.count, repeat(n), starts, ends)))
    else:
        for n, column in enumerate(columns):
            cum[n] = sum(compress(values, column.translate(_PRESENT)))
        for n in leaf_nodes:
            flat[n] = sum(compress(values, map(eq, leaves, repeat(n))))
    return flat, cum


def _by_masks(
    stacks: list[Sequence[int]], values: list[int], loc_nodes: list[tuple[int, ...]], n_nodes: int, total: int
) -> tuple[list[int], list[int]]:
    """flat and cum with one big integer per stack, for profiles too wide for presence rows.

    Every node gets a slot of ``width`` bits in one big integer, wide enough
    for the largest possible sum (Σ|value|). A stack's node set is the OR of
    its locations' slot masks (so recursion counts once, as pprof's
    ``seenNode`` does), and Σ value × mask adds every node's cum at once.
    Negative values (diffs) are summed apart and subtracted.
    """
    width = max(total.bit_length(), 1)
    loc_mask = [reduce(or_, (1 << (width * n) for n in nodes), 0) for nodes in loc_nodes]
    leaf_mask = [1 << (width * nodes[0]) if nodes else 0 for nodes in loc_nodes]
    signed = min(values) < 0
    sums = [0, 0, 0, 0]  # flat+, cum+, flat−, cum−
    mask_of = loc_mask.__getitem__
    for i in range(0, len(values), _CHUNK):
        part = stacks[i : i + _CHUNK]
        leaves = list(map(leaf_mask.__getitem__, map(itemgetter(0), part)))
        masks = list(map(reduce, repeat(or_), map(map, repeat(mask_of), part)))
        plus = values[i : i + _CHUNK]
        if signed:
            minus = [-v if v < 0 else 0 for v in plus]
            plus = [v if v > 0 else 0 for v in plus]
            sums[2] += sum(map(mul, minus, leaves))
            sums[3] += sum(map(mul, minus, masks))
        sums[0] += sum(map(mul, plus, leaves))
        sums[1] += sum(map(mul, plus, masks))
    flat, cum, flat_neg, cum_neg = (_slots(s, width, n_nodes) for s in sums)
    if signed:
        return list(map(sub, flat, flat_neg)), list(map(sub, cum, cum_neg))
    return flat, cum


def _slots(packed: int, width: int, count: int) -> list[int]:
    mask = (1 << width) - 1
    return [(packed >> (width * n)) & mask for n in range(count)]


def _pct(value: int, total: int) -> float:
    return abs(value / total) * 100 if total else 0.0


def _flat_by_key(profile: HeapProfile, sample_type: str, granularity: Granularity) -> dict[NodeKey, int]:
    agg = aggregate(profile, sample_type, granularity)
    return {k: f for k, f in zip(agg.keys, agg.flat) if f}


def top_table(
    profile: HeapProfile,
    sample_type: str | None = None,
    granularity: Granularity = Granularity.FUNCTION,
    *,
    previous: HeapProfile | None = None,
    baseline: HeapProfile | None = None,
) -> TopTable:
    """The ``pprof -top`` table of ``profile``, with flat deltas against ``previous`` / ``baseline``.

    ``sample_type`` None means the profile's default (pprof's rule: the
    declared default, else the last type, i.e. inuse_space for Go heaps).
    Rows with neither flat nor cum are left out, as pprof does.
    """
    t = profile.sample_index(sample_type)
    vt: ValueType = profile.sample_types[t]
    agg = aggregate(profile, vt.type, granularity)
    prev = _flat_by_key(previous, vt.type, granularity) if previous is not None else None
    base = _flat_by_key(baseline, vt.type, granularity) if baseline is not None else None
    order = sorted(
        (i for i in range(len(agg.keys)) if agg.flat[i] or agg.cum[i]),
        key=lambda i: (-abs(agg.flat[i]), printable_name(agg.keys[i]), -abs(agg.cum[i]), repr(agg.keys[i])),
    )
    rows = []
    running = 0
    for i in order:
        key, frame, flat, cum = agg.keys[i], agg.frames[i], agg.flat[i], agg.cum[i]
        running += flat
        rows.append(
            TopRow(
                key=key,
                name=printable_name(key),
                function=frame.function,
                file=frame.file,
                line=frame.line if granularity is Granularity.LINE else 0,
                flat=flat,
                flat_pct=_pct(flat, agg.total),
                sum_pct=_pct(running, agg.total),
                cum=cum,
                cum_pct=_pct(cum, agg.total),
                delta_prev=None if prev is None else flat - prev.get(key, 0),
                delta_base=None if base is None else flat - base.get(key, 0),
            )
        )
    return TopTable(vt.type, vt.unit, granularity, agg.total, tuple(rows))


def diff_profile(current: HeapProfile, base: HeapProfile) -> HeapProfile:
    """``pprof -diff_base=base current``: base samples negated and marked, merged into current.

    Percentages of a table of the result are relative to the base total,
    exactly as pprof reports them.
    """
    if [vt.type for vt in current.sample_types] != [vt.type for vt in base.sample_types]:
        raise ValueError("profiles have different sample types; cannot diff them")
    frames = list(current.frames)
    index = {f: i for i, f in enumerate(frames)}
    remap = []
    for frame in base.frames:
        i = index.get(frame)
        if i is None:
            i = index[frame] = len(frames)
            frames.append(frame)
        remap.append(i)
    offset = len(current.locations)
    locations = list(current.locations) + [tuple(remap[f] for f in loc) for loc in base.locations]
    stacks = list(current.stacks) + [tuple(loc + offset for loc in st) for st in base.stacks]
    values = [cur + [-v for v in old] for cur, old in zip(current.values, base.values)]
    cur_base = current.base or [False] * len(current.stacks)
    return HeapProfile(
        sample_types=current.sample_types,
        frames=frames,
        locations=locations,
        stacks=stacks,
        values=values,
        base=cur_base + [True] * len(base.stacks),
        default_sample_type=current.default_sample_type,
        period_type=current.period_type,
        period=current.period,
        time_nanos=current.time_nanos,
        duration_nanos=current.duration_nanos,
        addresses=list(current.addresses) + list(base.addresses),
    )


def call_stacks(
    profile: HeapProfile,
    key: NodeKey,
    sample_type: str | None = None,
    granularity: Granularity = Granularity.FUNCTION,
    *,
    limit: int = 200,
) -> tuple[list[CallStack], int]:
    """The distinct call stacks through node ``key``, heaviest first, and how many there were.

    Stacks are leaf first with inlined frames expanded; stacks with the same
    frames are merged; zero-valued ones are left out. At most ``limit`` are
    returned.
    """
    t = profile.sample_index(sample_type)
    keys, _, loc_nodes = _nodes(profile, granularity)
    try:
        node = keys.index(key)
    except ValueError:
        return [], 0
    through = {i for i, nodes in enumerate(loc_nodes) if node in nodes}
    merged: dict[tuple[Frame, ...], int] = {}
    for i, (stack, v) in enumerate(zip(profile.stacks, profile.values[t])):
        if v and not through.isdisjoint(stack):
            frames = tuple(profile.stack_frames(i))
            merged[frames] = merged.get(frames, 0) + v
    ranked = sorted(merged.items(), key=lambda kv: -abs(kv[1]))
    return [CallStack(frames, v) for frames, v in ranked[:limit] if v], len(ranked)


def node_values(
    profiles: Sequence[HeapProfile], sample_type: str, granularity: Granularity
) -> list[dict[NodeKey, int]]:
    """flat per node key for each profile (the input of leak detection and sparklines)."""
    return [_flat_by_key(p, sample_type, granularity) for p in profiles]
