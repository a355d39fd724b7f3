"""Persistence under crashes: a writer SIGKILLed at any moment never corrupts the store.

A child process rewrites the project state and the history as fast as it can; it is
SIGKILLed at random points, over and over, and after every kill the files must load
whole (the old content or the new, never a mix and never a warning). Corrupt files
being set aside, a failed write keeping the old content, and breakpoints (with
conditions), watches and layout surviving a restart are covered in
tests/adapters/test_store.py and tests/tui/test_app.py.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support import async_wait_until, wait_until

from godbg_tui.adapters.store import HistoryStore, ProjectState, ProjectStore

pytestmark = pytest.mark.timeout(120)

KILLS = 25

WRITER = textwrap.dedent(
    """\
    import sys
    from pathlib import Path
    from godbg_tui.adapters.store import HistoryStore, Layout, ProjectState, ProjectStore, SavedBreakpoint

    directory = Path(sys.argv[1])
    store, history = ProjectStore("example.com/app", directory), HistoryStore(directory)
    generation = int(sys.argv[2])
    print("writing", flush=True)
    while True:
        generation += 1
        n = generation % 200 + 1  # sizes vary, so a torn write would show
        state = ProjectState(
            breakpoints=[SavedBreakpoint(location=f"main.go:{i}", cond=f"i == {generation}") for i in range(n)],
            watches=[f"w{generation}_{i}" for i in range(n)],
        )
        state.layout = Layout(side_pane="stack", console_height=generation % 30 + 1)
        store.save(state)
        history.save([f"print {generation} {i}" for i in range(n)])
    """
)


def loads_cleanly(directory: Path) -> tuple[ProjectState, list[str]]:
    state, warnings = ProjectStore("example.com/app", directory).load()
    assert warnings == [], warnings
    entries, warnings = HistoryStore(directory).load()
    assert warnings == [], warnings
    if state.breakpoints:
        generation = state.breakpoints[0].cond.removeprefix("i == ")
        assert all(b.cond == f"i == {generation}" for b in state.breakpoints), "one save's content, not a mix"
        assert len(state.watches) == len(state.breakpoints)
        assert state.layout.side_pane == "stack"
    if entries:
        generation = entries[0].split()[1]
        assert all(e.split()[1] == generation for e in entries)
    return state, entries


def test_sigkill_mid_write_never_corrupts_the_store(tmp_path):
    rng = random.Random(6)
    seen_generations = set()
    for kill in range(KILLS):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(kill * 100_000)], stdout=subprocess.PIPE, text=True
        )
        assert writer.stdout and writer.stdout.readline() == "writing\n"
        wait_until(lambda: (tmp_path / "history.json").exists(), timeout=10)
        # Not synchronisation: a random moment to kill it, wherever it is in a save.
        time.sleep(rng.uniform(0, 0.05))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        state, _ = loads_cleanly(tmp_path)
        if state.breakpoints:
            seen_generations.add(state.breakpoints[0].cond)
    assert len(seen_generations) > KILLS // 2, "the writer really was killed at different points"


def test_temp_files_of_a_killed_writer_do_not_pile_up(tmp_path):
    for kill in range(5):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(kill)], stdout=subprocess.PIPE, text=True)
        assert writer.stdout and writer.stdout.readline() == "writing\n"
        wait_until(lambda: any(p.name.startswith(".") for p in tmp_path.iterdir()), timeout=10, interval=0.001)
        writer.send_signal(signal.SIGKILL)  # the writer has a temp file open: it is killed mid-write
        writer.wait()
    ProjectStore("example.com/app", tmp_path).save(ProjectState())
    HistoryStore(tmp_path).save([])
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


async def test_recent_sessions_are_offered_at_the_next_start(go_bin, dlv_path, tmp_path, monkeypatch):
    from textual.widgets import OptionList

    from godbg_tui.adapters.dlv.launcher import LaunchSpec
    from godbg_tui.tui.app import GodbgApp
    from godbg_tui.tui.screens.launcher import LauncherScreen

    monkeypatch.setenv("GODBG_DLV", str(dlv_path))
    first = GodbgApp(LaunchSpec("exec", program=str(go_bin["prog"]), args=("-linger", "1h")), state_dir=tmp_path)
    async with first.run_test(size=(120, 36)):
        try:
            await async_wait_until(lambda: first.stops_seen >= 1, timeout=60)
            await async_wait_until(lambda: (tmp_path / "recent.json").exists(), timeout=10)  # written off the UI thread
        finally:
            await first.end_session()
    again = GodbgApp(None, state_dir=tmp_path)
    async with again.run_test(size=(120, 36)) as pilot:
        try:
            await async_wait_until(lambda: isinstance(again.screen, LauncherScreen) and again.screen.query("#recent"), timeout=10)
            recent = again.screen.query_one("#recent", OptionList)
            await async_wait_until(lambda: recent.has_focus, timeout=5)
            assert recent.option_count == 1
            assert str(recent.get_option_at_index(0).prompt).startswith(f" exec {go_bin['prog'].name} -linger 1h")
            await pilot.press("enter")  # the first entry is focused: Enter starts it again
            await async_wait_until(lambda: again.stops_seen >= 1, timeout=60)
            assert again.session is not None and again.session.spec.program == str(go_bin["prog"])
            assert again.session.spec.args == ("-linger", "1h")
        finally:
            await again.end_session()
