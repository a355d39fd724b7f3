"""GODEBUG=gctrace=1: one stderr line per GC, a free GC strip while the target runs.

When godbg-tui launches the target it can set ``gctrace=1``; the runtime then
prints, for every collection (runtime/extern.go)::

    gc 14 @5.842s 10%: 0.11+545+0.008 ms clock, 0.22+0/246/298+0.016 ms cpu,
        1113->1113->1111 MB, 2223 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)

The format "is subject to change", so the parser is tolerant: it needs the
GC number and the heap triple, and takes the rest when present.
GCTraceFilter pulls those lines out of the program's output stream so they
stay out of the output pane; everything else passes through unchanged.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..dlv.launcher import PTY_MODES, LaunchSpec

_LINE = re.compile(
    rb"^gc (?P<num>\d+) @(?P<at>[\d.]+)s (?P<pct>\d+)%: (?P<clock>[\d.+/]+) ms clock, (?P<cpu>[\d.+/]+) ms cpu, "
    rb"(?P<before>\d+)->(?P<after>\d+)->(?P<live>\d+) (?P<unit>[KMG]?B), (?P<goal>\d+) [KMG]?B goal"
    rb"(?:, (?P<stacks>\d+) [KMG]?B stacks)?(?:, (?P<globals>\d+) [KMG]?B globals)?"
    rb"(?:, (?P<procs>\d+) P)?(?P<forced> \(forced\))?"
)
_PREFIX = b"gc "
_UNITS = {b"B": 1, b"KB": 1 << 10, b"MB": 1 << 20, b"GB": 1 << 30}
MAX_PENDING_LINE = 4096


@dataclass(frozen=True, slots=True)
class GCEvent:
    """One collection as gctrace reports it. Sizes in bytes (MB-granular in the source)."""

    number: int
    at_seconds: float  # since the program started
    gc_cpu_percent: int  # share of CPU spent in GC since start
    stw_sweep_term_ms: float
    concurrent_mark_ms: float
    stw_mark_term_ms: float
    heap_before: int  # heap size when the GC started
    heap_after: int  # heap size when it ended
    heap_live: int  # marked (live) heap
    heap_goal: int
    stacks: int | None
    globals: int | None
    procs: int | None
    forced: bool

    @property
    def pause_ms(self) -> float:
        """Stop-the-world time: the two STW phases."""
        return self.stw_sweep_term_ms + self.stw_mark_term_ms


def parse_gctrace_line(line: bytes | str) -> GCEvent | None:
    """A GCEvent from one gctrace line, or None if the line is something else."""
    raw = line.encode() if isinstance(line, str) else line
    m = _LINE.match(raw.strip())
    if m is None:
        return None
    clock = [float(x) for x in m["clock"].split(b"+")]
    if len(clock) != 3:
        return None
    unit = _UNITS[m["unit"]]

    def size(name: str) -> int | None:
        return int(m[name]) * unit if m[name] is not None else None

    return GCEvent(
        number=int(m["num"]),
        at_seconds=float(m["at"]),
        gc_cpu_percent=int(m["pct"]),
        stw_sweep_term_ms=clock[0],
        concurrent_mark_ms=clock[1],
        stw_mark_term_ms=clock[2],
        heap_before=int(m["before"]) * unit,
        heap_after=int(m["after"]) * unit,
        heap_live=int(m["live"]) * unit,
        heap_goal=int(m["goal"]) * unit,
        stacks=size("stacks"),
        globals=size("globals"),
        procs=int(m["procs"]) if m["procs"] is not None else None,
        forced=m["forced"] is not None,
    )


class GCTraceFilter:
    """Split gctrace lines out of a program's output chunks.

    ``feed(chunk)`` returns (output to show, GC events found). Lines are
    matched whole; a partial line is held back only while it could still
    become a gctrace line (it starts like one), so prompts without a newline
    are never delayed. Works on pty output (``\\r\\n``) and plain pipes.
    """

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> tuple[bytes, list[GCEvent]]:
        data = self._pending + chunk
        self._pending = b""
        shown = bytearray()
        events: list[GCEvent] = []
        pos = 0
        while pos < len(data):
            nl = data.find(b"\n", pos)
            if nl < 0:
                rest = data[pos:]
                if _could_be_gctrace(rest) and len(rest) < MAX_PENDING_LINE:
                    self._pending = rest
                else:
                    shown += rest
                break
            line = data[pos : nl + 1]
            event = parse_gctrace_line(line) if line.startswith(_PREFIX) else None
            if event is None:
                shown += line
            else:
                events.append(event)
            pos = nl + 1
        return bytes(shown), events

    def flush(self) -> bytes:
        """Whatever partial line is still held (at the end of the output)."""
        rest, self._pending = self._pending, b""
        return rest


def _could_be_gctrace(partial: bytes) -> bool:
    if len(partial) <= len(_PREFIX):
        return _PREFIX.startswith(partial)
    return partial.startswith(_PREFIX) and partial[3:4].isdigit()


def with_gctrace(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: none) with gctrace=1 added to GODEBUG, keeping the user's other GODEBUG settings."""
    out = dict(env or {})
    current = out.get("GODEBUG", "")
    settings = [s for s in current.split(",") if s and not s.startswith("gctrace=")]
    out["GODEBUG"] = ",".join([*settings, "gctrace=1"])
    return out


def gctrace_spec(spec: LaunchSpec, enabled: bool = True, environ: Mapping[str, str] | None = None) -> LaunchSpec:
    """``spec`` with gctrace=1 in the program's GODEBUG when ``enabled`` and we start the program ourselves.

    Only exec and debug qualify: there the program writes to its own
    terminal, so the lines reach the output stream HeapMonitor.filter_output
    cleans, while dlv's own gctrace lines (it inherits the variable) stay in
    its log. In test mode they would be mixed with dlv's on one pipe, and
    attach/core/connect start nothing. The user's GODEBUG, from ``spec.env``
    or else the environment the program inherits (``environ``, default
    os.environ), is kept.
    """
    if not enabled or spec.mode not in PTY_MODES:
        return spec
    env = dict(spec.env or {})
    inherited = (os.environ if environ is None else environ).get("GODEBUG")
    if "GODEBUG" not in env and inherited:
        env["GODEBUG"] = inherited
    return dataclasses.replace(spec, env=with_gctrace(env))
