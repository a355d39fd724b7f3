"""Shared by the pprof tests and benchmarks: the heapgen program, go tool pprof, a leaky session.

heapgen (tests/adapters/pprof/heapgen) writes seeded heap profiles with real
inlining; ``go tool pprof -top`` is the reference our tables must equal.
Debian's golang-1.19 (/usr/lib/go-1.19) builds the leaky fixture for the
oldest runtime layout we read; dlv 1.27 debugs it only with
``--check-go-version=false``, which ``dlv_unchecked`` adds.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import gofixtures  # noqa: E402
from support import async_wait_until  # noqa: E402

from godbg_tui.adapters.dlv.client import DelveClient  # noqa: E402
from godbg_tui.adapters.events import Output, Phase  # noqa: E402
from godbg_tui.adapters.pprof.counters import HeapCounters, read_counters  # noqa: E402
from godbg_tui.adapters.pprof.delve_walk import HeapWalk, walk_heap  # noqa: E402
from godbg_tui.adapters.pprof.http_source import fetch_heap  # noqa: E402
from godbg_tui.adapters.pprof.monitor import HeapMonitor  # noqa: E402
from godbg_tui.adapters.session import DebugSession  # noqa: E402

HEAPGEN_SRC = HERE / "heapgen"
GO119 = Path("/usr/lib/go-1.19/bin/go")
GO119_MISSING = "Go 1.19 is not installed at /usr/lib/go-1.19 (Debian: apt-get install -y golang-1.19-go)"
PPROF_TIMEOUT_S = 600
PORT = re.compile(rb"pprof listening on 127\.0\.0\.1:(\d+)")
FINE_RATE = 4096  # bytes allocated per heap-profile sample in the parity tests (runtime default 512 KiB)
PPROF_ROW = re.compile(
    r"^\s*(-?\d+)B?\s+(\S+%)\s+(\S+%)\s+(-?\d+)B?\s+(\S+%)\s+(.*?)(?: \((?:partial-)?inline\))?$"
)


def build_heapgen() -> Path:
    """heapgen built normally (optimised, so grow is inlined), cached by source and Go version."""
    digest = hashlib.sha256(gofixtures.go_version().encode())
    for path in sorted(HEAPGEN_SRC.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    out = gofixtures.BUILD_CACHE / f"heapgen-{digest.hexdigest()[:16]}" / "heapgen"
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(".heapgen.partial")
        subprocess.run(
            ["go", "build", "-o", str(partial), "."],
            cwd=HEAPGEN_SRC,
            env=gofixtures.go_env(),
            check=True,
            capture_output=True,
            timeout=300,
        )
        partial.replace(out)
    return out


def heap_profile(heapgen: Path, out: Path, *args: str) -> Path:
    """Run heapgen with ``args`` and return the profile it wrote to ``out``."""
    subprocess.run([str(heapgen), "-o", str(out), *args], check=True, capture_output=True, timeout=600)
    return out


def pprof_percentage(value: int, total: int) -> str:
    """measurement.Percentage from google/pprof, to compare with its printed columns."""
    ratio = abs(value / total) * 100 if total else 0.0
    if 99.95 <= ratio <= 100.05:
        return "100%"
    if ratio >= 1.0:
        return "%.2f%%" % ratio
    return "%.2g%%" % ratio


def pprof_top(*args: str) -> list[tuple[str, int, str, str, int, str]]:
    """Rows of ``go tool pprof -top`` in raw units: (name, flat, flat%, sum%, cum, cum%)."""
    done = subprocess.run(
        ["go", "tool", "pprof", "-top", "-nodecount=1000", "-nodefraction=0", "-unit=B", *args],
        capture_output=True,
        text=True,
        timeout=PPROF_TIMEOUT_S,
        env=gofixtures.go_env(),
    )
    if done.returncode != 0:
        raise RuntimeError(f"go tool pprof failed: {done.stderr}")
    rows = []
    for line in done.stdout.splitlines():
        m = PPROF_ROW.match(line)
        if m and "flat%" not in line:
            rows.append((m[6], int(m[1]), m[2].strip(), m[3].strip(), int(m[4]), m[5].strip()))
    return rows


def our_top(table) -> list[tuple[str, int, str, str, int, str]]:
    """A TopTable in pprof_top's shape (percentages formatted as pprof prints them)."""
    rows = []
    running = 0
    for r in table.rows:
        running += r.flat
        rows.append(
            (
                r.name,
                r.flat,
                pprof_percentage(r.flat, table.total),
                pprof_percentage(running, table.total),
                r.cum,
                pprof_percentage(r.cum, table.total),
            )
        )
    return rows


def build_with_go119(name: str) -> Path:
    """Fixture ``name`` built by Go 1.19 (debug flags as gofixtures uses), cached by its sources."""
    digest = hashlib.sha256(GO119.read_bytes()[:4096])
    root = gofixtures.source_dir(name)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.name.encode() + path.read_bytes())
    out = gofixtures.BUILD_CACHE / f"{name}-go119-{digest.hexdigest()[:16]}" / name
    if not out.is_file():
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = out.with_name(f".{name}.partial")
        env = {**gofixtures.go_env(), "PATH": f"{GO119.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        env.pop("GOROOT", None)
        env.pop("GOTOOLCHAIN", None)
        subprocess.run(
            [str(GO119), "build", "-gcflags", gofixtures.GCFLAGS, "-o", str(partial), "."],
            cwd=root,
            env=env,
            check=True,
            capture_output=True,
            timeout=600,
        )
        partial.replace(out)
    return out


def dlv_unchecked(dlv: Path, directory: Path) -> Path:
    """A dlv wrapper that adds ``--check-go-version=false`` after the subcommand (the launcher has no such option)."""
    wrapper = directory / "dlv"
    wrapper.write_text(f'#!/bin/sh\ncmd="$1"\nshift\nexec "{dlv}" "$cmd" --check-go-version=false "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    return wrapper


class Leaky:
    """A DebugSession on the leaky fixture with gctrace on, its output and a HeapMonitor."""

    def __init__(self, session: DebugSession, monitor: HeapMonitor):
        self.session = session
        self.monitor = monitor
        self.output = b""
        session.subscribe(self._on_event)

    def _on_event(self, event) -> None:
        if isinstance(event, Output):
            self.output += self.monitor.filter_output(event.data)

    @property
    def url(self) -> str:
        m = PORT.search(self.output)
        return f"http://127.0.0.1:{m[1].decode()}" if m else ""

    async def sample_finely(self) -> None:
        """Set runtime.MemProfileRate to FINE_RATE (the target is stopped at main.main).

        At the default rate the first published cycle holds about six samples,
        and in about one run of six none is leakOnce's, so "leakOnce tops the
        profile" would be luck. GODEBUG=memprofilerate is no way round: Go 1.19
        applies it before MemProfileRate's initialiser, which overwrites it.
        """
        await self.session.set_variable("runtime.MemProfileRate", str(FINE_RATE))

    async def run_until_gcs(self, tg, count: int) -> None:
        """Resume and come back once ``count`` more GCs have happened (per gctrace)."""
        start = len(self.monitor.history.gc_events)
        tg.start_soon(self.session.continue_)
        await async_wait_until(lambda: len(self.monitor.history.gc_events) >= start + count, timeout=30)
        await self.session.halt()
        assert self.session.phase == Phase.STOPPED

    async def walk_and_fetch(self, tg) -> tuple[HeapWalk, bytes, HeapCounters]:
        """A Delve walk while stopped and the HTTP profile right after resuming, of the same GC cycle.

        Retries (five times) when a GC finished in between; returns the walk,
        the raw HTTP profile and the counters read before the walk.
        """
        s = self.session
        for _ in range(5):
            await self.run_until_gcs(tg, 2)
            before = await read_counters(s.client)
            async with await DelveClient.connect(s.server.address) as second:
                walk = await walk_heap(second, dlv_version=s.dlv_version)
            tg.start_soon(s.continue_)
            await async_wait_until(lambda: s.phase == Phase.RUNNING)
            data = await fetch_heap(self.url)
            await s.halt()
            after = await read_counters(s.client)
            if (before.num_gc, before.mprof_cycle) == (after.num_gc, after.mprof_cycle):
                return walk, data, before
        raise AssertionError("a GC finished between the walk and the HTTP fetch five times in a row")
