"""The source pane: a Line-API view of one Go file (or of disassembly) with a debugger gutter.

Only visible rows are rendered, and only they are highlighted. A file is read
(and scanned for lines that start inside a comment or string) in a thread and
painted as plain text at once; pygments then tokenises just the chunks of lines
on screen, plus a screen either side, in another thread, starting each chunk at
a line where the Go lexer's state is known. Tokenising a whole 30k-line file
would hold the GIL for seconds and make the UI stutter. Chunks are cached per
(path, mtime, size), so going back to a file never re-tokenises what was seen.
"""

from __future__ import annotations

import bisect
import os
import re
import textwrap
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from pygments.lexers.go import GoLexer
from pygments.token import Token, _TokenType
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content, Span
from textual.geometry import Size
from textual.highlight import HighlightTheme
from textual.message import Message
from textual.strip import Strip
from textual.style import Style
from textual.widgets import Input
from textual.worker import get_current_worker

from godbg_tui.adapters.dlv.types import AsmInstruction
from godbg_tui.themes import highlight_theme_for
from godbg_tui.tui.glyphs import ASCII, UNICODE, Glyphs
from godbg_tui.tui.widgets.cursor_lines import CursorLines, CursorPane, cursor_bindings

# Gutter marks by kind, per ascii_only; built once, looked up for every marked row drawn.
_GUTTERS = {False: UNICODE.gutter(), True: ASCII.gutter()}

BREAKPOINT_KINDS = ("enabled", "disabled", "conditional", "tracepoint")

TokenSpans = list[tuple[int, int, _TokenType]]
CHUNK_LINES = 200

_CONTROL_CHARS = {c: "\ufffd" for c in [*range(0x20), 0x7F] if c != 0x09}
_TOKEN_CACHE_SIZE = 16
_token_cache: OrderedDict[tuple[str, int, int], dict[int, list[TokenSpans]]] = OrderedDict()

# Comments and string/rune literals exactly as pygments' Go lexer matches them
# (it lets "…" and '…' run over a newline in broken code): the only tokens that
# can span lines. Every other Go token is free of quotes and comment starts.
_GO_TEXT_TOKENS = re.compile(
    r"//[^\n]*"
    r"|/(?:\\\n)?\*[\s\S]*?\*(?:\\\n)?/"
    r"|`[^`]*`"
    r'|"(?:\\\\|\\[^\\]|[^"\\])*"'
    r"""|'(?:\\['"\\abfnrtv]|\\x[0-9a-fA-F]{2}|\\[0-7]{1,3}|\\u[0-9a-fA-F]{4}|\\U[0-9a-fA-F]{8}|[^\\])'"""
)


def read_source(path: str, tab_size: int) -> tuple[list[str], int, int, int]:
    """Lines of a text file as displayed (tabs expanded, control characters defused).

    Lines are split on "\n" only, as Go and Delve count them.

    Returns (lines, widest line in cells, mtime_ns, size). Raises OSError.
    """
    st = os.stat(path)
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    raw = text.split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    lines = [line.removesuffix("\r").expandtabs(tab_size).translate(_CONTROL_CHARS) for line in raw]
    width = max((cell_len(line) for line in lines), default=0)
    return lines, width, st.st_mtime_ns, st.st_size


def restart_lines(lines: Sequence[str]) -> list[bool]:
    """For each line, whether it starts outside any comment or string literal.

    pygments' Go lexer has a single state, so tokenising can start afresh at any
    such line and give exactly the tokens a whole-file pass would.
    """
    text = "\n".join(lines)
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    restart = [True] * len(lines)
    for match in _GO_TEXT_TOKENS.finditer(text):
        if "\n" in match.group():
            first = bisect.bisect_right(starts, match.start()) - 1
            last = bisect.bisect_right(starts, match.end() - 1) - 1
            for row in range(first + 1, last + 1):
                restart[row] = False
    return restart


def chunk_bounds(chunk: int, restart: Sequence[bool], size: int = CHUNK_LINES) -> tuple[int, int, int, int]:
    """(lex_from, first, stop, lex_stop) for a chunk: tokenise lines[lex_from:lex_stop], keep [first:stop].

    The lexed range starts and ends on restart lines, so no comment or string is cut.
    """
    first = chunk * size
    stop = min(first + size, len(restart))
    lex_from = first
    while lex_from > 0 and not restart[lex_from]:
        lex_from -= 1
    lex_stop = stop
    while lex_stop < len(restart) and not restart[lex_stop]:
        lex_stop += 1
    return lex_from, first, stop, lex_stop


def tokenise_go(lines: Sequence[str], cancelled: Callable[[], bool] = lambda: False) -> list[TokenSpans] | None:
    """Token spans per line for Go source that starts outside any comment or string.

    Returns None if ``cancelled()`` turns true on the way.
    """
    lexer = GoLexer(stripnl=False, ensurenl=True, tabsize=0)
    result: list[TokenSpans] = [[] for _ in lines]
    row, col = 0, 0
    for n, (token_type, value) in enumerate(lexer.get_tokens("\n".join(lines))):
        if n % 4096 == 0 and cancelled():
            return None
        if token_type in Token.Text.Whitespace or token_type is Token.Text:
            if "\n" in value:
                row += value.count("\n")
                col = len(value) - value.rfind("\n") - 1
            else:
                col += len(value)
            continue
        pieces = value.split("\n")
        for i, piece in enumerate(pieces):
            if i:
                row += 1
                col = 0
            if piece and row < len(result):
                result[row].append((col, col + len(piece), token_type))
            col += len(piece)
    return result


def _token_chunks(key: tuple[str, int, int]) -> dict[int, list[TokenSpans]]:
    """The (shared, growing) chunk cache of one version of one file."""
    chunks = _token_cache.get(key)
    if chunks is None:
        chunks = _token_cache[key] = {}
    _token_cache.move_to_end(key)
    while len(_token_cache) > _TOKEN_CACHE_SIZE:
        _token_cache.popitem(last=False)
    return chunks


def _norm(path: str) -> str:
    return os.path.normpath(path) if path else path


@dataclass
class _Document:
    path: str
    lines: list[str]
    width: int
    mtime_ns: int
    size: int
    highlight: bool = True
    restart: list[bool] = field(default_factory=list)
    chunks: dict[int, list[TokenSpans]] = field(default_factory=dict)

    @property
    def cache_key(self) -> tuple[str, int, int]:
        return (self.path, self.mtime_ns, self.size)

    def chunk_tokens(self, row: int) -> TokenSpans | None:
        """Token spans of a 1-based row; None while its chunk is not tokenised (or never will be)."""
        chunk = self.chunks.get((row - 1) // CHUNK_LINES)
        return None if chunk is None else chunk[(row - 1) % CHUNK_LINES]

    def missing_chunks(self, first_row: int, last_row: int) -> list[int]:
        if not self.highlight or not self.lines:
            return []
        last_row = min(last_row, len(self.lines))
        wanted = range((max(1, first_row) - 1) // CHUNK_LINES, (last_row - 1) // CHUNK_LINES + 1)
        return [c for c in wanted if c not in self.chunks]


class _Loaded(Message):
    def __init__(self, generation: int, doc: _Document | None, error: str = "") -> None:
        super().__init__()
        self.generation = generation
        self.doc = doc
        self.error = error


class _Highlighted(Message):
    def __init__(self, key: tuple[str, int, int], chunk: int, tokens: list[TokenSpans]) -> None:
        super().__init__()
        self.key = key
        self.chunk = chunk
        self.tokens = tokens


class SourceLines(CursorLines):
    """The scrolling, rendering half of SourceView; see SourceView for the public API.

    Keeps the document, the marks and the cursor; CursorLines renders only what is
    visible and caches finished strips. Row indexes (and ``cursor``) are 0-based as
    in CursorLines; source lines, ``exec_line`` and ``cursor_line`` are 1-based.
    """

    SCOPED_CSS = False  # some rules below select on App:ansi or the owner's focus

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "source-view--lineno",
        "source-view--pc-line",
        "source-view--cursor-line",
        "source-view--bp-enabled",
        "source-view--bp-disabled",
        "source-view--bp-conditional",
        "source-view--bp-tracepoint",
        "source-view--exec",
        "source-view--exec-other",
        "source-view--match",
        "source-view--match-current",
        "source-view--placeholder",
        "source-view--asm-location",
    }

    DEFAULT_CSS = """
    SourceLines {
        background: $surface;
        color: $foreground;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
        & > .source-view--lineno { color: $foreground-muted; }
        & > .source-view--pc-line { background: $success 25%; }
        & > .source-view--cursor-line { background: $boost; }
        & > .source-view--bp-enabled { color: $error; text-style: bold; }
        & > .source-view--bp-disabled { color: $foreground-muted; }
        & > .source-view--bp-conditional { color: $warning; text-style: bold; }
        & > .source-view--bp-tracepoint { color: $accent; text-style: bold; }
        & > .source-view--exec { color: $success; text-style: bold; }
        & > .source-view--exec-other { color: $secondary; }
        & > .source-view--match { background: $warning 40%; }
        & > .source-view--match-current { background: $warning; color: $background; }
        & > .source-view--placeholder { color: $warning; }
        & > .source-view--asm-location { color: $foreground-muted; }
    }
    App:ansi SourceLines > .source-view--pc-line { background: transparent; text-style: reverse; }
    App:ansi SourceLines > .source-view--cursor-line { background: transparent; text-style: underline; }
    """

    tab_size: ClassVar[int] = 4

    def __init__(self, *, ascii_only: bool) -> None:
        super().__init__()
        self.ascii_only = ascii_only
        self.mode = "empty"
        self.doc: _Document | None = None
        self.missing_path = ""
        self.loading_path = ""
        self.asm: list[AsmInstruction] = []
        self.asm_pc = 0
        self.exec_path: str | None = None
        self.exec_line: int | None = None
        self.exec_others: set[tuple[str, int]] = set()
        self.marks: dict[tuple[str, int], str] = {}
        self.matches: dict[int, list[tuple[int, int]]] = {}
        self.match_list: list[tuple[int, int, int]] = []
        self.match_index = -1
        self.request_highlight: Callable[[], None] | None = None
        self._highlight_requested = False
        self._token_styles: dict[_TokenType, Style | None] = {}
        self._overlays: dict[str, Style] = {}

    # ----- state changes (called by SourceView) -----

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, self._theme_changed)

    def _theme_changed(self, _theme: object) -> None:
        self.invalidate()

    def invalidate(self) -> None:
        """Forget rendered strips and resolved styles (theme, marks or text changed)."""
        self._strips.clear()
        self._token_styles.clear()
        self._overlays.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._token_styles.clear()
        self._overlays.clear()

    @property
    def cursor_line(self) -> int:
        return self.cursor + 1

    @property
    def row_count(self) -> int:
        if self.mode == "source" and self.doc is not None:
            return len(self.doc.lines)
        if self.mode == "asm":
            return len(self.asm)
        if self.mode == "missing":
            return len(self._placeholder_lines())
        return 1 if self.mode == "loading" else 0

    @property
    def gutter_width(self) -> int:
        return 2 + len(str(max(self.row_count, 1))) + 1

    def update_virtual_size(self) -> None:
        """As wide as the widest line of text: the view scrolls sideways."""
        if self.mode == "source" and self.doc is not None:
            width = self.doc.width
        elif self.mode == "asm":
            width = max((cell_len(self._asm_text(i)) for i in range(len(self.asm))), default=0)
        else:
            width = 0
        self.virtual_size = Size(self.gutter_width + width + 1, self.row_count)

    # ----- rendering -----

    def cache_key(self) -> tuple:
        return (self.scroll_offset.x,)

    def row_key(self, index: int) -> tuple:
        """Everything a source row's look depends on; a row drawn without its colours yet
        also asks for the visible chunks to be highlighted."""
        row = index + 1
        if self.mode == "source":
            assert self.doc is not None
            coloured = not self.doc.highlight or self.doc.chunk_tokens(row) is not None
            if not coloured:
                self._want_highlight()
            path = self.doc.path
            return (
                "src",
                path,
                self.marks.get((path, row)),
                self.exec_path == path and self.exec_line == row,
                (path, row) in self.exec_others,
                coloured,
                tuple(self.matches.get(row, ())),
                self._current_match_col(row),
                self.ascii_only,
            )
        return (self.mode,)

    def render_row(self, index: int, is_cursor: bool, width: int) -> Strip:
        return self._render_row(index + 1, is_cursor and self.owner_focused, width, self.scroll_offset.x)

    def _current_match_col(self, row: int) -> int:
        if 0 <= self.match_index < len(self.match_list):
            line, col, _ = self.match_list[self.match_index]
            if line == row:
                return col
        return -1

    def _render_row(self, row: int, cursor_shown: bool, width: int, scroll_x: int) -> Strip:
        if self.mode == "loading":
            return self._text_strip(f"loading {self.loading_path}{self.glyphs.ellipsis}", "source-view--placeholder", width)
        if self.mode == "missing":
            return self._text_strip(self._placeholder_lines()[row - 1], "source-view--placeholder", width)
        if self.mode == "asm":
            return self._render_asm_row(row, cursor_shown, width, scroll_x)
        return self._render_source_row(row, cursor_shown, width, scroll_x)

    def _placeholder_lines(self) -> list[str]:
        """The missing-source explanation, wrapped to the view (paths broken anywhere)."""
        width = max(20, self.scrollable_content_region.width - 2)
        paragraphs = [
            f"source not available: {self.missing_path}",
            f"{self.glyphs.dash} set a substitute-path (config substitute-path <from> <to>)",
            "  or press D for disassembly",
        ]
        return [line for text in paragraphs for line in textwrap.wrap(text, width, break_on_hyphens=False)]

    def _text_strip(self, text: str, component: str, width: int) -> Strip:
        style = self.get_visual_style(component)
        return Strip([Segment(" " + text, style.rich_style)]).crop_extend(0, width, self.visual_style.rich_style)

    def _line_style(self, is_pc: bool, cursor_shown: bool) -> Style:
        """The whole-row style (from the rich style: a visual style drops text-style such as reverse)."""
        if is_pc:
            return Style.from_rich_style(self.get_component_rich_style("source-view--pc-line"))
        if cursor_shown:
            return Style.from_rich_style(self.get_component_rich_style("source-view--cursor-line"))
        return self.visual_style

    def _overlay(self, component: str) -> Style:
        """A component's own attributes, its colours resolved against the widget's background.

        (A partial visual style drops colour alpha, so "$warning 40%" would come out opaque.)
        """
        style = self._overlays.get(component)
        if style is None:
            partial = self.get_component_rich_style(component, partial=True)
            full = self.get_component_rich_style(component)
            resolved = RichStyle(
                color=full.color if partial.color else None,
                bgcolor=full.bgcolor if partial.bgcolor else None,
            )
            style = self._overlays[component] = Style.from_rich_style(partial + resolved)
        return style

    @property
    def glyphs(self) -> Glyphs:
        """The table this view draws with: its own ``ascii_only``, not the app-wide one."""
        return ASCII if self.ascii_only else UNICODE

    def _glyph(self, kind: str) -> str:
        return _GUTTERS[self.ascii_only][kind]

    def _gutter(self, row: int, mark: str | None, exec_kind: str | None, line_style: Style) -> list[Segment]:
        """Mark cell, execution cell and the right-aligned row number."""
        digits = self.gutter_width - 3
        plain = line_style.rich_style
        segments = []
        if mark:
            style = line_style + self._overlay(f"source-view--bp-{mark}")
            segments.append(Segment(self._glyph(mark), style.rich_style))
        else:
            segments.append(Segment(" ", plain))
        if exec_kind:
            style = line_style + self._overlay(f"source-view--{exec_kind}")
            segments.append(Segment(self._glyph(exec_kind), style.rich_style))
        else:
            segments.append(Segment(" ", plain))
        lineno_style = line_style + self._overlay("source-view--lineno")
        if exec_kind == "exec":
            lineno_style += self._overlay("source-view--exec")
        segments.append(Segment(f"{row:>{digits}} ", lineno_style.rich_style))
        return segments

    def _render_source_row(self, row: int, cursor_shown: bool, width: int, scroll_x: int) -> Strip:
        assert self.doc is not None
        path = self.doc.path
        is_pc = self.exec_path == path and self.exec_line == row
        exec_kind = "exec" if is_pc else ("exec-other" if (path, row) in self.exec_others else None)
        line_style = self._line_style(is_pc, cursor_shown)
        gutter = self._gutter(row, self.marks.get((path, row)), exec_kind, line_style)
        text = self.doc.lines[row - 1]
        spans: list[Span] = []
        for start, end, token_type in self.doc.chunk_tokens(row) or ():
            style = self._token_style(token_type)
            if style is not None:
                spans.append(Span(start, end, style))
        current_col = self._current_match_col(row)
        for col, length in self.matches.get(row, ()):
            component = "source-view--match-current" if col == current_col else "source-view--match"
            spans.append(Span(col, col + length, self._overlay(component)))
        body = [
            Segment(part, style.rich_style)
            for part, style in Content(text, spans=spans).render(line_style, end="")
        ]
        body_width = max(0, width - self.gutter_width)
        body_strip = Strip(body).crop_extend(scroll_x, scroll_x + body_width, line_style.rich_style)
        return Strip.join([Strip(gutter), body_strip])

    def _want_highlight(self) -> None:
        if self.doc is not None and self.doc.highlight and not self._highlight_requested and self.request_highlight:
            self._highlight_requested = True
            self.call_later(self.request_highlight)

    def visible_rows(self) -> tuple[int, int]:
        """First and last 1-based row on screen."""
        top = round(self.scroll_y) + 1
        return top, top + max(1, self.scrollable_content_region.height) - 1

    def _token_style(self, token_type: _TokenType) -> Style | None:
        if token_type in self._token_styles:
            return self._token_styles[token_type]
        styles = self._highlight_theme().STYLES
        lookup: _TokenType | None = token_type
        text_style: str | None = None
        while lookup is not None:
            text_style = styles.get(lookup)
            if text_style is not None:
                break
            lookup = lookup.parent
        style = Style.parse(text_style) if text_style else None
        self._token_styles[token_type] = style
        return style

    def _highlight_theme(self) -> type[HighlightTheme]:
        return highlight_theme_for(self.app.current_theme)

    def _asm_text(self, index: int) -> str:
        ins = self.asm[index]
        loc = f"{os.path.basename(ins.Loc.file)}:{ins.Loc.line}" if ins.Loc.file else ""
        return f"{loc:<18} {ins.Loc.pc:#x}  {ins.Text}"

    def _render_asm_row(self, row: int, cursor_shown: bool, width: int, scroll_x: int) -> Strip:
        ins = self.asm[row - 1]
        is_pc = ins.Loc.pc == self.asm_pc
        line_style = self._line_style(is_pc, cursor_shown)
        gutter = self._gutter(row, "enabled" if ins.Breakpoint else None, "exec" if is_pc else None, line_style)
        text = self._asm_text(row - 1)
        loc_style = self._overlay("source-view--asm-location")
        content = Content(text, spans=[Span(0, 18, loc_style)])
        body = [Segment(part, style.rich_style) for part, style in content.render(line_style, end="")]
        body_width = max(0, width - self.gutter_width)
        body_strip = Strip(body).crop_extend(scroll_x, scroll_x + body_width, line_style.rich_style)
        return Strip.join([Strip(gutter), body_strip])

    # ----- mouse -----

    def on_click(self, event: events.Click) -> None:
        """A click moves the cursor; on the gutter it also toggles a breakpoint."""
        index = event.y + round(self.scroll_y)
        if not 0 <= index < self.row_count or self.mode not in ("source", "asm"):
            return
        self.set_cursor(index, scroll="none")
        owner = self.parent
        if isinstance(owner, SourceView) and event.x < self.gutter_width:
            owner.action_toggle_breakpoint()


class SourceView(CursorPane):
    """Source pane: one Go file (or disassembly) with breakpoint/execution gutter.

    Only ``.go`` files are highlighted (assembly and C sources show as plain text).

    Constructor: ``SourceView(ascii_only=None, id=None, classes=None)``; ``ascii_only``
    None follows the class attribute ``SourceView.ascii_only`` (False: ● ○ ◆ ◇ ▶ ▷;
    True: B b C T > ~).

    Methods (paths are *local* paths; the caller maps Delve's paths first):
    - ``show_file(path, line=None)``: read in a thread, paint plain text, highlight later.
    - ``set_breakpoint_marks({(path, line): kind})`` with kind in enabled/disabled/
      conditional/tracepoint (the full set; replaces the previous one).
    - ``set_execution(path, line, others=())``: the selected frame's line (▶, whole
      line highlighted; opens the file if needed, scrolls it into view, moves the
      cursor there) and other goroutines' lines (▷). ``path=None`` clears it.
    - ``show_disassembly(instructions, pc)``: disassembly rows, the PC marked.
    - ``goto_line(n)``, ``search(text)`` (smart case), ``search_next()``, ``search_previous()``.
    - properties ``cursor_line`` (1-based), ``path``, ``mode`` ("empty", "loading",
      "source", "missing", "asm"), ``highlighted`` (the rows on screen have colours).

    Messages: ToggleBreakpoint(path, line, address), RunToLine(path, line, address)
    (address is the instruction's PC in disassembly, else None), SourceMissing(path),
    DisassemblyRequested(path, line).

    Keys: up/down/pageup/pagedown/home/end/G move the cursor, left/right scroll,
    b toggle breakpoint at the cursor, t run to the cursor, D disassembly ↔ source,
    / search (] / [ or N next/previous match), ctrl+g go to line. No lower-case n, g,
    d or u: on the debugger screen those are next, goroutines and frame down/up.
    Worker groups: "source" (file reads), "highlight" (tokenising).
    """

    ascii_only: ClassVar[bool] = False

    BINDINGS: ClassVar[list[BindingType]] = [
        *(b for b in cursor_bindings("source") if isinstance(b, Binding) and b.action not in ("first", "last")),
        Binding("home", "first", "First line", show=False, id="source.first-line"),
        Binding("end,G", "last", "Last line", show=False, id="source.last-line"),
        Binding("left", "scroll_left_col", "Scroll left", show=False, id="source.scroll-left"),
        Binding("right", "scroll_right_col", "Scroll right", show=False, id="source.scroll-right"),
        Binding("b", "toggle_breakpoint", "Breakpoint", id="source.toggle-breakpoint",
                tooltip="Set or clear a breakpoint on the cursor line"),
        Binding("t", "run_to_cursor", "Run to cursor", id="source.run-to-cursor",
                tooltip="Continue until the cursor line is reached"),
        Binding("D", "toggle_disassembly", "Disassembly", show=False, id="source.disassembly",
                tooltip="Switch between source and disassembly"),
        Binding("slash", "open_search", "Search", show=False, id="source.search",
                tooltip="Search the file (] / [: next/previous match)"),
        Binding("right_square_bracket", "search_next", "Next match", show=False, id="source.search-next"),
        Binding("left_square_bracket,N", "search_previous", "Previous match", show=False, id="source.search-previous"),
        Binding("ctrl+g", "open_goto", "Go to line", show=False, id="source.goto-line"),
        Binding("escape", "close_prompt", "Close prompt", show=False, id="source.close-prompt"),
    ]

    class ToggleBreakpoint(Message):
        """The user wants a breakpoint set or cleared on a line (``address`` set in disassembly)."""

        def __init__(self, path: str, line: int, address: int | None = None) -> None:
            super().__init__()
            self.path = path
            self.line = line
            self.address = address

    class RunToLine(Message):
        """The user wants to continue until a line (or an address, in disassembly) is reached."""

        def __init__(self, path: str, line: int, address: int | None = None) -> None:
            super().__init__()
            self.path = path
            self.line = line
            self.address = address

    class SourceMissing(Message):
        """show_file could not read ``path``; the placeholder offers substitute-path or disassembly."""

        def __init__(self, path: str, error: str) -> None:
            super().__init__()
            self.path = path
            self.error = error

    class DisassemblyRequested(Message):
        """The user pressed d; the shell fetches instructions and calls show_disassembly."""

        def __init__(self, path: str | None, line: int | None) -> None:
            super().__init__()
            self.path = path
            self.line = line

    def __init__(
        self,
        *,
        ascii_only: bool | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        lines = SourceLines(ascii_only=type(self).ascii_only if ascii_only is None else ascii_only)
        super().__init__(lines, id=id, classes=classes)
        self.lines: SourceLines = lines
        lines.request_highlight = self._highlight_visible
        self._prompt = Input(id="source-prompt", classes="pane-prompt")
        self._prompt_mode = "search"
        self._generation = 0
        self._pending_row: int | None = None
        self._pending_scroll = "upper-third"
        self._search_text = ""

    def compose(self) -> ComposeResult:
        yield self.lines
        yield self._prompt

    # ----- public API -----

    @property
    def lines_view(self) -> SourceLines:
        """The Line-API child that renders rows (for tests and measurements)."""
        return self.lines

    @property
    def cursor_line(self) -> int:
        return self.lines.cursor_line

    @property
    def path(self) -> str | None:
        doc = self.lines.doc
        return doc.path if doc is not None and self.lines.mode == "source" else None

    @property
    def mode(self) -> str:
        return self.lines.mode

    @property
    def highlighted(self) -> bool:
        """Every row on screen has its colours (always true for files that are not Go)."""
        doc = self.lines.doc
        if doc is None or self.lines.mode != "source":
            return False
        return not doc.missing_chunks(*self.lines.visible_rows())

    @property
    def ascii(self) -> bool:
        return self.lines.ascii_only

    @ascii.setter
    def ascii(self, value: bool) -> None:
        self.lines.ascii_only = value
        self.lines.invalidate()

    def show_file(self, path: str, line: int | None = None) -> None:
        """Show ``path`` (reading it in a thread unless it is already shown and unchanged)."""
        path = _norm(path)
        lines = self.lines
        if lines.mode == "source" and lines.doc is not None and lines.doc.path == path and self._unchanged(lines.doc):
            if line is not None:
                lines.set_cursor(line - 1, scroll="upper-third")
            return
        self._generation += 1
        generation = self._generation
        self._pending_row = line
        lines.mode = "loading"
        lines.loading_path = path
        lines.update_virtual_size()
        lines.invalidate()
        tab_size = lines.tab_size

        def load() -> None:
            try:
                text, width, mtime_ns, size = read_source(path, tab_size)
            except (OSError, ValueError) as exc:
                self.post_message(_Loaded(generation, None, str(exc)))
                return
            doc = _Document(path, text, width, mtime_ns, size, highlight=path.endswith(".go"))
            if doc.highlight:
                doc.restart = restart_lines(text)
            self.post_message(_Loaded(generation, doc))

        self.run_worker(load, thread=True, exclusive=True, group="source", name=f"read {path}")

    def set_breakpoint_marks(self, marks: Mapping[tuple[str, int], str]) -> None:
        """Replace all gutter breakpoint marks; kinds: enabled, disabled, conditional, tracepoint."""
        for kind in marks.values():
            if kind not in BREAKPOINT_KINDS:
                raise ValueError(f"unknown breakpoint mark {kind!r}; expected one of {BREAKPOINT_KINDS}")
        normalised = {(_norm(p), line): kind for (p, line), kind in marks.items()}
        if normalised != self.lines.marks:
            self.lines.marks = normalised
            self.lines.refresh()

    def set_execution(
        self,
        path: str | None,
        line: int | None,
        others: Iterable[tuple[str, int]] = (),
    ) -> None:
        """Mark the selected frame's line (opening its file) and other goroutines' lines."""
        lines = self.lines
        exec_path = _norm(path) if path else None
        exec_others = {(_norm(p), n) for p, n in others}
        shown = lines.mode == "source" and lines.doc is not None and lines.doc.path == exec_path
        if shown and (exec_path, line, exec_others) == (lines.exec_path, lines.exec_line, lines.exec_others) and lines.cursor_line == line:
            return  # already on screen (the stop's location, then the same frame from the stack)
        if exec_path != lines.exec_path or exec_others != lines.exec_others or lines.mode != "source":
            lines.refresh()
        else:
            # Stepping within one file: only the rows that lose or gain the mark are repainted,
            # each once (the cursor's move below repaints its old and new rows).
            cursor_rows = {lines.cursor_line, line} if shown and line is not None else set()
            for row in {lines.exec_line, line} - cursor_rows:
                if row is not None:
                    lines.refresh_line(row - 1)
        lines.exec_path = exec_path
        lines.exec_line = line
        lines.exec_others = exec_others
        if path is None or line is None:
            return
        if lines.mode == "source" and lines.doc is not None and lines.doc.path == lines.exec_path:
            lines.set_cursor(line - 1, scroll="upper-third")
        else:
            self.show_file(path, line)

    def show_disassembly(self, instructions: Sequence[AsmInstruction], pc: int) -> None:
        """Show instructions with the row at ``pc`` marked; the cursor goes to it."""
        self._generation += 1
        lines = self.lines
        lines.mode = "asm"
        lines.asm = list(instructions)
        lines.asm_pc = pc
        lines.update_virtual_size()
        lines.invalidate()
        self._clear_search()
        index = next((i for i, ins in enumerate(lines.asm) if ins.Loc.pc == pc), 0)
        lines.set_cursor(index, scroll="upper-third")

    def goto_line(self, line: int) -> None:
        self.lines.set_cursor(line - 1, scroll="upper-third")

    def search(self, text: str) -> bool:
        """Highlight every match of ``text`` and move to the first at or after the cursor.

        Case-insensitive unless ``text`` has an upper-case letter. Returns whether anything matched.
        """
        lines = self.lines
        self._search_text = text
        lines.matches = {}
        lines.match_list = []
        lines.match_index = -1
        if not text or lines.mode != "source" or lines.doc is None:
            lines.refresh()
            return False
        flags = 0 if any(c.isupper() for c in text) else re.IGNORECASE
        pattern = re.compile(re.escape(text), flags)
        for row, line in enumerate(lines.doc.lines, 1):
            found = [(m.start(), m.end() - m.start()) for m in pattern.finditer(line)]
            if found:
                lines.matches[row] = found
                lines.match_list.extend((row, col, length) for col, length in found)
        lines.refresh()
        if not lines.match_list:
            return False
        start = next((i for i, (row, _, _) in enumerate(lines.match_list) if row >= lines.cursor_line), 0)
        self._select_match(start)
        return True

    def search_next(self) -> None:
        self._step_match(+1)

    def search_previous(self) -> None:
        self._step_match(-1)

    # ----- internals -----

    def _unchanged(self, doc: _Document) -> bool:
        try:
            st = os.stat(doc.path)
        except OSError:
            return False
        return (st.st_mtime_ns, st.st_size) == (doc.mtime_ns, doc.size)

    @on(_Loaded)
    def _on_loaded(self, message: _Loaded) -> None:
        message.stop()
        if message.generation != self._generation:
            return
        lines = self.lines
        if message.doc is None:
            lines.mode = "missing"
            lines.missing_path = lines.loading_path
            lines.doc = None
            lines.update_virtual_size()
            lines.invalidate()
            self.post_message(self.SourceMissing(lines.missing_path, message.error))
            return
        lines.doc = message.doc
        lines.mode = "source"
        lines.cursor = 0
        lines.update_virtual_size()
        lines.invalidate()
        self._clear_search()
        row = self._pending_row
        if row is None and lines.exec_path == message.doc.path and lines.exec_line:
            row = lines.exec_line
        lines.set_cursor((row or 1) - 1, scroll="upper-third")  # now: the view scrolls by its new size
        if message.doc.highlight:
            message.doc.chunks = _token_chunks(message.doc.cache_key)

    def _highlight_visible(self) -> None:
        """Tokenise, in a thread, the chunks on screen and a screen either side that are not yet done."""
        lines = self.lines
        lines._highlight_requested = False
        doc = lines.doc
        if doc is None or lines.mode != "source":
            return
        first, last = lines.visible_rows()
        height = last - first + 1
        wanted = doc.missing_chunks(first, last)
        wanted += [c for c in doc.missing_chunks(first - height, last + height) if c not in wanted]
        if not wanted:
            return
        key, text, restart = doc.cache_key, doc.lines, doc.restart

        def work() -> None:
            worker = get_current_worker()
            for chunk in wanted:
                lex_from, first, stop, lex_stop = chunk_bounds(chunk, restart)
                tokens = tokenise_go(text[lex_from:lex_stop], lambda: worker.is_cancelled)
                if tokens is None:
                    return
                self.post_message(_Highlighted(key, chunk, tokens[first - lex_from : stop - lex_from]))

        self.run_worker(work, thread=True, exclusive=True, group="highlight", name=f"highlight {doc.path}")

    @on(_Highlighted)
    def _on_highlighted(self, message: _Highlighted) -> None:
        message.stop()
        _token_chunks(message.key)[message.chunk] = message.tokens
        doc = self.lines.doc
        if doc is not None and doc.cache_key == message.key:
            self.lines.invalidate()

    def _clear_search(self) -> None:
        lines = self.lines
        lines.matches, lines.match_list, lines.match_index = {}, [], -1

    def _select_match(self, index: int) -> None:
        lines = self.lines
        lines.match_index = index
        row, _, _ = lines.match_list[index]
        lines.set_cursor(row - 1, scroll="upper-third")
        lines.refresh()

    def _step_match(self, delta: int) -> None:
        lines = self.lines
        if not lines.match_list:
            if self._search_text:
                self.notify(f"no match for {self._search_text!r}", severity="warning")
            return
        self._select_match((lines.match_index + delta) % len(lines.match_list))

    def _cursor_target(self) -> tuple[str, int, int | None] | None:
        lines = self.lines
        if lines.mode == "source" and lines.doc is not None:
            return lines.doc.path, lines.cursor_line, None
        if lines.mode == "asm" and lines.asm:
            ins = lines.asm[lines.cursor]
            return ins.Loc.file, ins.Loc.line, ins.Loc.pc
        return None

    def on_focus(self) -> None:
        """Only the cursor row's look depends on focus (CursorPane would repaint every row)."""
        self.lines.refresh_line(self.lines.cursor)

    def on_blur(self) -> None:
        self.lines.refresh_line(self.lines.cursor)

    # ----- actions -----

    def action_page_up(self) -> None:
        """A page up scrolls the view with the cursor, as a pager does."""
        page = self.lines.page_height
        self.lines.scroll_to(y=max(0, self.lines.scroll_y - page), animate=False, immediate=True, force=True)
        self.move_cursor(self.lines.cursor - page)

    def action_page_down(self) -> None:
        page = self.lines.page_height
        self.lines.scroll_to(y=self.lines.scroll_y + page, animate=False, immediate=True, force=True)
        self.move_cursor(self.lines.cursor + page)

    def action_scroll_left_col(self) -> None:
        self.lines.scroll_to(x=max(0, self.lines.scroll_x - 8), animate=False, immediate=True, force=True)

    def action_scroll_right_col(self) -> None:
        self.lines.scroll_to(x=self.lines.scroll_x + 8, animate=False, immediate=True, force=True)

    def action_toggle_breakpoint(self) -> None:
        target = self._cursor_target()
        if target is not None:
            self.post_message(self.ToggleBreakpoint(*target))

    def action_run_to_cursor(self) -> None:
        target = self._cursor_target()
        if target is not None:
            self.post_message(self.RunToLine(*target))

    def action_toggle_disassembly(self) -> None:
        lines = self.lines
        if lines.mode == "asm" and lines.doc is not None:
            self._generation += 1
            lines.mode = "source"
            lines.update_virtual_size()
            lines.invalidate()
            row = lines.exec_line if lines.exec_path == lines.doc.path and lines.exec_line else 1
            lines.set_cursor(row - 1, scroll="upper-third")
            return
        if lines.mode == "source" and lines.doc is not None:
            self.post_message(self.DisassemblyRequested(lines.doc.path, lines.cursor_line))
        else:
            self.post_message(self.DisassemblyRequested(lines.exec_path, lines.exec_line))

    def action_open_search(self) -> None:
        self._open_prompt("search", "search: text, Enter to find, Esc to cancel")

    def action_open_goto(self) -> None:
        self._open_prompt("goto", "go to line: number, Enter to jump, Esc to cancel")

    def action_search_next(self) -> None:
        self.search_next()

    def action_search_previous(self) -> None:
        self.search_previous()

    def _open_prompt(self, mode: str, placeholder: str) -> None:
        self._prompt_mode = mode
        self._prompt.placeholder = placeholder
        self._prompt.value = self._search_text if mode == "search" else ""
        self._prompt.add_class("-open")
        self._prompt.focus()

    def _close_prompt(self) -> None:
        self._prompt.remove_class("-open")
        self.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input is not self._prompt:
            return
        event.stop()
        value = event.value.strip()
        self._close_prompt()
        if self._prompt_mode == "goto":
            if value.isdigit():
                self.goto_line(int(value))
            elif value:
                self.notify(f"not a line number: {value!r}", severity="warning")
        elif value and not self.search(value):
            self.notify(f"no match for {value!r}", severity="warning")

    def action_close_prompt(self) -> None:
        self._close_prompt()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_prompt":
            return self._prompt.has_class("-open")
        return True
