"""Typed events a DebugSession emits; the UI renders them and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .dlv.types import Breakpoint, DebuggerState, Location, Thread


class Phase(Enum):
    LAUNCHING = "launching"
    STOPPED = "stopped"
    RUNNING = "running"
    EXITED = "exited"
    DEAD = "dead"
    CLOSED = "closed"


@dataclass(frozen=True)
class Launching:
    description: str


@dataclass(frozen=True)
class BreakpointHit:
    """One thread stopped at a breakpoint (several can be reported in one stop)."""

    thread: Thread
    breakpoint: Breakpoint
    goroutine_id: int


@dataclass(frozen=True)
class Stopped:
    state: DebuggerState
    reason: str  # entry, attached, breakpoint, tracepoint, watchpoint, step, manual, panic, fatal, condition-error, call
    location: Location | None
    goroutine_id: int
    hits: tuple[BreakpointHit, ...] = ()
    next_in_progress: bool = False
    optimized: bool = False


@dataclass(frozen=True)
class Running:
    command: str


@dataclass(frozen=True)
class Exited:
    status: int


@dataclass(frozen=True)
class Output:
    stream: str  # "stdout" | "stderr"
    data: bytes


@dataclass(frozen=True)
class Message:
    """A line for the debugger log: info about stops, warnings, errors."""

    level: str  # info | warning | error
    text: str


@dataclass(frozen=True)
class TraceHit:
    """A tracepoint fired; the session already continued."""

    thread: Thread
    breakpoint: Breakpoint


@dataclass(frozen=True)
class BreakpointsChanged:
    breakpoints: tuple[Breakpoint, ...]


@dataclass(frozen=True)
class ScopeChanged:
    goroutine_id: int
    frame: int
    location: Location | None = None


@dataclass(frozen=True)
class SessionFailed:
    error: str
    detail: str = ""


@dataclass(frozen=True)
class Closed:
    note: str = ""


Event = (
    Launching
    | Stopped
    | Running
    | Exited
    | Output
    | Message
    | TraceHit
    | BreakpointsChanged
    | ScopeChanged
    | SessionFailed
    | Closed
)

__all__ = [
    "Phase",
    "Launching",
    "BreakpointHit",
    "Stopped",
    "Running",
    "Exited",
    "Output",
    "Message",
    "TraceHit",
    "BreakpointsChanged",
    "ScopeChanged",
    "SessionFailed",
    "Closed",
    "Event",
]
