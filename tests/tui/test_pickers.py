"""The launcher and the attach / exec / test pickers, driven by keys through Pilot.

Each screen runs in a minimal host app that pushes it and records what it
dismisses with; the data is real (a running Go fixture, built binaries, the
testpkg and badbuild packages).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from rich.style import Style
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input, OptionList, Static

import gofixtures
from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.events import Phase
from godbg_tui.adapters.session import DebugSession
from godbg_tui.themes import APP_CSS, VARIABLE_DEFAULTS
from godbg_tui.tui import glyphs
from godbg_tui.tui.screens.attach_picker import AttachPicker
from godbg_tui.tui.screens.exec_picker import ExecPicker, GoBinaryTree
from godbg_tui.tui.screens.launcher import LauncherScreen
from godbg_tui.tui.screens.test_picker import TestPicker, complete_directory
from support import async_wait_until, wait_until
from test_app import screen_text

SIZES = [(80, 24), (250, 70)]
GO_VERSION = gofixtures.go_version().split()[2]


class Host(App[None]):
    """Pushes one screen and records every result it dismisses with."""

    def __init__(self, make_screen: Callable[[], Screen]) -> None:
        super().__init__()
        self.make_screen = make_screen
        self.results: list[LaunchSpec | None] = []

    def on_mount(self) -> None:
        self.push_screen(self.make_screen(), self.results.append)


def status_text(screen: Screen) -> str:
    return str(screen.query_one("#status", Static).render())


def option_texts(screen: Screen) -> list[str]:
    option_list = screen.query_one(OptionList)
    return [option_list.get_option_at_index(i).prompt.plain for i in range(option_list.option_count)]


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*("space" if c == " " else c for c in text))


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


@pytest.fixture
def attachee(go_bin) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen([go_bin["attachee"]], stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        stop(proc)


# ----- attach -----


@pytest.mark.parametrize("size", SIZES)
async def test_attach_picker_lists_attachee_with_go_version_and_attaches_by_pid(attachee, size) -> None:
    app = Host(AttachPicker)
    async with app.run_test(size=size) as pilot:
        picker = app.screen
        assert isinstance(picker, AttachPicker)
        await async_wait_until(
            lambda: picker.loaded and any(p.pid == attachee.pid for p in picker.processes),
            message="attachee in the process list",
        )
        await type_text(pilot, str(attachee.pid))
        await async_wait_until(
            lambda: picker.highlighted_process is not None and picker.highlighted_process.pid == attachee.pid,
            message="attachee highlighted after filtering by its pid",
        )
        row = option_texts(picker)[0]
        assert str(attachee.pid) in row and GO_VERSION in row and "attachee" in row
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    assert app.results == [LaunchSpec(mode="attach", pid=attachee.pid)]


async def test_attach_picker_puts_go_first_and_refreshes(attachee) -> None:
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        app = Host(AttachPicker)
        async with app.run_test(size=(80, 24)) as pilot:
            picker = app.screen
            await async_wait_until(lambda: picker.loaded, message="process list loaded")
            pids = [p.pid for p in picker.shown]
            if sleeper.pid not in pids:
                await pilot.press("f5")
                await async_wait_until(lambda: sleeper.pid in [p.pid for p in picker.shown], message="sleep listed")
                pids = [p.pid for p in picker.shown]
            assert pids.index(attachee.pid) < pids.index(sleeper.pid)
            stop(sleeper)
            await pilot.press("ctrl+r")
            await async_wait_until(lambda: sleeper.pid not in [p.pid for p in picker.shown], message="sleep gone")
            await pilot.press("escape")
        assert app.results == [None]
    finally:
        stop(sleeper)


async def test_attach_picker_list_keys_work_while_typing_and_refresh_keeps_the_highlight(attachee) -> None:
    sleeper = subprocess.Popen(["sleep", "60"])  # not a Go program: never listed first
    try:
        app = Host(AttachPicker)
        async with app.run_test(size=(80, 24)) as pilot:
            picker = app.screen
            await async_wait_until(lambda: picker.loaded and len(picker.shown) >= 3, message="process list loaded")
            field = picker.query_one("#filter", Input)
            assert picker.focused is field and picker.highlighted_process is picker.shown[0]
            await pilot.press("down", "down", "up")
            assert picker.focused is field and picker.highlighted_process is picker.shown[1]
            await pilot.press("pageup")
            index = [p.pid for p in picker.shown].index(sleeper.pid)
            await pilot.press(*["down"] * index)
            assert index > 0 and picker.focused is field and picker.highlighted_process.pid == sleeper.pid
            await pilot.press("f5")
            await async_wait_until(lambda: "reading /proc" not in status_text(picker), message="listed again")
            assert picker.highlighted_process.pid == sleeper.pid, "F5 keeps the highlighted pid"
            await type_text(pilot, "zz-no-such-process")
            await async_wait_until(lambda: not picker.shown, message="nothing matches")
            assert picker.highlighted_process is None and "nothing matches the filter" in status_text(picker)
            await pilot.press("enter")
            assert app.results == []
            await pilot.press("escape")
        assert app.results == [None]
    finally:
        stop(sleeper)


async def test_attach_picker_explains_a_traced_process_instead_of_attaching(go_bin, dlv_path: Path) -> None:
    dlv = subprocess.Popen(
        [str(dlv_path), "exec", str(go_bin["attachee"]), "--headless", "--api-version=2", "--listen=127.0.0.1:0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    target: int | None = None
    try:
        from godbg_tui.adapters.processes import read_processes

        target = wait_until(
            lambda: next((p.pid for p in read_processes() if p.tracer_pid == dlv.pid), None),
            timeout=30,
            message="dlv's target traced",
        )
        app = Host(AttachPicker)
        async with app.run_test(size=(80, 24)) as pilot:
            picker = app.screen
            await async_wait_until(lambda: picker.loaded, message="process list loaded")
            await type_text(pilot, str(target))
            await async_wait_until(
                lambda: picker.highlighted_process is not None and picker.highlighted_process.pid == target,
                message="traced target highlighted",
            )
            assert f"being debugged by {dlv.pid} (dlv)" in option_texts(picker)[0]
            await pilot.press("enter")
            await pilot.pause()
            assert app.results == []
            assert app.screen is picker
            assert f"pid {target} is being debugged by {dlv.pid} (dlv)" in status_text(picker)
            assert "only one debugger" in status_text(picker)
            await pilot.press("escape")
        assert app.results == [None]
    finally:
        if target is not None:
            try:
                os.kill(target, signal.SIGKILL)
            except ProcessLookupError:
                pass
        stop(dlv)


# ----- exec -----


@pytest.fixture
def binaries(go_bin, tmp_path: Path) -> Path:
    """tmp/bin/{prog, stripped, run.sh, notes.txt}, tmp/cmd/srv (package main), tmp/lib (a library)."""
    (tmp_path / "bin").mkdir()
    shutil.copy2(go_bin["prog"], tmp_path / "bin" / "prog")
    data = bytearray(go_bin["prog"].read_bytes())
    data[40:48], data[60:64] = bytes(8), bytes(4)  # drop the section table: no DWARF any more
    (tmp_path / "bin" / "stripped").write_bytes(data)
    (tmp_path / "bin" / "stripped").chmod(0o755)
    (tmp_path / "bin" / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "bin" / "run.sh").chmod(0o755)
    (tmp_path / "bin" / "notes.txt").write_text("not executable\n")
    (tmp_path / "cmd" / "srv").mkdir(parents=True)
    (tmp_path / "cmd" / "srv" / "main.go").write_text("package main\n\nfunc main() {}\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "lib.go").write_text("package lib\n")
    return tmp_path


def tree_names(tree: GoBinaryTree) -> list[str]:
    lines = []
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.data is not None:
            lines.append(node.data.path.name)
    return lines


def label_of(tree: GoBinaryTree, name: str) -> str:
    for line in range(tree.last_line + 1):
        node = tree.get_node_at_line(line)
        if node is not None and node.data is not None and node.data.path.name == name:
            return tree.render_label(node, Style(), Style()).plain
    raise LookupError(name)


async def move_to(pilot: Pilot, tree: GoBinaryTree, name: str) -> None:
    """Press down until the cursor is on ``name`` (at most one pass over the tree)."""
    for _ in range(tree.last_line + 2):
        node = tree.cursor_node
        if node is not None and node.data is not None and node.data.path.name == name:
            return
        await pilot.press("down")
    raise AssertionError(f"{name} not reachable with down; tree: {tree_names(tree)}")


async def open_dir(pilot: Pilot, tree: GoBinaryTree, name: str, child: str) -> None:
    await move_to(pilot, tree, name)
    await pilot.press("right")
    await async_wait_until(lambda: child in tree_names(tree), message=f"{name}/ opened")


@pytest.mark.parametrize("size", SIZES)
async def test_exec_picker_navigates_to_a_go_binary_and_returns_exec_spec_with_args(binaries: Path, size) -> None:
    app = Host(lambda: ExecPicker(binaries))
    async with app.run_test(size=size) as pilot:
        picker = app.screen
        tree = picker.query_one(GoBinaryTree)
        await async_wait_until(lambda: tree_names(tree) == ["bin", "cmd", "lib"], message="root listed")
        await open_dir(pilot, tree, "bin", "prog")
        assert tree_names(tree) == ["bin", "prog", "run.sh", "stripped", "cmd", "lib"]  # notes.txt hidden
        assert GO_VERSION in label_of(tree, "prog") and "no debug info" not in label_of(tree, "prog")
        assert "no debug info" in label_of(tree, "stripped")
        assert "not a binary" in label_of(tree, "run.sh")
        assert "package main" not in label_of(tree, "lib")
        await move_to(pilot, tree, "prog")
        await async_wait_until(lambda: GO_VERSION in status_text(picker), message="prog described")
        await pilot.press("enter")
        await async_wait_until(lambda: picker.focused is picker.query_one("#args", Input), message="args focused")
        await type_text(pilot, '-echo "hello world" x')
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    assert app.results == [
        LaunchSpec(mode="exec", program=str(binaries / "bin" / "prog"), args=("-echo", "hello world", "x"))
    ]


async def test_exec_picker_refuses_binaries_without_debug_info_and_bad_quoting(binaries: Path) -> None:
    app = Host(lambda: ExecPicker(binaries))
    async with app.run_test(size=(80, 24)) as pilot:
        picker = app.screen
        tree = picker.query_one(GoBinaryTree)
        await async_wait_until(lambda: "bin" in tree_names(tree), message="root listed")
        await open_dir(pilot, tree, "bin", "stripped")
        await move_to(pilot, tree, "stripped")
        await pilot.press("enter")
        await async_wait_until(
            lambda: "cannot debug stripped: no debug info: rebuild with -gcflags=all=-N -l" in status_text(picker),
            message="stripped refused",
        )
        assert picker.target is None and app.results == []
        await pilot.press("up")  # run.sh sits just above stripped
        await pilot.press("enter")
        await async_wait_until(lambda: "cannot debug run.sh: it is not a binary" in status_text(picker), message="script refused")
        await pilot.press("up", "enter")  # prog
        await async_wait_until(lambda: picker.target is not None, message="prog chosen")
        await type_text(pilot, "'unterminated")
        await pilot.press("enter")
        await pilot.pause()
        assert "do not parse" in status_text(picker) and app.results == []
        await pilot.press("escape")
    assert app.results == [None]


async def test_exec_picker_takes_a_main_package_directory_as_debug(binaries: Path) -> None:
    app = Host(lambda: ExecPicker(binaries, purpose="debug"))
    async with app.run_test(size=(80, 24)) as pilot:
        picker = app.screen
        tree = picker.query_one(GoBinaryTree)
        await async_wait_until(lambda: "cmd" in tree_names(tree), message="root listed")
        await open_dir(pilot, tree, "cmd", "srv")
        assert "package main" in label_of(tree, "srv")
        await move_to(pilot, tree, "srv")
        await pilot.press("enter")
        await async_wait_until(lambda: picker.target is not None, message="package chosen")
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    assert app.results == [LaunchSpec(mode="debug", program=str(binaries / "cmd" / "srv"), args=())]


async def test_exec_picker_accepts_a_typed_path_and_filters_names(binaries: Path) -> None:
    app = Host(lambda: ExecPicker(binaries))
    async with app.run_test(size=(80, 24)) as pilot:
        picker = app.screen
        tree = picker.query_one(GoBinaryTree)
        await async_wait_until(lambda: "bin" in tree_names(tree), message="root listed")
        await pilot.press("slash")
        assert picker.focused is picker.query_one("#filter", Input)
        await type_text(pilot, "bin/")
        await pilot.press("enter")
        await async_wait_until(lambda: tree_names(tree) == ["prog", "run.sh", "stripped"], message="re-rooted at bin")
        await pilot.press("slash")
        await type_text(pilot, "str")
        await async_wait_until(lambda: tree_names(tree) == ["stripped"], message="filtered to stripped")
        await pilot.press("ctrl+u")
        await async_wait_until(lambda: len(tree_names(tree)) == 3, message="filter cleared")
        await pilot.press("tab")
        await pilot.press("backspace")
        await async_wait_until(lambda: "cmd" in tree_names(tree), message="back up at the start directory")
        await pilot.press("slash")
        await type_text(pilot, "./bin/prog")
        await pilot.press("enter")
        await async_wait_until(lambda: picker.target == ("exec", binaries / "bin" / "prog"), message="prog chosen by path")
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    assert app.results == [LaunchSpec(mode="exec", program=str(binaries / "bin" / "prog"), args=())]


# ----- test -----


@pytest.mark.parametrize("size", SIZES)
async def test_test_picker_lists_testpkg_and_returns_the_subtest_regex(fixture_src, size) -> None:
    package = fixture_src["testpkg"]
    app = Host(lambda: TestPicker(package))
    async with app.run_test(size=size) as pilot:
        picker = app.screen
        await async_wait_until(lambda: picker.listing is not None, timeout=120, message="go test -list done")
        rows = option_texts(picker)
        for name in ("TestAdd", "TestSub", "TestSub/neg", "BenchmarkAdd", "ExampleAdd"):
            assert any(name in row for row in rows), (name, rows)
        assert "from source" in next(row for row in rows if "TestSub/neg" in row)
        await async_wait_until(lambda: "example.com/testpkg" in status_text(picker), timeout=10, message="status names the package")
        await type_text(pilot, "neg")
        await async_wait_until(lambda: [t.name for t in picker.shown] == ["TestSub/neg"], message="filtered to neg")
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    assert app.results == [
        LaunchSpec(mode="test", program=str(package.resolve()), test_run="^TestSub$/^neg$", args=("-test.v",))
    ]


async def test_test_picker_benchmark_runs_no_tests_and_one_iteration(fixture_src) -> None:
    app = Host(lambda: TestPicker(fixture_src["testpkg"]))
    async with app.run_test(size=(80, 24)) as pilot:
        picker = app.screen
        await async_wait_until(lambda: picker.listing is not None, timeout=120, message="go test -list done")
        await type_text(pilot, "bench")
        await async_wait_until(lambda: [t.name for t in picker.shown] == ["BenchmarkAdd"], message="filtered")
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    spec = app.results[0]
    assert spec.test_run == "^$"
    assert spec.args == ("-test.v", "-test.bench", "^BenchmarkAdd$", "-test.benchtime", "1x")


async def test_test_picker_shows_build_errors_inline_and_relists_another_package(fixture_src) -> None:
    app = Host(lambda: TestPicker(fixture_src["badbuild"]))
    async with app.run_test(size=(80, 24)) as pilot:
        picker = app.screen
        await async_wait_until(lambda: "does not build" in status_text(picker), timeout=120, message="build error")
        assert "main.go:6:2: declared and not used: unused" in status_text(picker)
        assert "[build failed]" in str(picker.query_one("#output", Static).render())
        await async_wait_until(lambda: picker.query_one("#output").region.height > 0, message="the output on screen")
        await pilot.press("enter")
        await pilot.pause()
        assert app.results == [] and app.screen is picker
        await pilot.press("shift+tab")
        assert picker.focused is picker.query_one("#package", Input)
        await pilot.press("ctrl+u")
        await type_text(pilot, str(fixture_src["testpkg"].parent) + "/testp")
        package_input = picker.query_one("#package", Input)
        await async_wait_until(lambda: package_input._suggestion, message="a directory completion")
        await pilot.press("right")  # accepts the completion
        assert package_input.value == str(fixture_src["testpkg"]) + "/"
        await pilot.press("enter")
        await async_wait_until(lambda: picker.listing is not None, timeout=120, message="testpkg listed")
        await async_wait_until(lambda: picker.query_one("#output").region.height == 0, message="the output hidden")
        await type_text(pilot, "TestAdd")
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    assert app.results[0].test_run == "^TestAdd$"


async def test_test_picker_build_flags_apply_to_listing_and_launch(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/tagged\n\ngo 1.22\n")
    (tmp_path / "tagged_test.go").write_text(
        '//go:build special\n\npackage tagged\n\nimport "testing"\n\nfunc TestTagged(t *testing.T) {}\n'
    )
    app = Host(lambda: TestPicker(tmp_path, build_flags="-tags=special"))
    async with app.run_test(size=(80, 24)) as pilot:
        picker = app.screen
        await async_wait_until(lambda: picker.listing is not None, timeout=120, message="go test -list done")
        assert [t.name for t in picker.shown] == ["TestTagged"]
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    assert app.results[0].build_flags == "-tags=special"

    app = Host(lambda: TestPicker(tmp_path))
    async with app.run_test(size=(80, 24)):
        picker = app.screen
        await async_wait_until(
            lambda: "build constraints exclude all Go files" in status_text(picker),
            timeout=120,
            message="the untagged listing explained",
        )
        assert "-tags=integration" in status_text(picker) and picker.shown == []

    app = Host(lambda: TestPicker(tmp_path, build_flags='-tags "special'))
    async with app.run_test(size=(80, 24)):
        picker = app.screen
        await async_wait_until(lambda: "do not parse" in status_text(picker), message="bad build flags reported")


async def pick_test(package: Path, filter_text: str, dlv_path: Path) -> LaunchSpec:
    """The spec TestPicker returns for the only test matching ``filter_text`` (dlv pinned)."""
    app = Host(lambda: TestPicker(package))
    async with app.run_test(size=(80, 24)) as pilot:
        picker = app.screen
        await async_wait_until(lambda: picker.listing is not None, timeout=120, message="go test -list done")
        await type_text(pilot, filter_text)
        await async_wait_until(lambda: len(picker.shown) == 1, message=f"only {filter_text} shown")
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    return replace(app.results[0], dlv_path=str(dlv_path))


async def test_picked_subtest_runs_only_that_subtest_under_dlv(fixture_src, dlv_path: Path) -> None:
    """TestSub/pos calls Sub(5, 3) before neg's Sub(3, 5): the first stop must be neg's."""
    spec = await pick_test(fixture_src["testpkg"], "neg", dlv_path)
    async with DebugSession(spec) as session:
        await session.set_breakpoint("testpkg.Sub")
        await session.continue_()
        assert (await session.eval("a")).value == "3"
        assert any(frame.function.name.endswith("TestSub.func2") for frame in await session.stack())


async def test_picked_benchmark_runs_once_and_no_tests_under_dlv(fixture_src, dlv_path: Path) -> None:
    spec = await pick_test(fixture_src["testpkg"], "Benchmark", dlv_path)
    async with DebugSession(spec) as session:
        await session.set_breakpoint("testpkg.Add")
        await session.continue_()
        callers = [frame.function.name for frame in await session.stack()]
        assert any(name.endswith("BenchmarkAdd") for name in callers), callers
        await session.continue_()
        assert session.phase == Phase.EXITED and session.exit_status == 0


def test_directory_completion(tmp_path: Path) -> None:
    for name in ("alpha", "beta", ".hidden", "alps"):
        (tmp_path / name).mkdir()
    (tmp_path / "also-a-file").write_text("")
    assert complete_directory(f"{tmp_path}/al") == f"{tmp_path}/alpha/"
    assert complete_directory(f"{tmp_path}/alps") == f"{tmp_path}/alps/"
    assert complete_directory(f"{tmp_path}/") == f"{tmp_path}/alpha/"
    assert complete_directory(f"{tmp_path}/.h") == f"{tmp_path}/.hidden/"
    assert complete_directory(f"{tmp_path}/zz") is None
    assert complete_directory(f"{tmp_path}/also-a-file/x") is None
    assert complete_directory("") is None


# ----- launcher -----


async def test_launcher_routes_keys_to_the_pickers(fixture_src, tmp_path: Path) -> None:
    app = Host(lambda: LauncherScreen(fixture_src["testpkg"]))
    async with app.run_test(size=(80, 24)) as pilot:
        launcher = app.screen
        for key, picker_type in (("a", AttachPicker), ("e", ExecPicker), ("d", ExecPicker), ("t", TestPicker)):
            await pilot.press(key)
            await async_wait_until(
                lambda picker_type=picker_type: isinstance(app.screen, picker_type), message=f"{key} opens {picker_type}"
            )
            if key in "ed":
                assert app.screen.purpose == ("exec" if key == "e" else "debug")
            await pilot.press("escape")
            await async_wait_until(lambda: app.screen is launcher, message="back at the launcher")
        assert app.results == []
        await pilot.press("t")
        await async_wait_until(lambda: isinstance(app.screen, TestPicker), message="test picker")
        picker = app.screen
        await async_wait_until(lambda: picker.listing is not None, timeout=120, message="go test -list done")
        await type_text(pilot, "TestAdd")
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="launcher dismissed")
    assert app.results == [
        LaunchSpec(mode="test", program=str(fixture_src["testpkg"].resolve()), test_run="^TestAdd$", args=("-test.v",))
    ]


async def test_launcher_connects_to_a_headless_dlv_address() -> None:
    app = Host(LauncherScreen)
    async with app.run_test(size=(80, 24)) as pilot:
        launcher = app.screen
        await pilot.press("c")
        assert launcher.focused is launcher.query_one("#address", Input)
        await type_text(pilot, "nonsense")
        await pilot.press("enter")
        await pilot.pause()
        assert "is not an address" in status_text(launcher) and app.results == []
        await pilot.press("escape")  # closes the address field, not the launcher
        assert app.results == [] and not launcher.query_one("#connect").has_class("-open")
        await pilot.press("down", "enter")  # the menu: second entry is exec
        await async_wait_until(lambda: isinstance(app.screen, ExecPicker), message="exec picker from the menu")
        await pilot.press("escape")
        await async_wait_until(lambda: app.screen is launcher, message="back at the launcher")
        await pilot.press("c", "ctrl+u")
        await type_text(pilot, "127.0.0.1:4040")
        await pilot.press("enter")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    assert app.results == [LaunchSpec(mode="connect", address="127.0.0.1:4040")]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("which", ["launcher", "attach", "exec", "test"])
async def test_escape_returns_none(which: str, size, fixture_src, tmp_path: Path) -> None:
    make = {
        "launcher": lambda: LauncherScreen(tmp_path),
        "attach": AttachPicker,
        "exec": lambda: ExecPicker(tmp_path),
        "test": lambda: TestPicker(fixture_src["testpkg"]),
    }[which]
    app = Host(make)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("escape")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    assert app.results == [None]


async def test_launcher_quit_key_returns_none() -> None:
    app = Host(LauncherScreen)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await async_wait_until(lambda: app.results, message="a dismiss result")
    assert app.results == [None]


class AsciiHost(Host):
    """Host in the app's stylesheet with ASCII mode on, as ``godbg-tui`` under LANG=C."""

    CSS_PATH = str(APP_CSS)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def on_mount(self) -> None:
        self.add_class("-ascii")
        super().on_mount()


@pytest.mark.parametrize("which", ["launcher", "attach", "exec", "test"])
async def test_pickers_draw_only_ascii_in_ascii_mode(which: str, fixture_src, tmp_path: Path) -> None:
    make = {
        "launcher": lambda: LauncherScreen(tmp_path),
        "attach": AttachPicker,
        "exec": lambda: ExecPicker(fixture_src["prog"].parent),
        "test": lambda: TestPicker(fixture_src["testpkg"]),
    }[which]
    glyphs.select(True)
    try:
        app = AsciiHost(make)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            if which != "launcher":
                await async_wait_until(lambda: option_count(app.screen) > 0, timeout=30, message="rows listed")
            await pilot.pause()
            shown = screen_text(app)
            assert shown.isascii(), sorted({c for c in shown if not c.isascii()})
            assert "+-" in shown
            await pilot.press("escape")
            await async_wait_until(lambda: app.results, message="a dismiss result")
    finally:
        glyphs.select(False)


def option_count(screen: Screen) -> int:
    if isinstance(screen, ExecPicker):
        return len(screen.tree.candidates)
    lists = screen.query(OptionList)
    return lists.first().option_count if lists else 0
