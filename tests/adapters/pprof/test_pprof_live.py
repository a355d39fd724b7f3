"""The three live sources against real dlv and the leaky fixture: counters, Delve walk, HTTP."""

from __future__ import annotations

import contextlib
import time

import anyio
import pytest
from pprof_support import FINE_RATE, Leaky
from support import async_wait_until

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.events import Phase, Stopped
from godbg_tui.adapters.pprof.counters import read_counters
from godbg_tui.adapters.pprof.endpoint import discover_pprof, listening_sockets
from godbg_tui.adapters.pprof.gctrace import with_gctrace
from godbg_tui.adapters.pprof.history import HeapSource
from godbg_tui.adapters.pprof.http_source import PprofHTTPError, fetch_heap, http_get
from godbg_tui.adapters.pprof import monitor as monitor_module
from godbg_tui.adapters.pprof.monitor import NO_ENDPOINT_HINT, HeapMonitor
from godbg_tui.adapters.pprof.profile import decode_profile
from godbg_tui.adapters.pprof.report import top_table
from godbg_tui.adapters.session import DebugSession

@pytest.fixture
def leaky(go_bin, dlv_path):
    """``async with leaky() as (target, tg)`` (one task holds the session and the task group)."""

    @contextlib.asynccontextmanager
    async def start(*args: str):
        spec = LaunchSpec(
            mode="exec", program=str(go_bin["leaky"]), args=args, dlv_path=str(dlv_path), env=with_gctrace()
        )
        async with DebugSession(spec) as session:
            monitor = HeapMonitor(session)
            target = Leaky(session, monitor)
            async with anyio.create_task_group() as tg:
                await tg.start(monitor.run)
                yield target, tg
                tg.cancel_scope.cancel()

    return start


async def test_counters_at_every_stop_and_gctrace_kept_out_of_output(leaky):
    async with leaky() as (target, tg):
        await target.run_until_gcs(tg, 2)
        c = await read_counters(target.session.client)
        assert c.num_gc >= 2 and c.memprofile_rate == 512 * 1024
        assert 0 < c.heap_marked <= c.heap_live and c.heap_goal > c.heap_marked
        assert c.heap_in_use > 0 and c.total_alloc > c.total_free > 0 and c.mprof_cycle >= 2
        assert c.pause_total_ns > 0 and c.last_gc_unix_ns > 0
        await async_wait_until(lambda: target.monitor.counters is not None and target.monitor.counters.num_gc == c.num_gc)
        assert b"gc 1 @" not in target.output and b"leaky started" in target.output
        assert target.monitor.history.gc_events[0].number == 1


async def test_delve_walk_equals_the_http_profile_of_the_same_gc_cycle(leaky):
    async with leaky() as (target, tg):
        await target.sample_finely()
        walk, data, _ = await target.walk_and_fetch(tg)
        http = decode_profile(data)
        assert not walk.truncated and walk.buckets > 0 and walk.memprofile_rate == http.period == FINE_RATE
        assert walk.profile.totals() == http.totals()
        ours, theirs = top_table(walk.profile), top_table(http)
        assert ours.rows[0].name == theirs.rows[0].name == "main.leakOnce"
        assert {(r.name, r.flat, r.cum) for r in ours.rows} == {(r.name, r.flat, r.cum) for r in theirs.rows}


async def test_endpoint_discovery_finds_the_printed_port(leaky):
    async with leaky() as (target, tg):
        s = target.session
        tg.start_soon(s.continue_)
        await async_wait_until(lambda: target.url, timeout=20)
        port = int(target.url.rsplit(":", 1)[1])
        assert port in [sock.port for sock in listening_sockets(s.target_pid)]
        assert await discover_pprof(s.target_pid) == target.url
        await s.halt()


async def test_a_late_pprof_listener_is_found_promptly_and_the_hint_shows_until_then(leaky):
    async with leaky("-pprof-after", "2s") as (target, tg):
        s, monitor = target.session, target.monitor
        monitor.set_visible(True)
        tg.start_soon(s.continue_)
        await async_wait_until(lambda: monitor.status == NO_ENDPOINT_HINT, timeout=10)
        assert not target.url and monitor.requests == 0
        await async_wait_until(lambda: target.url, timeout=20)
        opened = time.monotonic()
        await async_wait_until(lambda: monitor.endpoint == target.url, timeout=15)
        assert time.monotonic() - opened < 3.0, "a new listener must be probed within a poll, not after a long back-off"
        await async_wait_until(lambda: monitor.history.latest is not None, timeout=15)
        assert monitor.history.latest.source is HeapSource.HTTP and monitor.status == ""
        await s.halt()


async def test_http_is_never_sent_while_stopped_and_is_cancelled_on_stop(leaky):
    async with leaky() as (target, tg):
        s, monitor = target.session, target.monitor
        monitor.set_visible(True)
        tg.start_soon(s.continue_)
        await async_wait_until(lambda: monitor.requests >= 1 and monitor.history.latest is not None, timeout=30)
        assert monitor.endpoint == target.url and monitor.history.latest.source is HeapSource.HTTP
        await s.halt()
        assert monitor._poll_scope is None, "polling must stop with the Stopped event"
        requests = monitor.requests
        # A request to a stopped target is accepted by the kernel but never answered.
        with anyio.move_on_after(1.0) as hung:
            await fetch_heap(monitor.endpoint, timeout=5.0)
        assert hung.cancelled_caught
        started = time.monotonic()
        with pytest.raises(PprofHTTPError, match="no complete answer"):
            await http_get(monitor.endpoint + "/debug/pprof/heap", timeout=0.5)
        assert time.monotonic() - started < 0.6
        await async_wait_until(lambda: monitor.counters is not None, timeout=10)
        assert monitor.requests == requests, "the monitor sent HTTP while the target was stopped"


async def test_a_request_in_flight_when_the_target_stops_is_cancelled_within_0_6_s(leaky, monkeypatch):
    """The monitor's request is kept in flight (a 20 s delta profile) so the stop surely lands during it."""
    in_flight = anyio.Event()
    ended: list[tuple[float, str]] = []

    async def slow_fetch(base: str, *, timeout: float) -> bytes:
        in_flight.set()
        try:
            response = await http_get(base + "/debug/pprof/heap?seconds=20", timeout=60)
        except BaseException:
            ended.append((time.monotonic(), "cancelled"))
            raise
        ended.append((time.monotonic(), "completed"))
        return response.body

    monkeypatch.setattr(monitor_module, "fetch_heap", slow_fetch)
    async with leaky() as (target, tg):
        s, monitor = target.session, target.monitor
        stopped_at: list[float] = []
        s.subscribe(lambda e: isinstance(e, Stopped) and stopped_at.append(time.monotonic()))
        monitor.set_visible(True)
        tg.start_soon(s.continue_)
        with anyio.fail_after(30):
            await in_flight.wait()
        await s.halt()
        await async_wait_until(lambda: ended, timeout=5)
        assert ended[0][1] == "cancelled" and stopped_at
        assert ended[0][0] - stopped_at[0] <= 0.6


async def test_leaking_site_is_flagged_from_http_polling(leaky):
    async with leaky() as (target, tg):
        s, monitor = target.session, target.monitor
        monitor.set_visible(True)
        tg.start_soon(s.continue_)
        suspects = await async_wait_until(lambda: monitor.history.leak_suspects(), timeout=60)
        await s.halt()
        assert suspects[0].name == "main.leakOnce" and suspects[0].bytes_per_second > 0
        assert "main.churnOnce" not in [x.name for x in suspects]
        latest = monitor.history.latest
        assert latest.source is HeapSource.HTTP
        assert top_table(latest.profile).rows[0].name == "main.leakOnce"


async def test_leaking_site_is_flagged_from_delve_walks_while_stopped(leaky):
    async with leaky() as (target, tg):
        monitor = target.monitor
        # The profile lags the heap by up to two GC cycles and GC pacing varies with load,
        # so walk until the rule has seen enough growth (bounded), not a fixed number of times.
        for _ in range(12):
            kept = len(monitor.history.snapshots)
            # Shown only while stopped: the snapshots all come from Delve walks, none from HTTP.
            monitor.set_visible(False)
            await target.run_until_gcs(tg, 2)
            monitor.set_visible(True)
            await async_wait_until(lambda: len(monitor.history.snapshots) > kept, timeout=30)
            assert monitor.history.latest.source is HeapSource.DELVE
            if len(monitor.history.snapshots) >= 4 and monitor.history.leak_suspects():
                break
        suspects = monitor.history.leak_suspects()
        assert suspects and suspects[0].name == "main.leakOnce"
        assert suspects[0].bytes_per_gc is not None
        assert "main.churnOnce" not in [x.name for x in suspects]
        assert top_table(monitor.history.latest.profile).rows[0].name == "main.leakOnce"
        assert monitor.requests == 0, "no HTTP while only stopped"
