"""Watch expressions, re-evaluated at every stop in the selected goroutine and frame."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input

from godbg_tui.tui.glyphs import glyphs


@dataclass(frozen=True)
class WatchResult:
    expr: str
    text: str
    error: bool = False


class WatchesPane(Vertical):
    """A table of ``expression │ value``; an expression that fails shows its error inline.

    Keys (when focused): a/insert add, e edit, delete/x remove, enter open the value.
    The list of expressions lives here; the screen evaluates them and calls ``show_results``.
    """

    DEFAULT_CSS = """
    WatchesPane > DataTable { height: 1fr; }
    WatchesPane > Input { height: 1; border: none; padding: 0 1; display: none; background: $primary 25%; }
    WatchesPane > Input.-editing { display: block; }
    WatchesPane > Input:focus { border: none; }
    WatchesPane > .watches-pane--error { color: $error; text-style: italic; }
    WatchesPane.-stale > DataTable { color: $text-muted; }
    """

    COMPONENT_CLASSES = {"watches-pane--error"}

    BINDINGS = [
        Binding("a,insert", "add", "Add watch", id="watches.add"),
        Binding("e", "edit", "Edit", id="watches.edit"),
        Binding("delete,x", "remove", "Remove", id="watches.remove"),
        Binding("escape", "cancel_edit", "Cancel", id="watches.cancel-edit", show=False),
    ]

    class Changed(Message):
        """The list of expressions changed (to be evaluated and saved)."""

        def __init__(self, expressions: Sequence[str]):
            super().__init__()
            self.expressions = list(expressions)

    class Open(Message):
        """Open a watch's value in the value viewer."""

        def __init__(self, expr: str):
            super().__init__()
            self.expr = expr

    def __init__(self, expressions: Sequence[str] = (), *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.expressions: list[str] = list(expressions)
        self.results: dict[str, WatchResult] = {}
        self._editing: int | None = None
        self._shown: list[tuple[str, WatchResult | None, Style]] = []  # each row's expression, result, error style

    def compose(self) -> ComposeResult:
        table: DataTable[Text] = DataTable(cursor_type="row", id="watches-table")
        self._value_column = table.add_columns("expression", "value")[1]
        yield table
        yield Input(id="watches-edit")

    def on_mount(self) -> None:
        self.table = self.query_one(DataTable)
        self.editor = self.query_one("#watches-edit", Input)
        self.editor.cursor_blink = False
        self._redraw()

    def set_expressions(self, expressions: Sequence[str]) -> None:
        self.expressions = list(expressions)
        self._redraw()

    def show_results(self, results: Sequence[WatchResult]) -> None:
        self.results = {r.expr: r for r in results}
        self._redraw()

    def mark_stale(self) -> None:
        """The program is running: the values shown are from the last stop."""
        self.add_class("-stale")

    def _redraw(self) -> None:
        """Show the expressions and results. Re-evaluated at every stop, so when the rows stay
        the same expressions only the values that changed are updated: clearing the table
        repaints it, and rebuilding re-measures every row."""
        self.remove_class("-stale")
        error_style = self.get_component_rich_style("watches-pane--error", partial=True)
        shown = [(expr, self.results.get(expr), error_style) for expr in self.expressions]
        if [expr for expr, *_ in shown] == [expr for expr, *_ in self._shown]:
            for i, (old, new) in enumerate(zip(self._shown, shown)):
                if old != new:
                    value = _value_text(*new[1:])
                    wider = value.cell_len > self.table.columns[self._value_column].content_width
                    self.table.update_cell(str(i), self._value_column, value, update_width=wider)
        else:
            row = self.table.cursor_row
            self.table.clear()
            for i, (expr, result, style) in enumerate(shown):
                self.table.add_row(Text(expr, no_wrap=True), _value_text(result, style), key=str(i))
            if self.expressions:
                self.table.move_cursor(row=min(row, len(self.expressions) - 1), animate=False)
        self._shown = shown
        subtitle = f"{len(self.expressions)} total"
        if self.border_subtitle != subtitle:  # setting it repaints the pane, even to the same text
            self.border_subtitle = subtitle

    def _open_editor(self, index: int | None, value: str) -> None:
        self._editing = index
        self.editor.placeholder = "expression to watch (Enter adds)" if index is None else "edit the expression"
        self.editor.value = value
        self.editor.add_class("-editing")
        self.editor.focus()

    def action_add(self) -> None:
        self._open_editor(None, "")

    def action_edit(self) -> None:
        if self.expressions:
            row = self.table.cursor_row
            self._open_editor(row, self.expressions[row])

    def action_remove(self) -> None:
        if self.expressions:
            del self.expressions[self.table.cursor_row]
            self._redraw()
            self.post_message(self.Changed(self.expressions))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_edit":
            return self.editor.has_class("-editing")
        return True

    def action_cancel_edit(self) -> None:
        self._stop_editing()

    def _stop_editing(self) -> None:
        self._editing = None
        self.editor.remove_class("-editing")
        self.table.focus()

    @on(Input.Submitted, "#watches-edit")
    def _edited(self, event: Input.Submitted) -> None:
        event.stop()
        expr = event.value.strip()
        index = self._editing
        self._stop_editing()
        if not expr:
            return
        if index is None:
            self.expressions.append(expr)
        else:
            self.expressions[index] = expr
        self._redraw()
        self.table.move_cursor(row=self.expressions.index(expr), animate=False)
        self.post_message(self.Changed(self.expressions))

    def on_descendant_blur(self) -> None:
        if self.editor.has_class("-editing") and not self.editor.has_focus:
            self._stop_editing()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.expressions:
            self.post_message(self.Open(self.expressions[event.cursor_row]))


def _value_text(result: WatchResult | None, error_style: Style) -> Text:
    if result is None:
        return Text(glyphs().ellipsis)
    if result.error:
        return Text(result.text, style=error_style, no_wrap=True)
    return Text(result.text, no_wrap=True)
