"""Shell completion scripts for the ``godbg-tui`` command line, generated from its argparse parser.

``completion_script(parser, "bash"|"zsh"|"fish")`` returns a script to source (or to put in
the shell's completion directory). What a value completes to is decided by its metavar:
files for BIN/CORE/FILE, directories for PKG/DIR, pids for PID, SSH hosts for
[USER@]HOST, launch.json configuration names for NAME (by running
``godbg-tui vscode --list``), the choices where argparse has them.

argparse has no public introspection API, so this reads its ``_actions`` — stable across
Python 3.x for the attributes used (option_strings, nargs, metavar, choices, help).
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh", "fish")

FILE, DIR, PID, HOST = "file", "dir", "pid", "host"


def default_kinds(prog: str) -> dict[str, str]:
    """Metavar → what it completes to; ``command:CMD`` runs CMD and offers its output lines."""
    return {
        "BIN": FILE,
        "CORE": FILE,
        "FILE": FILE,
        "PKG": DIR,
        "DIR": DIR,
        "PID": PID,
        "[USER@]HOST": HOST,
        "NAME": f"command:{prog} vscode --list",
    }


@dataclass
class _Option:
    flags: list[str]
    takes_value: bool
    kind: str | None = None
    choices: list[str] = field(default_factory=list)
    help: str = ""


@dataclass
class _Positional:
    kind: str | None
    choices: list[str]
    repeats: bool


@dataclass
class _Command:
    name: str
    help: str
    options: list[_Option]
    positionals: list[_Positional]


def _kind(metavar: str | None, kinds: Mapping[str, str]) -> str | None:
    return kinds.get(metavar or "")


def _describe(parser: argparse.ArgumentParser, kinds: Mapping[str, str]) -> tuple[list[_Option], list[_Positional]]:
    options, positionals = [], []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        choices = [str(c) for c in action.choices] if action.choices else []
        metavar = action.metavar if isinstance(action.metavar, str) else None
        if action.option_strings:
            help_text = "" if action.help in (None, argparse.SUPPRESS) else str(action.help)
            options.append(_Option(list(action.option_strings), action.nargs != 0, _kind(metavar, kinds), choices, help_text))
        elif action.help != argparse.SUPPRESS:
            positionals.append(_Positional(_kind(metavar or action.dest.upper(), kinds), choices, action.nargs in ("*", "+")))
    return options, positionals


def _commands(parser: argparse.ArgumentParser, kinds: Mapping[str, str]) -> list[_Command]:
    commands = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                options, positionals = _describe(sub, kinds)
                commands.append(_Command(name, helps.get(name, ""), options, positionals))
    return commands


def completion_script(
    parser: argparse.ArgumentParser, shell: str, *, prog: str | None = None, kinds: Mapping[str, str] | None = None
) -> str:
    """The completion script for ``shell`` (one of :data:`SHELLS`)."""
    prog = prog or parser.prog
    kinds = default_kinds(prog) if kinds is None else kinds
    top_options, _ = _describe(parser, kinds)
    commands = _commands(parser, kinds)
    if shell == "bash":
        return _bash(prog, top_options, commands)
    if shell == "zsh":
        return _zsh(prog, top_options, commands)
    if shell == "fish":
        return _fish(prog, top_options, commands)
    raise ValueError(f"unknown shell {shell!r}; choose one of: {', '.join(SHELLS)}")


def _function_name(prog: str) -> str:
    return "_" + re.sub(r"\W", "_", prog)


# ---------------------------------------------------------------------------------------------
# bash


def _bash_complete(kind: str | None, choices: list[str]) -> str:
    """A bash snippet filling COMPREPLY for ``$cur``."""
    if choices:
        return f'COMPREPLY=($(compgen -W {shlex.quote(" ".join(choices))} -- "$cur"))'
    if kind == FILE:
        return 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur"))'
    if kind == DIR:
        return 'compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur"))'
    if kind == PID:
        return 'COMPREPLY=($(compgen -W "$(ps -eo pid= 2>/dev/null)" -- "$cur"))'
    if kind == HOST:
        return (
            'if declare -F _known_hosts_real >/dev/null; then _known_hosts_real -a -- "$cur"; '
            'else COMPREPLY=($(compgen -A hostname -- "$cur")); fi'
        )
    if kind and kind.startswith("command:"):
        command = kind.removeprefix("command:")
        return (
            "local IFS=$'\\n' name; COMPREPLY=(); "
            f'while IFS= read -r name; do [[ $name == "$cur"* ]] && COMPREPLY+=("$(printf %q "$name")"); '
            f"done < <({command} 2>/dev/null)"
        )
    return "COMPREPLY=()"


def _bash(prog: str, top_options: list[_Option], commands: list[_Command]) -> str:
    fn = _function_name(prog)
    out = [
        f"# bash completion for {prog}; generated by `{prog} completion bash`.",
        f"# Load it with: source <({prog} completion bash)",
        f"{fn}_takes_value() {{",
        '    case "$1 $2" in',
    ]
    for command in [_Command("", "", top_options, []), *commands]:
        flags = [f for o in command.options if o.takes_value for f in o.flags]
        if flags:
            out.append("        " + "|".join(shlex.quote(f"{command.name} {f}") for f in flags) + ") return 0 ;;")
    out += ["    esac", "    return 1", "}", "", f"{fn}_value() {{", '    case "$1 $2" in']
    for command in [_Command("", "", top_options, []), *commands]:
        for option in command.options:
            if option.takes_value:
                pattern = "|".join(shlex.quote(f"{command.name} {f}") for f in option.flags)
                out.append(f"        {pattern}) {_bash_complete(option.kind, option.choices)} ;;")
    out += ["        *) COMPREPLY=() ;;", "    esac", "}", "", f"{fn}_positional() {{", '    case "$1" in']
    for command in commands:
        if not command.positionals:
            continue
        out.append(f"        {shlex.quote(command.name)})")
        out.append('            case "$2" in')
        for index, positional in enumerate(command.positionals):
            pattern = "*" if positional.repeats else str(index)
            out.append(f"                {pattern}) {_bash_complete(positional.kind, positional.choices)} ;;")
        out += ["                *) COMPREPLY=() ;;", "            esac ;;"]
    out += ["        *) COMPREPLY=() ;;", "    esac", "}", ""]
    options_by_command = "\n".join(
        f"        {shlex.quote(c.name)}) words={shlex.quote(' '.join(f for o in c.options for f in o.flags))} ;;" for c in commands
    )
    top_words = " ".join(f for o in top_options for f in o.flags)
    names = " ".join(c.name for c in commands)
    out += [
        f"{fn}() {{",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '    local sub="" npos=0 skip=0 i w words',
        "    COMPREPLY=()",
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        w="${COMP_WORDS[i]}"',
        "        if ((skip)); then skip=0; continue; fi",
        '        if [[ $w == -- ]]; then compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")); return 0; fi',
        '        if [[ $w == -* ]]; then',
        f'            [[ $w != *=* ]] && {fn}_takes_value "$sub" "$w" && skip=1',
        "            continue",
        "        fi",
        '        if [[ -z $sub ]]; then sub="$w"; else ((npos++)); fi',
        "    done",
        "    if ((skip)); then",
        f'        {fn}_value "$sub" "$prev"',
        '    elif [[ $cur == -* ]]; then',
        '        case "$sub" in',
        f"            '') words={shlex.quote(top_words)} ;;",
        options_by_command,
        "            *) words= ;;",
        "        esac",
        '        COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        '    elif [[ -z $sub ]]; then',
        f'        COMPREPLY=($(compgen -W {shlex.quote(names)} -- "$cur"))',
        "    else",
        f'        {fn}_positional "$sub" "$npos"',
        "    fi",
        "    return 0",
        "}",
        f"complete -F {fn} {shlex.quote(prog)}",
        "",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# zsh


def _zsh_text(text: str) -> str:
    """Help text inside a single-quoted _arguments spec's [...]."""
    text = re.sub(r"\s+", " ", text).strip()
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace(":", "\\:").replace("'", "'\\''")


def _zsh_action(kind: str | None, choices: list[str]) -> str:
    if choices:
        return "(" + " ".join(_zsh_text(c).replace(" ", "\\ ") for c in choices) + ")"
    if kind == FILE:
        return "_files"
    if kind == DIR:
        return "_path_files -/"
    if kind == PID:
        return "{compadd -- $(ps -eo pid= 2>/dev/null)}"  # _pids lists only this terminal's
    if kind == HOST:
        return "_hosts"
    if kind and kind.startswith("command:"):
        command = kind.removeprefix("command:").replace("'", "'\\''")
        return '{local -a names; names=(${(f)"$(' + command + ' 2>/dev/null)"}); compadd -a names}'
    return " "


def _zsh_specs(options: list[_Option], positionals: list[_Positional]) -> list[str]:
    specs = []
    for option in options:
        help_text = _zsh_text(option.help)
        value = f":{_zsh_text(option.flags[-1].lstrip('-'))}:{_zsh_action(option.kind, option.choices)}" if option.takes_value else ""
        if len(option.flags) > 1:
            exclusive = " ".join(option.flags)
            specs.append(f"'({exclusive})'{{{','.join(option.flags)}}}'[{help_text}]{value}'")
        else:
            specs.append(f"'{option.flags[0]}[{help_text}]{value}'")
    for positional in positionals:
        prefix = "*" if positional.repeats else ""
        specs.append(f"'{prefix}: :{_zsh_action(positional.kind, positional.choices)}'")
    return specs


def _zsh(prog: str, top_options: list[_Option], commands: list[_Command]) -> str:
    fn = _function_name(prog)
    out = [
        f"#compdef {prog}",
        f"# zsh completion for {prog}; generated by `{prog} completion zsh`.",
        f"# Put it in a directory on $fpath as _{prog}, or: source <({prog} completion zsh)",
        f"{fn}() {{",
        "    local curcontext=$curcontext state line",
        "    typeset -A opt_args",
        "    _arguments -C \\",
    ]
    out += [f"        {spec} \\" for spec in _zsh_specs(top_options, [])]
    out += [
        "        '1: :->command' \\",
        "        '*:: :->args'",
        "    case $state in",
        "        command)",
        "            local -a commands",
        "            commands=(",
    ]
    out += [f"                '{c.name}:{_zsh_text(c.help)}'" for c in commands]
    out += [
        "            )",
        "            _describe command commands ;;",
        "        args)",
        "            case $line[1] in",
    ]
    for command in commands:
        specs = _zsh_specs(command.options, command.positionals)
        call = f"_arguments {' '.join(specs)} && return 0" if specs else ":"
        out.append(f"                {command.name}) {call} ;;")
    out += [
        "            esac ;;",
        "    esac",
        "}",
        f'if [[ $funcstack[1] == _{prog} ]]; then {fn} "$@"; else compdef {fn} {prog}; fi',
        "",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# fish


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_arguments(kind: str | None, choices: list[str]) -> str:
    if choices:
        return "-f -a " + _fish_quote(" ".join(choices))
    if kind == FILE:
        return "-F"
    if kind == DIR:
        return "-f -a '(__fish_complete_directories)'"
    if kind == PID:
        return "-f -a '(__fish_complete_pids)'"
    if kind == HOST:
        return "-f -a '(__fish_print_hostnames)'"
    if kind and kind.startswith("command:"):
        return "-f -a " + _fish_quote(f"({kind.removeprefix('command:')} 2>/dev/null)")
    return "-f"


def _fish_option(prog: str, condition: str, option: _Option) -> str:
    parts = [f"complete -c {prog} -n {_fish_quote(condition)}"]
    for flag in option.flags:
        if flag.startswith("--"):
            parts.append(f"-l {flag[2:]}")
        elif len(flag) == 2:
            parts.append(f"-s {flag[1]}")
        else:
            parts.append(f"-o {flag[1:]}")
    if option.takes_value:
        parts.append("-r " + _fish_arguments(option.kind, option.choices))
    if option.help:
        parts.append("-d " + _fish_quote(re.sub(r"\s+", " ", option.help).strip()))
    return " ".join(parts)


def _fish(prog: str, top_options: list[_Option], commands: list[_Command]) -> str:
    fn = _function_name(prog)
    names = " ".join(c.name for c in commands)
    value_flags = sorted({f for c in commands for o in c.options if o.takes_value for f in o.flags})
    out = [
        f"# fish completion for {prog}; generated by `{prog} completion fish`.",
        f"# Put it in ~/.config/fish/completions/{prog}.fish, or: {prog} completion fish | source",
        f"function {fn}_npos --description 'the index of the argument being completed, after the subcommand'",
        "    set -l tokens (commandline -opc)",
        "    set -l n -1",
        "    set -l skip 0",
        "    for token in $tokens[2..-1]",
        "        if test $skip = 1",
        "            set skip 0",
        "        else if string match -q -- '-*' $token",
        f"            contains -- $token {' '.join(shlex.quote(f) for f in value_flags)}; and set skip 1",
        "        else",
        "            set n (math $n + 1)",
        "        end",
        "    end",
        "    echo $n",
        "end",
        f"complete -c {prog} -f",
    ]
    no_command = f"not __fish_seen_subcommand_from {names}"
    for option in top_options:
        out.append(_fish_option(prog, no_command, option))
    for command in commands:
        out.append(f"complete -c {prog} -n {_fish_quote(no_command)} -a {command.name} -d {_fish_quote(command.help)}")
    for command in commands:
        condition = f"__fish_seen_subcommand_from {command.name}"
        for option in command.options:
            out.append(_fish_option(prog, condition, option))
        for index, positional in enumerate(command.positionals):
            arguments = _fish_arguments(positional.kind, positional.choices)
            if arguments == "-f":
                continue
            position = f"test ({fn}_npos) -ge {index}" if positional.repeats else f"test ({fn}_npos) -eq {index}"
            out.append(f"complete -c {prog} -n {_fish_quote(f'{condition}; and {position}')} {arguments}")
    out.append("")
    return "\n".join(out)
