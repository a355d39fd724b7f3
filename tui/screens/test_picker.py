"""Pick a test, benchmark, example or subtest of a Go package to debug under ``dlv test``."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path

import anyio.to_thread
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import Suggester
from textual.widgets import Footer, Input, Label, Static

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.gotests import GoTest, ListTestsError, PackageTests, list_tests
from godbg_tui.tui.widgets.filter_list import FilterList, PickerFrame
from godbg_tui.tui.glyphs import glyphs

def _label(test: GoTest) -> Content:
    if not test.is_subtest:
        return Content(test.name)
    return Content.assemble(("  " * test.name.count("/") + glyphs().subtest, "$foreground-muted"), test.name)


def go_test_row(test: GoTest, name_width: int) -> Content:
    """``TestSub/neg   subtest · from source``: subtests indented under their parent, kinds in a column."""
    label = _label(test)
    kind = f"sub{test.kind} {glyphs().separator} from source" if test.is_subtest else test.kind
    return Content.assemble(label, " " * max(2, name_width - label.cell_length + 2), (kind, "$foreground-muted"))


_MAX_NAME_WIDTH = 48


def narrow(tests: Sequence[GoTest], words: list[str]) -> list[GoTest]:
    """The tests whose name contains every word, in listing order."""
    return [t for t in tests if all(w in t.name.lower() for w in words)]


def render_tests(shown: Sequence[GoTest]) -> list[Content]:
    """Rows with the kinds aligned in one column after the longest (capped) shown name."""
    name_width = min(_MAX_NAME_WIDTH, max((_label(t).cell_length for t in shown), default=0))
    return [go_test_row(t, name_width) for t in shown]


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
    TestPicker #package-field { margin-bottom: 1; }
    TestPicker #problem { height: 1fr; display: none; background: $panel; }
    TestPicker #output { color: $text-muted; }
    TestPicker.-failed #problem { display: block; }
    TestPicker.-failed FilterList { height: auto; }
    TestPicker.-failed FilterList > OptionList { display: none; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="tests.cancel"),
        Binding("enter", "submit", "Debug", id="tests.choose", priority=True),
        Binding("f5,ctrl+r", "relist", "Relist", id="tests.relist", key_display="F5"),
    ]

    AUTO_FOCUS = "#filter"

    def __init__(self, package_dir: str | os.PathLike[str] | None = None, *, build_flags: str | None = None) -> None:
        super().__init__()
        self.package_dir = Path(package_dir) if package_dir is not None else Path.cwd()
        self.build_flags = build_flags
        self.listing: PackageTests | None = None

    def compose(self) -> ComposeResult:
        with PickerFrame("Debug a test"):
            with Horizontal(classes="field", id="package-field"):
                yield Label("Package")
                yield Input(str(self.package_dir), id="package", suggester=DirectorySuggester())
            yield FilterList(narrow=narrow, render=render_tests, label="Filter", placeholder="part of a test name",
                             id="tests")
            with VerticalScroll(id="problem"):
                yield Static("", id="output", markup=False)
        yield Footer()

    @property
    def filter_list(self) -> FilterList[GoTest]:
        return self.query_one(FilterList)

    @property
    def shown(self) -> list[GoTest]:
        return self.filter_list.shown

    @property
    def highlighted_test(self) -> GoTest | None:
        return self.filter_list.highlighted_item

    def on_mount(self) -> None:
        self.load_tests()

    @work(group="tests", exclusive=True, exit_on_error=False)
    async def load_tests(self) -> None:
        text = self.query_one("#package", Input).value.strip() or "."
        directory = Path(text).expanduser()
        frame = self.query_one(PickerFrame)
        self.listing = None
        self.filter_list.clear()
        self.remove_class("-failed")
        try:
            flags = tuple(shlex.split(self.build_flags or ""))
        except ValueError as exc:
            frame.set_status(f"build flags {self.build_flags!r} do not parse: {exc}", "-error")
            return
        frame.set_status(f"listing tests in {directory} (go test -list){glyphs().ellipsis}")
        option_list = self.filter_list.option_list
        option_list.loading = True
        try:
            self.listing = await list_tests(directory, build_flags=flags)
        except ListTestsError as exc:
            self.add_class("-failed")
            self.query_one("#output", Static).update(exc.output)
            frame.set_status(f"{exc.message} {glyphs().separator} F5 lists again", "-error")
            return
        finally:
            option_list.loading = False
        self.filter_list.set_items(self.listing.tests)

    @on(FilterList.Changed)
    def _shown_changed(self) -> None:
        if self.listing is not None:
            self.query_one(PickerFrame).set_status(self._summary())

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

    @on(FilterList.Chosen)
    def _clicked(self) -> None:
        self._choose()

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
