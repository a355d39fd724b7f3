"""``godbg-tui``: parse the command line into a LaunchSpec and run the app.

Bad input is reported as ``godbg-tui: error: <what>`` (plus a hint) with exit status 2,
before anything is started. The app runs on an asyncio loop this module owns, so the
debugging session is closed on that same loop after the app stops, whatever stopped
it (quit, SIGTERM/SIGHUP, an exception), and the terminal is restored first.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import TYPE_CHECKING

from godbg_tui.adapters.dlv.launcher import LaunchError, LaunchSpec, check_go_binary, find_dlv, validate_spec
from godbg_tui.adapters.store import ConfigError, load_config

if TYPE_CHECKING:
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
        "godbg-tui connect unix:/tmp/dlv.sock",
    ),
}


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
    group.add_argument("--no-stop-at-main", action="store_true", help="exec, debug: stop at the program's entry instead of running to main.main")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A terminal debugger for Go, driving Delve. Without arguments it opens the launcher.",
        epilog="Run 'godbg-tui MODE --help' for a mode's options and examples. "
        "Arguments after -- go to the program (test: to the test binary).",
    )
    sub = parser.add_subparsers(dest="mode", metavar="MODE", parser_class=_Parser)
    for mode, (summary, examples) in MODES.items():
        p = sub.add_parser(
            mode,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            epilog="examples:\n  " + examples.replace("\n", "\n  "),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
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
        _common(p)
    sub.add_parser("version", help="print the versions of godbg-tui, dlv and Go")
    return parser


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


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    own, program_args = split_program_args(argv)
    parser = build_parser()
    try:
        if own and not own[0].startswith("-") and own[0] not in (*MODES, "version"):
            raise UsageError(f"unknown mode {own[0]!r}; use one of: {', '.join(MODES)}, version")
        ns = parser.parse_args(own)
        if ns.mode == "version":
            print_versions()
            return 0
        if program_args and ns.mode not in ("exec", "debug", "test"):
            raise UsageError(f"arguments after -- only make sense when dlv starts the program, not in {ns.mode} mode")
        spec = spec_from_args(ns, program_args) if ns.mode else None
        init_lines = read_init_file(ns.init) if ns.mode and ns.init else []
        config = load_config()
    except (UsageError, ConfigError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return USAGE_ERROR
    # Frames are coalesced: 30 a second is smooth, and a program stepped by a script or
    # held-down key no longer spends its time repainting states nobody can see.
    os.environ.setdefault("TEXTUAL_FPS", "30")
    from godbg_tui.tui.app import GodbgApp

    app = GodbgApp(spec, init_lines=init_lines, stop_at_main=not getattr(ns, "no_stop_at_main", False), config=config)
    return _run_on_own_loop(app)


def _run_on_own_loop(app: GodbgApp) -> int:
    """asyncio.run, except that a session which would not close in time is not waited for forever.

    asyncio.run cancels and awaits every leftover task; a close stuck in a shielded scope
    would hang the exit. In that case the loop is simply closed and the launcher's atexit
    safety net stops dlv and the target.
    """
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(run_app(app))
    finally:
        if app.session_closed:
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
