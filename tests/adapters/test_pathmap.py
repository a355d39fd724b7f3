"""Substitute-path: Delve's matching rules, the local guess on synthetic package lists, and end
to end — a binary built from sources that were then removed, debugged with the sources at
another local path, guessed (Delve's GuessSubstitutePath and the local guess) or configured."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from remote_support import MovedBuild, build_moved

from godbg_tui.adapters import pathmap
from godbg_tui.adapters.commands import CommandInterpreter
from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.dlv.types import PackageBuildInfo
from godbg_tui.adapters.dlvconfig import parse_dlv_config
from godbg_tui.adapters.events import Phase
from godbg_tui.adapters.session import DebugSession, SessionError

# ---------------------------------------------------------------------------------------------
# Delve's SubstitutePath semantics (pkg/locspec/locations.go, Documentation/cli/substitutepath.md)


@pytest.mark.parametrize(
    ("path", "rules", "expected"),
    [
        ("/build/prog/main.go", [("/build/prog", "/home/me/prog")], "/home/me/prog/main.go"),
        ("/build/prog/main.go", [("/build/prog/", "/home/me/prog")], "/home/me/prog/main.go"),
        ("/build/prog/main.go", [("/build/prog", "/home/me/prog/")], "/home/me/prog/main.go"),
        ("/build/prog", [("/build/prog", "/home/me/prog")], "/home/me/prog"),
        # a match must end on a path separator
        ("/build/program/main.go", [("/build/prog", "/x")], "/build/program/main.go"),
        # first matching rule wins
        ("/a/b/c.go", [("/a/b", "/one"), ("/a", "/two")], "/one/c.go"),
        ("/a/z/c.go", [("/a/b", "/one"), ("/a", "/two")], "/two/z/c.go"),
        # empty from: relative paths only (e.g. -trimpath module paths)
        ("example.com/prog/main.go", [("", "/src")], "/src/example.com/prog/main.go"),
        ("/abs/main.go", [("", "/src")], "/abs/main.go"),
        # empty to: make relative
        ("/build/dir/pkg/x.go", [("/build/dir", "")], "pkg/x.go"),
        ("/build/dir/pkg/x.go", [("/build/dir/", "")], "pkg/x.go"),
        ("/nowhere/x.go", [("/build", "/src")], "/nowhere/x.go"),
    ],
)
def test_to_local_follows_delve(path, rules, expected):
    assert pathmap.to_local(path, rules) == expected


def test_to_remote_reads_rules_backwards():
    rules = [("/build/prog", "/home/me/prog"), ("/usr/lib/go", "/usr/local/go")]
    assert pathmap.to_remote("/home/me/prog/cmd/x.go", rules) == "/build/prog/cmd/x.go"
    assert pathmap.to_remote("/usr/local/go/src/fmt/print.go", rules) == "/usr/lib/go/src/fmt/print.go"
    assert pathmap.to_remote("/elsewhere/y.go", rules) == "/elsewhere/y.go"


_segment = st.text(alphabet="abcxyz._-", min_size=1, max_size=6).filter(lambda s: s not in (".", ".."))
_abs_dir = st.lists(_segment, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))


@given(remote=_abs_dir, local=_abs_dir, rest=st.lists(_segment, min_size=1, max_size=3))
def test_round_trip_through_one_rule(remote, local, rest):
    path = remote + "/" + "/".join(rest)
    rules = [(remote, local)]
    assert pathmap.to_remote(pathmap.to_local(path, rules), rules) == path


def test_merge_rules_keeps_the_first_rule_per_source():
    merged = pathmap.merge_rules([("/a", "/user")], [("/a", "/config"), ("/b", "/config")], [("/b", "/guess"), ("/c", "/guess")])
    assert merged == [("/a", "/user"), ("/b", "/config"), ("/c", "/guess")]


def test_config_file_entries_decode_in_delves_order():
    entries = msgspec.convert([{"from": "/build", "to": "/src"}, {"to": "/rel"}], list[pathmap.SubstituteRule])
    assert pathmap.rules_from_entries(entries) == [("/build", "/src"), ("", "/rel")]
    with pytest.raises(msgspec.ValidationError, match="unknown field"):
        msgspec.convert([{"form": "/typo"}], list[pathmap.SubstituteRule])


# ---------------------------------------------------------------------------------------------
# The local guess on synthetic package lists


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A local module example.com/app with a main package at cmd/app and a package util."""
    root = tmp_path / "checkout"
    (root / "cmd" / "app").mkdir(parents=True)
    (root / "util").mkdir()
    (root / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    (root / "cmd" / "app" / "main.go").write_text("package main\n")
    (root / "util" / "util.go").write_text("package util\n")
    (root / "util" / "strings.go").write_text("package util\n")
    return root


def test_local_guess_maps_module_and_goroot_and_ignores_inlined_files(checkout: Path):
    packages = [
        PackageBuildInfo(
            ImportPath="main",
            Files=["/srv/build/app/cmd/app/main.go", "/usr/lib/go/src/fmt/print.go"],  # fmt code inlined into main
        ),
        PackageBuildInfo(ImportPath="example.com/app/util", Files=["/srv/build/app/util/util.go", "/srv/build/app/util/strings.go"]),
        PackageBuildInfo(ImportPath="runtime", Files=["/usr/lib/go/src/runtime/proc.go"]),
        PackageBuildInfo(ImportPath="example.com/other", Files=["/srv/other/x.go"]),
    ]
    modules = {"example.com/app": str(checkout)}
    rules = pathmap.local_guess(packages, modules, main_import="example.com/app/cmd/app", main_root=str(checkout), goroot="/usr/local/go")
    assert rules == [("/srv/build/app", str(checkout)), ("/usr/lib/go", "/usr/local/go")]


def test_local_guess_finds_the_main_package_by_its_files_when_its_import_path_is_unknown(checkout: Path):
    packages = [PackageBuildInfo(ImportPath="main", Files=["/ci/work/app/cmd/app/main.go", "/usr/lib/go/src/os/file.go"])]
    rules = pathmap.local_guess(packages, {"example.com/app": str(checkout)}, main_import="", main_root=str(checkout))
    assert rules == [("/ci/work/app", str(checkout))]


def test_local_guess_majority_wins(checkout: Path):
    (checkout / "util" / "main.go").write_text("package util\n")  # same name as the main package's file
    packages = [
        PackageBuildInfo(ImportPath="example.com/app/util", Files=["/right/util/util.go", "/right/util/strings.go"]),
        PackageBuildInfo(ImportPath="example.com/app/cmd/app", Files=["/right/cmd/app/main.go"]),
        PackageBuildInfo(ImportPath="example.com/app/util", Files=["/wrong/util/main.go"]),
    ]
    rules = pathmap.local_guess(packages, {"example.com/app": str(checkout)}, main_import="example.com/app/cmd/app")
    assert rules == [("/right", str(checkout))]


def test_client_modules_of_a_fixture(fixture_src):
    root = str(fixture_src["prog"])
    assert pathmap.client_modules(root)["example.com/prog"] == root
    assert pathmap.module_root(os.path.join(root, "nonexistent", "deeper")) == root


def test_client_modules_without_go_falls_back_to_go_mod(checkout: Path, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert pathmap.client_modules(str(checkout)) == {"example.com/app": str(checkout)}
    assert pathmap.client_goroot() == ""


# ---------------------------------------------------------------------------------------------
# End to end with real dlv: sources moved away after the build


@pytest.fixture(scope="module")
def moved(tmp_path_factory) -> MovedBuild:
    return build_moved("prog", tmp_path_factory.mktemp("pathmap"))


def spec_for(build: MovedBuild, dlv_path) -> LaunchSpec:
    return LaunchSpec(mode="exec", program=str(build.binary), dlv_path=str(dlv_path))


async def assert_local_breakpoint_works(session: DebugSession, build: MovedBuild, line: int) -> None:
    local_main = str(build.local_dir / "main.go")
    [bp] = await session.set_breakpoint(f"{local_main}:{line}")
    assert bp.file == str(build.build_dir / "main.go")  # Delve speaks the binary's paths
    assert bp.line == line
    await session.continue_()
    assert session.phase == Phase.STOPPED
    loc = session.current_location()
    assert (loc.file, loc.line) == (str(build.build_dir / "main.go"), line)
    shown = session.map_to_local(loc.file)
    assert shown == local_main
    with open(shown) as f:
        assert "BREAK: compute-body" in f.read().splitlines()[line - 1]


@pytest.mark.parametrize("use_delve", [True, False], ids=["delve-guess", "local-guess"])
async def test_guessed_rules_resolve_local_paths(moved, dlv_path, marker_line, use_delve):
    assert not moved.build_dir.exists()
    line = marker_line("prog", "main.go", "compute-body")
    async with DebugSession(spec_for(moved, dlv_path)) as s:
        client = s.client
        assert client is not None
        missing = await pathmap.unreadable_sources(client, s.substitute_path)
        assert str(moved.build_dir / "main.go") in missing
        guess = await pathmap.guess_rules(client, s.dlv_version, str(moved.local_dir), use_delve=use_delve)
        assert (str(moved.build_dir), str(moved.local_dir)) in guess.rules, guess
        assert all(a != b for a, b in guess.rules)  # identity rules (same GOROOT) are dropped
        assert guess.methods
        s.substitute_path[:] = guess.rules
        assert await pathmap.unreadable_sources(client, s.substitute_path, under=str(moved.build_dir)) == []
        await assert_local_breakpoint_works(s, moved, line)


async def test_auto_map_adds_guessed_rules_after_the_users(moved, dlv_path):
    user_rule = ("/somewhere/else", "/tmp")
    async with DebugSession(spec_for(moved, dlv_path), substitute_path=[user_rule]) as s:
        guess = await pathmap.auto_map(s, str(moved.local_dir))
        assert guess is not None
        assert s.substitute_path[0] == user_rule
        assert (str(moved.build_dir), str(moved.local_dir)) in s.substitute_path
        assert str(moved.build_dir) in pathmap.describe_guess(guess)
        assert await pathmap.auto_map(s, str(moved.local_dir)) is None  # nothing left to map


async def test_auto_map_leaves_a_local_build_alone(go_bin, dlv_path, fixture_src):
    async with DebugSession(LaunchSpec(mode="exec", program=str(go_bin["prog"]), dlv_path=str(dlv_path))) as s:
        assert await pathmap.auto_map(s, str(fixture_src["prog"])) is None
        assert s.substitute_path == []


async def test_main_import_path_is_read_from_the_program(moved, dlv_path):
    async with DebugSession(spec_for(moved, dlv_path)) as s:
        assert s.client is not None
        assert await pathmap.main_import_path(s.client) == "example.com/prog"


async def test_guess_without_a_local_module_says_so(moved, dlv_path, tmp_path):
    async with DebugSession(spec_for(moved, dlv_path)) as s:
        assert s.client is not None
        guess = await pathmap.guess_rules(s.client, s.dlv_version, str(tmp_path))
        assert guess.rules == []
        assert "no go.mod" in guess.notes[0]


async def test_rules_from_dlv_config_resolve_break_commands(moved, dlv_path, marker_line):
    config = parse_dlv_config(f"substitute-path:\n  - {{from: {moved.build_dir}, to: {moved.local_dir}}}\n")
    line = marker_line("prog", "main.go", "compute-body")
    async with DebugSession(spec_for(moved, dlv_path), substitute_path=config.substitute_path) as s:
        interp = CommandInterpreter(s, cwd=str(moved.local_dir))
        out = await interp.execute(f"break {moved.local_dir}/main.go:{line}")
        assert f"main.go:{line}" in out.output
        out = await interp.execute("continue")
        assert s.current_location().line == line
        assert f"./main.go:{line}" in out.output  # shown by local path, relative to the checkout
        assert os.path.isfile(s.map_to_local(s.current_location().file))


async def test_without_rules_local_paths_do_not_resolve(moved, dlv_path, marker_line):
    line = marker_line("prog", "main.go", "compute-body")
    async with DebugSession(spec_for(moved, dlv_path)) as s:
        with pytest.raises(SessionError):
            await s.set_breakpoint(f"{moved.local_dir}/main.go:{line}")
        assert not os.path.exists(s.map_to_local(str(moved.build_dir / "main.go")))

