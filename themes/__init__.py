"""godbg-tui's themes, their source-highlighting styles, and the theme variables our stylesheets use.

Widgets refer to debugger-specific colours by variable (``$breakpoint``,
``$current-line`` …) rather than by literal, so every theme, ours or a built-in
Textual one, must provide them: ``VARIABLE_DEFAULTS`` is what the app returns
from ``get_theme_variable_defaults`` for themes that don't.

Five themes for five kinds of terminal: ``godbg-dark`` / ``godbg-light`` (truecolor),
``godbg-high-contrast`` (pure black and saturated colours), ``godbg-16`` (the 16 ANSI
colours, drawn by the terminal's own palette: right under TERM=linux and on 8/16-colour
consoles) and ``godbg-mono`` (no colour at all: bold, italic, underline, reverse; chosen
when NO_COLOR is set). Each has a pygments style (:func:`pygments_style_for`), and
:func:`highlight_theme_for` turns that into the token styles the source pane paints.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from importlib.resources import files

from pygments.style import Style as PygmentsStyle
from pygments.styles import get_all_styles, get_style_by_name
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String, Token
from textual.highlight import ANSIDarkHighlightTheme, ANSILightHighlightTheme, HighlightTheme
from textual.theme import BUILTIN_THEMES, Theme

APP_CSS = files(__name__).joinpath("app.tcss")

VARIABLE_DEFAULTS: dict[str, str] = {
    "breakpoint": "#e05561",
    "breakpoint-disabled": "#7a6a6c",
    "current-line": "#e5c07b",
    "current-line-background": "#3a3524",
    "other-goroutine": "#61afef",
    "runtime-frame": "#7f848e",
    "console-stderr": "#e06c75",
    "console-debugger": "#98c379",
}

DARK = Theme(
    name="godbg-dark",
    primary="#61afef",
    secondary="#c678dd",
    accent="#e5c07b",
    warning="#d19a66",
    error="#e06c75",
    success="#98c379",
    foreground="#d7dae0",
    background="#1e2127",
    surface="#252932",
    panel="#2c313c",
    dark=True,
    variables=dict(VARIABLE_DEFAULTS),
)

LIGHT = Theme(
    name="godbg-light",
    primary="#2f6fb7",
    secondary="#a626a4",
    accent="#986801",
    warning="#b35c00",
    error="#c8353e",
    success="#3d8a3a",
    foreground="#2b2d33",
    background="#fafafa",
    surface="#f0f0f1",
    panel="#e5e5e6",
    dark=False,
    variables={
        "breakpoint": "#c8353e",
        "breakpoint-disabled": "#a89a9b",
        "current-line": "#986801",
        "current-line-background": "#f7edc9",
        "other-goroutine": "#2f6fb7",
        "runtime-frame": "#8a8c93",
        "console-stderr": "#c8353e",
        "console-debugger": "#3d8a3a",
    },
)

HIGH_CONTRAST = Theme(
    name="godbg-high-contrast",
    primary="#00d7ff",
    secondary="#ff87ff",
    accent="#ffff00",
    warning="#ffaf00",
    error="#ff5f5f",
    success="#5fff5f",
    foreground="#ffffff",
    background="#000000",
    surface="#000000",
    panel="#1c1c1c",
    dark=True,
    luminosity_spread=0.25,
    text_alpha=1.0,
    variables={
        "breakpoint": "#ff0000",
        "breakpoint-disabled": "#bcbcbc",
        "current-line": "#ffff00",
        "current-line-background": "#303000",
        "other-goroutine": "#00d7ff",
        "runtime-frame": "#bcbcbc",
        "console-stderr": "#ff5f5f",
        "console-debugger": "#5fff5f",
        "border": "#ffffff",
        "border-blurred": "#8a8a8a",
        "block-cursor-background": "#ffff00",
        "block-cursor-foreground": "#000000",
        "footer-key-foreground": "#ffff00",
    },
)

# Native ANSI colours: the terminal maps them through its own palette, so they stay
# legible on whatever background it has (Textual's ansi mode, no truecolor conversion).
ANSI_16 = Theme(
    name="godbg-16",
    ansi=True,
    primary="ansi_blue",
    secondary="ansi_magenta",
    accent="ansi_yellow",
    warning="ansi_yellow",
    error="ansi_red",
    success="ansi_green",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_default",
    boost="ansi_default",
    dark=True,
    variables={
        "breakpoint": "ansi_bright_red",
        "breakpoint-disabled": "ansi_white",
        "current-line": "ansi_bright_yellow",
        "current-line-background": "ansi_blue",
        "other-goroutine": "ansi_bright_cyan",
        "runtime-frame": "ansi_white",
        "console-stderr": "ansi_bright_red",
        "console-debugger": "ansi_green",
        "ansi-background": "ansi_black",
        "ansi-foreground": "ansi_white",
        "border": "ansi_bright_blue",
        "border-blurred": "ansi_white",
        "block-cursor-foreground": "ansi_black",
        "block-cursor-background": "ansi_cyan",
        "input-cursor-background": "ansi_white",
        "input-cursor-foreground": "ansi_black",
        "input-selection-background": "ansi_blue",
        "footer-key-foreground": "ansi_bright_yellow",
        "screen-selection-background": "ansi_blue",
        "screen-selection-foreground": "ansi_white",
    },
)

# No colour: everything in the terminal's default colours; Textual's NoColor filter
# (NO_COLOR) would strip colours anyway, so nothing here may depend on one.
MONO = Theme(
    name="godbg-mono",
    ansi=True,
    primary="ansi_default",
    secondary="ansi_default",
    accent="ansi_default",
    warning="ansi_default",
    error="ansi_default",
    success="ansi_default",
    foreground="ansi_default",
    background="ansi_default",
    surface="ansi_default",
    panel="ansi_default",
    boost="ansi_default",
    dark=True,
    variables={
        **{key: "ansi_default" for key in VARIABLE_DEFAULTS},
        "border": "ansi_default",
        "border-blurred": "ansi_default",
        "block-cursor-foreground": "ansi_default",
        "block-cursor-background": "ansi_default",
        "block-cursor-text-style": "reverse bold",
        "block-cursor-blurred-text-style": "reverse",
        "input-cursor-text-style": "reverse",
        "input-selection-background": "ansi_default",
        "footer-key-foreground": "ansi_default",
        "footer-description-foreground": "ansi_default",
        "screen-selection-background": "ansi_default",
        "ansi-background": "ansi_black",
        "ansi-foreground": "ansi_white",
    },
)

THEMES = (DARK, LIGHT, HIGH_CONTRAST, ANSI_16, MONO)
DEFAULT_THEME = DARK.name
ANSI_THEME = ANSI_16.name
MONO_THEME = MONO.name
# Terminals with the 16 ANSI colours at most; a truecolor theme downsampled to them is mud.
_SIXTEEN_COLOUR_TERMS = ("linux", "vt100", "vt102", "vt220", "cons25", "ansi", "xterm-16color", "xterm-color")


class HighContrastStyle(PygmentsStyle):
    """Source colours for godbg-high-contrast: saturated on black, nothing dim."""

    name = "godbg-high-contrast"
    background_color = "#000000"
    styles = {
        Token: "#ffffff",
        Comment: "italic #87d7ff",
        Keyword: "bold #ffff00",
        Keyword.Type: "bold #00d7ff",
        Keyword.Constant: "bold #ff87ff",
        Name.Function: "bold #5fff5f",
        Name.Builtin: "#00d7ff",
        String: "#ffaf00",
        Number: "#ff87ff",
        Operator: "bold #ffffff",
        Error: "bold #ff0000",
    }


class Ansi16Style(PygmentsStyle):
    """Source colours for godbg-16: the 16 ANSI colours only, so the terminal's palette decides."""

    name = "godbg-16"
    styles = {
        Comment: "ansicyan",
        Keyword: "bold ansiyellow",
        Keyword.Type: "nobold ansigreen",
        Keyword.Constant: "ansimagenta",
        Name.Function: "bold ansibrightblue",
        Name.Builtin: "ansicyan",
        String: "ansibrightgreen",
        String.Escape: "bold ansibrightgreen",
        Number: "ansibrightmagenta",
        Operator.Word: "bold ansiyellow",
        Error: "bold ansibrightred",
    }


class MonoStyle(PygmentsStyle):
    """Source styles for godbg-mono: weight and slant only (pygments' ``bw`` without its red error box)."""

    name = "godbg-mono"
    styles = {
        Comment: "italic",
        Keyword: "bold",
        Keyword.Type: "nobold underline",
        Keyword.Constant: "bold",
        Name.Function: "underline",
        String: "italic",
        Operator.Word: "bold",
        Error: "bold underline",
    }


_OWN_STYLES: dict[str, type[PygmentsStyle]] = {
    DARK.name: get_style_by_name("one-dark"),
    LIGHT.name: get_style_by_name("default"),
    HIGH_CONTRAST.name: HighContrastStyle,
    ANSI_16.name: Ansi16Style,
    MONO.name: MonoStyle,
}


@functools.cache
def _pygments_names() -> frozenset[str]:
    """Every pygments style, plugins included: finding plugins reads every installed
    distribution's entry points (~30 ms), so only when a theme asks."""
    return frozenset(get_all_styles())


def pygments_style_for(theme_name: str) -> type[PygmentsStyle]:
    """The pygments style that goes with a theme: ours, the pygments style of the same name
    for Textual's built-in themes that have one (nord, dracula, monokai …), else one by the
    theme's kind (ANSI, dark, light)."""
    if theme_name in _OWN_STYLES:
        return _OWN_STYLES[theme_name]
    if theme_name in _pygments_names():
        return get_style_by_name(theme_name)
    theme = BUILTIN_THEMES.get(theme_name)
    if theme is not None and theme.ansi:
        return Ansi16Style
    if theme is not None and not theme.dark:
        return _OWN_STYLES[LIGHT.name]
    return _OWN_STYLES[DARK.name]


def _textual_style(resolved: Mapping[str, object], ansi_only: bool) -> str:
    """A pygments ``style_for_token`` result as a Textual style string (foreground and
    text attributes; backgrounds stay the pane's, so the current-line band shows through)."""
    parts = []
    ansi = resolved.get("ansicolor")
    if isinstance(ansi, str):
        parts.append("ansi_" + ansi.removeprefix("ansi").replace("bright", "bright_"))
    elif resolved.get("color") and not ansi_only:
        parts.append(f"#{resolved['color']}")
    for attribute in ("bold", "italic", "underline"):
        if resolved.get(attribute):
            parts.append(attribute)
    return " ".join(parts)


_highlight_themes: dict[str, type[HighlightTheme]] = {}


def highlight_theme_for(theme: Theme) -> type[HighlightTheme]:
    """The source pane's token styles for ``theme``, built once from :func:`pygments_style_for`.

    Every token the pygments style knows gets its fully resolved style (pygments inherits
    from parent tokens; the source pane looks a token up without merging parents).
    ANSI themes keep only ANSI colours, so nothing is converted to truecolor behind the
    terminal's back.
    """
    cached = _highlight_themes.get(theme.name)
    if cached is not None:
        return cached
    style = pygments_style_for(theme.name)
    styles = {}
    for token in style.styles:
        text = _textual_style(style.style_for_token(token), theme.ansi)
        if text or token is Token:
            styles[token] = text
    made = type(f"{style.__name__}Highlight", (HighlightTheme,), {"STYLES": styles})
    _highlight_themes[theme.name] = made
    return made


def choose_theme(
    requested: str,
    environ: Mapping[str, str],
    available: Collection[str],
) -> tuple[str, str | None]:
    """The theme to start with, and a warning if the requested one does not exist.

    ``requested`` (``--theme`` or config.toml's ``theme``; "" for none) wins when it exists:
    explicit settings override NO_COLOR, as no-color.org asks. Otherwise NO_COLOR (set and
    not empty) picks godbg-mono, a 16-colour terminal (TERM=linux …, or
    TEXTUAL_COLOR_SYSTEM=standard) godbg-16, anything else godbg-dark.
    """
    warning = None
    if requested:
        if requested in available:
            return requested, None
        warning = f"no theme {requested!r}; available: {', '.join(sorted(available))}"
    if environ.get("NO_COLOR"):
        return MONO_THEME, warning
    term = environ.get("TERM", "")
    if term in _SIXTEEN_COLOUR_TERMS or environ.get("TEXTUAL_COLOR_SYSTEM") == "standard":
        return ANSI_THEME, warning
    return DEFAULT_THEME, warning


# Textual 8.2.8's ANSI highlight themes misspell colours ("ansi_greenb" for every string,
# "ansi_yelllow", "ansi_blow", "ans_red"): painting Go source under any ANSI theme raises
# ColorParseError. Corrected in place, once, so built-in ANSI themes work too.
_TEXTUAL_TYPOS = {"ansi_greenb": "ansi_green", "ansi_yelllow": "ansi_yellow", "ansi_blow": "ansi_blue", "ans_red": "ansi_red"}


def _repair_textual_ansi_highlight() -> None:
    for theme in (ANSIDarkHighlightTheme, ANSILightHighlightTheme):
        for token, text in theme.STYLES.items():
            theme.STYLES[token] = " ".join(_TEXTUAL_TYPOS.get(word, word) for word in text.split())


_repair_textual_ansi_highlight()
