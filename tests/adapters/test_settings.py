"""effective_settings: command line > config.toml > dlv's config.yml > defaults."""

from __future__ import annotations

import msgspec
import pytest
from remote_support import MovedBuild, build_moved

from godbg_tui.adapters.commands import CommandInterpreter
from godbg_tui.adapters.dlv.client import LONG_LOAD
from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.dlvconfig import parse_dlv_config
from godbg_tui.adapters.session import DebugSession
from godbg_tui.adapters.settings import Settings, effective_settings, map_sources_at_first_stop
from godbg_tui.adapters.store import Config

DLV_YML = """\
substitute-path:
  - {from: /build, to: /from-dlv}
  - {from: /vendor-src, to: /dlv-vendor}
aliases:
  step: [s2]
  print: [pp]
  checkpoint: [cp]
max-string-len: 300
max-array-values: 70
max-variable-recurse: 2
source-list-line-count: 9
"""


def _config(**fields) -> Config:
    return msgspec.convert(fields, Config)


def test_defaults_without_any_config():
    s = effective_settings(Config(), parse_dlv_config("", "config.yml"))
    assert (s.max_string_len, s.max_array_values, s.max_variable_recurse) == (
        LONG_LOAD.MaxStringLen, LONG_LOAD.MaxArrayValues, LONG_LOAD.MaxVariableRecurse,
    )
    assert s.substitute_path == () and s.aliases == {} and s.warnings == ()
    assert s.auto_resume_after is None and not s.guess_paths


def test_dlv_config_fills_what_config_toml_leaves_unset():
    s = effective_settings(_config(max_string_len=1000), parse_dlv_config(DLV_YML, "/home/u/.config/dlv/config.yml"))
    assert s.max_string_len == 1000  # ours wins
    assert s.max_array_values == 70  # dlv's, ours is 0 (unset)
    assert s.max_variable_recurse == 2 and s.source_list_line_count == 9
    assert s.load_config().MaxStringLen == 1000 and s.load_config().MaxArrayValues == 70


def test_path_rules_command_line_then_toml_then_dlv():
    config = _config(substitute_path=[{"from": "/build", "to": "/from-toml"}, {"from": "/gen", "to": "/toml-gen"}])
    s = effective_settings(config, parse_dlv_config(DLV_YML, "c.yml"), user_rules=[("/gen", "/from-cli")])
    assert s.substitute_path == (
        ("/gen", "/from-cli"),
        ("/build", "/from-toml"),
        ("/vendor-src", "/dlv-vendor"),
    )


def test_aliases_for_commands_we_lack_are_dropped_with_a_warning():
    s = effective_settings(Config(), parse_dlv_config(DLV_YML, "c.yml"))
    assert s.aliases == {"s2": "step", "pp": "print"}
    assert len(s.warnings) == 1 and "'cp'" in s.warnings[0] and "checkpoint" in s.warnings[0]


def test_remote_modes_guess_paths_and_carry_the_source_root(tmp_path):
    for mode, guess in (("connect", True), ("ssh", True), ("exec", False), (None, False)):
        s = effective_settings(Config(), parse_dlv_config("", "c.yml"), mode=mode, source_root=str(tmp_path))
        assert s.guess_paths is guess
        assert s.source_root == str(tmp_path)


def test_auto_resume_and_pprof_url():
    s = effective_settings(_config(auto_resume_after=45), parse_dlv_config("", "c.yml"), pprof_url="http://127.0.0.1:6060")
    assert s.auto_resume_after == 45.0 and s.pprof_url == "http://127.0.0.1:6060"


async def test_apply_reaches_the_interpreter():
    session = DebugSession(LaunchSpec(mode="connect", address="127.0.0.1:1"))
    interp = CommandInterpreter(session, aliases={"pp": "print"})
    s = effective_settings(_config(max_array_values=5), parse_dlv_config(DLV_YML, "c.yml"))
    s.apply(interp)
    assert interp.max_array_values == 5 and interp.max_string_len == 300
    assert interp.source_list_line_count == 9
    assert interp.aliases == {"s2": "step", "pp": "print"}
    listing = (await interp.execute("config -list")).output
    assert "max-array-values         5" in listing and "max-string-len           300" in listing


@pytest.fixture(scope="module")
def moved(tmp_path_factory) -> MovedBuild:
    return build_moved("prog", tmp_path_factory.mktemp("settings-moved"))


async def test_first_stop_maps_sources_in_remote_modes_only(moved: MovedBuild, dlv_path):
    spec = LaunchSpec(mode="exec", program=str(moved.binary), dlv_path=str(dlv_path))
    local = effective_settings(Config(), parse_dlv_config("", "c.yml"), mode="exec", source_root=str(moved.local_dir))
    remote = effective_settings(Config(), parse_dlv_config("", "c.yml"), mode="connect", source_root=str(moved.local_dir),
                                user_rules=[("/elsewhere", "/tmp")])
    async with DebugSession(spec, substitute_path=remote.substitute_path) as s:
        assert await map_sources_at_first_stop(s, local) is None
        assert s.substitute_path == [("/elsewhere", "/tmp")]
        note = await map_sources_at_first_stop(s, remote)
        assert note is not None and str(moved.build_dir) in note and str(moved.local_dir) in note
        assert s.substitute_path[0] == ("/elsewhere", "/tmp")  # the user's rule keeps priority
        assert s.map_to_local(str(moved.build_dir / "main.go")) == str(moved.local_dir / "main.go")
        assert await map_sources_at_first_stop(s, remote) is None  # nothing left to map
