"""The app's start: the main screen is styled once, with its size class; the session starts
while the screen is being mounted, and what it reports meanwhile is shown once it is up."""

from __future__ import annotations

import pytest
from support import async_wait_until
from textual.app import App
from textual.dom import DOMNode

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.events import Phase
from godbg_tui.tui.app import GodbgApp
from godbg_tui.tui.screens.confirm import ConfirmScreen
from godbg_tui.tui.screens.main import MainScreen


class _NoLauncher(GodbgApp):
    """No spec and no launcher: just the main screen, as a session's first frame has it."""

    def action_open_launcher(self) -> None:
        pass


@pytest.mark.parametrize(("size", "size_class"), [((80, 24), "-narrow"), ((200, 50), "-wide")])
async def test_the_main_screen_is_styled_once_with_its_size_class(size, size_class, tmp_path, monkeypatch):
    restyled: list[DOMNode] = []
    update_styles = App.update_styles

    def counting(self: App, node: DOMNode, animate: bool = True) -> None:
        restyled.append(node)
        update_styles(self, node, animate)

    monkeypatch.setattr(App, "update_styles", counting)
    app = _NoLauncher(state_dir=tmp_path)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        assert size_class in app.main_screen.classes
        assert sum(isinstance(node, MainScreen) for node in restyled) == 0, (
            "styled once, as it mounted: neither the first resume (MainScreen.on_screen_resume) "
            "nor the first Resize (the size class is there already) restyles the whole screen"
        )


def _mount_after(condition, monkeypatch):
    """The main screen's on_mount waits for ``condition(app)``: the session gets that far
    while the screen is still being mounted (as a fast dlv does)."""
    on_mount = MainScreen.on_mount

    async def held_back(self: MainScreen) -> None:
        await async_wait_until(lambda: condition(self.app), timeout=60, message="the session, during the mount")
        on_mount(self)

    monkeypatch.setattr(MainScreen, "on_mount", held_back)


async def test_a_session_stopped_before_the_screen_was_mounted_is_shown(go_bin, tmp_path, monkeypatch):
    """The session starts with the mount; what it reports meanwhile is held and shown once
    the screen is up, in order: the first stop, then the --init script after it."""
    _mount_after(lambda app: app.session is not None and app.session.phase == Phase.STOPPED, monkeypatch)
    app = GodbgApp(LaunchSpec("exec", program=str(go_bin["prog"])), init_lines=["print 6*7"], state_dir=tmp_path)
    async with app.run_test(size=(80, 24)):
        try:
            await async_wait_until(lambda: "42" in _console(app), timeout=60, message="the init script's output")
            assert app.stops_seen == 1
            assert app.main_screen.status.state == "stopped"
            assert app.main_screen.status.target == "exec prog"
            assert app.main_screen.refreshed_upto == 1, "the panes show the stop"
        finally:
            await app.end_session()


async def test_a_session_failed_before_the_screen_was_mounted_shows_its_error(tmp_path, monkeypatch):
    _mount_after(lambda app: app.session is not None and app.session.phase == Phase.CLOSED, monkeypatch)
    app = GodbgApp(LaunchSpec("exec", program=str(tmp_path / "missing")), state_dir=tmp_path)
    async with app.run_test(size=(80, 24)):
        try:
            await async_wait_until(lambda: isinstance(app.screen, ConfirmScreen) and app.screen.query("#message"),
                                   timeout=60, message="the error dialog")
            assert "does not exist" in str(app.screen.query_one("#message").render())
            assert app.main_screen.status.state == "failed"
        finally:
            await app.end_session()


def _console(app: GodbgApp) -> str:
    app.main_screen.console.flush()
    return app.main_screen.console.text
