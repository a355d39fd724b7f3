"""The key reference (? / F1): every binding of the debugger screen and its panes, as remapped."""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from godbg_tui.tui.widgets.breakpoints_pane import BreakpointsPane
from godbg_tui.tui.widgets.command_line import CommandLine
from godbg_tui.tui.widgets.console_pane import ConsolePane
from godbg_tui.tui.widgets.source_view import SourceView
from godbg_tui.tui.widgets.stack_pane import StackPane
from godbg_tui.tui.widgets.watches_pane import WatchesPane
from godbg_tui.tui.glyphs import glyphs

KEY_NAMES = {
    "colon": ":",
    "question_mark": "?",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "slash": "/",
    "plus": "+",
    "minus": "-",
}


def key_text(keys: str) -> str:
    """``shift+f11,o`` → ``shift+F11 o``: how a user reads a binding's keys."""
    shown = []
    for key in keys.split(","):
        parts = key.split("+")
        last = parts[-1]
        parts[-1] = KEY_NAMES.get(last, last.upper() if last.startswith("f") and last[1:].isdigit() else last)
        shown.append("+".join(parts))
    return " ".join(shown)


class HelpScreen(ModalScreen[None]):
    """Global keys, then each pane's own keys; escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical {
        width: 90;
        max-width: 100%;
        height: 90%;
        border: thick $primary;
        background: $surface;
    }
    HelpScreen #help-title { text-style: bold; padding: 0 1; }
    HelpScreen VerticalScroll { height: 1fr; }
    """

    BINDINGS = [
        Binding("escape,q,question_mark,f1", "close", "Close help", id="help.close"),
    ]

    SECTIONS: tuple[tuple[str, Iterable[BindingType]], ...] = (
        ("Source pane", SourceView.BINDINGS),
        ("Stack pane", StackPane.BINDINGS),
        ("Watches pane", WatchesPane.BINDINGS),
        ("Breakpoints pane", BreakpointsPane.BINDINGS),
        ("Console", ConsolePane.BINDINGS),
        ("Command line (:)", CommandLine.BINDINGS),
    )

    def __init__(self, main: Screen[object]):
        super().__init__()
        self.main = main

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("F-keys work everywhere, letters when not typing; ctrl+p finds any action", id="help-title")
            with VerticalScroll():
                yield Static(self._table("Debugger (everywhere)", self._main_bindings()), id="help-global")
                yield Static(self._table("Sessions", self._rows(type(self.app).BINDINGS)), id="help-sessions")
                for title, bindings in self.SECTIONS:
                    yield Static(self._table(title, self._rows(bindings)))

    def _main_bindings(self) -> list[tuple[str, str, str]]:
        """One row per action: an F-key and its letter twin share a row."""
        merged: dict[str, tuple[list[str], Binding]] = {}
        for binding in self.main.BINDINGS:
            if isinstance(binding, Binding):
                keys, _ = merged.setdefault(binding.description, ([], binding))
                keys.append(self._keys(binding))
        return [(",".join(keys), first.description, first.tooltip) for keys, first in merged.values()]

    def _rows(self, bindings: Iterable[BindingType]) -> list[tuple[str, str, str]]:
        return [(self._keys(b), b.description, b.tooltip) for b in bindings if isinstance(b, Binding)]

    def _keys(self, binding: Binding) -> str:
        keymap: dict[str, str] = getattr(self.app, "keymap", {})
        return keymap.get(binding.id, binding.key) if binding.id else binding.key

    def _table(self, title: str, rows: list[tuple[str, str, str]]) -> Table:
        table = Table(title=title, title_justify="left", show_header=False, box=None, expand=True, padding=(0, 1))
        g = glyphs()
        table.add_column("keys", style="bold", width=22, no_wrap=True, overflow=g.overflow)
        table.add_column("action")
        for keys, description, tooltip in rows:
            what = Text(g.translate(description))
            if tooltip:
                what.append(f" {g.dash} {g.translate(tooltip)}", style="dim")
            table.add_row(key_text(keys), what)
        return table

    def action_close(self) -> None:
        self.dismiss(None)
