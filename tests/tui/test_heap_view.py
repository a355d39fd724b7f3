"""HeapScreen / HeapView under Pilot against real dlv and the leaky fixture (gctrace on)."""

from __future__ import annotations

import re

import anyio
import pytest
from support import async_wait_until
from textual.app import App
from textual.widgets import DataTable, Static

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.events import Output, Phase
from godbg_tui.adapters.pprof.gctrace import gctrace_spec, with_gctrace
from godbg_tui.adapters.pprof.history import HeapSource
from godbg_tui.adapters.pprof.monitor import HeapMonitor
from godbg_tui.adapters.pprof.report import Granularity
from godbg_tui.adapters.session import DebugSession
from godbg_tui.tui.glyphs import glyphs
from godbg_tui.tui.screens.heap import HeapScreen, filter_program_output
from godbg_tui.tui.widgets import heap_view
from godbg_tui.tui.widgets.heap_view import HeapStacks, HeapView, format_amount


class HeapApp(App[None]):
    """Pushes HeapScreens on request and records what each was dismissed with."""

    def __init__(self, session: DebugSession) -> None:
        super().__init__()
        self.session = session
        self.results: list[object] = []

    def open_heap(self) -> HeapScreen:
        screen = HeapScreen(self.session)
        self.push_screen(screen, self.results.append)
        return screen


async def run_until_gcs(session: DebugSession, monitor: HeapMonitor, tg, count: int) -> None:
    """Resume and halt again once ``count`` more GCs have happened (per gctrace)."""
    start = len(monitor.history.gc_events)
    tg.start_soon(session.continue_)
    await async_wait_until(lambda: len(monitor.history.gc_events) >= start + count, timeout=30)
    await session.halt()
    assert session.phase == Phase.STOPPED


def header(view: HeapView) -> str:
    return str(view.query_one("#heap-header", Static).render())


def name_cell(view: HeapView, row: int) -> str:
    return view.query_one("#heap-top", DataTable).get_row_at(row)[-1].plain


def test_amounts_read_like_pprof():
    assert format_amount(512, "bytes") == "512B"
    assert format_amount(1536 * 1024, "bytes") == "1.5MB"
    assert format_amount(-2048, "bytes", signed=True) == "-2kB"
    assert format_amount(2048, "bytes", signed=True) == "+2kB"
    assert format_amount(12_345, "count") == "12.3k"
    assert format_amount(524_544, "bytes", signed=True) == "+512kB"
    assert format_amount(1023 * 1024, "bytes") == "1023kB"


@pytest.mark.parametrize("size", [(80, 24), (250, 70)])
async def test_leak_suspect_sample_types_lines_and_stacks(go_bin, dlv_path, size):
    spec = gctrace_spec(LaunchSpec(mode="exec", program=str(go_bin["leaky"]), dlv_path=str(dlv_path)))
    async with DebugSession(spec) as session:
        app = HeapApp(session)
        async with app.run_test(size=size) as pilot, anyio.create_task_group() as tg:
            monitor = HeapScreen.monitor_for(app, session)
            shown = bytearray()
            session.subscribe(lambda e: isinstance(e, Output) and shown.extend(filter_program_output(session, e.data)))
            screen = app.open_heap()
            await pilot.pause()
            view = screen.query_one(HeapView)
            assert monitor.visible and screen.monitor is monitor

            def top_is_flagged_leak() -> bool:
                table = view.table
                return bool(
                    table is not None
                    and table.rows
                    and table.rows[0].name == "main.leakOnce"
                    and table.rows[0].key in view.suspects
                    and glyphs().leak in name_cell(view, 0)
                )

            for _ in range(10):
                kept = len(monitor.history.snapshots)
                # Hidden while running, so every snapshot comes from a Delve walk (HTTP has its own test).
                monitor.set_visible(False)
                await run_until_gcs(session, monitor, tg, 2)
                monitor.set_visible(True)
                await async_wait_until(lambda: len(monitor.history.snapshots) > kept, timeout=30)
                try:
                    await async_wait_until(top_is_flagged_leak, timeout=2)
                    break
                except AssertionError:
                    continue
            else:
                pytest.fail(f"main.leakOnce never flagged; suspects {list(view.suspects)}")
            assert "main.churnOnce" not in view.suspects
            churn = [i for i, r in enumerate(view.table.rows) if r.name == "main.churnOnce"]
            assert all(glyphs().leak not in name_cell(view, i) for i in churn)
            assert monitor.history.latest.source is HeapSource.DELVE
            assert monitor.history.gc_events and b"leaky started" in shown and b"gc 1 @" not in shown
            assert "Delve bucket walk" in header(view) and "inuse_space" in header(view)
            assert "1 sample / 512kB" in header(view)

            await pilot.press("B")
            await async_wait_until(lambda: "Δ vs baseline" in header(view))
            assert monitor.history.baseline is monitor.history.latest
            await async_wait_until(lambda: view.table.rows[0].delta_base == 0 and view.table.rows[0].delta_prev is not None)

            await pilot.press("t")
            await async_wait_until(lambda: view.table.sample_type == "inuse_objects" and "inuse_objects" in header(view))
            assert "inuse_space" not in header(view)

            await pilot.press("l")
            await async_wait_until(lambda: view.table.granularity is Granularity.LINE)
            await pilot.pause()
            # a file:line (the top line may be a runtime one in inuse_objects: sampling decides)
            assert re.search(r"\.go:\d+", name_cell(view, 0)), name_cell(view, 0)
            assert "lines" in header(view)

            site = view.table.rows[0]
            await pilot.press("enter")
            await async_wait_until(lambda: view.showing_stacks)
            stacks = screen.query_one(HeapStacks)
            assert stacks.has_focus
            frame = stacks.frame_at_cursor()
            assert frame is not None and (frame.function, frame.line) == (site.function, site.line), "leaf first"
            await pilot.press("b")
            await async_wait_until(lambda: app.results)
            assert app.results == [("break", frame.file, frame.line)]
            assert not monitor.visible

            # Reopened, the session's monitor and its history are still there.
            screen = app.open_heap()
            await pilot.pause()
            view = screen.query_one(HeapView)
            assert screen.monitor is monitor and monitor.visible
            await async_wait_until(top_is_flagged_leak)
            await pilot.press("enter")
            await async_wait_until(lambda: view.showing_stacks)
            await pilot.press("escape")
            await async_wait_until(lambda: not view.showing_stacks)
            assert app.screen is screen, "escape in the stacks panel goes back to the table"
            await pilot.press("enter")
            await async_wait_until(lambda: view.showing_stacks)
            leaf = screen.query_one(HeapStacks).frame_at_cursor()
            await pilot.press("enter")
            await async_wait_until(lambda: len(app.results) == 2)
            assert app.results[1] == ("source", leaf.file, leaf.line) and leaf.function == "main.leakOnce"

            app.open_heap()
            await pilot.pause()
            await pilot.press("escape")
            await async_wait_until(lambda: len(app.results) == 3)
            assert app.results[2] is None and not monitor.visible
            tg.cancel_scope.cancel()


async def test_while_running_the_header_names_the_pprof_endpoint(go_bin, dlv_path, monkeypatch):
    monkeypatch.setattr(heap_view, "MAX_ROWS", 2)
    spec = LaunchSpec(mode="exec", program=str(go_bin["leaky"]), dlv_path=str(dlv_path), env=with_gctrace())
    async with DebugSession(spec) as session:
        app = HeapApp(session)
        async with app.run_test(size=(80, 24)) as pilot, anyio.create_task_group() as tg:
            screen = app.open_heap()
            await pilot.pause()
            view = screen.query_one(HeapView)
            tg.start_soon(session.continue_)
            await async_wait_until(
                lambda: "pprof http://127.0.0.1:" in header(view) and view.table is not None and len(view.table.rows) > 2,
                timeout=30,
            )
            await pilot.pause()
            top = view.query_one("#heap-top", DataTable)
            assert top.row_count == 3, "two sites and a line saying how many more"
            assert name_cell(view, 2).startswith(f"… {len(view.table.rows) - 2} more sites")
            assert screen.monitor.requests >= 1 and screen.monitor.history.latest.source is HeapSource.HTTP
            await session.halt()
            await async_wait_until(lambda: view.query_one("#heap-spark").data, message="a sparkline point per stop")
            tg.cancel_scope.cancel()


async def test_running_without_a_pprof_endpoint_the_view_says_how_to_get_sites(go_bin, dlv_path):
    spec = LaunchSpec(mode="exec", program=str(go_bin["leaky"]), args=("-pprof-after", "1h"), dlv_path=str(dlv_path))
    async with DebugSession(spec) as session:
        app = HeapApp(session)
        async with app.run_test(size=(80, 24)) as pilot, anyio.create_task_group() as tg:
            screen = app.open_heap()
            await pilot.pause()
            view = screen.query_one(HeapView)
            tg.start_soon(session.continue_)
            await async_wait_until(lambda: session.phase == Phase.RUNNING)
            status = view.query_one("#heap-status", Static)
            await async_wait_until(lambda: "no pprof endpoint" in str(status.render()), timeout=10)
            assert 'import _ "net/http/pprof"' in str(status.render()) and screen.monitor.requests == 0
            await session.halt()
            tg.cancel_scope.cancel()


def test_a_malformed_pprof_url_is_reported_not_raised():
    monitor = HeapMonitor(None, pprof_url="not a url")  # type: ignore[arg-type]  # no session needed
    assert monitor.endpoint is None and not monitor.endpoint_given and "--pprof ignored" in monitor.status
