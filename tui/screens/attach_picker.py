"""Pick a running process to attach Delve to: type to filter, Enter to attach."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.processes import ProcessInfo, attach_warning, list_processes

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
        parts.append(("·".ljust(_GO_WIDTH), base))
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
    AttachPicker > #dialog {
        width: 120;
        max-width: 100%;
        height: 100%;
        max-height: 50;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    AttachPicker #title { text-style: bold; width: 100%; }
    AttachPicker #filter { border: none; height: 1; padding: 0 1; margin-bottom: 1; }
    AttachPicker #columns { color: $text-muted; text-style: bold; }
    AttachPicker OptionList { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    AttachPicker #status { height: auto; max-height: 3; color: $text-muted; }
    AttachPicker #status.-warning { color: $text-warning; }
    AttachPicker #status.-error { color: $text-error; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="attach.cancel"),
        Binding("enter", "choose", "Attach", id="attach.choose", priority=True),
        Binding("f5,ctrl+r", "refresh", "Refresh", id="attach.refresh", key_display="F5"),
        Binding("down", "move('cursor_down')", "Down", show=False, id="attach.down"),
        Binding("up", "move('cursor_up')", "Up", show=False, id="attach.up"),
        Binding("pagedown", "move('page_down')", "Page down", show=False, id="attach.page-down"),
        Binding("pageup", "move('page_up')", "Page up", show=False, id="attach.page-up"),
    ]

    AUTO_FOCUS = "#filter"

    def __init__(self, *, exclude: set[int] | None = None) -> None:
        super().__init__()
        self.exclude = set(exclude or ())
        self.processes: list[ProcessInfo] = []
        self.shown: list[ProcessInfo] = []
        self.matched = 0
        self.loaded = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Attach to a process", id="title")
            yield Input(placeholder="filter by pid, user, Go version or command", id="filter")
            yield Static(f"{'PID':>7} {'USER':<{_USER_WIDTH}} {'GO':<{_GO_WIDTH}} COMMAND", id="columns")
            yield OptionList(id="processes")
            yield Static("reading /proc…", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False
        self.load_processes()

    @work(group="processes", exclusive=True, exit_on_error=False)
    async def load_processes(self) -> None:
        try:
            self.processes = await list_processes(exclude=self.exclude)
        except OSError as exc:
            self._set_status(f"could not read the process list: {exc}", "-error")
            return
        self.loaded = True
        self._show()

    def _show(self, keep_pid: int | None = None) -> None:
        option_list = self.query_one(OptionList)
        if keep_pid is None and option_list.highlighted is not None and self.shown:
            keep_pid = self.shown[option_list.highlighted].pid
        words = self.query_one("#filter", Input).value.lower().split()
        exact = {int(word) for word in words if word.isdigit()}
        found = sorted((p for p in self.processes if matches(p, words)), key=lambda p: p.pid not in exact)
        self.matched = len(found)
        self.shown = found[:MAX_ROWS]
        option_list.set_options(Option(process_row(p)) for p in self.shown)
        pids = [p.pid for p in self.shown]
        if self.shown:
            option_list.highlighted = pids.index(keep_pid) if keep_pid in pids else 0
        self._describe_highlighted()

    def _describe_highlighted(self) -> None:
        process = self.highlighted_process
        go_count = sum(p.is_go for p in self.shown)
        summary = f"{len(self.shown)} of {len(self.processes)} processes, {go_count} Go"
        if self.matched > len(self.shown):
            summary += f"; {self.matched - len(self.shown)} more match: type to narrow"
        if process is None:
            self._set_status(f"{summary}; nothing matches the filter" if self.processes else summary, "")
        elif process.traced:
            self._set_status(f"pid {process.pid} is {process.traced_by()}", "-warning")
        elif warning := attach_warning(process):
            self._set_status(warning, "-warning")
        else:
            self._set_status(summary, "")

    def _set_status(self, text: str, kind: str) -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_classes(kind)

    @property
    def highlighted_process(self) -> ProcessInfo | None:
        index = self.query_one(OptionList).highlighted
        return self.shown[index] if index is not None and index < len(self.shown) else None

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        if self.loaded:
            self._show()

    @on(OptionList.OptionHighlighted)
    def _highlight_changed(self) -> None:
        self._describe_highlighted()

    @on(OptionList.OptionSelected)
    def _clicked(self) -> None:
        self.action_choose()

    def action_move(self, action: str) -> None:
        getattr(self.query_one(OptionList), f"action_{action}")()

    def action_refresh(self) -> None:
        self._set_status("reading /proc…", "")
        self.load_processes()

    def action_choose(self) -> None:
        process = self.highlighted_process
        if process is None:
            self.app.bell()
            return
        if process.traced:
            self._set_status(
                f"cannot attach: pid {process.pid} is {process.traced_by()}; a process can have only one "
                "debugger, so detach or quit that one first",
                "-error",
            )
            return
        self.dismiss(LaunchSpec(mode="attach", pid=process.pid))

    def action_cancel(self) -> None:
        self.dismiss(None)
