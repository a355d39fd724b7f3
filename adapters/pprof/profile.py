"""The heap profile model every source feeds, and the profile.proto decoder.

A profile is a table of unique call stacks (leaf first, as location indices)
with one value column per sample type. The HTTP source decodes Go's gzipped
``perftools.profiles.Profile``; the Delve bucket walk builds the same model
from the runtime's memory-profile buckets; views never know which one it was.

Values from Go are already unsampled (runtime/pprof scales them before
writing), so nothing here scales again.

The decoder is a one-pass, stdlib-only protobuf reader tuned for what Go
writes: samples are grouped by the raw bytes of their packed location list
while parsing, so only distinct stacks are ever turned into tuples, and
strings are resolved at the end (Go writes the string table last). It accepts
packed and unpacked repeated fields, 10-byte negative varints (delta and
``-diff_base`` profiles) and skips fields it does not know.
"""

from __future__ import annotations

import gc
import re
import zlib
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import accumulate, count, repeat
from threading import Lock
from typing import Any, overload

DIFF_BASE_LABEL = ("pprof::base", "true")

_U64 = 1 << 64
_I64_MAX = (1 << 63) - 1


class ProfileDecodeError(ValueError):
    """The bytes are not a profile.proto message (or are truncated)."""


@dataclass(frozen=True, slots=True)
class ValueType:
    type: str
    unit: str


@dataclass(frozen=True, slots=True)
class Frame:
    """One logical frame: a function at a source line (inlined frames are frames too)."""

    function: str
    file: str
    line: int


@dataclass(slots=True, eq=False)
class HeapProfile:
    """Unique stacks → values, the one model of a heap profile.

    ``stacks[i]`` is a sequence of indices into ``locations``, leaf first:
    a tuple, or (from the decoder, when every index is below 255) the bytes
    of those indices, which are compact and never scanned by the cyclic GC;
    compare stacks with ``tuple(stack)``.
    ``locations[j]`` is a tuple of indices into ``frames``, innermost inlined
    frame first (profile.proto's Line order). ``values[t][i]`` is the value
    of sample type ``t`` for stack ``i``. ``base[i]`` marks samples of a
    ``-diff_base`` base profile (their values are negated); it is empty when
    no sample is a base sample.
    """

    sample_types: tuple[ValueType, ...]
    frames: list[Frame]
    locations: list[tuple[int, ...]]
    stacks: list[Sequence[int]]
    values: Sequence[list[int]]
    base: list[bool] = field(default_factory=list)
    default_sample_type: str = ""
    period_type: ValueType | None = None
    period: int = 0
    time_nanos: int = 0
    duration_nanos: int = 0
    comments: tuple[str, ...] = ()
    addresses: list[int] = field(default_factory=list)
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)

    def sample_index(self, name: str | None = None) -> int:
        """Index of sample type ``name``; else the default type; else the last (pprof's rule)."""
        wanted = name or self.default_sample_type
        for i, vt in enumerate(self.sample_types):
            if vt.type == wanted:
                return i
        if name:
            known = ", ".join(vt.type for vt in self.sample_types)
            raise KeyError(f"no sample type {name!r} in this profile (it has {known})")
        return len(self.sample_types) - 1

    def stack_frames(self, stack: int) -> list[Frame]:
        """The frames of stack ``stack``, leaf first, inlined frames expanded."""
        frames, locations = self.frames, self.locations
        return [frames[f] for loc in self.stacks[stack] for f in locations[loc]]

    def totals(self) -> list[int]:
        """Σ value per sample type."""
        return [sum(col) for col in self.values]

    def fingerprint(self) -> tuple[int, ...]:
        """Identity of the profile's contents: equal for the same published GC cycle.

        It sums every value column (building those not built yet), so
        sources compute it in their worker thread; later calls are free.
        """
        cached = self.cache.get("fingerprint")
        if cached is None:
            cached = self.cache["fingerprint"] = (
                len(self.stacks),
                *self.totals(),
                *(sum(map(abs, col)) for col in self.values),
            )
        return cached


def is_gzip(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"


MAX_INFLATED_BYTES = 512 * 1024 * 1024


def gunzip(data: bytes, max_bytes: int | None = None) -> bytes:
    """Raw profile bytes from a gzipped or plain profile.proto payload.

    Inflation is bounded: a gzip bomb fails with ProfileDecodeError instead of
    eating memory (real heap profiles are a few MB).
    """
    if not is_gzip(data):
        return data
    max_bytes = MAX_INFLATED_BYTES if max_bytes is None else max_bytes
    out = bytearray()
    rest = data
    try:
        while rest:
            inflater = zlib.decompressobj(wbits=31)
            chunk = rest
            while chunk:
                out += inflater.decompress(chunk, max_bytes + 1 - len(out))
                if len(out) > max_bytes:
                    raise ProfileDecodeError(f"profile larger than {max_bytes} bytes when inflated")
                chunk = inflater.unconsumed_tail
            if not inflater.eof:
                raise ProfileDecodeError("corrupt gzip data: truncated stream")
            rest = inflater.unused_data if is_gzip(inflater.unused_data) else b""
    except zlib.error as exc:
        raise ProfileDecodeError(f"corrupt gzip data: {exc}") from exc
    return bytes(out)


def content_key(raw: bytes) -> bytes:
    """The raw profile minus a leading time_nanos field: equal when nothing but the clock changed.

    Go writes time_nanos (field 9) first; two polls within one GC cycle then
    differ only there.
    """
    if raw[:1] == b"\x48":
        pos = 1
        while pos < len(raw) and raw[pos] & 0x80:
            pos += 1
        return raw[pos + 1 :]
    return raw


_gc_lock = Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic GC while building a profile's many small objects.

    A 5 MB profile makes ~10⁶ tuples and slices, none of them cyclic; the
    generational collector would otherwise scan them over and over (about
    a third of decode + aggregation time). Safe across threads: the GC is
    enabled again when the last pauser leaves, and only if it was on before.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def decode_profile(data: bytes) -> HeapProfile:
    """Decode a (gzipped) profile.proto payload into a HeapProfile."""
    raw = gunzip(data)
    try:
        with gc_paused():
            return _Decoder(raw).run()
    except IndexError as exc:
        raise ProfileDecodeError("truncated profile data") from exc


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    b = buf[pos]
    if b < 0x80:
        return b, pos + 1
    result = b & 0x7F
    shift = 7
    pos += 1
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProfileDecodeError("malformed varint longer than 10 bytes")


def _packed(chunk: bytes) -> list[int]:
    """Unsigned varints packed in ``chunk``."""
    if chunk.isascii():
        return list(chunk)
    out = []
    append = out.append
    x = shift = 0
    for c in chunk:
        if c < 0x80:
            append(x | (c << shift))
            x = shift = 0
        else:
            x |= (c & 0x7F) << shift
            shift += 7
            if shift >= 70:
                raise ProfileDecodeError("malformed varint longer than 10 bytes")
    return out


def _skip(buf: bytes, pos: int, wire: int) -> int:
    if wire == 0:
        return _varint(buf, pos)[1]
    if wire == 2:
        length, pos = _varint(buf, pos)
        return pos + length
    if wire == 1:
        return pos + 8
    if wire == 5:
        return pos + 4
    raise ProfileDecodeError(f"unsupported protobuf wire type {wire}")


def _fields(buf: bytes) -> list[tuple[int, int, Any]]:
    """(field, wire, value) of a small message: ints for varints, bytes for length-delimited."""
    out = []
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = _varint(buf, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
        elif wire == 2:
            length, pos = _varint(buf, pos)
            value = buf[pos : pos + length]
            pos += length
        else:
            pos = _skip(buf, pos, wire)
            continue
        out.append((num, wire, value))
    if pos != end:
        raise ProfileDecodeError("message runs past its end")
    return out


class _Decoder:
    def __init__(self, buf: bytes):
        self.buf = buf
        # Per sample, in order: packed values, packed location ids, whatever follows them (labels).
        self.vals: list[bytes] = []
        self.locs: list[bytes] = []
        self.rests: list[bytes] = []
        # Samples with string labels (diff-base markers), resolved once strings are known.
        self.labelled: list[tuple[bytes, bytes, list[tuple[int, int]]]] = []
        self.sample_types: list[tuple[int, int]] = []
        self.locations: dict[int, tuple[int, list[tuple[int, int]]]] = {}
        self.functions: dict[int, tuple[int, int]] = {}
        self.strings: list[str] = []
        self.scalars: dict[int, int] = {}
        self.comments: list[int] = []
        self.period_type: tuple[int, int] | None = None

    def run(self) -> HeapProfile:
        buf = self.buf
        n = len(buf)
        pos = 0
        vals_append = self.vals.append
        locs_append = self.locs.append
        rests_append = self.rests.append
        strings_append = self.strings.append
        while pos < n:
            key = buf[pos]
            if key == 0x12:  # a sample: the hot path
                # Go's layout: 12 L 12 Lv <values> 0a Ll <locs> [labels], one-byte lengths. Offsets
                # within the sample's own bytes are small ints, which Python never allocates.
                length = buf[pos + 1]
                if length < 0x80:
                    start = pos + 2
                    end = start + length
                    body = buf[start:end]
                    try:
                        lv = body[1]
                        p2 = lv + 2
                        ll = body[p2 + 1]
                    except IndexError:  # too short for Go's layout: the general path decides
                        lv = ll = 0x80
                        p2 = 0
                    p3 = p2 + 2 + ll
                    if (lv | ll) < 0x80 and p3 <= length and body[0] == 0x12 and body[p2] == 0x0A:
                        vals_append(body[2:p2])
                        locs_append(body[p2 + 2 : p3])
                        rests_append(body[p3:])
                        pos = end
                        continue
                length, start = _varint(buf, pos + 1)
                pos = start + length
                self._sample(buf[start:pos])
                continue
            pos += 1
            if key & 0x80:
                key, pos = _varint(buf, pos - 1)
            num, wire = key >> 3, key & 7
            if wire == 2:
                length, pos = _varint(buf, pos)
                chunk = buf[pos : pos + length]
                if len(chunk) != length:
                    raise ProfileDecodeError("truncated profile data")
                pos += length
                if num == 6:
                    strings_append(chunk.decode("utf-8", "replace"))
                elif num == 4:
                    self._location(chunk)
                elif num == 5:
                    self._function(chunk)
                elif num == 1:
                    self.sample_types.append(self._value_type(chunk))
                elif num == 11:
                    self.period_type = self._value_type(chunk)
                elif num == 13:
                    self.comments.extend(_packed(chunk))
            elif wire == 0:
                value, pos = _varint(buf, pos)
                if num == 13:
                    self.comments.append(value)
                else:
                    self.scalars[num] = value - _U64 if value > _I64_MAX else value
            else:
                pos = _skip(buf, pos, wire)
        if pos != n:
            raise ProfileDecodeError("truncated profile data")
        return self._build()

    def _sample(self, body: bytes) -> None:
        """Any sample the fast path did not take: unpacked or split fields, string labels, long runs."""
        locs: list[int] = []
        vals: list[int] = []
        labels: list[tuple[int, int]] = []
        for num, wire, value in _fields(body):
            if num == 1:
                locs.extend(_packed(value) if wire == 2 else (value,))
            elif num == 2:
                vals.extend(_packed(value) if wire == 2 else (value,))
            elif num == 3 and wire == 2:
                label = _string_label(value)
                if label is not None:
                    labels.append(label)
        stack, values = _encode_varints(locs), _encode_varints(vals)
        if labels:
            self.labelled.append((stack, values, labels))
        else:
            self.vals.append(values)
            self.locs.append(stack)
            self.rests.append(b"")

    def _sort_out_labels(self) -> None:
        """Send fast-path samples whose tail is more than numeric labels (Go's ``bytes``) to _sample."""
        odd = {rest for rest in set(self.rests) if rest and not _numeric_labels_only(rest)}
        if not odd:
            return
        samples = list(zip(self.vals, self.locs, self.rests))
        self.vals, self.locs, self.rests = [], [], []
        for vals, locs, rest in samples:
            if rest in odd:
                self._sample(bytes((0x12, len(vals))) + vals + bytes((0x0A, len(locs))) + locs + rest)
            else:
                self.vals.append(vals)
                self.locs.append(locs)
                self.rests.append(rest)

    def _value_type(self, chunk: bytes) -> tuple[int, int]:
        t = u = 0
        for num, wire, value in _fields(chunk):
            if wire == 0 and num == 1:
                t = value
            elif wire == 0 and num == 2:
                u = value
        return t, u

    def _location(self, chunk: bytes) -> None:
        loc_id = address = 0
        lines: list[tuple[int, int]] = []
        for num, wire, value in _fields(chunk):
            if num == 1 and wire == 0:
                loc_id = value
            elif num == 3 and wire == 0:
                address = value
            elif num == 4 and wire == 2:
                fn = line = 0
                for n2, w2, v2 in _fields(value):
                    if n2 == 1 and w2 == 0:
                        fn = v2
                    elif n2 == 2 and w2 == 0:
                        line = v2 - _U64 if v2 > _I64_MAX else v2
                lines.append((fn, line))
        self.locations[loc_id] = (address, lines)

    def _function(self, chunk: bytes) -> None:
        fn_id = name = filename = 0
        for num, wire, value in _fields(chunk):
            if wire != 0:
                continue
            if num == 1:
                fn_id = value
            elif num == 2:
                name = value
            elif num == 4:
                filename = value
        self.functions[fn_id] = (name, filename)

    def _frames(
        self, s: Callable[[int], str]
    ) -> tuple[list[Frame], list[tuple[int, ...]], list[int], dict[int, int]]:
        """Frames, locations (as frame indices), addresses, and location id → index."""
        frames: list[Frame] = []
        frame_index: dict[Frame, int] = {}
        locations: list[tuple[int, ...]] = []
        addresses: list[int] = []
        loc_index: dict[int, int] = {}
        functions = self.functions
        for loc_id, (address, lines) in self.locations.items():
            ids = []
            for fn_id, line in lines or [(None, 0)]:
                if fn_id is None:
                    frame = Frame(f"0x{address:x}", "", 0)
                else:
                    name_i, file_i = functions.get(fn_id, (0, 0))
                    frame = Frame(s(name_i), s(file_i), line)
                fi = frame_index.get(frame)
                if fi is None:
                    fi = frame_index[frame] = len(frames)
                    frames.append(frame)
                ids.append(fi)
            loc_index[loc_id] = len(locations)
            locations.append(tuple(ids))
            addresses.append(address)
        return frames, locations, addresses, loc_index

    def _build(self) -> HeapProfile:
        strings = self.strings
        if strings and strings[0] != "":
            raise ProfileDecodeError("string table does not start with the empty string")

        def s(index: int) -> str:
            if 0 <= index < len(strings):
                return strings[index]
            raise ProfileDecodeError(f"string index {index} out of range")

        sample_types = tuple(ValueType(s(t), s(u)) for t, u in self.sample_types)
        frames, locations, addresses, loc_index = self._frames(s)
        self._sort_out_labels()
        width = len(sample_types)
        rows = _ValueRows(width)
        row_ids = list(map(rows.__getitem__, self.vals))
        keys = self.locs
        columns: Sequence[list[int]]
        base: list[bool] = []
        if self.labelled:
            # Diff-base profiles: some samples are marked; merge by (stack, marked), the slow way.
            per_sample = [rows.rows[i] for i in row_ids]
            flags = [False] * len(keys)
            for stack, values, labels in self.labelled:
                keys.append(stack)
                per_sample.append(rows.rows[rows[values]])
                flags.append(any((s(k), s(v)) == DIFF_BASE_LABEL for k, v in labels))
            columns = [list(col) for col in zip(*per_sample)] if per_sample else [[] for _ in range(width)]
            stacks, columns, base = _merge_labelled(_stacks(keys, loc_index), columns, flags)
        else:
            # Each stack is named by the index of its first sample; ``first`` lists them in first-seen order.
            first: dict[bytes, int] = {}
            stack_of = list(map(first.setdefault, keys, count()))
            if len(first) == len(keys):
                columns = _MergedColumns(width, rows.rows, row_ids, None)
            else:
                columns = _MergedColumns(width, rows.rows, row_ids, (stack_of, list(first.values())))
                keys = list(first)
            stacks = _stacks(keys, loc_index)
        scalars = self.scalars
        return HeapProfile(
            sample_types=sample_types,
            frames=frames,
            locations=locations,
            stacks=stacks,
            values=columns,
            base=base,
            default_sample_type=s(scalars.get(14, 0)),
            period_type=ValueType(s(self.period_type[0]), s(self.period_type[1])) if self.period_type else None,
            period=scalars.get(12, 0),
            time_nanos=scalars.get(9, 0),
            duration_nanos=scalars.get(10, 0),
            comments=tuple(s(c) for c in self.comments),
            addresses=addresses,
        )


_VARINT = re.compile(rb"[\x80-\xff]*[\x00-\x7f]")


class _ValueRows(dict):
    """Packed sample values → index of their row of int64s in ``rows``, decoded on first sight.

    Rows repeat a lot (one per object size and count), so a 400k-sample
    profile has only a few thousand distinct ones.
    """

    def __init__(self, width: int):
        super().__init__()
        self.width = width
        self.rows: list[tuple[int, ...]] = []

    def __missing__(self, raw: bytes) -> int:
        values = _packed(raw)
        if len(values) != self.width:
            raise ProfileDecodeError(f"samples do not all have {self.width} values, one per sample type")
        self.rows.append(tuple(v - _U64 if v > _I64_MAX else v for v in values))
        index = self[raw] = len(self.rows) - 1
        return index


class _MergedColumns(Sequence[list[int]]):
    """A decoded profile's value columns, each summed per stack when first used.

    Go writes one sample per (stack, object size); adding those up per stack
    is a pass over every sample per column, and a view shows one sample type
    at a time, so a column is built only when asked for. ``row_ids`` lists
    each sample's value row; ``merge`` is None when every sample has its own
    stack, else each sample's stack (named by the index of its first sample)
    and those first-sample indices in stack order.
    """

    def __init__(
        self,
        width: int,
        rows: list[tuple[int, ...]],
        row_ids: list[int],
        merge: tuple[list[int], list[int]] | None,
    ):
        self._width = width
        self._rows = rows
        self._row_ids = row_ids
        self._merge = merge
        self._built: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return self._width

    @overload
    def __getitem__(self, t: int) -> list[int]: ...
    @overload
    def __getitem__(self, t: slice) -> list[list[int]]: ...
    def __getitem__(self, t: int | slice) -> list[int] | list[list[int]]:
        if isinstance(t, slice):
            return [self[i] for i in range(self._width)[t]]
        t = range(self._width)[t]  # IndexError past the end, as a list would
        column = self._built.get(t)
        if column is None:
            table = [row[t] for row in self._rows]
            if self._merge is None:
                column = list(map(table.__getitem__, self._row_ids))
            else:
                stack_of, firsts = self._merge
                sums = [0] * len(stack_of)
                # A plain loop: one add per sample, and the UI thread gets the GIL between bytecodes.
                for stack, row in zip(stack_of, self._row_ids):
                    sums[stack] += table[row]
                column = list(map(sums.__getitem__, firsts))
            self._built[t] = column
        return column


class _LocationCache(dict):
    """varint bytes of a location id → location index; KeyError(id) when there is no such location."""

    def __init__(self, loc_index: dict[int, int]):
        super().__init__()
        self.loc_index = loc_index

    def __missing__(self, raw: bytes) -> int:
        index = self[raw] = self.loc_index[_varint(raw, 0)[0]]
        return index


def _stacks(keys: list[bytes], loc_index: dict[int, int]) -> list[Sequence[int]]:
    """Packed location ids → sequences of location indices.

    Ids below 128 are one byte, and a translate table maps a whole stack of
    them to the bytes of their indices in C; 0xFF marks a byte it cannot map
    (part of a longer varint, an id with no location, or an index that needs
    more than a byte). Only stacks with such a byte, found in one search of
    all stacks joined, are decoded varint by varint into tuples.
    """
    table = bytearray(b"\xff" * 256)
    for loc_id, index in loc_index.items():
        if loc_id < 0x80 and index < 0xFF:
            table[loc_id] = index
    translated = list(map(bytes.translate, keys, repeat(bytes(table))))
    stacks: list[Sequence[int]] = translated  # type: ignore[assignment]  # bytes are sequences of ints
    joined = b"".join(translated)
    at = joined.find(0xFF)
    if at < 0:
        return stacks
    ends = list(accumulate(map(len, keys)))
    by_varint = _LocationCache(loc_index)
    try:
        while at >= 0:
            i = bisect_right(ends, at)
            stacks[i] = tuple(map(by_varint.__getitem__, _VARINT.findall(keys[i])))
            at = joined.find(0xFF, ends[i])
    except KeyError as exc:
        raise ProfileDecodeError(f"a sample refers to unknown location {exc.args[0]!r}") from None
    return stacks


def _merge_labelled(
    stacks: list[Sequence[int]], columns: list[list[int]], base: list[bool]
) -> tuple[list[Sequence[int]], list[list[int]], list[bool]]:
    """Merge samples that had string labels into the stacks they share (a rare, slow path)."""
    seen: dict[tuple[Sequence[int], bool], int] = {}
    out_stacks: list[Sequence[int]] = []
    out_cols: list[list[int]] = [[] for _ in columns]
    out_base: list[bool] = []
    for i, stack in enumerate(stacks):
        at = seen.get((stack, base[i]))
        if at is None:
            seen[(stack, base[i])] = len(out_stacks)
            out_stacks.append(stack)
            out_base.append(base[i])
            for out, col in zip(out_cols, columns):
                out.append(col[i])
        else:
            for out, col in zip(out_cols, columns):
                out[at] += col[i]
    return out_stacks, out_cols, out_base if any(out_base) else []


def _encode_varints(values: list[int]) -> bytes:
    out = bytearray()
    for v in values:
        v &= _U64 - 1
        while v >= 0x80:
            out.append((v & 0x7F) | 0x80)
            v >>= 7
        out.append(v)
    return bytes(out)


def _numeric_labels_only(rest: bytes) -> bool:
    """True if the fields after a sample's locations are all numeric labels (which heap views ignore)."""
    return all(num == 3 and wire == 2 and _string_label(value) is None for num, wire, value in _fields(rest))


def _string_label(chunk: bytes) -> tuple[int, int] | None:
    """(key, str) of a string label; None for numeric labels (Go's heap ``bytes`` label)."""
    key = text = 0
    for num, wire, value in _fields(chunk):
        if wire != 0:
            continue
        if num == 1:
            key = value
        elif num == 2:
            text = value
        elif num == 3:
            return None
    return (key, text) if text else None
