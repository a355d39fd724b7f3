"""Bad input inside the app: every mistake answered with a message that says what to do,
and the session carries on as if nothing happened (nothing lost, nothing stuck).

Under Pilot with real dlv on ``prog``; hostile program output is also drawn in a real
terminal (tmux), where an escape sequence that got through would show.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from faultkit import GODBG, Terminal
from support import async_wait_until, wait_until
from textual import events
from textual.pilot import Pilot

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.events import Phase
from godbg_tui.tui.app import GodbgApp
from godbg_tui.tui.screens.confirm import ConfirmScreen

pytestmark = pytest.mark.timeout(120)

GOFAULTS = Path(__file__).resolve().parent / "gofaults"


@pytest.fixture(autouse=True)
def _environment(dlv_path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GODBG_DLV", str(dlv_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


@asynccontextmanager
async def running_app(spec: LaunchSpec, state_dir: Path, *, wait_for_stop: bool = True) -> AsyncIterator[tuple[GodbgApp, Pilot]]:
    app = GodbgApp(spec, state_dir=state_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        try:
            if wait_for_stop:
                await async_wait_until(lambda: app.stops_seen >= 1 and app.main_screen.commands_running == 0, timeout=60)
            yield app, pilot
        finally:
            await app.end_session()


def console(app: GodbgApp) -> str:
    app.main_screen.console.flush()
    return app.main_screen.console.text


async def command(app: GodbgApp, pilot: Pilot, line: str, *, typed: bool = False, timeout: float = 30) -> str:
    """Run a command as the : line does (typing it, with ``typed``); return what it added to the console."""
    before = len(console(app))
    if typed:
        await pilot.press("colon")
        app.main_screen.command_line.value = line
        await pilot.press("enter")
        await async_wait_until(lambda: app.main_screen.commands_running == 0, timeout=timeout)
        await pilot.pause()
    else:
        await app.main_screen.execute_line(line)
    return console(app)[before:]


async def test_bad_commands_are_answered_and_nothing_is_lost(go_bin, marker_line, tmp_path):
    ready = marker_line("prog", "main.go", "vars-ready")
    blank = ready + 1
    spec = LaunchSpec("exec", program=str(go_bin["prog"]))
    async with running_app(spec, tmp_path) as (app, pilot):
        await command(app, pilot, f"break main.go:{ready}", typed=True)
        await command(app, pilot, "continue", typed=True)
        await async_wait_until(lambda: app.stops_seen >= 2 and app.session.phase == Phase.STOPPED)
        answers = {
            "print 1 +": "expected",
            "print nosuchvar": "could not find symbol value for nosuchvar",
            "break nosuch.go:3": "not found",
            f"break main.go:{blank}": f"line {blank} of",
            "break main.compute if a ==": "the condition does not compile",
            'set anInt = "a string"': "cannot set anInt",
            "list nosuch.go:10": "nosuch.go",
            "frame 99": "does not exist",
            "goroutine 999999": "999999",
            "frobnicate": "frobnicate",
        }
        for line, expected in answers.items():
            said = await command(app, pilot, line)
            assert "» error: " in said and expected in said, (line, said)
        assert "nearest line" in await command(app, pilot, f"break main.go:{blank}", typed=True)
        # The session carries on: same stop, same breakpoint, values intact.
        assert app.session.phase == Phase.STOPPED and len(app.session.breakpoints) == 1
        assert "42" in await command(app, pilot, "print anInt")
        assert app.session.current_location().line == ready


async def test_a_huge_paste_into_the_command_line(go_bin, tmp_path):
    spec = LaunchSpec("exec", program=str(go_bin["prog"]))
    async with running_app(spec, tmp_path) as (app, pilot):
        await pilot.press("colon")
        line = app.main_screen.command_line
        started = time.monotonic()
        line.post_message(events.Paste("print " + "x" * 1_000_000 + "\nquit\n" + "y" * 10_000))
        await async_wait_until(lambda: len(line.value) > 1000, timeout=20)
        assert "quit" not in line.value, "only the first line of a paste is taken"
        await pilot.press("enter")
        await async_wait_until(lambda: app.main_screen.commands_running == 0, timeout=30)
        assert time.monotonic() - started < 20, "a megabyte of paste is handled in seconds"
        assert "» error: " in console(app)
        assert app.is_running and app.session.phase == Phase.STOPPED
        said = await command(app, pilot, "print 6*7", typed=True)
        assert "42" in said


async def test_hostile_program_output_is_drawn_harmlessly(go_bin, tmp_path):
    spec = LaunchSpec("exec", program=str(go_bin["prog"]), args=("-echo",))
    async with running_app(spec, tmp_path) as (app, pilot):
        await pilot.press("c")
        await async_wait_until(lambda: app.session.phase == Phase.RUNNING)
        hostile = (
            b"\x1b[2J\x1b[H\x1b[?1049l\x1b]0;pwned-title\x07\x1b[31mred\x1b[0m \x9b31m c1 \x07bell \x08\x08bs "
            b"\xe2\x80\xaeevil-rtl \xe2\x80\x8bzero\xe2\x80\x8bwidth \xe6\xbc\xa2\xe5\xad\x97 \xf0\x9f\x8e\x89 e\xcc\x81 "
            b"\xff\xfe broken-utf8 \ttab\rcarriage-return-wins\n"
        )
        await app.session.write_stdin(hostile)
        await async_wait_until(lambda: "carriage-return-wins" in console(app), timeout=10)
        text = console(app)
        shown = next(l for l in text.splitlines() if "carriage-return-wins" in l)
        assert not any(ch < " " and ch != "\t" or "\x7f" <= ch <= "\x9f" for ch in text.replace("\n", ""))
        assert "\u202e" not in text and "\u200b" not in text
        assert "pwned-title" not in text
        await app.session.write_stdin("漢字 🎉 e\u0301 ok\n".encode())
        await async_wait_until(lambda: "漢字 🎉 e\u0301 ok" in console(app), timeout=10)
        assert shown
        await pilot.press("p")
        await async_wait_until(lambda: app.session.phase == Phase.STOPPED, timeout=10)


async def test_a_package_that_does_not_build_shows_the_compiler_output(fixture_src, tmp_path):
    spec = LaunchSpec("debug", program=str(fixture_src["badbuild"]))
    async with running_app(spec, tmp_path, wait_for_stop=False) as (app, pilot):
        await async_wait_until(
            lambda: isinstance(app.screen, ConfirmScreen) and app.screen.query("#message"), timeout=60
        )
        shown = str(app.screen.query_one("#message").render())
        assert "build failed" in shown and "declared and not used" in shown + console(app)
        await pilot.press("enter")
        await async_wait_until(lambda: not isinstance(app.screen, ConfirmScreen))
        assert app.main_screen.status.state == "failed"


async def test_attaching_to_a_pid_that_is_gone(tmp_path):
    import subprocess

    gone = subprocess.Popen(["true"])
    gone.wait()
    async with running_app(LaunchSpec("attach", pid=gone.pid), tmp_path, wait_for_stop=False) as (app, _):
        await async_wait_until(
            lambda: isinstance(app.screen, ConfirmScreen) and app.screen.query("#message"), timeout=30
        )
        assert f"no process with pid {gone.pid}" in str(app.screen.query_one("#message").render())


async def test_a_test_regex_that_matches_nothing_is_said_in_the_console(fixture_src, tmp_path):
    spec = LaunchSpec("test", program=str(fixture_src["testpkg"]), test_run="^TestNoSuch$")
    async with running_app(spec, tmp_path) as (app, pilot):
        await command(app, pilot, "continue", typed=True)
        await async_wait_until(lambda: "nothing ran" in console(app), timeout=20)
        assert "go test -list" in console(app)


NOISY_TEST = "^TestNoisyOutput$"


def test_hostile_output_cannot_break_a_real_terminal(tmp_path, dlv_path):
    """What reaches the terminal is what Textual draws: the program's escapes never do."""
    env = {
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "GODBG_DLV": str(dlv_path),
        "PATH": os.environ["PATH"],
    }
    init = tmp_path / "init.txt"
    init.write_text("continue\n")
    terminal = Terminal(tmp_path, env, size=(120, 30))
    try:
        title = terminal.tmux("display", "-p", "-t", "t", "#{pane_title}")
        terminal.type(f"{GODBG} test {GOFAULTS} -run '{NOISY_TEST}' --init {init}")
        wait_until(lambda: "noisy output done" in terminal.screen(), timeout=60, message="the noisy output in the console")
        screen = terminal.screen()
        assert terminal.alternate_on(), "the program's ESC[?1049l did not reach the terminal"
        assert terminal.tmux("display", "-p", "-t", "t", "#{pane_title}") == title, "nor did its OSC title"

        def status_line() -> str:
            return next((line for line in reversed(terminal.screen().splitlines()) if " │ " in line), "")

        # The output and the run state are separate repaints: wait for the state, on its line.
        wait_until(lambda: "│ running" in status_line(), timeout=10, message="the status bar on its line, running")
        assert "漢字" in screen and "SHOULD-NOT-BE-RED" in screen
        drawn = terminal.tmux("capture-pane", "-p", "-e", "-t", "t")
        assert "pwned" not in drawn and "\x1b[31mSHOULD-NOT-BE-RED" not in drawn
    finally:
        terminal.close()
