"""Bad command lines: each refused with a message that says what is wrong and what to do.

``godbg-tui: error: …`` and exit status 2 before anything starts, for everything that
can be known up front; what only dlv or the compiler can know (a package that does not
build, a pid that is gone, a test regex that matches nothing) is said in the app, with
the tool's own output at hand. Already covered in tests/tui/test_app.py: unknown mode,
missing BIN/CORE, non-numeric PID, a missing program, a malformed connect address,
build flags outside debug/test, -- args for attach, a non-loopback --listen, a missing
or unreadable --init file.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from gofixtures import go_env

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.events import Message
from godbg_tui.adapters.session import DebugSession
from godbg_tui.tui import cli

pytestmark = pytest.mark.timeout(90)


@pytest.fixture(scope="module")
def stripped(fixture_src, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("stripped") / "attachee"
    subprocess.run(["go", "build", "-ldflags=-s -w", "-o", str(out), "."], cwd=fixture_src["attachee"], env=go_env(), check=True)
    return out


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def refused(argv: list[str], capsys) -> str:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "godbg-tui: error: " in err
    return err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["attach", "0"], "PID must be a positive number, got '0'"),
        (["attach", "-7"], "PID must be a positive number, got '-7'"),
        (["attach", "4242", "a", "b"], "unrecognized arguments: b"),
        (["connect"], "the following arguments are required: ADDR"),
        (["connect", "127.0.0.1:4040", "--listen", "127.0.0.1:5050"], "--listen does not apply"),
        (["debug", "--listen", "nonsense"], "listen address 'nonsense' is not an address"),
        (["debug", "--listen", "127.0.0.1:99999"], "is not an address"),
        (["debug", "--listen", "unix:"], "has an empty socket path"),
        (["debug", "--listen", "[::]:4040"], "refusing to listen on non-loopback address"),
        (["test", "-run", "^TestX$", "--wd", "/nonexistent/dir"], "--wd /nonexistent/dir: no such directory"),
        (["exec", "--init"], "expected one argument"),
        (["frobnicate", "--help"], "unknown mode 'frobnicate'"),
    ],
)
def test_refused_before_anything_starts(argv, message, capsys):
    assert message in refused(argv, capsys)


def test_what_to_do_is_part_of_the_message(capsys):
    err = refused(["debug", "--listen", "0.0.0.0:4040"], capsys)
    assert "--allow-non-loopback" in err and "SSH tunnel" in err
    err = refused(["connect", "nohost"], capsys)
    assert "host:port" in err and "unix:/path" in err


def test_a_directory_as_the_program(tmp_path, capsys):
    err = refused(["exec", str(tmp_path)], capsys)
    assert "is a directory" in err and "debug mode" in err


def test_a_program_that_is_not_executable(go_bin, tmp_path, capsys):
    copy = tmp_path / "prog"
    shutil.copy(go_bin["prog"], copy)
    copy.chmod(0o644)
    err = refused(["exec", str(copy)], capsys)
    assert "is not executable" in err and f"chmod +x {copy}" in err


def test_a_program_that_is_not_go(capsys):
    err = refused(["exec", shutil.which("true") or "/bin/true"], capsys)
    assert "is not a Go program" in err and "go build" in err


def test_a_script_as_the_program(tmp_path, capsys):
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o755)
    err = refused(["exec", str(script)], capsys)
    assert "is not an ELF executable" in err and "debug mode" in err


def test_a_stripped_program(stripped, capsys):
    err = refused(["exec", str(stripped)], capsys)
    assert "has no debug information" in err and "-ldflags='-s -w'" in err


def test_core_mode_checks_both_files(go_bin, tmp_path, capsys):
    assert "core file" in refused(["core", str(go_bin["prog"]), str(tmp_path / "core.1")], capsys)
    assert "does not exist" in refused(["core", str(tmp_path / "nobin"), str(go_bin["prog"])], capsys)


def test_an_init_file_that_is_a_directory_or_not_text(go_bin, tmp_path, capsys):
    err = refused(["exec", str(go_bin["prog"]), "--init", str(tmp_path)], capsys)
    assert f"cannot read --init file {tmp_path}" in err
    binary = tmp_path / "init.bin"
    binary.write_bytes(b"break main.main\n\xff\xfe\x00")
    assert "it is not UTF-8 text" in refused(["exec", str(go_bin["prog"]), "--init", str(binary)], capsys)


def test_a_broken_config_file_is_named(go_bin, tmp_path, capsys):
    config = tmp_path / "config" / "godbg-tui" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('theme = "unterminated\n')
    err = refused(["exec", str(go_bin["prog"])], capsys)
    assert str(config) in err and "not valid TOML" in err


# ---------------------------------------------------------------------------------------------
# Known only once dlv or the compiler has run: said by the session (and shown by the app,
# see test_bad_input_app.py).


async def test_a_test_regex_that_matches_nothing_is_said(fixture_src, dlv_path):
    seen: list = []
    session = DebugSession(LaunchSpec("test", program=str(fixture_src["testpkg"]), test_run="^TestNoSuch$", dlv_path=str(dlv_path)))
    session.subscribe(seen.append)
    async with session as s:
        await s.continue_()
        assert s.exit_status == 0
    warnings = [e.text for e in seen if isinstance(e, Message) and e.level == "warning"]
    assert any("matches -run '^TestNoSuch$': nothing ran" in w and "go test -list" in w for w in warnings), warnings
