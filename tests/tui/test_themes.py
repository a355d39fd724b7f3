"""Themes: registration, source styles per theme, the start-up choice (NO_COLOR, TERM=linux),
ASCII glyphs, and the whole debugger under each theme at 80x24 with the colour system
forced to 16 colours and to none (NO_COLOR), on real dlv."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygments.token import Keyword, String
from rich.text import Text
from textual import constants
from textual.app import App, ComposeResult
from textual.color import Color
from textual.keys import format_key
from textual.renderables.sparkline import Sparkline
from textual.scrollbar import ScrollBarRender
from textual.widgets import Tree

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.dlv.types import Function, Stackframe
from godbg_tui.adapters.store import Config
from godbg_tui.themes import (
    ANSI_THEME,
    APP_CSS,
    DEFAULT_THEME,
    MONO_THEME,
    THEMES,
    VARIABLE_DEFAULTS,
    choose_theme,
    highlight_theme_for,
    pygments_style_for,
)
from godbg_tui.tui import glyphs
from godbg_tui.tui.app import GodbgApp
from godbg_tui.tui.screens.help import HelpScreen
from godbg_tui.tui.widgets.command_line import CommandLine
from godbg_tui.tui.widgets.console_pane import ConsolePane
from godbg_tui.tui.widgets.stack_pane import StackPane
from godbg_tui.tui.widgets.status_bar import StatusBar
from support import async_wait_until
from test_app import screen_text

THEME_NAMES = [t.name for t in THEMES]
ANSI_NAMES = {"ansi_default", *(f"ansi_{c}" for c in ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"))}
ANSI_NAMES |= {n.replace("ansi_", "ansi_bright_") for n in ANSI_NAMES if n != "ansi_default"}


def test_five_themes_each_with_every_debugger_variable():
    assert set(THEME_NAMES) == {"godbg-dark", "godbg-light", "godbg-high-contrast", "godbg-16", "godbg-mono"}
    for theme in THEMES:
        assert set(VARIABLE_DEFAULTS) <= set(theme.variables), theme.name


def test_the_16_colour_and_mono_themes_use_only_ansi_colours():
    for name in (ANSI_THEME, MONO_THEME):
        theme = next(t for t in THEMES if t.name == name)
        assert theme.ansi
        colours = [theme.primary, theme.secondary, theme.accent, theme.warning, theme.error, theme.success,
                   theme.foreground, theme.background, theme.surface, theme.panel]
        colours += [v for k, v in theme.variables.items() if not k.endswith("text-style")]
        assert set(colours) <= ANSI_NAMES, name
    mono = next(t for t in THEMES if t.name == MONO_THEME)
    assert {mono.primary, mono.error, mono.variables["breakpoint"]} == {"ansi_default"}


@pytest.mark.parametrize("name", THEME_NAMES)
def test_source_styles_follow_the_theme(name: str):
    theme = next(t for t in THEMES if t.name == name)
    styles = highlight_theme_for(theme).STYLES
    assert styles[Keyword] and styles[String]
    assert highlight_theme_for(theme) is highlight_theme_for(theme)  # built once
    words = " ".join(styles.values()).split()
    if theme.ansi:
        assert not any(w.startswith("#") for w in words), "an ANSI theme must not carry truecolor"
    if name == MONO_THEME:
        assert set(words) <= {"bold", "italic", "underline"}
    if name == ANSI_THEME:
        assert {w for w in words if w.startswith("ansi_")} <= ANSI_NAMES
        assert "ansi_yellow" in styles[Keyword]


def test_textual_ansi_highlight_colours_parse():
    """Textual 8.2.8 misspells some (ansi_greenb): themes/ repairs them at import."""
    from textual.content import Style
    from textual.highlight import ANSIDarkHighlightTheme, ANSILightHighlightTheme

    for theme in (ANSIDarkHighlightTheme, ANSILightHighlightTheme):
        for text in theme.STYLES.values():
            Style.parse(text)


def test_source_pane_uses_the_themes_pygments_style():
    from godbg_tui.tui.widgets.source_view import SourceLines

    class FakeApp:
        current_theme = next(t for t in THEMES if t.name == ANSI_THEME)

    lines = SourceLines.__new__(SourceLines)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(SourceLines, "app", FakeApp(), raising=False)
        assert lines._highlight_theme().STYLES == highlight_theme_for(FakeApp.current_theme).STYLES


def test_pygments_style_for_builtin_and_unknown_themes():
    assert pygments_style_for("nord").__name__ == "NordStyle"  # same-named pygments style
    assert pygments_style_for("textual-light") is pygments_style_for("godbg-light")
    assert pygments_style_for("ansi-dark") is pygments_style_for(ANSI_THEME)
    assert pygments_style_for("no-such-theme") is pygments_style_for(DEFAULT_THEME)


@pytest.mark.parametrize(
    ("requested", "env", "expected", "warns"),
    [
        ("", {}, DEFAULT_THEME, False),
        ("", {"NO_COLOR": "1"}, MONO_THEME, False),
        ("", {"NO_COLOR": ""}, DEFAULT_THEME, False),  # no-color.org: empty means unset
        ("", {"TERM": "linux"}, ANSI_THEME, False),
        ("", {"TEXTUAL_COLOR_SYSTEM": "standard", "TERM": "xterm-256color"}, ANSI_THEME, False),
        ("", {"TERM": "linux", "NO_COLOR": "1"}, MONO_THEME, False),
        ("godbg-light", {"NO_COLOR": "1"}, "godbg-light", False),  # explicit beats NO_COLOR
        ("nope", {"TERM": "linux"}, ANSI_THEME, True),
    ],
)
def test_choose_theme(requested: str, env: dict[str, str], expected: str, warns: bool):
    name, warning = choose_theme(requested, env, THEME_NAMES)
    assert name == expected
    assert (warning is not None) == warns
    if warning:
        assert "'nope'" in warning and "godbg-16" in warning


@pytest.mark.parametrize(
    ("config", "flag", "env", "expected"),
    [
        ("auto", None, {"LANG": "en_US.UTF-8"}, False),
        ("auto", None, {"LANG": "C.utf8"}, False),
        ("auto", None, {"LANG": "C"}, True),
        ("auto", None, {}, True),
        ("auto", None, {"LC_ALL": "POSIX", "LANG": "en_US.UTF-8"}, True),
        ("auto", None, {"LC_CTYPE": "de_DE.UTF-8@euro", "LANG": "C"}, False),
        ("auto", None, {"LANG": "en_US.ISO-8859-1"}, True),
        ("on", None, {"LANG": "en_US.UTF-8"}, True),
        ("off", None, {"LANG": "C"}, False),
        ("off", True, {}, True),
        ("on", False, {}, False),
    ],
)
def test_use_ascii(config: str, flag: bool | None, env: dict[str, str], expected: bool):
    assert glyphs.use_ascii(config, flag, env) is expected


def test_ascii_table_is_ascii_and_complete():
    for field in glyphs.ASCII.__dataclass_fields__:
        assert getattr(glyphs.ASCII, field).isascii(), field
        assert getattr(glyphs.UNICODE, field), field
    assert glyphs.ASCII.border == "ascii"
    try:
        assert glyphs.select(True) is glyphs.ASCII and glyphs.glyphs() is glyphs.ASCII
        assert Tree.ICON_NODE.isascii() and all(line.isascii() for lines in Tree.LINES.values() for line in lines)
        assert Sparkline.BARS.isascii() and all(bar.isascii() for bar in ScrollBarRender.VERTICAL_BARS)
        assert all(format_key(key).isascii() for key in ("enter", "up", "down", "left", "right", "backspace"))
    finally:
        glyphs.select(False)
    assert glyphs.glyphs() is glyphs.UNICODE and Tree.ICON_NODE == "▶ " and Sparkline.BARS == "▁▂▃▄▅▆▇█"
    assert format_key("enter") == "⏎"


# ----- the debugger under each theme -----


@pytest.fixture(autouse=True)
def _dlv_on_path(dlv_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GODBG_DLV", str(dlv_path))


def _force_colours(colours: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)
    if colours == "none":
        monkeypatch.setenv("NO_COLOR", "1")
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)
        monkeypatch.setattr(constants, "COLOR_SYSTEM", "standard")


async def _check_themes(names: list[str], colours: str, program: str, state_dir: Path) -> None:
    """Each theme, switched live on a stopped session: status and source text on screen,
    the debugger variables resolve, no replacement characters."""
    app = GodbgApp(LaunchSpec(mode="exec", program=program), state_dir=state_dir, config=Config(theme=names[0]))
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await async_wait_until(lambda: app.stops_seen >= 1 and app.main_screen.refreshed_upto >= 1, timeout=60)
            if colours == "16":
                assert app.console.color_system == "standard"
            else:
                assert app.no_color
            for name in names:
                app.theme = name
                await pilot.pause()
                await async_wait_until(lambda: app.main_screen.source.highlighted, timeout=30)
                variables = app.get_css_variables()
                assert all(key in variables for key in VARIABLE_DEFAULTS), name
                text = screen_text(app)
                assert "stopped: at entry" in text and "main.main" in text and "Source" in text, f"{name}:\n{text}"
                assert "\ufffd" not in text
        finally:
            await app.end_session()


COLOURS = pytest.mark.parametrize("colours", ["16", "none"])


@COLOURS
async def test_truecolor_themes_at_80x24(colours: str, go_bin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _force_colours(colours, monkeypatch)
    await _check_themes([t.name for t in THEMES if not t.ansi], colours, str(go_bin["prog"]), tmp_path)


@COLOURS
async def test_ansi_themes_at_80x24(colours: str, go_bin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    _force_colours(colours, monkeypatch)
    await _check_themes([t.name for t in THEMES if t.ansi], colours, str(go_bin["prog"]), tmp_path)


@pytest.mark.parametrize(
    ("env", "expected"),
    [({"LANG": "C"}, "True"), ({}, "True"), ({"LANG": "C.UTF-8"}, "False"), ({"LANG": "C", "LC_CTYPE": "C.UTF-8"}, "False")],
)
def test_use_ascii_sees_through_pythons_c_locale_coercion(env: dict[str, str], expected: str):
    """Started under LANG=C, Python sets LC_CTYPE=C.UTF-8 itself (PEP 538); that must not count."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", "from godbg_tui.tui.glyphs import use_ascii; print(use_ascii())"],
        env={"PATH": "/usr/bin:/bin", **env}, capture_output=True, text=True, timeout=60, check=True,
    )
    assert out.stdout.strip() == expected


def test_fit_cuts_like_rich_and_translate_swaps_marks():
    long = "goroutine 1 stopped at main.go:42"
    rich_cut = Text(long, overflow="ellipsis")
    rich_cut.truncate(12, overflow="ellipsis")
    assert glyphs.UNICODE.fit(Text(long), 12).plain == rich_cut.plain
    assert glyphs.ASCII.fit(Text(long), 12).plain == "goroutine..."
    assert glyphs.ASCII.fit(Text("short"), 12).plain == "short"
    tooltip = "Group by user location → current · go ×N…"
    assert glyphs.UNICODE.translate(tooltip) == tooltip
    assert glyphs.ASCII.translate(tooltip) == "Group by user location -> current - go xN..."


class AsciiWidgetsApp(App[None]):
    """The panes that draw their own marks, in the app's stylesheet, with the -ascii class."""

    CSS_PATH = str(APP_CSS)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield StackPane(classes="pane")
        yield ConsolePane(classes="pane")
        yield CommandLine()
        yield StatusBar()

    def on_mount(self) -> None:
        self.add_class("-ascii")


async def test_widgets_draw_ascii_after_select():
    """Marks are looked up when drawn, so widgets created after select(True) draw none of
    the Unicode table (the C-locale tmux test covers the whole debugger screen)."""
    frame = Stackframe(file="/src/main.go", line=7, function=Function(name="main.compute"))
    glyphs.select(True)
    try:
        app = AsciiWidgetsApp()
        async with app.run_test(size=(60, 24)) as pilot:
            app.query_one(StackPane).show_frames([frame, frame], selected=0)
            console = app.query_one(ConsolePane)
            console.message("warning", "a warning " + "x" * 80)
            console.feed("stdout", b"y" * 5000 + b"\n")
            status = app.query_one(StatusBar)
            status.target, status.state, status.scope = "exec prog " * 6, "stopped", "goroutine 1 frame 0"
            status.begin_wait("evaluating a long expression")
            await async_wait_until(lambda: status.waiting_on != "", timeout=5)
            await async_wait_until(lambda: ">> warning: a warning" in console.text, timeout=5)
            app.push_screen(HelpScreen(app.screen))
            await pilot.pause()
            await async_wait_until(lambda: isinstance(app.screen, HelpScreen), timeout=5)
            await pilot.pause()
            shown = screen_text(app)
            assert shown.isascii(), sorted({c for c in shown if not c.isascii()})
            assert "..." in console.text and "+-" in shown
    finally:
        glyphs.select(False)
