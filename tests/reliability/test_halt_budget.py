"""The halt budget: a live process that is not ours must not stay stopped by accident.

The session measures how long the program has been stopped and, with
``auto_resume_after``, resumes an attached (or connected) program after that many
seconds; a program dlv started is never resumed behind the user's back. The UI
tests at the end check what the app shows and offers: the status bar's clock, the
config key, and a one-key detach that leaves the program running.
"""

from __future__ import annotations

import time
from pathlib import Path

import anyio
import pytest
from support import async_wait_until

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.events import Message, Phase, Stopped
from godbg_tui.adapters.session import DebugSession

pytestmark = pytest.mark.timeout(60)

BUDGET = 1.5


async def test_an_attached_program_stopped_too_long_is_resumed(go_bin, dlv_path, target):
    t = target(go_bin["attachee"])
    seen: list = []
    session = DebugSession(LaunchSpec("attach", pid=t.pid, dlv_path=str(dlv_path)), auto_resume_after=BUDGET)
    session.subscribe(seen.append)
    async with session as s:
        [bp] = await s.set_breakpoint("main.tick")
        await s.continue_()
        assert seen[-1].reason == "breakpoint"
        stopped_at = time.monotonic()
        first = s.stopped_for
        assert first is not None and first < BUDGET
        assert 0 < s.auto_resume_in <= BUDGET
        await anyio.sleep(0.2)
        assert s.stopped_for > first
        # The budget runs out: resumed (and, main.tick running every 100 ms, stopped again).
        await async_wait_until(
            lambda: any(isinstance(e, Message) and "(the halt budget): resumed it" in e.text for e in seen),
            timeout=BUDGET + 5,
        )
        assert time.monotonic() - stopped_at >= BUDGET
        await s.clear_breakpoint(bp.id)
    assert t.keeps_working()


async def test_a_resume_restarts_the_budget(go_bin, dlv_path, target):
    t = target(go_bin["attachee"])
    seen: list = []
    session = DebugSession(LaunchSpec("attach", pid=t.pid, dlv_path=str(dlv_path)), auto_resume_after=BUDGET)
    session.subscribe(seen.append)
    async with session as s:
        await s.set_breakpoint("main.tick")
        for _ in range(3):  # each stop is shorter than the budget, their sum is not
            await s.continue_()
            assert s.stopped_for is not None and s.stopped_for < 0.3
            await anyio.sleep(BUDGET / 2)
        assert not any(isinstance(e, Message) and "halt budget" in e.text for e in seen)
        assert s.phase == Phase.STOPPED


async def test_a_program_dlv_started_is_never_resumed_behind_the_users_back(go_bin, dlv_path):
    spec = LaunchSpec("exec", program=str(go_bin["prog"]), dlv_path=str(dlv_path))
    async with DebugSession(spec, auto_resume_after=0.2) as s:
        assert s.stopped_for is not None and s.auto_resume_in is None
        await anyio.sleep(0.6)
        assert s.phase == Phase.STOPPED


async def test_no_budget_no_resume(go_bin, dlv_path, target):
    t = target(go_bin["attachee"])
    async with DebugSession(LaunchSpec("attach", pid=t.pid, dlv_path=str(dlv_path))) as s:
        assert s.phase == Phase.STOPPED and s.auto_resume_in is None and s.stopped_for is not None
        await anyio.sleep(0.3)
        assert s.phase == Phase.STOPPED


# ---------------------------------------------------------------------------------------------
# What the app shows and offers


def _attached_app(pid: int, state_dir: Path, **config):
    from godbg_tui.adapters.store import Config
    from godbg_tui.tui.app import GodbgApp

    return GodbgApp(
        LaunchSpec("attach", pid=pid),
        init_lines=["break main.tick", "continue"],
        state_dir=state_dir,
        config=Config(**config),
    )


async def test_status_bar_shows_how_long_an_attached_program_has_been_stopped(go_bin, target, tmp_path, dlv_path, monkeypatch):
    monkeypatch.setenv("GODBG_DLV", str(dlv_path))
    t = target(go_bin["attachee"])
    app = _attached_app(t.pid, tmp_path)
    async with app.run_test(size=(100, 30)):
        try:
            status = app.main_screen.status
            await async_wait_until(lambda: app.stops_seen >= 2, timeout=20)  # attached, then at main.tick
            await async_wait_until(lambda: "stopped for 2 s" in status.render().plain, timeout=4)
            assert "resumes in" not in status.render().plain, "no budget configured, no resume promised"
        finally:
            await app.end_session()


async def test_config_auto_resume_after_resumes_and_says_so(go_bin, target, tmp_path, dlv_path, monkeypatch):
    monkeypatch.setenv("GODBG_DLV", str(dlv_path))
    t = target(go_bin["attachee"])
    app = _attached_app(t.pid, tmp_path, auto_resume_after=2)
    async with app.run_test(size=(100, 30)):
        try:
            status = app.main_screen.status
            await async_wait_until(lambda: "resumes in" in status.render().plain, timeout=20)
            await async_wait_until(lambda: "halt budget" in app.main_screen.console.text, timeout=10)
        finally:
            await app.end_session()


async def test_one_key_detaches_and_leaves_the_program_running(go_bin, target, tmp_path, dlv_path, monkeypatch):
    from godbg_tui.tui.app import GodbgApp
    from godbg_tui.tui.screens.confirm import ConfirmScreen
    from godbg_tui.tui.screens.main import MainScreen

    monkeypatch.setenv("GODBG_DLV", str(dlv_path))
    t = target(go_bin["attachee"])
    [key] = [b.key.split(",")[0] for b in GodbgApp.BINDINGS if getattr(b, "id", None) == "session.detach"]
    taken = {k for b in MainScreen.BINDINGS if hasattr(b, "key") for k in b.key.split(",")}
    assert key not in taken, f"{key} is free on the main screen"
    app = _attached_app(t.pid, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        try:
            await async_wait_until(lambda: app.stops_seen >= 2, timeout=20)  # attached, then at main.tick
            await pilot.press(key)
            await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen) and app.screen.query("#message"), timeout=5)
            assert "keeps running" in str(app.screen.query_one("#message").render())
            await pilot.press("y")
            await async_wait_until(lambda: app.session_closed, timeout=20)
            assert app.is_running, "detaching keeps the debugger open"
            assert t.keeps_working()
            await async_wait_until(lambda: "keeps running" in app.main_screen.status.render().plain, timeout=5)
            assert app.session_ended
            detached = app.session
            await pilot.press("r")  # attaches again (the main screen's r, restart, cannot in attach mode)
            await async_wait_until(lambda: app.session is not detached and app.session.phase == Phase.STOPPED, timeout=30)
            assert app.session.spec.pid == t.pid
        finally:
            await app.end_session()
    assert t.keeps_working()
