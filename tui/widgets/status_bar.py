"""One line saying what the debugger is doing: session, run state and why, scope, and a spinner."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from godbg_tui.tui.glyphs import glyphs

SPINNER_DELAY_S = 0.2
SPINNER_FPS = 10
HALT_CLOCK_S = 0.5

HaltClock = Callable[[], "tuple[float, float | None] | None"]


class StatusBar(Widget):
    """Renders the session's mode/target, its state (running / stopped: why / exited: status),
    the selected goroutine and frame, and a spinner once anything has been waited on for
    longer than SPINNER_DELAY_S. When the line is too short the target goes first; what is
    still too long ends in an ellipsis.

    The screen sets ``target``, ``state``, ``detail`` and ``scope``; waits are bracketed
    with ``begin_wait(what)`` / ``end_wait(token)`` so overlapping waits are counted.

    ``halt_clock`` (set by the app) returns (seconds stopped, seconds until the halt budget
    resumes the program or None) while someone else's program is held stopped, else None;
    ``stopped for 12 s, resumes in 18 s`` then follows the state and its reason, ahead of
    the scope, so nobody forgets a live service at a breakpoint.
    """

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
    }
    StatusBar > .status-bar--target { text-style: bold; }
    StatusBar > .status-bar--stopped { color: $warning; text-style: bold; }
    StatusBar > .status-bar--running { color: $success; text-style: bold; }
    StatusBar > .status-bar--exited { color: $text-muted; text-style: bold; }
    StatusBar > .status-bar--failed { color: $error; text-style: bold; }
    StatusBar > .status-bar--scope { color: $text-muted; }
    StatusBar > .status-bar--spinner { color: $accent; }
    """

    COMPONENT_CLASSES = {
        "status-bar--target",
        "status-bar--stopped",
        "status-bar--running",
        "status-bar--exited",
        "status-bar--failed",
        "status-bar--scope",
        "status-bar--spinner",
    }

    STATE_CLASSES = {
        "stopped": "status-bar--stopped",
        "running": "status-bar--running",
        "launching": "status-bar--running",
        "exited": "status-bar--exited",
        "failed": "status-bar--failed",
        "closed": "status-bar--exited",
    }

    target: reactive[str] = reactive("")
    state: reactive[str] = reactive("starting")
    detail: reactive[str] = reactive("")
    scope: reactive[str] = reactive("")

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._waits: dict[int, tuple[str, float]] = {}
        self._next_token = 0
        self._frame = 0
        self.halt_clock: HaltClock | None = None
        self._halt_shown = ""
        self._spinner_due: asyncio.TimerHandle | None = None

    def on_mount(self) -> None:
        self._ticker = self.set_interval(1 / SPINNER_FPS, self._tick, pause=True)
        self.set_interval(HALT_CLOCK_S, self._halt_tick)

    def halt_text(self) -> str:
        """``stopped for 12 s, resumes in 18 s`` while the halt clock runs, else ""."""
        clock = self.halt_clock() if self.halt_clock is not None and self.state == "stopped" else None
        if clock is None:
            return ""
        stopped, resume_in = clock
        text = f"stopped for {int(stopped)} s"
        if resume_in is not None:
            text += f", resumes in {math.ceil(resume_in)} s"
        return text

    def _halt_tick(self) -> None:
        """Repaint only when the clock's text changes (once a second at most)."""
        if self.halt_text() != self._halt_shown:
            self.refresh()

    def begin_wait(self, what: str) -> int:
        """Start timing a wait; the spinner shows once it is older than SPINNER_DELAY_S.

        The ticker starts only then (a loop timer until it is due): every step of the
        program is a wait, and a resumed ticker wakes its task at once.
        """
        self._next_token += 1
        self._waits[self._next_token] = (what, time.monotonic())
        if self._spinner_due is None:
            self._spinner_due = asyncio.get_running_loop().call_later(SPINNER_DELAY_S, self._start_ticker)
        return self._next_token

    def _start_ticker(self) -> None:
        self._spinner_due = None
        if self._waits:
            self._ticker.resume()

    def end_wait(self, token: int) -> None:
        """Repaint only if what the spinner shows changed: most waits end before it appears."""
        shown = self.waiting_on
        self._waits.pop(token, None)
        if not self._waits:
            self._ticker.pause()
            if self._spinner_due is not None:
                self._spinner_due.cancel()
                self._spinner_due = None
        if shown and shown != self.waiting_on:
            self.refresh()

    def on_unmount(self) -> None:
        if self._spinner_due is not None:
            self._spinner_due.cancel()

    @property
    def waiting_on(self) -> str:
        """What the spinner is shown for ("" when it is not shown)."""
        now = time.monotonic()
        late = [(since, what) for what, since in self._waits.values() if now - since >= SPINNER_DELAY_S]
        return min(late)[1] if late else ""

    def _tick(self) -> None:
        if self.waiting_on:
            self._frame = (self._frame + 1) % len(glyphs().spinner)
            self.refresh()

    def render(self) -> Text:
        style = self.get_component_rich_style
        g = glyphs()
        bar = f" {g.vbar} "
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        waiting = self.waiting_on
        self._halt_shown = self.halt_text()
        if waiting:
            text.append(f" {g.spinner[self._frame % len(g.spinner)]} ", style("status-bar--spinner"))
        else:
            text.append(" ")
        needed = len(self.target) + len(self.state) + len(self.detail) + len(self.scope) + len(self._halt_shown) + 16
        if self.target and self.size.width >= needed:
            text.append(self.target, style("status-bar--target"))  # dropped first when the line is short
            text.append(bar)
        text.append(self.state, style(self.STATE_CLASSES.get(self.state, "status-bar--target")))
        if self.detail:
            text.append(f": {self.detail}")
        if self._halt_shown:
            text.append(bar)
            text.append(self._halt_shown, style("status-bar--stopped"))
        if self.scope:
            text.append(bar)
            text.append(self.scope, style("status-bar--scope"))
        if waiting and waiting != self.state:
            text.append(f"{bar}{waiting}{g.ellipsis}", style("status-bar--scope"))
        return g.fit(text, self.size.width)


class KeyBar(Widget):
    """The footer line: the keys that apply now (``key description`` pairs), one Text.

    Textual's Footer re-mounts a widget per key whenever bindings may have changed,
    which a stepping debugger does twice per step; this repaints a single line instead.
    Disabled actions are dimmed, actions whose check_action hides them are left out.
    """

    DEFAULT_CSS = """
    KeyBar {
        height: 1;
        background: $panel;
        color: $foreground;
    }
    KeyBar > .key-bar--key { color: $accent; text-style: bold; }
    KeyBar > .key-bar--disabled { color: $text-disabled; }
    """

    COMPONENT_CLASSES = {"key-bar--key", "key-bar--disabled"}

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: object) -> None:
        self.refresh()

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        disabled_style = self.get_component_rich_style("key-bar--disabled")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        shown: set[str] = set()
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in shown:
                continue
            shown.add(binding.action)
            text.append(f"{self.app.get_key_display(binding)} ", disabled_style if not enabled else key_style)
            text.append(f"{binding.description} ", disabled_style if not enabled else "")
        return glyphs().fit(text, self.size.width)
