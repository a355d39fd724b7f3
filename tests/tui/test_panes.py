"""The shell's panes on their own (console, command line, status bar, stack, breakpoints, watches).

These host each pane in a tiny app and feed it data directly; the panes' behaviour
inside the debugger, against real dlv, is in test_app.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.message import Message
from textual.widget import Widget

from godbg_tui.adapters.dlv.types import Breakpoint, Function, Stackframe
from godbg_tui.themes import DARK, VARIABLE_DEFAULTS
from godbg_tui.tui.widgets.breakpoints_pane import BreakpointsPane, hits_of, location_of
from godbg_tui.tui.widgets.command_line import CommandLine
from godbg_tui.tui.widgets.console_pane import MAX_LINE_CHARS, ConsolePane, sanitize
from godbg_tui.tui.widgets.stack_pane import StackPane, is_runtime_frame
from godbg_tui.tui.widgets.status_bar import SPINNER_DELAY_S, StatusBar
from godbg_tui.tui.widgets.watches_pane import WatchesPane, WatchResult
from support import async_wait_until


class Host(App[None]):
    """One widget under test, with our theme (its variables are used in DEFAULT_CSS)."""

    def __init__(self, widget: Widget):
        super().__init__()
        self.widget = widget
        self.register_theme(DARK)
        self.theme = DARK.name
        self.messages: list[object] = []

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield self.widget

    def on_mount(self) -> None:
        self.widget.focus()


def record(app: Host, *types: type) -> Callable[[Message], None]:
    """A run_test message hook collecting each message of the given types once."""

    def hook(message: Message) -> None:
        if isinstance(message, types) and not any(m is message for m in app.messages):
            app.messages.append(message)

    return hook


# ----- console -----


def test_sanitize_strips_escape_sequences_and_controls() -> None:
    assert sanitize("\x1b[2J\x1b[Hred \x1b[31mtext\x1b[0m") == "red text"
    assert sanitize("title\x1b]0;pwned\x07 ok") == "title ok"
    assert sanitize("a\x00b\x07c\x7fd\x85e") == "abcde"
    assert sanitize("8-bit \x9b31mCSI") == "8-bit CSI"
    assert sanitize("rtl \u202eevil\u202c zw\u200bj") == "rtl evil zwj"
    assert sanitize("progress 10%\rprogress 99%") == "progress 99%"
    assert sanitize("\tindent") == "    indent"
    assert sanitize("wide 漢字 and emoji ok") == "wide 漢字 and emoji ok"


def test_sanitize_caps_giant_lines() -> None:
    line = sanitize("x" * (MAX_LINE_CHARS + 123))
    assert line.startswith("x" * MAX_LINE_CHARS) and line.endswith("(123 more characters)")


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_sanitized_text_has_no_control_characters(text: str) -> None:
    clean = sanitize(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in clean)
    assert "\x1b" not in clean and "\u202e" not in clean


async def test_console_batches_output_and_keeps_partial_lines() -> None:
    pane = ConsolePane()
    app = Host(pane)
    async with app.run_test(size=(80, 24)) as pilot:
        pane.feed("stdout", b"line one\nline ")
        pane.feed("stdout", b"two\n\xe2\x82")  # a UTF-8 character split across chunks
        pane.feed("stdout", b"\xac euro\n")
        pane.feed("stderr", b"\x1b[31merror\x1b[0m on stderr\n")
        await async_wait_until(lambda: pane.lines_written >= 4)
        assert pane.text.splitlines() == ["line one", "line two", "€ euro", "error on stderr"]
        pane.feed("stdout", b"Name? ")
        await async_wait_until(lambda: pane.text.endswith("Name? "), message="a prompt without newline is shown")
        await pilot.pause()


async def test_console_writes_many_lines_in_few_batches() -> None:
    pane = ConsolePane()
    app = Host(pane)
    async with app.run_test(size=(80, 24)):
        started = time.perf_counter()
        for i in range(2000):
            pane.feed("stdout", f"output line {i}\n".encode())
        await async_wait_until(lambda: pane.lines_written == 2000)
        assert time.perf_counter() - started < 2.0
        assert pane.text.splitlines()[-1] == "output line 1999"


async def test_console_grows_at_the_bottom_without_a_new_layout() -> None:
    """Once the log overflows, appending only moves the scrollbar thumb and keeps the end in view."""
    pane = ConsolePane()
    app = Host(pane)
    async with app.run_test(size=(80, 24)) as pilot:
        log = pane.output_log
        pane.command_output("\n".join(f"line {i:03d}" for i in range(100)))
        await async_wait_until(lambda: pane.lines_written == 100)
        await pilot.pause()
        assert log.show_vertical_scrollbar and log.scroll_y == log.max_scroll_y
        layouts: list[bool] = []
        refresh = log.refresh

        def recording(*regions, repaint=True, layout=False, recompose=False):  # type: ignore[no-untyped-def]
            layouts.append(layout)
            return refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

        log.refresh = recording  # type: ignore[method-assign]
        for i in range(100, 110):
            pane.command_output(f"line {i:03d}")
            pane.flush()
        await pilot.pause()
        assert layouts and not any(layouts), "appending to an overflowing log must not lay the screen out"
        assert log.virtual_size.height == 110 and log.vertical_scrollbar.window_virtual_size == 110
        assert log.scroll_y == log.max_scroll_y == 110 - log.scrollable_content_region.height
        visible = [log.render_line(y).text.strip() for y in range(log.scrollable_content_region.height)]
        assert visible[-1] == "line 109"
        pane.command_output("a much longer line than any before it, so the log's width grows " * 2)
        pane.flush()
        assert any(layouts), "a wider line may need the horizontal scrollbar: that one is laid out"


async def test_console_paint_works_out_its_style_once() -> None:
    """A scrolled console repaints every visible row; the widget's style is one ancestor walk per paint, not per row."""
    pane = ConsolePane()
    app = Host(pane)
    async with app.run_test(size=(80, 24)) as pilot:
        log = pane.output_log
        pane.command_output("\n".join(f"line {i:03d}" for i in range(50)))
        pane.flush()
        await pilot.pause()
        walks = [0]
        style_of = type(log).rich_style

        def counting(widget):  # type: ignore[no-untyped-def]
            walks[0] += 1
            return style_of.fget(widget)

        type(log).rich_style = property(counting)  # type: ignore[assignment]
        try:
            height = log.scrollable_content_region.height
            strips = log.render_lines(Region(0, 0, log.size.width, height))
        finally:
            del type(log).rich_style
        assert height > 3 and len(strips) == height and walks[0] == 1
        assert strips[-1].text.strip() == "line 049"


async def test_console_debugger_messages_are_marked() -> None:
    pane = ConsolePane()
    app = Host(pane)
    async with app.run_test(size=(80, 24)):
        pane.message("warning", "debugging an optimized function")
        pane.message("error", "two\nlines")
        await async_wait_until(lambda: pane.lines_written == 3)
        assert pane.text.splitlines() == [
            "» warning: debugging an optimized function",
            "» error: two",
            "» error: lines",
        ]


async def test_console_stdin_line_posts_the_text() -> None:
    pane = ConsolePane()
    app = Host(pane)
    hook = record(app, ConsolePane.StdinLine)
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        pane.stdin_input.focus()
        await pilot.press(*"hello", "enter")
        await async_wait_until(lambda: app.messages)
        assert [m.text for m in app.messages] == ["hello"]  # type: ignore[attr-defined]
        assert pane.stdin_input.value == ""


# ----- command line -----


async def test_command_line_history_and_completion() -> None:
    line = CommandLine(history=["break main.main", "continue"],
                       completer=lambda text: [c for c in ("print", "process", "break") if c.startswith(text)])
    app = Host(line)
    hook = record(app, CommandLine.Command, CommandLine.Candidates)
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        await pilot.press("b", "r", "tab")
        assert line.value == "break"
        line.value = ""
        await pilot.press("p", "tab")
        assert line.value == "pr"
        assert [m.candidates for m in app.messages] == [["print", "process"]]  # type: ignore[attr-defined]
        line.value = "draft"
        await pilot.press("up")
        assert line.value == "continue"
        await pilot.press("up", "up")
        assert line.value == "break main.main"
        await pilot.press("down", "down")
        assert line.value == "draft"
        line.value = "next 2"
        await pilot.press("enter")
        await async_wait_until(lambda: len(app.messages) == 2)
        assert app.messages[-1].line == "next 2"  # type: ignore[attr-defined]
        line.remember("next 2")
        line.remember("next 2")
        assert line.history[-2:] == ["continue", "next 2"]


# ----- status bar -----


async def test_status_bar_shows_state_and_a_spinner_only_for_slow_waits() -> None:
    bar = StatusBar()
    app = Host(bar)
    async with app.run_test(size=(80, 24)) as pilot:
        bar.target = "exec prog"
        bar.state = "stopped"
        bar.detail = "breakpoint 1 hit 3 times"
        bar.scope = "g1 frame 0"
        await pilot.pause()
        text = bar.render().plain
        assert "exec prog" in text and "stopped: breakpoint 1 hit 3 times" in text and "g1 frame 0" in text
        token = bar.begin_wait("evaluating")
        assert bar.waiting_on == ""
        await async_wait_until(lambda: bar.waiting_on == "evaluating", timeout=SPINNER_DELAY_S + 2)
        assert "evaluating…" in bar.render().plain
        bar.end_wait(token)
        assert bar.waiting_on == "" and "evaluating" not in bar.render().plain


async def test_status_bar_waits_shorter_than_the_spinner_delay_never_tick() -> None:
    """Every step of the program is a wait: one that ends before the spinner is due costs no ticker wake-up."""

    class CountingBar(StatusBar):
        ticks = 0

        def _tick(self) -> None:
            CountingBar.ticks += 1
            super()._tick()

    bar = CountingBar()
    app = Host(bar)
    async with app.run_test(size=(80, 24)) as pilot:
        for _ in range(5):
            bar.end_wait(bar.begin_wait("running"))
            await pilot.pause()
        assert CountingBar.ticks == 0
        token = bar.begin_wait("evaluating")
        await async_wait_until(lambda: CountingBar.ticks > 0 and bar.waiting_on == "evaluating", timeout=SPINNER_DELAY_S + 2)
        bar.end_wait(token)


# ----- stack -----


def frame(name: str, file: str, line: int) -> Stackframe:
    return Stackframe(function=Function(name=name), file=file, line=line)


async def test_stack_pane_lists_frames_and_posts_selection() -> None:
    pane = StackPane()
    app = Host(pane)
    hook = record(app, StackPane.FrameSelected, StackPane.DefersToggled)
    frames = [
        frame("main.compute", "/src/main.go", 151),
        frame("main.main", "/src/main.go", 120),
        frame("runtime.main", "/go/src/runtime/proc.go", 283),
    ]
    async with app.run_test(size=(80, 24), message_hook=hook) as pilot:
        pane.show_frames(frames, selected=0, goroutine_id=1)
        await pilot.pause()
        prompts = [str(o.prompt) for o in pane.options]
        assert prompts[0].startswith("▶0 main.compute") and "main.go:151" in prompts[0]
        assert "runtime.main" in prompts[2] and is_runtime_frame(frames[2]) and not is_runtime_frame(frames[0])
        await pilot.press("down", "enter")
        await async_wait_until(lambda: app.messages)
        assert app.messages[0].index == 1  # type: ignore[attr-defined]
        pane.select(1)
        assert str(pane.options[1].prompt).startswith("▶1")
        await pilot.press("f")
        await async_wait_until(lambda: len(app.messages) == 2)
        assert app.messages[1].show is True  # type: ignore[attr-defined]


# ----- breakpoints -----


def test_breakpoint_columns() -> None:
    bp = Breakpoint(id=2, file="/src/main.go", line=151, functionName="main.compute", totalHitCount=5,
                    hitCount={"1": 3, "7": 2})
    assert location_of(bp) == "main.compute main.go:151"
    assert hits_of(bp) == "5 g1:3 g7:2"
    assert location_of(Breakpoint(id=3, WatchExpr="x")) == "watch x"


async def test_breakpoints_pane_edits_in_place() -> None:
    pane = BreakpointsPane()
    app = Host(pane)
    hook = record(app, BreakpointsPane.Amend, BreakpointsPane.Toggle, BreakpointsPane.Delete,
           BreakpointsPane.Jump, BreakpointsPane.SetAll)
    bps = [
        Breakpoint(id=1, file="/src/main.go", line=83, functionName="main.main"),
        Breakpoint(id=2, file="/src/main.go", line=151, functionName="main.compute", Cond="a > 3"),
    ]
    async with app.run_test(size=(100, 24), message_hook=hook) as pilot:
        pane.show_breakpoints(bps)
        pane.table.focus()
        await pilot.press("down", "e")
        assert pane.editor.has_focus and pane.editor.value == "a > 3"
        pane.editor.value = "a > 5"
        await pilot.press("enter")
        await pilot.press("h")
        pane.editor.value = "> 2"
        await pilot.press("enter")
        await pilot.press("space", "x", "plus", "minus", "enter")
        await async_wait_until(lambda: len(app.messages) == 7)
        kinds = [(type(m).__name__, getattr(m, "bp_id", None)) for m in app.messages]
        assert kinds == [("Amend", 2), ("Amend", 2), ("Toggle", 2), ("Delete", 2), ("SetAll", None),
                         ("SetAll", None), ("Jump", None)]
        first, second = app.messages[0], app.messages[1]
        assert (first.field, first.value) == ("Cond", "a > 5")  # type: ignore[attr-defined]
        assert (second.field, second.value) == ("HitCond", "> 2")  # type: ignore[attr-defined]
        assert (app.messages[6].file, app.messages[6].line) == ("/src/main.go", 151)  # type: ignore[attr-defined]


# ----- watches -----


async def test_watches_pane_adds_edits_removes_and_shows_errors() -> None:
    pane = WatchesPane(["bob.Name"])
    app = Host(pane)
    hook = record(app, WatchesPane.Changed, WatchesPane.Open)
    async with app.run_test(size=(100, 24), message_hook=hook) as pilot:
        pane.table.focus()
        await pilot.press("a", *"nope", "enter")
        assert pane.expressions == ["bob.Name", "nope"]
        pane.show_results([WatchResult("bob.Name", '"Bob"'), WatchResult("nope", "could not find symbol value for nope", True)])
        await pilot.pause()
        cells = [str(pane.table.get_row_at(i)[1]) for i in range(2)]
        assert cells == ['"Bob"', "could not find symbol value for nope"]
        await pilot.press("e")
        pane.editor.value = "bob.Age"
        await pilot.press("enter")
        assert pane.expressions == ["bob.Name", "bob.Age"]
        await pilot.press("up", "x")
        assert pane.expressions == ["bob.Age"]
        await pilot.press("enter")
        await async_wait_until(lambda: any(isinstance(m, WatchesPane.Open) for m in app.messages))
        changed = [m.expressions for m in app.messages if isinstance(m, WatchesPane.Changed)]
        assert changed == [["bob.Name", "nope"], ["bob.Name", "bob.Age"], ["bob.Age"]]


async def test_stack_pane_replaces_only_the_rows_a_step_changed() -> None:
    """A step in the same function changes frame 0's line only: that row is replaced in place
    (clearing the list repaints and re-measures it all and moves the highlight); a deeper or
    shallower stack is rebuilt."""
    pane = StackPane()
    app = Host(pane)
    rebuilt: list[str] = []
    for name in ("set_options", "clear_options"):
        method = getattr(pane, name)
        setattr(pane, name, lambda *a, _m=method, _n=name, **k: (rebuilt.append(_n), _m(*a, **k))[1])
    frames = [frame("main.compute", "/src/main.go", 151), frame("main.main", "/src/main.go", 120)]
    async with app.run_test(size=(80, 24)) as pilot:
        pane.show_frames(frames, selected=0, goroutine_id=1)
        await pilot.pause()
        assert rebuilt == ["set_options"]
        options = list(pane.options)
        pane.show_frames([frame("main.compute", "/src/main.go", 152), frames[1]], selected=0, goroutine_id=1)
        assert rebuilt == ["set_options"] and list(pane.options) == options
        assert "main.go:152" in str(pane.options[0].prompt) and str(pane.options[1].prompt).endswith("main.go:120")
        assert pane.highlighted == 0
        pane.select(1)
        assert rebuilt == ["set_options"] and pane.highlighted == 1
        assert str(pane.options[1].prompt).startswith("▶1") and not str(pane.options[0].prompt).startswith("▶")
        pane.show_frames(frames[1:], selected=0, goroutine_id=1)
        assert rebuilt == ["set_options", "set_options"] and len(pane.options) == 1 and pane.highlighted == 0


async def test_watches_pane_updates_changed_values_in_place() -> None:
    """Re-evaluated at every stop: with no watches, or the same results, the table is left
    alone; a changed value is updated in its cell, the cursor stays."""
    pane = WatchesPane()
    app = Host(pane)
    async with app.run_test(size=(100, 24)) as pilot:
        cleared: list[int] = []
        clear = pane.table.clear
        pane.table.clear = lambda *a, **k: (cleared.append(1), clear(*a, **k))[1]  # type: ignore[method-assign]
        pane.show_results([])
        assert not cleared and pane.border_subtitle == "0 total"
        pane.set_expressions(["a", "b"])
        pane.show_results([WatchResult("a", "1"), WatchResult("b", "2")])
        await pilot.pause()
        assert len(cleared) == 1
        pane.table.move_cursor(row=1, animate=False)
        pane.show_results([WatchResult("a", "1"), WatchResult("b", "2")])
        pane.show_results([WatchResult("a", "1"), WatchResult("b", "a much longer value than before", True)])
        await pilot.pause()
        assert len(cleared) == 1 and pane.table.cursor_row == 1
        cells = [pane.table.get_row_at(i)[1] for i in range(2)]
        assert [str(c) for c in cells] == ["1", "a much longer value than before"]
        assert cells[1].style == pane.get_component_rich_style("watches-pane--error", partial=True)
        assert pane.table.columns[pane.table.ordered_columns[1].key].content_width >= len(str(cells[1]))
