"""Per-project persistence, history and config: round trips, atomicity, corrupt files, keys."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import pytest

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.dlv.types import Breakpoint
from godbg_tui.adapters.store import (
    HISTORY_LIMIT,
    RECENT_LIMIT,
    STALE_TEMP_S,
    ConfigError,
    HistoryStore,
    Layout,
    ProjectState,
    ProjectStore,
    RecentSession,
    RecentSessions,
    SavedBreakpoint,
    atomic_write,
    config_path,
    load_config,
    project_key,
    saved_breakpoint,
    state_dir,
    sweep_stale_temp_files,
)


def test_state_and_config_follow_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert state_dir() == tmp_path / "state" / "godbg-tui"
    assert config_path() == tmp_path / "config" / "godbg-tui" / "config.toml"


def test_project_state_round_trips(tmp_path: Path) -> None:
    store = ProjectStore("example.com/prog", tmp_path)
    state = ProjectState(
        breakpoints=[SavedBreakpoint(location="main.go:12", cond="i > 3", hit_cond="> 2", disabled=True)],
        watches=["bob.Name", "len(bigSlice)"],
        layout=Layout(side_pane="stack", console_height=9, side_width=50),
    )
    store.save(state)
    loaded, warnings = ProjectStore("example.com/prog", tmp_path).load()
    assert warnings == []
    assert loaded == state
    assert loaded.project == "example.com/prog"


def test_missing_file_is_an_empty_state(tmp_path: Path) -> None:
    state, warnings = ProjectStore("nothing/here", tmp_path).load()
    assert (state.breakpoints, state.watches, warnings) == ([], [], [])


def test_projects_do_not_share_files(tmp_path: Path) -> None:
    a, b = ProjectStore("example.com/a", tmp_path), ProjectStore("example.com/b", tmp_path)
    a.save(ProjectState(watches=["x"]))
    assert b.load()[0].watches == []
    assert a.path != b.path and a.path.parent == b.path.parent == tmp_path


@pytest.mark.parametrize("garbage", [b"{not json", b'{"breakpoints": 7}', b"\x00\xff"])
def test_corrupt_file_is_set_aside_with_a_warning(tmp_path: Path, garbage: bytes) -> None:
    store = ProjectStore("example.com/prog", tmp_path)
    store.path.write_bytes(garbage)
    state, warnings = store.load()
    assert state.breakpoints == [] and state.watches == []
    assert len(warnings) == 1 and "moved it to" in warnings[0]
    aside = [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes() == garbage
    assert not store.path.exists()
    store.save(ProjectState(watches=["ok"]))
    assert store.load() == (ProjectState(project="example.com/prog", watches=["ok"]), [])


def test_newer_format_is_not_used_and_not_destroyed(tmp_path: Path) -> None:
    store = ProjectStore("example.com/prog", tmp_path)
    store.path.write_bytes(msgspec.json.encode({"version": 99, "watches": ["x"]}))
    state, warnings = store.load()
    assert state.watches == [] and "newer godbg-tui" in warnings[0]
    assert store.path.exists()


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "f.json"
    atomic_write(target, b"first")
    atomic_write(target, b"second")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["f.json"]


def test_atomic_write_failure_keeps_old_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.json"
    atomic_write(target, b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]


def test_saved_breakpoint_keeps_the_location_expression() -> None:
    bp = Breakpoint(id=3, file="/src/main.go", line=12, functionName="main.compute", ExprString="main.compute",
                    Cond="a > 1", HitCond="> 2", disabled=True, name="hot")
    assert saved_breakpoint(bp) == SavedBreakpoint(location="main.compute", cond="a > 1", hit_cond="> 2",
                                                   disabled=True, name="hot")
    assert saved_breakpoint(Breakpoint(id=4, file="/src/main.go", line=9)) == SavedBreakpoint(location="/src/main.go:9")


def test_watchpoints_and_internal_breakpoints_are_not_saved() -> None:
    assert saved_breakpoint(Breakpoint(id=5, WatchExpr="x", file="/m.go", line=3)) is None
    assert saved_breakpoint(Breakpoint(id=-1, functionName="runtime.gopanic")) is None


def test_project_key_is_the_module_path(tmp_path: Path) -> None:
    mod = tmp_path / "svc"
    (mod / "cmd" / "tool").mkdir(parents=True)
    (mod / "go.mod").write_text("// comment\nmodule example.com/svc // trailing\n\ngo 1.22\n")
    (mod / "bin").mkdir()
    assert project_key(LaunchSpec(mode="debug", program="./cmd/tool", wd=str(mod))) == "example.com/svc"
    assert project_key(LaunchSpec(mode="test", wd=str(mod / "cmd"))) == "example.com/svc"
    assert project_key(LaunchSpec(mode="exec", program=str(mod / "bin" / "svc"))) == "example.com/svc"


def test_project_key_outside_a_module_is_the_binary_directory(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    assert project_key(LaunchSpec(mode="exec", program=str(tmp_path / "out" / "prog"))) == str(tmp_path / "out")
    assert project_key(LaunchSpec(mode="core", program=str(tmp_path / "out" / "prog"), core="c")) == str(tmp_path / "out")
    assert project_key(LaunchSpec(mode="connect", address="127.0.0.1:4040")) == "remote 127.0.0.1:4040"


def test_project_key_of_an_attached_process_uses_its_executable(tmp_path: Path) -> None:
    own_exe = os.readlink(f"/proc/{os.getpid()}/exe")
    assert project_key(LaunchSpec(mode="attach", pid=os.getpid())) == str(Path(own_exe).resolve().parent)


def test_history_is_capped_and_round_trips(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path)
    store.save([f"print {i}" for i in range(HISTORY_LIMIT + 50)])
    entries, warnings = HistoryStore(tmp_path).load()
    assert warnings == [] and len(entries) == HISTORY_LIMIT
    assert entries[0] == "print 50" and entries[-1] == f"print {HISTORY_LIMIT + 49}"


def test_corrupt_history_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "history.json").write_text("[1, 2")
    entries, warnings = HistoryStore(tmp_path).load()
    assert entries == [] and "moved it to" in warnings[0]


def test_config_reads_theme_and_key_remaps(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "godbg-light"\n[keys]\n"run.next" = "f8,j"\n')
    config = load_config(path)
    assert config.theme == "godbg-light" and config.keys == {"run.next": "f8,j"}
    assert load_config(tmp_path / "missing.toml").keys == {}


@pytest.mark.parametrize(
    ("text", "complaint"),
    [("theme = ", "not valid TOML"), ("colour = 'x'", "colour"), ("[keys]\nnext = 3", "keys")],
)
def test_bad_config_names_the_problem(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=complaint) as info:
        load_config(path)
    assert str(path) in str(info.value)


def _dead_pid() -> int:
    """A pid that no process has now (a child that has been reaped)."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def test_sweep_removes_temp_files_of_dead_writers_and_old_ones_only(tmp_path: Path) -> None:
    dead = tmp_path / f".state.json.{_dead_pid()}-abc123_x.tmp"
    live = tmp_path / f".state.json.{os.getpid()}-def456.tmp"  # a save in progress, here
    old = tmp_path / f".state.json.{os.getpid()}-old999.tmp"
    unrelated = tmp_path / ".state.json.notours"
    for path in (dead, live, old, unrelated):
        path.write_bytes(b"partial")
    os.utime(old, (0, 0))
    assert sorted(sweep_stale_temp_files(tmp_path)) == sorted([dead, old])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, unrelated.name])
    assert STALE_TEMP_S >= 60, "a slow save on a busy disk must not lose its temp file"


def test_load_and_save_sweep(tmp_path: Path) -> None:
    leftover = tmp_path / f".history.json.{_dead_pid()}-zzz.tmp"
    leftover.write_bytes(b"[")
    HistoryStore(tmp_path).load()
    assert not leftover.exists()
    leftover.write_bytes(b"[")
    ProjectStore("example.com/app", tmp_path).save(ProjectState())
    assert not leftover.exists()


def test_recent_sessions_newest_first_deduplicated_and_capped(tmp_path: Path) -> None:
    recent = RecentSessions(tmp_path)
    assert recent.load() == ([], [])
    first = LaunchSpec("exec", program="/bin/prog", args=("-v",), wd="/src")
    recent.add(first)
    recent.add(LaunchSpec("attach", pid=42))
    entries = recent.add(first)
    assert [e.describe() for e in entries] == ["exec prog -v", "attach 42"]
    for n in range(RECENT_LIMIT + 5):
        recent.add(LaunchSpec("connect", address=f"127.0.0.1:{4000 + n}"))
    entries, warnings = recent.load()
    assert warnings == [] and len(entries) == RECENT_LIMIT
    assert entries[0].describe() == f"connect 127.0.0.1:{4000 + RECENT_LIMIT + 4}"


def test_recent_session_round_trips_to_a_spec_with_paths_pinned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    spec = LaunchSpec("test", program="./calc", test_run="TestAdd$", build_flags="-tags=dev", args=("-test.v",))
    entry = RecentSession.from_spec(spec)
    assert entry.wd == str(tmp_path), "a package path is relative to where it was started"
    again = entry.to_spec()
    assert (again.mode, again.program, again.test_run, again.build_flags, again.args) == ("test", "./calc", "TestAdd$", "-tags=dev", ("-test.v",))
    assert entry.describe() == "test ./calc -run TestAdd$ -test.v"
    exec_entry = RecentSession.from_spec(LaunchSpec("exec", program="bin/prog"))
    assert exec_entry.program == str(tmp_path / "bin" / "prog")


def test_corrupt_recent_sessions_are_set_aside(tmp_path: Path) -> None:
    (tmp_path / "recent.json").write_bytes(b"{not json")
    entries, warnings = RecentSessions(tmp_path).load()
    assert entries == [] and "moved it to recent.json.corrupt-" in warnings[0]
