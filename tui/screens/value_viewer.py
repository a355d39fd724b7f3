"""Full-screen view of one value, loaded much deeper than the variables tree loads it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from godbg_tui.adapters import values
from godbg_tui.adapters.dlv.types import LoadConfig, Variable
from godbg_tui.tui.glyphs import glyphs

Fetch = Callable[[str, LoadConfig], Awaitable[Variable]]

VIEWER_LOAD = LoadConfig(
    FollowPointers=True,
    MaxVariableRecurse=3,
    MaxStringLen=1 << 20,
    MaxArrayValues=10_000,
    MaxStructFields=-1,
)


class ValueViewer(ModalScreen[None]):
    """``dlv print`` output of one expression, scrollable and selectable (ctrl+c copies).

    ``ValueViewer(expr, fetch, *, hex=False, cfg=VIEWER_LOAD, timeout=60)``: evaluates
    ``expr`` through ``fetch`` (the same callable the variables tree uses, bound to the
    scope the user was looking at) in a worker of group "vars", shows "loading…" until
    then and the error text if it fails. Escape or q closes it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "dismiss_viewer", "Close", id="value-viewer.close"),
    ]

    DEFAULT_CSS = """
    ValueViewer {
        align: center middle;
        & > Vertical {
            width: 100%;
            height: 100%;
            border: round $primary;
            border-title-color: $text-primary;
            background: $surface;
        }
        & #value-status { height: 1; padding: 0 1; color: $foreground-muted; }
        & #value-status.-error { color: $error; }
        & TextArea { height: 1fr; border: none; }
    }
    """

    def __init__(
        self,
        expr: str,
        fetch: Fetch,
        *,
        hex: bool = False,
        cfg: LoadConfig = VIEWER_LOAD,
        timeout: float = 60.0,
    ) -> None:
        super().__init__()
        self.expr = expr
        self.fetch = fetch
        self.hex = hex
        self.cfg = cfg
        self.timeout = timeout
        self.loaded: Variable | None = None

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.expr
            box.border_subtitle = "Esc close"
            yield Static(f"loading{glyphs().ellipsis}", id="value-status")
            yield TextArea("", read_only=True, soft_wrap=False, show_cursor=True, id="value-text")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()
        self.run_worker(self._load, group="vars", exclusive=True, name=f"view {self.expr}")

    async def _load(self) -> None:
        # Taken before the wait: closed meanwhile (escape on a slow value), the screen has no
        # children to query, and updating the detached widgets is harmless.
        status = self.query_one("#value-status", Static)
        text_area = self.query_one(TextArea)
        try:
            var = await asyncio.wait_for(self.fetch(self.expr, self.cfg), self.timeout)
            text = await asyncio.to_thread(values.format_value, var, hex=self.hex)
        except TimeoutError:
            status.update(f"could not load {self.expr}: no answer within {self.timeout:g} s")
            status.add_class("-error")
            return
        except Exception as exc:  # the data source's error text is what the user needs
            status.update(f"could not load {self.expr}: {exc}")
            status.add_class("-error")
            return
        self.loaded = var
        note = " (still truncated: narrow the expression to see the rest)" if values.is_truncated(var) else ""
        status.update(f"{var.type}{note}")
        text_area.load_text(text)

    def action_dismiss_viewer(self) -> None:
        self.dismiss(None)
