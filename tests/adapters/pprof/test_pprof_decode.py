"""The profile.proto decoder on hand-built messages: every encoding Go and pprof write."""

from __future__ import annotations

import gzip
import itertools
from unittest.mock import patch

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from godbg_tui.adapters.pprof.profile import (
    Frame,
    ProfileDecodeError,
    content_key,
    decode_profile,
)


def varint(v: int) -> bytes:
    v &= (1 << 64) - 1
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def key(num: int, wire: int) -> bytes:
    return varint(num << 3 | wire)


def ld(num: int, payload: bytes) -> bytes:
    return key(num, 2) + varint(len(payload)) + payload


def vi(num: int, value: int) -> bytes:
    return key(num, 0) + varint(value)


def packed(num: int, values: list[int]) -> bytes:
    return ld(num, b"".join(varint(v) for v in values))


def sample(locs: list[int], values: list[int], *, pack: bool = True, labels: list[bytes] = ()) -> bytes:
    body = packed(2, values) if pack else b"".join(vi(2, v) for v in values)
    body += packed(1, locs) if pack and len(locs) > 2 else b"".join(vi(1, l) for l in locs)
    for label in labels:
        body += ld(3, label)
    return ld(2, body)


STRINGS = ["", "inuse_space", "bytes", "main.leaf", "main.go", "main.main", "pprof::base", "true", "alloc_space", "x"]


def profile(samples: list[bytes], *, sample_types=((8, 2), (1, 2)), extra: bytes = b"") -> bytes:
    out = vi(9, 1_700_000_000_000_000_000)
    for t, u in sample_types:
        out += ld(1, vi(1, t) + vi(2, u))
    out += b"".join(samples)
    out += ld(4, vi(1, 1) + vi(3, 0x1000) + ld(4, vi(1, 1) + vi(2, 10)))  # location 1: main.leaf:10
    out += ld(4, vi(1, 2) + vi(3, 0x2000) + ld(4, vi(1, 2) + vi(2, 20)))  # location 2: main.main:20
    out += ld(4, vi(1, 3) + vi(3, 0x3000) + ld(4, vi(1, 1) + vi(2, 11)) + ld(4, vi(1, 2) + vi(2, 21)))  # inlined
    out += ld(5, vi(1, 1) + vi(2, 3) + vi(4, 4)) + ld(5, vi(1, 2) + vi(2, 5) + vi(4, 4))
    out += extra
    out += b"".join(ld(6, s.encode()) for s in STRINGS)
    out += vi(12, 524288)
    return out


def test_packed_and_unpacked_samples_with_the_same_stack_are_one_stack():
    raw = profile([sample([1, 2], [10, 100]), sample([1, 2], [5, 50], pack=False), sample([3, 2, 2], [1, 1])])
    p = decode_profile(raw)
    assert [vt.type for vt in p.sample_types] == ["alloc_space", "inuse_space"]
    stacks = [tuple(s) for s in p.stacks]
    assert sorted(zip(stacks, *p.values)) == sorted([((0, 1), 15, 150), ((2, 1, 1), 1, 1)])
    assert p.stack_frames(stacks.index((2, 1, 1))) == [
        Frame("main.leaf", "main.go", 11),
        Frame("main.main", "main.go", 21),
        Frame("main.main", "main.go", 20),
        Frame("main.main", "main.go", 20),
    ]
    assert p.period == 524288 and p.time_nanos == 1_700_000_000_000_000_000
    assert p.sample_index() == 1 and p.sample_index("alloc_space") == 0
    with pytest.raises(KeyError, match="inuse_objects"):
        p.sample_index("inuse_objects")


def test_negative_values_and_diff_base_labels():
    base_label = vi(1, 6) + vi(2, 7)
    numeric = vi(1, 2) + vi(3, 512)
    raw = profile(
        [
            sample([1, 2, 2], [-7, -700], labels=[numeric, base_label]),
            sample([1, 2, 2], [9, 900], labels=[numeric]),
        ]
    )
    p = decode_profile(gzip.compress(raw))
    assert len(p.stacks) == 2, "base and non-base samples must stay apart"
    by_base = {b: (p.values[0][i], p.values[1][i]) for i, b in enumerate(p.base)}
    assert by_base == {True: (-7, -700), False: (9, 900)}


def test_unknown_fields_and_wire_types_are_skipped():
    odd = key(99, 1) + b"\0" * 8 + key(98, 5) + b"\0" * 4 + ld(97, b"zzz") + vi(96, 3)
    raw = profile([ld(2, packed(2, [1, 2]) + packed(1, [1, 2, 2]) + key(50, 5) + b"abcd")], extra=odd)
    p = decode_profile(raw)
    assert p.totals() == [1, 2]


def test_default_sample_type_and_comments():
    raw = profile([sample([1, 2, 2], [1, 2])], extra=vi(14, 8) + vi(13, 9))
    p = decode_profile(raw)
    assert p.default_sample_type == "alloc_space" and p.sample_index() == 0
    assert p.comments == ("x",)


@pytest.mark.parametrize(
    "raw, message",
    [
        (profile([sample([1, 2, 2], [1, 2])])[:-5], "truncated"),
        (profile([sample([1, 7, 2], [1, 2])]), "unknown location"),
        (profile([sample([1, 2, 2], [1, 2, 3])]), "values"),
        (b"\x1f\x8b\x08\x00garbage", "gzip"),
        (ld(1, vi(1, 1) + vi(2, 2)) + ld(2, b"") + ld(6, b"") * 3, "values"),  # a sample too short for Go's layout
        (ld(1, vi(1, 1) + vi(2, 2)) + sample([1, 2, 3], [5])[:-2], "truncated"),  # cut inside Go's layout
    ],
)
def test_corrupt_profiles_raise_decode_errors(raw, message):
    with pytest.raises(ProfileDecodeError, match=message):
        decode_profile(raw)


def test_content_key_ignores_only_the_timestamp():
    a = profile([sample([1, 2, 2], [1, 2])])
    b = vi(9, 42) + a[len(vi(9, 1_700_000_000_000_000_000)) :]
    c = profile([sample([1, 2, 2], [1, 3])])
    assert content_key(a) == content_key(b) != content_key(c)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(1, 3), min_size=1, max_size=40),
            st.integers(-(2**40), 2**40),
            st.integers(-(2**62), 2**62),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_totals_survive_any_mix_of_encodings(samples):
    raw = profile([sample(locs, [a, b], pack=pack) for locs, a, b, pack in samples])
    p = decode_profile(raw)
    assert p.totals() == [sum(s[1] for s in samples), sum(s[2] for s in samples)]
    assert len(p.stacks) == len({tuple(s[0]) for s in samples})


def test_the_pprof_engine_imports_no_ui_library():
    import subprocess
    import sys

    code = (
        "import sys, godbg_tui.adapters.pprof.monitor, godbg_tui.adapters.pprof.report;"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')];"
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_location_ids_past_one_byte_and_stacks_past_127_bytes_take_the_general_path():
    """Ids ≥ 128 are two-byte varints and long stacks have two-byte lengths: neither may be misread."""
    n_locs = 300
    strings = ["", "inuse_space", "bytes"] + [f"main.f{i}" for i in range(n_locs)] + ["main.go"]
    locations = b"".join(
        ld(4, vi(1, i) + vi(3, 0x1000 + i) + ld(4, vi(1, i) + vi(2, i))) for i in range(1, n_locs + 1)
    )
    functions = b"".join(ld(5, vi(1, i) + vi(2, 3 + i) + vi(4, 3 + n_locs)) for i in range(1, n_locs + 1))
    stacks = [[1, 2, 3], [200, 5], [1, 2, 3], list(range(1, 130)), list(range(150, 300)), [127, 128, 129]]
    numeric_label = vi(1, 2) + vi(3, 64)
    samples = b"".join(sample(s, [10 * (i + 1)], labels=[numeric_label]) for i, s in enumerate(stacks))
    raw = vi(9, 1) + ld(1, vi(1, 1) + vi(2, 2)) + samples + locations + functions
    raw += b"".join(ld(6, s.encode()) for s in strings)
    p = decode_profile(raw)
    got = {tuple(p.frames[p.locations[loc][0]].function for loc in st): v for st, v in zip(p.stacks, p.values[0])}
    want: dict[tuple[str, ...], int] = {}
    for i, s in enumerate(stacks):
        names = tuple(f"main.f{loc}" for loc in s)
        want[names] = want.get(names, 0) + 10 * (i + 1)
    assert got == want


@settings(max_examples=80, deadline=None)
@example(loc_frames=[[]], samples=[([0, 0], 5)])  # no location has a frame
@given(
    st.lists(st.lists(st.integers(0, 5), min_size=0, max_size=3), min_size=1, max_size=8),
    st.lists(
        st.tuples(st.lists(st.integers(0, 7), min_size=0, max_size=12), st.integers(-(2**40), 2**40)), max_size=25
    ),
)
def test_flat_and_cum_equal_pprof_rules_on_any_profile(loc_frames, samples):
    """flat = leaf node; cum = each node once per stack (recursion and inlining included); empty stacks count nowhere."""
    from godbg_tui.adapters.pprof import report
    from godbg_tui.adapters.pprof.profile import HeapProfile, ValueType
    from godbg_tui.adapters.pprof.report import Granularity, aggregate

    frames = [Frame(f"main.f{i % 4}", "main.go", i) for i in range(6)]
    locations = [tuple(fs) for fs in loc_frames]
    stacks = [tuple(loc % len(locations) for loc in s) for s, _ in samples]
    values = [v for _, v in samples]
    profile = HeapProfile((ValueType("inuse_space", "bytes"),), frames, locations, stacks, [values])
    # Presence rows grouped by value and not, and big-integer masks (profiles past a byte's worth of nodes).
    paths = [{"_GROUPED": 1}, {"_GROUPED": len(samples) + 1}, {"_PRESENCE_LIMIT": 0}]
    for granularity, path in itertools.product(Granularity, paths):
        profile.cache.clear()
        with patch.multiple(report, _CHUNK=4, **path):  # several chunks, and a last partial one
            agg = aggregate(profile, "inuse_space", granularity)
        node = {k: i for i, k in enumerate(agg.keys)}
        flat = [0] * len(agg.keys)
        cum = [0] * len(agg.keys)
        for stack, v in zip(stacks, values):
            if not stack:
                continue
            key_of = [node[_key(frames[f], granularity)] for loc in stack for f in locations[loc]]
            if locations[stack[0]]:  # a location with no frame (no line info) is no node
                flat[node[_key(frames[locations[stack[0]][0]], granularity)]] += v
            for n in set(key_of):
                cum[n] += v
        assert agg.flat == flat and agg.cum == cum
        assert agg.total == sum(map(abs, values))


def _key(frame: Frame, granularity):
    from godbg_tui.adapters.pprof.report import node_key

    return node_key(frame, granularity)
