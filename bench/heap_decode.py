#!/usr/bin/env python3
"""Heap profile → top table: our decoder + aggregation vs `go tool pprof -top`, same files, same run.

Usage: bench/heap_decode.py [--rounds N] [--big-paths N]

Builds tests/adapters/pprof/heapgen and writes two profiles: a default-rate
one (what a polled program serves) and a ~5 MB one (MemProfileRate=1, ~400k
samples). For each it times decode + the inuse_space top table by function
(median of N, wall and CPU) and one `go tool pprof -top` run (after a
warm-up, so building the pprof tool is not counted). A CPU calibration
(a fixed pure-Python loop) is printed, and each CPU figure as a multiple of
it, so figures from different machines and loads can be compared; the big
profile's time is split into gunzip, decode and the table (aggregation,
which also sums the shown column per stack).

If the protobuf package happens to be importable (it is not a dependency),
the raw split of samples with upb (runtime-built descriptor, its fastest
use) is timed too, against our decoder's loop alone, to show what that
dependency would buy: upb must still make a Python bytes object per field,
as our loop does, and grouping and aggregation stay in Python, so it saves
about a seventh of the total; we keep the stdlib decoder.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "adapters" / "pprof")]

import gofixtures  # noqa: E402
from pprof_support import build_heapgen, heap_profile  # noqa: E402

from godbg_tui.adapters.pprof.profile import _Decoder, decode_profile, gc_paused, gunzip  # noqa: E402
from godbg_tui.adapters.pprof.report import top_table  # noqa: E402

CACHE = gofixtures.BUILD_CACHE / "heap-bench"
GOAL_BIG_S = 1.0


def calibrate() -> float:
    start = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - start


def timed(fn, rounds: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(rounds):
        w, c = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus)


def decode_and_top(data: bytes) -> None:
    top_table(decode_profile(data))


def pprof_top(path: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["go", "tool", "pprof", "-top", str(path)], capture_output=True, check=True, env=gofixtures.go_env(), timeout=1800
    )
    return time.perf_counter() - start


def upb_split(raw: bytes):
    """Sample split with protobuf's upb (runtime-built descriptor); None if protobuf is absent.

    The fastest use of upb we found: samples come back as raw bytes in one
    list, are joined behind an empty location field (a marker, so samples
    without packed locations can still be told apart) and parsed again, so
    locations, values and labels each come back as one list. Iterating
    per-sample messages instead is ~2x slower than our loop.
    """
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    except ImportError:
        return None
    F = descriptor_pb2.FieldDescriptorProto
    fd = descriptor_pb2.FileDescriptorProto(name="bench.proto", package="bench", syntax="proto3")
    fd.message_type.add(name="P").field.add(name="sample", number=2, type=F.TYPE_BYTES, label=F.LABEL_REPEATED)
    s = fd.message_type.add(name="S")
    for name, number in (("locs", 1), ("vals", 2), ("labels", 3)):
        s.field.add(name=name, number=number, type=F.TYPE_BYTES, label=F.LABEL_REPEATED)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    profile_cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("bench.P"))
    fields_cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("bench.S"))
    marker = b"\x0a\x00"

    def run() -> None:
        profile = profile_cls()
        profile.ParseFromString(raw)
        fields = fields_cls()
        fields.ParseFromString(marker + marker.join(profile.sample))
        list(fields.locs), list(fields.vals), list(fields.labels)

    return run


def hand_split(raw: bytes):
    def run() -> None:
        d = _Decoder(raw)
        d._build = lambda: None
        with gc_paused():
            d.run()

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--big-paths", type=int, default=220_000)
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    gen = build_heapgen()
    small = CACHE / "default-3000.pb.gz"
    big = CACHE / f"rate1-{args.big_paths}.pb.gz"
    if not small.exists():
        heap_profile(gen, small, "-paths", "3000", "-sizes", "2", "-rounds", "40", "-keep", "1000")
    if not big.exists():
        heap_profile(gen, big, "-rate", "1", "-paths", str(args.big_paths), "-depth", "24", "-sizes", "2", "-rounds", "1")
    loop_s = calibrate()
    print(f"CPU calibration: 10M-iteration Python loop = {loop_s:.2f} s CPU (a 2020s laptop: ~0.35 s)")
    pprof_top(small)  # builds `go tool pprof` on first use
    for path in (small, big):
        data = path.read_bytes()
        profile = decode_profile(data)
        wall, cpu = timed(lambda: decode_and_top(data), args.rounds)
        theirs = pprof_top(path)
        print(
            f"{path.name}: {len(data) / 1e3:,.0f} KB gz, {len(gunzip(data)) / 1e3:,.0f} KB raw, "
            f"{len(profile.stacks):,} stacks, {len(profile.frames):,} frames"
        )
        print(
            f"  decode + top table : {wall * 1000:8.1f} ms wall, {cpu * 1000:8.1f} ms CPU (median of {args.rounds}),"
            f" {cpu / loop_s:.2f}× the calibration loop"
        )
        print(f"  go tool pprof -top : {theirs * 1000:8.1f} ms wall  → ours is {theirs / wall:.1f}× faster")
        if path is big:
            verdict = "met" if wall <= GOAL_BIG_S else "NOT met on this machine"
            print(f"  goal ≤ {GOAL_BIG_S:g} s and not slower than pprof: {verdict}; not slower: {wall <= theirs}")
            raw = gunzip(data)
            unzip = timed(lambda: gunzip(data), args.rounds)
            parse = timed(lambda: decode_profile(raw), args.rounds)
            table = timed(lambda: top_table(decode_profile(raw)), args.rounds)
            print(
                f"  of which (CPU): gunzip {unzip[1] * 1000:.0f} ms, decode {parse[1] * 1000:.0f} ms, "
                f"top table {(table[1] - parse[1]) * 1000:.0f} ms"
            )
            hand = timed(hand_split(raw), args.rounds)
            print(f"  sample split, stdlib decoder loop : {hand[0] * 1000:8.1f} ms wall, {hand[1] * 1000:8.1f} ms CPU")
            upb = upb_split(raw)
            if upb is None:
                print("  sample split, protobuf upb        : (protobuf not installed)")
            else:
                u = timed(upb, args.rounds)
                print(f"  sample split, protobuf upb        : {u[0] * 1000:8.1f} ms wall, {u[1] * 1000:8.1f} ms CPU")


if __name__ == "__main__":
    main()
