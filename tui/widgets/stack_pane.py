"""The selected goroutine's call stack; choosing a frame changes the scope of everything else."""

from __future__ import annotations

import os
from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from godbg_tui.adapters.dlv.types import Stackframe, Thread
from godbg_tui.tui.glyphs import glyphs


def is_runtime_frame(frame: Stackframe) -> bool:
    """Frames of the Go runtime (and its assembly), which users rarely want to read."""
    name = frame.function.name if frame.function else ""
    return name.startswith(("runtime.", "runtime/")) or "/src/runtime/" in frame.file


def frame_function(frame: Stackframe | Thread) -> str:
    """The function's name, or the PC where there is none (no debug info)."""
    return frame.function.name if frame.function and frame.function.name else f"0x{frame.pc:x}"


class StackPane(OptionList):
    """Frames as ``N function  file:line``; runtime frames dimmed; the selected frame marked ▶.

    Enter (or a click) posts ``FrameSelected(index)``; ``f`` asks for deferred calls to be
    shown under their frames (``DefersToggled``), which the screen fetches on demand.
    """

    DEFAULT_CSS = """
    StackPane > .stack-pane--runtime { color: $runtime-frame; text-style: dim; }
    StackPane > .stack-pane--selected { color: $current-line; text-style: bold; }
    StackPane > .stack-pane--defer { color: $text-muted; text-style: italic; }
    StackPane > .stack-pane--location { color: $text-muted; }
    """

    COMPONENT_CLASSES = {
        "stack-pane--runtime",
        "stack-pane--selected",
        "stack-pane--defer",
        "stack-pane--location",
    }

    BINDINGS = [
        Binding("f", "toggle_defers", "Deferred calls", id="stack.defers", tooltip="Show or hide deferred calls under each frame"),
    ]

    class FrameSelected(Message):
        def __init__(self, index: int):
            super().__init__()
            self.index = index

    class DefersToggled(Message):
        def __init__(self, show: bool):
            super().__init__()
            self.show = show

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.frames: list[Stackframe] = []
        self.selected_frame = 0
        self.show_defers = False
        self.goroutine_id = 0
        self._stale = False

    def show_frames(self, frames: Sequence[Stackframe], selected: int = 0, goroutine_id: int = 0) -> None:
        """Take the frames; the list is rebuilt now if the pane is displayed, else when it is shown.

        (Refreshing a hidden widget makes Textual re-arrange the whole screen at the next frame.)
        """
        frames = list(frames)
        if frames == self.frames and selected == self.selected_frame and goroutine_id == self.goroutine_id:
            return
        self.frames = frames
        self.selected_frame = selected
        self.goroutine_id = goroutine_id
        self._stale = True
        if self.display and self.is_on_screen:
            self._show_now()

    def _show_now(self) -> None:
        self._stale = False
        self._show_selected()

    def on_show(self) -> None:
        if self._stale:
            self._show_now()

    def select(self, index: int) -> None:
        """Mark ``index`` as the selected frame (after the session changed scope)."""
        self.selected_frame = index
        self._show_selected()

    def _show_selected(self) -> None:
        """Show the frames with the selected one highlighted and scrolled to, as from the top."""
        rebuilt = self._rebuild()
        if not self.frames:
            return
        index = self._option_index(self.selected_frame)
        if rebuilt or self.highlighted != index:
            self.highlighted = index  # its watcher scrolls to it
        else:
            self.scroll_y = 0  # where set_options would have left it
            self.scroll_to_highlight()

    def clear_frames(self, note: str = "") -> None:
        self.frames = []
        self._stale = False
        self.clear_options()
        if note:
            self.add_option(Option(Text(note, style=self.get_component_rich_style("stack-pane--defer", partial=True)), disabled=True))

    def _option_index(self, frame_index: int) -> int:
        for i, option in enumerate(self.options):
            if option.id == f"frame-{frame_index}":
                return i
        return 0

    def _rebuild(self) -> bool:
        """Set the options from the frames; True if the list was rebuilt.

        When the rows keep their shape (same frames and deferred calls, as after a step in the
        same function) only the rows whose text changed are replaced: set_options would clear
        the list, re-measure every row and move the highlight, repainting all of it.
        """
        options = self._frame_options()
        if [(o.id, o.disabled) for o in options] != [(o.id, o.disabled) for o in self.options]:
            self.set_options(options)
            return True
        for i, (old, new) in enumerate(zip(self.options, options)):
            if not _same_text(old.prompt, new.prompt):
                self.replace_option_prompt_at_index(i, new.prompt)
        return False

    def _frame_options(self) -> list[Option]:
        style = self.get_component_rich_style
        options: list[Option] = []
        width = len(str(max(len(self.frames) - 1, 0)))
        g = glyphs()
        for i, frame in enumerate(self.frames):
            text = Text(no_wrap=True, overflow=g.overflow)
            marker = g.frame_current if i == self.selected_frame else " "
            text.append(f"{marker}{i:>{width}} ")
            fn_style = style("stack-pane--runtime", partial=True) if is_runtime_frame(frame) else None
            if i == self.selected_frame:
                fn_style = style("stack-pane--selected", partial=True)
            text.append(frame_function(frame), fn_style)
            text.append(f"  {os.path.basename(frame.file)}:{frame.line}", style("stack-pane--location", partial=True))
            if frame.Err:
                text.append(f"  ({frame.Err})")
            options.append(Option(text, id=f"frame-{i}"))
            if self.show_defers:
                for d, defer in enumerate(frame.Defers or []):
                    loc = defer.DeferredLoc
                    fn = loc.function.name if loc.function else f"0x{loc.pc:x}"
                    what = defer.Unreadable or f"{fn}  {os.path.basename(loc.file)}:{loc.line}"
                    options.append(
                        Option(Text(f"    defer {d}: {what}", style=style("stack-pane--defer", partial=True), no_wrap=True), disabled=True)
                    )
        return options

    def action_toggle_defers(self) -> None:
        self.show_defers = not self.show_defers
        self.post_message(self.DefersToggled(self.show_defers))

    @on(OptionList.OptionSelected)
    def _frame_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id and event.option.id.startswith("frame-"):
            self.post_message(self.FrameSelected(int(event.option.id.removeprefix("frame-"))))


def _same_text(a: object, b: object) -> bool:
    """Rich's Text equality ignores the base style (the defer rows' colour)."""
    if isinstance(a, Text) and isinstance(b, Text):
        return a.plain == b.plain and a.spans == b.spans and a.style == b.style
    return a == b
