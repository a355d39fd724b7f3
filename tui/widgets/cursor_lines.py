"""A Line-API list with a cursor row, and the focusable pane that drives it with keys.

Goroutine lists and the census both show more rows than fit and may show
millions: ``CursorLines`` renders only the visible rows (finished strips cached
by row, width, cursor and focus), keeps the cursor on screen and reports double
clicks; ``CursorPane`` owns the focus and the movement keys, so every list moves
the same way. A subclass of ``CursorLines`` says how many rows there are
(``row_count``), how many the cursor may visit (``cursor_rows``) and how one row
looks (``render_row``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.style import Style as RichStyle
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget


class CursorLines(ScrollView, can_focus=False):
    """Rows ``0 .. row_count-1``, the cursor on one of ``0 .. cursor_rows-1``.

    ``CURSOR_CLASS`` names the component class that styles the cursor row.
    Call ``changed()`` after the rows change (it clamps the cursor and resizes);
    rendering goes through ``render_row(index, is_cursor, width)``, cached until
    the next ``changed()`` or style change. ``cache_key()`` adds whatever else a
    row's look depends on.
    """

    CURSOR_CLASS: ClassVar[str] = ""

    class Activated(Message):
        """A row was double-clicked (the pane treats it like enter)."""

        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self) -> None:
        super().__init__()
        self.cursor = 0
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)

    # ----- what subclasses provide -----

    @property
    def row_count(self) -> int:
        return 0

    @property
    def cursor_rows(self) -> int:
        """How many rows, from the top, the cursor may land on (trailing status rows excluded)."""
        return self.row_count

    def render_row(self, index: int, is_cursor: bool, width: int) -> Strip:
        return Strip.blank(width, self.rich_style)

    def cache_key(self) -> tuple:
        """What every row's look depends on besides its index, the width, cursor and focus."""
        return ()

    def row_key(self, index: int) -> tuple:
        """What one row's look depends on besides ``cache_key()`` (e.g. whether it is highlighted yet)."""
        return ()

    # ----- rows -----

    @property
    def owner_focused(self) -> bool:
        return isinstance(self.parent, Widget) and self.parent.has_focus

    def changed(self) -> None:
        self._strips.clear()
        self.cursor = max(0, min(self.cursor, self.cursor_rows - 1))
        self.update_virtual_size()
        self.refresh()

    def repaint_rows(self, rows: Iterable[int]) -> None:
        """Repaint only these rows: their content changed, the number of rows did not
        (``changed()`` would repaint and re-measure the whole view)."""
        self._strips.clear()
        for row in rows:
            self.refresh_line(row)

    def update_virtual_size(self) -> None:
        """As wide as the view (rows are cut to it); a view that scrolls sideways says its width."""
        self.virtual_size = Size(self.scrollable_content_region.width, self.row_count)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def on_resize(self) -> None:
        self.changed()

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        """A scrollbar that appears after a forced scroll (see ``reveal``) starts at the view's
        position, not at the top: Textual moves it only on scrolls made while it is shown."""
        if shown:
            self.vertical_scrollbar.position = self.scroll_y

    def render_line(self, y: int) -> Strip:
        index = y + round(self.scroll_y)
        width = self.scrollable_content_region.width
        if index >= self.row_count:
            return Strip.blank(width, self.rich_style)
        is_cursor = index == self.cursor
        key = (index, width, is_cursor, self.owner_focused, *self.cache_key(), *self.row_key(index))
        strip = self._strips.get(key)
        if strip is None:
            strip = self._strips[key] = self.render_row(index, is_cursor, width)
        return strip

    def style_of(self, component: str) -> RichStyle:
        return self.get_component_rich_style(component, partial=True)

    def row_base(self, is_cursor: bool) -> RichStyle:
        """The row's background: the widget's, with the cursor band on the cursor row."""
        if is_cursor and self.CURSOR_CLASS:
            return self.rich_style + self.get_component_rich_style(self.CURSOR_CLASS)
        return self.rich_style

    # ----- cursor -----

    @property
    def page_height(self) -> int:
        """How far page up/down move: a screenful less one row of context."""
        return max(1, self.scrollable_content_region.height - 1)

    def set_cursor(self, index: int, *, scroll: str = "visible") -> None:
        """Move the cursor (clamped); ``scroll`` "visible" scrolls just enough to show it,
        "upper-third" puts it a third down the screen if it was off screen, "none" leaves the view."""
        if self.cursor_rows <= 0:
            self.cursor = 0
            return
        index = max(0, min(index, self.cursor_rows - 1))
        old, self.cursor = self.cursor, index
        self.refresh_line(old)
        self.refresh_line(index)
        if scroll != "none":
            self.reveal(index, upper_third=scroll == "upper-third")
        if scroll == "visible" and index == self.cursor_rows - 1 and self.row_count > self.cursor_rows:
            height = max(1, self.scrollable_content_region.height)
            self.scroll_to(y=self.row_count - height, animate=False, immediate=True, force=True)

    def reveal(self, index: int, *, upper_third: bool = False) -> None:
        """Scroll so row ``index`` is on screen (a third down the screen with ``upper_third``).

        Forced: Textual allows scrolling by the scrollbars of the last layout, so a move just
        after the rows grew (a file read, then its execution line) would otherwise be dropped.
        """
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_y)
        if top <= index < top + height:
            return
        if upper_third:
            target = max(0, index - height // 3)
        elif index < top:
            target = index
        else:
            target = index - height + 1
        self.scroll_to(y=target, animate=False, immediate=True, force=True)

    def on_click(self, event: events.Click) -> None:
        index = event.y + round(self.scroll_y)
        if index < self.cursor_rows:
            self.set_cursor(index)
            if event.chain >= 2:
                self.post_message(self.Activated(index))


def cursor_bindings(prefix: str) -> list[BindingType]:
    """The movement keys of a CursorPane, with binding ids under ``prefix`` (no letters: the
    debugger's single-letter keys are global)."""
    return [
        Binding("up", "cursor_up", "Up", show=False, id=f"{prefix}.cursor-up"),
        Binding("down", "cursor_down", "Down", show=False, id=f"{prefix}.cursor-down"),
        Binding("pageup", "page_up", "Page up", show=False, id=f"{prefix}.page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id=f"{prefix}.page-down"),
        Binding("home", "first", "First", show=False, id=f"{prefix}.first"),
        Binding("end", "last", "Last", show=False, id=f"{prefix}.last"),
    ]


class CursorPane(Widget, can_focus=True):
    """A focusable pane around one CursorLines: movement actions, focus repaint, double click.

    Subclasses pass their CursorLines to ``__init__``, bind keys with
    ``cursor_bindings(prefix)``, and override ``cursor_moved()`` (after any
    move) and ``action_activate()`` (enter or double click). A one-line Input
    with the class ``pane-prompt`` is docked at the bottom, hidden until it
    gets the class ``-open``.
    """

    DEFAULT_CSS = """
    CursorPane {
        height: 1fr;
        layout: vertical;
        & > CursorLines { height: 1fr; }
        & > .pane-prompt {
            display: none;
            dock: bottom;
            height: 1;
            border: none;
            padding: 0 1;
            background: $panel;
        }
        & > .pane-prompt.-open { display: block; }
    }
    """

    def __init__(self, lines: CursorLines, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.lines = lines

    def cursor_moved(self) -> None:
        """Called after every cursor move (e.g. to fetch more rows)."""

    def action_activate(self) -> None:
        """Enter on the cursor row (or a double click)."""

    def move_cursor(self, index: int) -> None:
        self.lines.set_cursor(index)
        self.cursor_moved()

    def action_cursor_up(self) -> None:
        self.move_cursor(self.lines.cursor - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(self.lines.cursor + 1)

    def action_page_up(self) -> None:
        self.move_cursor(self.lines.cursor - self.lines.page_height)

    def action_page_down(self) -> None:
        self.move_cursor(self.lines.cursor + self.lines.page_height)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self.lines.cursor_rows - 1)

    def on_cursor_lines_activated(self, message: CursorLines.Activated) -> None:
        message.stop()
        self.action_activate()

    def on_focus(self) -> None:
        self.lines.changed()

    def on_blur(self) -> None:
        self.lines.changed()
