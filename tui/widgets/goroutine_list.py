"""Goroutines pane: a virtual list over Delve's paged ListGoroutines.

Only the first page is fetched on a stop; further pages are fetched as the user
scrolls towards the end of what is loaded, so 100k goroutines cost one page until
someone looks at them. Only visible rows are rendered.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input

from godbg_tui.adapters.dlv.client import ListGoroutinesOut
from godbg_tui.adapters.dlv.types import GOROUTINE_FIELD, Goroutine, ListGoroutinesFilter
from godbg_tui.adapters.goroutines import goroutine_state

FetchPage = Callable[[int, int, list[ListGoroutinesFilter]], Awaitable[ListGoroutinesOut]]

USER_FILTER = ListGoroutinesFilter(Kind=GOROUTINE_FIELD["user"])


class GoroutineRows(ScrollView, can_focus=False):
    """The Line-API half of GoroutineList: renders loaded goroutines, visible rows only."""

    SCOPED_CSS = False  # some rules below select on App:ansi or the owner's focus

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "goroutine-list--cursor",
        "goroutine-list--selected",
        "goroutine-list--id",
        "goroutine-list--running",
        "goroutine-list--waiting",
        "goroutine-list--location",
        "goroutine-list--labels",
        "goroutine-list--status",
        "goroutine-list--error",
    }

    DEFAULT_CSS = """
    GoroutineRows {
        background: $surface;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .goroutine-list--cursor { background: $boost; }
        & > .goroutine-list--selected { color: $text-primary; text-style: bold; }
        & > .goroutine-list--id { color: $text-secondary; }
        & > .goroutine-list--running { color: $text-success; }
        & > .goroutine-list--waiting { color: $text-warning; }
        & > .goroutine-list--location { color: $foreground; }
        & > .goroutine-list--labels { color: $text-accent; }
        & > .goroutine-list--status { color: $foreground-muted; text-style: italic; }
        & > .goroutine-list--error { color: $text-error; }
    }
    GoroutineList:focus > GoroutineRows > .goroutine-list--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    App:ansi GoroutineRows > .goroutine-list--cursor { background: transparent; text-style: reverse; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.goroutines: list[Goroutine] = []
        self.cursor = 0
        self.selected_id: int | None = None
        self.go_version: tuple[int, int, int] = (0, 0, 0)
        self.status_line = ""
        self.error = ""
        self.id_width = 4
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)

    @property
    def row_count(self) -> int:
        return len(self.goroutines) + 1

    def changed(self) -> None:
        self._strips.clear()
        self.virtual_size = Size(self.scrollable_content_region.width, self.row_count)
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def set_cursor(self, index: int) -> None:
        if not self.goroutines:
            self.cursor = 0
            return
        index = max(0, min(index, len(self.goroutines) - 1))
        old, self.cursor = self.cursor, index
        self.refresh_line(old)
        self.refresh_line(index)
        height = max(1, self.scrollable_content_region.height)
        top = round(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)
        if index == len(self.goroutines) - 1:
            self.scroll_to(y=self.row_count - height, animate=False, immediate=True)

    def render_line(self, y: int) -> Strip:
        index = y + round(self.scroll_y)
        width = self.scrollable_content_region.width
        focused = isinstance(self.parent, Widget) and self.parent.has_focus
        if index > len(self.goroutines):
            return Strip.blank(width, self.rich_style)
        key = (index, width, index == self.cursor, focused, self.id_width)
        strip = self._strips.get(key)
        if strip is None:
            if index == len(self.goroutines):
                strip = self._status_row(width)
            else:
                strip = self._row(self.goroutines[index], index == self.cursor, width)
            self._strips[key] = strip
        return strip

    def _style(self, name: str) -> RichStyle:
        return self.get_component_rich_style(name, partial=True)

    def _status_row(self, width: int) -> Strip:
        if self.error:
            segments = [Segment(f" {self.error}", self.rich_style + self._style("goroutine-list--error"))]
        else:
            segments = [Segment(f" {self.status_line}", self.rich_style + self._style("goroutine-list--status"))]
        return Strip(segments).crop_extend(0, width, self.rich_style)

    def _row(self, g: Goroutine, is_cursor: bool, width: int) -> Strip:
        base = self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("goroutine-list--cursor")
        selected = g.id == self.selected_id
        mark_style = base + self._style("goroutine-list--selected") if selected else base
        segments = [
            Segment("*" if selected else " ", mark_style),
            Segment(f"{g.id:>{self.id_width}} ", base + self._style("goroutine-list--id")),
        ]
        if g.unreadable:
            segments.append(Segment(f"unreadable: {g.unreadable}", base + self._style("goroutine-list--error")))
            return Strip(segments).crop_extend(0, width, base)
        state = "running" if g.threadID and g.status == 2 else goroutine_state(g, self.go_version)
        state_width = 16 if width < 100 else 24
        if len(state) > state_width:
            state = state[: state_width - 1] + "…"
        state_style = "goroutine-list--running" if g.threadID else "goroutine-list--waiting"
        segments.append(Segment(f"{state:<{state_width}} ", base + self._style(state_style)))
        loc = g.userCurrentLoc
        fn = loc.function.name if loc.function else "?"
        where = f"{os.path.basename(loc.file) or '?'}:{loc.line} {fn}"
        segments.append(Segment(where, base + self._style("goroutine-list--location")))
        if g.threadID:
            segments.append(Segment(f"  [thread {g.threadID}]", base + self._style("goroutine-list--running")))
        if g.labels:
            labels = " ".join(f"{k}={v}" for k, v in sorted(g.labels.items()))
            segments.append(Segment(f"  {labels}", base + self._style("goroutine-list--labels")))
        return Strip(segments).crop_extend(0, width, base)

    def on_click(self, event: events.Click) -> None:
        index = event.y + round(self.scroll_y)
        if index < len(self.goroutines):
            self.set_cursor(index)
            owner = self.parent
            if isinstance(owner, GoroutineList) and event.chain >= 2:
                owner.action_select()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        owner = self.parent
        if isinstance(owner, GoroutineList):
            owner.load_more_if_needed()

    def on_resize(self) -> None:
        self.changed()
        owner = self.parent
        if isinstance(owner, GoroutineList):
            owner.load_more_if_needed()


class GoroutineList(Widget, can_focus=True):
    """Goroutines of the stopped target, paged lazily from Delve.

    Constructor: ``GoroutineList(fetch_page, *, go_version=(0,0,0), page_size=1000,
    fetch_timeout=60, id, classes)`` where ``fetch_page(start, count, filters)`` is
    ListGoroutines (e.g. ``lambda s, c, f: session.goroutines(s, c, filters=f)``).
    ``go_version`` (settable) is the target's Go version, for wait-reason names.

    ``reload(filters=None, selected_id=None)`` after each stop: drops what was
    loaded, fetches the first page, marks ``selected_id`` with ``*``. ``filters``
    are extra Delve filters AND-ed with the pane's own (None keeps the previous
    extra filters). ``clear()`` empties it (e.g. while the target runs).
    Properties: ``goroutines`` (loaded), ``total`` (None until the last page),
    ``cursor_goroutine``, ``user_only``, ``text_filter``, ``status_text`` (also
    shown as the last row and as ``border_subtitle``).

    Message: ``Selected(goroutine_id)`` on enter (or double click).
    Keys: up/down/pageup/pagedown/home/end (g/G) move; enter select; u toggle
    user goroutines only (Delve filter 7, on by default); / filter by user location
    substring (Delve filter 2; empty clears). Worker group "goroutines" (exclusive,
    cancelled by reload/clear).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "cursor_up", "Up", show=False, id="goroutines.cursor-up"),
        Binding("down", "cursor_down", "Down", show=False, id="goroutines.cursor-down"),
        Binding("pageup", "page_up", "Page up", show=False, id="goroutines.page-up"),
        Binding("pagedown", "page_down", "Page down", show=False, id="goroutines.page-down"),
        Binding("home,g", "first", "First", show=False, id="goroutines.first"),
        Binding("end,G", "last", "Last", show=False, id="goroutines.last"),
        Binding("enter", "select", "Switch", id="goroutines.select", tooltip="Switch to this goroutine"),
        Binding("u", "toggle_user", "User only", id="goroutines.user-only",
                tooltip="Show only user goroutines, or runtime ones too"),
        Binding("slash", "open_filter", "Filter", id="goroutines.filter",
                tooltip="Only goroutines whose user location contains a text"),
        Binding("escape", "close_filter", "Close filter", show=False, id="goroutines.close-filter"),
    ]

    DEFAULT_CSS = """
    GoroutineList {
        height: 1fr;
        layout: vertical;
        & > GoroutineRows { height: 1fr; }
        & > #goroutine-filter {
            display: none;
            dock: bottom;
            height: 1;
            border: none;
            padding: 0 1;
            background: $panel;
        }
        & > #goroutine-filter.-open { display: block; }
    }
    """

    class Selected(Message):
        """The user chose a goroutine to switch to."""

        def __init__(self, goroutine_id: int) -> None:
            super().__init__()
            self.goroutine_id = goroutine_id

    def __init__(
        self,
        fetch_page: FetchPage,
        *,
        go_version: tuple[int, int, int] = (0, 0, 0),
        page_size: int = 1000,
        fetch_timeout: float = 60.0,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.fetch_page = fetch_page
        self.page_size = page_size
        self.fetch_timeout = fetch_timeout
        self.user_only = True
        self.text_filter = ""
        self.total: int | None = None
        self._rows = GoroutineRows()
        self._rows.go_version = go_version
        self._prompt = Input(id="goroutine-filter", placeholder="user location contains… (Enter apply, Esc cancel)")
        self._extra_filters: list[ListGoroutinesFilter] = []
        self._next = -1
        self._loading = False
        self._generation = 0

    def compose(self) -> ComposeResult:
        yield self._rows
        yield self._prompt

    # ----- public API -----

    @property
    def go_version(self) -> tuple[int, int, int]:
        return self._rows.go_version

    @go_version.setter
    def go_version(self, version: tuple[int, int, int]) -> None:
        self._rows.go_version = version
        self._rows.changed()

    @property
    def goroutines(self) -> list[Goroutine]:
        return self._rows.goroutines

    @property
    def cursor_goroutine(self) -> Goroutine | None:
        rows = self._rows
        return rows.goroutines[rows.cursor] if rows.goroutines else None

    @property
    def rows_view(self) -> GoroutineRows:
        """The Line-API child that renders rows (for tests and measurements)."""
        return self._rows

    @property
    def status_text(self) -> str:
        return self._rows.error or self._rows.status_line

    def filters(self) -> list[ListGoroutinesFilter]:
        """What is sent to Delve: user-only, the text filter, then the shell's extra filters."""
        out = [USER_FILTER] if self.user_only else []
        if self.text_filter:
            out.append(ListGoroutinesFilter(Kind=GOROUTINE_FIELD["userloc"], Arg=self.text_filter))
        return out + self._extra_filters

    def reload(
        self,
        filters: Sequence[ListGoroutinesFilter] | None = None,
        selected_id: int | None = None,
    ) -> None:
        """Forget loaded goroutines and fetch the first page again."""
        if filters is not None:
            self._extra_filters = list(filters)
        rows = self._rows
        if selected_id is not None:
            rows.selected_id = selected_id
        self._generation += 1
        self.workers.cancel_group(self, "goroutines")
        rows.goroutines = []
        rows.cursor = 0
        rows.id_width = 4
        rows.error = ""
        self.total = None
        self._next = 0
        self._set_status("loading…")
        self._load_pages()
        rows.scroll_to(y=0, animate=False, immediate=True)
        rows.changed()

    def clear(self) -> None:
        """Show nothing and stop paging (the target is running or gone)."""
        self._generation += 1
        self.workers.cancel_group(self, "goroutines")
        self._rows.goroutines = []
        self._rows.error = ""
        self.total = None
        self._next = -1
        self._loading = False
        self._set_status("")
        self._rows.changed()

    def load_more_if_needed(self) -> None:
        """Fetch further pages when the view or the cursor nears the end of what is loaded."""
        if self._loading or self._next < 0 or self._rows.error:
            return
        if self._wants_more():
            self._load_pages()

    # ----- paging -----

    def _wants_more(self) -> bool:
        rows = self._rows
        height = max(1, rows.scrollable_content_region.height)
        horizon = max(round(rows.scroll_y), rows.cursor) + 2 * height
        return len(rows.goroutines) <= horizon

    def _load_pages(self) -> None:
        self._loading = True
        self.run_worker(
            partial(self._page_loop, self._generation), group="goroutines", exclusive=True, name="goroutine pages"
        )

    async def _page_loop(self, generation: int) -> None:
        """Fetch pages from Nextg until the view is filled (filtered pages may be empty) or Delve is done."""
        filters = self.filters()
        try:
            while generation == self._generation and self._next >= 0:
                page = await asyncio.wait_for(
                    self.fetch_page(self._next, self.page_size, filters), self.fetch_timeout
                )
                if generation != self._generation:
                    return
                self._add_page(page)
                if not self._wants_more():
                    break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown in the list; the user can reload by stepping or toggling a filter
            if generation == self._generation:
                reason = "no answer in time" if isinstance(exc, TimeoutError) else str(exc)
                self._rows.error = f"could not list goroutines: {reason}"
                self._set_status(self._rows.error)
                self._rows.changed()
        finally:
            if generation == self._generation:
                self._loading = False

    def _add_page(self, page: ListGoroutinesOut) -> None:
        rows = self._rows
        first = not rows.goroutines
        new = page.Goroutines or []
        rows.goroutines.extend(new)
        rows.id_width = max(rows.id_width, *(len(str(g.id)) for g in new)) if new else rows.id_width
        self._next = page.Nextg
        if page.Nextg < 0:
            self.total = len(rows.goroutines)
            self._set_status(f"{self.total} goroutine{'s' if self.total != 1 else ''}{self._filter_note()}")
        else:
            self._set_status(f"{len(rows.goroutines)} loaded, more…{self._filter_note()}")
        if first and rows.selected_id is not None:
            index = next((i for i, g in enumerate(rows.goroutines) if g.id == rows.selected_id), None)
            if index is not None:
                self.call_after_refresh(rows.set_cursor, index)
        rows.changed()

    def _filter_note(self) -> str:
        notes = []
        if self.user_only:
            notes.append("user only")
        if self.text_filter:
            notes.append(f"location contains {self.text_filter!r}")
        return f" ({', '.join(notes)})" if notes else ""

    def _set_status(self, text: str) -> None:
        self._rows.status_line = text
        self.border_subtitle = text

    # ----- actions -----

    def _page(self) -> int:
        return max(1, self._rows.scrollable_content_region.height - 1)

    def _move(self, index: int) -> None:
        self._rows.set_cursor(index)
        self.load_more_if_needed()

    def action_cursor_up(self) -> None:
        self._move(self._rows.cursor - 1)

    def action_cursor_down(self) -> None:
        self._move(self._rows.cursor + 1)

    def action_page_up(self) -> None:
        self._move(self._rows.cursor - self._page())

    def action_page_down(self) -> None:
        self._move(self._rows.cursor + self._page())

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self._rows.goroutines) - 1)

    def action_select(self) -> None:
        g = self.cursor_goroutine
        if g is not None and not g.unreadable:
            self.post_message(self.Selected(g.id))

    def action_toggle_user(self) -> None:
        self.user_only = not self.user_only
        self.reload()

    def action_open_filter(self) -> None:
        self._prompt.value = self.text_filter
        self._prompt.add_class("-open")
        self._prompt.focus()

    def action_close_filter(self) -> None:
        self._prompt.remove_class("-open")
        self.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_filter":
            return self._prompt.has_class("-open")
        return True

    @on(Input.Submitted, "#goroutine-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.text_filter = event.value.strip()
        self.action_close_filter()
        self.reload()

    def on_focus(self) -> None:
        self._rows.changed()

    def on_blur(self) -> None:
        self._rows.changed()
