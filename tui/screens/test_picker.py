"""Pick a test, benchmark, example or subtest of a Go package to debug under ``dlv test``."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import anyio.to_thread
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.gotests import GoTest, ListTestsError, PackageTests, list_tests

def _label(test: GoTest) -> Content:
    if not test.is_subtest:
        return Content(test.name)
    return Content.assemble(("  " * test.name.count("/") + "↳ ", "$foreground-muted"), test.name)


def go_test_row(test: GoTest, name_width: int) -> Content:
    """``TestSub/neg   subtest · from source``: subtests indented under their parent, kinds in a column."""
    label = _label(test)
    kind = f"sub{test.kind} · from source" if test.is_subtest else test.kind
    return Content.assemble(label, " " * max(2, name_width - label.cell_length + 2), (kind, "$foreground-muted"))


_MAX_NAME_WIDTH = 48


def complete_directory(value: str) -> str | None:
    """``value`` with its last path component completed to the first matching subdirectory
    (and a trailing ``/``), or None; dot directories only when asked for with a ``.``."""
    if not value:
        return None
    path = Path(value).expanduser()
    parent, prefix = (path, "") if value.endswith("/") else (path.parent, path.name)
    try:
        names = sorted(
            entry.name
            for entry in os.scandir(parent)
            if entry.name.startswith(prefix)
            and (prefix.startswith(".") or not entry.name.startswith("."))
            and entry.is_dir()
        )
    except OSError:
        return None
    return value + names[0][len(prefix) :] + "/" if names else None


class DirectorySuggester(Suggester):
    """Inline completion of directory paths (→ or End accepts), read off the UI thread."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        return await anyio.to_thread.run_sync(complete_directory, value)


class TestPicker(ModalScreen[LaunchSpec | None]):
    """Choose what ``dlv test`` should run in one package.

    Shows ``go test -list`` for the package directory (default: the current
    directory; edit it, with directory completion, and press Enter to list
    another) plus subtests found
    in the sources, marked "from source" since only running can prove them.
    Type to filter; Enter dismisses with ``LaunchSpec(mode="test",
    program=<package dir>, test_run=<regex>, args=("-test.v", …),
    build_flags=…)`` (benchmarks add ``-test.bench <regex> -test.benchtime
    1x`` and run no tests); Escape dismisses with None. A package that does
    not build shows go's message and output in place of the list.
    ``build_flags`` (e.g. ``-tags=integration``) apply to listing and launch.
    """

    __test__ = False  # a Textual screen, not a pytest class

    DEFAULT_CSS = """
    TestPicker { align: center middle; }
    TestPicker > #dialog {
        width: 110;
        max-width: 100%;
        height: 100%;
        max-height: 50;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    TestPicker #title { text-style: bold; width: 100%; }
    TestPicker .field { height: 1; margin-bottom: 1; }
    TestPicker .field Label { width: 9; color: $text-muted; }
    TestPicker .field Input { border: none; height: 1; padding: 0 1; width: 1fr; }
    TestPicker OptionList { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    TestPicker #problem { height: 1fr; display: none; background: $panel; }
    TestPicker #output { color: $text-muted; }
    TestPicker.-failed #problem { display: block; }
    TestPicker.-failed OptionList { display: none; }
    TestPicker #status { height: auto; max-height: 3; color: $text-muted; }
    TestPicker #status.-error { color: $text-error; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="tests.cancel"),
        Binding("enter", "submit", "Debug", id="tests.choose", priority=True),
        Binding("f5,ctrl+r", "relist", "Relist", id="tests.relist", key_display="F5"),
        Binding("down", "move('cursor_down')", "Down", show=False, id="tests.down"),
        Binding("up", "move('cursor_up')", "Up", show=False, id="tests.up"),
        Binding("pagedown", "move('page_down')", "Page down", show=False, id="tests.page-down"),
        Binding("pageup", "move('page_up')", "Page up", show=False, id="tests.page-up"),
    ]

    AUTO_FOCUS = "#filter"

    def __init__(self, package_dir: str | os.PathLike[str] | None = None, *, build_flags: str | None = None) -> None:
        super().__init__()
        self.package_dir = Path(package_dir) if package_dir is not None else Path.cwd()
        self.build_flags = build_flags
        self.listing: PackageTests | None = None
        self.shown: list[GoTest] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Debug a test", id="title")
            with Horizontal(classes="field"):
                yield Label("Package")
                yield Input(str(self.package_dir), id="package", suggester=DirectorySuggester())
            with Horizontal(classes="field"):
                yield Label("Filter")
                yield Input(placeholder="part of a test name", id="filter")
            yield OptionList(id="tests")
            with VerticalScroll(id="problem"):
                yield Static("", id="output", markup=False)
            yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).can_focus = False
        self.load_tests()

    @work(group="tests", exclusive=True, exit_on_error=False)
    async def load_tests(self) -> None:
        text = self.query_one("#package", Input).value.strip() or "."
        directory = Path(text).expanduser()
        self.listing = None
        self.shown = []
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        self.remove_class("-failed")
        try:
            flags = tuple(shlex.split(self.build_flags or ""))
        except ValueError as exc:
            self._set_status(f"build flags {self.build_flags!r} do not parse: {exc}", "-error")
            return
        self._set_status(f"listing tests in {directory} (go test -list)…", "")
        option_list.loading = True
        try:
            self.listing = await list_tests(directory, build_flags=flags)
        except ListTestsError as exc:
            self.add_class("-failed")
            self.query_one("#output", Static).update(exc.output)
            self._set_status(f"{exc.message} · F5 lists again", "-error")
            return
        finally:
            option_list.loading = False
        self._show()

    def _show(self) -> None:
        if self.listing is None:
            return
        words = self.query_one("#filter", Input).value.lower().split()
        self.shown = [t for t in self.listing.tests if all(w in t.name.lower() for w in words)]
        option_list = self.query_one(OptionList)
        name_width = min(_MAX_NAME_WIDTH, max((_label(t).cell_length for t in self.shown), default=0))
        option_list.set_options(Option(go_test_row(t, name_width)) for t in self.shown)
        if self.shown:
            option_list.highlighted = 0
        self._set_status(self._summary(), "")

    def _summary(self) -> str:
        assert self.listing is not None
        tests = self.listing.tests
        if not tests:
            return f"{self.listing.import_path or self.listing.package_dir} has no tests"
        counts: dict[str, int] = {}
        for test in tests:
            key = "subtest" if test.is_subtest else test.kind
            counts[key] = counts.get(key, 0) + 1
        parts = ", ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts.items())
        shown = f"; {len(self.shown)} match" if len(self.shown) != len(tests) else ""
        return f"{self.listing.import_path}: {parts}{shown}"

    def _set_status(self, text: str, kind: str) -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_classes(kind)

    @property
    def highlighted_test(self) -> GoTest | None:
        index = self.query_one(OptionList).highlighted
        return self.shown[index] if index is not None and index < len(self.shown) else None

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._show()

    @on(OptionList.OptionSelected)
    def _clicked(self) -> None:
        self._choose()

    def action_move(self, action: str) -> None:
        getattr(self.query_one(OptionList), f"action_{action}")()

    def action_submit(self) -> None:
        """Enter: in the package field, list that package; elsewhere, debug the highlighted test."""
        if self.focused is self.query_one("#package", Input):
            self.load_tests()
            self.query_one("#filter", Input).focus()
        else:
            self._choose()

    def action_relist(self) -> None:
        self.load_tests()

    def _choose(self) -> None:
        test = self.highlighted_test
        if test is None or self.listing is None:
            self.app.bell()
            return
        test_run, args = test.launch_flags()
        self.dismiss(
            LaunchSpec(
                mode="test",
                program=str(self.listing.package_dir),
                test_run=test_run,
                args=args,
                build_flags=self.build_flags,
            )
        )

    def action_cancel(self) -> None:
        self.dismiss(None)
