"""The console: the program's output, the debugger's messages, and a line for the program's stdin.

Program output arrives as raw bytes in bursts; it is decoded incrementally,
sanitised (terminal control sequences, C0/C1 controls and invisible format
characters can never reach the screen), split into lines and written in one
batch per flush (``Log.write_lines`` is ~70x faster than a write per line). A
line without its newline yet (a prompt) is shown once it has waited a flush.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from typing import Self

from rich.cells import cell_len
from rich.highlighter import Highlighter
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.containers import Vertical
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Input, Log

from godbg_tui.tui.glyphs import glyphs

FLUSH_INTERVAL_S = 0.1
MAX_LINES = 10_000
MAX_LINE_CHARS = 4_000

# CSI (ESC [ … final), OSC (ESC ] … BEL/ST), DCS/SOS/PM/APC strings, two-byte ESC sequences, 8-bit CSI.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[ -/]*[0-~]"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
# Controls (but tab: a line never holds a newline), DEL, C1, zero-width/bidi/format characters, separators, surrogates, BOM.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e"
    "\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]"
)



def level_prefix(level: str) -> str:
    """How a debugger line starts (``» ``, ``» warning: ``, ``» error: ``), in the glyph table in use."""
    return f"{glyphs().prompt} " + {"warning": "warning: ", "error": "error: "}.get(level, "")


def sanitize(text: str) -> str:
    """Make program text safe to draw: no escape sequences, no controls, tabs expanded.

    A carriage return keeps what a terminal would show: the text after it.
    """
    text = _ESCAPES.sub("", text)
    if "\r" in text:
        text = text.rstrip("\r").rsplit("\r", 1)[-1]
    text = _INVISIBLE.sub("", text).expandtabs(4)
    if len(text) > MAX_LINE_CHARS:
        text = f"{text[:MAX_LINE_CHARS]}{glyphs().ellipsis} ({len(text) - MAX_LINE_CHARS} more characters)"
    return text


class ConsoleHighlighter(Highlighter):
    """Colours the debugger's own lines; program output stays as the program wrote it."""

    def __init__(self, styles: dict[str, Style]):
        self.styles = styles

    def highlight(self, text: Text) -> None:
        plain = text.plain
        if not plain.startswith(level_prefix("info")):
            return
        if plain.startswith(level_prefix("error")):
            text.stylize(self.styles["error"])
        elif plain.startswith(level_prefix("warning")):
            text.stylize(self.styles["warning"])
        else:
            text.stylize(self.styles["info"])


class ConsoleLog(Log):
    """Textual's Log, appending without a new layout of the screen.

    Log measures new lines in a thread worker and sets its virtual size twice per write,
    and each set lays the whole screen out again (every scrollbar repainted). Here the
    lines (sanitised, at most MAX_LINE_CHARS long) are measured at once, and while the
    scrollbars stay as they are (the usual case: a long log, growing at the bottom) the
    new size only moves the vertical scrollbar's thumb.
    """

    _paint_style: Style | None = None

    def write_lines(self, lines: Iterable[str], scroll_end: bool | None = None) -> Self:
        at_end = self.is_vertical_scroll_end
        auto_scroll = self.auto_scroll if scroll_end is None else scroll_end
        new_lines = [part for line in lines for part in line.splitlines()]
        start_line = len(self._lines)
        self._lines.extend(new_lines)
        if self.max_lines is not None and len(self._lines) > self.max_lines:
            self._prune_max_lines()
        if new_lines:
            process = self._process_line
            self._width = max(self._width, max(cell_len(process(line)) for line in new_lines))
        self._set_virtual_size(Size(self._width, self.line_count))
        self.refresh_lines(start_line, len(new_lines))
        if auto_scroll and at_end and not self.is_vertical_scrollbar_grabbed:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            self.refresh()
        return self

    def render_lines(self, crop: Region) -> list[Strip]:
        """Rows as Log draws them, with the widget's style worked out once per paint
        (Log walks the ancestors for it at every row)."""
        self._paint_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._paint_style = None

    def _render_line(self, y: int, scroll_x: int, width: int) -> Strip:
        rich_style = self._paint_style or self.rich_style
        if y >= len(self._lines):
            return Strip.blank(width, rich_style)
        line = self._render_line_strip(y, rich_style)
        return line.crop_extend(scroll_x, scroll_x + width, rich_style).apply_offsets(scroll_x, y)

    def _set_virtual_size(self, size: Size) -> None:
        old = self.virtual_size
        unchanged_bars = (
            self.is_mounted
            and size.width == old.width
            and self.show_vertical_scrollbar
            and old.height > self.container_size.height
        )
        if unchanged_bars:
            self.set_reactive(Log.virtual_size, size)
            self.vertical_scrollbar.window_virtual_size = size.height
        else:
            self.virtual_size = size


class ConsolePane(Vertical):
    """Program stdout/stderr and debugger messages in one scrollback, plus a stdin input line."""

    DEFAULT_CSS = """
    ConsolePane > Log { height: 1fr; background: $surface; }
    ConsolePane > Input#console-stdin { height: 1; border: none; padding: 0 1; background: $boost; }
    ConsolePane > Input#console-stdin:focus { border: none; background: $primary 20%; }
    ConsolePane > .console-pane--debugger { color: $console-debugger; }
    ConsolePane > .console-pane--warning { color: $warning; text-style: bold; }
    ConsolePane > .console-pane--error { color: $console-stderr; text-style: bold; }
    """

    COMPONENT_CLASSES = {"console-pane--debugger", "console-pane--warning", "console-pane--error"}

    BINDINGS = [
        Binding("i", "focus_stdin", "Type to program", id="console.stdin", show=False),
        Binding("ctrl+l", "clear", "Clear console", id="console.clear", show=False),
    ]

    class StdinLine(Message):
        """The user typed a line for the program's stdin."""

        def __init__(self, text: str):
            super().__init__()
            self.text = text

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self._decoders = {
            "stdout": codecs.getincrementaldecoder("utf-8")("replace"),
            "stderr": codecs.getincrementaldecoder("utf-8")("replace"),
        }
        self._partial = {"stdout": "", "stderr": ""}
        self._partial_age = {"stdout": 0, "stderr": 0}
        self._pending: list[str] = []
        self.lines_written = 0

    def compose(self) -> ComposeResult:
        yield ConsoleLog(max_lines=MAX_LINES, highlight=True, id="console-log")
        yield Input(placeholder=f"stdin {glyphs().input_mark} a line for the program (Enter sends)", id="console-stdin")

    def on_mount(self) -> None:
        self.output_log = self.query_one("#console-log", Log)
        self.stdin_input = self.query_one("#console-stdin", Input)
        self.stdin_input.cursor_blink = False
        self._apply_styles()
        self.watch(self.app, "theme", lambda _: self._apply_styles(), init=False)
        self._flusher = self.set_interval(FLUSH_INTERVAL_S, self.flush, pause=True)

    def _apply_styles(self) -> None:
        self.output_log.highlighter = ConsoleHighlighter(
            {
                "info": self.get_component_rich_style("console-pane--debugger", partial=True),
                "warning": self.get_component_rich_style("console-pane--warning", partial=True),
                "error": self.get_component_rich_style("console-pane--error", partial=True),
            }
        )
        self.output_log.refresh()

    def feed(self, stream: str, data: bytes) -> None:
        """Queue a chunk of program output; it is drawn at the next flush."""
        decoder = self._decoders.get(stream) or self._decoders["stdout"]
        text = self._partial.get(stream, "") + decoder.decode(data)
        *complete, rest = text.replace("\r\n", "\n").split("\n")
        self._pending.extend(sanitize(line) for line in complete)
        self._partial[stream] = rest
        self._partial_age[stream] = 0
        self._flusher.resume()

    def message(self, level: str, text: str) -> None:
        """A debugger message (info, warning, error), one line per line of text."""
        prefix = level_prefix(level)
        self._pending.extend(prefix + sanitize(line) for line in text.splitlines() or [""])
        self._flusher.resume()

    def command_output(self, text: str) -> None:
        """Output of a text command (`print x`, `regs` …): shown as is, minus control characters."""
        self._pending.extend(sanitize(line) for line in text.rstrip("\n").split("\n"))
        self._flusher.resume()

    def flush(self) -> None:
        for stream, rest in self._partial.items():
            if rest:
                self._partial_age[stream] += 1
                if self._partial_age[stream] > 1:
                    self._pending.append(sanitize(rest))
                    self._partial[stream] = ""
        if self._pending:
            lines, self._pending = self._pending, []
            self.output_log.write_lines(lines)
            self.lines_written += len(lines)
        if not any(self._partial.values()):
            self._flusher.pause()

    @property
    def text(self) -> str:
        """Everything in the scrollback (for tests and copying)."""
        return "\n".join(self.output_log.lines)

    def action_focus_stdin(self) -> None:
        self.stdin_input.focus()

    def action_clear(self) -> None:
        self.output_log.clear()

    @on(Input.Submitted, "#console-stdin")
    def _send_stdin(self, event: Input.Submitted) -> None:
        event.stop()
        self.stdin_input.value = ""
        self.post_message(self.StdinLine(event.value))
