"""Shell completion scripts, run in the real shells: bash (COMP_WORDS), fish (complete -C) and
zsh (a zpty session that records what the completion system offers)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from godbg_tui.adapters.completion import SHELLS, completion_script
from godbg_tui.tui.cli import build_parser

PROG = "dbgx"


def demo_parser() -> argparse.ArgumentParser:
    """The shapes godbg-tui's parser has: value options, flags, single-dash long options,
    optional and chosen positionals, file/dir/pid/host/dynamic kinds."""
    parser = argparse.ArgumentParser(prog=PROG)
    sub = parser.add_subparsers(dest="mode", metavar="MODE")
    exec_ = sub.add_parser("exec", help="debug a binary")
    exec_.add_argument("binary", metavar="BIN")
    exec_.add_argument("--wd", metavar="DIR", help="working directory")
    exec_.add_argument("--init", metavar="FILE", help="commands [to run]: at start")
    exec_.add_argument("--no-stop-at-main", action="store_true", help="stop at entry")
    test = sub.add_parser("test", help="debug tests")
    test.add_argument("package", metavar="PKG", nargs="?")
    test.add_argument("-run", dest="test_run", metavar="RE", help="tests to run")
    attach = sub.add_parser("attach", help="attach to a process")
    attach.add_argument("pid", metavar="PID")
    ssh = sub.add_parser("ssh", help="debug over ssh")
    ssh.add_argument("-p", dest="port", metavar="PORT")
    ssh.add_argument("destination", metavar="[USER@]HOST")
    ssh.add_argument("remote_mode", metavar="attach|exec", choices=("attach", "exec"))
    vscode = sub.add_parser("vscode", help="run a launch.json configuration")
    vscode.add_argument("name", metavar="NAME", nargs="?")
    completion = sub.add_parser("completion", help="print a completion script")
    completion.add_argument("shell", choices=SHELLS)
    return parser


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch) -> Path:
    """A directory with files and subdirectories to complete, and a fake ``dbgx`` on PATH
    whose ``vscode --list`` prints configuration names with blanks."""
    (tmp_path / "bin").mkdir()
    fake = tmp_path / "bin" / PROG
    fake.write_text('#!/bin/sh\n[ "$1 $2" = "vscode --list" ] && printf "Launch Package\\nAttach remote\\n"\n')
    fake.chmod(0o755)
    (tmp_path / "work" / "pkgdir").mkdir(parents=True)
    (tmp_path / "work" / "prog.bin").write_text("")
    (tmp_path / "work" / "plan.txt").write_text("")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    for shell in SHELLS:
        (tmp_path / f"completion.{shell}").write_text(completion_script(demo_parser(), shell))
    return tmp_path


def need(shell: str) -> str:
    path = shutil.which(shell)
    if path is None:
        pytest.fail(f"{shell} is not installed; the completion tests run it (scripts/test installs it as root)", pytrace=False)
    return path


def bash_complete(sandbox: Path, line: str) -> list[str]:
    need("bash")
    script = (
        f"source {sandbox / 'completion.bash'}\n"
        'read -ra COMP_WORDS <<< "$LINE"\n'
        '[[ $LINE == *" " ]] && COMP_WORDS+=("")\n'
        "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
        "_dbgx\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", script], cwd=sandbox / "work", env={**os.environ, "LINE": line}, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return [w for w in done.stdout.splitlines() if w]


def fish_complete(sandbox: Path, line: str) -> list[str]:
    need("fish")
    done = subprocess.run(
        ["fish", "--no-config", "-c", f"source {sandbox / 'completion.fish'}; complete -C $argv[1]", line],
        cwd=sandbox / "work",
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return [w.split("\t")[0] for w in done.stdout.splitlines() if w]


ZSH_CAPTURE = r"""
zmodload zsh/zpty
zpty z zsh -f -i
init=$(mktemp)
cat > $init <<INIT
PROMPT=
autoload -Uz compinit
compinit -u -d $init.dump
source $1
bindkey '^I' complete-word
null-line () { echo -E - \$'\0' }
compprefuncs=( null-line )
comppostfuncs=( null-line exit )
zstyle ':completion:*' list-grouped false
zstyle ':completion:*' insert-tab false
compadd () {
    if [[ \${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "\$@"; return \$?; fi
    typeset -a __hits
    builtin compadd -A __hits "\$@"
    (( \$#__hits )) || return 1
    local h
    for h in \$__hits; do echo -E - "\$h"; done
}
echo ok
INIT
zpty -w z "source $init"
repeat 4; do
    zpty -r z line
    [[ $line == ok* ]] && break
done
zpty -w z "$2"$'\t'
integer tog=0
while zpty -r z; do :; done | while IFS= read -r line; do
    if [[ $line == *$'\0\r' ]]; then
        (( tog++ )) && exit 0 || continue
    fi
    (( tog )) && echo -E - $line
done
exit 2
"""


def zsh_complete(sandbox: Path, line: str) -> list[str]:
    need("zsh")
    capture = sandbox / "capture.zsh"
    capture.write_text(ZSH_CAPTURE)
    done = subprocess.run(
        ["zsh", "-f", str(capture), str(sandbox / "completion.zsh"), line],
        cwd=sandbox / "work",
        capture_output=True,
        text=True,
        timeout=30,
    )
    return sorted({w.strip("\r") for w in done.stdout.splitlines() if w.strip("\r")})


COMPLETERS = {"bash": bash_complete, "fish": fish_complete, "zsh": zsh_complete}


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(
    ("line", "expected", "absent"),
    [
        (f"{PROG} ex", {"exec"}, {"attach"}),
        (f"{PROG} exec --w", {"--wd"}, {"--init"}),
        (f"{PROG} exec --wd ", {"pkgdir/"}, {"prog.bin"}),
        (f"{PROG} exec --init pl", {"plan.txt"}, set()),
        (f"{PROG} exec pr", {"prog.bin"}, set()),
        (f"{PROG} test pk", {"pkgdir/"}, set()),
        (f"{PROG} test -r", {"-run"}, set()),
        (f"{PROG} ssh -p 22 host ", {"attach", "exec"}, set()),
        (f"{PROG} completion ", {"bash", "zsh", "fish"}, set()),
        (f"{PROG} vscode ", {"Launch Package", "Attach remote"}, set()),
    ],
)
def test_completes(shell, line, expected, absent, sandbox):
    words = {w.replace("\\ ", " ").rstrip("/") for w in COMPLETERS[shell](sandbox, line)}
    expected = {w.rstrip("/") for w in expected}
    assert expected <= words, words
    assert not (absent & words), words


@pytest.mark.parametrize("shell", SHELLS)
def test_attach_offers_pids(shell, sandbox):
    process = subprocess.Popen(["sleep", "60"])
    try:
        words = COMPLETERS[shell](sandbox, f"{PROG} attach {str(process.pid)[:-1]}")
        assert str(process.pid) in words
    finally:
        process.kill()
        process.wait()


def test_scripts_for_the_real_command_line_parse_and_name_every_mode():
    parser = build_parser()
    modes = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)][0].choices
    checks = {"bash": ["bash", "-n"], "zsh": ["zsh", "-n"], "fish": ["fish", "--no-config", "-n"]}
    for shell in SHELLS:
        need(shell)
        script = completion_script(parser, shell, prog="godbg-tui")
        for mode in modes:
            assert mode in script
        done = subprocess.run([*checks[shell], "/dev/stdin"], input=script, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, (shell, done.stderr)


def test_unknown_shell():
    with pytest.raises(ValueError, match="bash, zsh, fish"):
        completion_script(demo_parser(), "tcsh")
