"""Delve's JSON-RPC API v2 types (service/api/types.go), field for field.

Every field has a default and every list/map/struct may be ``null`` because Delve
omits ``omitempty`` keys and sends ``null`` for nil Go slices. Unknown keys are
ignored, so newer Delve versions keep decoding. JSON names are exactly Delve's
(they mix lowercase tags and bare Go field names).
"""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import field


class Base(msgspec.Struct, kw_only=True):
    """Common config: tolerant decoding, keyword construction."""


class Function(Base):
    name: str = field(default="", name="name")
    value: int = 0
    type: int = 0
    goType: int = 0
    optimized: bool = False


class Location(Base):
    pc: int = 0
    file: str = ""
    line: int = 0
    function: Function | None = None
    pcs: list[int] | None = None
    pcpids: list[int] | None = None


class LoadConfig(Base):
    """What Delve loads of a value. Go field names, no JSON tags."""

    FollowPointers: bool = True
    MaxVariableRecurse: int = 1
    MaxStringLen: int = 64
    MaxArrayValues: int = 64
    MaxStructFields: int = -1


class EvalScope(Base):
    """GoroutineID -1 is the selected goroutine; 0 fails whenever one is selected."""

    GoroutineID: int = -1
    Frame: int = 0
    DeferredCall: int = 0


class Variable(Base):
    name: str = ""
    addr: int = 0
    onlyAddr: bool = False
    type: str = ""
    realType: str = ""
    flags: int = 0
    kind: int = 0
    value: str = ""
    len: int = 0
    cap: int = 0
    children: list[Variable] | None = None
    base: int = 0
    unreadable: str = ""
    LocationExpr: str = ""
    DeclLine: int = 0
    StringValueBytes: str | None = None


class BreakpointInfo(Base):
    stacktrace: list[Stackframe] | None = None
    goroutine: Goroutine | None = None
    variables: list[Variable] | None = None
    arguments: list[Variable] | None = None
    locals: list[Variable] | None = None


class Breakpoint(Base):
    id: int = 0
    name: str = ""
    addr: int = 0
    addrs: list[int] | None = None
    addrpid: list[int] | None = None
    file: str = ""
    line: int = 0
    functionName: str = ""
    ExprString: str = ""
    Cond: str = ""
    HitCond: str = ""
    HitCondPerG: bool = False
    tracepoint: bool = field(default=False, name="continue")
    traceReturn: bool = False
    goroutine: bool = False
    stacktrace: int = 0
    variables: list[str] | None = None
    LoadArgs: LoadConfig | None = None
    LoadLocals: LoadConfig | None = None
    WatchExpr: str = ""
    WatchType: int = 0
    VerboseDescr: list[str] | None = None
    hitCount: dict[str, int] | None = None
    totalHitCount: int = 0
    disabled: bool = False
    RootFuncName: str = ""
    TraceFollowCalls: int = 0
    customCommands: list[str] | None = None


class Thread(Base):
    id: int = 0
    pc: int = 0
    file: str = ""
    line: int = 0
    function: Function | None = None
    goroutineID: int = 0
    breakPoint: Breakpoint | None = None
    breakPointInfo: BreakpointInfo | None = None
    ReturnValues: list[Variable] | None = None
    CallReturn: bool = False


class Goroutine(Base):
    id: int = 0
    currentLoc: Location = field(default_factory=Location)
    userCurrentLoc: Location = field(default_factory=Location)
    goStatementLoc: Location = field(default_factory=Location)
    startLoc: Location = field(default_factory=Location)
    threadID: int = 0
    status: int = 0
    waitSince: int = 0
    waitReason: int = 0
    unreadable: str = ""
    labels: dict[str, str] | None = None


class DebuggerState(Base):
    Pid: int = 0
    TargetCommandLine: str = ""
    Running: bool = False
    Recording: bool = False
    CoreDumping: bool = False
    currentThread: Thread | None = None
    currentGoroutine: Goroutine | None = None
    Threads: list[Thread] | None = None
    NextInProgress: bool = False
    WatchOutOfScope: list[Breakpoint] | None = None
    exited: bool = False
    exitStatus: int = 0
    When: str = ""
    stopReason: str = ""


class Defer(Base):
    DeferredLoc: Location = field(default_factory=Location)
    DeferLoc: Location = field(default_factory=Location)
    SP: int = 0
    Unreadable: str = ""


class Stackframe(Base):
    pc: int = 0
    file: str = ""
    line: int = 0
    function: Function | None = None
    pcs: list[int] | None = None
    Locals: list[Variable] | None = None
    Arguments: list[Variable] | None = None
    FrameOffset: int = 0
    FramePointerOffset: int = 0
    Defers: list[Defer] | None = None
    Bottom: bool = False
    Err: str = ""


class DebuggerCommand(Base, omit_defaults=True):
    """Argument of RPCServer.Command. Names are Delve's constants (`stepOut`, not `stepout`)."""

    name: str
    threadID: int = 0
    goroutineID: int = 0
    ReturnInfoLoadConfig: LoadConfig | None = None
    expr: str = ""
    unsafeCall: bool = False


class GoroutineGroup(Base):
    Name: str = ""
    Offset: int = 0
    Count: int = 0
    Total: int = 0


class ListGoroutinesFilter(Base):
    Kind: int = 0
    Negated: bool = False
    Arg: str = ""


class AsmInstruction(Base):
    Loc: Location = field(default_factory=Location)
    DestLoc: Location | None = None
    Text: str = ""
    Bytes: str | None = None
    Breakpoint: bool = False
    AtPC: bool = False


class Register(Base):
    Name: str = ""
    Value: str = ""
    DwarfNumber: int = 0


class GetVersionOut(Base):
    DelveVersion: str = ""
    APIVersion: int = 0
    Backend: str = ""
    TargetGoVersion: str = ""
    MinSupportedVersionOfGo: str = ""
    MaxSupportedVersionOfGo: str = ""


class DiscardedBreakpoint(Base):
    breakpoint: Breakpoint | None = None
    reason: str = ""


class PackageBuildInfo(Base):
    ImportPath: str = ""
    DirectoryPath: str = ""
    Files: list[str] | None = None


# Goroutine status values (runtime _G* constants as Delve reports them).
GOROUTINE_STATUS = {
    0: "idle",
    1: "runnable",
    2: "running",
    3: "syscall",
    4: "waiting",
    6: "dead",
    8: "copystack",
}

# Variable.kind (reflect.Kind).
KIND_BOOL, KIND_INT, KIND_UINT8 = 1, 2, 8
KIND_ARRAY, KIND_CHAN, KIND_FUNC, KIND_INTERFACE = 17, 18, 19, 20
KIND_MAP, KIND_PTR, KIND_SLICE, KIND_STRING, KIND_STRUCT = 21, 22, 23, 24, 25
KIND_UNSAFE_POINTER = 26
KIND_COMPLEX64, KIND_COMPLEX128 = 15, 16

# Variable.flags bits.
FLAG_ESCAPED = 1
FLAG_SHADOWED = 2
FLAG_CONSTANT = 4
FLAG_ARGUMENT = 8
FLAG_RETURN_ARGUMENT = 16
FLAG_FAKE_ADDRESS = 32

# ListGoroutinesFilter.Kind / GroupBy values.
GOROUTINE_FIELD = {
    "curloc": 1,
    "userloc": 2,
    "goloc": 3,
    "startloc": 4,
    "label": 5,
    "running": 6,
    "user": 7,
}
FILTER_WAITING_ON_CHANNEL = 8


def to_builtins(obj: Any) -> Any:
    """Encode a Struct to JSON-ready builtins with Delve's field names."""
    return msgspec.to_builtins(obj)
