"""GoroutinesScreen / GoroutineCensusView against real dlv on the prog fixture:
-goroutines N parked at main.blockedOnChan, and -goroutines2/-waves adding labelled
waves at main.blockedInWave between stops in main.ready2."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager

import pytest
from support import async_wait_until
from textual.app import App

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.dlv.types import GOROUTINE_FIELD, ListGoroutinesFilter
from godbg_tui.adapters.goroutines import format_location
from godbg_tui.adapters.session import DebugSession
from godbg_tui.tui.screens.goroutines import GoroutinesScreen
from godbg_tui.tui.widgets.goroutine_census import GoroutineCensusView

N = 10_000
USER = ListGoroutinesFilter(Kind=GOROUTINE_FIELD["user"])


class CensusApp(App[None]):
    """Pushes the census screen over an empty app and records what it dismisses with."""

    def __init__(self, session: DebugSession, channel: str = "") -> None:
        super().__init__()
        self.session = session
        self.channel = channel
        self.results: list[tuple[str, int] | None] = []

    def on_mount(self) -> None:
        self.push_screen(GoroutinesScreen(self.session, channel=self.channel), self.results.append)

    @property
    def view(self) -> GoroutineCensusView:
        return self.screen.query_one(GoroutineCensusView)


@asynccontextmanager
async def prog(go_bin, dlv_path, *args: str):
    spec = LaunchSpec(mode="exec", program=str(go_bin["prog"]), args=args, dlv_path=str(dlv_path))
    async with DebugSession(spec) as session:
        yield session


def visible(view: GoroutineCensusView) -> list[str]:
    rows = view.rows_view
    return [rows.render_line(y).text for y in range(rows.scrollable_content_region.height)]


def row_of(view: GoroutineCensusView, text: str) -> str:
    return next(r for r in visible(view) if text in r)


async def census_done(view: GoroutineCensusView, stop: int = 0) -> None:
    await async_wait_until(
        lambda: view.snapshot is not None and view.snapshot.stop >= stop, timeout=60, message="census finished"
    )


@pytest.mark.parametrize("size", [(80, 24), (250, 70)])
async def test_census_shows_the_big_group_with_its_exact_count_and_pages_its_members(size, go_bin, dlv_path):
    async with prog(go_bin, dlv_path, "-goroutines", str(N)) as s:
        await s.continue_("main.ready")
        app = CensusApp(s)
        async with app.run_test(size=size) as pilot:
            view = app.view
            await census_done(view)
            await pilot.pause()
            snap = view.snapshot
            # A goroutine or two may not have reached its channel receive yet at ready():
            # the exact figure is what one server-side grouping over everything says.
            truth = await s.goroutines(0, 0, filters=[USER], group_by=GOROUTINE_FIELD["userloc"])
            exact = {g.Name: g.Total for g in truth.Groups}
            big = snap.groups[0]
            assert "main.blockedOnChan" in big.key and big.total == exact[big.key] >= N - 20
            assert snap.total == sum(exact.values()) == N + 7
            top = visible(view)[0]
            assert top.startswith("▸") and f" {big.total:,} " in top and "main.blockedOnChan" in top
            assert "⚠" not in top
            assert view.header_text.startswith(f"{N + 7:,} goroutines in ")
            assert "by userloc · user goroutines" in view.header_text

            await pilot.press("enter")
            await async_wait_until(lambda: len(view.rows_view.rows) > len(snap.groups), message="first member page")
            members = [r for r in view.rows_view.rows if r.kind == "member"]
            assert len(members) == 100
            assert all(format_location(r.goroutine.userCurrentLoc) == snap.groups[0].key for r in members)
            more = view.rows_view.rows[101]
            assert more.kind == "more" and f"100 of {big.total:,}" in more.text
            assert visible(view)[0].startswith("▾")

            await pilot.press(*["down"] * 101)
            assert view.cursor_row.kind == "more"
            await pilot.press("enter")
            await async_wait_until(
                lambda: len([r for r in view.rows_view.rows if r.kind == "member"]) == 200, message="second page"
            )
            ids = [r.goroutine.id for r in view.rows_view.rows if r.kind == "member"]
            assert len(set(ids)) == 200

            await pilot.press("home", "down", "down", "down")
            chosen = view.cursor_row.goroutine.id
            assert chosen == ids[2]
            await pilot.press("enter")
            await async_wait_until(lambda: app.results, message="screen dismissed")
            assert app.results == [("goroutine", chosen)]


async def test_closing_while_the_census_fills_in_cancels_it(go_bin, dlv_path):
    async with prog(go_bin, dlv_path, "-goroutines", str(N)) as s:
        await s.continue_("main.ready")
        app = CensusApp(s)
        async with app.run_test(size=(80, 24)) as pilot:
            view = app.view
            await async_wait_until(
                lambda: re.match(r"[\d,]+ goroutines \([\d,]+ user\) · grouping… [\d,]+ / [\d,]+", view.header_text),
                timeout=30, message="count at once, then census progress",
            )
            assert view.snapshot is None
            await pilot.press("q")
            await async_wait_until(lambda: app.results == [None], timeout=2, message="q closes at once")
        assert len(await s.stack()) > 0
        assert view.snapshot is None


async def test_resuming_during_a_census_cancels_it_and_the_next_stop_retakes_it(go_bin, dlv_path):
    wave = 200
    async with prog(go_bin, dlv_path, "-goroutines", str(N), "-goroutines2", str(wave), "-waves", "2") as s:
        await s.set_breakpoint("main.ready2")
        await s.continue_()
        app = CensusApp(s)
        async with app.run_test(size=(80, 24)):
            view = app.view
            await async_wait_until(lambda: "grouping" in view.header_text, message="census under way")
            await s.continue_()
            await census_done(view)
            assert view.snapshot.stop == view.census.stop
            waves = view.snapshot.find("main.blockedInWave")
            assert waves.total == 2 * wave
            assert waves.history == (2 * wave,), "the cancelled census recorded nothing"


async def test_deltas_leak_suspects_buckets_channel_waiters_and_export(go_bin, dlv_path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wave, waves = 300, 4
    async with prog(go_bin, dlv_path, "-goroutines", "2000", "-goroutines2", str(wave), "-waves", str(waves)) as s:
        await s.set_breakpoint("main.ready2")
        await s.continue_()
        app = CensusApp(s)
        async with app.run_test(size=(250, 70)) as pilot:
            view = app.view
            await census_done(view)
            first = view.snapshot.find("main.blockedInWave")
            assert first.total == wave and first.delta is None
            stop = view.snapshot.stop
            for n in range(2, waves + 1):
                await s.continue_()
                await census_done(view, stop + n - 1)
                await pilot.pause()
                group = view.snapshot.find("main.blockedInWave")
                assert (group.total, group.delta) == (n * wave, wave)
                row = row_of(view, "main.blockedInWave")
                assert f"{n * wave:,}" in row and f"+{wave}" in row
                assert ("⚠" in row) == (n == waves), (n, row)
            assert "1 leak suspect" in view.header_text
            steady = row_of(view, "main.blockedOnChan")
            assert "2,000" in steady and "+" not in steady and "⚠" not in steady

            await pilot.press("s")
            await async_wait_until(lambda: view.mode == "buckets", timeout=30, message="stack buckets")
            await pilot.pause()
            rows = visible(view)
            assert rows[0].lstrip().startswith("sampled:")
            assert any(r.lstrip().startswith("×≈2,000") and "main.blockedOnChan" in r for r in rows)
            await pilot.press("escape")
            assert view.mode == "groups" and app.results == []

            await pilot.press("c")
            await pilot.press(*"main.waveCh", "enter")
            await async_wait_until(lambda: view.mode == "waiters", timeout=30, message="channel waiters")
            assert view.waiters.truncated and len(view.waiters.goroutines) == 1000
            await pilot.pause()
            assert "1,000 waiting on main.waveCh (more not shown)" in visible(view)[0]
            await pilot.press("escape")

            await pilot.press("e")
            await async_wait_until(lambda: view.last_export is not None, timeout=30, message="export written")
            path = view.last_export
            assert path.parent == tmp_path and path.name.startswith("goroutine-census-") and path.suffix == ".md"
            text = path.read_text()
            assert "## Leak suspects" in text and "main.blockedInWave" in text
            assert f"| {waves * wave:,} | +{wave} |" in text and "## Representative stacks" in text
            assert [p.name for p in tmp_path.iterdir()] == [path.name], "no temporary file left behind"

            await pilot.press("2")
            await census_done(view)
            assert view.snapshot.group_by == "curloc" and view.group_by == "curloc"
            assert any("runtime.gopark" in g.key for g in view.snapshot.groups)
            user_total = (await app.view.census.count()).best
            await pilot.press("u")
            await census_done(view)
            assert not view.filters.user_only and view.snapshot.total == user_total
            await pilot.press("5", *"wave", "enter")
            await census_done(view)
            assert (view.snapshot.group_by, view.snapshot.label_key) == ("label", "wave")
            assert {g.key: g.total for g in view.snapshot.groups if g.key != "wave="} == {
                f"wave={w}": wave for w in range(waves)
            }
            assert "by label wave · all goroutines" in view.header_text
            await pilot.press("escape")
            await async_wait_until(lambda: app.results == [None], message="escape closes")


async def test_label_running_and_excluding_filters_and_wait_order(go_bin, dlv_path):
    wave, waves = 50, 3
    async with prog(go_bin, dlv_path, "-goroutines", "100", "-goroutines2", str(wave), "-waves", str(waves),
                    "-workers", "2") as s:
        await s.set_breakpoint("main.ready2")
        for _ in range(waves):
            await s.continue_()
        app = CensusApp(s)
        async with app.run_test(size=(250, 70)) as pilot:
            view = app.view
            await census_done(view)
            everything = view.snapshot.total
            assert view.snapshot.find("main.blockedInWave").total == waves * wave

            await pilot.press("l", *"wave=1", "enter")
            await census_done(view)
            assert view.filters.labels == ("wave=1",) and "label wave=1" in view.header_text
            assert view.snapshot.total == wave
            assert [g.key for g in view.snapshot.groups if g.total] == [view.snapshot.find("main.blockedInWave").key]
            await pilot.press("l", "ctrl+u", "enter")
            await census_done(view)
            assert view.snapshot.total == everything

            await pilot.press("slash", *"-blockedOnChan -blockedInWave", "enter")
            await census_done(view)
            assert view.filters.without_locations == (("userloc", "blockedOnChan"), ("userloc", "blockedInWave"))
            keys = [g.key for g in view.snapshot.groups if g.total]
            assert not any("blockedOnChan" in k or "blockedInWave" in k for k in keys)
            assert view.snapshot.total == everything - 100 - waves * wave
            await pilot.press("slash", "ctrl+u", "enter")
            await census_done(view)

            await pilot.press("r")
            await census_done(view)
            running = await s.goroutines(0, 0, filters=[USER, ListGoroutinesFilter(Kind=GOROUTINE_FIELD["running"])])
            assert view.filters.running is True and "goroutines, running ·" in view.header_text
            assert view.snapshot.total == len(running.Goroutines) >= 1
            await pilot.press("r")
            await census_done(view)
            assert view.filters.running is False and "goroutines, not running ·" in view.header_text
            assert view.snapshot.total == everything - len(running.Goroutines)
            await pilot.press("r")
            await census_done(view)
            assert view.filters.running is None and view.snapshot.total == everything

            group = view.snapshot.find("main.blockedInWave")
            view.rows_view.set_cursor(next(i for i, r in enumerate(view.rows_view.rows) if r.group is group))
            await pilot.press("enter")
            await async_wait_until(lambda: any(r.kind == "member" for r in view.rows_view.rows), message="members")
            delve_order = [r.goroutine.id for r in view.rows_view.rows if r.kind == "member"]
            await pilot.press("w")
            assert "longest waiting first (" in view.header_text
            assert ("durations from our clock" in view.header_text) == view.snapshot.clock.absolute
            waited = [r.goroutine for r in view.rows_view.rows if r.kind == "member"]
            stamps = [g.waitSince for g in waited]
            assert sorted(g.id for g in waited) == sorted(delve_order)
            assert all(0 < a <= b for a, b in zip(stamps, stamps[1:])), "oldest stamp first"
            await pilot.press("w")
            assert [r.goroutine.id for r in view.rows_view.rows if r.kind == "member"] == delve_order


async def test_screen_opened_on_a_channel_lists_its_waiters_after_the_census(go_bin, dlv_path):
    async with prog(go_bin, dlv_path, "-goroutines", "100", "-goroutines2", "30") as s:
        await s.set_breakpoint("main.ready2")
        await s.continue_()
        app = CensusApp(s, channel="main.waveCh")
        async with app.run_test(size=(80, 24)) as pilot:
            view = app.view
            await async_wait_until(lambda: view.mode == "waiters", timeout=60, message="channel waiters")
            assert view.snapshot is not None, "the census came first"
            assert not view.waiters.truncated and len(view.waiters.goroutines) == 30
            assert {g.labels.get("wave") for g in view.waiters.goroutines} == {"0"}
            await pilot.pause()
            assert "30 waiting on main.waveCh" in visible(view)[0]
            first = view.waiters.goroutines[0].id
            await pilot.press("down", "enter")
            await async_wait_until(lambda: app.results, message="dismissed")
            assert app.results == [("goroutine", first)]
