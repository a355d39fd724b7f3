"""godbg-tui's themes and the theme variables our stylesheets use.

Widgets refer to debugger-specific colours by variable (``$breakpoint``,
``$current-line`` …) rather than by literal, so every theme, ours or a built-in
Textual one, must provide them: ``VARIABLE_DEFAULTS`` is what the app returns
from ``get_theme_variable_defaults`` for themes that don't.
"""

from __future__ import annotations

from importlib.resources import files

from textual.theme import Theme

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

THEMES = (DARK, LIGHT)
DEFAULT_THEME = DARK.name
