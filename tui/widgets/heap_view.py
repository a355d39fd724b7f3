"""Heap view: where the debuggee's heap goes, from a HeapMonitor's snapshots.

A header (source, age, sampling rate, status), a sparkline of heap in use
over time, and ``go tool pprof -top``'s table of allocation sites with leak
suspects marked. Enter on a site shows the call stacks through it, leaf
first; from a frame, enter asks to open the source and ``b`` to set a
breakpoint there (messages; the host decides what that means).

The monitor calls back whenever its data changes; the view only marks itself
dirty and repaints at most every ``REPAINT_S``. Tables and stacks are built in
thread workers (group "heap") and arrive as messages, so the UI thread never
aggregates a profile.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Sparkline, Static

from godbg_tui.adapters.events import Phase
from godbg_tui.adapters.pprof.history import HeapHistory, HeapSnapshot, HeapSource, LeakSuspect
from godbg_tui.adapters.pprof.monitor import HeapMonitor
from godbg_tui.adapters.pprof.profile import Frame
from godbg_tui.adapters.pprof.report import SAMPLE_TYPES, CallStack, Granularity, NodeKey, TopRow, TopTable, call_stacks, top_table
from godbg_tui.adapters.goroutines import sparkline
from godbg_tui.tui.glyphs import ASCII, glyphs

log = logging.getLogger(__name__)

REPAINT_S = 0.25  # ≤ 4 Hz
AGE_TICK_S = 1.0
MAX_ROWS = 200  # DataTable fills ~0.25 ms a row here; the tail is a rounding error anyway
MAX_STACKS = 50


def format_amount(value: float, unit: str, *, signed: bool = False) -> str:
    """Short amounts, three significant digits: ``1.5MB``, ``12.3k``, ``512kB``; ``+`` on growth when ``signed``."""
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    v = abs(value)
    if unit == "bytes":
        steps, suffixes = 1024.0, ("B", "kB", "MB", "GB", "TB")
    else:
        steps, suffixes = 1000.0, ("", "k", "M", "G", "T")
    i = 0
    while v >= steps and i < len(suffixes) - 1:
        v /= steps
        i += 1
    digits = 0 if i == 0 or v >= 100 else (1 if v >= 10 else 2)
    text = f"{v:.{digits}f}"
    if digits:
        text = text.rstrip("0").rstrip(".")
    return f"{sign}{text}{suffixes[i]}"


def format_age(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def describe_source(snapshot: HeapSnapshot | None) -> str:
    if snapshot is None:
        return HeapSource.COUNTERS.value
    if snapshot.source is HeapSource.HTTP:
        return f"pprof {snapshot.detail}".rstrip()
    return f"{snapshot.source.value} ({snapshot.detail})" if snapshot.detail else snapshot.source.value


def growth_rate(suspect: LeakSuspect) -> str:
    if suspect.bytes_per_second > 0:
        return f"{format_amount(suspect.bytes_per_second, 'bytes', signed=True)}/s"
    if suspect.bytes_per_gc is not None:
        return f"{format_amount(suspect.bytes_per_gc, 'bytes', signed=True)}/GC"
    return format_amount(suspect.growth_bytes, "bytes", signed=True)


@dataclass(frozen=True, slots=True)
class _Inputs:
    """Everything a table build depends on; an unchanged value means no rebuild."""

    latest: HeapSnapshot | None
    previous: HeapSnapshot | None
    baseline: HeapSnapshot | None
    sample_type: str
    granularity: Granularity
    snapshots: int


class HeapStacks(DataTable[Text]):
    """Call stacks through one site, leaf first: a title row per stack, then its frames."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close_stacks", "Back", id="heap.stacks-back"),
        Binding("b", "break_here", "Breakpoint", id="heap.stacks-break"),
    ]

    class Closed(Message):
        """The user left the stacks panel."""

    def __init__(self) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, id="heap-stacks")
        self.frames: list[Frame | None] = []

    def frame_at_cursor(self) -> Frame | None:
        row = self.cursor_row
        return self.frames[row] if 0 <= row < len(self.frames) else None

    def action_close_stacks(self) -> None:
        self.post_message(self.Closed())

    def action_break_here(self) -> None:
        frame = self.frame_at_cursor()
        if frame is None or not frame.file or not frame.line:
            self.notify("put the cursor on a frame with a source line to set a breakpoint", severity="warning")
            return
        self.post_message(HeapView.SetBreakpoint(frame.file, frame.line))


class HeapView(Widget, can_focus=False):
    """The heap view of one HeapMonitor; see the module doc. Call :meth:`changed` from ``on_update``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "cycle_sample_type", "Sample type", id="heap.sample-type"),
        Binding("l", "toggle_granularity", "Func/line", id="heap.granularity"),
        Binding("B", "pin_baseline", "Baseline", id="heap.baseline"),
        Binding("r", "refresh_heap", "Refresh", id="heap.refresh"),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "heap-view--leak",
        "heap-view--growth",
        "heap-view--shrink",
        "heap-view--profiler",
        "heap-view--frame-file",
        "heap-view--stack-title",
    }

    DEFAULT_CSS = """
    HeapView {
        height: 1fr;
        layout: vertical;
        & > .heap-view--leak { color: $text-error; text-style: bold; }
        & > .heap-view--growth { color: $text-warning; }
        & > .heap-view--shrink { color: $text-success; }
        & > .heap-view--profiler { color: $foreground-muted; }
        & > .heap-view--frame-file { color: $text-secondary; }
        & > .heap-view--stack-title { color: $text-primary; text-style: bold; }
        & #heap-header { height: auto; max-height: 3; padding: 0 1; background: $panel; color: $foreground; }
        & #heap-status { height: auto; max-height: 2; padding: 0 1; color: $text-warning; }
        & #heap-status.-empty { display: none; }
        & #heap-spark-box {
            height: 5;
            border: round $primary;
            border-title-color: $text-primary;
            border-subtitle-color: $foreground-muted;
        }
        & Sparkline { height: 3; }
        & Sparkline > .sparkline--max-color { color: $warning; }
        & Sparkline > .sparkline--min-color { color: $primary; }
        & DataTable { height: 1fr; background: $surface; }
        & #heap-stacks { display: none; }
        &.-stacks #heap-stacks { display: block; }
        &.-stacks #heap-top { display: none; }
    }
    """

    class OpenSource(Message):
        """Show ``file`` at ``line`` in the source pane."""

        def __init__(self, file: str, line: int) -> None:
            super().__init__()
            self.file = file
            self.line = line

    class SetBreakpoint(Message):
        """Set a breakpoint at ``file``:``line`` (an allocation site)."""

        def __init__(self, file: str, line: int) -> None:
            super().__init__()
            self.file = file
            self.line = line

    class _TableBuilt(Message):
        def __init__(self, inputs: _Inputs, table: TopTable | None, suspects: list[LeakSuspect], error: str) -> None:
            super().__init__()
            self.inputs = inputs
            self.table = table
            self.suspects = suspects
            self.error = error

    class _StacksBuilt(Message):
        def __init__(self, row: TopRow, stacks: list[CallStack], count: int, unit: str) -> None:
            super().__init__()
            self.row = row
            self.stacks = stacks
            self.count = count
            self.unit = unit

    def __init__(self, monitor: HeapMonitor, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.monitor = monitor
        self.sample_type = SAMPLE_TYPES[0]
        self.granularity = Granularity.FUNCTION
        self.table: TopTable | None = None
        self.suspects: dict[NodeKey, LeakSuspect] = {}
        self.error = ""
        self._dirty = True
        self._header_at = 0.0
        self._built: _Inputs | None = None
        self._building = False
        self._rows: list[TopRow] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="heap-header")
        yield Static("", id="heap-status", classes="-empty")
        with Vertical(id="heap-spark-box") as box:
            box.border_title = "heap in use"
            # Textual's Sparkline draws block characters of its own; in ASCII mode a line of ours.
            yield Static("", id="heap-spark") if glyphs() is ASCII else Sparkline([], id="heap-spark")
        yield DataTable(cursor_type="row", zebra_stripes=False, id="heap-top")
        yield HeapStacks()

    def on_mount(self) -> None:
        top = self.query_one("#heap-top", DataTable)
        top.add_columns("flat", "flat%", "sum%", "cum", "cum%", glyphs().delta, "name")
        top.focus()
        self.set_interval(REPAINT_S, self._tick)
        self._tick()

    # ----- data in -----

    def changed(self) -> None:
        """The monitor has something new; the next tick repaints (coalesced)."""
        self._dirty = True

    def _inputs(self) -> _Inputs:
        history = self.monitor.history
        return _Inputs(
            history.latest,
            history.previous,
            history.baseline,
            self.sample_type,
            self.granularity,
            len(history.snapshots),
        )

    def _tick(self) -> None:
        now = time.monotonic()
        if self._dirty or now - self._header_at >= AGE_TICK_S:
            self._header_at = now
            self._paint_header()
        if self._dirty:
            self._dirty = False
            self._paint_sparkline()
        inputs = self._inputs()
        if inputs != self._built and not self._building:
            self._build(inputs)

    def _build(self, inputs: _Inputs) -> None:
        self._building = True
        # leak_suspects reads the deque; copy it here so the thread never sees it change.
        history = HeapHistory()
        history.snapshots.extend(self.monitor.history.snapshots)

        def work() -> None:
            table, suspects, error = None, [], ""
            try:
                if inputs.latest is not None:
                    table = top_table(
                        inputs.latest.profile,
                        inputs.sample_type,
                        inputs.granularity,
                        previous=inputs.previous.profile if inputs.previous else None,
                        baseline=inputs.baseline.profile if inputs.baseline else None,
                    )
                    suspects = history.leak_suspects(inputs.granularity)
            except Exception as exc:  # a profile we cannot aggregate must not wedge the view
                log.exception("heap table build failed")
                error = f"cannot show {inputs.sample_type}: {exc}"
            self.post_message(self._TableBuilt(inputs, table, suspects, error))

        self.run_worker(work, thread=True, group="heap", name="heap table", exit_on_error=False)

    @on(_TableBuilt)
    def _table_built(self, message: _TableBuilt) -> None:
        message.stop()
        self._building = False
        self._built = message.inputs
        self.table = message.table
        self.suspects = {s.key: s for s in message.suspects}
        self.error = message.error
        with self.app.batch_update():
            self._fill_table()
            self._paint_header()
        if self._inputs() != self._built:
            self._build(self._inputs())

    # ----- painting -----

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def _paint_header(self) -> None:
        monitor = self.monitor
        latest = monitor.history.latest
        parts = [describe_source(latest)]
        if latest is not None:
            parts.append(f"{format_age(latest.age())} ago")
            if latest.num_gc is not None:
                parts.append(f"GC #{latest.num_gc}")
            parts.append(f"1 sample / {format_amount(latest.sampling_rate, 'bytes')}")
            if latest.truncated:
                parts.append("TRUNCATED")
            if latest.source is HeapSource.DELVE and monitor.session.phase == Phase.RUNNING:
                parts.append("stale: taken while stopped")
        parts.append(self.sample_type)
        parts.append("lines" if self.granularity is Granularity.LINE else "functions")
        g = glyphs()
        parts.append(f"{g.delta} vs baseline" if monitor.history.baseline is not None else f"{g.delta} vs previous")
        if self.suspects:
            parts.append(f"{g.leak} {len(self.suspects)} leak suspect{'s' if len(self.suspects) > 1 else ''}")
        self.query_one("#heap-header", Static).update(Text(f" {g.separator} ".join(parts)))
        status = self.error or monitor.busy or monitor.status or self._hint()
        widget = self.query_one("#heap-status", Static)
        widget.update(Text(status))
        widget.set_class(not status, "-empty")

    def _hint(self) -> str:
        if self.monitor.history.latest is not None:
            return ""
        phase = self.monitor.session.phase
        if phase == Phase.RUNNING:
            return "no allocation sites yet: waiting for the program's /debug/pprof/ (or pause it to use the Delve walk)"
        if phase == Phase.STOPPED:
            return "no allocation sites yet: the Delve walk starts on this stop"
        return "no allocation sites: the program is not stopped or running"

    def _paint_sparkline(self) -> None:
        series = self.monitor.history.inuse_series()
        spark = self.query_one("#heap-spark")
        if isinstance(spark, Sparkline):
            spark.data = [float(v) for v in series]
        else:
            assert isinstance(spark, Static)
            spark.update(sparkline(series[-max(spark.size.width, 1):], bars=glyphs().sparkline))
        box = self.query_one("#heap-spark-box")
        if series:
            box.border_subtitle = f"{format_amount(series[-1], 'bytes')} now, max {format_amount(max(series), 'bytes')}"
        else:
            box.border_subtitle = "no counters yet"

    def _fill_table(self) -> None:
        top = self.query_one("#heap-top", DataTable)
        previous_key = self._rows[top.cursor_row].key if 0 <= top.cursor_row < len(self._rows) else None
        top.clear()
        table = self.table
        self._rows = list(table.rows[:MAX_ROWS]) if table is not None else []
        if table is None:
            return
        baseline = self.monitor.history.baseline is not None
        cursor = 0
        for i, row in enumerate(self._rows):
            top.add_row(*self._cells(row, table.unit, baseline))
            if row.key == previous_key:
                cursor = i
        hidden = len(table.rows) - len(self._rows)
        if hidden > 0:
            note = f"{glyphs().ellipsis} {hidden} more sites, none over {format_amount(abs(self._rows[-1].flat), table.unit)} flat"
            top.add_row(*[Text("")] * 6, Text(note, style=self._style("heap-view--profiler")))
        if self._rows:
            top.move_cursor(row=cursor, animate=False)

    def _cells(self, row: TopRow, unit: str, baseline: bool) -> list[Text]:
        muted: Style | None = self._style("heap-view--profiler") if row.profiler else None
        delta = row.delta_base if baseline else row.delta_prev

        def cell(text: str, style: Style | None = None) -> Text:
            return Text(text, style=style or muted or "", justify="right")

        if delta is None or delta == 0:
            delta_cell = cell("")
        else:
            delta_cell = cell(
                format_amount(delta, unit, signed=True),
                self._style("heap-view--growth" if delta > 0 else "heap-view--shrink"),
            )
        name = Text(row.name, style=muted or "")
        suspect = self.suspects.get(row.key)
        if suspect is not None:
            name = Text.assemble(
                (f"{glyphs().leak} ", self._style("heap-view--leak")),
                name,
                (f" {growth_rate(suspect)}", self._style("heap-view--leak")),
            )
        return [
            cell(format_amount(row.flat, unit)),
            cell(f"{row.flat_pct:.1f}%"),
            cell(f"{row.sum_pct:.1f}%"),
            cell(format_amount(row.cum, unit)),
            cell(f"{row.cum_pct:.1f}%"),
            delta_cell,
            name,
        ]

    # ----- drill-down -----

    @on(DataTable.RowSelected, "#heap-top")
    def _site_chosen(self, message: DataTable.RowSelected) -> None:
        message.stop()
        index = message.cursor_row
        latest = self._built.latest if self._built else None
        if latest is None or not 0 <= index < len(self._rows) or self.table is None:
            return
        row, sample_type, granularity, unit = self._rows[index], self.table.sample_type, self.table.granularity, self.table.unit
        profile = latest.profile

        def work() -> None:
            try:
                stacks, count = call_stacks(profile, row.key, sample_type, granularity, limit=MAX_STACKS)
            except Exception as exc:  # reported, not raised into the UI
                log.exception("heap call stacks failed")
                self.notify(f"cannot list the call stacks of {row.name}: {exc}", severity="error")
                return
            self.post_message(self._StacksBuilt(row, stacks, count, unit))

        self.run_worker(work, thread=True, group="heap", name="heap stacks", exit_on_error=False)

    @on(_StacksBuilt)
    def _stacks_built(self, message: _StacksBuilt) -> None:
        message.stop()
        panel = self.query_one(HeapStacks)
        panel.clear(columns=True)
        panel.add_columns("value", "frame")
        panel.frames = []
        title = self._style("heap-view--stack-title")
        file_style = self._style("heap-view--frame-file")
        panel.add_row(Text(""), Text(f"call stacks through {message.row.name}, leaf first (Esc back)", style=title))
        panel.frames.append(None)
        for n, stack in enumerate(message.stacks, 1):
            panel.add_row(
                Text(format_amount(stack.value, message.unit), style=title, justify="right"),
                Text(f"stack {n} of {message.count}", style=title),
            )
            panel.frames.append(None)
            for frame in stack.frames:
                panel.add_row(
                    Text(""),
                    Text.assemble(f"  {frame.function}  ", (f"{frame.file}:{frame.line}", file_style)),
                )
                panel.frames.append(frame)
        if message.count > len(message.stacks):
            panel.add_row(Text(""), Text(f"{glyphs().ellipsis} {message.count - len(message.stacks)} more stacks"))
            panel.frames.append(None)
        self.add_class("-stacks")
        first = next((i for i, f in enumerate(panel.frames) if f is not None), 0)
        panel.move_cursor(row=first, animate=False)
        panel.focus()

    @property
    def showing_stacks(self) -> bool:
        return self.has_class("-stacks")

    @on(HeapStacks.Closed)
    def _stacks_closed(self, message: HeapStacks.Closed) -> None:
        message.stop()
        self.remove_class("-stacks")
        self.query_one("#heap-top", DataTable).focus()

    @on(DataTable.RowSelected, "#heap-stacks")
    def _frame_chosen(self, message: DataTable.RowSelected) -> None:
        message.stop()
        frame = self.query_one(HeapStacks).frame_at_cursor()
        if frame is not None and frame.file:
            self.post_message(self.OpenSource(frame.file, frame.line))

    # ----- actions -----

    def action_cycle_sample_type(self) -> None:
        self.sample_type = SAMPLE_TYPES[(SAMPLE_TYPES.index(self.sample_type) + 1) % len(SAMPLE_TYPES)]
        self.changed()

    def action_toggle_granularity(self) -> None:
        self.granularity = Granularity.LINE if self.granularity is Granularity.FUNCTION else Granularity.FUNCTION
        self.changed()

    def action_pin_baseline(self) -> None:
        history = self.monitor.history
        if history.latest is None:
            self.notify("no heap snapshot yet to pin as the baseline", severity="warning")
            return
        history.pin_baseline()
        self.notify(f"baseline pinned: {glyphs().delta} is now against this snapshot")
        self.changed()

    def action_refresh_heap(self) -> None:
        self.monitor.refresh()
        self.changed()
