"""Shared by the pprof tests and benchmarks: the heapgen program, go tool pprof, a leaky session.

heapgen (tests/adapters/pprof/heapgen) writes seeded heap profiles with real
inlining; ``go tool pprof -top`` is the reference our tables must equal.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import gofixtures  # noqa: E402

HEAPGEN_SRC = HERE / "heapgen"
PPROF_TIMEOUT_S = 600
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
