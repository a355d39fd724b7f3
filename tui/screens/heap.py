"""The heap screen: a full-screen HeapView for one DebugSession.

One HeapMonitor per session (``HeapScreen.monitor_for``) lives as long as the
session, served by an app worker (group "heap") that owns its task group: so
closing and reopening the view keeps the history (counters are read on every
stop, a few Evals), while the expensive sources (Delve walk, HTTP polling)
run only while the screen is shown.
"""

from __future__ import annotations

import weakref
from typing import ClassVar

import anyio
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer

from godbg_tui.adapters.pprof.monitor import HeapMonitor
from godbg_tui.adapters.session import DebugSession
from godbg_tui.tui.widgets.heap_view import HeapView

HeapResult = tuple[str, str, int]  # ("source" | "break", file, line)

_monitors: weakref.WeakKeyDictionary[DebugSession, HeapMonitor] = weakref.WeakKeyDictionary()


class HeapScreen(Screen[HeapResult | None]):
    """Heap view of ``session``; dismisses with ``("source"|"break", file, line)`` or None.

    Enter on a frame of the call-stacks panel dismisses with
    ``("source", file, line)``, ``b`` there with ``("break", file, line)``;
    Escape or q dismisses with None. The host wires it (tui/screens/main.py,
    ``apply_result``)::

        if ui.get("heap") and self.session is not None:
            def heap_done(r: HeapResult | None) -> None:
                if r is not None and r[0] == "source": self.source.show_file(r[1], r[2])
                elif r is not None: self.session_call("setting a breakpoint", lambda s: s.set_breakpoint(f"{r[1]}:{r[2]}"))
            self.app.push_screen(HeapScreen(self.session), heap_done)

    ``pprof_url`` (the user's ``--pprof URL``) is used only when the session's
    monitor is first made; without it the monitor looks for a loopback
    /debug/pprof/ listener of the target.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close_heap", "Close", id="heap.close"),
    ]

    DEFAULT_CSS = """
    HeapScreen { background: $background; }
    """

    def __init__(self, session: DebugSession, *, pprof_url: str | None = None) -> None:
        super().__init__()
        self.session = session
        self.pprof_url = pprof_url
        self.monitor: HeapMonitor  # the session's, set in compose (it needs the app)

    @staticmethod
    def monitor_for(app: App, session: DebugSession, *, pprof_url: str | None = None) -> HeapMonitor:
        """The session's HeapMonitor, started in an app worker the first time it is asked for."""
        monitor = _monitors.get(session)
        if monitor is None:
            monitor = _monitors[session] = HeapMonitor(session, pprof_url=pprof_url)
            app.run_worker(_serve(monitor), group="heap", name="heap monitor", exit_on_error=False)
        return monitor

    def compose(self) -> ComposeResult:
        settings = getattr(self.app, "settings", None)
        url = self.pprof_url or (settings.pprof_url if settings is not None else None)
        self.monitor = self.monitor_for(self.app, self.session, pprof_url=url)
        yield HeapView(self.monitor, id="heap-view")
        yield Footer()

    def on_mount(self) -> None:
        view = self.query_one(HeapView)
        # The monitor calls back on the event loop; changed() only sets a flag.
        self.monitor.on_update = view.changed
        self.monitor.set_visible(True)

    def on_screen_resume(self) -> None:
        self.monitor.set_visible(True)
        self.query_one(HeapView).changed()

    def on_screen_suspend(self) -> None:
        self.monitor.set_visible(False)

    def on_unmount(self) -> None:
        self.monitor.set_visible(False)
        self.monitor.on_update = None

    def action_close_heap(self) -> None:
        self.dismiss(None)

    @on(HeapView.OpenSource)
    def _open_source(self, message: HeapView.OpenSource) -> None:
        message.stop()
        self.dismiss(("source", message.file, message.line))

    @on(HeapView.SetBreakpoint)
    def _set_breakpoint(self, message: HeapView.SetBreakpoint) -> None:
        message.stop()
        self.dismiss(("break", message.file, message.line))


def filter_program_output(session: DebugSession, data: bytes) -> bytes:
    """Program output minus gctrace lines, which the session's heap monitor records for its GC strip.

    Route every Output event's data through this before the console shows
    it; until the session has a monitor (HeapScreen.monitor_for) it returns
    ``data`` unchanged.
    """
    monitor = _monitors.get(session)
    return data if monitor is None else monitor.filter_output(data)


async def _serve(monitor: HeapMonitor) -> None:
    """Run ``monitor`` until its session closes (or the app's workers are cancelled)."""
    async with anyio.create_task_group() as tg:
        await tg.start(monitor.run)
