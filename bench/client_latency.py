#!/usr/bin/env python3
"""Per-call latency of our DelveClient against a bare socket, on the same dlv.

Usage: bench/client_latency.py [--dlv PATH] [--rounds N]

Builds tests/fixtures/go/prog, runs it under a headless dlv stopped inside
main.compute, and times State, Stacktrace, ListGoroutines and `next` through
(a) a raw blocking unix socket speaking JSON by hand and (b) DelveClient, in
the same run. Prints medians and the overhead ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from godbg_tui.adapters.dlv.client import DelveClient  # noqa: E402
from godbg_tui.adapters.dlv.types import Breakpoint  # noqa: E402

CALLS = {
    "State": ("State", {"NonBlocking": False}),
    "Stacktrace": ("Stacktrace", {"Id": -1, "Depth": 50}),
    "ListGoroutines": ("ListGoroutines", {"Start": 0, "Count": 100}),
}


def find_dlv(explicit: str | None) -> str:
    for cand in (explicit, os.environ.get("GODBG_DLV"), str(REPO / ".tools/bin/dlv"), shutil.which("dlv")):
        if cand and os.access(cand, os.X_OK):
            return cand
    sys.exit("dlv not found: run scripts/test once, or pass --dlv")


class RawClient:
    def __init__(self, path: str):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.buf = b""
        self.id = 0

    def call(self, method: str, params: dict) -> dict:
        self.id += 1
        self.sock.sendall(json.dumps({"method": f"RPCServer.{method}", "params": [params], "id": self.id}).encode() + b"\n")
        while b"\n" not in self.buf:
            self.buf += self.sock.recv(1 << 20)
        line, _, self.buf = self.buf.partition(b"\n")
        return json.loads(line)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def bench(dlv: str, binary: str, rounds: int) -> None:
    tmp = tempfile.mkdtemp(prefix="godbg-bench-")
    sock = f"{tmp}/dlv.sock"
    proc = subprocess.Popen(
        [dlv, "exec", binary, "--headless", "--api-version=2", "--accept-multiclient", f"--listen=unix:{sock}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(sock):
            if time.monotonic() > deadline or proc.poll() is not None:
                sys.exit("dlv did not start")
            time.sleep(0.02)
        async with await DelveClient.connect(f"unix:{sock}") as client:
            loc = (await client.find_location("main.compute")).Locations[0]
            await client.create_breakpoint(Breakpoint(addrs=loc.pcs or [loc.pc]))
            await client.command("continue")
            raw = RawClient(sock)
            rows = []
            for label, (method, params) in CALLS.items():
                raw_t, ours_t = [], []
                for _ in range(rounds):
                    t = time.perf_counter()
                    raw.call(method, params)
                    raw_t.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    await client.call(method, params, dict)
                    ours_t.append(time.perf_counter() - t)
                rows.append((label, median_ms(raw_t), median_ms(ours_t)))
            raw_t, ours_t = [], []
            for i in range(rounds):
                # Alternate so both step through the same loop; the breakpoint keeps us inside compute.
                t = time.perf_counter()
                if i % 2:
                    raw.call("Command", {"name": "next"})
                    raw_t.append(time.perf_counter() - t)
                else:
                    await client.command("next")
                    ours_t.append(time.perf_counter() - t)
            rows.append(("next", median_ms(raw_t), median_ms(ours_t)))
            raw.sock.close()
            await client.detach(kill=True)
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{'call':<16}{'raw socket ms':>15}{'DelveClient ms':>16}{'ratio':>8}")
    for label, r, o in rows:
        print(f"{label:<16}{r:>15.3f}{o:>16.3f}{o / r:>8.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dlv")
    ap.add_argument("--rounds", type=int, default=200)
    opts = ap.parse_args()
    import gofixtures

    binary = str(gofixtures.build("prog"))
    anyio.run(bench, find_dlv(opts.dlv), binary, opts.rounds)


if __name__ == "__main__":
    main()
