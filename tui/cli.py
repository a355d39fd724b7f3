"""``godbg-tui``: parse the command line into a LaunchSpec and run the app.

Bad input is reported as ``godbg-tui: error: <what>`` (plus a hint) with exit status 2,
before anything is started. The app runs on an asyncio loop this module owns, so the
debugging session is closed on that same loop after the app stops, whatever stopped
it (quit, SIGTERM/SIGHUP, an exception), and the terminal is restored first. In ``ssh``
mode the SSH tunnel is opened on that loop before the app starts and closed after the
session, so the remote dlv goes away last.

Besides the debugging modes: ``vscode`` (a configuration of .vscode/launch.json),
``completion`` (shell completion scripts), ``config`` (where config.toml is; write a
commented default), ``version``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from godbg_tui.adapters.completion import SHELLS, completion_script
from godbg_tui.adapters.dlv.launcher import (
    LaunchError,
    LaunchSpec,
    check_go_binary,
    discard_prestarted,
    find_dlv,
    prestart_dlv,
    validate_spec,
)
from godbg_tui.adapters.dlvconfig import DlvConfig, DlvConfigError, load_dlv_config
from godbg_tui.adapters.pathmap import Rule
from godbg_tui.adapters.remote import SSH_EXAMPLES, SshRequest, SshTarget, add_ssh_arguments, request_from_args
from godbg_tui.adapters.settings import Settings, effective_settings
from godbg_tui.adapters.store import Config, ConfigError, atomic_write, config_path, load_config

if TYPE_CHECKING:
    from godbg_tui.adapters.vscode import VscodeLaunch
    from godbg_tui.tui.app import GodbgApp

PROG = "godbg-tui"
USAGE_ERROR = 2

MODES = {
    "exec": (
        "debug a built Go binary",
        "godbg-tui exec ./bin/server -- -port 8080\n"
        "godbg-tui exec --init bp.txt ./prog",
    ),
    "debug": (
        "build the main package PKG (default .) with optimisations off and debug it",
        "godbg-tui debug\n"
        "godbg-tui debug ./cmd/server --build-flags='-tags=dev' -- -v",
    ),
    "test": (
        "build the tests of PKG (default .) and debug them",
        "godbg-tui test ./internal/calc -run 'TestAdd$'\n"
        "godbg-tui test . -- -test.v",
    ),
    "attach": (
        "attach to the running process PID (BIN: its binary, if /proc cannot tell)",
        "godbg-tui attach 4242\n"
        "godbg-tui attach $(pgrep -n server) ./bin/server",
    ),
    "core": (
        "inspect the core dump CORE of BIN (read-only)",
        "godbg-tui core ./bin/server core.4242",
    ),
    "connect": (
        "connect to a headless dlv already running (dlv --headless --accept-multiclient …)",
        "godbg-tui connect 127.0.0.1:4040\n"
        "godbg-tui connect unix:/tmp/dlv.sock\n"
        "godbg-tui connect --source ~/src/server 127.0.0.1:4040   # map the paths to this checkout",
    ),
    "ssh": (
        "debug on another machine: start dlv there over ssh (attach PID or exec PATH), tunnel it, connect",
        SSH_EXAMPLES,
    ),
    "vscode": (
        "run the Go configuration NAME of the project's .vscode/launch.json (without NAME: list them)",
        "godbg-tui vscode\n"
        "godbg-tui vscode 'Launch server'\n"
        "godbg-tui vscode --dry-run 'Attach to pod'   # show what it would run",
    ),
}
# Commands that do not debug anything.
TOOLS = {
    "completion": (
        "print the shell completion script for bash, zsh or fish",
        "source <(godbg-tui completion bash)\n"
        "godbg-tui completion zsh > \"${fpath[1]}/_godbg-tui\"\n"
        "godbg-tui completion fish > ~/.config/fish/completions/godbg-tui.fish",
    ),
    "config": (
        "show where config.toml is, or write a commented default one",
        "godbg-tui config --path\n"
        "godbg-tui config --write-default\n"
        "godbg-tui config --write-default --force   # replace an existing file",
    ),
    "version": ("print the versions of godbg-tui, dlv and Go", "godbg-tui version"),
}
ASCII_CHOICES = {"on": True, "off": False}


class UsageError(Exception):
    """Bad command-line input; the message says what and how to fix it."""


def _pid(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise argparse.ArgumentTypeError(f"PID must be a positive number, got {text!r}")
    return int(text)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("common options")
    group.add_argument("--init", metavar="FILE", help="run the dlv commands in FILE once the program has stopped the first time ('exit' in it quits)")
    group.add_argument("--build-flags", metavar="FLAGS", help="flags for go build (debug, test), e.g. --build-flags='-tags=dev'")
    group.add_argument("--wd", metavar="DIR", help="working directory of the program (and of the build)")
    group.add_argument("--listen", metavar="ADDR", help="address for dlv to listen on (default: a private unix socket)")
    group.add_argument("--allow-non-loopback", action="store_true", help="allow --listen on a non-loopback address (Delve's API is unauthenticated)")
    group.add_argument("--dlv", metavar="PATH", help="the dlv binary to use (default: $GODBG_DLV, PATH, $GOPATH/bin)")
    group.add_argument("--no-check-go-version", action="store_true",
                       help="let dlv try a program built with a Go older than it supports (dlv --check-go-version=false)")
    group.add_argument("--no-stop-at-main", action="store_true", help="exec, debug: stop at the program's entry instead of running to main.main")


def _display(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Look options, accepted before and after MODE (in a mode they default to SUPPRESS so
    that they do not overwrite what was given before it)."""
    default = None if top else argparse.SUPPRESS
    group = parser.add_argument_group("display options")
    group.add_argument("--theme", metavar="THEME", default=default,
                       help="colour theme: godbg-dark, godbg-light, godbg-high-contrast, godbg-16, godbg-mono or a Textual theme "
                       "(default: config.toml's; godbg-mono when NO_COLOR is set, godbg-16 on TERM=linux)")
    ascii_flags = group.add_mutually_exclusive_group()
    ascii_flags.add_argument("--ascii", dest="ascii", action="store_const", const=True, default=default,
                             help="draw only ASCII (marks, arrows, spinner, borders); default: when the locale is not UTF-8")
    ascii_flags.add_argument("--no-ascii", dest="ascii", action="store_const", const=False, default=default,
                             help="draw Unicode marks even when the locale does not say UTF-8")
    group.add_argument("--pprof", metavar="URL", default=default,
                       help="the target's net/http/pprof address for the heap view, e.g. http://127.0.0.1:6060 "
                       "(default: found on the target's loopback listeners)")


def _sub(sub: argparse._SubParsersAction, name: str, summary: str, examples: str) -> argparse.ArgumentParser:
    return sub.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog="examples:\n  " + examples.replace("\n", "\n  "),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def build_parser() -> argparse.ArgumentParser:
    examples = "\n".join(f"  {line}" for m in MODES for line in MODES[m][1].splitlines()[:1])
    parser = _Parser(
        prog=PROG,
        description="A terminal debugger for Go, driving Delve. Without arguments it opens the launcher.",
        epilog=f"examples:\n  godbg-tui\n{examples}\n  godbg-tui completion bash\n  godbg-tui config --write-default\n\n"
        "Run 'godbg-tui MODE --help' for a mode's options and more examples. "
        "Arguments after -- go to the program (test: to the test binary).\n"
        f"Config: {config_path()} (godbg-tui config --path); dlv's config.yml substitute-path, aliases and load limits are honoured.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _display(parser, top=True)
    sub = parser.add_subparsers(dest="mode", metavar="MODE", parser_class=_Parser)
    for mode, (summary, examples) in MODES.items():
        p = _sub(sub, mode, summary, examples)
        if mode == "ssh":
            add_ssh_arguments(p)
            p.add_argument("--init", metavar="FILE", help="run the dlv commands in FILE once the program has stopped the first time")
            _display(p, top=False)
            continue
        if mode == "vscode":
            p.add_argument("name", metavar="NAME", nargs="?", default=None, help="the configuration's name")
            p.add_argument("--launch-json", metavar="FILE", help="the launch.json to read (default: .vscode/launch.json here or above)")
            p.add_argument("--list", action="store_true", help="print the Go configurations' names, one a line")
            p.add_argument("--dry-run", action="store_true", help="print what the configuration would run, and stop")
            p.add_argument("--init", metavar="FILE", help="run the dlv commands in FILE once the program has stopped the first time")
            _display(p, top=False)
            continue
        if mode == "exec":
            p.add_argument("binary", metavar="BIN")
        elif mode in ("debug", "test"):
            p.add_argument("package", metavar="PKG", nargs="?", default=None)
            if mode == "test":
                p.add_argument("-run", dest="test_run", metavar="RE", help="run only the tests matching RE")
        elif mode == "attach":
            p.add_argument("pid", metavar="PID", type=_pid)
            p.add_argument("binary", metavar="BIN", nargs="?", default=None)
        elif mode == "core":
            p.add_argument("binary", metavar="BIN")
            p.add_argument("core", metavar="CORE")
        elif mode == "connect":
            p.add_argument("address", metavar="ADDR", help="host:port or unix:/path")
            p.add_argument("--source", metavar="DIR", help="local checkout of the program's module, for the path mapping (default: .)")
        _common(p)
        _display(p, top=False)
    completion = _sub(sub, "completion", *TOOLS["completion"])
    completion.add_argument("shell", metavar="SHELL", choices=SHELLS)
    config = _sub(sub, "config", *TOOLS["config"])
    action = config.add_mutually_exclusive_group(required=True)
    action.add_argument("--path", action="store_true", help="print the path of config.toml (whether or not it exists)")
    action.add_argument("--write-default", action="store_true", help="write a commented default config.toml")
    config.add_argument("--force", action="store_true", help="with --write-default: replace an existing file")
    _sub(sub, "version", *TOOLS["version"])
    return parser


DEFAULT_CONFIG = """\
# godbg-tui configuration. Every key is optional; delete or comment out what you do not need.
# dlv's own ~/.config/dlv/config.yml is read too (substitute-path, aliases, max-string-len,
# max-array-values); values set here win over it.

# Colour theme: godbg-dark, godbg-light, godbg-high-contrast, godbg-16 (16 ANSI colours,
# e.g. the Linux console), godbg-mono, or any Textual theme. Empty: godbg-dark, godbg-mono
# when NO_COLOR is set, godbg-16 on TERM=linux. `theme NAME` switches while running.
theme = ""

# ASCII-only drawing (gutter marks, arrows, spinner, borders): "auto" (when the locale is
# not UTF-8), "on" or "off". --ascii / --no-ascii override it.
ascii = "auto"

# How much of a value `print` and the value viewer load (0: the defaults, 64 and 64).
max_string_len = 0
max_array_values = 0

# Seconds an attached or remote program may stay stopped before it is resumed, so that a
# forgotten session cannot hold a live service (0: never).
auto_resume_after = 0

# Run programs godbg-tui starts with GODEBUG=gctrace=1, for the heap view's GC strip.
gctrace = false

# Map source paths in the binary (from) to this machine (to); first match wins.
# substitute_path = [
#     { from = "/build/src", to = "/home/me/src" },
# ]

# Key remaps: binding id = "key[,key…]".
[keys]
# "source.search-next" = "right_square_bracket"
"""


def split_program_args(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Everything after the first ``--`` belongs to the program."""
    argv = list(argv)
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


def spec_from_args(ns: argparse.Namespace, program_args: Sequence[str]) -> LaunchSpec:
    mode = ns.mode
    program = {
        "exec": getattr(ns, "binary", None),
        "core": getattr(ns, "binary", None),
        "attach": getattr(ns, "binary", None),
        "debug": getattr(ns, "package", None),
        "test": getattr(ns, "package", None),
    }.get(mode)
    spec = LaunchSpec(
        mode=mode,
        program=program,
        args=tuple(program_args),
        pid=getattr(ns, "pid", None),
        core=getattr(ns, "core", None),
        address=getattr(ns, "address", None),
        test_run=getattr(ns, "test_run", None),
        build_flags=ns.build_flags,
        wd=ns.wd,
        listen=ns.listen,
        dlv_path=ns.dlv,
        allow_non_loopback=ns.allow_non_loopback,
        check_go_version=not ns.no_check_go_version,
    )
    try:
        validate_spec(spec)
        if mode in ("exec", "core") and spec.program:
            check_go_binary(str(Path(ns.wd or ".") / spec.program), need_exec=mode == "exec")
        if mode == "core" and spec.core and not Path(spec.core).is_file():
            raise LaunchError(f"core file {spec.core} does not exist")
    except LaunchError as exc:
        raise UsageError(str(exc)) from exc
    if ns.wd and not Path(ns.wd).is_dir():
        raise UsageError(f"--wd {ns.wd}: no such directory")
    return spec


def write_default_config(path: Path, force: bool) -> str:
    """Write DEFAULT_CONFIG to ``path`` (refusing to replace a file unless ``force``)."""
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; add --force to replace it (its current content is not kept)")
    atomic_write(path, DEFAULT_CONFIG.encode())
    return f"wrote {path}"


def vscode_launch(ns: argparse.Namespace) -> VscodeLaunch | None:
    """The launch.json configuration asked for; None after listing them (no NAME, --list)."""
    from godbg_tui.adapters.vscode import VscodeConfigError, configuration_names, find_launch_json, load_configuration

    try:
        path = ns.launch_json or find_launch_json()
        if not os.path.isfile(path):
            raise VscodeConfigError(f"{path}: no such file")
        names = configuration_names(path)
        if ns.list or ns.name is None:
            if ns.list:
                print("\n".join(names))
            elif not names:
                raise VscodeConfigError(f"{path} has no Go configuration (\"type\": \"go\")")
            else:
                print(f"Go configurations in {path} (run one with: godbg-tui vscode NAME):")
                print("\n".join(f"  {name}" for name in names))
            return None
        return load_configuration(path, ns.name)
    except VscodeConfigError as exc:
        raise UsageError(str(exc)) from exc


def read_init_file(path: str) -> list[str]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"cannot read --init file {path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"cannot read --init file {path}: it is not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"cannot read --init file {path}: {exc.strerror}") from exc
    return text.splitlines()


def _tool_version(argv: list[str], line_prefix: str = "") -> str:
    """The first output line of a ``version`` command (the first starting with ``line_prefix``)."""
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    lines = [line.strip() for line in (out.stdout or out.stderr).splitlines() if line.strip()]
    wanted = [line for line in lines if line.startswith(line_prefix)] or lines
    return wanted[0] if wanted else f"unavailable (exit status {out.returncode})"


def print_versions(dlv_path: str | None = None) -> None:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        ours = package_version("godbg-tui")
    except PackageNotFoundError:
        ours = "unknown (not installed)"
    print(f"godbg-tui {ours}")
    try:
        dlv = find_dlv(dlv_path)
    except LaunchError as exc:
        print(f"dlv: {exc.message}")
    else:
        print(f"dlv: {_tool_version([dlv, 'version'], 'Version:').removeprefix('Version:').strip()} ({dlv})")
    print(f"go: {_tool_version(['go', 'version'])}")


async def run_app(app: GodbgApp) -> int:
    """Run the app, then close its session on this loop, whatever ended the app."""
    app.install_signal_handlers()
    try:
        result = await app.run_async()
    finally:
        await app.end_session()
    return result if isinstance(result, int) else app.return_code or 0


@dataclasses.dataclass
class Plan:
    """Everything the command line decided, before anything starts."""

    spec: LaunchSpec | None = None
    ssh: SshRequest | None = None
    init_lines: list[str] = dataclasses.field(default_factory=list)
    stop_at_main: bool = True
    config: Config = dataclasses.field(default_factory=Config)
    settings: Settings = dataclasses.field(default_factory=Settings)
    theme: str = ""
    ascii_only: bool = False


def _dlv_config(warnings: list[str]) -> DlvConfig:
    try:
        return load_dlv_config()
    except DlvConfigError as exc:
        warnings.append(f"dlv's config is not used: {exc}")
        return DlvConfig()


def make_plan(ns: argparse.Namespace, program_args: Sequence[str], environ: dict[str, str] | os._Environ[str]) -> Plan | None:
    """Turn parsed arguments into a Plan; None when the command is done already (vscode
    listing or --dry-run). UsageError/ConfigError for bad input."""
    from godbg_tui.themes import THEMES, choose_theme
    from godbg_tui.tui.glyphs import use_ascii

    if program_args and ns.mode not in ("exec", "debug", "test", "ssh"):
        raise UsageError(f"arguments after -- only make sense when dlv starts the program, not in {ns.mode} mode")
    config = load_config()
    warnings: list[str] = []
    plan = Plan(config=config)
    user_rules: tuple[Rule, ...] = ()
    source = getattr(ns, "source", None)
    if ns.mode == "ssh":
        try:
            plan.ssh = request_from_args(ns, program_args)
        except LaunchError as exc:
            raise UsageError(str(exc)) from exc
    elif ns.mode == "vscode":
        launch = vscode_launch(ns)
        if launch is None:
            return None
        if ns.dry_run:
            from godbg_tui.adapters.vscode import describe

            print("\n".join([*describe(launch), *(f"  warning: {w}" for w in launch.warnings)]))
            return None
        plan.spec, plan.stop_at_main, user_rules = launch.spec, launch.stop_at_main, launch.substitute_path
        source = source or launch.workspace
        warnings += launch.warnings
    elif ns.mode:
        plan.spec = spec_from_args(ns, program_args)
        plan.stop_at_main = not getattr(ns, "no_stop_at_main", False)
    if source and not Path(source).is_dir():
        raise UsageError(f"--source {source}: no such directory")
    plan.init_lines = read_init_file(ns.init) if getattr(ns, "init", None) else []
    available = {t.name for t in THEMES} | _textual_theme_names()
    requested = getattr(ns, "theme", None) or config.theme
    plan.theme, theme_warning = choose_theme(requested, environ, available)
    if getattr(ns, "theme", None) and theme_warning:
        raise UsageError(f"--theme: {theme_warning}")
    if theme_warning:
        warnings.append(f"config.toml: {theme_warning}")
    plan.ascii_only = use_ascii(config.ascii, getattr(ns, "ascii", None), environ)
    plan.config = msgspec.structs.replace(config, theme=plan.theme)
    mode = ns.mode if ns.mode != "vscode" or plan.spec is None else plan.spec.mode
    pprof_url = getattr(ns, "pprof", None)
    if pprof_url:
        from godbg_tui.adapters.pprof.http_source import PprofHTTPError, base_url

        try:
            pprof_url = base_url(pprof_url)
        except PprofHTTPError as exc:
            raise UsageError(f"--pprof: {exc}") from exc
    settings = effective_settings(
        config, _dlv_config(warnings), mode=mode, user_rules=user_rules, source_root=source, pprof_url=pprof_url
    )
    plan.settings = dataclasses.replace(settings, warnings=(*warnings, *settings.warnings))
    return plan


def _textual_theme_names() -> set[str]:
    from textual.theme import BUILTIN_THEMES

    return set(BUILTIN_THEMES)


def main(argv: Sequence[str] | None = None) -> int:
    # Start-up (Textual's and our imports, the plan, the app) creates ~50k objects that live as
    # long as the process; the cyclic collector would scan them again and again for nothing.
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _collect_from_now_on() -> None:
    """Start-up is done: what it made is moved out of the collector's sight (gc.freeze: the
    later collections, at every stop, no longer walk it) and the collector runs again."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    own, program_args = split_program_args(argv)
    parser = build_parser()
    try:
        known = (*MODES, *TOOLS)
        if own and not own[0].startswith("-") and own[0] not in known:
            raise UsageError(f"unknown mode {own[0]!r}; use one of: {', '.join(known)}")
        ns = parser.parse_args(own)
        if ns.mode == "version":
            print_versions()
            return 0
        if ns.mode == "completion":
            print(completion_script(parser, ns.shell, prog=PROG), end="")
            return 0
        if ns.mode == "config":
            print(write_default_config(config_path(), ns.force) if ns.write_default else config_path())
            return 0
        plan = make_plan(ns, program_args, os.environ)
    except (UsageError, ConfigError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    if plan is None:
        return 0
    # Frames are coalesced: 30 a second is smooth, and a program stepped by a script or
    # held-down key no longer spends its time repainting states nobody can see.
    os.environ.setdefault("TEXTUAL_FPS", "30")
    from godbg_tui.tui.supervisor import run_supervised

    return run_supervised(lambda: _run_on_own_loop(plan))


def make_app(plan: Plan, spec: LaunchSpec | None) -> GodbgApp:
    """The app for ``plan`` (``spec``: the plan's, or the tunnel's in ssh mode)."""
    from godbg_tui.tui.glyphs import select

    select(plan.ascii_only)  # before the app's modules are imported: some glyphs are read at import
    from godbg_tui.tui.app import GodbgApp
    from godbg_tui.tui.widgets.source_view import SourceView

    SourceView.ascii_only = plan.ascii_only
    app = GodbgApp(spec, init_lines=plan.init_lines, stop_at_main=plan.stop_at_main, config=plan.config, settings=plan.settings)
    app.startup_warnings.extend(plan.settings.warnings)
    if plan.ascii_only:
        app.add_class("-ascii")
    return app


async def prestart(plan: Plan) -> None:
    """Start dlv for the plan's session now, so that it loads (or builds) the program while
    Textual and the app are imported and the first frame is drawn; the session adopts it.
    A spec that cannot start is left to the session, which shows why."""
    if plan.spec is None:
        return
    from godbg_tui.adapters.pprof.gctrace import gctrace_spec

    with contextlib.suppress(LaunchError):
        await prestart_dlv(gctrace_spec(plan.spec, plan.settings.gctrace))  # the spec the app launches


async def run_plan(plan: Plan, started: list[GodbgApp]) -> int:
    """Run the app for ``plan``; in ssh mode inside the tunnel, which closes after the session."""
    if plan.ssh is None:
        await prestart(plan)
        app = make_app(plan, plan.spec)
        _collect_from_now_on()
        started.append(app)
        return await run_app(app)
    print(f"{PROG}: starting dlv on {plan.ssh.destination} over ssh...", file=sys.stderr)
    try:
        async with SshTarget(plan.ssh) as remote:
            app = make_app(plan, remote.spec)
            _collect_from_now_on()
            started.append(app)
            forward = asyncio.ensure_future(forward_program_output(remote, app))
            try:
                return await run_app(app)
            finally:
                forward.cancel()
    except LaunchError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        if exc.output:
            print(exc.output.rstrip(), file=sys.stderr)
        return 1


async def forward_program_output(remote: SshTarget, app: GodbgApp) -> None:
    """What a program started with ``ssh … exec`` prints arrives over ssh, not through dlv's
    terminal: feed it to the console pane (held back until the pane exists)."""
    waiting: list[tuple[str, bytes]] = []
    async for stream, data in remote.program_output():
        waiting.append((stream, data))
        screen = getattr(app, "main_screen", None)
        if screen is not None:
            for item in waiting:
                screen.console.feed(*item)
            waiting.clear()


def _run_on_own_loop(plan: Plan) -> int:
    """asyncio.run, except that a session which would not close in time is not waited for forever.

    asyncio.run cancels and awaits every leftover task; a close stuck in a shielded scope
    would hang the exit. In that case the loop is simply closed and the launcher's atexit
    safety net stops dlv and the target.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    started: list[GodbgApp] = []
    try:
        return loop.run_until_complete(run_plan(plan, started))
    finally:
        loop.run_until_complete(discard_prestarted())  # the app failed before its session took it
        if not started or started[0].session_closed:
            leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in leftovers:
                task.cancel()
            if leftovers:
                loop.run_until_complete(asyncio.wait(leftovers, timeout=5))
            loop.run_until_complete(loop.shutdown_asyncgens())
        else:
            print(f"{PROG}: the debugging session did not close in time; stopping dlv", file=sys.stderr)
        asyncio.set_event_loop(None)
        loop.close()


if __name__ == "__main__":
    sys.exit(main())
