"""The symbols the UI draws, in a Unicode table and an ASCII one.

Terminals without a UTF-8 locale (LANG=C on a server, the Linux console, some serial and
SSH setups) show Unicode marks as mojibake or question marks, so every mark a widget draws
comes from the active table: ``glyphs().bp_enabled``. The app picks the table once at start
with :func:`select` (from :func:`use_ascii`), before any widget renders. Textual's own
widgets draw some symbols too (tree arrows and guides, scrollbar eighths, the tabs
underline, sparklines); :func:`textual_ascii` switches those, and ``App.-ascii`` rules in app.tcss
switch borders to Textual's ``ascii`` style.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import keys
from textual.renderables.bar import Bar
from textual.renderables.sparkline import Sparkline
from textual.scrollbar import ScrollBarRender
from textual.widgets import Tree


@dataclass(frozen=True)
class Glyphs:
    """One table of marks. Every field is a short string; ``spinner`` and ``sparkline`` are
    sequences of one-cell frames / levels (lowest first). ``overflow`` is the Rich
    ``Text.overflow`` for text cut where the widget cannot call :meth:`fit` (Rich's
    "ellipsis" always draws "…")."""

    bp_enabled: str
    bp_disabled: str
    bp_conditional: str
    bp_tracepoint: str
    exec_line: str
    exec_other: str
    frame_current: str
    tree_collapsed: str
    tree_expanded: str
    subtest: str
    spinner: str
    sparkline: str
    ellipsis: str
    delta: str
    separator: str
    vbar: str
    rule: str
    arrow_right: str
    arrow_left: str
    arrow_up: str
    arrow_down: str
    arrow_both: str
    warning: str
    leak: str
    approx: str
    times: str
    le: str
    prompt: str
    input_mark: str
    dash: str
    shift: str
    border: str
    overflow: str

    def translate(self, text: str) -> str:
        """``text`` with the Unicode table's marks swapped for this table's: for words written
        once at import time (binding descriptions and tooltips), before any table was chosen."""
        return text.translate(self._from_unicode())

    def _from_unicode(self) -> dict[int, str]:
        marks = {}
        for name in self.__dataclass_fields__:
            ours, theirs = getattr(UNICODE, name).strip(), getattr(self, name).strip()
            if len(ours) == 1 and ours != theirs:
                marks[ord(ours)] = theirs
        return marks

    def fit(self, text: Text, width: int) -> Text:
        """Crop ``text`` to ``width`` cells, ending in this table's ellipsis when cut, the way
        Rich's ``overflow="ellipsis"`` does with "…" (spans are trimmed, not re-applied)."""
        if text.cell_len > width:
            text.plain = set_cell_size(text.plain, max(0, width - cell_len(self.ellipsis))) + self.ellipsis
        return text

    def gutter(self) -> dict[str, str]:
        """The source gutter's marks by kind, as SourceView names them."""
        return {
            "enabled": self.bp_enabled,
            "disabled": self.bp_disabled,
            "conditional": self.bp_conditional,
            "tracepoint": self.bp_tracepoint,
            "exec": self.exec_line,
            "exec-other": self.exec_other,
        }


UNICODE = Glyphs(
    bp_enabled="●",
    bp_disabled="○",
    bp_conditional="◆",
    bp_tracepoint="◇",
    exec_line="▶",
    exec_other="▷",
    frame_current="▶",
    tree_collapsed="▸ ",
    tree_expanded="▾ ",
    subtest="↳ ",
    spinner="⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏",
    sparkline="▁▂▃▄▅▆▇█",
    ellipsis="…",
    delta="Δ",
    separator="·",
    vbar="│",
    rule="─",
    arrow_right="→",
    arrow_left="←",
    arrow_up="↑",
    arrow_down="↓",
    arrow_both="↔",
    warning="⚠",
    leak="▲",
    approx="≈",
    times="×",
    le="≤",
    prompt="»",
    input_mark="▸",
    dash="—",
    shift="⇧",
    border="round",
    overflow="ellipsis",
)

# The gutter letters match what SourceView has shown in ASCII mode since session 1.
ASCII = Glyphs(
    bp_enabled="B",
    bp_disabled="b",
    bp_conditional="C",
    bp_tracepoint="T",
    exec_line=">",
    exec_other="~",
    frame_current=">",
    tree_collapsed="+ ",
    tree_expanded="- ",
    subtest="`-",
    spinner="|/-\\",
    sparkline="_.-=+*#@",
    ellipsis="...",
    delta="d",
    separator="-",
    vbar="|",
    rule="-",
    arrow_right="->",
    arrow_left="<-",
    arrow_up="Up",
    arrow_down="Down",
    arrow_both="<->",
    warning="!",
    leak="^",
    approx="~",
    times="x",
    le="<=",
    prompt=">>",
    input_mark=">",
    dash="--",
    shift="Shift+",
    border="ascii",
    overflow="crop",
)

_active = UNICODE


def glyphs() -> Glyphs:
    """The table in use."""
    return _active


def select(ascii_only: bool) -> Glyphs:
    """Make the ASCII (True) or Unicode table the one in use, Textual's symbols included."""
    global _active
    _active = ASCII if ascii_only else UNICODE
    textual_ascii(ascii_only)
    return _active


def locale_is_utf8(environ: Mapping[str, str]) -> bool:
    """What the C library would decide: the first of LC_ALL, LC_CTYPE, LANG that is set."""
    for name in ("LC_ALL", "LC_CTYPE", "LANG"):
        value = environ.get(name)
        if value:
            codeset = value.partition(".")[2].partition("@")[0].lower().replace("-", "")
            return codeset == "utf8"
    return False


def _as_the_user_set_it(environ: Mapping[str, str]) -> Mapping[str, str]:
    """Our own environment without Python's PEP 538 coercion: started under the C locale,
    Python sets LC_CTYPE=C.UTF-8 (and turns on UTF-8 mode) — that says nothing about what
    the terminal shows, so it is dropped again."""
    coerced = sys.flags.utf8_mode and "PYTHONUTF8" not in environ and "utf8" not in sys._xoptions
    if coerced and environ.get("LC_CTYPE") == "C.UTF-8":
        return {k: v for k, v in environ.items() if k != "LC_CTYPE"}
    return environ


def use_ascii(config_value: str = "auto", flag: bool | None = None, environ: Mapping[str, str] | None = None) -> bool:
    """ASCII glyphs? The ``--ascii``/``--no-ascii`` flag (None: not given) beats config.toml's
    ``ascii`` ("on", "off", "auto"); "auto" means ASCII unless the locale is UTF-8.
    ``environ`` defaults to this process's, read as the user set it."""
    if flag is not None:
        return flag
    if config_value == "on":
        return True
    if config_value == "off":
        return False
    if environ is None or environ is os.environ:
        environ = _as_the_user_set_it(os.environ)
    return not locale_is_utf8(environ)


_TEXTUAL_UNICODE = {
    (Tree, "ICON_NODE"): Tree.ICON_NODE,
    (Tree, "ICON_NODE_EXPANDED"): Tree.ICON_NODE_EXPANDED,
    (Tree, "LINES"): Tree.LINES,
    (ScrollBarRender, "VERTICAL_BARS"): ScrollBarRender.VERTICAL_BARS,
    (ScrollBarRender, "HORIZONTAL_BARS"): ScrollBarRender.HORIZONTAL_BARS,
    (Bar, "BAR"): Bar.BAR,
    (Bar, "HALF_BAR_RIGHT"): Bar.HALF_BAR_RIGHT,
    (Bar, "HALF_BAR_LEFT"): Bar.HALF_BAR_LEFT,
    (Sparkline, "BARS"): Sparkline.BARS,
}
_TEXTUAL_ASCII = {
    (Tree, "ICON_NODE"): "> ",
    (Tree, "ICON_NODE_EXPANDED"): "v ",
    (Tree, "LINES"): {name: ("  ", "| ", "`-", "|-") for name in Tree.LINES},
    (ScrollBarRender, "VERTICAL_BARS"): [" "] * len(ScrollBarRender.VERTICAL_BARS),
    (ScrollBarRender, "HORIZONTAL_BARS"): [" "] * len(ScrollBarRender.HORIZONTAL_BARS),
    (Bar, "BAR"): "=",
    (Bar, "HALF_BAR_RIGHT"): "-",
    (Bar, "HALF_BAR_LEFT"): "-",
    (Sparkline, "BARS"): ASCII.sparkline,
}


_KEY_NAMES_UNICODE = {name: keys.KEY_DISPLAY_ALIASES[name] for name in ("up", "down", "left", "right", "backspace", "enter")}
_KEY_NAMES_ASCII = {"up": "up", "down": "down", "left": "left", "right": "right", "backspace": "bksp", "enter": "enter"}


def textual_ascii(enabled: bool) -> None:
    """Switch the symbols Textual's own widgets draw (class attributes meant for overriding,
    and the footer's key names: ⏎ ↑ ↓) to ASCII, or back. Process-wide, like the locale it
    answers to."""
    for (cls, name), value in (_TEXTUAL_ASCII if enabled else _TEXTUAL_UNICODE).items():
        setattr(cls, name, value)
    keys.KEY_DISPLAY_ALIASES.update(_KEY_NAMES_ASCII if enabled else _KEY_NAMES_UNICODE)
    keys.format_key.cache_clear()

