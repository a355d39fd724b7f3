"""GoroutineList against real dlv: prog -goroutines N stopped in ready()."""

from __future__ import annotations

import asyncio
import re
import subprocess
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from support import async_wait_until
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.strip import Strip

from godbg_tui.adapters.dlv.client import ListGoroutinesOut
from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.dlv.types import GOROUTINE_FIELD, ListGoroutinesFilter
from godbg_tui.adapters.session import DebugSession
from godbg_tui.adapters.goroutines import WAIT_REASONS, count_goroutines, goroutine_state
from godbg_tui.tui.widgets.cursor_lines import CursorLines, CursorPane, cursor_bindings
from godbg_tui.tui.widgets.goroutine_list import MAX_ROWS, PAGE_SIZE, USER_FILTER, GoroutineList


class CountingFetch:
    """ListGoroutines through the session, with every call recorded; ``hold()`` parks the
    next calls until ``release()``, to see what the pane does while a page is on its way."""

    def __init__(self, session: DebugSession) -> None:
        self.session = session
        self.calls: list[tuple[int, int, list[ListGoroutinesFilter], int]] = []
        self.waiting = 0
        self._gate: asyncio.Event | None = None

    def hold(self) -> None:
        self._gate = asyncio.Event()

    def release(self) -> None:
        if self._gate is not None:
            self._gate.set()
        self._gate = None

    async def __call__(self, start: int, count: int, filters: list[ListGoroutinesFilter]) -> ListGoroutinesOut:
        if self._gate is not None:
            self.waiting += 1
            try:
                await self._gate.wait()
            finally:
                self.waiting -= 1
        page = await self.session.goroutines(start, count, filters=filters)
        self.calls.append((start, count, list(filters), len(page.Goroutines or [])))
        return page


class GoroutinesApp(App[None]):
    def __init__(self, fetch, go_version, page_size: int = PAGE_SIZE, fetch_count=None, fetch_stack=None,
                 max_rows: int = MAX_ROWS) -> None:
        super().__init__()
        self.max_rows = max_rows
        self.fetch = fetch
        self.fetch_count = fetch_count
        self.fetch_stack = fetch_stack
        self.go_version = go_version
        self.page_size = page_size
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield GoroutineList(self.fetch, fetch_count=self.fetch_count, fetch_stack=self.fetch_stack,
                            go_version=self.go_version, page_size=self.page_size, max_rows=self.max_rows)

    def on_mount(self) -> None:
        self.query_one(GoroutineList).focus()

    def on_goroutine_list_selected(self, message: GoroutineList.Selected) -> None:
        self.selected.append(message.goroutine_id)


@asynccontextmanager
async def prog_in_ready(go_bin, dlv_path, marker_line, goroutines: int):
    spec = LaunchSpec(
        mode="exec",
        program=str(go_bin["prog"]),
        args=("-goroutines", str(goroutines)),
        dlv_path=str(dlv_path),
    )
    async with DebugSession(spec) as session:
        await session.continue_(f"main.go:{marker_line('prog', 'main.go', 'ready')}")
        yield session


async def all_ids(session: DebugSession, filters: list[ListGoroutinesFilter]) -> list[int]:
    """Every goroutine id by paging Delve directly (what the widget must end up with)."""
    ids, start = [], 0
    while start >= 0:
        page = await session.goroutines(start, 1000, filters=filters)
        ids += [g.id for g in page.Goroutines or []]
        start = page.Nextg
    return ids


@asynccontextmanager
async def goroutine_pane(session: DebugSession, fetch, *, size=(80, 24), **kwargs):
    """The pane in an app, reloaded as after the session's stop (its first page may still be coming)."""
    app = GoroutinesApp(fetch, session.go_version, **kwargs)
    async with app.run_test(size=size) as pilot:
        view = app.query_one(GoroutineList)
        view.reload(selected_id=session.goroutine_id)
        yield app, pilot, view


async def loaded(view: GoroutineList) -> None:
    await async_wait_until(lambda: view.goroutines and not view.fetching, message="pages arrived")


def visible(view: GoroutineList) -> list[str]:
    rows = view.rows_view
    return [rows.render_line(y).text for y in range(rows.scrollable_content_region.height)]


async def page_to_the_end(pilot, view: GoroutineList) -> None:
    while view.total is None:
        await pilot.press("end")
        await async_wait_until(lambda: view.total is not None or not view.fetching, message="page arrived")


@pytest.mark.parametrize("size", [(80, 24), (250, 70)])
async def test_first_page_only_then_paging_to_the_end(size, go_bin, dlv_path, marker_line):
    async with prog_in_ready(go_bin, dlv_path, marker_line, 10_000) as session:
        fetch = CountingFetch(session)
        async with goroutine_pane(session, fetch, size=size) as (app, pilot, view):
            await async_wait_until(lambda: view.goroutines, message="first page")
            await pilot.pause()
            assert [(start, count) for start, count, _, _ in fetch.calls] == [(0, PAGE_SIZE)]
            assert fetch.calls[0][2] == [USER_FILTER]
            assert PAGE_SIZE - 10 <= len(view.goroutines) <= PAGE_SIZE and view.total is None  # runtime ones left out
            rows = visible(view)
            selected = [r for r in rows if r.startswith("*")]
            assert len(selected) == 1 and int(selected[0].split()[1]) == session.goroutine_id
            assert "main.ready" in selected[0]
            assert any("chan receive" in r and "main.blockedOnChan" in r for r in rows)
            assert view.status_text == f"{len(view.goroutines)} loaded, more… (user only)"

            await page_to_the_end(pilot, view)
            expected = await all_ids(session, [USER_FILTER])
            assert [g.id for g in view.goroutines] == expected
            assert view.total == len(expected) == 10_000 + 7
            assert all(count == PAGE_SIZE for _, count, _, _ in fetch.calls)
            starts = [start for start, _, _, _ in fetch.calls]
            assert starts == sorted(set(starts)) and len(starts) == -(-10_007 // PAGE_SIZE)
            assert view.status_text == "10,007 goroutines (user only)"
            await pilot.press("end")
            assert view.cursor_goroutine.id == expected[-1]
            assert "10,007 goroutines" in visible(view)[-1]
            assert len(fetch.calls) == len(starts)


async def test_next_page_is_prefetched_before_the_cursor_reaches_the_end(go_bin, dlv_path, marker_line):
    """Half a page before the end of what is loaded, the next page is fetched, and only that one;
    rows on both sides of a page boundary are consecutive goroutines, none lost or repeated."""
    async with prog_in_ready(go_bin, dlv_path, marker_line, 1000) as session:
        fetch = CountingFetch(session)
        async with goroutine_pane(session, fetch) as (app, pilot, view):
            await loaded(view)
            first = len(view.goroutines)
            view.rows_view.set_cursor(0)
            margin = view.prefetch_rows
            assert margin == PAGE_SIZE // 2
            await pilot.press("end")
            await async_wait_until(lambda: view.rows_view.cursor == first - 1, message="end moves to the last row")
            await async_wait_until(lambda: len(fetch.calls) == 2 and not view.fetching, message="second page")
            second = len(view.goroutines)
            assert second == first + PAGE_SIZE and fetch.calls[1][0] > 0

            view.rows_view.set_cursor(second - margin - 1)
            view.load_more_if_needed()
            await pilot.pause()
            assert len(fetch.calls) == 2, "not within the margin yet: nothing fetched"
            await pilot.press("down")
            await async_wait_until(lambda: len(fetch.calls) == 3 and not view.fetching, message="prefetch")
            assert len(view.goroutines) == second + PAGE_SIZE
            assert view.rows_view.cursor == second - margin, "the cursor did not have to wait"

            expected = await all_ids(session, [USER_FILTER])
            assert [g.id for g in view.goroutines] == expected[: second + PAGE_SIZE]
            view.rows_view.set_cursor(first - 1)
            await pilot.press("down")
            assert view.cursor_goroutine.id == expected[first]
            await pilot.press("up")
            assert view.cursor_goroutine.id == expected[first - 1]


async def test_paging_stops_at_max_rows_and_says_what_to_do(go_bin, dlv_path, marker_line):
    async with prog_in_ready(go_bin, dlv_path, marker_line, 1000) as session:
        fetch = CountingFetch(session)
        async with goroutine_pane(session, fetch, max_rows=450) as (app, pilot, view):
            while not view.capped:
                await pilot.press("end")
                await loaded(view)
                assert len(fetch.calls) <= 3
            assert 450 <= len(view.goroutines) < 450 + PAGE_SIZE and view.total is None
            calls = len(fetch.calls)
            await pilot.press("end", "pagedown", "end")
            await pilot.pause()
            assert len(fetch.calls) == calls and not view.fetching
            assert view.cursor_goroutine is view.goroutines[-1]
            assert f"{len(view.goroutines):,} loaded: the first 450 only, narrow them with /" in view.status_text
            await pilot.press("slash", *"mutex", "enter")
            await async_wait_until(lambda: view.total == 2, message="narrowed below the cap")
            assert not view.capped and view.status_text.startswith("2 goroutines")


async def test_count_is_shown_before_the_pages_are(go_bin, dlv_path, marker_line):
    async with prog_in_ready(go_bin, dlv_path, marker_line, 3000) as session:
        fetch = CountingFetch(session)
        fetch.hold()
        counted = goroutine_pane(session, fetch, fetch_count=lambda: count_goroutines(session.client))
        async with counted as (app, pilot, view):
            await async_wait_until(lambda: view.count is not None, message="runtime count")
            assert not view.goroutines and fetch.waiting == 1
            user = view.count.live - view.count.system
            assert abs(user - 3007) <= 2, view.count
            fetch.release()
            await loaded(view)
            assert view.status_text == f"{len(view.goroutines)} loaded of {user:,}, more… (user only)"
            assert view.border_subtitle == view.status_text
            await pilot.press("U")
            await async_wait_until(lambda: view.count is not None and view.goroutines and not view.fetching)
            assert view.status_text == f"{len(view.goroutines)} loaded of {view.count.live:,}, more…"


async def test_keys_answer_while_a_page_is_on_its_way(go_bin, dlv_path, marker_line):
    async with prog_in_ready(go_bin, dlv_path, marker_line, 1000) as session:
        fetch = CountingFetch(session)
        async with goroutine_pane(session, fetch) as (app, pilot, view):
            await loaded(view)
            fetch.hold()
            await pilot.press("end")
            await async_wait_until(lambda: fetch.waiting == 1, message="second page requested")
            assert view.fetching
            await pilot.press("home", "down", "down")
            assert view.rows_view.cursor == 2
            await pilot.press("enter")
            await pilot.pause()
            assert app.selected == [view.goroutines[2].id]
            await pilot.press("U")
            assert not view.user_only and not view.goroutines
            fetch.release()
            await loaded(view)
            assert view.goroutines[0].id == (await all_ids(session, []))[0]
            fetch.hold()
            await pilot.press("end")
            await async_wait_until(lambda: fetch.waiting == 1)
            app.exit()
        assert fetch.waiting == 0, "leaving the app cancelled the page in flight"


async def test_user_toggle_changes_the_count(go_bin, dlv_path, marker_line):
    async with prog_in_ready(go_bin, dlv_path, marker_line, 10) as session:
        async with goroutine_pane(session, CountingFetch(session)) as (app, pilot, view):
            await async_wait_until(lambda: view.total is not None)
            user_total = view.total
            assert user_total == len(await all_ids(session, [USER_FILTER])) == 10 + 7
            await pilot.press("U")
            await async_wait_until(lambda: view.total is not None and not view.user_only)
            everything = await all_ids(session, [])
            assert view.total == len(everything) > user_total
            assert [g.id for g in view.goroutines] == everything
            assert any(g.userCurrentLoc.function and g.userCurrentLoc.function.name.startswith("runtime.")
                       for g in view.goroutines)
            await pilot.press("U")
            await async_wait_until(lambda: view.total is not None and view.user_only)
            assert view.total == user_total


async def test_text_filter_keeps_paging_through_empty_pages(go_bin, dlv_path, marker_line):
    """The mutex waiters' user location is sync's mutex.go; they come after 3000 channel waiters."""
    async with prog_in_ready(go_bin, dlv_path, marker_line, 3000) as session:
        fetch = CountingFetch(session)
        async with goroutine_pane(session, fetch, page_size=500) as (app, pilot, view):
            await async_wait_until(lambda: view.goroutines)
            calls_before = len(fetch.calls)
            await pilot.press("slash", *"mutex", "enter")
            await async_wait_until(lambda: view.total is not None, message="filtered listing complete")
            filtered = fetch.calls[calls_before:]
            assert filtered[0][2] == [
                USER_FILTER,
                ListGoroutinesFilter(Kind=GOROUTINE_FIELD["userloc"], Arg="mutex"),
            ]
            assert any(n == 0 for *_, n in filtered), "some filtered pages come back empty"
            assert len(filtered) >= 3000 // 500
            assert view.total == 2
            # A waiter can still be spinning in Lock (running) rather than parked (seen in CI).
            assert {goroutine_state(g, session.go_version) for g in view.goroutines} <= {"sync.Mutex.Lock", "running"}
            assert all("mutex.go" in r and "Lock" in r for r in visible(view)[:2])
            assert "location contains 'mutex'" in view.status_text

            await pilot.press("slash", "ctrl+u", *"-blockedOnChan :parked", "enter")
            await async_wait_until(lambda: view.total is not None, message="excluding listing complete")
            assert view.filters()[1:] == [
                ListGoroutinesFilter(Kind=GOROUTINE_FIELD["userloc"], Negated=True, Arg="blockedOnChan"),
                ListGoroutinesFilter(Kind=GOROUTINE_FIELD["running"], Negated=True),
            ]
            assert view.total == 6, [goroutine_state(g, session.go_version) for g in view.goroutines]
            assert "(user only, location without 'blockedOnChan', parked)" in view.status_text


async def test_enter_posts_selected_with_the_cursor_goroutine(go_bin, dlv_path, marker_line):
    async with prog_in_ready(go_bin, dlv_path, marker_line, 50) as session:
        async with goroutine_pane(session, CountingFetch(session)) as (app, pilot, view):
            await async_wait_until(lambda: view.total is not None)
            await pilot.pause()
            await pilot.press("home", "down", "down", "down", "enter")
            await pilot.pause()
            assert app.selected == [view.goroutines[3].id]
            assert visible(view)[3].split()[0] == str(view.goroutines[3].id)
            cursor_bg = app.get_css_variables()["block-cursor-background"].lower()
            rows = view.rows_view
            assert {s.style.bgcolor.triplet.hex for s in rows.render_line(3) if s.style.bgcolor} == {cursor_bg}
            assert cursor_bg not in {s.style.bgcolor.triplet.hex for s in rows.render_line(4) if s.style.bgcolor}
            app.set_focus(None)
            await pilot.pause()
            assert cursor_bg not in {s.style.bgcolor.triplet.hex for s in rows.render_line(3) if s.style.bgcolor}
            view.focus()
            await pilot.pause()
            page = view.rows_view.scrollable_content_region.height - 1
            await pilot.press("pagedown", "enter")
            await pilot.pause()
            assert app.selected[-1] == view.cursor_goroutine.id == view.goroutines[3 + page].id
            states = {goroutine_state(g, session.go_version) for g in view.goroutines}
            assert {"chan receive", "sync.Mutex.Lock", "select", "sleep"} <= states


async def test_reload_keeps_the_rows_until_the_first_page_replaces_them(go_bin, dlv_path, marker_line, monkeypatch):
    """At every stop the list is reloaded. Emptying it first re-laid it out twice and repainted
    it five times a step; instead the rows stay until the first page arrives and only rows
    that differ are repainted: the same goroutines, a moved ``*``, no layout, no whole repaint."""
    async with prog_in_ready(go_bin, dlv_path, marker_line, 50) as session:
        fetch = CountingFetch(session)
        async with goroutine_pane(session, fetch, size=(250, 70)) as (app, pilot, view):
            await loaded(view)
            await pilot.pause()
            rows = view.rows_view
            before, status = visible(view), view.status_text
            ids = [g.id for g in view.goroutines]
            assert before[rows.cursor].startswith("*") and view.total == len(ids)
            layouts, repaints = [], []
            refresh, set_dirty = rows.refresh, rows._set_dirty
            monkeypatch.setattr(rows, "refresh", lambda *r, **k: (layouts.append(1) if k.get("layout") else None,
                                                                   refresh(*r, **k))[1])
            monkeypatch.setattr(rows, "_set_dirty", lambda *r: (repaints.append(r) if not r else None, set_dirty(*r))[1])

            fetch.hold()
            other = ids[3] if ids[0] == session.goroutine_id else ids[0]
            view.reload(selected_id=other)
            await async_wait_until(lambda: fetch.waiting == 1, message="first page requested")
            await pilot.pause()
            assert visible(view) == before and view.status_text == status
            assert view.fetching and view.total is None and [g.id for g in view.goroutines] == ids
            fetch.release()
            await loaded(view)
            await pilot.pause()
            after = visible(view)
            assert [g.id for g in view.goroutines] == ids and view.status_text == status and view.total == len(ids)
            assert view.cursor_goroutine.id == other and after[rows.cursor].startswith("*")
            assert sum(r.startswith("*") for r in after) == 1
            assert not layouts and not repaints, (layouts, repaints)

            fetch.hold()
            await pilot.press("U")
            assert not view.goroutines, "another filter: the rows shown no longer match, they go at once"
            fetch.release()
            await loaded(view)


async def test_right_shows_a_stack_inline_and_left_folds_it(go_bin, dlv_path, marker_line):
    async with prog_in_ready(go_bin, dlv_path, marker_line, 300) as session:
        stacks: list[tuple[int, int]] = []

        async def fetch_stack(goroutine_id: int, depth: int):
            stacks.append((goroutine_id, depth))
            return await session.stack(depth, goroutine_id)

        pane = goroutine_pane(session, CountingFetch(session), fetch_stack=fetch_stack)
        async with pane as (app, pilot, view):
            await loaded(view)
            rows = view.rows_view
            waiter = next(i for i, g in enumerate(view.goroutines) if "blockedOnChan" in (
                g.userCurrentLoc.function.name if g.userCurrentLoc.function else ""))
            rows.set_cursor(waiter)
            g = view.cursor_goroutine
            await pilot.press("right")
            await async_wait_until(lambda: rows.stacks.get(waiter, ["reading"])[0] != "reading the stack…",
                                   message="stack loaded")
            assert stacks == [(g.id, view.stack_depth + 1)]
            frames = await session.stack(50, g.id)
            lines = rows.stacks[waiter]
            assert len(lines) == min(len(frames), view.stack_depth) + (len(frames) > view.stack_depth)
            assert any("main.blockedOnChan" in line and "main.go:" in line for line in lines)
            shown = visible(view)
            own = shown.index(next(r for r in shown if r.split()[:1] == [str(g.id)]))
            assert shown[own + 1].strip() == lines[0] and "runtime.gopark" in lines[0]
            assert shown[own + 1 + len(lines)].split()[0] == str(view.goroutines[waiter + 1].id)

            await pilot.press("down", "down")
            assert view.cursor_goroutine.id == g.id, "stack lines belong to their goroutine"
            await pilot.press("enter")
            assert app.selected == [g.id]
            rows.set_cursor(rows.row_of(waiter + 1))
            assert view.cursor_goroutine.id == view.goroutines[waiter + 1].id
            await pilot.press("up", "left")
            assert waiter not in rows.stacks and rows.cursor == waiter
            assert visible(view)[rows.cursor - round(rows.scroll_y)].split()[0] == str(g.id)
            assert len(stacks) == 1


class NumberLines(CursorLines):
    """Rows "row N", the last one a status row the cursor skips; counts renders."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.renders = 0
        self.version = 0

    @property
    def row_count(self) -> int:
        return self.count + 1

    @property
    def cursor_rows(self) -> int:
        return self.count

    def row_key(self, index: int) -> tuple:
        return (self.version,) if index == 0 else ()

    def render_row(self, index: int, is_cursor: bool, width: int) -> Strip:
        self.renders += 1
        text = "status" if index == self.count else f"{'>' if is_cursor else ' '}row {index}"
        return Strip([Segment(text)]).crop_extend(0, width, None)


class NumberPane(CursorPane):
    BINDINGS = cursor_bindings("numbers")

    def __init__(self, count: int) -> None:
        super().__init__(NumberLines(count))
        self.activated: list[int] = []
        self.moves = 0

    def compose(self) -> ComposeResult:
        yield self.lines

    def cursor_moved(self) -> None:
        self.moves += 1

    def action_activate(self) -> None:
        self.activated.append(self.lines.cursor)


class NumberApp(App[None]):
    def compose(self) -> ComposeResult:
        yield NumberPane(1000)


async def test_cursor_lines_moves_reveals_caches_and_activates():
    """The base of the goroutine list and the census, on fake rows (pure widget logic)."""
    app = NumberApp()
    async with app.run_test(size=(40, 12)) as pilot:
        pane = app.query_one(NumberPane)
        pane.focus()
        lines = pane.lines
        await pilot.pause()
        height = lines.scrollable_content_region.height
        assert lines.render_line(0).text.startswith(">row 0")
        await pilot.press("pagedown")
        assert lines.cursor == height - 1 == lines.page_height and pane.moves == 1
        await pilot.press("end")
        assert lines.cursor == 999, "the status row is not a cursor row"
        assert round(lines.scroll_y) == 1001 - height, "…but scrolled into view with the last row"
        await pilot.press("home", "up")
        assert lines.cursor == 0 and round(lines.scroll_y) == 0

        lines.set_cursor(500, scroll="upper-third")
        assert round(lines.scroll_y) == 500 - height // 3
        lines.set_cursor(520, scroll="none")
        assert round(lines.scroll_y) == 500 - height // 3
        lines.set_cursor(0)
        assert round(lines.scroll_y) == 0

        await pilot.pause()
        before = lines.renders
        lines.render_line(1)
        assert lines.renders == before, "cached"
        lines.version += 1
        lines.render_line(0)
        lines.render_line(1)
        assert lines.renders == before + 1, "row_key changes one row's cache entry only"

        await pilot.click(NumberLines, offset=(2, 3), times=2)
        assert lines.cursor == 3 and pane.activated == [3]
        await pilot.click(NumberLines, offset=(2, 5))
        assert lines.cursor == 5 and pane.activated == [3]


def test_wait_reasons_match_the_installed_go_runtime():
    """The names the list shows for the Go on PATH (the fixtures' Go) are runtime2.go's waitReason list."""
    goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True).stdout.strip()
    version = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout
    minor = int(re.match(r"go1\.(\d+)", version.strip()).group(1))
    source = (Path(goroot) / "src" / "runtime" / "runtime2.go").read_text()
    block = source[source.index("waitReasonZero") :]
    block = block[: block.index("\n)")]
    names = re.findall(r'^\s*waitReason\w+\s.*?//\s*"(.*)"', block, re.M)
    assert names[0] == "" and len(names) > 40
    assert list(WAIT_REASONS[minor]) == names


class FewNumbersApp(App[None]):
    def compose(self) -> ComposeResult:
        yield NumberPane(1)


async def test_cursor_lines_reveal_right_after_the_rows_grow():
    """The rows grew and the cursor moved before the next layout (a file read, then the
    execution line shown): the view must scroll by its new size, not by the scrollbar state of
    the last layout, when one row needed no scrolling (the CI flake where the source pane
    stayed at line 1 with the execution line off screen)."""
    app = FewNumbersApp()
    async with app.run_test(size=(40, 12)) as pilot:
        lines = app.query_one(NumberPane).lines
        await pilot.pause()
        assert not lines.show_vertical_scrollbar
        lines.count = 1000
        lines.changed()
        lines.set_cursor(500, scroll="upper-third")
        height = lines.scrollable_content_region.height
        assert round(lines.scroll_y) == 500 - height // 3
        lines.set_cursor(999)
        assert round(lines.scroll_y) == 1001 - height
        await pilot.pause()
        assert lines.show_vertical_scrollbar
        assert lines.vertical_scrollbar.position == lines.scroll_y, "the thumb shows where the view is"
