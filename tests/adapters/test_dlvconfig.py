"""dlv's config.yml: the YAML subset reader checked against dlv itself (which reads the same
files with yaml.v3), and the errors for files it cannot use."""

from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path

import pytest

from godbg_tui.adapters.commands import find_command
from godbg_tui.adapters.dlvconfig import DlvConfig, DlvConfigError, dlv_config_path, load_dlv_config, parse_dlv_config

VALID = {
    "dlv-default": None,  # filled from the file dlv writes on first run
    "block-list-of-maps": """
substitute-path:
  - from: /build/prog
    to: /home/me/prog   # a comment
  - from: "/with space"
    to: '/it''s here'
max-string-len: 128
""",
    "flow-maps-and-relative": """
substitute-path:
- {from: "", to: /src/rel}
- {from: /make/relative, to: ""}
- {from: "/quoted \\"dq\\" #not-a-comment", to: /x}
- { from: /nulls, to: ~ }
""",
    "aliases-both-styles": """
aliases:
  next: [n2, "nn"]
  step:
    - s2
  continue: [cc]
max-array-values: 32
max-variable-recurse: 2
source-list-line-count: 7
""",
    "flow-list-over-lines": """
substitute-path: [{from: /a, to: /b},
   {from: /c, to: /d}]
""",
    "unknown-keys-with-exotic-yaml": """---
prompt: |
  literal block & *stuff
debug-info-directories: [a, b]
source-list-line-color: "\\x1b[34m"
substitute-path:
  - {from: /keep, to: /me}
""",
    "empty": "",
    "only-comments": "# nothing here\n\n   # really\n",
    "crlf": "substitute-path:\r\n  - {from: /w, to: /x}\r\nmax-string-len: 9\r\n",
}


def dlv_reading(dlv_path: Path, prog: Path, home: Path) -> dict:
    """What dlv makes of $home/.config/dlv/config.yml: rules, limits and aliases as it prints them."""
    commands = home / "cmds"
    commands.write_text("config substitute-path\nconfig -list\nexit\n")
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "TERM": "dumb"}
    done = subprocess.run(
        [str(dlv_path), "exec", "--allow-non-terminal-interactive=true", str(prog), "--init", str(commands)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = done.stdout
    quoted = r'"(?:[^"\\]|\\.)*"'
    rules = [
        (ast.literal_eval(m[1]), ast.literal_eval(m[2]))
        for m in re.finditer(rf"^({quoted})\s+→\s+({quoted})\s*$", out, re.MULTILINE)
    ]
    limits = {}
    for key in ("max-string-len", "max-array-values", "max-variable-recurse", "source-list-line-count"):
        m = re.search(rf"^{key}\s+(\S+)", out, re.MULTILINE)
        assert m, out
        limits[key] = None if m[1] == "<not" else int(m[1])
    m = re.search(r"^aliases\s+map\[(.*)\]\s*$", out, re.MULTILINE)
    aliases = {}
    for command, names in re.findall(r"(\w+):\[([^\]]*)\]", m[1] if m else ""):
        for name in names.split():
            aliases[name] = command
    return {"rules": rules, "limits": limits, "aliases": aliases}


def ours(config: DlvConfig) -> dict:
    return {
        "rules": list(config.substitute_path),
        "limits": {
            "max-string-len": config.max_string_len,
            "max-array-values": config.max_array_values,
            "max-variable-recurse": config.max_variable_recurse,
            "source-list-line-count": config.source_list_line_count,
        },
        "aliases": dict(config.aliases),
    }


@pytest.fixture(scope="module")
def dlv_default_config(dlv_path, go_bin, tmp_path_factory) -> str:
    """The config.yml dlv writes when there is none (comments, empty keys)."""
    home = tmp_path_factory.mktemp("dlvhome")
    dlv_reading(dlv_path, go_bin["prog"], home)
    return (home / ".config" / "dlv" / "config.yml").read_text()


@pytest.mark.parametrize("case", sorted(VALID))
def test_reads_what_dlv_reads(case, dlv_path, go_bin, tmp_path, dlv_default_config):
    text = VALID[case] if VALID[case] is not None else dlv_default_config
    config_file = tmp_path / ".config" / "dlv" / "config.yml"
    config_file.parent.mkdir(parents=True)
    config_file.write_bytes(text.encode())
    expected = dlv_reading(dlv_path, go_bin["prog"], tmp_path)
    assert config_file.read_bytes() == text.encode()  # dlv did not rewrite it
    assert ours(load_dlv_config(str(config_file))) == expected


def test_honoured_values():
    config = parse_dlv_config(VALID["aliases-both-styles"] + VALID["block-list-of-maps"].replace("max-string-len", "x"))
    assert config.aliases == {"n2": "next", "nn": "next", "s2": "step", "cc": "continue"}
    assert config.substitute_path == (("/build/prog", "/home/me/prog"), ("/with space", "/it's here"))
    assert (config.max_array_values, config.max_variable_recurse, config.source_list_line_count) == (32, 2, 7)
    usable, dropped = DlvConfig(path="c.yml", aliases={"n2": "next", "tr": "transcript"}).usable_aliases(
        lambda name: find_command(name) is not None
    )
    assert usable == {"n2": "next"}
    assert dropped == ["c.yml: alias 'tr' ignored: godbg-tui has no 'transcript' command"]


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("substitute-path:\n\t- {from: a, to: b}\n", 2, "tabs"),
        ("substitute-path: [{from: a, to: b}\n", 1, "unclosed"),
        ("substitute-path:\n  - &x {from: a, to: b}\n", 2, "anchors"),
        ("substitute-path:\n  - from: a\n    to: |\n      b\n", 3, "block scalars"),
        ("max-string-len: 10\nmax-string-len: 20\n", 2, "set twice (first on line 1)"),
        ("max-string-len: lots\n", 1, "whole number"),
        ("max-string-len: -1\n", 1, "whole number"),
        ("substitute-path: /a\n", 1, "list of {from"),
        ("substitute-path:\n  - /a\n", 2, "not a {from: PATH, to: PATH} mapping"),
        ("substitute-path:\n  - {from: [a], to: b}\n", 2, "from must be a path"),
        ("aliases:\n  next: [n]\n  step: [n]\n", 3, "given to both next and step"),
        ("aliases: [next, n]\n", 1, "aliases must map"),
        ("aliases:\n  next: n\n", 2, "must be a list of names"),
        ("- a\n- b\n", 1, "must be a mapping"),
        ('substitute-path:\n  - {from: "/a, to: b}\n', 2, "unterminated"),
        ('max-string-len: "\\q"\n', 1, "unknown escape"),
        ("max-string-len: 5\n  extra: 1\n", 2, "unexpected indentation"),
        ("a: 1\n---\nb: 2\n", 2, "one YAML document"),
    ],
)
def test_bad_files_say_where_and_what(text, line, words, tmp_path):
    path = tmp_path / "config.yml"
    path.write_text(text)
    with pytest.raises(DlvConfigError) as info:
        load_dlv_config(str(path))
    assert info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert words in str(info.value)


def test_errors_in_keys_we_do_not_read_are_not_ours_to_report():
    config = parse_dlv_config("prompt: &anchor [unclosed\n  more\nmax-string-len: 3\n")
    assert config.max_string_len == 3


def test_unreadable_and_missing_files(tmp_path):
    assert load_dlv_config(str(tmp_path / "none.yml")) == DlvConfig(path=str(tmp_path / "none.yml"))
    binary = tmp_path / "bin.yml"
    binary.write_bytes(b"max-string-len: 3\n\xff\xfe\n")
    with pytest.raises(DlvConfigError, match=r"bin.yml:2: not UTF-8"):
        load_dlv_config(str(binary))


def test_config_path_follows_dlv(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert dlv_config_path() == str(tmp_path / "xdg" / "dlv" / "config.yml")
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert dlv_config_path() == str(tmp_path / ".config" / "dlv" / "config.yml")
    (tmp_path / ".dlv").mkdir()
    (tmp_path / ".dlv" / "config.yml").write_text("")
    assert dlv_config_path() == str(tmp_path / ".dlv" / "config.yml")
