"""The attachable-process list, against real running processes."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

import gofixtures
from godbg_tui.adapters import processes
from godbg_tui.adapters.gobinary import BuildInfoCache
from godbg_tui.adapters.processes import ProcessInfo, attach_warning, list_processes, read_processes
from support import wait_until


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)


@pytest.fixture
def attachee(go_bin) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen([go_bin["attachee"]], stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        yield proc
    finally:
        stop(proc)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(["sleep", "60"])
    try:
        yield proc
    finally:
        stop(proc)


def by_pid(listing: list[ProcessInfo], pid: int) -> ProcessInfo | None:
    return next((p for p in listing if p.pid == pid), None)


def test_running_go_fixture_is_listed_with_its_go_version_before_non_go(attachee, sleeper, go_bin) -> None:
    listing = wait_until(
        lambda: (found := read_processes()) and by_pid(found, attachee.pid) and by_pid(found, sleeper.pid) and found,
        message="attachee and sleep in the process list",
    )
    go_proc, sleep_proc = by_pid(listing, attachee.pid), by_pid(listing, sleeper.pid)
    assert go_proc.is_go and go_proc.go_version == gofixtures.go_version().split()[2]
    assert go_proc.build.path == "example.com/attachee" and go_proc.build.has_debug_info
    assert go_proc.exe == str(go_bin["attachee"])
    assert go_proc.command == str(go_bin["attachee"])
    assert go_proc.user and not go_proc.traced and go_proc.traced_by() == ""
    assert not sleep_proc.is_go and sleep_proc.command == "sleep 60"
    assert listing.index(go_proc) < listing.index(sleep_proc)
    first_non_go = next(i for i, p in enumerate(listing) if not p.is_go)
    assert all(not p.is_go for p in listing[first_non_go:])


def test_own_process_and_exclusions_are_left_out(sleeper) -> None:
    assert by_pid(read_processes(), os.getpid()) is None
    assert by_pid(read_processes(exclude={sleeper.pid}), sleeper.pid) is None


def test_refresh_reuses_cached_build_info(attachee) -> None:
    cache = BuildInfoCache()
    wait_until(lambda: by_pid(read_processes(cache=cache), attachee.pid), message="attachee listed")
    reads = cache.reads
    again = read_processes(cache=cache)
    assert by_pid(again, attachee.pid).is_go
    assert cache.reads == reads


async def test_listing_runs_off_the_event_loop(attachee) -> None:
    listing = await list_processes()
    assert by_pid(listing, attachee.pid) is not None


def test_process_traced_by_dlv_is_marked_and_dlv_is_hidden(go_bin, dlv_path: Path) -> None:
    dlv = subprocess.Popen(
        [str(dlv_path), "exec", str(go_bin["attachee"]), "--headless", "--api-version=2", "--listen=127.0.0.1:0"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    target = None
    try:
        target = wait_until(
            lambda: next((p for p in read_processes() if p.tracer_pid == dlv.pid), None),
            timeout=30,
            message="a process traced by dlv",
        )
        assert target.is_go and target.traced
        assert target.traced_by() == f"being debugged by {dlv.pid} (dlv)"
        assert by_pid(read_processes(), dlv.pid) is None
    finally:
        if target is not None:
            try:
                os.kill(target.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        stop(dlv)
        if target is not None:
            wait_until(lambda: not Path(f"/proc/{target.pid}").exists() or _zombie(target.pid), message="target gone")


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def make_process(uid: int) -> ProcessInfo:
    return ProcessInfo(pid=4242, user="alice", uid=uid, command="srv", exe=None, build=None)


@pytest.mark.parametrize(
    ("scope", "privileged", "uid_offset", "expected"),
    [
        (0, False, 0, None),
        (1, True, 0, None),
        (1, False, 0, "kernel.yama.ptrace_scope=1"),
        (2, False, 0, "kernel.yama.ptrace_scope=2"),
        (3, True, 0, "kernel.yama.ptrace_scope=3"),
        (None, False, 1, "belongs to alice"),
        (None, True, 1, None),
    ],
)
def test_attach_warning_explains_restrictions(monkeypatch, scope, privileged, uid_offset, expected) -> None:
    monkeypatch.setattr(processes, "ptrace_scope", lambda: scope)
    monkeypatch.setattr(processes, "_has_cap_sys_ptrace", lambda: privileged)
    warning = attach_warning(make_process(os.geteuid() + uid_offset))
    if expected is None:
        assert warning is None
    else:
        assert expected in warning
