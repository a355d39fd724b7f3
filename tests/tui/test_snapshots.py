"""Screen snapshots of the main states, compared as text.

Why text and not pytest-textual-snapshot's SVGs: the states worth pinning come from a
real dlv and a real program, where run-specific details (PCs, pids, thread ids, the
spinner frame) vary; a text snapshot can mask them with a few regexes and its diff reads
in a terminal, while SVG comparison would need the whole screen to be pixel-identical
and a browser to review. Colours are covered by the theme tests in test_panes.py.

The text comes from the public ``App.export_screenshot()`` SVG (test_app.screen_text).
Expected screens live in tests/tui/snapshots/; after a
deliberate change, regenerate them with ``GODBG_UPDATE_SNAPSHOTS=1`` and review the
diff before committing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.tui.app import GodbgApp
from godbg_tui.tui.screens.confirm import ConfirmScreen
from support import WaitTimeout, async_wait_until
from test_app import STEP_TIMEOUT, command, console_text, debugger, main_screen, press_and_stop, screen_text, settled, until

SNAPSHOTS = Path(__file__).parent / "snapshots"
# Run-specific details: group 1 of each (plus the blanks after it, which shrink as it
# grows) becomes one "#" padded to the same width, so a pid of 4 or of 5 digits reads alike.
_MASKS = (
    re.compile(r"0x([0-9a-f]+ *)"),
    re.compile(r"pid=(\d+ *)"),
    re.compile(r"(?:[Pp]rocess|PID) (\d+ *)"),
    re.compile(r"thread (\d+ *)"),
    re.compile(r"([⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏])"),
    re.compile(r"prog-([0-9a-f]{16})"),
    re.compile(r"\b(?:proc|asm_amd64|asm_arm64)\.(?:go|s):(\d+ *)"),
)


def _hide(match: re.Match[str]) -> str:
    start, end = match.span(1)
    offset = match.start(0)
    whole = match.group(0)
    return whole[: start - offset] + "#".ljust(end - start) + whole[end - offset :]


@pytest.fixture(autouse=True)
def _deterministic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_COLOR", "TEXTUAL_THEME", "TEXTUAL_ANIMATIONS", "ESCDELAY", "COLUMNS", "LINES"):
        monkeypatch.delenv(name, raising=False)


def masked_screen(app: GodbgApp) -> str:
    """The screen as text with run-specific details (PCs, pids, thread ids, spinner) masked."""
    text = screen_text(app)
    for pattern in _MASKS:
        text = pattern.sub(_hide, text)
    return text


async def assert_snapshot(app: GodbgApp, name: str, settle: float = 10.0) -> None:
    """The screen equals the snapshot once it settles (late repaints, a scroll still animating)."""
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("GODBG_UPDATE_SNAPSHOTS"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(masked_screen(app))
    expected = path.read_text() if path.exists() else "(no snapshot yet: run with GODBG_UPDATE_SNAPSHOTS=1)\n"
    seen: list[str] = []

    def matches() -> bool:
        seen.append(masked_screen(app))
        return seen[-1] == expected

    try:
        await async_wait_until(matches, timeout=settle, interval=0.1)
    except WaitTimeout:
        raise AssertionError(f"screen differs from {path}:\n{seen[-1]}") from None


@pytest.fixture
def prog(go_bin) -> str:  # type: ignore[no-untyped-def]
    return str(go_bin["prog"])


@pytest.fixture(autouse=True)
def _dlv(dlv_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GODBG_DLV", str(dlv_path))


@pytest.fixture
def line_of(marker_line) -> Callable[[str], int]:  # type: ignore[no-untyped-def]
    return lambda marker: marker_line("prog", "main.go", marker)


def clear_console(app: GodbgApp) -> None:
    """Drop what the console shows so far (paths of this checkout, lines whose order varies)."""
    console = main_screen(app).console
    console.flush()
    console.action_clear()


@pytest.mark.parametrize(("size", "name"), [((80, 24), "stopped-80x24"), ((250, 70), "stopped-250x70")])
async def test_stopped_at_a_breakpoint(
    prog: str, tmp_path: Path, line_of: Callable[[str], int], size: tuple[int, int], name: str
) -> None:
    async with debugger(prog, tmp_path, size=size) as (app, pilot):
        await command(app, pilot, f"break main.go:{line_of('compute-return')}")
        await press_and_stop(app, pilot, "c")
        await until(lambda: "prog started" in console_text(app))
        clear_console(app)  # program output and debugger lines interleave differently each run
        await command(app, pilot, "print sum")
        await until(lambda: console_text(app).endswith("1"))
        await pilot.pause()
        await assert_snapshot(app, name)


async def test_running(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path, args=["-spin"]) as (app, pilot):
        await until(lambda: "│ ▶" in screen_text(app), message="the source shows the execution line")
        clear_console(app)
        await pilot.press("c")
        await until(lambda: "deep=5" in console_text(app) and " # exec prog │ running" in masked_screen(app))
        await assert_snapshot(app, "running-80x24")


async def test_exited(prog: str, tmp_path: Path) -> None:
    async with debugger(prog, tmp_path, args=["-exit", "3"]) as (app, pilot):
        await pilot.press("c")
        await until(lambda: main_screen(app).status.state == "exited")
        await settled(app)
        await until(lambda: "prog exiting" in console_text(app) and "exited with status 3" in console_text(app))
        clear_console(app)  # program output and debugger lines interleave differently each run
        await command(app, pilot, "print total")
        await until(lambda: "has exited" in console_text(app).split("(dlv) print total")[-1])
        await pilot.pause()
        await assert_snapshot(app, "exited-80x24")


async def test_error_dialog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("not-go").write_text("#!/bin/sh\necho not go\n")
    Path("not-go").chmod(0o755)
    app = GodbgApp(LaunchSpec(mode="exec", program="./not-go"), state_dir=tmp_path / "state")
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await until(lambda: isinstance(app.screen, ConfirmScreen), timeout=60)
            await pilot.pause()
            await assert_snapshot(app, "error-dialog-80x24")
        finally:
            await app.end_session()



@pytest.mark.parametrize("size", [(80, 24), (250, 70)])
async def test_first_frame_needs_no_second_styling(prog: str, tmp_path: Path, size: tuple[int, int]) -> None:
    """The main screen skips Textual's restyle of every widget on its first resume (they were
    styled as they mounted): the screen must look exactly as after a full restyle, colours too."""
    async with debugger(prog, tmp_path, size=size) as (app, pilot):
        await settled(app)

        def shot() -> str:
            return re.sub(r"terminal-\d+", "terminal", app.export_screenshot())  # a per-export id

        shots = [shot()]

        def still() -> bool:  # late repaints (the source's colours, from a thread) are over
            shots.append(shot())
            return len(shots) >= 3 and shots[-1] == shots[-2] == shots[-3]

        await async_wait_until(still, timeout=STEP_TIMEOUT, interval=0.2)
        app.update_styles(app.screen)
        await pilot.pause()
        again = shot()
        assert again == shots[-1], "a full restyle changed the screen"
