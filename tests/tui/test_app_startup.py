"""What the app's first frame costs: the main screen is styled once, with its size class."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.dom import DOMNode

from godbg_tui.tui.app import GodbgApp
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
        assert sum(isinstance(node, MainScreen) for node in restyled) == 1, (
            "the first Resize found the size class there already: no second whole-screen restyle"
        )
