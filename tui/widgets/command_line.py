"""The `:` line: dlv command syntax with history (up/down) and tab completion."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input

from godbg_tui.tui.glyphs import glyphs

Completer = Callable[[str], Sequence[str]]


class CommandLine(Input):
    """An Input that posts ``Command(line)`` on Enter and ``Closed`` on escape.

    ``completer(text)`` returns the full-line candidates for ``text``; one candidate
    completes, several complete their common prefix and are posted as ``Candidates``.
    History is a list of earlier lines (oldest first), navigated with up/down; the
    line being typed is kept while browsing.
    """

    DEFAULT_CSS = """
    CommandLine {
        height: 1;
        border: none;
        padding: 0 1;
        background: $boost;
    }
    CommandLine:focus { border: none; background: $primary 25%; }
    """

    BINDINGS = [
        Binding("up", "history(-1)", "Previous command", id="command.history-back", show=False),
        Binding("down", "history(1)", "Next command", id="command.history-forward", show=False),
        Binding("tab", "complete", "Complete", id="command.complete", show=False),
        Binding("escape", "close", "Close command line", id="command.close", show=False),
    ]

    class Command(Message):
        def __init__(self, line: str):
            super().__init__()
            self.line = line

    class Candidates(Message):
        def __init__(self, candidates: Sequence[str]):
            super().__init__()
            self.candidates = list(candidates)

    class Closed(Message):
        pass

    def __init__(
        self,
        history: Sequence[str] = (),
        completer: Completer | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ):
        g = glyphs()
        super().__init__(
            placeholder=f": dlv command (help lists them) {g.dash} Tab completes, {g.arrow_up}{g.arrow_down} history",
            id=id,
            classes=classes,
        )
        self.history: list[str] = list(history)
        self.completer = completer
        self.cursor_blink = False
        self._browse: int | None = None
        self._draft = ""

    def remember(self, line: str) -> None:
        """Add a line to the history (consecutive duplicates collapse)."""
        if line and (not self.history or self.history[-1] != line):
            self.history.append(line)

    def action_history(self, step: int) -> None:
        if not self.history:
            return
        if self._browse is None:
            if step > 0:
                return
            self._draft = self.value
            index = len(self.history) - 1
        else:
            index = self._browse + step
        if index >= len(self.history):
            self._browse = None
            self.value = self._draft
        else:
            self._browse = max(0, index)
            self.value = self.history[self._browse]
        self.cursor_position = len(self.value)

    def action_complete(self) -> None:
        if self.completer is None:
            return
        candidates = list(dict.fromkeys(self.completer(self.value)))
        if not candidates:
            return
        if len(candidates) == 1:
            self.value = candidates[0]
        else:
            prefix = os.path.commonprefix(candidates)
            if len(prefix) > len(self.value):
                self.value = prefix
            self.post_message(self.Candidates(candidates))
        self.cursor_position = len(self.value)

    def action_close(self) -> None:
        self.value = ""
        self._browse = None
        self.post_message(self.Closed())

    async def action_submit(self) -> None:
        line = self.value.strip()
        self.value = ""
        self._browse = None
        self.post_message(self.Command(line))
