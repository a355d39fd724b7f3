"""The fault matrix at the session level: real dlv, real targets, one fault per test.

Rows are faults outside our own process: dlv killed or exiting, the connection to dlv
dropping, the target exiting, failing, panicking or being killed from outside. Columns
are the modes (exec/debug/test: dlv started the program; attach/connect: it is someone
else's) and whether the program was running or stopped at a breakpoint when the fault
hit. Faults of our own process (signals, exceptions) need the real command in a real
terminal: tests/reliability/test_app_faults.py. docs/reliability.md shows the matrix.

Cells already covered elsewhere are not repeated: dlv SIGKILLed under exec
(tests/adapters/test_session.py test_dlv_killed_marks_session_dead_and_reaps_target,
test_dlv_dying_while_stopped_is_noticed_at_once), exec exiting non-zero
(test_exit_status_and_restart).
"""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import anyio.abc
import pytest
from faultkit import RemoteDlv, Target, alive, proc_state, tracer_pid
from support import async_wait_until

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.events import Closed, Exited, Message, Phase, SessionFailed, Stopped
from godbg_tui.adapters.session import DebugSession

pytestmark = pytest.mark.timeout(90)

GOFAULTS = Path(__file__).resolve().parent / "gofaults"
LAUNCHED = ("exec", "debug", "test")
MODES = (*LAUNCHED, "attach", "connect")
STATES = ("running", "stopped")


@dataclass
class Scene:
    """One column of the matrix, ready to debug: the spec and what to break on."""

    mode: str
    spec: LaunchSpec
    breakpoint: str
    never: str = ""  # a condition under which ``breakpoint`` never stops the program
    target: Target | None = None
    remote: RemoteDlv | None = None
    events: list = field(default_factory=list)
    dlv_pid: int = 0
    target_pid: int = 0
    private: Path | None = None

    @property
    def ours(self) -> bool:
        return self.mode in LAUNCHED

    def messages(self) -> str:
        return "\n".join(e.text for e in self.events if isinstance(e, Message))

    def failure(self) -> str:
        return "\n".join(e.error for e in self.events if isinstance(e, SessionFailed))

    def exits(self) -> list[int]:
        return [e.status for e in self.events if isinstance(e, Exited)]


@pytest.fixture
def scene(go_bin, fixture_src, dlv_path, target, remote_dlv):
    """``scene(mode, program)`` for program in forever / exit0 / exit3 / panic."""

    def make(mode: str, program: str = "forever") -> Scene:
        dlv = str(dlv_path)
        if mode in ("exec", "debug"):
            args = {"forever": ("-linger", "1h"), "exit0": (), "exit3": ("-exit", "3"), "panic": ("-panic",)}[program]
            where = str(go_bin["prog"]) if mode == "exec" else str(fixture_src["prog"])
            return Scene(mode, LaunchSpec(mode, program=where, args=args, dlv_path=dlv), "main.compute", "a < 0")
        if mode == "test":
            run = {"forever": "^TestForever$", "exit3": "^TestFails$", "panic": "^TestPanics$", "exit0": "^$"}[program]
            spec = LaunchSpec("test", program=str(GOFAULTS), test_run=run, dlv_path=dlv)
            return Scene(mode, spec, "example.com/gofaults.tick", "n < 0")
        if mode == "attach":
            if program == "forever":
                t = target(go_bin["attachee"])
            elif program == "panic":
                t = target(go_bin["prog"], "-echo", "-panic", stdin_pipe=True)  # panics when stdin closes
            else:
                t = target(go_bin["prog"], "-linger", "2s", "-exit", "3" if program == "exit3" else "0")
            return Scene(mode, LaunchSpec("attach", pid=t.pid, dlv_path=dlv), "main.tick", "n < 0", target=t)
        args = {"forever": (), "exit0": ("-exit", "0"), "exit3": ("-exit", "3"), "panic": ("-panic",)}[program]
        remote = remote_dlv(go_bin["attachee"] if program == "forever" else go_bin["prog"], *args)
        return Scene(mode, LaunchSpec("connect", address=remote.address), "main.tick", "n < 0", remote=remote)

    return make


@asynccontextmanager
async def debugging(scene: Scene) -> AsyncIterator[DebugSession]:
    session = DebugSession(scene.spec)
    session.subscribe(scene.events.append)
    async with session:
        scene.dlv_pid = (session.server.pid if session.server else None) or 0
        scene.target_pid = session.target_pid or (scene.remote.target_pid if scene.remote else 0)
        if scene.ours:
            scene.private = Path(session.server.address.removeprefix("unix:")).parent
        yield session
    assert any(isinstance(e, Closed) for e in scene.events)


@asynccontextmanager
async def in_state(s: DebugSession, scene: Scene, state: str, *, with_breakpoint: bool = True) -> AsyncIterator[None]:
    """Stopped at ``scene.breakpoint``, or running (with that breakpoint set but never stopping)."""
    if state == "stopped":
        await s.set_breakpoint(scene.breakpoint)
        await s.continue_()
        assert s.phase == Phase.STOPPED and scene.events[-1].reason == "breakpoint", scene.events[-3:]
        yield
        return
    if with_breakpoint:
        await s.set_breakpoint(scene.breakpoint, cond=scene.never)
    async with anyio.create_task_group() as tg:
        tg.start_soon(s.continue_)
        await async_wait_until(lambda: s.phase == Phase.RUNNING and s.client is not None and s.client.running)
        yield
        tg.cancel_scope.cancel()


async def assert_left_clean(scene: Scene, *, target_survives: bool) -> None:
    """After the session is closed: nothing of ours runs, and someone else's program goes on."""
    if scene.dlv_pid:
        await async_wait_until(lambda: not alive(scene.dlv_pid), message="dlv to be gone")
    if scene.private is not None:
        assert not scene.private.exists(), "the private socket directory is removed"
    if scene.ours:
        await async_wait_until(lambda: not alive(scene.target_pid), message="the launched program to be gone")
    elif scene.target is not None and target_survives:
        assert tracer_pid(scene.target.pid) == 0 and proc_state(scene.target.pid) not in ("t", "T")
        assert scene.target.keeps_working(), "the attached program goes on with its work (no breakpoint left in it)"
    elif scene.remote is not None and target_survives:
        assert scene.remote.proc.poll() is None, "someone else's dlv server stays up"
        assert scene.remote.running(), "the remote program was let go"
        assert scene.remote.user_breakpoints() == [], "our breakpoints are gone from the server"
        before = len(scene.remote.output())
        await async_wait_until(lambda: len(scene.remote.output()) > before, message="the remote program to keep working")


def drop_connection(s: DebugSession) -> None:
    """What a dead network does: the socket stops delivering, in both directions."""
    assert s.client is not None
    raw: socket.socket = s.client._stream.extra(anyio.abc.SocketAttribute.raw_socket)
    raw.shutdown(socket.SHUT_RDWR)


# ---------------------------------------------------------------------------------------------
# dlv dies (SIGKILL: a crash or the OOM killer) or exits (SIGTERM: someone stopped it).
# For connect this is "the remote server goes away".

DLV_CELLS = [
    (how, mode, state)
    for how in ("SIGKILL", "SIGTERM")
    for mode in MODES
    for state in STATES
    if not (how == "SIGKILL" and mode == "exec")
]


@pytest.mark.parametrize(("how", "mode", "state"), DLV_CELLS)
async def test_dlv_goes_away(scene, how, mode, state):
    sc = scene(mode)
    sig = signal.Signals[how]
    # Attached and SIGKILLed while running: show that the program survives when no breakpoint
    # was in it (with one it would die of SIGTRAP, as the stopped cell shows).
    keep_breakpoint = not (mode == "attach" and how == "SIGKILL")
    async with debugging(sc) as s:
        async with in_state(s, sc, state, with_breakpoint=keep_breakpoint):
            if sc.remote is not None:
                sc.remote.proc.send_signal(sig)
            else:
                os.kill(sc.dlv_pid, sig)
            await async_wait_until(lambda: sc.failure(), timeout=15, message="the session to report the failure")
        assert s.phase == Phase.DEAD
    failure = sc.failure()
    assert "lost the connection to Delve" in failure
    if sc.ours:
        assert "the program is stopped and cleaned up" in failure
        await assert_left_clean(sc, target_survives=False)
    elif mode == "attach" and how == "SIGKILL" and state == "stopped":
        # Delve's limitation: a killed dlv leaves its int3s in the code; the kernel detaches
        # the program, which dies at the next one. We cannot prevent it; we say so.
        assert "will be killed (SIGTRAP)" in failure
        await async_wait_until(lambda: sc.target.proc.poll() is not None, message="the target to hit the left-over int3")
        assert sc.target.proc.returncode == -signal.SIGTRAP
    elif mode == "attach":
        assert f"process {sc.target.pid} is released and keeps running" in failure
        await assert_left_clean(sc, target_survives=True)
    else:
        assert f"reconnect (godbg-tui connect {sc.spec.address})" in failure


# ---------------------------------------------------------------------------------------------
# The connection to dlv drops while dlv itself lives on


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("mode", MODES)
async def test_connection_drops(scene, mode, state):
    sc = scene(mode)
    async with debugging(sc) as s:
        async with in_state(s, sc, state):
            drop_connection(s)
            await async_wait_until(lambda: sc.failure(), timeout=15, message="the session to report the failure")
        assert s.phase == Phase.DEAD
        if mode == "attach":
            # Released at once, not when the user gets round to closing the session.
            await async_wait_until(lambda: tracer_pid(sc.target.pid) == 0, message="dlv to detach")
    assert "lost the connection to Delve" in sc.failure()
    await assert_left_clean(sc, target_survives=True)
    if mode == "connect":
        assert any("reconnected to remove this session's breakpoints" in e.note for e in sc.events if isinstance(e, Closed))


# ---------------------------------------------------------------------------------------------
# The program ends by itself: exit 0, exit non-zero


EXIT_CELLS = [(status, mode) for status in (0, 3) for mode in MODES if not (status == 3 and mode == "exec")]


@pytest.mark.parametrize(("status", "mode"), EXIT_CELLS)
async def test_program_exits(scene, status, mode):
    sc = scene(mode, f"exit{status}")
    expected = 1 if mode == "test" and status else status  # a failing test binary exits 1
    async with debugging(sc) as s:
        await s.continue_()
        assert s.phase == Phase.EXITED and s.exit_status == expected
        assert sc.exits() == [expected]
        assert f"exited with status {expected}" in sc.messages()
    await assert_left_clean(sc, target_survives=False)
    if sc.remote is not None:
        assert sc.remote.proc.poll() is None, "dlv outlives its program: the server stays for the next client"


# ---------------------------------------------------------------------------------------------
# The program panics: stop there, with the panic value and the stack


PANICKING_FUNCTION = {"test": "example.com/gofaults.TestPanics"}


@pytest.mark.parametrize("mode", MODES)
async def test_program_panics(scene, mode):
    sc = scene(mode, "panic")
    async with debugging(sc) as s:
        async with anyio.create_task_group() as tg:
            tg.start_soon(s.continue_)
            if sc.target is not None:
                await async_wait_until(lambda: s.phase == Phase.RUNNING)
                assert sc.target.proc.stdin
                sc.target.proc.stdin.close()
        stop = sc.events[-1]
        assert isinstance(stop, Stopped) and stop.reason == "panic" and s.phase == Phase.STOPPED
        [value] = stop.state.currentThread.breakPointInfo.variables
        assert "deliberate panic" in value.children[0].value
        functions = [f.function.name for f in await s.stack() if f.function]
        assert PANICKING_FUNCTION.get(mode, "main.main") in functions
    if mode == "attach":
        # Released, the program carries on dying of its panic, as it would have without us.
        await async_wait_until(lambda: sc.target.proc.poll() is not None, message="the program to finish its panic")
        assert sc.target.proc.returncode == 2 and b"deliberate panic" in sc.target.output()
    else:
        await assert_left_clean(sc, target_survives=False)


# ---------------------------------------------------------------------------------------------
# The program is killed from outside


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("mode", MODES)
async def test_program_killed_from_outside(scene, mode, state):
    sc = scene(mode)
    async with debugging(sc) as s:
        async with in_state(s, sc, state):
            os.kill(sc.target_pid, signal.SIGKILL)
            if state == "running":
                await async_wait_until(lambda: s.phase == Phase.EXITED, timeout=15)
        if state == "stopped":
            # dlv only learns of the death when it tries to resume the program.
            await s.continue_()
        assert s.phase == Phase.EXITED and s.exit_status == -signal.SIGKILL
        assert f"process {sc.target_pid} was killed by signal 9 (SIGKILL)" in sc.messages()
    await assert_left_clean(sc, target_survives=False)
    if sc.target is not None:
        await async_wait_until(lambda: sc.target.proc.poll() is not None)
