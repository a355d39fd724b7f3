"""The main screen opens the heap view (H, `heap`) and the goroutine census (C) and acts on their results."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import async_wait_until

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.events import Phase
from godbg_tui.tui.app import GodbgApp
from godbg_tui.tui.screens.goroutines import GoroutinesScreen
from godbg_tui.tui.screens.heap import HeapScreen


@pytest.fixture(autouse=True)
def _dlv_on_path(dlv_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GODBG_DLV", str(dlv_path))


async def stopped(app: GodbgApp) -> None:
    await async_wait_until(
        lambda: app.session is not None and app.session.phase == Phase.STOPPED and app.stops_seen >= 1,
        timeout=60,
        message="the first stop",
    )


async def test_heap_opens_by_key_and_by_command(go_bin, tmp_path: Path) -> None:
    app = GodbgApp(LaunchSpec(mode="exec", program=str(go_bin["prog"])), state_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await stopped(app)
            await pilot.press("H")
            await async_wait_until(lambda: isinstance(app.screen, HeapScreen), timeout=10, message="heap screen")
            await pilot.press("escape")
            await async_wait_until(lambda: not isinstance(app.screen, HeapScreen), timeout=10, message="heap closed")
            await pilot.press("colon", *"heap", "enter")
            await async_wait_until(lambda: isinstance(app.screen, HeapScreen), timeout=10, message="heap by command")
            await pilot.press("escape")
        finally:
            await app.end_session()


async def test_census_selection_switches_goroutine(go_bin, tmp_path: Path) -> None:
    app = GodbgApp(LaunchSpec(mode="exec", program=str(go_bin["prog"]), args=("-goroutines", "50")), state_dir=tmp_path)
    async with app.run_test(size=(250, 70)) as pilot:
        try:
            await stopped(app)
            await app.session.continue_("main.ready")
            await pilot.press("C")
            await async_wait_until(lambda: isinstance(app.screen, GoroutinesScreen), timeout=10, message="census")
            view = app.screen.query_one("GoroutineCensusView")
            await async_wait_until(lambda: view.snapshot is not None, timeout=60, message="census taken")
            before = app.session.goroutine_id
            app.screen.dismiss(("goroutine", next(g for g in view.snapshot.groups[0].sample_ids if g != before)))
            await async_wait_until(lambda: app.session.goroutine_id != before, timeout=30, message="goroutine switched")
        finally:
            await app.end_session()


async def test_gctrace_config_feeds_the_heap_history_not_the_console(go_bin, tmp_path: Path) -> None:
    """config gctrace = true: the program runs with GODEBUG=gctrace=1 and its GC lines go to the
    heap monitor's history; the console keeps only the program's own output."""
    from godbg_tui.adapters.store import Config
    from godbg_tui.tui.screens.heap import _monitors

    app = GodbgApp(LaunchSpec(mode="exec", program=str(go_bin["leaky"])), state_dir=tmp_path, config=Config(gctrace=True))
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await stopped(app)
            assert "gctrace=1" in (app.session.spec.env or {}).get("GODEBUG", "")
            monitor = _monitors[app.session]
            await pilot.press("c")
            await async_wait_until(lambda: monitor.history.gc_events, timeout=30, message="a GC line recorded")
            console = app.main_screen.console
            console.flush()
            await async_wait_until(lambda: "leaky started" in console.text, timeout=10, message="program output")
            assert "gc 1 @" not in console.text
        finally:
            await app.end_session()
