#!/usr/bin/env python3
"""Goroutines at scale: our engine against the dlv CLI on the same target, same run.

Usage: bench/goroutines.py [--n 100000] [--rounds 3] [--dlv PATH] [--skip-cli]

Runs tests/fixtures/go/prog with ``-goroutines N`` (N goroutines parked on one
channel, a few on a mutex, a select and a sleep) under one headless dlv, stops in
main.ready, and prints:

* first page latency: from the stop to the first ListGoroutines page (1000 and 100
  goroutines, user-only as the goroutine pane asks), and the goroutine count;
* full group census by user location: GoroutineCensus.take (second connection,
  chunked) against ``goroutines -group userloc`` typed into ``dlv connect`` on the
  same server, each measured right after a fresh stop (resume + halt, so Delve's
  goroutine cache is cold for both), alternating, medians of ``--rounds``;
* how long the session's own connection waited for a call while the census ran
  (what a step or quit would wait);
* page fetch latency further down the list (1000 and 100 goroutines);
* the goroutine pane itself (GoroutineList in a headless Textual app at 120x40):
  from the stop to its first page painted, and one pagedown until painted (its
  background prefetch lands between keys), scrolling 60 screens down;
* peak RSS of this process (the engine and the pane, i.e. what the TUI would hold) and dlv's.

Figures are printed, not asserted: this machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import anyio

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import gofixtures  # noqa: E402

from godbg_tui.adapters.dlv.launcher import LaunchSpec  # noqa: E402
from godbg_tui.adapters.dlv.types import GOROUTINE_FIELD, ListGoroutinesFilter  # noqa: E402
from godbg_tui.adapters.events import Phase  # noqa: E402
from godbg_tui.adapters.goroutines import (  # noqa: E402
    CensusCancelled,
    GoroutineCensus,
    GoroutineFilters,
    count_goroutines,
    group_label,
)
from godbg_tui.adapters.session import DebugSession  # noqa: E402
from godbg_tui.tui.widgets.goroutine_list import GoroutineList  # noqa: E402

USER = [ListGoroutinesFilter(Kind=GOROUTINE_FIELD["user"])]
MARKER = "4242424242"


def find_dlv(explicit: str | None) -> str:
    for cand in (explicit, os.environ.get("GODBG_DLV"), str(REPO / ".tools/bin/dlv"), shutil.which("dlv")):
        if cand and os.access(cand, os.X_OK):
            return cand
    sys.exit("dlv not found: run scripts/test once, or pass --dlv")


def dlv_version(dlv: str) -> str:
    out = subprocess.run([dlv, "version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"Version: (\S+)", out)
    return m.group(1) if m else "unknown version"


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (robust against a busy machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class DlvCli:
    """The official terminal client (`dlv connect`) fed through a pipe.

    A command's time is from writing it to seeing the output of a `print` sent
    right behind it (the terminal runs commands in order); the print's own round
    trip is measured alone and subtracted.
    """

    def __init__(self, dlv: str, address: str):
        self.proc = subprocess.Popen(
            [dlv, "connect", address, "--allow-non-terminal-interactive=true"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, bufsize=0,
            start_new_session=True,
        )
        self._buf = bytearray()
        self._cond = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        while chunk := self.proc.stdout.read(65536):
            with self._cond:
                self._buf += chunk
                self._cond.notify_all()

    def run(self, command: str, timeout: float = 900.0) -> tuple[float, str]:
        with self._cond:
            self._buf.clear()
        assert self.proc.stdin is not None
        began = time.perf_counter()
        self.proc.stdin.write(f"{command}\nprint {MARKER}\n".encode())
        deadline = time.monotonic() + timeout
        with self._cond:
            while f"\n{MARKER}\n".encode() not in self._buf and MARKER.encode() + b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise RuntimeError(f"dlv connect did not finish {command!r}: {bytes(self._buf[-500:])!r}")
                self._cond.wait(left)
            took = time.perf_counter() - began
            return took, self._buf.decode(errors="replace")

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


async def fresh_stop(s: DebugSession) -> None:
    """Resume and halt: Delve drops its goroutine cache, so the next listing is cold."""
    async with anyio.create_task_group() as tg:
        tg.start_soon(s.continue_)
        while s.phase != Phase.RUNNING:
            await anyio.sleep(0.001)
        await s.halt()
    if s.phase != Phase.STOPPED:
        raise RuntimeError(f"target did not stop again (phase {s.phase})")


async def census_until_cancelled(census: GoroutineCensus) -> None:
    with contextlib.suppress(CensusCancelled):
        await census.take()


async def time_it(coro) -> tuple[float, object]:
    began = time.perf_counter()
    result = await coro
    return time.perf_counter() - began, result


async def pane_figures(s: DebugSession, rounds: int) -> None:
    """The goroutine pane as the main screen uses it, headless: first page painted, then scrolling.

    "Painted" is the first screen update Textual composes after the event (App._display,
    which a headless app calls without writing), so Pilot's own idle waits (≥ 20 ms a key)
    are not counted; a Pilot pagedown, and a Pilot key bound to nothing, are printed beside.
    """
    from textual.app import App, ComposeResult

    paints: list[float] = []

    class PaneApp(App[None]):
        def compose(self) -> ComposeResult:
            yield GoroutineList(
                lambda start, count, filters: s.goroutines(start, count, filters=filters),
                fetch_count=lambda: count_goroutines(s.client),
                go_version=s.go_version,
            )

        def _display(self, screen, renderable) -> None:
            if renderable is not None:
                paints.append(time.perf_counter())
            super()._display(screen, renderable)

    async def painted_after(t: float) -> float:
        while not paints or paints[-1] <= t:
            await anyio.sleep(0.0005)
        return next(p for p in paints if p > t)

    first, data, count_at, scroll, pilot_keys, idle_keys = [], [], [], [], [], []
    app = PaneApp()
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(GoroutineList)
        view.focus()
        for _ in range(rounds):
            await fresh_stop(s)
            began = time.perf_counter()
            view.reload(selected_id=s.goroutine_id)
            while not view.goroutines:
                await anyio.sleep(0.0005)
            arrived = time.perf_counter()
            data.append(arrived - began)
            first.append(await painted_after(arrived) - began)
            while view.count is None:
                await anyio.sleep(0.0005)
            count_at.append(time.perf_counter() - began)
        await pilot.pause()
        for i in range(60):
            began = time.perf_counter()
            view.action_page_down()
            scroll.append(await painted_after(began) - began)
            while view.fetching:  # the prefetch runs in the background; let it land between keys
                await anyio.sleep(0.0005)
            await pilot.pause()
            if i % 6 == 0:
                began = time.perf_counter()
                await pilot.press("pagedown")
                pilot_keys.append(time.perf_counter() - began)
                began = time.perf_counter()
                await pilot.press("f12")
                idle_keys.append(time.perf_counter() - began)
        loaded = len(view.goroutines)
        status = view.status_text
    print(f"first page painted after a stop: median {statistics.median(first) * 1000:6.1f} ms "
          f"(max {max(first) * 1000:.1f}; goal ≤ 300 ms); page arrived after {statistics.median(data) * 1000:.1f} ms; "
          f"count in the status after {statistics.median(count_at) * 1000:.1f} ms")
    print(f"pagedown → painted (60 screens, prefetch in the background): median {statistics.median(scroll) * 1000:5.1f} ms, "
          f"max {max(scroll) * 1000:.1f} ms (goal ≤ 100 ms); {loaded:,} goroutines loaded; status {status!r}")
    print(f"  through Pilot: pagedown median {statistics.median(pilot_keys) * 1000:.0f} ms, a key bound to nothing "
          f"{statistics.median(idle_keys) * 1000:.0f} ms (Pilot's idle wait)")


def cli_totals(output: str) -> dict[str, int]:
    return {name: int(total) for name, total in re.findall(r"^(\S.*)\n(?:\t.*\n)*?\tTotal: (\d+)$", output, re.M)}


async def bench(args: argparse.Namespace) -> None:
    dlv = find_dlv(args.dlv)
    binary = gofixtures.build("prog")
    spec = LaunchSpec(
        mode="exec", program=str(binary), args=("-goroutines", str(args.n), "-linger", "24h"), dlv_path=dlv
    )
    print(f"prog -goroutines {args.n:,} under {dlv} ({dlv_version(dlv)}), "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, rounds={args.rounds}")
    async with DebugSession(spec, call_timeout=900) as s:
        census = GoroutineCensus.for_session(s)
        began = time.perf_counter()
        await s.continue_("main.ready")
        print(f"\nparked {args.n:,} goroutines and stopped in main.ready in {time.perf_counter() - began:.1f} s")

        # 1. What the goroutine pane sees right after a stop.
        print("\n== first page after a stop (cold Delve cache) ==")
        for size in (1000, 100):
            samples, counts = [], []
            for _ in range(args.rounds):
                await fresh_stop(s)
                took, page = await time_it(s.goroutines(0, size, filters=USER))
                samples.append(took)
                took, count = await time_it(census.count())
                counts.append(took)
            print(f"first page of {size:>4}: median {statistics.median(samples) * 1000:7.1f} ms  "
                  f"(min {min(samples) * 1000:.1f}, max {max(samples) * 1000:.1f}); "
                  f"{len(page.Goroutines or [])} goroutines")
        print(f"goroutine count:      median {statistics.median(counts) * 1000:7.1f} ms  → {count.describe()}")
        samples = []
        for _ in range(args.rounds):
            await fresh_stop(s)
            async with anyio.create_task_group() as tg:
                tg.start_soon(census_until_cancelled, census)
                took, page = await time_it(s.goroutines(0, 1000, filters=USER))
                samples.append(took)
                census.cancel()
        print(f"first page of 1000 while a census starts on the second connection: median "
              f"{statistics.median(samples) * 1000:.1f} ms (max {max(samples) * 1000:.1f})")

        print("\n== the goroutine pane (headless Textual, 120x40) ==")
        await pane_figures(s, args.rounds)

        # 2. Full census, ours vs the CLI, alternating, each after a fresh stop.
        filters = GoroutineFilters(user_only=args.user_only)
        command = "goroutines -with user -group userloc" if args.user_only else "goroutines -group userloc"
        print(f"\n== full census grouped by user location ({filters.describe()}), vs `{command}` ==")
        cli = None if args.skip_cli else DlvCli(dlv, s.server.address)
        ours, theirs, waits, ours_cpu, theirs_cpu = [], [], [], [], []
        dlv_pid = s.server.pid
        snap = None
        cli_out = ""
        try:
            if cli is not None:
                cli.run("print 1")  # connected and idle
            for _ in range(args.rounds):
                await fresh_stop(s)
                updates = []
                probe_waits: list[float] = []

                async def probe() -> None:
                    # A call on the session's own connection every 50 ms: what a step would wait for.
                    while True:
                        began = time.perf_counter()
                        await s.threads()
                        probe_waits.append(time.perf_counter() - began)
                        await anyio.sleep(0.05)

                cpu_before = cpu_s(dlv_pid)
                async with anyio.create_task_group() as tg:
                    tg.start_soon(probe)
                    took, snap = await time_it(census.take(filters=filters, progress=updates.append))
                    tg.cancel_scope.cancel()
                ours.append(took)
                ours_cpu.append(cpu_s(dlv_pid) - cpu_before)
                waits.append(max(probe_waits, default=0.0))
                first_groups = next((u.elapsed_s for u in updates if u.totals), None)
                print(f"  ours: {took:6.2f} s (dlv CPU {ours_cpu[-1]:.2f} s) in {snap.chunks} chunks, {len(updates)} progress updates "
                      f"(first groups after {first_groups or 0:.2f} s); session connection waited ≤ {waits[-1] * 1000:.0f} ms")
                if cli is not None:
                    await fresh_stop(s)
                    marker, _ = cli.run("print 1")
                    cpu_before = cpu_s(dlv_pid)
                    took, cli_out = cli.run(command)
                    theirs_cpu.append(cpu_s(dlv_pid) - cpu_before)
                    theirs.append(max(0.0, took - marker))
                    print(f"  dlv CLI: {theirs[-1]:6.2f} s (dlv CPU {theirs_cpu[-1]:.2f} s)")
        finally:
            if cli is not None:
                cli.close()
        assert snap is not None
        if cli_out:
            # Same stop as the CLI's last run (untimed): the groups must agree exactly.
            snap = await census.take(filters=filters)
        print(f"ours    median {statistics.median(ours):6.2f} s  (min {min(ours):.2f}, max {max(ours):.2f})")
        if theirs:
            ratio = statistics.median(ours) / statistics.median(theirs)
            print(f"dlv CLI median {statistics.median(theirs):6.2f} s  (min {min(theirs):.2f}, max {max(theirs):.2f})")
            print(f"ratio ours / CLI: {ratio:.2f}× wall clock (target ≤ 1.1×); "
                  f"{statistics.median(ours_cpu) / max(statistics.median(theirs_cpu), 1e-9):.2f}× dlv CPU time")
            mine, theirs_totals = {g.key: g.total for g in snap.groups if g.total}, cli_totals(cli_out)
            print(f"same groups and totals as the CLI: {mine == theirs_totals}")
            for key in sorted(set(mine) | set(theirs_totals), key=str):
                if mine.get(key) != theirs_totals.get(key):
                    print(f"    differs: {group_label(key, 'userloc')}: ours {mine.get(key, 0)}, CLI {theirs_totals.get(key, 0)}")
        for g in snap.groups[:6]:
            print(f"    {g.total:>9,}  {group_label(g.key, 'userloc')}")
        print(f"longest wait of the session's own connection during a census: {max(waits) * 1000:.0f} ms")

        # 3. Paging further down (what scrolling past the loaded rows costs).
        print("\n== page fetch further down the list (warm: after the census) ==")
        for size in (1000, 100):
            samples, start = [], 0
            for _ in range(min(10, max(1, args.n // max(size, 1) // 2))):
                took, page = await time_it(s.goroutines(start, size, filters=USER))
                samples.append(took)
                start = page.Nextg if page.Nextg >= 0 else 0
            print(f"page of {size:>4}: median {statistics.median(samples) * 1000:7.1f} ms  (max {max(samples) * 1000:.1f})")

        print(f"\nload average now {os.getloadavg()[0]:.1f} (figures above are wall-clock on a shared machine)")
        print("\n== memory ==")
        print(f"this process (engine): RSS now {rss_mb():.0f} MB, peak {peak_rss_mb():.0f} MB (target ≤ 250 MB)")
        if s.server is not None and s.server.pid:
            print(f"dlv: RSS {rss_mb(s.server.pid):.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="goroutines to park (default 100000)")
    parser.add_argument("--rounds", type=int, default=5, help="repetitions of each measurement (default 5)")
    parser.add_argument("--dlv", help="dlv binary (default: $GODBG_DLV, .tools/bin/dlv, PATH)")
    parser.add_argument("--skip-cli", action="store_true", help="do not time the dlv CLI")
    parser.add_argument("--user-only", action="store_true", help="census of user goroutines (vs `goroutines -with user -group userloc`)")
    anyio.run(bench, parser.parse_args())


if __name__ == "__main__":
    main()
