"""launch.json: JSON with comments, VS Code's variables, each Go mode turned into a LaunchSpec,
clear errors for what cannot run, and a configuration run end to end under real dlv."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from remote_support import build_moved

from godbg_tui.adapters import vscode
from godbg_tui.adapters.events import Phase
from godbg_tui.adapters.session import DebugSession
from godbg_tui.adapters.vscode import VscodeConfigError, load_configuration, strip_jsonc

LAUNCH = """{
    // Use IntelliSense to learn about possible attributes.
    "version": "0.2.0",
    "configurations": [
        {
            "name": "Launch Package",
            "type": "go",
            "request": "launch",
            "mode": "auto",
            "program": "${workspaceFolder}/cmd/app",   // trailing comment
            "args": ["-v", "--name=${workspaceFolderBasename}",],
            "env": {"APP_MODE": "dev", "HOME_DIR": "${userHome}", "FROM_ENV": "${env:GODBG_VSCODE_TEST}"},
            "buildFlags": ["-tags=dev", "-ldflags=-X main.v=1 -X main.w=2"],
            /* block
               comment */
            "substitutePath": [{"from": "${workspaceFolder}", "to": "/build/app"},],
        },
        {"name": "Tests", "type": "go", "request": "launch", "mode": "test", "program": "./util/util_test.go",
         "args": "-test.run 'TestA|TestB' -test.v", "stopOnEntry": true},
        {"name": "Binary", "type": "go", "request": "launch", "mode": "exec", "program": "bin/app", "cwd": "run",
         "envFile": "${workspaceFolder}/.env", "env": {"B": "from-env"}},
        {"name": "Core", "type": "go", "request": "launch", "mode": "core", "program": "bin/app", "coreFilePath": "core.1"},
        {"name": "Remote", "type": "go", "request": "attach", "mode": "remote", "host": "10.1.2.3", "port": 2345,
         "substitutePath": [{"from": "/home/me/app", "to": "/src"}]},
        {"name": "Legacy remote", "type": "go", "request": "attach", "mode": "remote", "port": "4040",
         "remotePath": "/go/src/app", "cwd": "${workspaceFolder}"},
        {"name": "Attach pid", "type": "go", "request": "attach", "mode": "local", "processId": 4242,
         "preLaunchTask": "build", "dlvFlags": ["--check-go-version=false"]},
        {"name": "Node thing", "type": "node", "request": "launch"},
    ],
}
"""


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "ws"
    (root / ".vscode").mkdir(parents=True)
    (root / "cmd" / "app").mkdir(parents=True)
    (root / "util").mkdir()
    (root / "bin").mkdir()
    (root / "run").mkdir()
    (root / "util" / "util_test.go").write_text("package util\n")
    (root / ".vscode" / "launch.json").write_text(LAUNCH)
    (root / ".env").write_text('# comment\nexport A="quoted\\nnewline"\nB=from-file\nC=${A}-ref\nD=\'single\'\n')
    monkeypatch.setenv("GODBG_VSCODE_TEST", "env-value")
    return root


def load(workspace: Path, name: str | None, **kw) -> vscode.VscodeLaunch:
    return load_configuration(str(workspace / ".vscode" / "launch.json"), name, **kw)


def test_jsonc_keeps_positions_and_strings():
    text = '{"a": "// not a comment", /* c */ "b": [1, 2,], // end\n "c": "/* nor this */",}'
    stripped = strip_jsonc(text)
    assert len(stripped) == len(text)
    assert json.loads(stripped) == {"a": "// not a comment", "b": [1, 2], "c": "/* nor this */"}
    assert json.loads(strip_jsonc('{"q": "a \\" , ]", }')) == {"q": 'a " , ]'}


def test_launch_auto_package(workspace: Path):
    launch = load(workspace, "Launch Package")
    spec = launch.spec
    assert spec.mode == "debug"
    assert spec.program == str(workspace / "cmd" / "app")
    assert spec.wd == str(workspace / "cmd" / "app")  # VS Code: the program's folder by default
    assert spec.args == ("-v", "--name=ws")
    assert spec.env == {"APP_MODE": "dev", "HOME_DIR": os.path.expanduser("~"), "FROM_ENV": "env-value"}
    assert spec.build_flags == "-tags=dev '-ldflags=-X main.v=1 -X main.w=2'"
    assert launch.substitute_path == (("/build/app", str(workspace)),)  # flipped into Delve's order
    assert launch.stop_at_main and launch.warnings == ()


def test_test_file_becomes_its_package_and_args_string_is_split(workspace: Path):
    launch = load(workspace, "Tests")
    assert launch.spec.mode == "test"
    assert launch.spec.program == str(workspace / "util")
    assert launch.spec.args == ("-test.run", "TestA|TestB", "-test.v")
    assert launch.stop_at_main is False


def test_exec_with_env_file_cwd_and_core(workspace: Path):
    spec = load(workspace, "Binary").spec
    assert (spec.mode, spec.program, spec.wd) == ("exec", str(workspace / "bin" / "app"), str(workspace / "run"))
    assert spec.env == {"A": "quoted\nnewline", "B": "from-env", "C": "quoted\nnewline-ref", "D": "single"}
    core = load(workspace, "Core").spec
    assert (core.mode, core.program, core.core) == ("core", str(workspace / "bin" / "app"), str(workspace / "core.1"))


def test_attach_remote_and_local(workspace: Path):
    remote = load(workspace, "Remote")
    assert (remote.spec.mode, remote.spec.address) == ("connect", "10.1.2.3:2345")
    assert remote.substitute_path == (("/src", "/home/me/app"),)
    legacy = load(workspace, "Legacy remote")
    assert legacy.spec.address == "127.0.0.1:4040"
    assert legacy.substitute_path == (("/go/src/app", str(workspace)),)
    local = load(workspace, "Attach pid")
    assert (local.spec.mode, local.spec.pid) == ("attach", 4242)
    assert any("dlvFlags is not applied" in w for w in local.warnings)
    assert any("preLaunchTask" in w for w in local.warnings)


def test_names_and_choosing(workspace: Path):
    path = str(workspace / ".vscode" / "launch.json")
    assert vscode.configuration_names(path)[:2] == ["Launch Package", "Tests"]
    assert "Node thing" not in vscode.configuration_names(path)
    with pytest.raises(VscodeConfigError, match="has 7 Go configurations; say which one") as info:
        load(workspace, None)
    assert "'Launch Package'" in info.value.hint
    with pytest.raises(VscodeConfigError, match="no Go configuration named 'Nope'"):
        load(workspace, "Nope")
    assert vscode.find_launch_json(str(workspace / "cmd" / "app")) == path


def write(workspace: Path, configurations: list | str) -> str:
    path = workspace / ".vscode" / "launch.json"
    text = configurations if isinstance(configurations, str) else json.dumps({"configurations": configurations})
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize(
    ("config", "words"),
    [
        ({"processId": "${command:pickProcess}", "request": "attach", "mode": "local"}, "process picker"),
        ({"request": "launch", "mode": "debug", "program": "${file}"}, "--file PATH"),
        ({"request": "launch", "mode": "debug", "program": "${input:prog}"}, "needs VS Code"),
        ({"request": "launch", "mode": "debug", "program": "${nonsense}"}, "unknown variable"),
        ({"request": "launch", "mode": "replay", "program": "x"}, "replay"),
        ({"request": "launch", "mode": "debug", "program": ".", "port": 2345}, "dlv dap"),
        ({"request": "launch", "mode": "debug"}, "program is missing"),
        ({"request": "launch", "mode": "core", "program": "x"}, "coreFilePath"),
        ({"request": "attach", "mode": "local"}, "processId is missing"),
        ({"request": "attach", "mode": "remote"}, "needs the port"),
        ({"request": "launch", "mode": "debug", "program": ".", "args": 3}, "args must be a list"),
        ({"request": "launch", "mode": "debug", "program": ".", "args": "'unclosed"}, "args: No closing quotation"),
        ({"request": "launch", "mode": "debug", "program": ".", "env": ["A=1"]}, "env must be an object"),
        ({"request": "launch", "mode": "debug", "program": ".", "substitutePath": {"from": "a"}}, "substitutePath must be a list"),
        ({"request": "launch", "mode": "debug", "program": ".", "envFile": "missing.env"}, "cannot read envFile"),
        ({"request": "bogus"}, "request must be"),
    ],
)
def test_configurations_that_cannot_run_say_why(workspace: Path, config: dict, words: str):
    write(workspace, [{"name": "X", "type": "go", **config}])
    with pytest.raises(VscodeConfigError) as info:
        load(workspace, "X")
    assert "configuration 'X'" in str(info.value)
    assert words in str(info.value)


def test_a_variable_in_an_ignored_attribute_does_no_harm(workspace: Path):
    write(workspace, [{"name": "X", "type": "go", "request": "launch", "program": ".", "preLaunchTask": "${input:task}"}])
    assert load(workspace, "X").spec.mode == "debug"


def test_program_may_be_an_import_path(workspace: Path):
    write(workspace, [{"name": "X", "type": "go", "request": "launch", "mode": "debug", "program": "example.com/app/cmd/app"}])
    spec = load(workspace, "X").spec
    assert (spec.program, spec.wd) == ("example.com/app/cmd/app", None)


def test_file_variables_with_a_current_file(workspace: Path):
    write(workspace, [{"name": "X", "type": "go", "request": "launch", "mode": "auto", "program": "${file}", "cwd": "${fileDirname}"}])
    launch = load(workspace, "X", current_file=str(workspace / "util" / "util_test.go"))
    assert (launch.spec.mode, launch.spec.program, launch.spec.wd) == ("test", str(workspace / "util"), str(workspace / "util"))


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"configurations": [\n  {"name": "a",\n   "type" "go"}]}', ":3:11: Expecting ':' delimiter"),
        ('{"configurations": [] /* open', "unterminated /* comment"),
        ('[1, 2]', 'expected an object with a "configurations" list'),
        ('{"configurations": {"a": 1}}', 'expected an object with a "configurations" list'),
    ],
)
def test_bad_json_is_located(workspace: Path, text: str, where: str):
    path = write(workspace, text)
    with pytest.raises(VscodeConfigError) as info:
        load(workspace, None)
    assert str(info.value).startswith(path)
    assert where in str(info.value)


def test_no_go_configurations_and_no_file(workspace: Path, tmp_path: Path):
    write(workspace, [{"name": "n", "type": "node", "request": "launch"}])
    with pytest.raises(VscodeConfigError, match=r'no Go configuration \("type": "go"\) \(it has: node\)'):
        load(workspace, None)
    with pytest.raises(VscodeConfigError, match="no .vscode/launch.json"):
        vscode.find_launch_json(str(tmp_path / "elsewhere"))


def test_process_id_by_name(workspace: Path, go_bin, tmp_path: Path):
    unique = tmp_path / f"vscode-attachee-{os.getpid()}"
    shutil.copy(go_bin["attachee"], unique)
    process = subprocess.Popen([str(unique)], stdout=subprocess.DEVNULL)
    try:
        write(workspace, [{"name": "X", "type": "go", "request": "attach", "mode": "local", "processId": unique.name}])
        assert load(workspace, "X").spec.pid == process.pid
        write(workspace, [{"name": "X", "type": "go", "request": "attach", "mode": "local", "processId": "no-such-proc-xyz"}])
        with pytest.raises(VscodeConfigError, match="no running process is named 'no-such-proc-xyz'"):
            load(workspace, "X")
    finally:
        process.kill()
        process.wait()


async def test_configuration_runs_with_its_substitute_path(tmp_path: Path, dlv_path, marker_line, monkeypatch):
    """launch.json of a checkout whose binary was built elsewhere: breakpoints by local path work."""
    monkeypatch.setenv("GODBG_DLV", str(dlv_path))
    moved = build_moved("prog", tmp_path)
    workspace = tmp_path / "checkout"
    shutil.copytree(moved.local_dir, workspace)
    (workspace / ".vscode").mkdir()
    (workspace / ".vscode" / "launch.json").write_text(
        "{ // as VS Code writes it\n"
        '"configurations": [{"name": "prog", "type": "go", "request": "launch", "mode": "exec",\n'
        f' "program": "{moved.binary}", "args": ["-deep", "3"],\n'
        f' "substitutePath": [{{"from": "${{workspaceFolder}}", "to": "{moved.build_dir}"}}],}},]}}\n'
    )
    launch = load(workspace, "prog")
    line = marker_line("prog", "main.go", "compute-body")
    async with DebugSession(launch.spec, substitute_path=launch.substitute_path, stop_at_main=launch.stop_at_main) as s:
        await s.set_breakpoint(f"{workspace}/main.go:{line}")
        await s.continue_()
        assert s.phase == Phase.STOPPED
        loc = s.current_location()
        assert (loc.file, loc.line) == (str(moved.build_dir / "main.go"), line)
        assert s.map_to_local(loc.file) == str(workspace / "main.go")
        value = await s.eval("os.Args")
        assert [c.value for c in value.children][1:] == ["-deep", "3"]
