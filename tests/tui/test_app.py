"""The whole debugger under Pilot, driving real dlv on the prog fixture, at 80x24 and 250x70.

Every test starts ``godbg-tui exec prog`` in-process (GodbgApp + real DebugSession),
waits on state (stops counted, panes refreshed), presses real keys, and closes the
session before the app goes away; the conftest leak guard fails any test that leaves
dlv or prog running.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Tree
from textual.widgets.tree import TreeNode

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.events import Phase
from godbg_tui.adapters.store import ProjectStore
from godbg_tui.tui import cli
from godbg_tui.tui.app import GodbgApp
from godbg_tui.tui.screens.confirm import ConfirmScreen
from godbg_tui.tui.screens.help import HelpScreen
from godbg_tui.tui.screens.main import SIDE_PANES, MainScreen, SessionEvent
from godbg_tui.tui.screens.value_viewer import ValueViewer
from support import async_wait_until

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((250, 70), id="250x70")]
START_TIMEOUT = 60.0
STEP_TIMEOUT = 30.0


@pytest.fixture
def prog(go_bin) -> str:  # type: ignore[no-untyped-def]
    return str(go_bin["prog"])


@pytest.fixture
def line_of(marker_line) -> Callable[[str], int]:  # type: ignore[no-untyped-def]
    return lambda marker: marker_line("prog", "main.go", marker)


@pytest.fixture(autouse=True)
def _dlv_on_path(dlv_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GODBG_DLV", str(dlv_path))


@asynccontextmanager
async def debugger(
    program: str,
    state_dir: Path,
    *,
    size: tuple[int, int] = (80, 24),
    args: Sequence[str] = (),
    init: Sequence[str] = (),
    wait_for_stop: bool = True,
) -> AsyncIterator[tuple[GodbgApp, Pilot[int]]]:
    """A running app on ``program``, stopped at main.main (unless told not to wait)."""
    app = GodbgApp(LaunchSpec(mode="exec", program=program, args=tuple(args)), init_lines=init, state_dir=state_dir)
    async with app.run_test(size=size) as pilot:
        try:
            if wait_for_stop:
                await settled(app, stops=1, timeout=START_TIMEOUT)
            yield app, pilot
        finally:
            await app.end_session()


async def until(predicate: Callable[[], Any], timeout: float = STEP_TIMEOUT, message: str | None = None) -> Any:
    """async_wait_until with this module's patience (dlv is slow on a loaded machine)."""
    return await async_wait_until(predicate, timeout=timeout, message=message)


def main_screen(app: GodbgApp) -> MainScreen:
    return app.main_screen


async def settled(app: GodbgApp, stops: int | None = None, timeout: float = STEP_TIMEOUT) -> None:
    """Until ``stops`` stops happened, no command runs and the panes show the last one."""
    screen = app.main_screen
    target = app.stops_seen if stops is None else stops

    def done() -> bool:
        return (
            app.stops_seen >= target
            and screen.refreshed_upto >= app.stops_seen
            and screen.source.lines.mode != "loading"  # a new file is read in a thread, beside the panes' fetch
            and screen.commands_running == 0
            and app.session is not None
            and app.session.phase in (Phase.STOPPED, Phase.EXITED)
        )

    await async_wait_until(done, timeout=timeout, message=f"stop #{target} shown; status {screen.status.render().plain!r}")


async def press_and_stop(app: GodbgApp, pilot: Pilot[int], *keys: str) -> None:
    """Press keys that resume the program and wait for the next stop to be on screen."""
    before = app.stops_seen
    await pilot.press(*keys)
    await settled(app, stops=before + 1)


async def command(app: GodbgApp, pilot: Pilot[int], line: str) -> None:
    """Type a command on the : line like a user and wait for it to finish."""
    await pilot.press("colon")
    assert main_screen(app).command_line.has_focus
    await pilot.press(*line, "enter")
    await until(lambda: main_screen(app).commands_running == 0 and not main_screen(app).command_line.has_focus)
    await settled(app)


def exec_line(app: GodbgApp) -> int | None:
    return main_screen(app).source.lines_view.exec_line


def tree_nodes(tree: Tree[Any]) -> list[TreeNode[Any]]:
    """Every node of a tree, depth first."""
    out: list[TreeNode[Any]] = []
    stack = list(reversed(tree.root.children))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


_SVG_TEXT = re.compile(
    r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+" textLength="[\d.]+" clip-path="url\(#[\w-]+?-line-(\d+)\)">(.*?)</text>'
)
SVG_CELL_WIDTH = 12.2  # Rich's SVG export: 0.61 x font size 20


def screen_text(app: GodbgApp) -> str:
    """What the terminal shows, as text: rebuilt from the public export_screenshot() SVG."""
    rows: dict[int, dict[int, str]] = {}
    for x, row, content in _SVG_TEXT.findall(app.export_screenshot()):
        rows.setdefault(int(row), {})[round(float(x) / SVG_CELL_WIDTH)] = html.unescape(content).replace("\xa0", " ")
    lines = []
    for row in range(app.size.height):
        line = ""
        for col, text in sorted(rows.get(row, {}).items()):
            line = line.ljust(col)[:col] + text
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def console_text(app: GodbgApp) -> str:
    screen = main_screen(app)
    screen.console.flush()
    return screen.console.text


# ----- start, step, quit -----


@pytest.mark.parametrize("size", SIZES)
async def test_starts_at_main_and_steps_with_f10_and_n(prog: str, tmp_path: Path, size: tuple[int, int]) -> None:
    async with debugger(prog, tmp_path, size=size) as (app, pilot):
        screen = main_screen(app)
        assert screen.source.path and screen.source.path.endswith("prog/main.go")
        start = exec_line(app)
        assert start is not None
        assert screen.status.state == "stopped" and screen.status.detail == "at entry"
        assert "g1 frame 0 main.main" in screen.status.scope
        await press_and_stop(app, pilot, "f10")
        assert exec_line(app) == start + 1
        await press_and_stop(app, pilot, "n")
        assert exec_line(app) == start + 2
        assert screen.status.detail == "step done"
        await pilot.press("2")  # at 80x24 the stack is fetched when its pane is shown
        await until(lambda: screen.stack_pane.frames and screen.stack_pane.frames[0].line == start + 2)
        assert screen.stack_pane.frames[0].function.name == "main.main"  # type: ignore[union-attr]


async def test_a_step_costs_one_command_and_one_stacktrace(prog: str, tmp_path: Path) -> None:
    """The next loop's budget (issue 3): at 80x24, with the stack pane in a hidden tab, a step is
    the Command, then one Stacktrace (with a load config) for the frame's arguments and locals:
    the stop says where the frame is. With the stack tab shown instead, its Stacktrace is the one."""
    async with debugger(prog, tmp_path, size=(80, 24)) as (app, pilot):
        screen = main_screen(app)
        session = app.session
        assert session is not None and session.client is not None and screen.side_pane == "variables"
        client = session.client
        calls: list[str] = []
        call = client.call

        async def counting(method: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
            calls.append(f"Command {params.name}" if method == "Command" else method)
            return await call(method, params, *args, **kwargs)

        client.call = counting  # type: ignore[method-assign]
        start = exec_line(app)
        await press_and_stop(app, pilot, "n")
        assert exec_line(app) == start + 1  # type: ignore[operator]
        assert screen.source.cursor_line == start + 1  # type: ignore[operator]
        assert sorted(calls) == ["Command next", "Stacktrace"]
        assert "g1 frame 0 main.main" in screen.status.scope
        sections = [n.data.label for n in screen.variables.root.children if n.data]
        assert sections == ["Args", "Locals"]

        calls.clear()
        await pilot.press("2")
        await until(lambda: screen.stack_pane.frames and screen.stack_pane.frames[0].line == start + 1)  # type: ignore[operator]
        assert calls == ["Stacktrace"]
        calls.clear()
        await press_and_stop(app, pilot, "n")
        assert sorted(calls) == ["Command next", "Stacktrace"]
        assert screen.stack_pane.frames[0].line == start + 2  # type: ignore[operator]


@pytest.mark.parametrize("size", SIZES)
async def test_quit_asks_then_kills_the_program(prog: str, tmp_path: Path, size: tuple[int, int]) -> None:
    async with debugger(prog, tmp_path, size=size) as (app, pilot):
        session = app.session
        assert session is not None
        pid = session.target_pid
        assert Path(f"/proc/{pid}").exists()
        await pilot.press("q")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        assert "The program will be killed." in str(app.screen.query_one("#message").render())
        await pilot.press("n")
        await until(lambda: isinstance(app.screen, MainScreen))
        assert session.phase == Phase.STOPPED
        await pilot.press("q")
        await until(lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(lambda: app.session_closed, timeout=30)
        await until(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), timeout=10)
        assert session.phase == Phase.CLOSED


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


# ----- breakpoints, continue, stack, variables -----


@pytest.mark.parametrize("size", SIZES)
async def test_break_continue_and_every_pane_follows(
    prog: str, tmp_path: Path, size: tuple[int, int], line_of: Callable[[str], int]
) -> None:
    async with debugger(prog, tmp_path, size=size) as (app, pilot):
        screen = main_screen(app)
        await command(app, pilot, "break compute")
        assert [b.functionName for b in screen.breakpoints.breakpoints] == ["main.compute"]
        bp_id = screen.breakpoints.breakpoints[0].id
        await press_and_stop(app, pilot, "f5")
        assert screen.status.detail == f"breakpoint {bp_id} hit 1 time"
        if not screen.pane_visible("stack"):
            await pilot.press("2")  # a hidden stack pane is fetched when shown
        await until(lambda: screen.stack_pane.frames and screen.stack_pane.frames[0].function.name == "main.compute")  # type: ignore[union-attr]
        assert screen.stack_pane.frames[1].function.name == "main.main"  # type: ignore[union-attr]
        compute_line = exec_line(app)
        assert compute_line is not None and compute_line < line_of("compute-body")
        marks = screen.source.lines_view.marks
        assert any(line == compute_line and kind == "enabled" for (_, line), kind in marks.items())
        await press_and_stop(app, pilot, "c")
        assert screen.status.detail == f"breakpoint {bp_id} hit 2 times"
        assert screen.breakpoints.table.get_row_at(0)[-1].startswith("2")
        if not screen.pane_visible("variables"):
            await pilot.press("4")
        names = [n.data.expr for n in tree_nodes(screen.variables) if n.data and n.data.kind == "var"]
        assert {"a", "b"} <= set(names)
        assert f"> [Breakpoint {bp_id}] main.compute(" in console_text(app)


async def test_frame_up_and_down_change_the_scope(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path) as (app, pilot):
        screen = main_screen(app)
        await command(app, pilot, "break compute")
        await press_and_stop(app, pilot, "c")
        session = app.session
        assert session is not None
        frames = await session.stack(depth=2)
        await pilot.press("u")
        await until(lambda: session.frame == 1)
        await settled(app)
        await until(lambda: "main.main" in screen.status.scope)
        assert screen.source.lines_view.exec_line == frames[1].line, "the source follows the frame (stack pane hidden)"
        names = {n.data.expr for n in tree_nodes(screen.variables) if n.data and n.data.kind == "var"}
        assert "bob" in names
        await pilot.press("2")
        await until(lambda: screen.stack_pane.selected_frame == 1 and screen.stack_pane.frames[1].line == frames[1].line)
        await pilot.press("d")
        await until(lambda: session.frame == 0 and screen.stack_pane.selected_frame == 0)
        assert screen.source.lines_view.exec_line == frames[0].line
        await pilot.press("d")
        assert session.frame == 0


async def test_stack_pane_selection_and_deferred_calls(prog: str, tmp_path: Path, line_of: Callable[[str], int]) -> None:
    async with debugger(prog, tmp_path, args=["-deep", "3"]) as (app, pilot):
        screen = main_screen(app)
        await command(app, pilot, f"break main.go:{line_of('deep-bottom')}")
        await press_and_stop(app, pilot, "c")
        await pilot.press("2")
        assert screen.side_pane == "stack" and screen.stack_pane.has_focus
        depth = sum(1 for f in screen.stack_pane.frames if f.function and f.function.name == "main.deep")
        assert depth == 4
        await pilot.press("down", "down", "enter")
        session = app.session
        assert session is not None
        await until(lambda: session.frame == 2)
        await pilot.press("f")
        await until(lambda: any("defer" in str(o.prompt) or "frame-" in (o.id or "") for o in screen.stack_pane.options))
        assert screen.stack_pane.show_defers


async def test_variables_tree_shows_struct_fields_and_loads_more(
    prog: str, tmp_path: Path, line_of: Callable[[str], int]
) -> None:
    async with debugger(prog, tmp_path, size=(250, 70)) as (app, pilot):
        screen = main_screen(app)
        await command(app, pilot, f"break main.go:{line_of('vars-ready')}")
        await press_and_stop(app, pilot, "c")
        tree = screen.variables
        bob = next(n for n in tree_nodes(tree) if n.data and n.data.expr == "bob")
        tree.focus()
        tree.move_cursor(bob)
        await pilot.press("enter")
        await until(lambda: {c.data.expr for c in bob.children if c.data} >= {"bob.Name", "bob.Age", "bob.Next"})
        big = next(n for n in tree_nodes(tree) if n.data and n.data.expr == "bigSlice")
        tree.move_cursor(big)
        await pilot.press("enter")
        await until(lambda: any(c.data and c.data.kind == "more" for c in big.children))
        shown = len([c for c in big.children if c.data and c.data.kind == "var"])
        more = next(c for c in big.children if c.data and c.data.kind == "more")
        tree.move_cursor(more)
        await pilot.press("enter")
        await until(lambda: len([c for c in big.children if c.data and c.data.kind == "var"]) > shown)


# ----- watches -----


@pytest.mark.parametrize("size", SIZES)
async def test_watches_reevaluate_each_stop_and_persist(
    prog: str, tmp_path: Path, size: tuple[int, int], line_of: Callable[[str], int]
) -> None:
    async with debugger(prog, tmp_path, size=size) as (app, pilot):
        screen = main_screen(app)
        await command(app, pilot, f"break main.go:{line_of('global-inc')}")
        await press_and_stop(app, pilot, "c")
        await pilot.press("5")
        assert screen.watches.table.has_focus
        await pilot.press("a", *"total", "enter")
        await pilot.press("a", *"nosuchvar", "enter")
        await until(lambda: set(screen.watches.results) == {"total", "nosuchvar"})
        first = screen.watches.results["total"].text
        assert screen.watches.results["nosuchvar"].error
        assert "nosuchvar" in screen.watches.results["nosuchvar"].text
        await press_and_stop(app, pilot, "c")
        await until(lambda: screen.watches.results.get("total") and screen.watches.results["total"].text != first)
    saved, _ = ProjectStore.for_spec(LaunchSpec(mode="exec", program=prog), tmp_path).load()
    assert saved.watches == ["total", "nosuchvar"]


async def test_watch_opens_in_the_value_viewer(prog: str, tmp_path: Path, line_of: Callable[[str], int]) -> None:
    async with debugger(prog, tmp_path) as (app, pilot):
        await command(app, pilot, f"break main.go:{line_of('vars-ready')}")
        await press_and_stop(app, pilot, "c")
        await pilot.press("5", "a", *"bob", "enter", "enter")
        await until(lambda: isinstance(app.screen, ValueViewer))
        await until(lambda: app.screen.loaded is not None)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await until(lambda: isinstance(app.screen, MainScreen))


# ----- breakpoints pane -----


async def test_breakpoints_pane_edits_conditions_toggles_and_deletes(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path, size=(250, 70)) as (app, pilot):
        screen = main_screen(app)
        session = app.session
        assert session is not None
        await command(app, pilot, "break compute")
        await pilot.press("6", "e")
        await pilot.press(*"a == 3", "enter")
        await until(lambda: session.breakpoints and session.breakpoints[0].Cond == "a == 3")
        await pilot.press("h", *"> 0", "enter")
        await until(lambda: session.breakpoints[0].HitCond == "> 0")
        await press_and_stop(app, pilot, "c")
        args = {n.data.expr: n.data.var.value for n in tree_nodes(screen.variables)
                if n.data and n.data.kind == "var" and n.data.var}
        assert args.get("a") == "3"
        screen.breakpoints.table.focus()
        await pilot.press("space")
        await until(lambda: session.breakpoints[0].disabled)
        assert "disabled" in screen.source.lines_view.marks.values()
        await pilot.press("plus")
        await until(lambda: not session.breakpoints[0].disabled)
        await pilot.press("enter")
        assert screen.source.has_focus
        screen.breakpoints.table.focus()
        await pilot.press("x")
        await until(lambda: not session.breakpoints)


async def test_f9_toggles_a_breakpoint_on_the_source_cursor_line(
    prog: str, tmp_path: Path, line_of: Callable[[str], int]
) -> None:
    async with debugger(prog, tmp_path) as (app, pilot):
        screen = main_screen(app)
        session = app.session
        assert session is not None
        target = line_of("after-loop")
        # The first stop's source is shown asynchronously: move the cursor once it is there,
        # or showing it would put the cursor back on the current line.
        await until(lambda: (screen.source.path or "").endswith("main.go") and screen.source.cursor_line == exec_line(app))
        screen.source.goto_line(target)
        await until(lambda: screen.source.cursor_line == target)
        await pilot.press("f9")
        await until(lambda: [b.line for b in session.breakpoints] == [target])
        await press_and_stop(app, pilot, "f5")
        assert exec_line(app) == target
        await pilot.press("b")
        await until(lambda: not session.breakpoints)


# ----- goroutines -----


def worker_started(g: Any) -> bool:
    """The worker goroutine has entered its loop (it is no longer at its go statement's wrapper)."""
    return any(
        loc.function is not None and loc.function.name in ("main.hit", "main.startWorkers.func1")
        for loc in (g.currentLoc, g.userCurrentLoc)
    )


async def test_goroutine_switch_and_next_stays_in_it(prog: str, tmp_path: Path, line_of: Callable[[str], int]) -> None:
    """Switch to the other worker and step it.

    At the first hit the other worker may not have run yet: it sits at the entry of its go
    statement's wrapper, and a next there steps over its endless body (it never stops; the
    screen warns about that, see test_goroutine_note_*). So stop at the breakpoint until the
    other worker is in its loop.
    """
    async with debugger(prog, tmp_path, args=["-workers", "2"]) as (app, pilot):
        screen = main_screen(app)
        session = app.session
        assert session is not None
        await command(app, pilot, f"break main.go:{line_of('hit-body')}")
        await pilot.press("g")
        assert screen.side_pane == "goroutines" and screen.goroutines.has_focus
        others: list[int] = []
        for _ in range(20):
            await press_and_stop(app, pilot, "c")
            first = session.goroutine_id
            listed = (await session.goroutines(0, 100)).Goroutines
            others = [g.id for g in listed if g.id != first and worker_started(g)]
            if others:
                break
        assert others, "the other worker never entered its loop"
        await command(app, pilot, f"clear {session.breakpoints[0].id}")
        await pilot.press("g")
        await until(lambda: not screen.goroutines.fetching and others[0] in [g.id for g in screen.goroutines.goroutines])
        rows = [g.id for g in screen.goroutines.goroutines]
        screen.goroutines.rows_view.set_cursor(rows.index(others[0]))
        await pilot.press("enter")
        await until(lambda: session.goroutine_id == others[0])
        await settled(app)
        assert f"g{others[0]} frame 0" in screen.status.scope
        await pilot.press("2")  # the stack pane shares the slot at 80x24: fetched when shown
        await until(lambda: any(
            f.function and f.function.name.startswith(("main.hit", "main.startWorkers")) for f in screen.stack_pane.frames
        ))
        await press_and_stop(app, pilot, "n")
        assert session.goroutine_id == others[0]


def test_goroutine_note_warns_where_next_would_not_return() -> None:
    """A goroutine that has not started (at its go wrapper, no thread) or that is in runtime code."""
    from godbg_tui.adapters.dlv.types import Function, Goroutine, Location
    from godbg_tui.tui.screens.main import goroutine_note

    def loc(name: str, line: int, pc: int) -> Location:
        return Location(pc=pc, file="/src/prog/main.go", line=line, function=Function(name=name))

    not_started = Goroutine(id=4, currentLoc=loc("main.startWorkers.gowrap1", 282, 0x4FBD40),
                            userCurrentLoc=loc("main.startWorkers.gowrap1", 282, 0x4FBD40),
                            startLoc=loc("runtime/pprof.Do", 53, 0x4F7E20))
    assert goroutine_note(not_started).startswith("goroutine 4 has not started yet: next would run its whole body")
    running_wrapper = Goroutine(id=4, threadID=7, currentLoc=not_started.currentLoc)
    assert goroutine_note(running_wrapper) == ""
    parked = Goroutine(id=5, currentLoc=loc("runtime.gopark", 435, 0x43A000),
                       userCurrentLoc=loc("main.startWorkers.func1", 285, 0x4FBC00))
    assert "is in runtime code (runtime.gopark)" in goroutine_note(parked)
    assert "main.startWorkers.func1() main.go:285" in goroutine_note(parked)
    in_user_code = Goroutine(id=6, threadID=9, currentLoc=loc("main.hit", 296, 0x4FBE33),
                             userCurrentLoc=loc("main.hit", 296, 0x4FBE33))
    assert goroutine_note(in_user_code) == ""


async def test_other_goroutines_at_breakpoints_are_all_shown(prog: str, tmp_path: Path, line_of: Callable[[str], int]) -> None:
    async with debugger(prog, tmp_path, args=["-workers", "4"]) as (app, pilot):
        screen = main_screen(app)
        await command(app, pilot, f"break main.go:{line_of('hit-body')}")
        for _ in range(20):
            await press_and_stop(app, pilot, "c")
            if screen.last_stop is not None and len(screen.last_stop.hits) > 1:
                break
        else:
            pytest.skip("no stop with several goroutines at the breakpoint in 20 tries")
        hits = screen.last_stop.hits
        assert f"(+{len(hits) - 1} goroutine" in screen.status.detail
        assert screen.other_lines and all(line == line_of("hit-body") for _, line in screen.other_lines)
        assert console_text(app).count("main.hit(") >= len(hits)


async def test_interrupted_next_offers_continue_or_cancel(prog: str, tmp_path: Path, line_of: Callable[[str], int]) -> None:
    async with debugger(prog, tmp_path, args=["-workers", "3"]) as (app, pilot):
        screen = main_screen(app)
        session = app.session
        assert session is not None
        await command(app, pilot, f"break main.go:{line_of('hit-body')}")
        await press_and_stop(app, pilot, "c")
        for _ in range(30):
            await press_and_stop(app, pilot, "n")
            if screen.last_stop is not None and screen.last_stop.next_in_progress:
                break
        else:
            pytest.skip("no next was interrupted by another goroutine's breakpoint in 30 tries")
        assert "c continues the step, x cancels it" in screen.status.detail
        await pilot.press("x")
        await until(lambda: session.state is not None and not session.state.NextInProgress)
        await settled(app)
        assert "c continues the step" not in screen.status.detail


# ----- console -----


async def test_console_shows_program_output_and_feeds_stdin(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path, args=["-echo"]) as (app, pilot):
        screen = main_screen(app)
        await pilot.press("c")
        await until(lambda: "prog started pid=" in console_text(app), timeout=STEP_TIMEOUT)
        await pilot.press("7", "i")
        assert isinstance(app.focused, Input)
        await pilot.press(*"hello there", "enter")
        await until(lambda: "echo: hello there" in console_text(app))
        screen.console.stdin_input.value = "\x1b[2J\x1b]0;title\x07evil \u202edone"
        await pilot.press("enter")
        await until(lambda: "echo: evil done" in console_text(app))
        assert "\x1b" not in console_text(app)
        assert screen.status.state == "running"


@pytest.mark.parametrize("size", SIZES)
async def test_pause_while_running_and_exit_status(prog: str, tmp_path: Path, size: tuple[int, int]) -> None:
    async with debugger(prog, tmp_path, size=size, args=["-spin"]) as (app, pilot):
        screen = main_screen(app)
        await pilot.press("c")
        await until(lambda: screen.status.state == "running")
        assert screen.check_action("next", ()) is False
        before = app.stops_seen
        await pilot.press("p")
        await settled(app, stops=before + 1)
        assert screen.status.detail == "paused"
    async with debugger(prog, tmp_path, size=size, args=["-exit", "3"]) as (app, pilot):
        screen = main_screen(app)
        await pilot.press("c")
        await until(lambda: screen.status.state == "exited", timeout=STEP_TIMEOUT)
        assert screen.status.detail == "status 3 (r restarts)"
        assert "exited with status 3" in console_text(app)


async def test_restart_stops_at_main_again(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path) as (app, pilot):
        start = exec_line(app)
        await press_and_stop(app, pilot, "n")
        await press_and_stop(app, pilot, "r")
        assert exec_line(app) == start
        assert "Process restarted with PID" in console_text(app)


# ----- source area -----


async def test_disassembly_toggle_and_step_into_code_without_source(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path) as (app, pilot):
        screen = main_screen(app)
        assert screen.source.has_focus
        await pilot.press("D")
        await until(lambda: screen.source.mode == "asm")
        pc_row = screen.source.lines_view.asm_pc
        await press_and_stop(app, pilot, "n")
        await until(lambda: screen.source.mode == "asm" and screen.source.lines_view.asm_pc != pc_row)
        await pilot.press("D")
        await until(lambda: screen.source.mode == "source")
        session = app.session
        assert session is not None
        session.substitute_path.append(("/work", "/nonexistent-dir"))
        session.substitute_path.append(("/", "/nonexistent-root/"))
        await press_and_stop(app, pilot, "n")
        await until(lambda: screen.source.mode == "asm")


# ----- layout, keys, help, palette -----


async def test_narrow_layout_shows_one_side_pane_and_keys_reach_every_pane(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path, size=(80, 24)) as (app, pilot):
        screen = main_screen(app)
        assert screen.has_class("-narrow")
        for key, pane in zip("23456", SIDE_PANES, strict=True):
            await pilot.press(key)
            await pilot.pause()
            visible = [p for p in SIDE_PANES if screen.query_one(f"#{p}").display]
            assert visible == [pane]
            assert screen.tabs.active == f"tab-{pane}"
            assert app.focused is not None and (app.focused.id == pane or pane in {a.id for a in app.focused.ancestors})
        await pilot.press("1")
        assert screen.source.has_focus
        await pilot.press("7")
        assert screen.console.output_log.has_focus
        await pilot.press("alt+up", "alt+up")
        assert screen.query_one("#console").outer_size.height > 8
        await pilot.press("3")
    saved, _ = ProjectStore.for_spec(LaunchSpec(mode="exec", program=prog), tmp_path).load()
    assert saved.layout.side_pane == "goroutines" and saved.layout.console_height > 8
    async with debugger(prog, tmp_path, size=(80, 24)) as (app, _):
        screen = main_screen(app)
        assert screen.side_pane == "goroutines"
        assert screen.query_one("#console").outer_size.height == saved.layout.console_height


async def test_wide_layout_shows_all_panes(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path, size=(250, 70)) as (app, pilot):
        screen = main_screen(app)
        assert screen.has_class("-wide")
        for pane in (*SIDE_PANES, "source", "console"):
            widget = screen.query_one(f"#{pane}")
            assert widget.display and widget.region.width > 20 and widget.region.height > 3, pane
        assert not screen.tabs.display
        await pilot.resize_terminal(80, 24)
        await until(lambda: screen.has_class("-narrow"))
        assert [p for p in SIDE_PANES if screen.query_one(f"#{p}").display] == [screen.side_pane]


async def test_letters_go_to_inputs_and_f_keys_still_work(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path) as (app, pilot):
        screen = main_screen(app)
        start = exec_line(app)
        await pilot.press("colon", *"n", "q", "c")
        assert screen.command_line.value == "nqc"
        assert app.stops_seen == 1 and not isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        assert not screen.command_line.has_focus
        screen.console.stdin_input.focus()
        await press_and_stop(app, pilot, "f10")
        assert exec_line(app) == (start or 0) + 1


async def test_help_screen_and_command_palette_list_the_actions(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path) as (app, pilot):
        await pilot.press("question_mark")
        await until(lambda: isinstance(app.screen, HelpScreen))
        help_text = screen_text(app)
        for needle in ("F10 n", "shift+F11 o", "F9 b", "Frame up", "Goroutines"):
            assert needle in help_text
        await pilot.press("escape")
        await until(lambda: isinstance(app.screen, MainScreen))
        await pilot.press("f1")
        await until(lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        titles = [c.title for c in app.get_system_commands(app.main_screen)]
        for action in ("Continue", "Next", "Step", "Out", "Pause", "Break", "Frame up", "Frame down",
                       "Goroutines", "Command", "Restart", "Quit", "New session"):
            assert action in titles, action
        await pilot.press("ctrl+p")
        await until(lambda: app.screen.__class__.__name__ == "CommandPalette")
        await pilot.press(*"frame up", "enter")
        await until(lambda: app.session is not None and app.session.frame == 1)


def test_pane_keys_are_their_own_defaults_and_no_debugger_key_shadows_them() -> None:
    """What the footer and help show for a pane is the key that works there: the panes bind
    no key that one of the screen's priority keys takes first, so the app needs no remap.

    Allowed overlaps: b (the screen's breakpoint key does the same thing) and x (the
    screen's cancel-step key, enabled only while a step is interrupted)."""
    from godbg_tui.tui.widgets.breakpoints_pane import BreakpointsPane
    from godbg_tui.tui.widgets.console_pane import ConsolePane
    from godbg_tui.tui.widgets.goroutine_list import GoroutineList
    from godbg_tui.tui.widgets.source_view import SourceView
    from godbg_tui.tui.widgets.stack_pane import StackPane
    from godbg_tui.tui.widgets.variables_tree import VariablesTree
    from godbg_tui.tui.widgets.watches_pane import WatchesPane

    def keys(binding: Any) -> set[str]:
        return {key.strip() for key in binding.key.split(",")}

    screen_keys = set().union(*(keys(b) for b in MainScreen.BINDINGS if b.priority)) - {"b", "x"}
    app = GodbgApp(None)
    for widget in (SourceView, VariablesTree, StackPane, WatchesPane, BreakpointsPane, ConsolePane, GoroutineList):
        for binding in widget.BINDINGS:
            assert not keys(binding) & screen_keys, f"{widget.__name__}: {binding.key} is a debugger key"
            if binding.id:
                assert app.keymap.get(binding.id, binding.key) == binding.key, f"{binding.id} is remapped"
    source_keys = {b.id: b.key for b in SourceView.BINDINGS}
    assert source_keys["source.disassembly"] == "D"
    assert source_keys["source.search-next"] == "right_square_bracket"
    assert source_keys["source.search-previous"] == "left_square_bracket,N"
    assert source_keys["source.first-line"] == "home"


async def test_command_line_history_persists_and_completes(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path) as (app, pilot):
        screen = main_screen(app)
        await command(app, pilot, "print 1+2")
        assert "3" in console_text(app).splitlines()[-1]
        await pilot.press("colon", *"brea", "tab")
        assert screen.command_line.value == "break"
        await pilot.press("escape")
    async with debugger(prog, tmp_path) as (app, pilot):
        await pilot.press("colon", "up")
        assert main_screen(app).command_line.value == "print 1+2"
        await pilot.press("escape")


# ----- persistence and scripts -----


async def test_breakpoints_are_restored_in_the_next_session(prog: str, tmp_path: Path, line_of: Callable[[str], int]) -> None:
    async with debugger(prog, tmp_path) as (app, pilot):
        await command(app, pilot, "break compute")
        await command(app, pilot, f"break main.go:{line_of('after-loop')}")
        session = app.session
        assert session is not None
        first, second = sorted(b.id for b in session.breakpoints)
        await command(app, pilot, f"cond {first} a == 2")
        await command(app, pilot, f"toggle {second}")
    store = ProjectStore.for_spec(LaunchSpec(mode="exec", program=prog), tmp_path)
    saved, _ = store.load()
    assert [(b.cond, b.disabled) for b in saved.breakpoints] == [("a == 2", False), ("", True)]
    async with debugger(prog, tmp_path) as (app, pilot):
        session = app.session
        assert session is not None
        await until(lambda: "restored 2 saved breakpoints" in console_text(app))
        restored = sorted(session.breakpoints, key=lambda b: b.functionName != "main.compute")
        assert restored[0].functionName == "main.compute" and restored[0].Cond == "a == 2"
        assert restored[1].line == line_of("after-loop") and restored[1].disabled
        await press_and_stop(app, pilot, "c")
        assert main_screen(app).status.detail == f"breakpoint {restored[0].id} hit 1 time"


async def test_corrupt_project_file_is_reported_not_fatal(prog: str, tmp_path: Path) -> None:
    store = ProjectStore.for_spec(LaunchSpec(mode="exec", program=prog), tmp_path)
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text("{broken")
    async with debugger(prog, tmp_path) as (app, _):
        assert "was unreadable" in console_text(app)


async def test_init_script_runs_after_the_first_stop_and_exit_quits(prog: str, tmp_path: Path) -> None:
    lines = ["# comment", "break compute", "continue", "print a", "exit"]
    async with debugger(prog, tmp_path, init=lines, wait_for_stop=False) as (app, _):
        await until(lambda: app.session_closed and app.return_code is not None, timeout=START_TIMEOUT)
        text = console_text(app)
        assert "(dlv) break compute" in text and "] main.compute(" in text
        assert "(dlv) print a" in text and not isinstance(app.screen, ConfirmScreen)


async def test_init_script_error_stops_the_script(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path, init=["frobnicate", "continue"], wait_for_stop=False) as (app, _):
        await until(lambda: "init script:1:" in console_text(app), timeout=START_TIMEOUT)
        await settled(app)
        assert app.stops_seen == 1


async def test_launch_failure_shows_an_error_dialog(tmp_path: Path) -> None:
    not_go = tmp_path / "script.sh"
    not_go.write_text("#!/bin/sh\necho hi\n")
    not_go.chmod(0o755)
    app = GodbgApp(LaunchSpec(mode="exec", program=str(not_go)), state_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await until(
                lambda: isinstance(app.screen, ConfirmScreen) and app.screen.query("#message"), timeout=START_TIMEOUT
            )
            assert "not an ELF executable" in str(app.screen.query_one("#message").render())
            assert main_screen(app).status.state == "failed"
            await pilot.press("enter")
            await until(lambda: isinstance(app.screen, MainScreen))
        finally:
            await app.end_session()


# ----- launcher and switching sessions -----


async def test_no_arguments_opens_the_launcher_and_leaving_it_quits(tmp_path: Path) -> None:
    from godbg_tui.tui.screens.launcher import LauncherScreen

    app = GodbgApp(None, state_dir=tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(lambda: isinstance(app.screen, LauncherScreen))
        await pilot.press("escape")
        await until(lambda: app.return_code is not None)
    assert app.session is None


async def test_a_new_session_ends_the_old_one_first(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path) as (app, pilot):
        old = app.session
        assert old is not None
        old_pid = old.target_pid
        await command(app, pilot, "break compute")
        # A breakpoint whose BreakpointsChanged the screen has not handled when the switch
        # starts (its queue was busy): the switch saves what the session holds.
        with main_screen(app).prevent(SessionEvent):
            await old.set_breakpoint("main.deep")
        app.switch_session(LaunchSpec(mode="exec", program=prog, args=("-deep", "2")))
        await until(lambda: app.session is not old and app.session is not None, timeout=START_TIMEOUT)
        await settled(app, stops=1, timeout=START_TIMEOUT)
        assert old.phase == Phase.CLOSED
        assert not Path(f"/proc/{old_pid}").exists() or _zombie(old_pid)
        assert app.session.target_pid != old_pid
        assert [b.functionName for b in app.session.breakpoints] == ["main.compute", "main.deep"]  # same project: restored
        assert "new session" in console_text(app)


# ----- the command line interface -----


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["frob"], "unknown mode 'frob'"),
        (["exec"], "the following arguments are required: BIN"),
        (["attach", "12x"], "PID must be a positive number, got '12x'"),
        (["core", "bin"], "the following arguments are required: CORE"),
        (["exec", "/nonexistent/prog"], "program /nonexistent/prog does not exist"),
        (["connect", "nohost"], "is not an address"),
        (["exec", "--build-flags=-race", "x"], "build flags only make sense in debug and test modes"),
        (["attach", "1", "--", "arg"], "arguments after -- only make sense"),
        (["debug", "--listen", "0.0.0.0:4040"], "refusing to listen on non-loopback address"),
    ],
)
def test_cli_rejects_bad_input_with_status_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_cli_rejects_an_unreadable_init_file(prog: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["exec", prog, "--init", str(tmp_path / "missing.txt")]) == 2
    assert "cannot read --init file" in capsys.readouterr().err
    secret = tmp_path / "secret.txt"
    secret.write_text("break main.main")
    secret.chmod(0)
    if os.geteuid() != 0:
        assert cli.main(["exec", prog, "--init", str(secret)]) == 2


def test_cli_builds_the_spec_for_every_mode(prog: str) -> None:
    parser = cli.build_parser()
    cases = {
        ("exec", prog, "--wd", "/tmp"): dict(mode="exec", program=prog, wd="/tmp"),
        ("debug", "./cmd/x", "--build-flags=-tags=dev"): dict(mode="debug", program="./cmd/x", build_flags="-tags=dev"),
        ("test", "./pkg", "-run", "TestAdd$"): dict(mode="test", program="./pkg", test_run="TestAdd$"),
        ("attach", "4242"): dict(mode="attach", pid=4242, program=None),
        ("connect", "unix:/tmp/d.sock"): dict(mode="connect", address="unix:/tmp/d.sock"),
    }
    for argv, expected in cases.items():
        spec = cli.spec_from_args(parser.parse_args(list(argv)), ["-v"] if argv[0] in ("exec", "debug", "test") else [])
        for key, value in expected.items():
            assert getattr(spec, key) == value, (argv, key)
    own, rest = cli.split_program_args(["exec", prog, "--", "-workers", "2", "--", "x"])
    assert own == ["exec", prog] and rest == ["-workers", "2", "--", "x"]


def test_cli_help_has_examples_for_each_mode(capsys: pytest.CaptureFixture[str]) -> None:
    for mode in cli.MODES:
        with pytest.raises(SystemExit) as info:
            cli.main([mode, "--help"])
        assert info.value.code == 0
        out = capsys.readouterr().out
        assert "examples:" in out and f"godbg-tui {mode}" in out and "--init FILE" in out


def test_cli_version_names_all_three(capsys: pytest.CaptureFixture[str], dlv_path: Path) -> None:
    assert cli.main(["version"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("godbg-tui ") and out[1].startswith("dlv: 1.") and out[2].startswith("go: go version go1.")


async def test_main_screen_goroutines_show_stacks_inline_and_w_lists_channel_waiters(
    prog: str, tmp_path: Path, line_of: Callable[[str], int]
) -> None:
    """The main screen hands the goroutine pane its stack fetcher (right shows a stack inline)
    and W opens the census on the waiters of the channel selected in the variables pane."""
    from godbg_tui.tui.screens.goroutines import GoroutinesScreen

    async with debugger(prog, tmp_path, size=(250, 70)) as (app, pilot):
        screen = main_screen(app)
        await command(app, pilot, f"break main.go:{line_of('vars-ready')}")
        await press_and_stop(app, pilot, "c")
        await pilot.press("g")
        view = screen.goroutines
        await until(lambda: view.goroutines and not view.fetching)
        view.rows_view.set_cursor(0)
        await pilot.press("right")
        await until(lambda: any("main.go:" in line for line in view.rows_view.stacks.get(0, [])))
        tree = screen.variables
        ch = next(n for n in tree_nodes(tree) if n.data and n.data.expr == "ch")
        tree.focus()
        tree.move_cursor(ch)
        await pilot.press("W")
        await until(lambda: isinstance(app.screen, GoroutinesScreen))
        assert app.screen.channel == "ch"
        await pilot.press("escape")
