#!/usr/bin/env python3
"""300 `next` commands through godbg-tui and through the dlv terminal, in the same tmux.

Usage: bench/next_loop.py [--count 300] [--rounds 3] [--dlv PATH] [--size 80x24] [--cpu] [--fixed]

Builds tests/fixtures/go/prog and writes one --init file: stop in the loop of
prog's worker (-workers 1), step `next` COUNT times, exit. Both debuggers run
that same file in an identical tmux window: `godbg-tui exec --init FILE prog`
(every stop repaints what a user sees: the source, status and the visible side
panes; at 80x24 the side panes share one slot, the variables shown and the stack
fetched when its tab is; at --size 250x70 all of them: the script waits for each refresh) and `dlv exec --init FILE prog`
(which prints the stop and the source listing after each step). The wall time is from
starting the command to its exit. Prints the best of ROUNDS for each and the
ratio; the goal is godbg-tui <= 1.3x dlv.

godbg-tui runs as pip installs it: its modules compiled to bytecode first (with
PYTHONDONTWRITEBYTECODE set, as in some shells, every start would compile them all
again, a few hundred milliseconds that no installed copy spends).

On a shared machine wall time swings with the load; ``--cpu`` also reports the CPU
seconds each side used (the debugger and everything it started: dlv, the program),
measured by a small wrapper around both commands, which adds the same few
milliseconds of wall time to each.

``--fixed`` runs an --init file of just ``exit`` instead: start, run to main, first
paint and shutdown, the fixed cost every run pays whatever it steps.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import gofixtures  # noqa: E402

GOAL = 1.3


def init_script(count: int) -> str:
    """Stop in prog's worker, step out into its endless `for { hit(id); time.Sleep(1ms) }`, next COUNT times.

    (The -spin loop `for { n++ }` cannot be used: dlv's next never completes on a
    one-line loop body.)
    """
    hit = gofixtures.marker_line("prog", "main.go", "hit-body")
    return "\n".join([f"break main.go:{hit}", "continue", "clearall", "stepout", *(["next"] * count), "exit", ""])


CPU_WRAPPER = """
import resource, subprocess, sys
status = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_utime + usage.ru_stime}\\n")
sys.exit(status)
"""


def with_cpu_report(command: list[str], report: Path) -> list[str]:
    """``command`` run by a Python wrapper that writes the CPU seconds of its process tree to ``report``."""
    return [sys.executable, "-c", CPU_WRAPPER, str(report), *command]


def run_in_tmux(command: list[str], size: tuple[int, int], env: dict[str, str], scratch: Path, timeout: float) -> float:
    """Seconds from starting ``command`` in a fresh tmux window until it exits."""
    socket = f"godbg-bench-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    config = scratch / f"{socket}.conf"
    config.write_text("set -g remain-on-exit on\n")
    tmux = ["tmux", "-L", socket]
    quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in command)
    env_args = [arg for key, value in env.items() for arg in ("-e", f"{key}={value}")]
    try:
        started = time.perf_counter()
        subprocess.run(
            [*tmux, "-f", str(config), "new-session", "-d", "-s", "b", "-x", str(size[0]), "-y", str(size[1]),
             "-c", str(REPO), *env_args, f"exec {quoted}"],
            check=True,
        )
        deadline = started + timeout
        while True:
            dead = subprocess.run([*tmux, "display-message", "-p", "-t", "b", "#{pane_dead}"],
                                  capture_output=True, text=True).stdout.strip()
            if dead == "1":
                elapsed = time.perf_counter() - started
                break
            if time.perf_counter() > deadline:
                screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True).stdout
                raise SystemExit(f"{command[0]} did not finish within {timeout:g} s; its screen:\n{screen}")
            time.sleep(0.01)
        status = subprocess.run([*tmux, "display-message", "-p", "-t", "b", "#{pane_dead_status}"],
                                capture_output=True, text=True).stdout.strip()
        if status not in ("0", ""):  # tmux 3.3 leaves it empty for status 0
            screen = subprocess.run([*tmux, "capture-pane", "-p", "-t", "b"], capture_output=True, text=True).stdout
            raise SystemExit(f"{command[0]} exited with status {status}; its screen:\n{screen}")
        return elapsed
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="number of next commands (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each debugger; the best counts (default 3)")
    parser.add_argument("--dlv", default=None, help="dlv to use (default: $GODBG_DLV, .tools/bin/dlv, PATH)")
    parser.add_argument("--size", default="80x24", help="terminal size (default 80x24)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed per run")
    parser.add_argument("--cpu", action="store_true", help="also report CPU seconds (both commands run under a wrapper)")
    parser.add_argument("--fixed", action="store_true", help="an --init file of just `exit`: the fixed cost of a run")
    args = parser.parse_args()
    size = tuple(int(n) for n in args.size.split("x"))
    dlv = args.dlv or os.environ.get("GODBG_DLV") or str(REPO / ".tools" / "bin" / "dlv")
    if not Path(dlv).is_file():
        dlv = shutil.which("dlv") or sys.exit("dlv not found: pass --dlv or set GODBG_DLV")
    godbg = Path(sys.executable).with_name("godbg-tui")
    if not godbg.is_file():
        sys.exit(f"{godbg} not found: run this with the project's virtualenv Python (pip install -e .)")
    prog = str(gofixtures.build("prog"))

    subprocess.run([sys.executable, "-m", "compileall", "-q", *(str(REPO / d) for d in ("adapters", "tui", "themes"))],
                   check=True)

    with tempfile.TemporaryDirectory(prefix="godbg-bench-") as tmp:
        scratch = Path(tmp)
        script = scratch / "next.init"
        script.write_text("exit\n" if args.fixed else init_script(args.count))
        env = {
            "TERM": "xterm-256color",
            "PATH": f"{Path(dlv).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "GODBG_DLV": dlv,
            "XDG_STATE_HOME": str(scratch / "state"),
            "XDG_CONFIG_HOME": str(scratch / "config"),
            "HOME": str(scratch),  # dlv keeps its config and history under $HOME/.config/dlv
            "PYTHONDONTWRITEBYTECODE": "",  # use the bytecode compiled above
        }
        commands = {
            "godbg-tui": [str(godbg), "exec", "--init", str(script), prog, "--", "-workers", "1"],
            "dlv": [dlv, "exec", "--init", str(script), prog, "--", "-workers", "1"],
        }
        best: dict[str, float] = {}
        best_cpu: dict[str, float] = {}
        for round_ in range(1, args.rounds + 1):
            for name, command in commands.items():
                report = scratch / f"cpu-{name}"
                elapsed = run_in_tmux(with_cpu_report(command, report) if args.cpu else command, size, env, scratch, args.timeout)
                best[name] = min(best.get(name, elapsed), elapsed)
                line = f"round {round_}: {name:9s} {elapsed:7.2f} s"
                if args.cpu:
                    cpu = float(report.read_text())
                    best_cpu[name] = min(best_cpu.get(name, cpu), cpu)
                    line += f"  ({cpu:.2f} s CPU)"
                print(line, flush=True)

    ratio = best["godbg-tui"] / best["dlv"]
    steps = 0 if args.fixed else args.count
    print(f"\n{'exit only' if args.fixed else f'{steps} x next'} at {size[0]}x{size[1]}, best of {args.rounds}:")
    for name in ("godbg-tui", "dlv"):
        per_step = f"  ({best[name] / steps * 1000:.1f} ms per step)" if steps else ""
        print(f"  {name:9s} {best[name]:7.2f} s{per_step}")
    print(f"  ratio     {ratio:7.2f}x  (goal <= {GOAL}x: {'met' if ratio <= GOAL else 'NOT met'})")
    if best_cpu:
        print(f"  CPU       godbg-tui {best_cpu['godbg-tui']:.2f} s, dlv {best_cpu['dlv']:.2f} s "
              f"({best_cpu['godbg-tui'] / best_cpu['dlv']:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
