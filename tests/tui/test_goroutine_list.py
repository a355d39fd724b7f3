"""GoroutineList against real dlv: prog -goroutines N stopped in ready()."""

from __future__ import annotations

import re
import subprocess
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from support import async_wait_until
from textual.app import App, ComposeResult

from godbg_tui.adapters.dlv.client import ListGoroutinesOut
from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.dlv.types import GOROUTINE_FIELD, ListGoroutinesFilter
from godbg_tui.adapters.session import DebugSession
from godbg_tui.adapters.goroutines import WAIT_REASONS, goroutine_state
from godbg_tui.tui.widgets.goroutine_list import USER_FILTER, GoroutineList


class CountingFetch:
    """ListGoroutines through the session, with every call recorded."""

    def __init__(self, session: DebugSession) -> None:
        self.session = session
        self.calls: list[tuple[int, int, list[ListGoroutinesFilter], int]] = []

    async def __call__(self, start: int, count: int, filters: list[ListGoroutinesFilter]) -> ListGoroutinesOut:
        page = await self.session.goroutines(start, count, filters=filters)
        self.calls.append((start, count, list(filters), len(page.Goroutines or [])))
        return page


class GoroutinesApp(App[None]):
    def __init__(self, fetch, go_version, page_size: int = 1000) -> None:
        super().__init__()
        self.fetch = fetch
        self.go_version = go_version
        self.page_size = page_size
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield GoroutineList(self.fetch, go_version=self.go_version, page_size=self.page_size)

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


def visible(view: GoroutineList) -> list[str]:
    rows = view.rows_view
    return [rows.render_line(y).text for y in range(rows.scrollable_content_region.height)]


async def page_to_the_end(pilot, view: GoroutineList) -> None:
    while view.total is None:
        await pilot.press("end")
        await async_wait_until(lambda: view.total is not None or not view._loading, message="page arrived")


@pytest.mark.parametrize("size", [(80, 24), (250, 70)])
async def test_first_page_only_then_paging_to_the_end(size, go_bin, dlv_path, marker_line):
    async with prog_in_ready(go_bin, dlv_path, marker_line, 10_000) as session:
        fetch = CountingFetch(session)
        app = GoroutinesApp(fetch, session.go_version)
        async with app.run_test(size=size) as pilot:
            view = app.query_one(GoroutineList)
            view.reload(selected_id=session.goroutine_id)
            await async_wait_until(lambda: view.goroutines, message="first page")
            await pilot.pause()
            assert [(start, count) for start, count, _, _ in fetch.calls] == [(0, 1000)]
            assert fetch.calls[0][2] == [USER_FILTER]
            assert len(view.goroutines) <= 1000 and view.total is None
            rows = visible(view)
            selected = [r for r in rows if r.startswith("*")]
            assert len(selected) == 1 and int(selected[0].split()[1]) == session.goroutine_id
            assert "main.ready" in selected[0]
            assert any("chan receive" in r and "main.blockedOnChan" in r for r in rows)
            assert "loaded, more…" in view.status_text

            await page_to_the_end(pilot, view)
            expected = await all_ids(session, [USER_FILTER])
            assert [g.id for g in view.goroutines] == expected
            assert view.total == len(expected) == 10_000 + 7
            assert all(count == 1000 for _, count, _, _ in fetch.calls)
            starts = [start for start, _, _, _ in fetch.calls]
            assert starts == sorted(set(starts)) and len(starts) == 11
            assert view.status_text.startswith("10007 goroutines")
            await pilot.press("end")
            assert view.cursor_goroutine.id == expected[-1]
            assert "10007 goroutines" in visible(view)[-1]
            assert len(fetch.calls) == 11


async def test_user_toggle_changes_the_count(go_bin, dlv_path, marker_line):
    async with prog_in_ready(go_bin, dlv_path, marker_line, 10) as session:
        app = GoroutinesApp(CountingFetch(session), session.go_version)
        async with app.run_test(size=(80, 24)) as pilot:
            view = app.query_one(GoroutineList)
            view.reload(selected_id=session.goroutine_id)
            await async_wait_until(lambda: view.total is not None)
            user_total = view.total
            assert user_total == len(await all_ids(session, [USER_FILTER])) == 10 + 7
            await pilot.press("u")
            await async_wait_until(lambda: view.total is not None and not view.user_only)
            everything = await all_ids(session, [])
            assert view.total == len(everything) > user_total
            assert [g.id for g in view.goroutines] == everything
            assert any(g.userCurrentLoc.function and g.userCurrentLoc.function.name.startswith("runtime.")
                       for g in view.goroutines)
            await pilot.press("u")
            await async_wait_until(lambda: view.total is not None and view.user_only)
            assert view.total == user_total


async def test_text_filter_keeps_paging_through_empty_pages(go_bin, dlv_path, marker_line):
    """The mutex waiters' user location is sync's mutex.go; they come after 3000 channel waiters."""
    async with prog_in_ready(go_bin, dlv_path, marker_line, 3000) as session:
        fetch = CountingFetch(session)
        app = GoroutinesApp(fetch, session.go_version, page_size=500)
        async with app.run_test(size=(80, 24)) as pilot:
            view = app.query_one(GoroutineList)
            view.reload(selected_id=session.goroutine_id)
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
            assert {goroutine_state(g, session.go_version) for g in view.goroutines} == {"sync.Mutex.Lock"}
            assert all("mutex.go" in r and "Lock" in r for r in visible(view)[:2])
            assert "location contains 'mutex'" in view.status_text


async def test_enter_posts_selected_with_the_cursor_goroutine(go_bin, dlv_path, marker_line):
    async with prog_in_ready(go_bin, dlv_path, marker_line, 50) as session:
        app = GoroutinesApp(CountingFetch(session), session.go_version)
        async with app.run_test(size=(80, 24)) as pilot:
            view = app.query_one(GoroutineList)
            view.reload(selected_id=session.goroutine_id)
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
