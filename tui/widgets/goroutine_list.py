"""Goroutines pane: a virtual list over Delve's paged ListGoroutines.

Only the first page (200 goroutines: a screenful and some, a few milliseconds of
Delve's time) is fetched on a stop; the next page is fetched in the background as
the cursor or the view nears the end of what is loaded, so 100k goroutines cost
one page until someone looks at them. Only visible rows are rendered.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import ClassVar

from rich.segment import Segment
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Input

from godbg_tui.adapters.dlv.client import ListGoroutinesOut
from godbg_tui.adapters.dlv.types import GOROUTINE_FIELD, Goroutine, ListGoroutinesFilter, Stackframe
from godbg_tui.adapters.goroutines import GoroutineCount, GoroutineFilters, goroutine_state
from godbg_tui.tui.widgets.cursor_lines import CursorLines, CursorPane, cursor_bindings
from godbg_tui.tui.glyphs import glyphs

FetchPage = Callable[[int, int, list[ListGoroutinesFilter]], Awaitable[ListGoroutinesOut]]
FetchCount = Callable[[], Awaitable[GoroutineCount]]
FetchStack = Callable[[int, int], Awaitable[list[Stackframe]]]

PAGE_SIZE = 200
STACK_DEPTH = 16
MAX_ROWS = 50_000  # ≈ 1.7 KB a decoded goroutine: ~85 MB, inside the TUI's 250 MB budget

USER_FILTER = ListGoroutinesFilter(Kind=GOROUTINE_FIELD["user"])


class GoroutineRows(CursorLines):
    """The Line-API half of GoroutineList: loaded goroutines, then one status row."""

    SCOPED_CSS = False  # Textual reads it per class: rules below select on App:ansi and the pane's focus
    CURSOR_CLASS = "goroutine-list--cursor"

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
        "goroutine-list--frame",
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
        & > .goroutine-list--frame { color: $foreground-muted; }
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
        self.selected_id: int | None = None
        self.go_version: tuple[int, int, int] = (0, 0, 0)
        self.status_line = ""
        self.error = ""
        self.id_width = 4
        self.stacks: dict[int, list[str]] = {}  # goroutine index → its stack lines, shown under it

    @property
    def row_count(self) -> int:
        return len(self.goroutines) + sum(map(len, self.stacks.values())) + 1

    @property
    def cursor_rows(self) -> int:
        return self.row_count - 1

    def cache_key(self) -> tuple:
        return (self.id_width,)

    def locate(self, row: int) -> tuple[int, int]:
        """(goroutine index, stack line or -1 for the goroutine's own row) of a display row."""
        shift = 0
        for index in sorted(self.stacks):
            own = index + shift
            if row <= own:
                break
            lines = len(self.stacks[index])
            if row <= own + lines:
                return index, row - own - 1
            shift += lines
        return row - shift, -1

    def row_of(self, index: int) -> int:
        """The display row of goroutine ``index`` (expanded stacks above it push it down)."""
        return index + sum(len(lines) for i, lines in self.stacks.items() if i < index)

    def render_row(self, index: int, is_cursor: bool, width: int) -> Strip:
        if index == self.row_count - 1:
            return self._status_row(width)
        g_index, line = self.locate(index)
        if line >= 0:
            base = self.row_base(is_cursor)
            text = f"{' ' * (self.id_width + 2)}{self.stacks[g_index][line]}"
            return Strip([Segment(text, base + self.style_of("goroutine-list--frame"))]).crop_extend(0, width, base)
        return self._row(self.goroutines[g_index], is_cursor, width)

    def _status_row(self, width: int) -> Strip:
        style = "goroutine-list--error" if self.error else "goroutine-list--status"
        text = self.error or self.status_line
        return Strip([Segment(f" {text}", self.rich_style + self.style_of(style))]).crop_extend(0, width, self.rich_style)

    def _row(self, g: Goroutine, is_cursor: bool, width: int) -> Strip:
        base = self.row_base(is_cursor)
        selected = g.id == self.selected_id
        mark_style = base + self.style_of("goroutine-list--selected") if selected else base
        segments = [
            Segment("*" if selected else " ", mark_style),
            Segment(f"{g.id:>{self.id_width}} ", base + self.style_of("goroutine-list--id")),
        ]
        if g.unreadable:
            segments.append(Segment(f"unreadable: {g.unreadable}", base + self.style_of("goroutine-list--error")))
            return Strip(segments).crop_extend(0, width, base)
        state = "running" if g.threadID and g.status == 2 else goroutine_state(g, self.go_version)
        state_width = 16 if width < 100 else 24
        if len(state) > state_width:
            ellipsis = glyphs().ellipsis
            state = state[: state_width - len(ellipsis)] + ellipsis
        state_style = "goroutine-list--running" if g.threadID else "goroutine-list--waiting"
        segments.append(Segment(f"{state:<{state_width}} ", base + self.style_of(state_style)))
        loc = g.userCurrentLoc
        fn = loc.function.name if loc.function else "?"
        where = f"{os.path.basename(loc.file) or '?'}:{loc.line} {fn}"
        segments.append(Segment(where, base + self.style_of("goroutine-list--location")))
        if g.threadID:
            segments.append(Segment(f"  [thread {g.threadID}]", base + self.style_of("goroutine-list--running")))
        if g.labels:
            labels = " ".join(f"{k}={v}" for k, v in sorted(g.labels.items()))
            segments.append(Segment(f"  {labels}", base + self.style_of("goroutine-list--labels")))
        return Strip(segments).crop_extend(0, width, base)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        owner = self.parent
        if isinstance(owner, GoroutineList):
            owner.load_more_if_needed()

    def on_resize(self) -> None:
        super().on_resize()
        owner = self.parent
        if isinstance(owner, GoroutineList):
            owner.load_more_if_needed()


class GoroutineList(CursorPane):
    """Goroutines of the stopped target, paged lazily from Delve.

    Constructor: ``GoroutineList(fetch_page, *, fetch_count=None, fetch_stack=None,
    stack_depth=16, go_version=(0,0,0), page_size=200, prefetch_rows=page_size//2,
    max_rows=50_000, fetch_timeout=60, id, classes)``:
    - ``fetch_page(start, count, filters)`` is ListGoroutines (e.g. ``lambda s, c, f:
      session.goroutines(s, c, filters=f)``);
    - ``fetch_count()`` (optional) returns the runtime's GoroutineCount (e.g. ``lambda:
      count_goroutines(session.client)``), shown in the status while pages still come;
    - ``fetch_stack(goroutine_id, depth)`` (optional) is Stacktrace (e.g. ``lambda g, d:
      session.stack(d, g)``), for stacks shown inline;
    - ``go_version`` (settable) is the target's Go version, for wait-reason names.

    ``reload(filters=None, selected_id=None)`` after each stop: fetches the first
    page again (``page_size`` goroutines: one screenful and some, at once) and
    marks ``selected_id`` with ``*``; the rows on screen stay until that page
    replaces them in one go, repainting only rows that differ (when the filters
    changed they go at once: they no longer match). The next page is fetched in
    the background once the cursor or the view comes within ``prefetch_rows`` of
    the end of what is loaded, so scrolling rarely waits; nothing fetches further
    ahead than that, and paging stops at ``max_rows`` (a million goroutines are
    never all held: the status says to filter or use the census). ``filters`` are extra Delve filters AND-ed with the pane's own
    (None keeps the previous extra filters). ``clear()`` empties it (e.g. while
    the target runs). Properties: ``goroutines`` (loaded), ``total`` (None until the
    last page), ``count`` (the runtime's count, None until known), ``fetching``,
    ``cursor_goroutine``, ``user_only``, ``text_filter``, ``status_text`` (also
    shown as the last row and as ``border_subtitle``).

    Message: ``Selected(goroutine_id)`` on enter (or double click).
    Keys: up/down/pageup/pagedown/home/end move; enter select; right shows
    the goroutine's stack under it (``stack_depth`` frames), left folds it; U toggles
    user goroutines only (Delve filter 7, on by default; capital, as the debugger
    keeps u for "frame up"); / filters (GoroutineFilters.parse: user-location words,
    -word excluding, k=v labels, :running / :parked; empty clears). Worker groups "goroutines" (pages,
    exclusive), "goroutine-count" and "goroutine-stack", cancelled by reload/clear.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *cursor_bindings("goroutines"),
        Binding("enter", "select", "Switch", id="goroutines.select", tooltip="Switch to this goroutine"),
        Binding("right", "expand_stack", "Stack", id="goroutines.expand-stack",
                tooltip="Show this goroutine's stack under it"),
        Binding("left", "collapse_stack", "Fold", show=False, id="goroutines.collapse-stack"),
        Binding("U", "toggle_user", "User only", id="goroutines.user-only",
                tooltip="Show only user goroutines, or runtime ones too"),
        Binding("slash", "open_filter", "Filter", id="goroutines.filter",
                tooltip="Location words (-word excludes), k=v labels, :running or :parked"),
        Binding("escape", "close_filter", "Close filter", show=False, id="goroutines.close-filter"),
    ]

    class Selected(Message):
        """The user chose a goroutine to switch to."""

        def __init__(self, goroutine_id: int) -> None:
            super().__init__()
            self.goroutine_id = goroutine_id

    def __init__(
        self,
        fetch_page: FetchPage,
        *,
        fetch_count: FetchCount | None = None,
        fetch_stack: FetchStack | None = None,
        stack_depth: int = STACK_DEPTH,
        go_version: tuple[int, int, int] = (0, 0, 0),
        page_size: int = PAGE_SIZE,
        prefetch_rows: int | None = None,
        max_rows: int = MAX_ROWS,
        fetch_timeout: float = 60.0,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        rows = GoroutineRows()
        super().__init__(rows, id=id, classes=classes)
        self._rows = rows
        self.fetch_page = fetch_page
        self.fetch_count = fetch_count
        self.fetch_stack = fetch_stack
        self.stack_depth = stack_depth
        self.page_size = page_size
        self.prefetch_rows = prefetch_rows if prefetch_rows is not None else max(1, page_size // 2)
        self.max_rows = max_rows
        self.fetch_timeout = fetch_timeout
        self.user_only = True
        self.text_filter = ""
        self.total: int | None = None
        self.count: GoroutineCount | None = None
        self._rows.go_version = go_version
        self._prompt = Input(
            id="goroutine-filter", classes="pane-prompt",
            placeholder="location words, -word excludes, k=v label, :running/:parked (Enter apply, Esc cancel)",
        )
        self._extra_filters: list[ListGoroutinesFilter] = []
        self._next = -1
        self._fetching = False
        self._generation = 0
        self._shown_filters: list[ListGoroutinesFilter] | None = None  # what the rows on screen were listed with
        self._replacing = False  # the rows on screen are the last reload's, until the first page of this one
        self._pending_selected: int | None = None

    def compose(self) -> ComposeResult:
        yield self._rows
        yield self._prompt

    # ----- public API -----

    @property
    def go_version(self) -> tuple[int, int, int]:
        return self._rows.go_version

    @go_version.setter
    def go_version(self, version: tuple[int, int, int]) -> None:
        if version != self._rows.go_version:  # set at every stop: repaint only when it changes
            self._rows.go_version = version
            self._rows.changed()

    @property
    def goroutines(self) -> list[Goroutine]:
        return self._rows.goroutines

    @property
    def fetching(self) -> bool:
        """A page is being fetched."""
        return self._fetching

    @property
    def cursor_goroutine(self) -> Goroutine | None:
        """The goroutine on the cursor row (or whose stack line the cursor is on)."""
        rows = self._rows
        return rows.goroutines[rows.locate(rows.cursor)[0]] if rows.goroutines else None

    @property
    def rows_view(self) -> GoroutineRows:
        """The Line-API child that renders rows (for tests and measurements)."""
        return self._rows

    @property
    def status_text(self) -> str:
        return self._rows.error or self._rows.status_line

    def parsed_filter(self) -> GoroutineFilters:
        """User-only and the typed filter (see GoroutineFilters.parse for its words)."""
        return GoroutineFilters.parse(self.text_filter, user_only=self.user_only)

    def filters(self) -> list[ListGoroutinesFilter]:
        """What is sent to Delve: user-only, the typed filter, then the shell's extra filters."""
        return self.parsed_filter().to_delve() + self._extra_filters

    def reload(
        self,
        filters: Sequence[ListGoroutinesFilter] | None = None,
        selected_id: int | None = None,
    ) -> None:
        """Fetch the first page again; the rows shown stay until it replaces them, unless the
        filters changed (emptying the list at every stop would repaint and re-lay it out twice)."""
        if filters is not None:
            self._extra_filters = list(filters)
        if selected_id is None and self._replacing:
            selected_id = self._pending_selected
        rows = self._rows
        listed_with = self.filters()
        keep = listed_with == self._shown_filters and not rows.error
        self._forget(keep_rows=keep)
        self._shown_filters = listed_with
        self._next = 0
        if keep:
            self._replacing = True
            self._pending_selected = selected_id if selected_id is not None else rows.selected_id
        else:
            if selected_id is not None:
                rows.selected_id = selected_id
            self._set_status(f"loading{glyphs().ellipsis}")
        self._load_pages()
        if self.fetch_count is not None:
            self.run_worker(partial(self._count, self._generation), group="goroutine-count", exclusive=True,
                            name="goroutine count")
        if not keep:
            rows.scroll_to(y=0, animate=False, immediate=True, force=True)
            rows.changed()

    def clear(self) -> None:
        """Show nothing and stop paging (the target is running or gone)."""
        self._forget()
        self._set_status("")
        self._rows.changed()

    def _forget(self, *, keep_rows: bool = False) -> None:
        self._generation += 1
        self.workers.cancel_group(self, "goroutines")
        self.workers.cancel_group(self, "goroutine-count")
        self.workers.cancel_group(self, "goroutine-stack")
        if not keep_rows:
            self._drop_rows()
        self._replacing = False
        self.total = None
        self.count = None
        self._next = -1
        self._fetching = False

    def _drop_rows(self) -> None:
        rows = self._rows
        if self._replacing:
            rows.selected_id = self._pending_selected
            self._replacing = False
        rows.goroutines = []
        rows.stacks = {}
        rows.cursor = 0
        rows.id_width = 4
        rows.error = ""
        self._shown_filters = None

    def load_more_if_needed(self) -> None:
        """Fetch further pages when the view or the cursor nears the end of what is loaded."""
        if self._fetching or self._next < 0 or self._rows.error:
            return
        if self._wants_more():
            self._load_pages()

    # ----- paging -----

    @property
    def capped(self) -> bool:
        """``max_rows`` are loaded and Delve has more: paging stops here (memory stays bounded)."""
        return len(self._rows.goroutines) >= self.max_rows and self._next >= 0

    def _wants_more(self) -> bool:
        rows = self._rows
        if self.capped:
            return False
        height = max(1, rows.scrollable_content_region.height)
        horizon = max(round(rows.scroll_y) + height, rows.cursor + 1) + self.prefetch_rows
        return rows.cursor_rows < horizon

    def _load_pages(self) -> None:
        self._fetching = True
        self.run_worker(
            partial(self._page_loop, self._generation), group="goroutines", exclusive=True, name="goroutine pages"
        )

    async def _page_loop(self, generation: int) -> None:
        """Fetch pages from Nextg until the prefetch horizon is covered (filtered pages may be empty) or Delve is done."""
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
                if self._replacing:  # the last stop's rows would pass for this one's
                    self._drop_rows()
                    self._rows.scroll_to(y=0, animate=False, immediate=True, force=True)
                self._rows.error = f"could not list goroutines: {reason}"
                self._set_status(self._rows.error)
                self._rows.changed()
        finally:
            if generation == self._generation:
                self._fetching = False

    async def _count(self, generation: int) -> None:
        """The runtime's own count, for the status line while pages are still coming (best effort)."""
        assert self.fetch_count is not None
        try:
            count = await asyncio.wait_for(self.fetch_count(), self.fetch_timeout)
        except asyncio.CancelledError:
            raise
        except Exception:  # the count is a courtesy: paging still ends with the exact total
            return
        if generation == self._generation:
            self.count = count
            if self.total is None and not self._replacing:  # else the first page's status will include it
                self._describe_progress()
                self._rows.changed()

    def _add_page(self, page: ListGoroutinesOut) -> None:
        if self._replacing:
            self._replace_rows(page)
            return
        rows = self._rows
        first = not rows.goroutines
        new = page.Goroutines or []
        rows.goroutines.extend(new)
        rows.id_width = max(rows.id_width, *(len(str(g.id)) for g in new)) if new else rows.id_width
        self._status_after(page)
        rows.changed()
        if first and rows.selected_id is not None:
            index = next((i for i, g in enumerate(rows.goroutines) if g.id == rows.selected_id), None)
            if index is not None:
                rows.set_cursor(rows.row_of(index))  # after changed(): the view scrolls by its new size

    def _replace_rows(self, page: ListGoroutinesOut) -> None:
        """The first page of a reload that kept the rows: swap them in one go, as if the list had
        been emptied at the reload, but repaint only rows that differ when the row count stays."""
        self._replacing = False
        rows = self._rows
        old, old_selected, old_status, had_stacks = rows.goroutines, rows.selected_id, rows.status_line, rows.stacks
        new = page.Goroutines or []
        id_width = max(4, *(len(str(g.id)) for g in new)) if new else 4
        selected = rows.selected_id = self._pending_selected
        index = next((i for i, g in enumerate(new) if g.id == selected), None) if selected is not None else None
        target = index if index is not None else 0
        rows.goroutines = list(new)
        rows.stacks = {}
        self._status_after(page)
        if round(rows.scroll_y):
            rows.scroll_to(y=0, animate=False, immediate=True, force=True)
        if had_stacks or len(new) != len(old) or id_width != rows.id_width:
            rows.id_width = id_width
            rows.cursor = target
            rows.changed()
        else:
            differ = [
                i for i, (a, b) in enumerate(zip(old, new))
                if a != b or (a.id == old_selected) != (b.id == selected)
            ]
            if rows.cursor != target:
                differ += [rows.cursor, target]
                rows.cursor = target
            if rows.status_line != old_status:
                differ.append(rows.row_count - 1)
            if differ:
                rows.repaint_rows(differ)
        if index is not None:
            rows.set_cursor(target)  # scrolls to it if it is off screen, as in _add_page

    def _status_after(self, page: ListGoroutinesOut) -> None:
        self._next = page.Nextg
        if page.Nextg < 0:
            self.total = len(self._rows.goroutines)
            self._set_status(f"{self.total:,} goroutine{'s' if self.total != 1 else ''}{self._filter_note()}")
        else:
            self._describe_progress()

    def _describe_progress(self) -> None:
        loaded = f"{len(self._rows.goroutines):,} loaded"
        count = self.count
        if count is not None and not self.text_filter and not self._extra_filters:
            if self.user_only and count.live is not None and count.system is not None:
                loaded += f" of {count.live - count.system:,}"
            elif not self.user_only and count.live is not None:
                loaded += f" of {count.live:,}"
            else:
                loaded += f" of {glyphs().le} {count.slots:,}"
        more = (f": the first {self.max_rows:,} only, narrow them with / or count them all with the census"
                if self.capped else f", more{glyphs().ellipsis}")
        self._set_status(f"{loaded}{more}{self._filter_note()}")

    def _filter_note(self) -> str:
        f = self.parsed_filter()
        notes = ["user only"] if f.user_only else []
        notes += [f"location contains {text!r}" for _, text in f.with_locations]
        notes += [f"location without {text!r}" for _, text in f.without_locations]
        notes += [f"label {label}" for label in f.labels]
        if f.running is not None:
            notes.append("running" if f.running else "parked")
        return f" ({', '.join(notes)})" if notes else ""

    def _set_status(self, text: str) -> None:
        if text != self._rows.status_line:  # setting the subtitle repaints the pane, even to the same text
            self._rows.status_line = text
            self.border_subtitle = text

    # ----- actions -----

    def cursor_moved(self) -> None:
        self.load_more_if_needed()

    def action_activate(self) -> None:
        self.action_select()

    def action_select(self) -> None:
        g = self.cursor_goroutine
        if g is not None and not g.unreadable:
            self.post_message(self.Selected(g.id))

    def action_expand_stack(self) -> None:
        """Show the cursor goroutine's stack (``stack_depth`` frames at most) under its row."""
        rows = self._rows
        if not rows.goroutines or self.fetch_stack is None or self._replacing:  # those rows are going
            return
        index = rows.locate(rows.cursor)[0]
        g = rows.goroutines[index]
        if index in rows.stacks or g.unreadable:
            return
        rows.stacks[index] = [f"reading the stack{glyphs().ellipsis}"]
        rows.changed()
        self.run_worker(partial(self._load_stack, self._generation, index, g.id), group="goroutine-stack",
                        name="goroutine stack")

    async def _load_stack(self, generation: int, index: int, goroutine_id: int) -> None:
        assert self.fetch_stack is not None
        try:
            frames = await asyncio.wait_for(self.fetch_stack(goroutine_id, self.stack_depth + 1), self.fetch_timeout)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # shown in place of the stack
            reason = "no answer in time" if isinstance(exc, TimeoutError) else str(exc)
            lines = [f"could not read the stack: {reason}"]
        else:
            lines = [_frame_line(f) for f in frames[: self.stack_depth]]
            if len(frames) > self.stack_depth:
                lines.append(f"{glyphs().ellipsis} deeper frames not shown (first {self.stack_depth})")
        rows = self._rows
        if generation == self._generation and index in rows.stacks:
            rows.stacks[index] = lines or ["(no frames)"]
            rows.changed()
            self.load_more_if_needed()

    def action_collapse_stack(self) -> None:
        rows = self._rows
        if not rows.goroutines:
            return
        index = rows.locate(rows.cursor)[0]
        if rows.stacks.pop(index, None) is not None:
            rows.changed()
            rows.set_cursor(rows.row_of(index))

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
        if action in ("expand_stack", "collapse_stack"):
            return self.fetch_stack is not None
        return True

    @on(Input.Submitted, "#goroutine-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.text_filter = event.value.strip()
        self.action_close_filter()
        self.reload()


def _frame_line(frame: Stackframe) -> str:
    fn = frame.function.name if frame.function else "?"
    return f"{fn}  {os.path.basename(frame.file) or '?'}:{frame.line}"
