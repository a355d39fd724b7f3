"""The debugger screen: source, side panes, console, command line, status bar and footer.

Session events arrive as ``SessionEvent`` messages. A stop also reaches the screen's
own session listener first, which starts one ``refresh`` task fetching what the
*visible* panes need: stack of the selected goroutine (its request on the wire before
anything else runs), the frame's arguments and locals (one request), watches, first
goroutine page. Meanwhile the stop's SessionEvent draws what needs no RPC (status,
console, source line, breakpoint marks). A newer stop cancels an older refresh;
hidden panes are marked stale and fetch when shown.
User intent becomes session calls in workers (group "session"), each timed for
the status bar's spinner.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Tab, Tabs

from godbg_tui.adapters import events as ev
from godbg_tui.adapters.commands import CommandError, CommandResult
from godbg_tui.adapters.dlv.client import DelveError, ListGoroutinesOut
from godbg_tui.adapters.dlv.types import Breakpoint, Goroutine, ListGoroutinesFilter, LoadConfig, Location, Variable
from godbg_tui.adapters.session import DebugSession, SessionError
from godbg_tui.adapters.store import ProjectState
from godbg_tui.adapters.values import summary
from godbg_tui.tui.glyphs import glyphs
from godbg_tui.tui.widgets.breakpoints_pane import BreakpointsPane
from godbg_tui.tui.widgets.command_line import CommandLine
from godbg_tui.tui.widgets.console_pane import ConsolePane
from godbg_tui.tui.widgets.goroutine_list import GoroutineList
from godbg_tui.tui.widgets.source_view import SourceView
from godbg_tui.tui.widgets.stack_pane import StackPane, frame_function
from godbg_tui.tui.widgets.status_bar import KeyBar, StatusBar
from godbg_tui.tui.widgets.variables_tree import VariablesTree
from godbg_tui.tui.widgets.watches_pane import WatchesPane, WatchResult

if TYPE_CHECKING:
    from godbg_tui.adapters.dlv.types import Stackframe
    from godbg_tui.adapters.goroutines import GoroutineCensus, GoroutineCount
    from godbg_tui.tui.app import GodbgApp
    from godbg_tui.tui.screens.heap import HeapResult

# The census, heap and value-viewer screens (and the pprof decoder behind the heap view) are
# imported when first opened: a debugging session that never opens them starts sooner.

CALL_TIMEOUT_S = 30.0
BINDINGS_REFRESH_S = 0.15
RUNNING_SHOWN_AFTER_S = 0.1
STACK_DEPTH = 50
SIDE_PANES = ("stack", "goroutines", "variables", "watches", "breakpoints")
PANE_TITLES = {
    "source": "Source",
    "stack": "Stack",
    "goroutines": "Goroutines",
    "variables": "Variables",
    "watches": "Watches",
    "breakpoints": "Breakpoints",
    "console": "Console",
}
TAB_TITLES = {"stack": "Stack", "goroutines": "Gor", "variables": "Vars", "watches": "Watch", "breakpoints": "Bps"}
FOCUS_KEYS = {"source": "1", "stack": "2", "goroutines": "3", "variables": "4", "watches": "5", "breakpoints": "6", "console": "7"}
WIDE_AT = 160
CONSOLE_HEIGHTS = (4, 30)
SIDE_WIDTHS = (24, 120)


class SessionEvent(Message):
    """One DebugSession event, delivered on the UI loop.

    ``by_command``: it happened while a command ran, whose output will describe it.
    """

    def __init__(self, event: ev.Event, by_command: bool = False):
        super().__init__()
        self.event = event
        self.by_command = by_command


def describe_stop(stop: ev.Stopped) -> str:
    """Why the program stopped, as the status bar says it."""
    reason = stop.reason
    bp = stop.hits[0].breakpoint if stop.hits else None
    if reason == "breakpoint" and bp is not None:
        name = f" {bp.name}" if bp.name else ""
        times = "time" if bp.totalHitCount == 1 else "times"
        return f"breakpoint {bp.id}{name} hit {bp.totalHitCount} {times}"
    if reason == "watchpoint" and bp is not None:
        return f"watchpoint on {bp.WatchExpr}"
    return {
        "manual": "paused",
        "step": "step done",
        "entry": "at entry",
        "panic": "panic",
        "fatal": "fatal error",
        "call": "call returned",
        "condition-error": "breakpoint condition failed",
        "attached": "attached",
        "core": "core dump",
        "connected": "connected",
    }.get(reason, reason)


def location_text(loc: Location | None) -> str:
    if loc is None:
        return "unknown location"
    fn = loc.function.name if loc.function and loc.function.name else f"0x{loc.pc:x}"
    return f"{fn}() {os.path.basename(loc.file)}:{loc.line}" if loc.file else f"{fn}()"


_GO_WRAPPER = re.compile(r"\.gowrap\d+$")


def goroutine_note(g: Goroutine) -> str:
    """A warning for switching to a goroutine where `next` would not do what it seems to.

    A goroutine that has not run yet sits at the entry of its go statement's wrapper
    (``main.startWorkers.gowrap1``): next steps over the call that *is* its whole body, and
    never stops if that body loops forever. In runtime code next and step walk the runtime.
    """
    loc = g.currentLoc
    name = loc.function.name if loc.function else ""
    where = location_text(g.userCurrentLoc) if g.userCurrentLoc.function else ""
    if _GO_WRAPPER.search(name) and not g.threadID:
        body = location_text(g.startLoc) if g.startLoc.function else "its function"
        return (f"goroutine {g.id} has not started yet: next would run its whole body ({body}) and "
                "stops only if that returns; s steps into it, or set a breakpoint in it and continue")
    if name.startswith(("runtime.", "runtime/")) and where and g.userCurrentLoc.pc != loc.pc:
        return (f"goroutine {g.id} is in runtime code ({name}): next and step walk the runtime; "
                f"its own code is at {where}: set a breakpoint there and continue")
    return ""


def breakpoint_mark(bp: Breakpoint) -> str:
    if bp.disabled:
        return "disabled"
    if bp.tracepoint:
        return "tracepoint"
    if bp.Cond or bp.HitCond:
        return "conditional"
    return "enabled"


def debug_key(
    fkey: str | None,
    letters: str | None,
    action: str,
    description: str,
    binding_id: str,
    *,
    show: bool = True,
    tooltip: str = "",
) -> list[Binding]:
    """An action's F-key binding (works everywhere) and its letter twin (not while typing).

    Both are priority bindings so no pane can shadow them; the letter twin goes through
    ``letter(action)`` so check_action can let the key through to a focused Input.
    """
    shift = glyphs().shift
    display = {"f5": "F5", "f9": "F9", "f10": "F10", "f11": "F11", "f1": "F1", "shift+f5": f"{shift}F5", "shift+f11": f"{shift}F11"}
    first_letter = (letters or "").split(",")[0]
    letter_display = {"colon": ":", "question_mark": "?"}.get(first_letter, first_letter)
    bindings = []
    if fkey:
        bindings.append(
            Binding(fkey, action, description, key_display=display.get(fkey, fkey),
                    id=binding_id, priority=True, show=show, tooltip=tooltip)
        )
    if letters:
        bindings.append(
            Binding(letters, f"letter({action!r})", description, key_display=letter_display,
                    id=f"{binding_id}.letter" if fkey else binding_id, priority=True,
                    show=show and not fkey, tooltip=tooltip)
        )
    return bindings


class MainScreen(Screen[None]):
    """One screen; at < WIDE_AT columns the side panes share one slot (tabs), above it all show."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_AT, "-wide")]
    AUTO_FOCUS = "#source"

    BINDINGS = [
        *debug_key("f5", "c", "continue", "Continue", "run.continue",
                   tooltip="Run until a breakpoint (finishes an interrupted step)"),
        *debug_key("f10", "n", "next", "Next", "run.next", tooltip="Step over the current line"),
        *debug_key("f11", "s", "step", "Step", "run.step", tooltip="Step into the call on the current line"),
        *debug_key("shift+f11", "o", "step_out", "Out", "run.step-out",
                   tooltip="Run until the current function returns"),
        *debug_key("shift+f5", "p,ctrl+c", "pause", "Pause", "run.pause", tooltip="Stop the running program"),
        *debug_key("f9", "b", "toggle_breakpoint", "Break", "breakpoint.toggle",
                   tooltip="Set or clear a breakpoint on the source cursor line"),
        *debug_key(None, "x", "cancel_step", "Cancel step", "run.cancel-step",
                   tooltip="Cancel a next/step that a breakpoint interrupted"),
        *debug_key(None, "r", "restart", "Restart", "run.restart", show=False,
                   tooltip="Restart the program (breakpoints are kept)"),
        *debug_key(None, "u", "frame(1)", "Frame up", "frame.up", show=False, tooltip="Select the caller's frame"),
        *debug_key(None, "d", "frame(-1)", "Frame down", "frame.down", show=False, tooltip="Select the callee's frame"),
        *debug_key(None, "g", "show_goroutines", "Goroutines", "view.goroutines", show=False,
                   tooltip="Show and focus the goroutine list"),
        *debug_key(None, "C", "goroutine_census", "Census", "view.goroutine-census", show=False,
                   tooltip="Group every goroutine: counts, change since the last stop, leak suspects"),
        *debug_key(None, "W", "channel_waiters", "Waiters", "view.channel-waiters", show=False,
                   tooltip="The goroutines blocked on the channel selected in the variables pane"),
        *debug_key(None, "H", "heap", "Heap", "view.heap", show=False,
                   tooltip="Allocation sites of the live heap, with leak suspects"),
        *debug_key(None, "colon", "command_line", "Command", "command.open", show=False, tooltip="Type a dlv command"),
        *debug_key("f1", "question_mark", "help", "Help", "app.help", tooltip="Every key, and how to remap them"),
        *debug_key(None, "q", "quit", "Quit", "app.quit"),
        *(
            binding
            for pane, key in FOCUS_KEYS.items()
            for binding in debug_key(None, key, f"focus_pane('{pane}')", f"Focus {PANE_TITLES[pane].lower()}",
                                     f"focus.{pane}", show=False)
        ),
        *debug_key(None, "z", "toggle_maximize", "Maximize pane", "view.maximize", show=False),
        Binding("G", "toggle_package_vars", "Package vars", id="variables.package-vars", show=False,
                tooltip="Show or hide the current package's variables in the variables pane"),
        Binding("alt+up", "resize_console(2)", "Console taller", id="layout.console-taller", show=False),
        Binding("alt+down", "resize_console(-2)", "Console shorter", id="layout.console-shorter", show=False),
        Binding("alt+left", "resize_side(4)", "Side panes wider", id="layout.side-wider", show=False),
        Binding("alt+right", "resize_side(-4)", "Side panes narrower", id="layout.side-narrower", show=False),
    ]

    RUN_ACTIONS = {"continue", "next", "step", "step_out", "frame"}

    side_pane: reactive[str] = reactive("variables")
    show_package_vars: reactive[bool] = reactive(False)

    def __init__(self) -> None:
        super().__init__()
        self.other_lines: list[tuple[str, int]] = []
        self.last_stop: ev.Stopped | None = None
        self.stale: set[str] = set(SIDE_PANES)
        self._scope_unknown = False  # the last scope change did not say where the frame is
        self.refreshed_upto = 0
        self._asm_by_user = False
        self._refresh_done = asyncio.Event()
        self.commands_running = 0
        self._command_lock = asyncio.Lock()
        self._bindings_signature: tuple[object, ...] = ()
        self._bindings_refresh: Timer | None = None
        self._running_wait: int | None = None
        self._running_shown: asyncio.TimerHandle | None = None
        self._refresh_task: asyncio.Task[None] | None = None
        self._listening_to: DebugSession | None = None
        self._refresh_started_for = 0
        self._pending_running: ev.Running | None = None
        self._census: GoroutineCensus | None = None
        self._census_session: DebugSession | None = None
        self._console_height = 0
        self._side_width = 0
        self._resumed = False

    @property
    def godbg(self) -> GodbgApp:
        return self.app  # type: ignore[return-value]

    @property
    def session(self) -> DebugSession | None:
        return self.godbg.session

    # ----- layout -----

    def compose(self) -> ComposeResult:
        with Horizontal(id="body"):
            with Vertical(id="main-column"):
                yield SourceView(id="source", classes="pane")
                yield ConsolePane(id="console", classes="pane")
            with Vertical(id="side"):
                yield Tabs(*(Tab(TAB_TITLES[p], id=f"tab-{p}") for p in SIDE_PANES), id="side-tabs")
                with Container(id="side-panes"):
                    yield StackPane(id="stack", classes="pane side-pane")
                    yield GoroutineList(
                        self._fetch_goroutines,
                        fetch_count=self._count_goroutines,
                        fetch_stack=self._goroutine_stack,
                        id="goroutines",
                        classes="pane side-pane",
                    )
                    yield VariablesTree(id="variables", classes="pane side-pane")
                    yield WatchesPane(self.godbg.project.watches, id="watches", classes="pane side-pane")
                    yield BreakpointsPane(id="breakpoints", classes="pane side-pane")
        yield CommandLine(self.godbg.history, self._complete, id="command")
        yield StatusBar(id="status")
        yield KeyBar(id="keys")

    def on_mount(self) -> None:
        self.source = self.query_one(SourceView)
        self.console = self.query_one(ConsolePane)
        self.stack_pane = self.query_one(StackPane)
        self.variables = self.query_one(VariablesTree)
        self.goroutines = self.query_one(GoroutineList)
        self.watches = self.query_one(WatchesPane)
        self.breakpoints = self.query_one(BreakpointsPane)
        self.command_line = self.query_one(CommandLine)
        self.status = self.query_one(StatusBar)
        self.tabs = self.query_one(Tabs)
        self.tabs.can_focus = False
        for pane, title in PANE_TITLES.items():
            widget = self.query_one(f"#{pane}")
            widget.border_title = f"{FOCUS_KEYS[pane]} {title}"
        layout = self.godbg.project.layout
        self.side_pane = layout.side_pane if layout.side_pane in SIDE_PANES else "variables"
        self._console_height = layout.console_height
        self._side_width = layout.side_width
        self._apply_sizes()
        self.status.target = self.godbg.target_description

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """The first resume comes right after every widget was styled as it mounted: Textual
        would style the whole screen again (a fifth of the first frame's time)."""
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def watch_side_pane(self, pane: str) -> None:
        for name in SIDE_PANES:
            self.query_one(f"#{name}").set_class(name == pane, "-active")
        self.tabs.active = f"tab-{pane}"
        if pane in self.stale:
            self._refresh_pane(pane)
        self.godbg.save_layout(side_pane=pane)

    @on(Tabs.TabActivated, "#side-tabs")
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id != self.tabs.active:
            return  # a stale activation, queued before a newer one
        self.side_pane = (event.tab.id or "tab-variables").removeprefix("tab-")

    def pane_visible(self, pane: str) -> bool:
        return pane not in SIDE_PANES or self.has_class("-wide") or self.side_pane == pane

    def on_resize(self) -> None:
        self.call_after_refresh(self._refresh_stale_visible)

    def _refresh_stale_visible(self) -> None:
        for pane in list(self.stale):
            if self.pane_visible(pane):
                self._refresh_pane(pane)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """At narrow widths, focusing a side pane (tab, click) brings it into the slot."""
        widget: Widget | None = event.widget
        while widget is not None and widget is not self:
            if widget.id in SIDE_PANES and not self.has_class("-wide"):
                self.side_pane = widget.id
                return
            widget = widget.parent  # type: ignore[assignment]

    def _apply_sizes(self) -> None:
        console = self.query_one("#console")
        side = self.query_one("#side")
        console.styles.height = self._console_height or None
        side.styles.width = self._side_width or None

    def action_resize_console(self, delta: int) -> None:
        current = self._console_height or self.query_one("#console").outer_size.height
        self._console_height = max(CONSOLE_HEIGHTS[0], min(CONSOLE_HEIGHTS[1], current + delta))
        self._apply_sizes()
        self.godbg.save_layout(console_height=self._console_height)

    def action_resize_side(self, delta: int) -> None:
        current = self._side_width or self.query_one("#side").outer_size.width
        self._side_width = max(SIDE_WIDTHS[0], min(SIDE_WIDTHS[1], current + delta))
        self._apply_sizes()
        self.godbg.save_layout(side_width=self._side_width)

    def action_focus_pane(self, pane: str) -> None:
        if pane in SIDE_PANES:
            self.side_pane = pane
        widget = self.query_one(f"#{pane}")
        target = widget if widget.can_focus else next((w for w in widget.query("*") if w.can_focus), widget)
        if pane == "console":
            target = self.console.output_log
        self.set_focus(target)  # now, not after a refresh: the next key may already be queued

    def action_show_goroutines(self) -> None:
        self.action_focus_pane("goroutines")

    def action_toggle_maximize(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        while focused is not None and not focused.has_class("pane"):
            focused = focused.parent  # type: ignore[assignment]
        if focused is not None:
            self.maximize(focused, container=False)

    def reset_for_session(self, project: ProjectState) -> None:
        """Forget everything shown about the previous session."""
        self.last_stop = None
        self.other_lines = []
        self.refreshed_upto = 0
        self._refresh_started_for = 0  # the app counts the new session's stops from 0
        self.stale = set(SIDE_PANES)
        self._asm_by_user = False
        self.stack_pane.clear_frames()
        self.variables.show([])
        self.goroutines.clear()
        self.breakpoints.show_breakpoints([])
        self.source.set_breakpoint_marks({})
        self.source.set_execution(None, None)
        self.watches.set_expressions(project.watches)
        self.watches.show_results([])
        self.status.target = self.godbg.target_description
        self.status.scope = ""
        rule = glyphs().rule * 20
        self.console.message("info", f"{rule} new session {rule}")

    # ----- bindings by state -----

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "letter":
            if isinstance(self.focused, Input):
                return False
            action = str(parameters[0]).split("(")[0]
        session = self.session
        phase = session.phase if session is not None else None
        if action == "pause":
            return phase == ev.Phase.RUNNING
        if action == "cancel_step":
            return bool(self.last_stop and self.last_stop.next_in_progress and phase == ev.Phase.STOPPED)
        if action in self.RUN_ACTIONS:
            return phase == ev.Phase.STOPPED
        if action == "restart":
            return session is not None and session.spec.mode in ("exec", "debug", "test") or None
        return True

    async def action_letter(self, action: str) -> None:
        """A single-letter key: the same action as its F-key twin."""
        await self.run_action(action)

    # ----- session events -----

    @on(SessionEvent)
    def _session_event(self, message: SessionEvent) -> None:
        message.stop()  # nothing above the screen handles it: two fewer dispatches per step
        session = self.session
        if session is not None and session is not self._listening_to:
            self._listening_to = session
            session.subscribe(functools.partial(self._stop_seen_early, session), first=True)
        event = message.event
        if isinstance(event, ev.Output):
            self.console.feed(event.stream, event.data)
            return
        if isinstance(event, ev.Stopped):
            self._ev_stopped(event, narrate=not message.by_command)
        else:
            handler = getattr(self, f"_ev_{type(event).__name__.lower()}", None)
            if handler is not None:
                handler(event)
        self._bindings_may_have_changed()

    def _bindings_may_have_changed(self) -> None:
        """Which keys apply depends on the phase; the footer follows, at most every BINDINGS_REFRESH_S.

        Every refresh_bindings() repaints the footer, and a script of steps flips the phase
        twice per step: the footer is redrawn only if, when the timer fires, the phase
        differs from the one it shows (keys are checked when pressed anyway).
        """
        if self._bindings_refresh is None:
            self._bindings_refresh = self.set_timer(BINDINGS_REFRESH_S, self._refresh_bindings_now)

    def _bindings_state(self) -> tuple[object, ...]:
        """The phase as the screen shows it: a run not shown yet (a quick step) still counts as stopped."""
        session = self.session
        phase = session.phase if session is not None else None
        if self._pending_running is not None:
            phase = ev.Phase.STOPPED
        return (
            phase,
            bool(self.last_stop and self.last_stop.next_in_progress),
        )

    def _refresh_bindings_now(self) -> None:
        self._bindings_refresh = None
        signature = self._bindings_state()
        if signature != self._bindings_signature:
            self._bindings_signature = signature
            self.refresh_bindings()

    def _ev_launching(self, event: ev.Launching) -> None:
        self.status.state = "launching"
        self.status.detail = event.description
        self.console.message("info", event.description)
        self._begin_running_wait("launching")

    def _ev_message(self, event: ev.Message) -> None:
        self.console.message(event.level, event.text)
        if event.level == "warning":
            self.notify(event.text, severity="warning", timeout=6)

    def _ev_running(self, event: ev.Running) -> None:
        """Shown once the program has run for RUNNING_SHOWN_AFTER_S: a next or step that stops
        sooner goes straight from one stop to the next, with no flash of "running" (and no
        frame painted for it). A plain loop timer: a Textual Timer is a task of its own,
        started and cancelled at every step."""
        self._begin_running_wait("running")
        self._pending_running = event
        if self._running_shown is None:
            self._running_shown = asyncio.get_running_loop().call_later(RUNNING_SHOWN_AFTER_S, self._show_running)

    def _show_running(self) -> None:
        self._running_shown = None
        event, self._pending_running = self._pending_running, None
        if event is None:
            return
        self.status.state = "running"
        self.status.detail = "" if event.command in ("continue", "connect") else event.command
        self.status.scope = ""
        self.watches.mark_stale()
        self.goroutines.clear()
        self._bindings_may_have_changed()

    def _running_over(self) -> None:
        """A stop, exit or failure: a "running" not shown yet never will be."""
        self._pending_running = None
        if self._running_shown is not None:
            self._running_shown.cancel()
            self._running_shown = None

    def _ev_stopped(self, event: ev.Stopped, *, narrate: bool = True) -> None:
        """Draw the stop; ``narrate``: also say it in the console (no command output will)."""
        self._end_running_wait()
        self.last_stop = event
        session = self.session
        self.status.state = "stopped"
        why = describe_stop(event)
        if event.next_in_progress:
            why += " during a step: c continues the step, x cancels it"
        self.status.detail = why
        self._update_scope_status(event.location)
        if narrate:
            self.console.message("info", f"stopped at {location_text(event.location)} ({describe_stop(event)})")
        self.other_lines = []
        current_thread = event.state.currentThread.id if event.state.currentThread else 0
        for hit in event.hits:
            if hit.thread.id == current_thread:
                continue
            if narrate:
                self.console.message(
                    "info",
                    f"also: goroutine {hit.goroutine_id} at breakpoint {hit.breakpoint.id} "
                    f"{os.path.basename(hit.thread.file)}:{hit.thread.line}",
                )
            if session is not None and hit.thread.file:
                self.other_lines.append((session.map_to_local(hit.thread.file), hit.thread.line))
        if len(event.hits) > 1:
            self.status.detail += f" (+{len(event.hits) - 1} goroutine{'s' if len(event.hits) > 2 else ''})"
        self._show_location(event.location)
        if session is not None:
            self._show_breakpoints(session.breakpoints)
        if self._refresh_started_for < self.godbg.stops_seen:
            self.stale = set(SIDE_PANES)
            self._refresh_after_stop()

    def _stop_seen_early(self, session: DebugSession, event: ev.Event) -> None:
        """The screen's own session listener, ahead of the app's: a stop starts the panes' fetch
        at once. The fetch's task runs before the screen gets the stop's SessionEvent (queued
        by the app's listener just after), so Delve answers the stack and variables requests
        while _ev_stopped draws what needs no RPC (it then starts no fetch of its own).
        """
        if isinstance(event, ev.Stopped) and session is self.session and self.is_attached:
            self._scope_unknown = event.location is None
            self._running_over()  # a "running" shown now would clear what this fetch fills
            self.stale = set(SIDE_PANES)
            self._refresh_after_stop()

    def _ev_exited(self, event: ev.Exited) -> None:
        self._end_running_wait()
        self.status.state = "exited"
        self.status.detail = f"status {event.status} (r restarts)"
        self.status.scope = ""
        self.source.set_execution(None, None)
        self.stack_pane.clear_frames("the program has exited; r restarts it")
        self._mark_refreshed()

    def _ev_tracehit(self, event: ev.TraceHit) -> None:
        bp = event.breakpoint
        self.console.message(
            "info",
            f"trace: goroutine {event.thread.goroutineID} {frame_function(event.thread)} "
            f"{os.path.basename(event.thread.file)}:{event.thread.line} (tracepoint {bp.id})",
        )

    def _ev_breakpointschanged(self, event: ev.BreakpointsChanged) -> None:
        self._show_breakpoints(event.breakpoints)

    def _ev_scopechanged(self, event: ev.ScopeChanged) -> None:
        self._update_scope_status(event.location)
        self._scope_unknown = event.location is None
        self._show_location(event.location)
        self.stale = set(SIDE_PANES) - {"breakpoints", "goroutines"}
        self._refresh_after_stop()

    def _ev_sessionfailed(self, event: ev.SessionFailed) -> None:
        self._end_running_wait()
        self.status.state = "failed"
        self.status.detail = event.error
        self.console.message("error", event.error)
        self._mark_refreshed()
        self.godbg.show_error("The debugger failed", event.error, event.detail)

    def _ev_closed(self, event: ev.Closed) -> None:
        self._end_running_wait()
        self.status.state = "closed"
        self.status.detail = event.note
        self.status.scope = ""
        if event.note:
            self.console.message("info", event.note)
        self._mark_refreshed()

    def _begin_running_wait(self, what: str) -> None:
        if self._running_wait is None:
            self._running_wait = self.status.begin_wait(what)

    def _end_running_wait(self) -> None:
        self._running_over()
        if self._running_wait is not None:
            self.status.end_wait(self._running_wait)
            self._running_wait = None

    def _update_scope_status(self, location: Location | None = None) -> None:
        """``gG frame F function``; ``location``: the stop's, before the stack is fetched."""
        session = self.session
        if session is None or session.phase != ev.Phase.STOPPED:
            return
        frames = self.stack_pane.frames
        where = ""
        if location is not None and location.function is not None:
            where = f" {location.function.name}"
        elif frames and session.frame < len(frames):
            where = f" {frame_function(frames[session.frame])}"
        self.status.scope = f"g{session.goroutine_id} frame {session.frame}{where}"

    # ----- drawing state -----

    def _show_breakpoints(self, breakpoints: tuple[Breakpoint, ...] | list[Breakpoint]) -> None:
        session = self.session
        self.breakpoints.show_breakpoints(breakpoints)
        if session is None:
            return
        marks = {
            (session.map_to_local(bp.file), bp.line): breakpoint_mark(bp)
            for bp in breakpoints
            if bp.file and bp.id > 0 and not bp.WatchExpr
        }
        self.source.set_breakpoint_marks(marks)

    def _show_location(self, loc: Location | None) -> None:
        """The selected frame's line; disassembly when the user asked for it or there is no source."""
        session = self.session
        if loc is None or session is None:
            return
        if self._asm_by_user and self.source.mode != "asm":
            self._asm_by_user = False  # the user switched back to source
        if self._asm_by_user:
            self._show_disassembly()
        elif loc.file and os.path.isfile(session.map_to_local(loc.file)):
            self.source.set_execution(session.map_to_local(loc.file), loc.line, self.other_lines)
        else:
            self.source.set_execution(None, None)
            self._show_disassembly()

    @work(group="disassembly", exclusive=True, exit_on_error=False)
    async def _show_disassembly(self) -> None:
        session = self.session
        if session is None:
            return
        try:
            instructions = await session.disassemble()
        except (SessionError, DelveError) as exc:
            self.console.message("error", f"cannot disassemble: {exc}")
            return
        pc = next((i.Loc.pc for i in instructions if i.AtPC), instructions[0].Loc.pc if instructions else 0)
        self.source.show_disassembly(instructions, pc)

    # ----- refresh after a stop or scope change -----

    def _refresh_after_stop(self) -> None:
        """Start fetching what the visible panes show; a newer stop cancels an older fetch.

        A plain task rather than a Textual worker: it runs at every step, and a worker
        costs three state-change messages and its bookkeeping each time.
        """
        if self._refresh_task is not None:
            self._refresh_task.cancel()
        self._refresh_task = asyncio.create_task(self._refresh_panes(), name="refresh after stop")

    async def _refresh_panes(self) -> None:
        """Fetch what the visible panes show.

        The requests go out together (Delve answers them in order on its one read loop,
        but no round trip waits for the previous one), the stack's from this task's first
        step: started by the session's stop, it reaches Delve before the screen handles the
        stop's SessionEvent. Package variables need the stack's function name, so with them
        shown the variables wait for the stack.
        """
        target = self._refresh_started_for = self.godbg.stops_seen
        try:
            panes = [p for p in ("variables", "watches", "goroutines", "breakpoints") if self.pane_visible(p) and p in self.stale]
            if self.show_package_vars and "variables" in panes:
                await self._load_stack()
                await asyncio.gather(*(self._load_pane(p) for p in panes))
            elif not self.pane_visible("stack") and not self._scope_unknown:
                # The stop (or scope change) said where the selected frame is: a hidden stack
                # pane waits until it is shown (one Stacktrace fewer a step, as dlv's CLI).
                await asyncio.gather(*(self._load_pane(p) for p in panes))
            else:
                loads = asyncio.gather(*(self._load_pane(p) for p in panes))
                try:
                    await self._load_stack()
                except BaseException:
                    loads.cancel()
                    raise
                await loads
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug: say so where the user looks, keep the screen working
            self.console.message("error", f"refreshing the panes failed: {exc!r}")
        finally:
            if not asyncio.current_task().cancelling():  # type: ignore[union-attr]
                self._mark_refreshed(target)

    def on_unmount(self) -> None:
        if self._refresh_task is not None:
            self._refresh_task.cancel()
        self._running_over()

    def _mark_refreshed(self, upto: int | None = None) -> None:
        self.refreshed_upto = max(self.refreshed_upto, self.godbg.stops_seen if upto is None else upto)
        self._refresh_done.set()

    def _refresh_pane(self, pane: str) -> None:
        session = self.session
        if session is None or session.phase != ev.Phase.STOPPED:
            return
        self.run_worker(self._load_pane(pane), group=f"pane-{pane}", exclusive=True, exit_on_error=False)

    async def _load_pane(self, pane: str) -> None:
        loader: dict[str, Callable[[], Awaitable[None]]] = {
            "stack": self._load_stack,
            "variables": self._load_variables,
            "watches": self._load_watches,
            "goroutines": self._load_goroutines,
            "breakpoints": self._load_breakpoints,
        }
        self.stale.discard(pane)
        try:
            await loader[pane]()
        except (SessionError, DelveError) as exc:
            self.console.message("error", f"{PANE_TITLES[pane].lower()}: {exc}")

    async def _load_stack(self) -> None:
        session = self.session
        if session is None or session.phase != ev.Phase.STOPPED:
            return
        self.stale.discard("stack")
        try:
            frames = await session.stack(depth=STACK_DEPTH, defers=self.stack_pane.show_defers)
        except (SessionError, DelveError) as exc:
            self.stack_pane.clear_frames(str(exc))
            return
        self.stack_pane.show_frames(frames, session.frame, session.goroutine_id)
        title = f"{FOCUS_KEYS['stack']} Stack g{session.goroutine_id} ({len(frames)})"
        if self.stack_pane.border_title != title:  # setting it repaints the pane, even when hidden
            self.stack_pane.border_title = title
        self._update_scope_status()
        if session.frame < len(frames):
            frame = frames[session.frame]
            self._show_location(Location(pc=frame.pc, file=frame.file, line=frame.line, function=frame.function))

    async def _load_variables(self) -> None:
        session = self.session
        if session is None or session.phase != ev.Phase.STOPPED:
            return
        gid, frame = session.goroutine_id, session.frame

        async def fetch(expr: str, cfg: LoadConfig) -> Variable:
            return await session.eval(expr, cfg, frame=frame, goroutine_id=gid)

        args, locals_ = await session.frame_variables(frame, goroutine_id=gid)
        sections: list[tuple[str, list[tuple[str, Variable]]]] = [
            ("Args", [(v.name, v) for v in args]),
            ("Locals", [(v.name, v) for v in locals_]),
        ]
        if self.show_package_vars:
            package = self._current_package()
            if package:
                found = await session.package_vars(f"^{re.escape(package)}\\.")
                sections.append((f"Package {package}", [(v.name, v) for v in found]))
        self.variables.fetch = fetch
        self.variables.show(sections)

    def _current_package(self) -> str:
        frames = self.stack_pane.frames
        session = self.session
        if not frames or session is None or session.frame >= len(frames):
            return ""
        name = frame_function(frames[session.frame])
        head = name.rfind("/") + 1
        dot = name.find(".", head)
        return name[:dot] if dot > 0 else ""

    async def _load_watches(self) -> None:
        session = self.session
        if session is None or session.phase != ev.Phase.STOPPED:
            return
        values = await asyncio.gather(*(session.eval(expr) for expr in self.watches.expressions), return_exceptions=True)
        results = []
        for expr, value in zip(self.watches.expressions, values):
            if isinstance(value, SessionError):
                results.append(WatchResult(expr, str(value), error=True))
            elif isinstance(value, BaseException):
                raise value
            elif value.unreadable:
                results.append(WatchResult(expr, value.unreadable, error=True))
            else:
                results.append(WatchResult(expr, summary(value, width=200)))
        self.watches.show_results(results)

    async def _fetch_goroutines(self, start: int, count: int, filters: list[ListGoroutinesFilter]) -> ListGoroutinesOut:
        session = self.session
        if session is None:
            raise SessionError("no debugging session")
        return await session.goroutines(start, count, filters=filters)

    async def _count_goroutines(self) -> GoroutineCount:
        from godbg_tui.adapters.goroutines import count_goroutines

        session = self.session
        if session is None or session.client is None:
            raise SessionError("no debugging session")
        return await count_goroutines(session.client)

    async def _goroutine_stack(self, goroutine_id: int, depth: int) -> list[Stackframe]:
        session = self.session
        if session is None:
            raise SessionError("no debugging session")
        return await session.stack(depth, goroutine_id)

    async def _load_goroutines(self) -> None:
        session = self.session
        if session is None or session.phase != ev.Phase.STOPPED:
            return
        self.goroutines.go_version = session.go_version
        self.goroutines.reload(selected_id=session.goroutine_id)

    async def _load_breakpoints(self) -> None:
        session = self.session
        if session is not None:
            self._show_breakpoints(session.breakpoints)

    # ----- run control -----

    def session_call(
        self,
        what: str,
        call: Callable[[DebugSession], Awaitable[Any]],
        *,
        timeout: float | None = CALL_TIMEOUT_S,
        group: str = "session",
    ) -> None:
        """Run one session call in a worker; failures are reported, never raised into the UI."""
        session = self.session
        if session is None:
            self.notify("no debugging session: start one with ctrl+o", severity="warning")
            return
        self.run_worker(self._timed(what, call(session), timeout), group=group, exit_on_error=False)

    async def _timed(self, what: str, awaitable: Awaitable[Any], timeout: float | None) -> Any:
        token = self.status.begin_wait(what)
        try:
            async with asyncio.timeout(timeout):
                return await awaitable
        except SessionError as exc:
            self.console.message("error", str(exc))
            self.notify(str(exc), severity="error", timeout=6)
        except TimeoutError:
            text = f"{what} took longer than {timeout:g} s and was abandoned; the program may still be busy (p pauses it)"
            self.console.message("error", text)
            self.notify(text, severity="error")
        except DelveError as exc:
            self.console.message("error", f"{what} failed: {exc}")
        finally:
            self.status.end_wait(token)
        return None

    def action_continue(self) -> None:
        if self.last_stop is not None and self.last_stop.next_in_progress:
            self.session_call("continuing the step", lambda s: s.finish_interrupted_step(), timeout=None)
        else:
            self.run_command("continue", echo=False)

    def action_next(self) -> None:
        self.run_command("next", echo=False)

    def action_step(self) -> None:
        self.run_command("step", echo=False)

    def action_step_out(self) -> None:
        self.run_command("stepout", echo=False)

    def action_cancel_step(self) -> None:
        self.session_call("cancelling the step", lambda s: s.cancel_interrupted_step())

    def action_pause(self) -> None:
        self.session_call("pausing", lambda s: s.halt(), group="control")

    def action_restart(self) -> None:
        self.run_command("restart", echo=False)

    def action_frame(self, delta: int) -> None:
        """+1 toward the caller (dlv's up), -1 toward the callee (down)."""
        session = self.session
        if session is None:
            return
        if session.frame + delta < 0:
            self.notify("already at the innermost frame", severity="warning")
            return
        if "stack" not in self.stale and session.frame + delta >= len(self.stack_pane.frames) > 0:
            self.notify("already at the outermost frame", severity="warning")
            return
        self.run_command("up" if delta > 0 else "down", echo=False)

    def action_toggle_breakpoint(self) -> None:
        self.source.action_toggle_breakpoint()

    @on(SourceView.ToggleBreakpoint)
    def _toggle_breakpoint(self, message: SourceView.ToggleBreakpoint) -> None:
        message.stop()
        if message.address is not None:
            address = message.address

            async def toggle_at_address(s: DebugSession) -> None:
                existing = next((b for b in s.breakpoints if b.addr == address or address in (b.addrs or [])), None)
                if existing is not None:
                    await s.clear_breakpoint(existing.id)
                else:
                    await s.set_breakpoint(f"*{address:#x}")

            self.session_call("toggling a breakpoint", toggle_at_address)
        else:
            path, line = message.path, message.line
            self.session_call("toggling a breakpoint", lambda s: s.toggle_breakpoint_at(path, line))

    @on(SourceView.RunToLine)
    def _run_to_line(self, message: SourceView.RunToLine) -> None:
        message.stop()
        session = self.session
        if session is None:
            return
        where = f"*{message.address:#x}" if message.address is not None else f"{session.map_to_remote(message.path)}:{message.line}"
        self.session_call(f"running to {os.path.basename(message.path)}:{message.line}", lambda s: s.continue_(until=where), timeout=None)

    @on(SourceView.DisassemblyRequested)
    def _disassembly_requested(self, message: SourceView.DisassemblyRequested) -> None:
        message.stop()
        self._asm_by_user = True
        self._show_disassembly()

    @on(SourceView.SourceMissing)
    def _source_missing(self, message: SourceView.SourceMissing) -> None:
        message.stop()
        self.console.message("warning", f"no source for {message.path} ({message.error}); showing disassembly")
        self._show_disassembly()

    # ----- panes → session -----

    def action_toggle_package_vars(self) -> None:
        self.show_package_vars = not self.show_package_vars
        self.stale.add("variables")
        self._refresh_pane("variables")

    @on(GoroutineList.Selected)
    def _goroutine_selected(self, message: GoroutineList.Selected) -> None:
        message.stop()
        self.run_command(f"goroutine {message.goroutine_id}", echo=False)
        chosen = next((g for g in self.goroutines.goroutines if g.id == message.goroutine_id), None)
        note = goroutine_note(chosen) if chosen is not None else ""
        if note:
            self.console.message("warning", note)
            self.notify(note, severity="warning", timeout=8)

    @on(VariablesTree.AddWatch)
    def _add_watch(self, message: VariablesTree.AddWatch) -> None:
        message.stop()
        if message.expr not in self.watches.expressions:
            self.watches.set_expressions([*self.watches.expressions, message.expr])
            self.godbg.save_watches(self.watches.expressions)
            self._refresh_pane("watches")
        self.notify(f"watching {message.expr}", timeout=3)

    @on(VariablesTree.Copied)
    def _copied(self, message: VariablesTree.Copied) -> None:
        message.stop()
        self.notify("value copied to the clipboard", timeout=2)

    @on(WatchesPane.Open)
    def _open_watch(self, message: WatchesPane.Open) -> None:
        message.stop()
        session = self.session
        if session is None or session.phase != ev.Phase.STOPPED:
            return
        gid, frame = session.goroutine_id, session.frame

        async def fetch(expr: str, cfg: LoadConfig) -> Variable:
            return await session.eval(expr, cfg, frame=frame, goroutine_id=gid)

        from godbg_tui.tui.screens.value_viewer import ValueViewer

        self.app.push_screen(ValueViewer(message.expr, fetch))

    @on(StackPane.FrameSelected)
    def _frame_selected(self, message: StackPane.FrameSelected) -> None:
        message.stop()
        index = message.index
        self.session_call(f"frame {index}", lambda s: s.select_frame(index))

    @on(StackPane.DefersToggled)
    def _defers_toggled(self, message: StackPane.DefersToggled) -> None:
        message.stop()
        self._refresh_pane("stack")

    @on(BreakpointsPane.Jump)
    def _jump_to_breakpoint(self, message: BreakpointsPane.Jump) -> None:
        message.stop()
        session = self.session
        path = session.map_to_local(message.file) if session else message.file
        self.source.show_file(path, message.line)
        self.source.focus()

    @on(BreakpointsPane.Toggle)
    def _toggle_breakpoint_enabled(self, message: BreakpointsPane.Toggle) -> None:
        message.stop()
        bp_id = message.bp_id
        self.session_call("toggling a breakpoint", lambda s: s.toggle_breakpoint(bp_id))

    @on(BreakpointsPane.Delete)
    def _delete_breakpoint(self, message: BreakpointsPane.Delete) -> None:
        message.stop()
        bp_id = message.bp_id
        self.session_call("deleting a breakpoint", lambda s: s.clear_breakpoint(bp_id))

    @on(BreakpointsPane.SetAll)
    def _set_all_breakpoints(self, message: BreakpointsPane.SetAll) -> None:
        message.stop()
        enabled = message.enabled

        async def set_all(s: DebugSession) -> None:
            for bp in list(s.breakpoints):
                if bp.disabled == enabled:
                    await s.toggle_breakpoint(bp.id)

        self.session_call("enabling breakpoints" if enabled else "disabling breakpoints", set_all)

    @on(BreakpointsPane.Amend)
    def _amend_breakpoint(self, message: BreakpointsPane.Amend) -> None:
        message.stop()
        bp_id, field, value = message.bp_id, message.field, message.value
        self.session_call("changing a breakpoint", lambda s: s.amend_breakpoint(bp_id, **{field: value}))

    @on(WatchesPane.Changed)
    def _watches_changed(self, message: WatchesPane.Changed) -> None:
        message.stop()
        self.godbg.save_watches(message.expressions)
        self._refresh_pane("watches")

    @on(ConsolePane.StdinLine)
    def _stdin_line(self, message: ConsolePane.StdinLine) -> None:
        message.stop()
        data = (message.text + "\n").encode()
        self.session_call("writing to the program", lambda s: s.write_stdin(data))

    # ----- command line -----

    def _complete(self, text: str) -> list[str]:
        interp = self.godbg.interp
        return interp.complete(text) if interp is not None else []

    RUN_COMMANDS = frozenset({"continue", "c", "next", "n", "step", "s", "stepout", "so", "step-instruction", "si",
                              "stepi", "restart", "r", "rebuild", "call"})

    def run_command(self, line: str, *, echo: bool = True) -> None:
        """Run one dlv command line in a worker; its output goes to the console."""
        name = line.split(" ", 1)[0]
        timeout = None if name in self.RUN_COMMANDS else CALL_TIMEOUT_S
        self.run_worker(self._timed(line, self.execute_line(line, echo=echo), timeout), group="session", exit_on_error=False)

    async def execute_line(self, line: str, *, echo: bool = True) -> CommandResult | None:
        """Execute through the CommandInterpreter and apply what the result asks of the UI."""
        interp = self.godbg.interp
        if interp is None:
            self.console.message("error", "no debugging session: start one with ctrl+o")
            return None
        if echo:
            self.console.command_output(f"(dlv) {line}")
        session = self.session
        queue_behind_others = not (
            session is not None and session.phase == ev.Phase.RUNNING and line.split(" ", 1)[0] not in self.RUN_COMMANDS
        )
        self.commands_running += 1
        try:
            # Commands run one at a time, in the order given (keys typed ahead wait their
            # turn); only a non-running one while the program runs goes at once (a
            # breakpoint set while running, a 'program is running' answer).
            async with self._command_lock if queue_behind_others else contextlib.nullcontext():
                result = await interp.execute(line)
        except (CommandError, SessionError) as exc:
            self.console.message("error", str(exc))
            return None
        finally:
            self.commands_running -= 1
        self.apply_result(result)
        return result

    def apply_result(self, result: CommandResult) -> None:
        if result.output:
            self.console.command_output(result.output)
        if result.focus and result.focus != "heap":
            if result.focus in FOCUS_KEYS:
                self.action_focus_pane(result.focus)
            else:
                self.console.message("warning", f"there is no {result.focus} pane in this version")
        ui = result.ui or {}
        if "theme" in ui:
            if ui["theme"] in self.app.available_themes:
                self.app.theme = ui["theme"]
            else:
                names = ", ".join(sorted(self.app.available_themes))
                self.console.message("error", f"no theme {ui['theme']!r}; available: {names}")
        if "source" in ui:
            path, line = ui["source"]
            self.source.show_file(path, line)
        if ui.get("heap"):
            self.action_heap()
        if result.quit:
            self.godbg.quit_now()

    async def wait_refreshed(self, timeout: float = CALL_TIMEOUT_S) -> None:
        """Until the panes show the latest stop (scripts wait for it between commands)."""
        async with asyncio.timeout(timeout):
            while self.refreshed_upto < self.godbg.stops_seen:
                self._refresh_done.clear()
                await self._refresh_done.wait()

    def action_heap(self) -> None:
        """The heap view, on its own screen; its monitor (and history) lives as long as the session."""
        session = self.session
        if session is None:
            self.notify("no debugging session: start one with ctrl+o", severity="warning")
            return

        def done(result: HeapResult | None) -> None:
            if result is None:
                return
            kind, path, line = result
            if kind == "source":
                self.source.show_file(path, line)
            else:
                self.session_call("setting a breakpoint", lambda s: s.set_breakpoint(f"{path}:{line}"))

        from godbg_tui.tui.screens.heap import HeapScreen

        self.app.push_screen(HeapScreen(session), done)

    def action_channel_waiters(self) -> None:
        """The goroutines blocked on the channel selected in the variables pane."""
        expr = self.variables.selected_expr
        if not expr:
            self.notify("select a channel in the variables pane first", severity="warning")
            return
        self.action_goroutine_census(channel=expr)

    def action_goroutine_census(self, channel: str = "") -> None:
        """The goroutine census screen; one census per session keeps its history across openings."""
        session = self.session
        if session is None:
            self.notify("no debugging session: start one with ctrl+o", severity="warning")
            return
        from godbg_tui.adapters.goroutines import CensusError, GoroutineCensus
        from godbg_tui.tui.screens.goroutines import GoroutinesScreen

        if self._census is None or self._census_session is not session:
            try:
                self._census = GoroutineCensus.for_session(session)
            except CensusError as exc:
                self.notify(str(exc), severity="warning")
                return
            self._census_session = session

        def done(result: tuple[str, int] | None) -> None:
            if result is not None and result[0] == "goroutine":
                gid = result[1]
                self.session_call(f"switching to goroutine {gid}", lambda s: s.select_goroutine(gid))

        self.app.push_screen(GoroutinesScreen(session, self._census, channel=channel), done)

    def action_command_line(self) -> None:
        self.command_line.add_class("-open")
        self.command_line.focus()

    @on(CommandLine.Closed)
    def _command_closed(self, message: CommandLine.Closed) -> None:
        message.stop()
        self.command_line.remove_class("-open")
        self.source.focus()

    @on(CommandLine.Candidates)
    def _command_candidates(self, message: CommandLine.Candidates) -> None:
        message.stop()
        self.console.command_output("  ".join(message.candidates))

    @on(CommandLine.Command)
    def _command(self, message: CommandLine.Command) -> None:
        message.stop()
        self.command_line.remove_class("-open")
        self.source.focus()
        if message.line:
            self.command_line.remember(message.line)
            self.godbg.save_history(self.command_line.history)
            self.run_command(message.line)

    # ----- app-level actions -----

    def action_help(self) -> None:
        self.godbg.action_show_help()

    def action_quit(self) -> None:
        self.godbg.action_confirm_quit()

