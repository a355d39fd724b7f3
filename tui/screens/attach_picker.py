"""Pick a running process to attach Delve to: type to filter, Enter to attach."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.processes import ProcessInfo, attach_warning, list_processes
from godbg_tui.tui.widgets.filter_list import FilterList, PickerFrame
from godbg_tui.tui.glyphs import glyphs

_USER_WIDTH = 8
_GO_WIDTH = 9
MAX_ROWS = 200  # OptionList measures every row on each filter keystroke; more is only scrolling


def process_row(process: ProcessInfo) -> Content:
    """One list line: pid, user, Go version (or ·), command, and trouble markers.

    Go processes are in normal text with their version highlighted; others
    (including ones whose executable we may not read) are dimmed.
    """
    user = process.user[:_USER_WIDTH].ljust(_USER_WIDTH)
    base = "" if process.is_go else "$foreground-muted"
    parts: list[str | tuple[str, str]] = [(f"{process.pid:>7} {user} ", base)]
    if process.is_go:
        parts.append((process.go_version.ljust(_GO_WIDTH), "$text-success"))
    else:
        parts.append((glyphs().separator.ljust(_GO_WIDTH), base))
    parts.append(" ")
    if process.traced:
        parts.append((f"[{process.traced_by()}] ", "$text-warning"))
    elif process.is_go and not process.build.has_debug_info:
        parts.append(("[no debug info] ", "$text-warning"))
    parts.append((process.command, base))
    return Content.assemble(*parts)


def matches(process: ProcessInfo, words: list[str]) -> bool:
    """Every word of the filter appears in the pid, user, Go version, command line or tracer."""
    haystack = f"{process.pid} {process.user} {process.go_version or ''} {process.command} {process.traced_by()}"
    haystack = haystack.lower()
    return all(word in haystack for word in words)


def narrow(processes: Sequence[ProcessInfo], words: list[str]) -> list[ProcessInfo]:
    """The processes matching every word, a word that is exactly a pid putting that process on top."""
    exact = {int(word) for word in words if word.isdigit()}
    return sorted((p for p in processes if matches(p, words)), key=lambda p: p.pid not in exact)


class AttachPicker(ModalScreen[LaunchSpec | None]):
    """Choose a process to attach to.

    Dismisses with ``LaunchSpec(mode="attach", pid=…)`` on Enter, or None on
    Escape. Enter on a process some debugger already traces explains that
    instead of dismissing (a process has at most one tracer). The list comes
    from :func:`godbg_tui.adapters.processes.list_processes` (a thread), Go
    programs first; a filter word that is exactly a pid puts that process on
    top. F5 / ctrl+r reads it again, keeping the highlighted pid.
    ``exclude`` hides pids (say, the target of the running session).
    """

    DEFAULT_CSS = """
    AttachPicker { align: center middle; }
    AttachPicker > PickerFrame { width: 120; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="attach.cancel"),
        Binding("enter", "choose", "Attach", id="attach.choose", priority=True),
        Binding("f5,ctrl+r", "refresh", "Refresh", id="attach.refresh", key_display="F5"),
    ]

    AUTO_FOCUS = "#filter"

    def __init__(self, *, exclude: set[int] | None = None) -> None:
        super().__init__()
        self.exclude = set(exclude or ())
        self.processes: list[ProcessInfo] = []
        self.loaded = False

    def compose(self) -> ComposeResult:
        with PickerFrame("Attach to a process"):
            yield FilterList(
                narrow=narrow,
                render=lambda shown: map(process_row, shown),
                placeholder="filter by pid, user, Go version or command",
                header=f"{'PID':>7} {'USER':<{_USER_WIDTH}} {'GO':<{_GO_WIDTH}} COMMAND",
                limit=MAX_ROWS,
                key=lambda p: p.pid,
                id="processes",
            )
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(PickerFrame).set_status(f"reading /proc{glyphs().ellipsis}")
        self.load_processes()

    @property
    def filter_list(self) -> FilterList[ProcessInfo]:
        return self.query_one(FilterList)

    @property
    def shown(self) -> list[ProcessInfo]:
        return self.filter_list.shown

    @property
    def matched(self) -> int:
        return self.filter_list.matched

    @property
    def highlighted_process(self) -> ProcessInfo | None:
        return self.filter_list.highlighted_item

    @work(group="processes", exclusive=True, exit_on_error=False)
    async def load_processes(self) -> None:
        try:
            self.processes = await list_processes(exclude=self.exclude)
        except OSError as exc:
            self.query_one(PickerFrame).set_status(f"could not read the process list: {exc}", "-error")
            return
        self.loaded = True
        self.filter_list.set_items(self.processes)

    @on(FilterList.Changed)
    @on(FilterList.Highlighted)
    def _describe_highlighted(self) -> None:
        if not self.loaded:
            return
        frame = self.query_one(PickerFrame)
        process = self.highlighted_process
        go_count = sum(p.is_go for p in self.shown)
        summary = f"{len(self.shown)} of {len(self.processes)} processes, {go_count} Go"
        if self.matched > len(self.shown):
            summary += f"; {self.matched - len(self.shown)} more match: type to narrow"
        if process is None:
            frame.set_status(f"{summary}; nothing matches the filter" if self.processes else summary)
        elif process.traced:
            frame.set_status(f"pid {process.pid} is {process.traced_by()}", "-warning")
        elif warning := attach_warning(process):
            frame.set_status(warning, "-warning")
        else:
            frame.set_status(summary)

    @on(FilterList.Chosen)
    def _clicked(self) -> None:
        self.action_choose()

    def action_refresh(self) -> None:
        self.query_one(PickerFrame).set_status(f"reading /proc{glyphs().ellipsis}")
        self.load_processes()

    def action_choose(self) -> None:
        process = self.highlighted_process
        if process is None:
            self.app.bell()
            return
        if process.traced:
            self.query_one(PickerFrame).set_status(
                f"cannot attach: pid {process.pid} is {process.traced_by()}; a process can have only one "
                "debugger, so detach or quit that one first",
                "-error",
            )
            return
        self.dismiss(LaunchSpec(mode="attach", pid=process.pid))

    def action_cancel(self) -> None:
        self.dismiss(None)
