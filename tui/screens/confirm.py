"""A small modal that asks one question (or, without a cancel choice, reports one error)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True (y / enter / the confirm button) or False (n / escape / cancel).

    With ``cancel_label=None`` it is a message box: any of those keys dismisses it with True.
    ``detail`` is shown scrollable and verbatim (compiler output, dlv's log).
    """

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > #dialog {
        width: 72;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    ConfirmScreen.-error > #dialog { border: thick $error; }
    ConfirmScreen #title { text-style: bold; width: 100%; margin-bottom: 1; }
    ConfirmScreen #message { width: 100%; }
    ConfirmScreen #detail-box { height: auto; max-height: 12; margin-top: 1; background: $panel; }
    ConfirmScreen #detail { color: $text-muted; }
    ConfirmScreen #buttons { height: auto; align-horizontal: right; margin-top: 1; }
    ConfirmScreen Button { margin-left: 2; min-width: 10; }
    """

    BINDINGS = [
        Binding("y,enter", "answer(True)", "Yes", id="confirm.yes", show=False),
        Binding("n,escape", "answer(False)", "No", id="confirm.no", show=False),
    ]

    def __init__(
        self,
        title: str,
        message: str,
        *,
        detail: str = "",
        confirm_label: str = "OK",
        cancel_label: str | None = "Cancel",
        error: bool = False,
    ):
        super().__init__(classes="-error" if error else None)
        self.title_text = title
        self.message = message
        self.detail = detail
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="title")
            yield Static(self.message, id="message", markup=False)
            if self.detail:
                with VerticalScroll(id="detail-box"):
                    yield Static(self.detail, id="detail", markup=False)
            with Horizontal(id="buttons"):
                if self.cancel_label is not None:
                    yield Button(Content(f"{self.cancel_label} (n)"), id="cancel")
                yield Button(
                    Content(f"{self.confirm_label} (y)" if self.cancel_label is not None else f"{self.confirm_label} (enter)"),
                    id="confirm",
                    variant="error" if self.has_class("-error") or self.cancel_label else "primary",
                )

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(True if self.cancel_label is None else yes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id == "confirm")
