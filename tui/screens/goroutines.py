"""Goroutine census screen: the census view of a DebugSession, retaken at every stop.

Dismisses with ``("goroutine", id)`` when the user selects a goroutine, or None
on Escape/q. The shell wires it like this (one census per session, so history,
Δ and leak suspects survive closing and reopening the screen)::

    def action_goroutine_census(self) -> None:
        if self._census is None or self._census_session is not self.session:
            self._census = GoroutineCensus.for_session(self.session)
            self._census_session = self.session

        def chosen(result: tuple[str, int] | None) -> None:
            if result is not None and result[0] == "goroutine":
                self.run_worker(self.session.select_goroutine(result[1]), group="session")

        self.push_screen(GoroutinesScreen(self.session, self._census), chosen)

(bound to e.g. ``Binding("G", "goroutine_census", "Census", id="app.goroutine-census")``
and the ``census`` / ``goroutines -census`` commands). ``GoroutineCensus.for_session``
raises CensusError when the session has no dlv yet (say so with ``notify``).
``GoroutinesScreen(session, census, channel="main.jobs")`` opens on the goroutines
blocked on that channel (listed once the census is in), e.g. for a channel
variable selected in the variables pane.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer

from godbg_tui.adapters.events import Closed, Exited, Phase, Running, SessionFailed, Stopped
from godbg_tui.adapters.goroutines import GoroutineCensus
from godbg_tui.adapters.session import DebugSession
from godbg_tui.tui.widgets.goroutine_census import GoroutineCensusView


class GoroutinesScreen(Screen[tuple[str, int] | None]):
    """Full-screen goroutine census; see the module docstring for the wiring."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="census-screen.close"),
    ]

    class SessionEvent(Message):
        """A session event, marshalled to the UI thread."""

        def __init__(self, event: object) -> None:
            super().__init__()
            self.event = event

    def __init__(self, session: DebugSession, census: GoroutineCensus | None = None, *, channel: str = "") -> None:
        super().__init__()
        self.session = session
        self.channel = channel
        self.census = census if census is not None else GoroutineCensus.for_session(session)
        self.view = GoroutineCensusView(self.census, id="goroutine-census")
        self._listening = True

    def compose(self) -> ComposeResult:
        yield self.view
        yield Footer()

    def on_mount(self) -> None:
        self.session.subscribe(self._on_session_event)
        self.view.focus()
        if self.session.phase == Phase.STOPPED:
            self.view.take()
            if self.channel:
                self.view.show_channel_waiters(self.channel)
        else:
            self.view.clear("the program is not paused: pause it (or wait for a breakpoint) to take a census")

    def _on_session_event(self, event: object) -> None:
        """Session listener (any thread): forwards to the UI thread while the screen is open.

        The session has no unsubscribe, so a closed screen just stops forwarding.
        """
        if self._listening and isinstance(event, (Stopped, Running, Exited, SessionFailed, Closed)):
            self.post_message(self.SessionEvent(event))

    def on_goroutines_screen_session_event(self, message: SessionEvent) -> None:
        event = message.event
        if isinstance(event, Stopped):
            self.view.take()
        elif isinstance(event, Running):
            self.view.clear()
        else:
            self.view.clear("the program has ended: there are no goroutines to count")

    def on_goroutine_census_view_selected(self, message: GoroutineCensusView.Selected) -> None:
        message.stop()
        self._close(("goroutine", message.goroutine_id))

    def action_close(self) -> None:
        self._close(None)

    def _close(self, result: tuple[str, int] | None) -> None:
        self._listening = False
        self.view.clear("closed")
        self.dismiss(result)
