"""GodbgApp: owns the one DebugSession and routes its events to the main screen.

The session lives inside one long-lived task (``async with DebugSession(spec)``)
because anyio task groups must be exited by the task that entered them; the
task waits until it is told to close, then closes the session (killing a
launched target, detaching from an attached one). It is a plain asyncio task on
the app's loop, not a Textual worker: Textual cancels its workers when the app
stops, which would cut a close short (a connect session could not take its
breakpoints off the server). ``end_session`` is the close request plus the wait
for that task, and every way out of the app goes through it: quit, detach, a new
session, a signal (SIGTERM, SIGINT, SIGHUP), a crash (cli.py awaits it after the
app has stopped, on the same loop).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from textual import constants, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.screen import Screen
from textual.widgets import Input

from godbg_tui.adapters import events as ev
from godbg_tui.adapters.commands import CommandInterpreter, CommandResult, run_script
from godbg_tui.adapters.dlv.client import DelveError
from godbg_tui.adapters.dlv.launcher import LaunchError, LaunchSpec
from godbg_tui.adapters.dlv.types import Breakpoint
from godbg_tui.adapters.dlvconfig import DlvConfig
from godbg_tui.adapters.pprof.gctrace import gctrace_spec
from godbg_tui.adapters.session import DebugSession, SessionError, describe_spec
from godbg_tui.adapters.settings import Settings, effective_settings, map_sources_at_first_stop
from godbg_tui.adapters.store import (
    Config,
    HistoryStore,
    ProjectState,
    ProjectStore,
    RecentSessions,
    saved_breakpoint,
)
from godbg_tui.themes import APP_CSS, DEFAULT_THEME, THEMES, VARIABLE_DEFAULTS
from godbg_tui.tui.screens.confirm import ConfirmScreen
from godbg_tui.tui.screens.main import MainScreen, SessionEvent

CLOSE_TIMEOUT_S = 20.0
# After a hang-up nobody waits for us, but a connect session needs a few calls to release
# the remote program: 9 s to close (a test run at load 13 on two CPUs overran the earlier
# 5 s), then the watchdog thread stops dlv and leaves at 12 s whatever the loop is doing.
HANGUP_CLOSE_S = 9.0
HANGUP_GRACE_S = 12.0
QUIT_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class _RefreshingInterpreter:
    """The interpreter as run_script sees it: a command counts as finished once the panes
    show the stop it caused, so a script drives the same refresh a user's key does."""

    def __init__(self, interp: CommandInterpreter, screen: MainScreen):
        self.interp = interp
        self.screen = screen

    async def execute(self, line: str) -> CommandResult:
        self.screen.commands_running += 1  # the script prints the command's output: no narration
        try:
            result = await self.interp.execute(line)
        finally:
            self.screen.commands_running -= 1
        await self.screen.wait_refreshed()
        return result

class GodbgApp(App[int]):
    """The terminal debugger. ``spec=None`` starts at the launcher screen."""

    CSS_PATH = str(APP_CSS)
    TITLE = "godbg-tui"
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("ctrl+o", "open_launcher", "New session", id="session.new", show=False,
                tooltip="Start another debugging session (ends this one)"),
        Binding("ctrl+d", "detach", "Detach", id="session.detach", show=False,
                tooltip="Detach and leave the program running; the debugger stays open (r attaches again)"),
        # Ahead of the main screen's r (restart the program), which cannot help once the
        # session itself has ended: this one starts the same session again.
        Binding("r", "start_again", "Start again", id="session.again", show=False, priority=True,
                tooltip="After dlv died, a failed start or a detach: start the same session again"),
    ]

    def __init__(
        self,
        spec: LaunchSpec | None = None,
        *,
        init_lines: Sequence[str] = (),
        stop_at_main: bool = True,
        config: Config | None = None,
        state_dir: Path | None = None,
        settings: Settings | None = None,
    ):
        # NO_COLOR: the terminal's own colours, not Textual's greyed-out truecolour.
        super().__init__(ansi_color=True if "NO_COLOR" in os.environ else None)
        self.animation_level = "none"
        for theme in THEMES:
            self.register_theme(theme)
        self.config = config or Config()
        self.settings = settings or effective_settings(self.config, DlvConfig())
        # With gctrace on, the heap monitor takes the GC lines out of the program's output.
        self.output_filter: Callable[[bytes], bytes] | None = None
        self.keymap = dict(self.config.keys)
        self.theme = self.config.theme if self.config.theme in self.available_themes else DEFAULT_THEME
        self.spec = spec
        self.init_lines = list(init_lines)
        self.stop_at_main = stop_at_main
        self.state_dir = state_dir
        self.session: DebugSession | None = None
        self.interp: CommandInterpreter | None = None
        self.stops_seen = 0
        self.store: ProjectStore | None = None
        self.project = ProjectState()
        self.startup_warnings: list[str] = []
        self.history_store = HistoryStore(state_dir)
        self.history, warnings = self.history_store.load()
        self.startup_warnings.extend(warnings)
        self.recent_store = RecentSessions(state_dir)
        self.exit_code = 0
        self._close_request: asyncio.Event | None = None
        self._owner: asyncio.Task[None] | None = None
        self._switching = False
        self._leaving = False
        self._first_stop_seen = False
        self._signalled = 0
        # Session events that arrive before the main screen is mounted, in order.
        self._held: list[ev.Event] | None = []
        self._screen_shown = asyncio.Event()
        if spec is not None:
            self._open_project(spec)

    # ----- set-up -----

    def get_driver_class(self) -> type[Driver]:
        """Textual's Linux driver with an input thread that stops at once (0.1-0.2 s off every
        exit); TEXTUAL_DRIVER and other platforms keep Textual's choice."""
        if constants.DRIVER is not None or sys.platform == "win32":
            return super().get_driver_class()
        from godbg_tui.tui.terminal_driver import PromptLinuxDriver

        return PromptLinuxDriver

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    async def on_mount(self) -> None:
        self.set_keymap(self.keymap)
        self.main_screen = MainScreen()
        self._give_size_class(self.main_screen)
        shown = self.push_screen(self.main_screen)
        if self.spec is not None:
            # dlv is usually up already (cli's prestart): connecting and running to main.main
            # overlap the mounting of the screen; its events wait for the screen (_held).
            self.start_session(self.spec)
        await shown
        for warning in self.startup_warnings:
            self.main_screen.console.message("warning", warning)
        self._show_target()
        held, self._held = self._held, None
        for event in held or ():
            self._forward_event(event)
        self._screen_shown.set()
        if self.spec is None:
            self.call_after_refresh(self.action_open_launcher)

    def _give_size_class(self, screen: Screen[Any]) -> None:
        """The breakpoint class (-narrow, -wide) the screen's first Resize would give it, given
        before it is mounted: that Resize then changes no class, and the whole screen is
        styled once instead of twice (~25 ms of the first frame)."""
        width = self.size.width
        for at, name in sorted(screen.HORIZONTAL_BREAKPOINTS or (), reverse=True):
            if width >= at:
                screen.add_class(name, update=False)
                return

    def install_signal_handlers(self) -> None:
        """SIGTERM, SIGINT (``kill -INT``; ctrl+c in the app is a key) and SIGHUP (terminal
        or SSH gone) close the session and end the app.

        Plain signal handlers, not loop ones: they run in the main thread even when the
        loop is stuck, as Textual is after a hang-up, blocked writing to a terminal that
        no longer exists. A watchdog thread then makes sure dlv and the target go anyway.
        SIGINT must not keep Python's default, which raises KeyboardInterrupt out of the
        event loop and leaves the app hanging with dlv still up.
        """
        self._loop = asyncio.get_running_loop()
        for sig in QUIT_SIGNALS:
            signal.signal(sig, self._on_signal)

    def _on_signal(self, signum: int, frame: object) -> None:
        if self._signalled:
            return
        self._signalled = signum
        self._leaving = True
        self.exit_code = 128 + signum
        grace = HANGUP_GRACE_S if signum == signal.SIGHUP else CLOSE_TIMEOUT_S + HANGUP_GRACE_S
        threading.Thread(target=self._last_resort, args=(grace,), name="signal-watchdog", daemon=True).start()
        self._loop.call_soon_threadsafe(self._leave_on_signal, signum)

    def _leave_on_signal(self, signum: int) -> None:
        if signum == signal.SIGHUP:
            # No terminal to restore, and Textual would block writing to it: close and go.
            asyncio.ensure_future(self._hang_up())
            return
        if self._close_request is not None:
            self._close_request.set()
        self.exit(self.exit_code)

    async def _hang_up(self) -> None:
        await self.end_session(timeout=HANGUP_CLOSE_S)
        os._exit(self.exit_code)

    def _last_resort(self, grace: float) -> None:
        """If the orderly exit has not happened within ``grace`` seconds, stop dlv and leave."""
        time.sleep(grace)
        session = self.session
        if session is not None and session.server is not None:
            session.server.kill_now()
        os._exit(self.exit_code)

    def _open_project(self, spec: LaunchSpec) -> None:
        self.store = ProjectStore.for_spec(spec, self.state_dir)
        self.project, warnings = self.store.load()
        self.startup_warnings.extend(warnings)

    @property
    def target_description(self) -> str:
        spec = self.spec
        if spec is None:
            return "no session"
        target = {
            "attach": f"pid {spec.pid}",
            "connect": spec.address or "",
            "core": f"{Path(spec.program or '').name} core",
        }.get(spec.mode, Path(spec.program or ".").name if spec.mode == "exec" else spec.program or ".")
        return f"{spec.mode} {target}"

    # ----- session ownership -----

    def start_session(self, spec: LaunchSpec) -> None:
        self.spec = spec
        self._first_stop_seen = False
        self._close_request = asyncio.Event()
        if self._screen_shown.is_set():
            self._show_target()
        self._owner = asyncio.create_task(self._own_session(spec, self._close_request), name=f"session {describe_spec(spec)}")

    def _show_target(self) -> None:
        self.main_screen.status.target = self.target_description
        self.main_screen.status.halt_clock = self._halt_clock

    async def _own_session(self, spec: LaunchSpec, close_request: asyncio.Event) -> None:
        traced = gctrace_spec(spec, self.settings.gctrace)
        session = DebugSession(
            traced,
            stop_at_main=self.stop_at_main,
            substitute_path=self.settings.substitute_path,
            auto_resume_after=self.settings.auto_resume_after,
            initial_breakpoints=self.project.breakpoints,
        )
        session.subscribe(functools.partial(self._store_breakpoints_of, session))
        session.subscribe(self._forward_event)
        self.session = session
        self.output_filter = None
        if traced is not spec:
            from godbg_tui.tui.screens.heap import HeapScreen

            self.output_filter = HeapScreen.monitor_for(self, session, pprof_url=self.settings.pprof_url).filter_output
        self.interp = CommandInterpreter(session, cwd=spec.wd)
        self.settings.apply(self.interp)
        try:
            async with session:
                await close_request.wait()
        except LaunchError as exc:
            if await self._screen_or_close(close_request):
                self._report_failure("Could not start the debugger", exc.message, str(exc), exc.output)
        except (SessionError, DelveError) as exc:
            if await self._screen_or_close(close_request):
                self._report_failure("The debugging session failed", str(exc), str(exc))
        except Exception as exc:  # a bug: a plain task would otherwise swallow it silently
            detail = "".join(traceback.format_exception(exc))
            if await self._screen_or_close(close_request):
                self._report_failure("The debugging session failed unexpectedly", repr(exc), f"internal error: {exc!r}", detail)

    async def _screen_or_close(self, close_request: asyncio.Event) -> bool:
        """Wait until the main screen is mounted (a session can fail while it is being
        mounted); False if the session is told to close first."""
        if not self._screen_shown.is_set():
            waits = [asyncio.ensure_future(self._screen_shown.wait()), asyncio.ensure_future(close_request.wait())]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for wait in waits:
                    wait.cancel()
        return self._screen_shown.is_set()

    def _report_failure(self, title: str, status: str, message: str, detail: str = "") -> None:
        if not self.is_running:
            return  # the app has gone (cli.py prints nothing more; the session is closed)
        self.main_screen.status.state = "failed"
        self.main_screen.status.detail = status
        self.main_screen.console.message("error", message)
        self.show_error(title, message, detail)

    def _halt_clock(self) -> tuple[float, float | None] | None:
        """(seconds stopped, seconds until the halt budget resumes it or None) while a program
        that is not ours (attach, connect) is stopped; None otherwise."""
        session = self.session
        if session is None or session.owns_target:
            return None
        stopped = session.stopped_for
        return None if stopped is None else (stopped, session.auto_resume_in)

    def _forward_event(self, event: ev.Event) -> None:
        if self._held is not None:
            self._held.append(event)
            return
        if isinstance(event, ev.Output) and self.output_filter is not None:
            data = self.output_filter(event.data)
            if not data:
                return
            event = ev.Output(event.stream, data)
        if isinstance(event, ev.Stopped):
            self.stops_seen += 1
        self.main_screen.post_message(SessionEvent(event, by_command=self.main_screen.commands_running > 0))
        if isinstance(event, ev.Stopped) and not self._first_stop_seen:
            self._first_stop_seen = True
            self._remember_session(self.spec)
            self._after_first_stop()

    @work(group="store", thread=True, exit_on_error=False)
    def _remember_session(self, spec: LaunchSpec | None) -> None:
        """A session that reached its first stop goes to the top of the launcher's recent list
        (in a thread: two fsyncs on a busy disk must not delay the first stop's repaint)."""
        if spec is None:
            return
        try:
            self.recent_store.add(spec)
        except OSError as exc:
            self.call_from_thread(self.main_screen.console.message, "warning", f"could not save recent sessions: {exc.strerror}")

    @property
    def session_closed(self) -> bool:
        """No session, or the current one has let go of dlv and the target."""
        return self._owner is None or self._owner.done()

    @property
    def session_ended(self) -> bool:
        """There was a session and it is over (dlv died, the start failed, it was detached),
        and no new one is on its way: ``r`` starts it again."""
        if self.spec is None or self._switching or self._leaving:
            return False
        session = self.session
        return session is None or session.phase in (ev.Phase.DEAD, ev.Phase.CLOSED) or self.session_closed

    async def end_session(self, timeout: float = CLOSE_TIMEOUT_S) -> None:
        """Close the current session (if any) and wait until it has let go of everything."""
        owner = self._owner
        if self._close_request is None or owner is None:
            return
        self._close_request.set()
        if self.session is not None and self.session.phase == ev.Phase.LAUNCHING:
            # Still starting (building, launching, running to main): it cannot see the
            # request yet; cancelling the start makes it clean up what it has begun.
            owner.cancel()
        await asyncio.wait([owner], timeout=timeout)
        if not owner.done():
            owner.cancel()
            await asyncio.wait([owner], timeout=timeout)

    @work(group="init", exit_on_error=False)
    async def _after_first_stop(self) -> None:
        """Guess path mapping in remote modes, then run the --init script (saved breakpoints
        were created before the program ran: DebugSession's initial_breakpoints)."""
        if self.session is not None and (note := await map_sources_at_first_stop(self.session, self.settings)):
            self.main_screen.console.message("info", note)
        if self.interp is not None:
            await self.interp.warm_completions()
        if self.init_lines:
            await self.run_script(self.init_lines)

    # ----- commands -----

    async def run_script(self, lines: Sequence[str], source: str = "init script") -> None:
        """Run commands one after another, each once the previous one's stop is on screen.

        ``exit`` in the script quits without asking.
        """
        if self.interp is None:
            return
        screen = self.main_screen
        console = screen.console

        def show(kind: str, text: str) -> None:
            if kind == "command":
                console.command_output(f"(dlv) {text}")
            elif kind == "error":
                console.message("error", text)
            else:
                console.command_output(text)

        quit_asked = await run_script(
            _RefreshingInterpreter(self.interp, screen),
            lines,
            show,
            source=source,
            on_result=lambda result: screen.apply_result(dataclasses.replace(result, output="", quit=False)),
        )
        if quit_asked:
            self.quit_now()

    # ----- persistence -----

    def _save_project(self) -> None:
        if self.store is None:
            return
        try:
            self.store.save(self.project)
        except OSError as exc:
            self.main_screen.console.message("warning", f"could not save project state to {self.store.path}: {exc.strerror}")

    def save_layout(self, **changes: Any) -> None:
        layout = self.project.layout
        if all(getattr(layout, k) == v for k, v in changes.items()):
            return
        for key, value in changes.items():
            setattr(layout, key, value)
        self._save_project()

    def _store_breakpoints_of(self, session: DebugSession, event: ev.Event) -> None:
        """Save breakpoint changes as the session reports them, not when the screen gets to the
        event: a queued event of an old session must not land in the next session's project."""
        if isinstance(event, ev.BreakpointsChanged) and self.session is session:
            self.save_breakpoints(event.breakpoints)

    def save_breakpoints(self, breakpoints: Iterable[Breakpoint]) -> None:
        """Remember the session's breakpoints, unless the session is going away (it clears them)."""
        if self.session is None or self.session.phase in (ev.Phase.CLOSED, ev.Phase.DEAD, ev.Phase.LAUNCHING):
            return
        saved = [s for s in (saved_breakpoint(b) for b in breakpoints) if s is not None]
        if saved != self.project.breakpoints:
            self.project.breakpoints = saved
            self._save_project()

    def save_watches(self, expressions: Sequence[str]) -> None:
        self.project.watches = list(expressions)
        self._save_project()

    def save_history(self, entries: Sequence[str]) -> None:
        self.history = list(entries)
        try:
            self.history_store.save(self.history)
        except OSError as exc:
            self.main_screen.console.message("warning", f"could not save command history: {exc.strerror}")

    # ----- dialogs and actions -----

    def show_error(self, title: str, message: str, detail: str = "") -> None:
        session = self.session
        if session is not None and session.phase == ev.Phase.DEAD and session.spec.mode in ("attach", "connect"):
            again = "attaches again" if session.spec.mode == "attach" else "reconnects"
            message += f"\n\nr {again}; ctrl+o starts another session."
        self.push_screen(ConfirmScreen(title, message, detail=detail, cancel_label=None, error=True))

    def quit_consequence(self) -> str:
        session = self.session
        if session is None or session.phase in (ev.Phase.CLOSED, ev.Phase.DEAD):
            return "No program is being debugged."
        mode = session.spec.mode
        if mode == "attach":
            return f"Process {session.target_pid or session.spec.pid} will be left running (detached); its breakpoints are removed."
        if mode == "connect":
            return "The program will be left running (detached) and the remote dlv server stays up."
        if mode == "core":
            return "The core dump will be closed."
        if session.phase == ev.Phase.EXITED:
            return "The program has already exited; dlv will be stopped."
        return "The program will be killed."

    def action_confirm_quit(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.quit_now()

        if self.session is None or self.session.phase in (ev.Phase.CLOSED, ev.Phase.DEAD):
            self.quit_now()
            return
        self.push_screen(
            ConfirmScreen("Quit godbg-tui?", self.quit_consequence(), confirm_label="Quit", cancel_label="Stay"),
            answered,
        )

    @work(group="quit", exclusive=True, exit_on_error=False)
    async def quit_now(self) -> None:
        """Close the session (status shows it), then exit."""
        self._leaving = True
        self.main_screen.status.begin_wait("closing the session")
        await self.end_session()
        self.exit(self.exit_code)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start_again":
            # Only on the debugger screen itself, and never while typing there.
            return self.screen is getattr(self, "main_screen", None) and not isinstance(self.focused, Input) and self.session_ended
        if action == "detach":
            session = self.session
            return session is not None and session.spec.mode in ("attach", "connect") and not self.session_ended or None
        return True

    def action_start_again(self) -> None:
        if self.spec is None:
            return
        self.main_screen.console.message("info", f"starting the session again: {describe_spec(self.spec)}")
        self.switch_session(self.spec)

    def action_detach(self) -> None:
        """Ask, then end an attach/connect session leaving the program running; the app stays."""
        session = self.session
        if session is None or self.session_ended:
            self.notify("No session to detach from: r starts the last one again, ctrl+o another", timeout=4)
            return
        if session.spec.mode not in ("attach", "connect"):
            self.notify("Only attach and connect sessions can be detached (the program is ours to kill): q quits", timeout=4)
            return
        if session.spec.mode == "attach":
            who = f"process {session.target_pid or session.spec.pid}"
            message = f"{who.capitalize()} keeps running, without this session's breakpoints and no longer traced."
        else:
            who = f"the program on {session.spec.address}"
            message = "The program keeps running and the remote dlv server stays up; this session's breakpoints are removed."
        again = "r attaches again" if session.spec.mode == "attach" else "r reconnects"
        message += f" The debugger stays open: {again}, ctrl+o starts another session."

        def answered(yes: bool | None) -> None:
            if yes:
                self._detach_now()

        self.push_screen(ConfirmScreen(f"Detach from {who}?", message, confirm_label="Detach", cancel_label="Stay"), answered)

    @work(group="detach", exclusive=True, exit_on_error=False)
    async def _detach_now(self) -> None:
        token = self.main_screen.status.begin_wait("detaching")
        try:
            await self.end_session()
        finally:
            self.main_screen.status.end_wait(token)
        self.main_screen.refresh_bindings()

    def action_show_help(self) -> None:
        from godbg_tui.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.main_screen))

    # ----- new sessions -----

    def action_open_launcher(self) -> None:
        from godbg_tui.tui.screens.launcher import LauncherScreen

        recent, warnings = self.recent_store.load()
        for warning in warnings:
            self.main_screen.console.message("warning", warning)
        self.push_screen(LauncherScreen(self.spec.wd if self.spec and self.spec.wd else None, recent=recent), self._launch_chosen)

    def action_pick_attach(self) -> None:
        from godbg_tui.tui.screens.attach_picker import AttachPicker

        own = {self.session.target_pid} if self.session is not None and self.session.target_pid else set()
        self.push_screen(AttachPicker(exclude=own), self._launch_chosen)

    def action_pick_exec(self) -> None:
        from godbg_tui.tui.screens.exec_picker import ExecPicker

        self.push_screen(ExecPicker(), self._launch_chosen)

    def action_pick_test(self) -> None:
        from godbg_tui.tui.screens.test_picker import TestPicker

        self.push_screen(TestPicker(), self._launch_chosen)

    def _launch_chosen(self, spec: LaunchSpec | None) -> None:
        if spec is not None:
            self.switch_session(spec)
        elif self.spec is None:
            self.exit(0)  # the launcher was the way in, and the user left it

    @work(group="switch", exclusive=True, exit_on_error=False)
    async def switch_session(self, spec: LaunchSpec) -> None:
        """End the current session properly (kill or detach), then start ``spec``'s."""
        self._switching = True
        try:
            if not self.session_closed:
                token = self.main_screen.status.begin_wait("closing the session")
                try:
                    await self.end_session()
                finally:
                    self.main_screen.status.end_wait(token)
            self.startup_warnings = []
            self._open_project(spec)
            self.stops_seen = 0
            self.main_screen.reset_for_session(self.project)
            for warning in self.startup_warnings:
                self.main_screen.console.message("warning", warning)
            self.start_session(spec)
        finally:
            self._switching = False

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """Every binding of the debugger screen, plus the app's own commands, in the palette."""
        yield from super().get_system_commands(screen)
        main = getattr(self, "main_screen", None)
        if main is None:
            return
        seen: set[str] = set()
        for binding in MainScreen.BINDINGS:
            if not isinstance(binding, Binding) or not binding.id or binding.id.endswith(".letter"):
                continue
            if binding.description in seen:
                continue
            seen.add(binding.description)
            action = binding.action
            yield SystemCommand(
                binding.description,
                binding.tooltip or binding.description,
                lambda action=action: self.call_later(main.run_action, action),
            )
        yield SystemCommand("New session", "Start another debugging session (ends this one)", self.action_open_launcher)
        yield SystemCommand("Attach to a process", "Pick a running process and attach (ends this session)", self.action_pick_attach)
        yield SystemCommand("Debug an executable", "Pick a binary or main package (ends this session)", self.action_pick_exec)
        yield SystemCommand("Debug tests", "Pick tests of a package (ends this session)", self.action_pick_test)
        yield SystemCommand("Detach", "Leave the attached (or connected) program running; the debugger stays open", self.action_detach)
        if self.session_ended:
            yield SystemCommand("Start again", "Start the session that ended again (dlv died, detached, failed start)", self.action_start_again)
