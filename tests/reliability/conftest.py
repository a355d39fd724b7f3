"""Fixtures for the reliability suite: launch specs on the shared Go fixtures, targets
started outside the debugger (to attach to), and remote dlv servers (to connect to).

Everything started here is stopped again when the test ends, so the leak guard in
tests/conftest.py judges only what the code under test left behind.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from faultkit import RemoteDlv, Target

from godbg_tui.adapters.dlv.launcher import LaunchSpec


@pytest.fixture
def launch(go_bin, dlv_path, fixture_src) -> Callable[..., LaunchSpec]:
    """``launch("exec", "-linger", "1h")``: a spec that makes dlv start the program.

    exec runs the built ``prog``; debug builds prog's package; test builds ``testpkg``'s tests.
    """

    def make(mode: str, *args: str, **kw) -> LaunchSpec:
        program = {"exec": str(go_bin["prog"]), "debug": str(fixture_src["prog"]), "test": str(fixture_src["testpkg"])}[mode]
        return LaunchSpec(mode, program=program, args=args, dlv_path=str(dlv_path), **kw)  # type: ignore[arg-type]

    return make


@pytest.fixture
def target(tmp_path: Path) -> Iterator[Callable[..., Target]]:
    """``target(path, *args)``: a process we did not start through dlv, killed at the end."""
    started: list[Target] = []

    def start(program: Path | str, *args: str, stdin_pipe: bool = False) -> Target:
        t = Target.start(program, args, tmp_path / f"target-{len(started)}.out", stdin_pipe=stdin_pipe)
        started.append(t)
        return t

    yield start
    for t in started:
        t.stop()


@pytest.fixture
def remote_dlv(dlv_path, tmp_path: Path) -> Iterator[Callable[..., RemoteDlv]]:
    """``remote_dlv(program, *args)``: a headless multiclient dlv someone else runs, for connect mode."""
    started: list[RemoteDlv] = []

    def start(program: Path | str, *args: str) -> RemoteDlv:
        # A short socket path: it has to fit sun_path, and the status bar shows the address.
        server = RemoteDlv.start(dlv_path, program, args, Path(tempfile.mkdtemp(prefix="rdlv-", dir="/tmp")))
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        shutil.rmtree(server.sock.parent, ignore_errors=True)
