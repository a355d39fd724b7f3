"""Breakpoints: id, location, conditions, hits (total and per goroutine), enabled; edited in place."""

from __future__ import annotations

import os
from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input

from godbg_tui.adapters.dlv.types import Breakpoint

COLUMNS = ("#", "on", "location", "cond", "hit cond", "hits")


def location_of(bp: Breakpoint) -> str:
    if bp.WatchExpr:
        return f"watch {bp.WatchExpr}"
    where = f"{os.path.basename(bp.file)}:{bp.line}" if bp.file else bp.ExprString
    if bp.functionName:
        where = f"{bp.functionName} {where}"
    return f"{bp.name} {where}" if bp.name else where


def hits_of(bp: Breakpoint) -> str:
    """``total`` then ``gID:count`` per goroutine, busiest first."""
    per_g = sorted((bp.hitCount or {}).items(), key=lambda kv: (-kv[1], int(kv[0]) if kv[0].isdigit() else 0))
    parts = [str(bp.totalHitCount)] + [f"g{g}:{n}" for g, n in per_g[:4]]
    if len(per_g) > 4:
        parts.append(f"+{len(per_g) - 4}g")
    return " ".join(parts)


class BreakpointsPane(Vertical):
    """A table of breakpoints. Every change is a message to the screen, which asks the session.

    Keys (when focused): enter jump to source, space enable/disable, e edit condition,
    h edit hit condition, delete/x delete, + enable all, - disable all.
    """

    DEFAULT_CSS = """
    BreakpointsPane > DataTable { height: 1fr; }
    BreakpointsPane > Input { height: 1; border: none; padding: 0 1; display: none; background: $primary 25%; }
    BreakpointsPane > Input.-editing { display: block; }
    BreakpointsPane > Input:focus { border: none; }
    """

    BINDINGS = [
        Binding("enter", "jump", "Go to source", id="breakpoints.jump"),
        Binding("space", "toggle", "Enable/disable", id="breakpoints.toggle"),
        Binding("e", "edit('cond')", "Condition", id="breakpoints.edit-cond"),
        Binding("h", "edit('hit')", "Hit condition", id="breakpoints.edit-hit"),
        Binding("delete,x", "delete", "Delete", id="breakpoints.delete"),
        Binding("plus", "set_all(True)", "Enable all", id="breakpoints.enable-all", show=False),
        Binding("minus", "set_all(False)", "Disable all", id="breakpoints.disable-all", show=False),
        Binding("escape", "cancel_edit", "Cancel", id="breakpoints.cancel-edit", show=False),
    ]

    class Jump(Message):
        def __init__(self, file: str, line: int):
            super().__init__()
            self.file = file
            self.line = line

    class Toggle(Message):
        def __init__(self, bp_id: int):
            super().__init__()
            self.bp_id = bp_id

    class Delete(Message):
        def __init__(self, bp_id: int):
            super().__init__()
            self.bp_id = bp_id

    class SetAll(Message):
        def __init__(self, enabled: bool):
            super().__init__()
            self.enabled = enabled

    class Amend(Message):
        """Change ``field`` ("Cond" or "HitCond") of a breakpoint to ``value`` ("" removes it)."""

        def __init__(self, bp_id: int, field: str, value: str):
            super().__init__()
            self.bp_id = bp_id
            self.field = field
            self.value = value

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.breakpoints: list[Breakpoint] = []
        self._editing: tuple[int, str] | None = None

    def compose(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", zebra_stripes=False, id="breakpoints-table")
        table.add_columns(*COLUMNS)
        yield table
        yield Input(id="breakpoints-edit")

    def on_mount(self) -> None:
        self.table = self.query_one(DataTable)
        self.editor = self.query_one("#breakpoints-edit", Input)
        self.editor.cursor_blink = False

    def show_breakpoints(self, breakpoints: Sequence[Breakpoint]) -> None:
        """Rebuild the table, unless it already shows exactly these (every stop hands them over)."""
        shown = [b for b in breakpoints if b.id > 0]
        if shown == self.breakpoints and self.table.row_count == len(shown):
            return
        current = self.current
        self.breakpoints = shown
        self.table.clear()
        for bp in self.breakpoints:
            self.table.add_row(
                str(bp.id),
                "no" if bp.disabled else "yes",
                location_of(bp),
                bp.Cond,
                bp.HitCond + (" per g" if bp.HitCond and bp.HitCondPerG else ""),
                hits_of(bp),
                key=str(bp.id),
            )
        if current is not None:
            for row, bp in enumerate(self.breakpoints):
                if bp.id == current.id:
                    self.table.move_cursor(row=row, animate=False)
        self.border_subtitle = f"{len(self.breakpoints)} total"

    @property
    def current(self) -> Breakpoint | None:
        table = getattr(self, "table", None)
        if table is None or not self.breakpoints or table.cursor_row >= len(self.breakpoints):
            return None
        return self.breakpoints[table.cursor_row]

    def action_jump(self) -> None:
        bp = self.current
        if bp is not None and bp.file:
            self.post_message(self.Jump(bp.file, bp.line))

    def action_toggle(self) -> None:
        if (bp := self.current) is not None:
            self.post_message(self.Toggle(bp.id))

    def action_delete(self) -> None:
        if (bp := self.current) is not None:
            self.post_message(self.Delete(bp.id))

    def action_set_all(self, enabled: bool) -> None:
        self.post_message(self.SetAll(enabled))

    def action_edit(self, what: str) -> None:
        bp = self.current
        if bp is None:
            return
        field = "Cond" if what == "cond" else "HitCond"
        self._editing = (bp.id, field)
        self.editor.placeholder = (
            f"condition for #{bp.id} (Go expression; empty removes it)"
            if field == "Cond"
            else f"hit condition for #{bp.id} (e.g. > 5, % 2; empty removes it)"
        )
        self.editor.value = bp.Cond if field == "Cond" else bp.HitCond
        self.editor.add_class("-editing")
        self.editor.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_edit":
            return self._editing is not None
        return True

    def action_cancel_edit(self) -> None:
        self._stop_editing()

    def _stop_editing(self) -> None:
        self._editing = None
        self.editor.remove_class("-editing")
        self.table.focus()

    @on(Input.Submitted, "#breakpoints-edit")
    def _edited(self, event: Input.Submitted) -> None:
        event.stop()
        if self._editing is not None:
            bp_id, field = self._editing
            self.post_message(self.Amend(bp_id, field, event.value.strip()))
        self._stop_editing()

    def on_descendant_blur(self) -> None:
        if self._editing is not None and not self.editor.has_focus:
            self._stop_editing()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_jump()
