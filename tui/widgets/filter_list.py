"""What the pickers share: the dialog frame with its status line, and a type-to-narrow list.

The attach, exec and test pickers are one box (title, fields, a list, a status
line that turns yellow or red); the attach and test pickers also narrow a list as
the user types, while the cursor keys keep moving in the list. ``PickerFrame`` is
the box, ``FilterList`` the filter field over an OptionList of items of any type.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import ClassVar, Generic, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

T = TypeVar("T")


class PickerFrame(Vertical):
    """The picker's box: a bold title first, then what the picker yields inside it, then ``#status``.

    Use as ``with PickerFrame("Attach to a process"): yield …``. Rows of class
    ``field`` hold a Label and an Input on one line. ``set_status(text, kind)``
    with kind "", "-warning" or "-error".
    """

    DEFAULT_CSS = """
    PickerFrame {
        width: 110;
        max-width: 100%;
        height: 100%;
        max-height: 50;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
        & > #title { text-style: bold; width: 100%; }
        & .field { height: 1; }
        & .field Label { width: 11; color: $text-muted; }
        & .field Input { border: none; height: 1; padding: 0 1; width: 1fr; }
        & > #status { height: auto; max-height: 3; color: $text-muted; }
        & > #status.-warning { color: $text-warning; }
        & > #status.-error { color: $text-error; }
    }
    """

    def __init__(self, title: str, *, id: str = "dialog") -> None:
        super().__init__(Label(title, id="title"), id=id)

    def compose(self) -> ComposeResult:
        yield Static("", id="status", markup=False)

    def set_status(self, text: str, kind: str = "") -> None:
        status = self.query_one("#status", Static)
        status.update(text)
        status.set_classes(kind)


class FilterList(Vertical, Generic[T]):
    """A filter field over an OptionList: typing narrows ``items`` to ``shown``.

    ``narrow(items, words)`` returns the matching items in display order
    (``words`` are the filter's lower-cased words), ``render(shown)`` their rows.
    At most ``limit`` rows are shown (OptionList measures every row on each
    keystroke); ``matched`` counts all that match. With ``key`` the highlighted
    item stays highlighted across filtering and ``set_items`` (matched by key);
    without, the first row is highlighted. Up/down/page keys move in the list
    while the filter field has the focus; the list itself never takes it.

    Messages: ``Changed`` after ``shown`` changed, ``Highlighted`` when the
    highlighted row moved, ``Chosen`` on a click on a row.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "move('cursor_down')", "Down", show=False, id="filter-list.down"),
        Binding("up", "move('cursor_up')", "Up", show=False, id="filter-list.up"),
        Binding("pagedown", "move('page_down')", "Page down", show=False, id="filter-list.page-down"),
        Binding("pageup", "move('page_up')", "Page up", show=False, id="filter-list.page-up"),
    ]

    DEFAULT_CSS = """
    FilterList {
        height: 1fr;
        & > #filter { border: none; height: 1; padding: 0 1; margin-bottom: 1; }
        & > .field { margin-bottom: 1; }
        & > #columns { color: $text-muted; text-style: bold; }
        & > OptionList { height: 1fr; border: none; padding: 0; text-wrap: nowrap; text-overflow: ellipsis; }
    }
    """

    class Changed(Message):
        """The shown items changed (new items or a new filter)."""

    class Highlighted(Message):
        """The highlighted row moved."""

    class Chosen(Message):
        """A row was clicked (the picker treats it like Enter)."""

    def __init__(
        self,
        *,
        narrow: Callable[[Sequence[T], list[str]], list[T]],
        render: Callable[[Sequence[T]], Iterable[Content]],
        placeholder: str = "",
        label: str | None = None,
        header: str | None = None,
        limit: int | None = None,
        key: Callable[[T], Hashable] | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.narrow = narrow
        self.render_rows = render
        self.placeholder = placeholder
        self.label = label
        self.header = header
        self.limit = limit
        self.key = key
        self.items: list[T] = []
        self.shown: list[T] = []
        self.matched = 0

    def compose(self) -> ComposeResult:
        field = Input(placeholder=self.placeholder, id="filter")
        if self.label is None:
            yield field
        else:
            with Horizontal(classes="field"):
                yield Label(self.label)
                yield field
        if self.header is not None:
            yield Static(self.header, id="columns")
        yield OptionList()

    def on_mount(self) -> None:
        self.option_list.can_focus = False

    @property
    def option_list(self) -> OptionList:
        return self.query_one(OptionList)

    @property
    def words(self) -> list[str]:
        return self.query_one("#filter", Input).value.lower().split()

    @property
    def highlighted_item(self) -> T | None:
        index = self.option_list.highlighted
        return self.shown[index] if index is not None and index < len(self.shown) else None

    def set_items(self, items: Iterable[T]) -> None:
        self.items = list(items)
        self.refresh_shown()

    def clear(self) -> None:
        self.items = []
        self.shown = []
        self.matched = 0
        self.option_list.clear_options()

    def refresh_shown(self) -> None:
        """Narrow the items by the filter again and show them."""
        keep = self.highlighted_item
        found = self.narrow(self.items, self.words)
        self.matched = len(found)
        self.shown = found[: self.limit] if self.limit is not None else found
        option_list = self.option_list
        option_list.set_options(Option(row) for row in self.render_rows(self.shown))
        if self.shown:
            index = 0
            if self.key is not None and keep is not None:
                keys = [self.key(item) for item in self.shown]
                kept = self.key(keep)
                index = keys.index(kept) if kept in keys else 0
            option_list.highlighted = index
        self.post_message(self.Changed())

    def action_move(self, action: str) -> None:
        getattr(self.option_list, f"action_{action}")()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.refresh_shown()

    @on(OptionList.OptionHighlighted)
    def _highlight_moved(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted())

    @on(OptionList.OptionSelected)
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen())
