"""GoroutineCensus and the goroutine helpers: pure rules first, then real dlv on the
prog fixture with 10k goroutines parked in known places (and labelled waves added
between stops with -goroutines2/-waves)."""

from __future__ import annotations

import os
import time

import anyio
import pytest

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.dlv.types import GOROUTINE_FIELD, Function, Goroutine, ListGoroutinesFilter, Location, Stackframe
from godbg_tui.adapters.goroutines import (
    NO_CLOCK,
    WAIT_REASONS,
    CensusCancelled,
    CensusError,
    CensusSnapshot,
    GoroutineCensus,
    GoroutineCount,
    GoroutineFilters,
    GroupCensus,
    StackBucket,
    StackBuckets,
    WaitClock,
    _local_clock_problem,
    _Series,
    format_location,
    goroutine_state,
    group_label,
    is_leak_suspect,
    is_member,
    longest_waiting_first,
    member_filters,
    sparkline,
    to_markdown,
    wait_reason_name,
)
from godbg_tui.adapters.session import DebugSession

GO_1_26 = (1, 26, 0)


def loc(file: str, line: int, fn: str) -> Location:
    return Location(file=file, line=line, function=Function(name=fn))


def parked(gid: int, since: int, reason: int = 19) -> Goroutine:
    return Goroutine(id=gid, status=4, waitSince=since, waitReason=reason)


# ----- pure rules ---------------------------------------------------------------------------


def test_wait_reason_names_follow_the_go_version():
    assert [wait_reason_name((1, 19, 8), n) for n in (14, 17, 19)] == ["chan receive", "force gc (idle)", "sleep"]
    assert wait_reason_name((1, 20, 0), 21) == "sync.Mutex.Lock"
    assert wait_reason_name((1, 24, 0), 24) == "sync.WaitGroup.Wait"
    assert wait_reason_name((1, 25, 0), 18) == "GOMAXPROCS updater (idle)"
    assert wait_reason_name((1, 25, 0), 42) == "chan receive (durable)"
    assert [wait_reason_name(GO_1_26, n) for n in (14, 18, 19, 22)] == ["sleep", "select", "chan receive", "sync.Mutex.Lock"]
    assert wait_reason_name((1, 27, 1), 19) == "chan receive"
    assert wait_reason_name((1, 17, 0), 14) == "unknown wait reason 14"
    assert wait_reason_name(GO_1_26, 0) == "unknown wait reason 0"
    assert wait_reason_name(GO_1_26, 99) == "unknown wait reason 99"
    # 1.26 only reordered 1.25's reasons.
    assert sorted(WAIT_REASONS[26]) == sorted(WAIT_REASONS[25])
    assert WAIT_REASONS[26] != WAIT_REASONS[25]


def test_goroutine_state_uses_the_wait_reason_only_when_parked():
    assert goroutine_state(Goroutine(status=4, waitReason=19), GO_1_26) == "chan receive"
    assert goroutine_state(Goroutine(status=2, waitReason=19), GO_1_26) == "running"
    assert goroutine_state(Goroutine(status=1), GO_1_26) == "runnable"
    assert goroutine_state(Goroutine(status=4), GO_1_26) == "waiting"


def test_leak_suspect_needs_three_growths_in_a_row_and_no_shrink():
    assert not is_leak_suspect([1, 2, 3])
    assert is_leak_suspect([1, 2, 3, 4])
    assert is_leak_suspect([0, 5, 5, 6, 7, 9])
    assert not is_leak_suspect([1, 2, 2, 3, 4])
    assert not is_leak_suspect([5, 4, 5, 6, 7])
    assert not is_leak_suspect([3, 3, 3, 3])
    assert is_leak_suspect([1, 2, 3], min_growths=2)


def test_sparkline_scales_between_the_groups_own_extremes():
    assert sparkline([]) == ""
    assert sparkline([0, 0]) == "▁▁"
    assert sparkline([4, 4, 4]) == "▄▄▄"
    assert sparkline([10, 20, 30]) == "▁▅█"


def test_series_replaces_a_retake_of_the_same_stop_and_keeps_twenty():
    series = _Series()
    series.record(1, {"a": 1})
    series.record(1, {"a": 2})
    assert series.history("a") == (2,)
    assert series.previous() is None
    for stop in range(2, 30):
        series.record(stop, {"a": stop, "b": 1} if stop % 2 else {"a": stop})
    assert len(series.history("a")) == 20
    assert series.history("a")[-1] == 29 and series.history("b")[-2:] == (0, 1)


def test_filters_translate_to_delve_and_groups_to_member_filters():
    f = GoroutineFilters(
        with_locations=(("userloc", "main.worker"),),
        without_locations=(("goloc", "net/http"),),
        labels=("wave=1", "tenant"),
        running=False,
    )
    assert [(x.Kind, x.Negated, x.Arg) for x in f.to_delve()] == [
        (7, False, ""), (2, False, "main.worker"), (3, True, "net/http"), (5, False, "wave=1"),
        (5, False, "tenant"), (6, True, ""),
    ]
    assert GoroutineFilters(user_only=False).to_delve() == []
    with pytest.raises(ValueError, match="location filter kind"):
        GoroutineFilters(with_locations=(("label", "x"),)).to_delve()
    assert "not running" in f.describe() and "label wave=1" in f.describe()

    key = "/src/main.go:12 in main.f"
    assert [(x.Kind, x.Arg) for x in member_filters("userloc", key)] == [(2, key)]
    assert [(x.Kind, x.Arg) for x in member_filters("label", "wave=", "wave")] == [(5, "wave=")]
    assert [(x.Kind, x.Negated) for x in member_filters("running", "running=false")] == [(6, True)]
    assert [(x.Kind, x.Negated) for x in member_filters("user", "user=true")] == [(7, False)]
    with pytest.raises(ValueError):
        member_filters("nowhere", "x")


def test_typed_filter_words_become_locations_exclusions_labels_and_thread_state():
    f = GoroutineFilters.parse("  worker -net/http wave=1 tenant= :parked - ")
    assert f == GoroutineFilters(
        user_only=True,
        with_locations=(("userloc", "worker"),),
        without_locations=(("userloc", "net/http"),),
        labels=("wave=1", "tenant"),
        running=False,
    )
    assert GoroutineFilters.parse(":running", user_only=False) == GoroutineFilters(user_only=False, running=True)
    assert GoroutineFilters.parse("") == GoroutineFilters()


def test_location_groups_match_exactly_where_delves_substring_filter_over_matches():
    key = "/src/main.go:12 in main.f"
    inner = Goroutine(userCurrentLoc=loc("/src/main.go", 12, "main.f"))
    closure = Goroutine(userCurrentLoc=loc("/src/main.go", 12, "main.f.func1"))
    assert key in format_location(closure.userCurrentLoc)  # what Delve's filter would accept
    assert is_member(inner, "userloc", key) and not is_member(closure, "userloc", key)
    assert is_member(closure, "label", "anything")
    assert format_location(Location(file="?", line=0)) == "?:0 in ?"
    assert group_label(key, "userloc") == "main.go:12 main.f"
    assert group_label("wave=1", "label") == "wave=1"


def test_longest_waiting_first_needs_no_clock():
    running = Goroutine(id=1, status=2, waitSince=5)
    unstamped = parked(2, 0)
    old, newer = parked(3, 100), parked(4, 200)
    assert [g.id for g in longest_waiting_first([running, newer, unstamped, old])] == [3, 4, 2, 1]


def test_wait_clock_gives_lower_bounds_and_says_when_it_cannot():
    clock = WaitClock(now_ns=10_000_000_000, last_gc_ns=4_000_000_000, source="local")
    g = parked(1, 1_000_000_000)
    assert clock.waited_ns(g) == 9_000_000_000 and clock.describe(g) == "≥ 9.0 s"
    assert clock.waited_ns(parked(2, 0)) is None and clock.describe(parked(2, 0)) == "since the last GC"
    assert clock.waited_ns(Goroutine(status=2, waitSince=5)) is None
    relative = WaitClock(now_ns=None, last_gc_ns=4_000_000_000, source="remote")
    assert not relative.absolute and relative.waited_ns(g) is None
    assert relative.describe(g) == "≥ 3.0 s before last GC"
    assert NO_CLOCK.describe(parked(2, 0)) == "unknown"


def test_local_clock_is_refused_for_processes_we_cannot_vouch_for():
    now = time.monotonic_ns()
    assert "unreadable" in _local_clock_problem(os.getpid(), None, now)
    assert "does not run on this machine" in _local_clock_problem(2**22 + 12345, now - 1, now)
    # pytest itself is local but nobody traces it.
    assert "not the one being debugged" in _local_clock_problem(os.getpid(), now - 1, now)


def test_count_describes_what_is_known():
    assert GoroutineCount(slots=120).describe() == "≤ 120 goroutines"
    assert GoroutineCount(slots=120, live=110, system=6).describe() == "110 goroutines (104 user)"
    assert GoroutineCount(slots=120, live=110).best == 110


def snapshot_for_export() -> CensusSnapshot:
    rep = Goroutine(id=42, status=4, waitReason=19, waitSince=1_000_000_000, userCurrentLoc=loc("/src/main.go", 21, "main.wait"))
    frames = (Stackframe(file="/go/src/runtime/proc.go", line=463, function=Function(name="runtime.gopark")),
              Stackframe(file="/src/main.go", line=21, function=Function(name="main.wait")))
    groups = (
        GroupCensus("/src/main.go:21 in main.wait", 1500, 500, (0, 500, 1000, 1500), True, (42, 43), rep, frames),
        GroupCensus("/src/main.go:30 in main.idle|x", 2, 0, (2, 2, 2, 2), False, (7,), None),
        GroupCensus("/src/main.go:40 in main.gone", 0, -3, (3, 3, 3, 0), False),
    )
    return CensusSnapshot(
        group_by="userloc", label_key="", filters=GoroutineFilters(), stop=4, groups=groups, total=1502,
        count=GoroutineCount(slots=1510, live=1508, system=6),
        clock=WaitClock(now_ns=5_000_000_000, last_gc_ns=None, source="local clock"),
        go_version=GO_1_26, elapsed_s=0.5, chunks=3,
    )


def test_markdown_export_has_counts_deltas_history_suspects_and_stacks():
    snap = snapshot_for_export()
    buckets = StackBuckets(
        (StackBucket(snap.groups[0].key, (("main.wait", "/src/main.go", 21),), 1500, 16, (42,)),),
        exact=False,
        note="sampled: 16 stacks",
    )
    md = to_markdown(snap, buckets)
    assert md.startswith("# Goroutine census\n")
    assert "**1,502** goroutines (user goroutines), grouped by **userloc** into 2 groups" in md
    assert "1,508 goroutines (1,502 user)" in md
    assert "## Leak suspects\n\n- `main.go:21 main.wait`: 1,500 goroutines, grew at each of the last 3 stops (0 → 500 → 1,000 → 1,500)" in md
    assert "| 1,500 | +500 | ▁▃▆█ | chan receive, ≥ 4.0 s | `/src/main.go:21 in main.wait` ⚠ leak suspect |" in md
    assert "| 2 | +0 | ▄▄▄▄ |  | `/src/main.go:30 in main.idle\\|x` |" in md
    assert "| 0 | -3 | ███▁ |" in md
    assert "### main.go:21 main.wait ×1,500\n\n```\ngoroutine 42 [chan receive, ≥ 4.0 s]:\nruntime.gopark(…)\n\t/go/src/runtime/proc.go:463\nmain.wait(…)" in md
    assert "_sampled: 16 stacks_" in md and "### ×≈1,500 in `main.go:21 main.wait` (sampled 16)" in md


# ----- real dlv -----------------------------------------------------------------------------

N = 10_000
WAVE = 500


@pytest.fixture
def prog(go_bin, dlv_path):
    def spec(*args: str) -> LaunchSpec:
        return LaunchSpec(mode="exec", program=str(go_bin["prog"]), args=tuple(args), dlv_path=str(dlv_path))

    return spec


async def single_call_totals(s: DebugSession, group_by: str, filters: list[ListGoroutinesFilter], key: str = "") -> dict[str, int]:
    """What one server-side GroupBy over everything (dlv's `goroutines -group`) says."""
    out = await s.goroutines(0, 0, filters=filters, group_by=GOROUTINE_FIELD[group_by], group_by_key=key)
    return {g.Name: g.Total for g in out.Groups or []}


async def test_census_groups_are_exact_for_every_grouping_and_filter(prog):
    async with DebugSession(prog("-goroutines", str(N), "-goroutines2", str(WAVE))) as s:
        census = GoroutineCensus.for_session(s, chunk_target_s=0.05)
        await s.continue_("main.ready2")
        count = await census.count()
        assert count.live == count.slots >= N + WAVE + 7 and count.system and count.system > 0

        seen = []
        snap = await census.take(progress=seen.append)
        assert snap.chunks > 2, "10k goroutines must be walked in several chunks"
        assert [p.scanned for p in seen] == sorted(p.scanned for p in seen) and seen[-1].scanned == count.slots
        assert seen[0].totals == () and seen[0].count == GoroutineCount(slots=count.slots)
        assert snap.total == sum(g.total for g in snap.groups)
        assert snap.find("main.blockedOnChan").total == N
        assert snap.find("main.blockedInWave").total == WAVE
        assert snap.find("main.blockedOnSelect").total == 2
        assert snap.find("sync.(*Mutex).Lock").total == 2
        assert snap.find("time.Sleep").total == 2
        assert snap.find("main.ready2").total == 1
        assert all(g.delta is None and g.history == (g.total,) and not g.leak_suspect for g in snap.groups)
        assert not any("runtime.gopark" in g.key for g in snap.groups), "user-only by default"

        states = {
            "main.blockedOnChan": "chan receive", "main.blockedInWave": "chan receive", "main.blockedOnSelect": "select",
            "sync.(*Mutex).Lock": "sync.Mutex.Lock", "time.Sleep": "sleep",
        }
        for where, state in states.items():
            group = snap.find(where)
            assert goroutine_state(group.representative, s.go_version) == state
            assert group.representative.id in group.sample_ids
            assert 0 < len(group.sample_ids) <= census.samples_per_group
        chan = snap.find("main.blockedOnChan")
        assert len(chan.sample_ids) == census.samples_per_group and len(set(chan.sample_ids)) == len(chan.sample_ids)

        user = [ListGoroutinesFilter(Kind=GOROUTINE_FIELD["user"])]
        assert {g.key: g.total for g in snap.groups} == await single_call_totals(s, "userloc", user)
        for group_by, key in (("curloc", ""), ("goloc", ""), ("startloc", ""), ("label", "wave"), ("running", ""), ("user", "")):
            other = await census.take(group_by, label_key=key, filters=GoroutineFilters(user_only=False))
            assert {g.key: g.total for g in other.groups} == await single_call_totals(s, group_by, [], key), group_by
        everything = await census.take(filters=GoroutineFilters(user_only=False))
        assert everything.total == count.live == everything.count.live > snap.total

        waves = await census.take(filters=GoroutineFilters(with_locations=(("userloc", "main.blockedInWave"),)))
        assert [(group_label(g.key, "userloc").split()[1], g.total) for g in waves.groups] == [("main.blockedInWave", WAVE)]
        labelled = await census.take("startloc", filters=GoroutineFilters(labels=("wave=0",)))
        assert [g.total for g in labelled.groups] == [WAVE] and "main.blockedInWave" in labelled.groups[0].key
        running = await census.take(filters=GoroutineFilters(running=True))
        assert [(g.key.rsplit(" in ", 1)[1], g.total) for g in running.groups] == [("main.ready2", 1)]
        without = await census.take(filters=GoroutineFilters(without_locations=(("userloc", "main.blockedOn"),)))
        assert without.total == snap.total - N - 2

        with pytest.raises(ValueError, match="label_key"):
            await census.take("label")


async def test_group_members_page_through_a_group_without_gaps_or_repeats(prog):
    async with DebugSession(prog("-goroutines", str(N), "-goroutines2", str(WAVE))) as s:
        census = GoroutineCensus.for_session(s)
        await s.continue_("main.ready2")
        by_label = await census.take("label", label_key="wave")
        assert {g.key: g.total for g in by_label.groups} == {"wave=0": WAVE, "wave=": by_label.total - WAVE}
        ids: list[int] = []
        start, sizes = 0, []
        while start >= 0:
            page = await census.group_members(by_label.group("wave=0"), start=start, limit=200)
            assert all(g.labels == {"wave": "0"} for g in page.goroutines)
            ids += [g.id for g in page.goroutines]
            start = page.next_start
            sizes.append(len(page.goroutines))
        assert len(ids) == len(set(ids)) == WAVE
        assert max(sizes) == 200 and len([n for n in sizes if n]) >= 3

        snap = await census.take()
        select = await census.group_members(snap.find("main.blockedOnSelect"), limit=10)
        assert len(select.goroutines) == 2 and select.next_start == -1
        assert all(format_location(g.userCurrentLoc) == snap.find("main.blockedOnSelect").key for g in select.goroutines)


async def test_census_across_stops_reports_deltas_history_and_leak_suspects(prog):
    wave, waves = 300, 4
    launched_at = time.monotonic_ns()
    async with DebugSession(prog("-goroutines", "2000", "-goroutines2", str(wave), "-waves", str(waves))) as s:
        census = GoroutineCensus.for_session(s)
        await s.set_breakpoint("main.ready2")
        snaps = []
        for stop in range(1, waves + 1):
            await s.continue_()
            snaps.append(await census.take())
            again = await census.take()
            assert again.find("main.blockedInWave").history == snaps[-1].find("main.blockedInWave").history
        growing = [snap.find("main.blockedInWave") for snap in snaps]
        assert [g.total for g in growing] == [wave, 2 * wave, 3 * wave, 4 * wave]
        assert [g.delta for g in growing] == [None, wave, wave, wave]
        assert growing[-1].history == (wave, 2 * wave, 3 * wave, 4 * wave)
        assert [g.leak_suspect for g in growing] == [False, False, False, True]
        steady = snaps[-1].find("main.blockedOnChan")
        assert steady.total == 2000 and steady.delta == 0 and steady.history == (2000,) * 4 and not steady.leak_suspect
        assert [g.key for g in snaps[-1].leak_suspects] == [growing[-1].key]

        # Label groups have their own history; each wave's group appears once and stays.
        by_wave = await census.take("label", label_key="wave")
        assert {g.key: (g.total, g.delta) for g in by_wave.groups if g.key != "wave="} == {
            f"wave={w}": (wave, None) for w in range(waves)
        }

        # Waiting times: each wave was stamped by its own GC, so wave 0 has waited longest.
        clock = snaps[-1].clock
        assert clock.absolute, clock.source
        first = (await census.group_members(by_wave.group("wave=0"), limit=wave)).goroutines
        last = (await census.group_members(by_wave.group(f"wave={waves - 1}"), limit=wave)).goroutines
        assert len(first) == len(last) == wave and all(g.waitSince > 0 for g in first + last)
        ordered = longest_waiting_first(list(last[:5]) + list(first[:5]))
        assert {g.labels["wave"] for g in ordered[:5]} == {"0"}
        assert clock.waited_ns(first[0]) > clock.waited_ns(last[0]) > 0
        assert clock.waited_ns(first[0]) < clock.now_ns - launched_at, "waited longer than the program has existed"

        # A restarted process has new goroutines: no history carries over.
        await s.restart()
        assert census.last is None
        await s.continue_()
        fresh = (await census.take()).find("main.blockedInWave")
        assert (fresh.total, fresh.delta, fresh.history) == (wave, None, (wave,))


async def test_channel_waiters_lists_the_goroutines_blocked_on_a_channel(prog):
    async with DebugSession(prog("-goroutines", str(N), "-goroutines2", "250", "-waves", "2")) as s:
        census = GoroutineCensus.for_session(s)
        await s.set_breakpoint("main.ready2")
        await s.continue_()
        await s.continue_()
        waiters = await census.channel_waiters("main.waveCh")
        assert len(waiters.goroutines) == 500 and not waiters.truncated
        assert all("main.blockedInWave" in format_location(g.userCurrentLoc) for g in waiters.goroutines)
        assert {g.labels["wave"] for g in waiters.goroutines} == {"0", "1"}
        few = await census.channel_waiters("main.waveCh", limit=100)
        assert len(few.goroutines) == 100 and few.truncated
        exactly = await census.channel_waiters("main.waveCh", limit=500)
        assert len(exactly.goroutines) == 500 and not exactly.truncated
        assert (await census.channel_waiters("main.readyCalls")).goroutines == ()
        with pytest.raises(CensusError, match="noSuchChannel"):
            await census.channel_waiters("noSuchChannel")
        with pytest.raises(CensusError, match="give a channel expression"):
            await census.channel_waiters("  ")
        old = GoroutineCensus(census._connect, s.scope, dlv_version=(1, 20, 2))
        with pytest.raises(CensusError, match="needs Delve 1.21.1 or newer"):
            await old.channel_waiters("main.waveCh")


async def test_stack_buckets_are_exact_for_small_programs_and_sampled_for_big_ones(prog):
    async with DebugSession(prog("-goroutines", "20", "-goroutines2", "5")) as s:
        census = GoroutineCensus.for_session(s)
        await s.continue_("main.ready2")
        await census.take()
        exact = await census.stack_buckets()
        assert exact.exact and exact.note.startswith("exact")
        chan = next(b for b in exact.buckets if any(fn == "main.blockedOnChan" for fn, _, _ in b.frames))
        assert chan.count == chan.sampled == 20 and chan.frames[0][0] == "runtime.gopark"
        assert sum(b.count for b in exact.buckets) == census.last.total

    async with DebugSession(prog("-goroutines", str(N), "-goroutines2", str(WAVE))) as s:
        census = GoroutineCensus.for_session(s)
        await s.continue_("main.ready2")
        snap = await census.take()
        sampled = await census.stack_buckets(sample_limit=8)
        assert not sampled.exact and "sampled" in sampled.note
        chan = [b for b in sampled.buckets if b.group_key == snap.find("main.blockedOnChan").key]
        assert sum(b.count for b in chan) == N and sum(b.sampled for b in chan) == 8
        assert all(b.sampled <= 8 for b in sampled.buckets)

        exported = to_markdown(await census.with_stacks(depth=16), sampled)
        assert f"### {group_label(snap.find('main.blockedOnChan').key, 'userloc')} ×{N:,}\n" in exported
        assert "runtime.gopark(…)" in exported and "## Identical stacks" in exported


async def test_a_step_during_a_census_cancels_it_and_is_not_held_up(prog, marker_line):
    async with DebugSession(prog("-goroutines", str(N), "-goroutines2", str(WAVE))) as s:
        census = GoroutineCensus.for_session(s, chunk_target_s=0.05)
        await s.continue_("main.ready2")
        outcome: list[object] = []
        first_chunk = anyio.Event()

        def progress(p) -> None:
            if p.scanned:
                first_chunk.set()

        async def run_census() -> None:
            try:
                outcome.append(await census.take(progress=progress))
            except CensusCancelled as exc:
                outcome.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(run_census)
            await first_chunk.wait()
            began = time.perf_counter()
            await s.next()
            stepped = time.perf_counter() - began
        assert isinstance(outcome[0], CensusCancelled)
        assert census.last is None, "a cancelled census records nothing"
        assert s.current_location().line == marker_line("prog", "main.go", "ready2") + 1
        assert stepped < 5.0
        snap = await census.take()
        assert snap.find("main.blockedOnChan").total == N and snap.find("main.blockedOnChan").delta is None


async def test_quitting_during_a_census_cancels_it(prog):
    s = DebugSession(prog("-goroutines", str(N)))
    async with s:
        census = GoroutineCensus.for_session(s, chunk_target_s=0.05)
        await s.continue_("main.ready")
        outcome: list[object] = []
        first_chunk = anyio.Event()

        async def run_census() -> None:
            try:
                outcome.append(await census.take(progress=lambda p: p.scanned and first_chunk.set()))
            except CensusError as exc:
                outcome.append(exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(run_census)
            await first_chunk.wait()
            with anyio.fail_after(15):
                await s.close()
    assert isinstance(outcome[0], CensusError)
    with pytest.raises(CensusError, match="not paused"):
        await census.take()
