"""The real ``godbg-tui exec`` in tmux at 80x24 under hostile terminals: TERM=linux (16
colours), NO_COLOR, a non-UTF-8 locale. The screen must stay usable (status, source text,
no mojibake) and the escapes must match what the terminal can show."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from test_tmux import GODBG, START_TIMEOUT, Terminal, alive, descendants

pytestmark = pytest.mark.e2e

STOPPED = "stopped: at entry"
EXEC_ROW = re.compile(r"[▶>] *\d+ ")
_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_COLOUR_PARAMS = {*range(30, 38), *range(40, 48), *range(90, 98), *range(100, 108), 38, 48}


def sgr_params(escaped: str) -> list[list[int]]:
    """The parameters of every SGR escape in ``capture-pane -e`` output."""
    return [[int(p) for p in re.split("[;:]", m) if p] for m in _SGR.findall(escaped) if m]


@pytest.fixture
def terminal(go_bin, dlv_path: Path, tmp_path: Path) -> Iterator[Callable[..., Terminal]]:  # type: ignore[no-untyped-def]
    """``terminal(env)`` runs ``godbg-tui exec prog`` in a fresh 80x24 tmux with ``env`` on top of
    a plain UTF-8, 256-colour setup; on the way out it quits and checks nothing is left."""
    made: list[Terminal] = []

    def run(extra: dict[str, str]) -> Terminal:
        env = {
            "TERM": "xterm-256color",
            "COLORTERM": "",
            "LANG": "C.UTF-8",
            "LC_ALL": "",
            "LC_CTYPE": "",
            "PATH": f"{dlv_path.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "GODBG_DLV": str(dlv_path),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "TEXTUAL_ANIMATIONS": "none",
            "ESCDELAY": "25",
            **extra,
        }
        # tmux sets TERM in the pane from its default-terminal option, over -e: env(1) has the last word
        # Textual counts NO_COLOR as set even when empty, so it is removed unless asked for.
        no_color = [f"NO_COLOR={env.pop('NO_COLOR')}"] if "NO_COLOR" in env else []
        command = ["env", "-u", "NO_COLOR", *no_color, f"TERM={env.pop('TERM')}", str(GODBG), "exec", str(go_bin["prog"])]
        term = Terminal(command, env, Path(__file__).resolve().parents[2], tmp_path)
        made.append(term)
        term.start()
        term.wait_for(STOPPED, timeout=START_TIMEOUT)
        term.wait_for(whole_screen)  # the source is on screen with the current line marked
        return term

    yield run
    for term in made:
        try:
            if not term.dead():
                below = descendants(term.pane_pid)
                term.keys("q")
                term.wait_for("Quit godbg-tui?")
                term.keys("Enter")
                term.wait_for(lambda _s: term.dead())
                gone = [p for p in below if alive(p)]
                assert not gone, f"left behind: {gone}"
        finally:
            term.kill_server()


def escaped_screen(term: Terminal) -> str:
    return term.tmux("capture-pane", "-p", "-e", "-t", term.name, check=False)


def whole_screen(screen: str) -> bool:
    """The stop is drawn in full: tmux 3.3 has no synchronised output, so a capture can catch
    Textual halfway through repainting (the CI once saw the pane borders not yet drawn)."""
    return STOPPED in screen and "Source" in screen and bool(EXEC_ROW.search(screen))


def assert_usable(screen: str) -> None:
    assert "main.main" in screen and "Source" in screen, screen
    assert re.search(r"^\S+\s+\d+\s+\S", screen, re.MULTILINE), "numbered source lines"
    assert "\ufffd" not in screen and "â" not in screen, screen  # no replacement chars, no UTF-8 read as Latin-1


def test_term_linux_gets_16_colours_only(terminal: Callable[..., Terminal]) -> None:
    term = terminal({"TERM": "linux"})
    assert_usable(term.wait_for(whole_screen))
    params = sgr_params(escaped_screen(term))
    assert any(set(p) & _COLOUR_PARAMS for p in params), "the 16-colour theme shows colours"
    for p in params:
        assert 38 not in p and 48 not in p, f"256/truecolor escape under TERM=linux: {p}"


def test_no_color_screen_is_usable(terminal: Callable[..., Terminal]) -> None:
    term = terminal({"NO_COLOR": "1"})
    screen = term.wait_for(whole_screen)
    assert_usable(screen)
    assert re.search(r"▶\s*\d+\s", screen), "the current line is still marked, by its glyph"


def test_no_color_emits_no_colour_escapes(terminal: Callable[..., Terminal]) -> None:
    term = terminal({"NO_COLOR": "1"})
    coloured = [p for p in sgr_params(escaped_screen(term)) if set(p) & _COLOUR_PARAMS]
    assert not coloured, f"colour escapes under NO_COLOR: {coloured[:5]}"


def test_c_locale_marks_the_gutter_in_ascii(terminal: Callable[..., Terminal]) -> None:
    term = terminal({"LANG": "C"})
    screen = term.wait_for(whole_screen)
    assert_usable(screen)
    assert re.search(r"^\|\s*>\s*\d+\s", screen, re.MULTILINE), "the current line is marked '>' in an ASCII border"
    assert "▶" not in screen and "●" not in screen
    assert "╭" not in screen and "+-" in screen, "pane borders are ASCII"


def test_c_locale_screen_is_all_ascii(terminal: Callable[..., Terminal]) -> None:
    term = terminal({"LANG": "C"})
    screen = term.wait_for(whole_screen)
    assert screen.isascii(), sorted({c for c in screen if not c.isascii()})


def test_c_locale_dialogs_and_census_are_all_ascii(terminal: Callable[..., Terminal]) -> None:
    """Beyond the first screen under LANG=C: the help dialog, the goroutine census (tree
    arrows, separators, the footer's key names) and the heap view (delta, sparkline box)."""
    term = terminal({"LANG": "C"})
    term.keys("?")
    screen = term.wait_for("Debugger (everywhere)")
    assert screen.isascii(), sorted({c for c in screen if not c.isascii()})
    term.keys("Escape")
    term.wait_for(lambda s: "Debugger (everywhere)" not in s)
    term.keys("C")
    screen = term.wait_for(re.compile(r"goroutines? in \d+ groups?"))
    assert screen.isascii(), sorted({c for c in screen if not c.isascii()})
    assert re.search(r"^\W*[+-] +\d+ ", screen, re.MULTILINE), screen
    term.keys("Escape")
    term.wait_for(lambda s: "by userloc" not in s and STOPPED in s)
    term.keys("H")
    screen = term.wait_for(re.compile(r"flat%.*\n.*runtime\."))
    assert screen.isascii(), sorted({c for c in screen if not c.isascii()})
    assert "heap in use" in screen and "d vs previous" in screen, screen
    term.keys("Escape")
    term.wait_for(lambda s: "heap in use" not in s and STOPPED in s)
