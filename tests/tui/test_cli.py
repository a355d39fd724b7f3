"""The command line without a terminal: argparse, and what each mode decides (LaunchSpec,
SshRequest, theme, ASCII, settings) before anything starts; config and completion commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from godbg_tui.adapters.store import Config, load_config
from godbg_tui.tui import cli
from godbg_tui.tui.cli import build_parser, main, make_plan, split_program_args


@pytest.fixture(autouse=True)
def _own_config_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Config files (ours and dlv's) come from a scratch XDG dir, never the user's."""
    xdg = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(xdg))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return xdg


def plan_for(argv: list[str], env: dict[str, str] | None = None):
    own, program_args = split_program_args(argv)
    return make_plan(build_parser().parse_args(own), program_args, {"LANG": "en_US.UTF-8", **(env or {})})


def test_display_options_before_or_after_the_mode(go_bin):
    prog = str(go_bin["prog"])
    for argv in (["--theme", "godbg-light", "--ascii", "--pprof", "http://127.0.0.1:6060", "exec", prog],
                 ["exec", prog, "--theme", "godbg-light", "--ascii", "--pprof", "http://127.0.0.1:6060"]):
        plan = plan_for(argv)
        assert plan.spec.mode == "exec" and plan.spec.program == prog
        assert plan.theme == "godbg-light" and plan.config.theme == "godbg-light"
        assert plan.ascii_only is True
        assert plan.settings.pprof_url == "http://127.0.0.1:6060"


def test_theme_and_ascii_follow_the_terminal(go_bin):
    prog = str(go_bin["prog"])
    assert plan_for(["exec", prog], {"NO_COLOR": "1"}).theme == "godbg-mono"
    assert plan_for(["exec", prog], {"TERM": "linux"}).theme == "godbg-16"
    assert plan_for(["exec", prog]).theme == "godbg-dark"
    assert plan_for(["exec", prog], {"LANG": "C"}).ascii_only is True
    assert plan_for(["exec", prog, "--no-ascii"], {"LANG": "C"}).ascii_only is False


def test_unknown_theme_on_the_command_line_is_an_error(go_bin, capsys):
    assert main(["exec", str(go_bin["prog"]), "--theme", "solarised"]) == 2
    err = capsys.readouterr().err
    assert "--theme: no theme 'solarised'" in err and "godbg-high-contrast" in err


def test_config_toml_feeds_the_plan(go_bin, _own_config_dirs: Path):
    path = _own_config_dirs / "godbg-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('theme = "godbg-high-contrast"\nascii = "on"\nmax_string_len = 500\n'
                    'substitute_path = [{from = "/build", to = "/src"}]\n')
    plan = plan_for(["exec", str(go_bin["prog"])], {"NO_COLOR": "1"})
    assert plan.theme == "godbg-high-contrast"  # the user's choice beats NO_COLOR
    assert plan.ascii_only and plan.settings.max_string_len == 500
    assert plan.settings.substitute_path == (("/build", "/src"),)


def test_gctrace_and_pprof_reach_the_settings(go_bin, _own_config_dirs: Path, capsys):
    path = _own_config_dirs / "godbg-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text("gctrace = true\n")
    plan = plan_for(["exec", str(go_bin["prog"]), "--pprof", "127.0.0.1:6060"])
    assert plan.settings.gctrace and plan.settings.pprof_url == "http://127.0.0.1:6060"
    path.write_text("gctrace = false\n")
    assert not plan_for(["exec", str(go_bin["prog"])]).settings.gctrace
    assert main(["exec", str(go_bin["prog"]), "--pprof", "http://[::1"]) == 2
    assert "--pprof:" in capsys.readouterr().err


def test_broken_config_toml_stops_with_the_file_named(go_bin, _own_config_dirs: Path, capsys):
    path = _own_config_dirs / "godbg-tui" / "config.toml"
    path.parent.mkdir(parents=True)
    path.write_text('ascii = "sometimes"\n')
    assert main(["exec", str(go_bin["prog"])]) == 2
    assert str(path) in capsys.readouterr().err


def test_broken_dlv_config_is_a_warning_and_its_aliases_arrive(go_bin, _own_config_dirs: Path):
    dlv = _own_config_dirs / "dlv" / "config.yml"
    dlv.parent.mkdir(parents=True)
    dlv.write_text("aliases:\n  print: [pp]\nmax-array-values: 12\n")
    plan = plan_for(["exec", str(go_bin["prog"])])
    assert plan.settings.aliases == {"pp": "print"} and plan.settings.max_array_values == 12
    dlv.write_text("max-string-len: lots\n")
    plan = plan_for(["exec", str(go_bin["prog"])])
    assert any("config.yml:1" in w and "max-string-len" in w for w in plan.settings.warnings)


# ----- ssh -----


def test_ssh_attach_builds_the_request():
    plan = plan_for(["ssh", "-p", "2222", "-i", "/k/id", "-o", "StrictHostKeyChecking=no", "deploy@10.0.0.7", "attach", "4242",
                     "--source", "."])
    req = plan.ssh
    assert (req.destination, req.mode, req.pid, req.program) == ("deploy@10.0.0.7", "attach", 4242, None)
    assert req.ssh_options == ("-p", "2222", "-i", "/k/id", "-o", "StrictHostKeyChecking=no")
    assert plan.spec is None
    assert plan.settings.guess_paths and plan.settings.source_root == str(Path(".").resolve())


def test_ssh_exec_passes_program_arguments():
    plan = plan_for(["ssh", "host", "exec", "/srv/bin/server", "--remote-wd", "/srv", "--", "-port", "8080"])
    assert (plan.ssh.mode, plan.ssh.program, plan.ssh.args, plan.ssh.wd) == ("exec", "/srv/bin/server", ("-port", "8080"), "/srv")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["ssh", "host", "attach", "0"], "PID must be a positive number"),
        (["ssh", "host", "attach", "12", "--", "-v"], "attach takes only a pid"),
        (["ssh", "host", "detach", "12"], "invalid choice"),
        (["ssh", "host", "attach", "12", "--source", "/no/such/dir"], "--source /no/such/dir"),
    ],
)
def test_ssh_bad_input(argv, words, capsys):
    assert main(argv) == 2
    assert words in capsys.readouterr().err


# ----- vscode -----


LAUNCH_JSON = """{
  // comments and trailing commas, as VS Code allows
  "version": "0.2.0",
  "configurations": [
    {"name": "Launch prog", "type": "go", "request": "launch", "mode": "exec",
     "program": "${workspaceFolder}/bin/prog", "args": ["-exit", "3"],
     "substitutePath": [{"from": "${workspaceFolder}", "to": "/build/src"}],},
    {"name": "Attach remote", "type": "go", "request": "attach", "mode": "remote", "host": "127.0.0.1", "port": 4040},
    {"name": "Node thing", "type": "node", "request": "launch"},
  ],
}
"""


@pytest.fixture
def project(tmp_path: Path, go_bin, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "proj"
    (root / ".vscode").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "bin" / "prog").symlink_to(go_bin["prog"])
    (root / ".vscode" / "launch.json").write_text(LAUNCH_JSON)
    monkeypatch.chdir(root)
    return root


def test_vscode_without_name_lists_the_go_configurations(project: Path, capsys):
    assert main(["vscode"]) == 0
    out = capsys.readouterr().out
    assert "Launch prog" in out and "Attach remote" in out and "Node thing" not in out
    assert main(["vscode", "--list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["Launch prog", "Attach remote"]


def test_vscode_unknown_name_names_the_choices(project: Path, capsys):
    assert main(["vscode", "Launch prod"]) == 2
    err = capsys.readouterr().err
    assert "no Go configuration named 'Launch prod'" in err and "'Launch prog'" in err


def test_vscode_configuration_becomes_the_plan(project: Path):
    plan = plan_for(["vscode", "Launch prog"])
    assert plan.spec.mode == "exec" and plan.spec.program == str(project / "bin" / "prog")
    assert plan.spec.args == ("-exit", "3")
    assert plan.settings.substitute_path == (("/build/src", str(project)),)  # flipped to Delve's order
    remote = plan_for(["vscode", "Attach remote"])
    assert (remote.spec.mode, remote.spec.address) == ("connect", "127.0.0.1:4040")
    assert remote.settings.guess_paths and remote.settings.source_root == str(project)


def test_vscode_dry_run_prints_and_starts_nothing(project: Path, capsys):
    assert main(["vscode", "--dry-run", "Launch prog"]) == 0
    out = capsys.readouterr().out
    assert "Launch prog: exec" in out and "args: -exit 3" in out and "substitute-path: /build/src" in out


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('{"configurations": [', "launch.json"),
        ('{"configurations": [{"name": "x", "type": "python"}]}', "has no Go configuration"),
        ("[1, 2]", "launch.json"),
    ],
)
def test_vscode_bad_launch_json(text: str, words: str, tmp_path: Path, capsys):
    bad = tmp_path / "launch.json"
    bad.write_text(text)
    assert main(["vscode", "--launch-json", str(bad), "x"]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_vscode_missing_launch_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["vscode"]) == 2
    assert "no .vscode/launch.json" in capsys.readouterr().err


# ----- completion, config, help -----


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_name_the_new_modes(shell: str, capsys):
    assert main(["completion", shell]) == 0
    out = capsys.readouterr().out
    for word in ("ssh", "vscode", "completion", "theme", "ascii", "pprof"):  # fish writes -l theme
        assert word in out, word


def test_config_path_and_write_default(_own_config_dirs: Path, capsys):
    path = _own_config_dirs / "godbg-tui" / "config.toml"
    assert main(["config", "--path"]) == 0
    assert capsys.readouterr().out.strip() == str(path)
    assert main(["config", "--write-default"]) == 0
    assert load_config(path) == Config()  # the commented default is the default
    assert "theme" in path.read_text() and "substitute_path" in path.read_text()
    path.write_text('theme = "godbg-16"\n')
    assert main(["config", "--write-default"]) == 2
    assert "--force" in capsys.readouterr().err and path.read_text() == 'theme = "godbg-16"\n'
    assert main(["config", "--write-default", "--force"]) == 0
    assert load_config(path) == Config()


def test_config_needs_an_action(capsys):
    assert main(["config"]) == 2


def test_help_has_examples_for_every_mode(capsys):
    for mode in (*cli.MODES, *cli.TOOLS):
        with pytest.raises(SystemExit):
            main([mode, "--help"])
        out = capsys.readouterr().out
        assert "examples:" in out and f"godbg-tui {mode}" in out, mode
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(f"godbg-tui {mode}" in out for mode in cli.MODES)


def test_no_check_go_version_reaches_the_spec(go_bin, _own_config_dirs: Path):
    assert plan_for(["exec", str(go_bin["prog"])]).spec.check_go_version
    assert not plan_for(["exec", str(go_bin["prog"]), "--no-check-go-version"]).spec.check_go_version


def test_a_prestarted_dlv_is_stopped_when_the_app_fails_to_start(go_bin, monkeypatch: pytest.MonkeyPatch):
    """dlv starts before the app's modules are imported; an app that never gets to its
    session must not leave that dlv, or the program it launched, behind."""
    from godbg_tui.adapters.dlv import launcher

    spawned: list[launcher.DlvServer] = []
    real_prestart = launcher.prestart_dlv

    async def prestart_dlv(spec):
        server = await real_prestart(spec)
        spawned.append(server)
        return server

    def broken_app(plan, spec):
        raise RuntimeError("the app could not be built")

    monkeypatch.setattr(cli, "prestart_dlv", prestart_dlv)
    monkeypatch.setattr(cli, "make_app", broken_app)
    plan = plan_for(["exec", str(go_bin["prog"])])
    with pytest.raises(RuntimeError, match="could not be built"):
        cli._run_on_own_loop(plan)
    assert len(spawned) == 1 and spawned[0].pid
    assert spawned[0].exit_code is not None, "dlv was stopped"
    assert not launcher._prestarted


def test_start_up_runs_without_the_cyclic_collector_and_leaves_it_on(capsys):
    """main() turns the collector off for the start-up; whatever way it returns, it is on
    again (in-process callers such as these tests must not be left without it)."""
    import gc

    assert main(["bogus"]) == 2
    assert gc.isenabled()
    gc.disable()
    try:
        cli._collect_from_now_on()
        assert gc.isenabled() and gc.get_freeze_count() > 0, "start-up objects frozen, collector on"
    finally:
        gc.unfreeze()
        gc.enable()
