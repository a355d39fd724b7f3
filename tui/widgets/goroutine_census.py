"""Goroutine census: every goroutine counted by group, with change and history across stops.

The census walks Delve's goroutine list in chunks on a second connection (see
adapters/goroutines.py), so it runs in a worker while the header shows the count
(a few Evals, immediately) and then the census progress. Only visible rows are
rendered; group members are fetched when a group is expanded, a page at a time.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Input, Static

from godbg_tui.adapters.dlv.types import Goroutine
from godbg_tui.adapters.goroutines import (
    NO_CLOCK,
    CensusCancelled,
    CensusError,
    CensusProgress,
    CensusSnapshot,
    ChannelWaiters,
    GoroutineCensus,
    GoroutineFilters,
    GroupCensus,
    StackBuckets,
    WaitClock,
    goroutine_state,
    group_label,
    longest_waiting_first,
    sparkline,
    to_markdown,
)
from godbg_tui.tui.widgets.cursor_lines import CursorLines, CursorPane, cursor_bindings
from godbg_tui.tui.glyphs import glyphs

GROUPINGS = ("userloc", "curloc", "goloc", "startloc", "label", "running")
MEMBER_PAGE = 100
PROGRESS_INTERVAL_S = 0.25


@dataclass(frozen=True)
class Row:
    """One line of the list: a group, a member, a "… more" link, a bucket, a waiter or a note."""

    kind: str  # group | member | more | bucket | waiter | note
    text: str = ""
    group: GroupCensus | None = None
    goroutine: Goroutine | None = None
    key: str = ""
    next_start: int = -1
    bucket_ids: tuple[int, ...] = ()
    expanded: bool = False


class CensusRows(CursorLines):
    """The Line-API half of GoroutineCensusView: renders the visible rows only."""

    SCOPED_CSS = False  # Textual reads it per class: rules below select on App:ansi and the view's focus
    CURSOR_CLASS = "goroutine-census--cursor"

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "goroutine-census--cursor",
        "goroutine-census--count",
        "goroutine-census--grew",
        "goroutine-census--shrank",
        "goroutine-census--spark",
        "goroutine-census--leak",
        "goroutine-census--member",
        "goroutine-census--note",
    }

    DEFAULT_CSS = """
    CensusRows {
        background: $surface;
        overflow-x: hidden;
        scrollbar-size-vertical: 1;
        & > .goroutine-census--cursor { background: $boost; }
        & > .goroutine-census--count { color: $foreground; text-style: bold; }
        & > .goroutine-census--grew { color: $text-error; }
        & > .goroutine-census--shrank { color: $text-success; }
        & > .goroutine-census--spark { color: $text-accent; }
        & > .goroutine-census--leak { color: $text-warning; text-style: bold; }
        & > .goroutine-census--member { color: $text-secondary; }
        & > .goroutine-census--note { color: $foreground-muted; text-style: italic; }
    }
    GoroutineCensusView:focus > CensusRows > .goroutine-census--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
    }
    App:ansi CensusRows > .goroutine-census--cursor { background: transparent; text-style: reverse; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[Row] = []
        self.group_by = "userloc"
        self.go_version: tuple[int, int, int] = (0, 0, 0)
        self.clock: WaitClock = NO_CLOCK

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def render_row(self, index: int, is_cursor: bool, width: int) -> Strip:
        row = self.rows[index]
        base = self.row_base(is_cursor)
        if row.kind == "group" and row.group is not None:
            segments = self._group_segments(row, base, width)
        elif row.kind in ("member", "waiter") and row.goroutine is not None:
            g = row.goroutine
            indent = "    " if row.kind == "member" else " "
            loc = g.userCurrentLoc
            fn = loc.function.name if loc.function else "?"
            where = f"{os.path.basename(loc.file) or '?'}:{loc.line} {fn}"
            labels = " ".join(f"{k}={v}" for k, v in sorted(g.labels.items())) if g.labels else ""
            waited = self.clock.describe(g)
            state = f"{goroutine_state(g, self.go_version)}, {waited}" if waited else goroutine_state(g, self.go_version)
            if g.threadID:
                state += f", thread {g.threadID}"
            segments = [
                Segment(f"{indent}goroutine {g.id} ", base + self.style_of("goroutine-census--member")),
                Segment(f"[{state}] {where}", base),
                Segment(f"  {labels}" if labels else "", base + self.style_of("goroutine-census--member")),
            ]
        else:
            style = "goroutine-census--count" if row.kind == "bucket" else "goroutine-census--note"
            segments = [Segment(row.text, base + self.style_of(style))]
        return Strip(segments).crop_extend(0, width, base)

    def _group_segments(self, row: Row, base: RichStyle, width: int) -> list[Segment]:
        group = row.group
        assert group is not None
        spark_width = 8 if width < 120 else 20
        delta = "" if group.delta is None or group.delta == 0 else f"{group.delta:+,}"
        delta_style = "goroutine-census--grew" if (group.delta or 0) > 0 else "goroutine-census--shrank"
        g = glyphs()
        arrow = g.tree_expanded if row.expanded else g.tree_collapsed
        return [
            Segment(arrow, base),
            Segment(f"{group.total:>9,} ", base + self.style_of("goroutine-census--count")),
            Segment(f"{delta:>8} ", base + self.style_of(delta_style)),
            Segment(f"{sparkline(group.history[-spark_width:], g.sparkline):<{spark_width}} ", base + self.style_of("goroutine-census--spark")),
            Segment(f"{g.warning} " if group.leak_suspect else "  ", base + self.style_of("goroutine-census--leak")),
            Segment(group_label(group.key, self.group_by), base),
        ]


class GoroutineCensusView(CursorPane):
    """Census of a stopped target's goroutines by group, for one GoroutineCensus.

    ``take()`` after each stop (cancels any census in flight, shows the count at
    once, then progress, then the groups); ``clear()`` while the target runs.
    Properties: ``snapshot`` (the last complete census or None), ``group_by``,
    ``label_key``, ``filters``, ``header_text``, ``rows_view`` (the Line-API child),
    ``mode`` (groups | buckets | waiters), ``last_export`` (path of the last export).

    Message: ``Selected(goroutine_id)`` on enter on a member, waiter or bucket.
    Keys: 1-6 group by userloc/curloc/goloc/startloc/label KEY/running, G cycles;
    u (or U) user-only; / typed filter (GoroutineFilters.parse: location words, -word
    excludes, k=v labels, :running/:parked); l label k=v filter;
    r running → parked → any; w members longest waiting first (says whether durations
    or only the waitSince order are known); enter expand a group / page / select;
    s identical-stack buckets; c waiters of a channel; e export to Markdown;
    escape back to the groups (or closes a prompt). Workers: group "census"
    (exclusive) for the census and its follow-ups, cancelled by take/clear.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *cursor_bindings("census"),
        Binding("enter", "activate", "Expand/select", id="census.activate",
                tooltip="Expand a group, load more members, or switch to a goroutine"),
        *(
            Binding(str(i + 1), f"group_by('{name}')", f"By {name}", show=False, id=f"census.group-{name}")
            for i, name in enumerate(GROUPINGS)
        ),
        Binding("G", "cycle_grouping", "Grouping", id="census.cycle-grouping",
                tooltip=f" {glyphs().arrow_right} ".join(("Group by user location", "current", "go statement", "start", "label", "running"))),
        Binding("u,U", "toggle_user", "User only", id="census.user-only",
                tooltip="Count only user goroutines, or runtime ones too"),
        Binding("slash", "prompt('filter')", "Filter", id="census.filter",
                tooltip="Only goroutines whose user location contains words (-word: does not)"),
        Binding("l", "prompt('labelfilter')", "Label", id="census.label-filter",
                tooltip="Only goroutines with a pprof label k=v (or key k)"),
        Binding("r", "cycle_running", "Running", id="census.running",
                tooltip=f" {glyphs().arrow_right} ".join(("Any goroutine", "running only", "parked only"))),
        Binding("w", "toggle_wait_order", "Wait order", id="census.wait-order",
                tooltip="Members longest waiting first, or in Delve's order"),
        Binding("s", "stack_buckets", "Stacks", id="census.stacks",
                tooltip=f"Goroutines with identical whole stacks, {glyphs().times}N"),
        Binding("c", "prompt('channel')", "Channel", id="census.channel",
                tooltip="Goroutines blocked on a channel expression"),
        Binding("e", "export", "Export", id="census.export", tooltip="Write the census to a Markdown file"),
        Binding("escape", "back", "Back", show=False, id="census.back"),
    ]

    DEFAULT_CSS = """
    GoroutineCensusView {
        & > #census-header { height: auto; max-height: 2; padding: 0 1; background: $panel; color: $foreground; }
    }
    """

    class Selected(Message):
        """The user chose a goroutine to switch to."""

        def __init__(self, goroutine_id: int) -> None:
            super().__init__()
            self.goroutine_id = goroutine_id

    def __init__(self, census: GoroutineCensus, *, id: str | None = None, classes: str | None = None) -> None:
        rows = CensusRows()
        super().__init__(rows, id=id, classes=classes)
        self._rows = rows
        self.census = census
        self.group_by = "userloc"
        self.label_key = ""
        self.user_only = True
        self.location_filter = ""
        self.label_filter = ""
        self.running_filter: bool | None = None
        self.wait_order = False
        self.snapshot: CensusSnapshot | None = None
        self.buckets: StackBuckets | None = None
        self.waiters: ChannelWaiters | None = None
        self.mode = "groups"
        self.last_export: Path | None = None
        self.header_text = ""
        self._status = ""
        self._expanded: dict[str, tuple[list[Goroutine], int]] = {}
        self._progress: CensusProgress | None = None
        self._progress_due = False
        self._count_text = ""
        self._prompt_kind = ""
        self._pending_channel = ""
        self._header = Static(id="census-header")
        self._prompt = Input(id="census-prompt", classes="pane-prompt")

    def compose(self) -> ComposeResult:
        yield self._header
        yield self._rows
        yield self._prompt

    @property
    def rows_view(self) -> CensusRows:
        return self._rows

    @property
    def filters(self) -> GoroutineFilters:
        typed = GoroutineFilters.parse(self.location_filter, user_only=self.user_only)
        return GoroutineFilters(
            user_only=self.user_only,
            with_locations=typed.with_locations,
            without_locations=typed.without_locations,
            labels=typed.labels + ((self.label_filter,) if self.label_filter else ()),
            running=self.running_filter if self.running_filter is not None else typed.running,
        )

    # ----- census -----

    def take(self) -> None:
        """Count again (the target stopped, or the grouping or filters changed)."""
        self._reset(f"counting{glyphs().ellipsis}")
        self.run_worker(self._take(), group="census", exclusive=True, name="goroutine census")

    def clear(self, note: str = "the program is running: the census is taken at the next stop") -> None:
        self._reset(note)

    def _reset(self, status: str) -> None:
        """Cancel what is in flight and forget the last census and its follow-ups."""
        self._cancel()
        self._pending_channel = ""
        self.snapshot = None
        self.buckets = None
        self.waiters = None
        self.mode = "groups"
        self._expanded.clear()
        self._progress = None
        self._rows.go_version = self.census.go_version
        self._set_status(status)
        self._rebuild()

    def _cancel(self) -> None:
        self.workers.cancel_group(self, "census")
        self.census.cancel()

    async def _take(self) -> None:
        try:
            count = await self.census.count()
            self._count_text = count.describe()
            self._set_status(f"{self._count_text} {glyphs().separator} grouping{glyphs().ellipsis}")
            snapshot = await self.census.take(
                self.group_by, label_key=self.label_key, filters=self.filters, progress=self._on_progress
            )
        except CensusCancelled:
            self._set_status("census cancelled: the program resumed")
            return
        except CensusError as exc:
            self._set_status(f"census failed: {exc}")
            return
        self._progress = None
        self.snapshot = snapshot
        self._set_status(self._summary(snapshot))
        self._rebuild()
        if self._pending_channel:
            self.call_later(self.show_channel_waiters, self._pending_channel)

    def _on_progress(self, progress: CensusProgress) -> None:
        """Coalesced: the header is repainted at most every PROGRESS_INTERVAL_S."""
        self._progress = progress
        if not self._progress_due:
            self._progress_due = True
            self.set_timer(PROGRESS_INTERVAL_S, self._show_progress)

    def _show_progress(self) -> None:
        self._progress_due = False
        progress = self._progress
        if progress is not None and self.snapshot is None:
            g = glyphs()
            self._set_status(f"{self._count_text} {g.separator} grouping{g.ellipsis} {progress.scanned:,} / {progress.slots:,}")

    def _summary(self, snapshot: CensusSnapshot) -> str:
        groups = len([g for g in snapshot.groups if g.total])
        suspects = len(snapshot.leak_suspects)
        g = glyphs()
        leak = f" {g.separator} {g.warning} {suspects} leak suspect{'s' if suspects != 1 else ''}" if suspects else ""
        total = f"{snapshot.total:,} goroutine{'s' if snapshot.total != 1 else ''}"
        return f"{total} in {groups:,} group{'s' if groups != 1 else ''}{leak} ({snapshot.elapsed_s:.1f} s)"

    def _set_status(self, text: str) -> None:
        self._status = text
        self._update_header()

    def _update_header(self) -> None:
        by = f"label {self.label_key}" if self.group_by == "label" else self.group_by
        sep = f" {glyphs().separator} "
        order = f"{sep}{self._wait_order_note()}" if self.wait_order else ""
        self.header_text = f"{self._status}\nby {by}{sep}{self.filters.describe()}{sep}mode {self.mode}{order}"
        self._header.update(self.header_text)

    # ----- rows -----

    def _wait_order_note(self) -> str:
        """Which wait ordering the members have: with durations, or by waitSince alone."""
        clock = self.snapshot.clock if self.snapshot is not None else NO_CLOCK
        kind = "durations from our clock" if clock.absolute else "order by waitSince only"
        return f"longest waiting first ({kind})"

    def _rebuild(self) -> None:
        rows: list[Row] = []
        if self.mode == "buckets" and self.buckets is not None:
            rows.append(Row("note", f" {self.buckets.note}"))
            g = glyphs()
            approx = "" if self.buckets.exact else g.approx
            for b in self.buckets.buckets:
                top = b.frames[0][0] if b.frames else "?"
                rows.append(
                    Row("bucket", f" {g.times}{approx}{b.count:,}  {group_label(b.group_key, self.group_by)}  [{top}]",
                        key=b.group_key, bucket_ids=b.goroutine_ids)
                )
                rows += [Row("note", f"     {fn}  {os.path.basename(file)}:{line}") for fn, file, line in b.frames[:6]]
        elif self.mode == "waiters" and self.waiters is not None:
            more = " (more not shown)" if self.waiters.truncated else ""
            rows.append(Row("note", f" {len(self.waiters.goroutines):,} waiting on {self.waiters.expr}{more}"))
            rows += [Row("waiter", goroutine=g) for g in self.waiters.goroutines]
        elif self.snapshot is not None:
            for group in self.snapshot.groups:
                expanded = self._expanded.get(group.key)
                rows.append(Row("group", group=group, key=group.key, expanded=expanded is not None))
                if expanded is not None:
                    members, next_start = expanded
                    if self.wait_order:
                        members = longest_waiting_first(members)
                    rows += [Row("member", goroutine=g, key=group.key) for g in members]
                    if next_start >= 0:
                        shown = f"{len(members):,} of {group.total:,}"
                        rows.append(Row("more", f"    {glyphs().ellipsis} more ({shown}; enter loads {MEMBER_PAGE})",
                                        key=group.key, next_start=next_start))
            if self.snapshot.other_groups:
                rows.append(Row("note", f" {self.snapshot.other_groups:,} further groups "
                                        f"({self.snapshot.other_total:,} goroutines) not listed"))
        self._rows.rows = rows
        self._rows.group_by = self.group_by
        self._rows.clock = self.snapshot.clock if self.snapshot is not None else NO_CLOCK
        self._rows.changed()
        self._update_header()

    @property
    def cursor_row(self) -> Row | None:
        rows = self._rows
        return rows.rows[rows.cursor] if rows.rows else None

    # ----- actions -----

    def action_activate(self) -> None:
        row = self.cursor_row
        if row is None:
            return
        if row.kind in ("member", "waiter") and row.goroutine is not None:
            self.post_message(self.Selected(row.goroutine.id))
        elif row.kind == "bucket" and row.bucket_ids:
            self.post_message(self.Selected(row.bucket_ids[0]))
        elif row.kind == "group" and row.group is not None:
            if row.key in self._expanded:
                del self._expanded[row.key]
                self._rebuild()
            else:
                self._load_members(row.key, 0)
        elif row.kind == "more":
            self._load_members(row.key, row.next_start)

    def _load_members(self, key: str, start: int) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return

        async def load() -> None:
            try:
                page = await self.census.group_members(key, snapshot, start=start, limit=MEMBER_PAGE)
            except CensusError as exc:
                self.notify(f"could not list the group's members: {exc}", severity="error")
                return
            if self.snapshot is not snapshot:
                return
            members = self._expanded.get(key, ([], 0))[0] if start else []
            self._expanded[key] = (members + list(page.goroutines), page.next_start)
            self._rebuild()

        self.run_worker(load(), group="census", exclusive=True, name="census members")

    def action_group_by(self, name: str) -> None:
        if name == "label":
            self.action_prompt("label")
            return
        self.group_by = name
        self.take()

    def action_cycle_grouping(self) -> None:
        self.action_group_by(GROUPINGS[(GROUPINGS.index(self.group_by) + 1) % len(GROUPINGS)])

    def action_toggle_user(self) -> None:
        self.user_only = not self.user_only
        self.take()

    def action_cycle_running(self) -> None:
        """Any goroutine → only running ones (on a thread) → only parked ones → any."""
        self.running_filter = {None: True, True: False, False: None}[self.running_filter]
        self.take()

    def action_toggle_wait_order(self) -> None:
        """Members of expanded groups in Delve's order, or longest waiting first (as loaded)."""
        self.wait_order = not self.wait_order
        if self.wait_order:
            clock = self.snapshot.clock if self.snapshot is not None else NO_CLOCK
            self.notify(f"expanded groups' loaded members, longest waiting first: {clock.source}")
        self._rebuild()

    def action_prompt(self, kind: str) -> None:
        self._prompt_kind = kind
        self._prompt.placeholder = {
            "filter": "location words, -word excludes, k=v label, :running/:parked (Enter apply, empty clears)",
            "labelfilter": "only goroutines with label k=v, or with key k (Enter apply, empty clears)",
            "channel": "channel expression, e.g. main.jobs (Enter list waiters, Esc cancel)",
            "label": "label key to group by, e.g. tenant (Enter apply, Esc cancel)",
        }[kind]
        self._prompt.value = {
            "filter": self.location_filter, "label": self.label_key, "labelfilter": self.label_filter
        }.get(kind, "")
        self._prompt.add_class("-open")
        self._prompt.focus()

    def _close_prompt(self) -> None:
        self._prompt.remove_class("-open")
        self.focus()

    @on(Input.Submitted, "#census-prompt")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        self._close_prompt()
        if self._prompt_kind == "filter":
            self.location_filter = value
            self.take()
        elif self._prompt_kind == "labelfilter":
            self.label_filter = value
            self.take()
        elif self._prompt_kind == "label" and value:
            self.group_by, self.label_key = "label", value
            self.take()
        elif self._prompt_kind == "channel" and value:
            self.show_channel_waiters(value)

    def action_back(self) -> None:
        if self._prompt.has_class("-open"):
            self._close_prompt()
        else:
            self.mode = "groups"
            self._rebuild()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return self._prompt.has_class("-open") or self.mode != "groups"
        return True

    def _run_follow_up(self, name: str, work: Callable[..., Awaitable[None]], *args: object) -> None:
        if self.snapshot is None:
            self.notify("wait for the census to finish first", severity="warning")
            return
        self.run_worker(work(*args), group="census", exclusive=True, name=name)

    def action_stack_buckets(self) -> None:
        if self.mode == "buckets":
            self.action_back()
            return
        self._run_follow_up("stack buckets", self._stack_buckets)

    async def _stack_buckets(self) -> None:
        self._set_status(f"reading stacks{glyphs().ellipsis}")
        try:
            self.buckets = await self.census.stack_buckets(self.snapshot)
        except CensusError as exc:
            self._set_status(f"could not read stacks: {exc}")
            return
        self._show_mode("buckets")

    def show_channel_waiters(self, expr: str) -> None:
        """List the goroutines blocked on a channel expression; after the census if one is being taken."""
        if self.snapshot is None:
            self._pending_channel = expr
            self._set_status(f"{self._status} {glyphs().separator} then the waiters on {expr}")
            return
        self._pending_channel = ""
        self.run_worker(self._channel(expr), group="census", exclusive=True, name="channel waiters")

    async def _channel(self, expr: str) -> None:
        self._set_status(f"looking for goroutines waiting on {expr}{glyphs().ellipsis}")
        try:
            self.waiters = await self.census.channel_waiters(expr)
        except CensusError as exc:
            self._set_status(f"could not list waiters: {exc}")
            return
        self._show_mode("waiters")

    def _show_mode(self, mode: str) -> None:
        """Switch the rows to a follow-up's result (buckets or waiters), cursor on top."""
        self.mode = mode
        self._rows.cursor = 0
        self._rebuild()
        self._set_status(self._summary(self.snapshot) if self.snapshot else "")

    def action_export(self) -> None:
        self._run_follow_up("census export", self._export)

    async def _export(self) -> None:
        snapshot = self.snapshot
        assert snapshot is not None
        try:
            with_stacks = await self.census.with_stacks(snapshot)
        except CensusError as exc:
            self.notify(f"exporting without stacks: {exc}", severity="warning")
            with_stacks = snapshot
        text = to_markdown(with_stacks, self.buckets)
        path = Path.cwd() / f"goroutine-census-{time.strftime('%Y%m%d-%H%M%S')}.md"
        try:
            await asyncio.to_thread(_write_atomically, path, text)
        except OSError as exc:
            self.notify(f"could not write {path}: {exc.strerror or exc}; check the directory is writable",
                        severity="error")
            return
        self.last_export = path
        self.notify(f"census written to {path}")



def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path`` and rename it, so no half file is ever seen."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
