"""SourceView: rendering, gutter marks, cursor keys, search, missing files, disassembly, big files."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.segment import Segment
from support import async_wait_until
from textual.app import App, ComposeResult
from textual.message import Message

from godbg_tui.adapters.dlv.types import AsmInstruction, Location
from godbg_tui.tui.widgets import source_view
from godbg_tui.tui.widgets.source_view import SourceView

SIZES = [(80, 24), (250, 70)]


class SourceApp(App[None]):
    def __init__(self, *, ascii_only: bool | None = None) -> None:
        super().__init__()
        self.ascii_only = ascii_only
        self.posted: list[Message] = []

    def compose(self) -> ComposeResult:
        yield SourceView(ascii_only=self.ascii_only)

    def on_mount(self) -> None:
        self.query_one(SourceView).focus()

    def on_source_view_toggle_breakpoint(self, message: SourceView.ToggleBreakpoint) -> None:
        self.posted.append(message)

    def on_source_view_run_to_line(self, message: SourceView.RunToLine) -> None:
        self.posted.append(message)

    def on_source_view_source_missing(self, message: SourceView.SourceMissing) -> None:
        self.posted.append(message)

    def on_source_view_disassembly_requested(self, message: SourceView.DisassemblyRequested) -> None:
        self.posted.append(message)


def rows(view: SourceView) -> dict[int, str]:
    """Visible rows keyed by their 1-based line number, as plain text."""
    lines = view.lines_view
    top = round(lines.scroll_y)
    out = {}
    for y in range(lines.scrollable_content_region.height):
        if top + y < lines.row_count:
            out[top + y + 1] = lines.render_line(y).text
    return out


def row_strip(view: SourceView, line: int) -> list[Segment]:
    lines = view.lines_view
    return list(lines.render_line(line - 1 - round(lines.scroll_y)))


@pytest.fixture
def main_go(fixture_src) -> str:
    return str(fixture_src["prog"] / "main.go")


async def open_file(pilot, view: SourceView, path: str, line: int | None = None) -> None:
    view.show_file(path, line)
    await async_wait_until(lambda: view.mode == "source", message="file loaded")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
async def test_opening_prog_shows_line_numbers_and_text(size, main_go):
    app = SourceApp()
    async with app.run_test(size=size) as pilot:
        view = app.query_one(SourceView)
        await open_file(pilot, view, main_go)
        visible = rows(view)
        assert visible[1].split()[:3] == ["1", "//", "Command"]
        package_line = Path(main_go).read_text().split("\n").index("package main") + 1
        assert visible[package_line].split() == [str(package_line), "package", "main"]
        assert len(visible) == size[1]
        assert view.cursor_line == 1


@pytest.mark.parametrize("size", SIZES)
async def test_set_execution_opens_scrolls_and_marks_line(size, main_go, marker_line):
    target = marker_line("prog", "main.go", "after-loop")
    other = marker_line("prog", "main.go", "deep-call")
    app = SourceApp()
    async with app.run_test(size=size) as pilot:
        view = app.query_one(SourceView)
        view.set_execution(main_go, target, {(main_go, other)})
        await async_wait_until(lambda: view.mode == "source" and target in rows(view), message="pc line visible")
        await pilot.pause()
        visible = rows(view)
        assert visible[target].startswith(" ▶")
        assert 'fmt.Printf("total=%d' in visible[target]
        assert visible[other].startswith(" ▷")
        assert view.cursor_line == target
        top = round(view.lines_view.scroll_y)
        assert top <= target - 1 < top + view.lines_view.scrollable_content_region.height // 2 + 1
        pc_bg = view.lines_view.get_visual_style("source-view--pc-line").rich_style.bgcolor
        assert pc_bg is not None
        pc_row = row_strip(view, target)
        assert all(seg.style.bgcolor == pc_bg for seg in pc_row if seg.text.strip())
        plain_row = row_strip(view, target + 1)
        assert all(seg.style.bgcolor != pc_bg for seg in plain_row if seg.text.strip())

        view.set_execution(main_go, other)
        await pilot.pause()
        assert rows(view)[other].startswith(" ▶")
        assert not rows(view).get(target, "  ").startswith(" ▶")


async def test_breakpoint_marks_render_right_glyph_on_right_line(main_go):
    app = SourceApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(SourceView)
        await open_file(pilot, view, main_go)
        view.set_breakpoint_marks(
            {
                (main_go, 3): "enabled",
                (main_go, 5): "disabled",
                (main_go, 7): "conditional",
                (main_go, 9): "tracepoint",
                ("/elsewhere/other.go", 4): "enabled",
            }
        )
        await pilot.pause()
        visible = rows(view)
        assert {n: visible[n][0] for n in range(1, 11)} == {
            1: " ", 2: " ", 3: "●", 4: " ", 5: "○", 6: " ", 7: "◆", 8: " ", 9: "◇", 10: " ",
        }
        enabled_color = view.lines_view.get_visual_style("source-view--bp-enabled").rich_style.color
        assert row_strip(view, 3)[0].style.color == enabled_color

        view.set_breakpoint_marks({(main_go, 4): "enabled"})
        await pilot.pause()
        visible = rows(view)
        assert visible[3][0] == " " and visible[4][0] == "●"
        with pytest.raises(ValueError, match="unknown breakpoint mark"):
            view.set_breakpoint_marks({(main_go, 1): "bogus"})


async def test_ascii_mode_glyphs(main_go):
    app = SourceApp(ascii_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(SourceView)
        await open_file(pilot, view, main_go)
        view.set_breakpoint_marks(
            {(main_go, 2): "enabled", (main_go, 3): "disabled", (main_go, 4): "conditional", (main_go, 5): "tracepoint"}
        )
        view.set_execution(main_go, 6, {(main_go, 7)})
        await pilot.pause()
        visible = rows(view)
        assert [visible[n][:2] for n in range(2, 8)] == ["B ", "b ", "C ", "T ", " >", " ~"]
        view.ascii = False
        await pilot.pause()
        assert rows(view)[2][0] == "●"


async def test_cursor_keys_and_b_t_post_the_cursor_line(main_go):
    app = SourceApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(SourceView)
        await open_file(pilot, view, main_go)
        await pilot.press("down", "down", "down")
        assert view.cursor_line == 4
        await pilot.press("b")
        await pilot.pause()
        toggles = [m for m in app.posted if isinstance(m, SourceView.ToggleBreakpoint)]
        assert [(m.path, m.line, m.address) for m in toggles] == [(main_go, 4, None)]

        await pilot.press("pagedown")
        assert view.cursor_line > 20
        await pilot.press("G")
        last = view.lines_view.row_count
        assert view.cursor_line == last
        assert last in rows(view)
        await pilot.press("up", "t")
        await pilot.pause()
        runs = [m for m in app.posted if isinstance(m, SourceView.RunToLine)]
        assert [(m.path, m.line) for m in runs] == [(main_go, last - 1)]
        await pilot.press("home")
        assert view.cursor_line == 1 and 1 in rows(view)

        await pilot.press("ctrl+g", *"150", "enter")
        await pilot.pause()
        assert view.cursor_line == 150 and 150 in rows(view)
        assert view.has_focus


async def test_clicking_the_gutter_toggles_a_breakpoint(main_go):
    app = SourceApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(SourceView)
        await open_file(pilot, view, main_go)
        await pilot.click(view.lines_view, offset=(0, 5))
        await pilot.pause()
        assert view.cursor_line == 6
        assert [(m.line) for m in app.posted if isinstance(m, SourceView.ToggleBreakpoint)] == [6]
        await pilot.click(view.lines_view, offset=(20, 7))
        await pilot.pause()
        assert view.cursor_line == 8
        assert len([m for m in app.posted if isinstance(m, SourceView.ToggleBreakpoint)]) == 1


@pytest.mark.parametrize("size", SIZES)
async def test_search_then_n_and_N_move_the_cursor(size, main_go):
    source = Path(main_go).read_text().split("\n")
    expected = [n for n, text in enumerate(source, 1) if "bigslice" in text.lower()]
    assert len(expected) >= 3
    app = SourceApp()
    async with app.run_test(size=size) as pilot:
        view = app.query_one(SourceView)
        await open_file(pilot, view, main_go)
        await pilot.press("slash", *"bigslice", "enter")
        await pilot.pause()
        assert view.cursor_line == expected[0]
        assert view.has_focus
        match_bg = view.lines_view.get_visual_style("source-view--match-current").rich_style.bgcolor
        strip = row_strip(view, expected[0])
        assert any(seg.text.lower() == "bigslice" and seg.style.bgcolor == match_bg for seg in strip)
        await pilot.press("right_square_bracket")
        assert view.cursor_line == expected[1]
        await pilot.press("right_square_bracket")
        assert view.cursor_line == expected[2]
        await pilot.press("left_square_bracket", "N")
        assert view.cursor_line == expected[0]
        await pilot.press("left_square_bracket")
        assert view.cursor_line == expected[-1]
        assert view.search("BigSlice") is False
        assert view.search("zzz-no-such-text") is False
        assert view.search("Person") is True


async def test_escape_closes_the_prompt_without_searching(main_go):
    app = SourceApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(SourceView)
        await open_file(pilot, view, main_go)
        await pilot.press("slash", *"deep")
        prompt = view.query_one("#source-prompt")
        assert prompt.display and prompt.has_focus
        await pilot.press("escape")
        assert not prompt.display
        assert view.has_focus and view.cursor_line == 1


async def test_missing_file_shows_placeholder_and_posts_source_missing(tmp_path):
    missing = str(tmp_path / "gone" / "main.go")
    app = SourceApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(SourceView)
        view.show_file(missing, 12)
        await async_wait_until(lambda: view.mode == "missing", message="placeholder")
        await pilot.pause()
        text = " ".join(row.strip() for row in rows(view).values())
        assert rows(view)[1].startswith(" source not available:")
        assert missing in text.replace(" ", "")
        assert "config substitute-path <from> <to>" in text
        assert "press D for disassembly" in text
        assert [m.path for m in app.posted if isinstance(m, SourceView.SourceMissing)] == [missing]
        await pilot.press("b")
        await pilot.press("D")
        await pilot.pause()
        assert not any(isinstance(m, SourceView.ToggleBreakpoint) for m in app.posted)
        assert [type(m) for m in app.posted][-1] is SourceView.DisassemblyRequested


def instructions() -> list[AsmInstruction]:
    out = []
    for i in range(40):
        pc = 0x4A0000 + 4 * i
        out.append(
            AsmInstruction(
                Loc=Location(pc=pc, file="/src/prog/main.go", line=100 + i // 4),
                Text=f"MOVQ $0x{i:x}, AX",
                Breakpoint=i == 3,
                AtPC=i == 25,
            )
        )
    return out


@pytest.mark.parametrize("size", SIZES)
async def test_disassembly_marks_pc_and_breakpoints(size, main_go):
    asm = instructions()
    pc = asm[25].Loc.pc
    app = SourceApp()
    async with app.run_test(size=size) as pilot:
        view = app.query_one(SourceView)
        await open_file(pilot, view, main_go)
        view.show_disassembly(asm, pc)
        await pilot.pause()
        assert view.mode == "asm"
        visible = rows(view)
        assert 26 in visible and view.cursor_line == 26
        assert visible[26].startswith(" ▶") and f"{pc:#x}" in visible[26] and "MOVQ $0x19, AX" in visible[26]
        assert visible[26].split()[:2] == ["▶26", "main.go:106"]
        if 4 in visible:
            assert visible[4].startswith("●")
        await pilot.press("b")
        await pilot.pause()
        toggle = app.posted[-1]
        assert isinstance(toggle, SourceView.ToggleBreakpoint)
        assert (toggle.path, toggle.line, toggle.address) == ("/src/prog/main.go", 106, pc)
        await pilot.press("D")
        await pilot.pause()
        assert view.mode == "source" and view.path == main_go


def generated_go(path: Path, lines: int) -> Path:
    body = ["package big", ""]
    n = 0
    while len(body) < lines - 1:
        body += [f"func f{n}(x int) int {{", f'\treturn x + {n} // line {len(body) + 2}', "}"]
        n += 1
    body = body[: lines - 1] + ["// end of file"]
    path.write_text("\n".join(body) + "\n")
    return path


async def test_big_file_paints_first_and_highlights_only_what_is_seen(tmp_path, monkeypatch):
    big = str(generated_go(tmp_path / "big.go", 30_000))
    release = threading.Event()
    calls: list[int] = []
    real = source_view.tokenise_go

    def gated(lines, cancelled=lambda: False):
        calls.append(len(lines))
        if not release.wait(30):
            raise AssertionError("test never released the tokeniser")
        return real(lines, cancelled)

    monkeypatch.setattr(source_view, "tokenise_go", gated)
    app = SourceApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(SourceView)
        try:
            view.show_file(big, 29_000)
            await async_wait_until(lambda: view.mode == "source" and 29_000 in rows(view), message="far line")
            assert not view.highlighted
            assert rows(view)[29_000].split()[0] == "29000"
            await pilot.press("G")
            assert "// end of file" in rows(view)[30_000]
            await async_wait_until(lambda: calls, message="background tokenising started")
        finally:
            release.set()
        await async_wait_until(lambda: view.highlighted, timeout=30, message="visible rows highlighted")
        await pilot.pause()
        func_row = next(n for n, text in rows(view).items() if "func f" in text)
        styles = {seg.text: seg.style for seg in row_strip(view, func_row) if seg.text.strip()}
        assert styles["func"].color != styles["int"].color or styles["func"].bold != styles["int"].bold
        assert sum(calls) <= 6 * source_view.CHUNK_LINES, f"tokenised {sum(calls)} of 30000 lines"

        seen = len(calls)
        small = str(generated_go(tmp_path / "small.go", 40))
        view.show_file(small)
        await async_wait_until(lambda: view.path == small and view.highlighted)
        view.show_file(big, 30_000)
        await async_wait_until(lambda: view.path == big and view.highlighted, message="cached chunks reused")
        assert len(calls) == seen + 1, "only small.go was tokenised; big.go's chunks came from the cache"

        await pilot.press("home")
        await async_wait_until(lambda: view.highlighted, message="top of file highlighted")
        assert len(calls) > seen + 1


CHUNKS_OF_GO = st.lists(
    st.lists(
        st.sampled_from(
            ["/*", "*/", "`", '"', "'", "//", "\\", "a", " ", "x := 1", "'a'", "'\\n'", "func", "0x1f", "/", "*"]
        ).map(str),
        max_size=8,
    ).map("".join),
    min_size=1,
    max_size=25,
)


@settings(max_examples=300, deadline=None)
@given(CHUNKS_OF_GO, st.integers(min_value=1, max_value=4))
def test_chunked_tokenising_equals_whole_file_tokenising(lines, size):
    whole = source_view.tokenise_go(lines)
    restart = source_view.restart_lines(lines)
    assert restart[0]
    for chunk in range((len(lines) + size - 1) // size):
        lex_from, first, stop, lex_stop = source_view.chunk_bounds(chunk, restart, size)
        part = source_view.tokenise_go(lines[lex_from:lex_stop])
        assert part[first - lex_from : stop - lex_from] == whole[first:stop], (chunk, lex_from, lex_stop)


def test_tokenise_go_keeps_line_alignment_across_multiline_tokens():
    lines = [
        "package p",
        "/* a",
        "   b */ var x = `raw",
        "still raw` + 1",
        "func f() {}",
    ]
    tokens = source_view.tokenise_go(lines)
    assert tokens is not None and len(tokens) == 5
    for row, spans in enumerate(tokens):
        for start, end, _ in spans:
            assert 0 <= start < end <= len(lines[row])
    text_of = {lines[4][s:e] for s, e, _ in tokens[4]}
    assert {"func", "f"} <= text_of
    assert any(lines[3][s:e] == "1" for s, e, _ in tokens[3])
    assert source_view.tokenise_go(lines, lambda: True) is None


def test_read_source_counts_lines_like_go(tmp_path):
    path = tmp_path / "x.go"
    path.write_bytes(b"\xef\xbb\xbfpackage x\r\n\tvar a = 1 \x1b[2J\n// \xe2\x80\xa8 sep\n")
    lines, width, _, size = source_view.read_source(str(path), 4)
    assert lines == ["package x", "    var a = 1 \ufffd[2J", "// \u2028 sep"]
    assert size == path.stat().st_size and width == len(lines[1])


async def test_only_go_files_are_highlighted(tmp_path, monkeypatch):
    asm = tmp_path / "asm_amd64.s"
    asm.write_text("TEXT runtime·rt0_go(SB),NOSPLIT,$0\n\tMOVQ\tDI, AX // func\n")
    calls = []
    monkeypatch.setattr(source_view, "tokenise_go", lambda lines, cancelled=None: calls.append(lines))
    app = SourceApp()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(SourceView)
        await open_file(pilot, view, str(asm))
        assert view.highlighted and calls == []
        assert rows(view)[2].split()[:3] == ["2", "MOVQ", "DI,"]


async def test_ansi_theme_marks_the_pc_line_with_reverse_video(main_go):
    app = SourceApp()
    app.theme = "ansi-dark"
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(SourceView)
        view.set_execution(main_go, 5)
        await async_wait_until(lambda: view.mode == "source" and 5 in rows(view))
        await pilot.pause()
        assert all(seg.style.reverse for seg in row_strip(view, 5))
        assert not any(seg.style.reverse for seg in row_strip(view, 6))
