"""What a step repaints at 250x70, where every side pane is on screen.

A step there cost five times what it costs at 80x24, nearly all of it in Textual's
compositor: the goroutine list emptied and refilled itself at every stop (two layouts,
five repaints), the stack pane and the watches table were cleared and rebuilt. These
count, per widget, the layouts and whole-widget repaints over a few steps in a loop
(same goroutines, same stack depth, no watches) and hold each pane to what changed.
Counts, not time: the machine running the suite is noisy.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from textual.widget import Widget
from textual.widgets import DataTable, OptionList

from test_app import command, debugger, press_and_stop

STEPS = 10


@pytest.fixture(autouse=True)
def _dlv_on_path(dlv_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GODBG_DLV", str(dlv_path))


class Repaints:
    """Layouts, whole-widget repaints and list rebuilds, by widget (``#id``, else its class),
    from when counting starts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counting = False
        self.layouts: Counter[str] = Counter()
        self.repaints: Counter[str] = Counter()
        self.rebuilds: Counter[str] = Counter()
        refresh, set_dirty = Widget.refresh, Widget._set_dirty

        def counted_refresh(widget: Widget, *regions, **kwargs):  # type: ignore[no-untyped-def]
            if self.counting and kwargs.get("layout"):
                self.layouts[_name(widget)] += 1
            return refresh(widget, *regions, **kwargs)

        def counted_set_dirty(widget: Widget, *regions):  # type: ignore[no-untyped-def]
            if self.counting and not regions:
                self.repaints[_name(widget)] += 1
            return set_dirty(widget, *regions)

        monkeypatch.setattr(Widget, "refresh", counted_refresh)
        monkeypatch.setattr(Widget, "_set_dirty", counted_set_dirty)
        for cls, name in ((OptionList, "set_options"), (OptionList, "clear_options"), (DataTable, "clear")):
            monkeypatch.setattr(cls, name, self._counting(getattr(cls, name), name))

    def _counting(self, method, name: str):  # type: ignore[no-untyped-def]
        def counted(widget: Widget, *args, **kwargs):  # type: ignore[no-untyped-def]
            if self.counting:
                self.rebuilds[f"{_name(widget)}.{name}"] += 1
            return method(widget, *args, **kwargs)

        return counted


def _name(widget: Widget) -> str:
    return f"#{widget.id}" if widget.id else type(widget).__name__


async def test_a_step_at_250x70_repaints_only_what_changed(
    go_bin, marker_line, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the worker's loop each ``next`` changes frame 0's line, the main goroutine's row
    and little else: no pane may re-lay itself out or start over for that."""
    counts = Repaints(monkeypatch)
    async with debugger(str(go_bin["prog"]), tmp_path, size=(250, 70), args=["-workers", "1"]) as (app, pilot):
        screen = app.main_screen
        await command(app, pilot, f"break main.go:{marker_line('prog', 'main.go', 'hit-body')}")
        await press_and_stop(app, pilot, "c")
        await command(app, pilot, "clearall")
        await press_and_stop(app, pilot, "o")
        await pilot.pause()
        assert all(pane.display for pane in (screen.stack_pane, screen.goroutines, screen.watches))
        assert not screen.watches.expressions
        depth = len(screen.stack_pane.frames)
        shown = [g.id for g in screen.goroutines.goroutines]
        counts.counting = True
        lines = set()
        for _ in range(STEPS):
            await press_and_stop(app, pilot, "n")
            await pilot.pause()
            lines.add(screen.stack_pane.frames[0].line)
        counts.counting = False
        assert len(lines) > 1, "the steps moved"
        assert len(screen.stack_pane.frames) == depth and [g.id for g in screen.goroutines.goroutines] == shown

        assert counts.layouts["GoroutineRows"] <= STEPS, counts.layouts  # was 2 a step
        assert counts.repaints["GoroutineRows"] <= STEPS, counts.repaints  # was 5 a step
        assert counts.repaints["#goroutines"] == 0, counts.repaints  # its status did not change
        assert counts.rebuilds["#stack.set_options"] == counts.rebuilds["#stack.clear_options"] == 0
        assert counts.repaints["#stack"] <= STEPS, counts.repaints
        assert counts.layouts["#stack"] == 0, counts.layouts
        assert counts.rebuilds["#watches-table.clear"] == 0, counts.rebuilds
        assert counts.repaints["#watches"] == counts.repaints["#watches-table"] == 0, counts.repaints
        assert screen.stack_pane.highlighted == screen.stack_pane.selected_frame  # no deferred calls shown
        assert str(screen.stack_pane.options[0].prompt).endswith(f"main.go:{screen.stack_pane.frames[0].line}")
