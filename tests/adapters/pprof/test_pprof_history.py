"""Leak suspects, GC-distinct history and call-stack drill-down on hand-made profiles."""

from __future__ import annotations

from godbg_tui.adapters.pprof.history import HeapHistory, HeapSnapshot, HeapSource
from godbg_tui.adapters.pprof.profile import Frame, HeapProfile, ValueType
from godbg_tui.adapters.pprof.report import Granularity, call_stacks, top_table

TYPES = (ValueType("inuse_space", "bytes"),)
FRAMES = [Frame("main.leak", "m.go", 10), Frame("main.churn", "m.go", 20), Frame("main.main", "m.go", 30)]
MiB = 1 << 20


def snapshot(leak: int, churn: int, at: float, num_gc: int | None = None) -> HeapSnapshot:
    profile = HeapProfile(
        sample_types=TYPES,
        frames=FRAMES,
        locations=[(0,), (1,), (2,)],
        stacks=[(0, 2), (1, 2)],
        values=[[leak, churn]],
    )
    return HeapSnapshot(profile, HeapSource.HTTP, taken_at=at, num_gc=num_gc)


def test_growing_site_is_a_suspect_churning_one_is_not():
    h = HeapHistory()
    for i, (leak, churn) in enumerate([(1, 5), (3, 1), (5, 6), (8, 2)]):
        assert h.add(snapshot(leak * MiB, churn * MiB, at=100.0 + 2 * i, num_gc=10 + 3 * i))
    [suspect] = h.leak_suspects()
    assert suspect.name == "main.leak" and suspect.rises == 3
    assert suspect.growth_bytes == 7 * MiB and suspect.inuse_bytes == 8 * MiB
    assert suspect.bytes_per_second == 7 * MiB / 6 and suspect.bytes_per_gc == 7 * MiB / 9


def test_small_or_short_growth_is_not_a_leak():
    h = HeapHistory()
    for i, leak in enumerate([100, 200, 300, 400]):
        h.add(snapshot(leak * 1024, 50 * MiB, at=float(i)))
    assert h.leak_suspects() == [], "300 KiB of growth is below the 1 MiB floor"
    h = HeapHistory()
    h.add(snapshot(1 * MiB, 0, at=0.0))
    h.add(snapshot(9 * MiB, 0, at=1.0))
    assert h.leak_suspects() == [], "one rise is not a trend"


def test_snapshots_of_the_same_gc_cycle_are_kept_once():
    h = HeapHistory()
    assert h.add(snapshot(MiB, 0, at=1.0, num_gc=4))
    assert not h.add(snapshot(2 * MiB, 0, at=2.0, num_gc=4))
    assert not h.add(snapshot(MiB, 0, at=3.0)), "unknown GC count: same contents, same cycle"
    assert h.add(snapshot(3 * MiB, 0, at=4.0))
    h.pin_baseline()
    assert h.baseline is h.latest


def test_call_stacks_through_a_node_leaf_first():
    profile = snapshot(7, 3, at=0).profile
    stacks, count = call_stacks(profile, "main.main")
    assert count == 2 and [s.value for s in stacks] == [7, 3]
    assert stacks[0].frames == (FRAMES[0], FRAMES[2])
    line_key = ("main.leak", "m.go", 10)
    assert top_table(profile, granularity=Granularity.LINE).rows[0].key == line_key
    assert call_stacks(profile, line_key, granularity=Granularity.LINE)[0][0].value == 7
    assert call_stacks(profile, "main.nothing") == ([], 0)
