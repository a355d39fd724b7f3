"""The first screen of ``godbg-tui`` without arguments: recent sessions, then what to debug, one key each."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from godbg_tui.adapters.dlv.launcher import LaunchError, LaunchSpec, validate_spec
from godbg_tui.adapters.store import RecentSession
from godbg_tui.tui.screens.attach_picker import AttachPicker
from godbg_tui.tui.screens.exec_picker import ExecPicker
from godbg_tui.tui.screens.test_picker import TestPicker

CHOICES = (
    ("attach", "a", "Attach to a running process", "dlv attach"),
    ("exec", "e", "Run a binary", "dlv exec"),
    ("debug", "d", "Debug a package", "build, then dlv debug"),
    ("test", "t", "Run a test", "dlv test"),
    ("connect", "c", "Connect to a headless dlv", "dlv connect"),
    ("quit", "q", "Quit", ""),
)


_TITLE_WIDTH = max(len(title) for _, _, title, _ in CHOICES)


def choice_row(key: str, title: str, what: str) -> Content:
    """`` a  Attach to a running process   dlv attach``: key, title, and the dlv command in a column."""
    return Content.assemble((f" {key} ", "bold $text-accent"), f" {title.ljust(_TITLE_WIDTH)}  ", (what, "$foreground-muted"))


def recent_row(entry: RecentSession) -> Content:
    """``exec prog -linger 1h   /home/me/src/app``: the session, then where it ran (muted)."""
    where = entry.wd or ""
    return Content.assemble(f" {entry.describe()}", (f"  {where}" if where else "", "$foreground-muted"))


class LauncherScreen(Screen[LaunchSpec | None]):
    """Choose how to start a session: a recent one (Enter), or a (attach), e (exec), d (debug),
    t (test), c (connect), q (quit).

    ``recent`` (newest first) is listed at the top and focused, so Enter starts the last
    session again; tab moves to the menu.

    Each of a/e/d/t pushes its picker (AttachPicker, ExecPicker, ExecPicker
    for packages, TestPicker); when the picker returns a LaunchSpec this
    screen dismisses with it, when it returns None the menu stays. c opens an
    address field here (``host:port`` or ``unix:/path``) and dismisses with
    ``LaunchSpec(mode="connect", address=…)``. q, or Escape on the menu,
    dismisses with None: the user wants out. ``cwd`` is where the file and
    test pickers start (default: the current directory).
    """

    DEFAULT_CSS = """
    LauncherScreen { align: center middle; }
    LauncherScreen > #menu {
        width: 64;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    LauncherScreen #title { text-style: bold; width: 100%; }
    LauncherScreen #cwd { color: $text-muted; width: 100%; margin-bottom: 1; }
    LauncherScreen OptionList, LauncherScreen OptionList:focus { height: auto; border: none; padding: 0; }
    LauncherScreen #recent, LauncherScreen #recent:focus { max-height: 10; margin-bottom: 1; }
    LauncherScreen .heading { color: $text-muted; text-style: bold; width: 100%; }
    LauncherScreen #connect { height: 1; margin-top: 1; display: none; }
    LauncherScreen #connect.-open { display: block; }
    LauncherScreen #connect Label { width: 9; color: $text-muted; }
    LauncherScreen #connect Input { border: none; height: 1; padding: 0 1; width: 1fr; }
    LauncherScreen #status { height: auto; margin-top: 1; color: $text-muted; }
    LauncherScreen #status.-error { color: $text-error; }
    """

    BINDINGS = [
        Binding("a", "choose('attach')", "Attach", id="launcher.attach"),
        Binding("e", "choose('exec')", "Exec", id="launcher.exec"),
        Binding("d", "choose('debug')", "Debug", id="launcher.debug"),
        Binding("t", "choose('test')", "Test", id="launcher.test"),
        Binding("c", "choose('connect')", "Connect", id="launcher.connect"),
        Binding("q", "choose('quit')", "Quit", id="launcher.quit"),
        Binding("escape", "back", "Back", show=False, id="launcher.back"),
    ]

    def __init__(self, cwd: str | os.PathLike[str] | None = None, *, recent: Sequence[RecentSession] = ()) -> None:
        super().__init__()
        self.cwd = Path(cwd) if cwd is not None else Path.cwd()
        self.recent = list(recent)
        self.AUTO_FOCUS = "#recent" if self.recent else "#choices"

    def compose(self) -> ComposeResult:
        with Vertical(id="menu"):
            yield Label("godbg-tui: what do you want to debug?", id="title")
            yield Label(str(self.cwd), id="cwd", markup=False)
            if self.recent:
                yield Label("Recent sessions (enter starts one)", classes="heading")
                yield OptionList(*(Option(recent_row(e), id=f"recent-{i}") for i, e in enumerate(self.recent)), id="recent")
                yield Label("New session", classes="heading")
            yield OptionList(*(Option(choice_row(key, title, what), id=name) for name, key, title, what in CHOICES), id="choices")
            with Horizontal(id="connect"):
                yield Label("Address")
                yield Input(placeholder="127.0.0.1:4040 or unix:/path/to/dlv.sock", id="address")
            yield Static("", id="status", markup=False)
        yield Footer()

    @on(OptionList.OptionSelected, "#recent")
    def _recent_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.recent[event.option_index].to_spec())

    @on(OptionList.OptionSelected, "#choices")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.action_choose(event.option.id)

    def action_choose(self, choice: str) -> None:
        self._set_status("")
        if choice == "quit":
            self.dismiss(None)
        elif choice == "connect":
            self.query_one("#connect").add_class("-open")
            self.query_one("#address", Input).focus()
        elif choice == "attach":
            self.app.push_screen(AttachPicker(), self._picked)
        elif choice in ("exec", "debug"):
            self.app.push_screen(ExecPicker(self.cwd, purpose=choice), self._picked)
        elif choice == "test":
            self.app.push_screen(TestPicker(self.cwd), self._picked)

    def _picked(self, spec: LaunchSpec | None) -> None:
        if spec is not None:
            self.dismiss(spec)

    @on(Input.Submitted, "#address")
    def _connect(self, event: Input.Submitted) -> None:
        address = event.value.strip()
        if not address:
            self._set_status("type the address dlv listens on (its --listen), e.g. 127.0.0.1:4040", "-error")
            return
        spec = LaunchSpec(mode="connect", address=address)
        try:
            validate_spec(spec)
        except LaunchError as exc:
            self._set_status(str(exc), "-error")
            return
        self.dismiss(spec)

    def action_back(self) -> None:
        """Escape closes the address field first, then leaves."""
        connect = self.query_one("#connect")
        if connect.has_class("-open"):
            connect.remove_class("-open")
            self._set_status("")
            self.query_one("#choices", OptionList).focus()
        else:
            self.dismiss(None)

    def _set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_classes(kind)
