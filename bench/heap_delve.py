#!/usr/bin/env python3
"""Stopped target → heap data through Delve: counters and the full bucket walk.

Usage: bench/heap_delve.py [--dlv PATH] [--rounds N] [--paths N]

Runs tests/adapters/pprof/heapgen (default MemProfileRate, ~1.3k buckets
with the default --paths) under a headless dlv until it has written its heap
profile, pauses it, then times read_counters (the per-stop Evals) and
walk_heap on a second connection, as the heap view does. The walk's totals
are checked against the profile the program wrote itself a moment earlier
(same GC cycle), so the figure is for a correct result.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import anyio

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "adapters" / "pprof")]

from pprof_support import build_heapgen  # noqa: E402

from godbg_tui.adapters.dlv.client import DelveClient  # noqa: E402
from godbg_tui.adapters.dlv.launcher import LaunchSpec  # noqa: E402
from godbg_tui.adapters.events import Output  # noqa: E402
from godbg_tui.adapters.pprof.counters import read_counters  # noqa: E402
from godbg_tui.adapters.pprof.delve_walk import walk_heap  # noqa: E402
from godbg_tui.adapters.pprof.profile import decode_profile  # noqa: E402
from godbg_tui.adapters.session import DebugSession  # noqa: E402

GOAL_WALK_S = 0.3
GOAL_COUNTERS_S = 0.020


def find_dlv(explicit: str | None) -> str:
    for cand in (explicit, str(REPO / ".tools/bin/dlv")):
        if cand and Path(cand).exists():
            return cand
    sys.exit("dlv not found: run scripts/test once, or pass --dlv")


async def run(args: argparse.Namespace) -> None:
    out = Path(tempfile.mkdtemp()) / "heap.pb.gz"
    argv = ("-wait", "-o", str(out), "-paths", str(args.paths), "-sizes", "2", "-rounds", "40", "-keep", "1000")
    spec = LaunchSpec(mode="exec", program=str(build_heapgen()), args=argv, dlv_path=find_dlv(args.dlv))
    async with DebugSession(spec) as s:
        printed = bytearray()
        s.subscribe(lambda e: printed.extend(e.data) if isinstance(e, Output) else None)
        async with anyio.create_task_group() as tg:
            tg.start_soon(s.continue_)
            with anyio.fail_after(120):
                while b"profile written" not in printed:
                    await anyio.sleep(0.05)
            await s.halt()
        counters = []
        for _ in range(args.rounds * 2 + 1):
            start = time.perf_counter()
            c = await read_counters(s.client)
            counters.append(time.perf_counter() - start)
        walks = []
        for _ in range(args.rounds):
            async with await DelveClient.connect(s.server.address) as second:
                walk = await walk_heap(second, dlv_version=s.dlv_version)
            walks.append(walk.seconds)
        written = decode_profile(out.read_bytes())
        same = walk.profile.totals() == written.totals()
        print(f"dlv {'.'.join(map(str, s.dlv_version))}, target {s.version.TargetGoVersion}, num_gc={c.num_gc}")
        cm, wm = statistics.median(counters), statistics.median(walks)
        print(f"stop → counters (4 Evals)  : {cm * 1000:7.1f} ms median of {len(counters)}  goal ≤ {GOAL_COUNTERS_S * 1000:g} ms: {'met' if cm <= GOAL_COUNTERS_S else 'NOT met'}")
        print(
            f"Delve walk                 : {wm * 1000:7.1f} ms median of {len(walks)} for {walk.buckets:,} buckets, "
            f"{walk.pcs:,} PCs  goal ≤ {GOAL_WALK_S * 1000:g} ms: {'met' if wm <= GOAL_WALK_S else 'NOT met'}"
        )
        print(f"walk totals == profile the program wrote: {same} {walk.profile.totals()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dlv")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--paths", type=int, default=3000)
    anyio.run(run, parser.parse_args())


if __name__ == "__main__":
    main()
