"""The heap sources on a Go 1.19 target, the oldest runtime layout we read.

Go 1.19 differs from current Go where the heap view looks: gcController.heapLive
is a plain uint64 (an atomic.Uint64 later), stacks are cut at 32 frames (128 by
default from 1.23), and ``runtime.bucket``'s not-in-heap marker is a pragma
rather than a field. dlv 1.27 refuses Go < 1.25 unless told
``--check-go-version=false``; pprof_support.dlv_unchecked says it.
"""

from __future__ import annotations

import contextlib

import anyio
import pytest
from pprof_support import FINE_RATE, GO119, GO119_MISSING, Leaky, build_with_go119, dlv_unchecked

from godbg_tui.adapters.dlv.launcher import LaunchSpec
from godbg_tui.adapters.pprof.gctrace import with_gctrace
from godbg_tui.adapters.pprof.history import HeapSource
from godbg_tui.adapters.pprof.monitor import HeapMonitor
from godbg_tui.adapters.pprof.profile import decode_profile
from godbg_tui.adapters.pprof.report import top_table
from godbg_tui.adapters.session import DebugSession
from support import async_wait_until

pytestmark = pytest.mark.skipif(not GO119.is_file(), reason=GO119_MISSING)

GO119_MAX_STACK = 32  # runtime.maxStack before Go 1.23


@pytest.fixture(scope="module")
def leaky119():
    return build_with_go119("leaky")


@pytest.fixture
def leaky(leaky119, dlv_path, tmp_path):
    @contextlib.asynccontextmanager
    async def start():
        dlv = dlv_unchecked(dlv_path, tmp_path)
        spec = LaunchSpec(mode="exec", program=str(leaky119), dlv_path=str(dlv), env=with_gctrace())
        async with DebugSession(spec) as session:
            monitor = HeapMonitor(session)
            target = Leaky(session, monitor)
            async with anyio.create_task_group() as tg:
                await tg.start(monitor.run)
                yield target, tg
                tg.cancel_scope.cancel()

    return start


async def test_go119_counters_and_delve_walk_equal_its_http_profile(leaky):
    async with leaky() as (target, tg):
        await target.sample_finely()
        walk, data, counters = await target.walk_and_fetch(tg)
        assert counters.num_gc >= 2 and counters.memprofile_rate == FINE_RATE
        assert 0 < counters.heap_marked <= counters.heap_live, "heapLive is a plain uint64 in go1.19"
        assert counters.heap_in_use > 0 and counters.total_alloc > counters.total_free > 0
        assert counters.heap_goal is not None and counters.heap_goal > counters.heap_marked
        http = decode_profile(data)
        assert not walk.truncated and walk.buckets > 0 and walk.memprofile_rate == http.period
        assert walk.profile.totals() == http.totals()
        ours, theirs = top_table(walk.profile), top_table(http)
        assert ours.rows[0].name == theirs.rows[0].name == "main.leakOnce"
        assert {(r.name, r.flat, r.cum) for r in ours.rows} == {(r.name, r.flat, r.cum) for r in theirs.rows}
        assert max(map(len, walk.profile.stacks)) <= GO119_MAX_STACK


async def test_go119_leaking_site_is_flagged_from_delve_walks(leaky):
    async with leaky() as (target, tg):
        monitor = target.monitor
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
        assert "main.churnOnce" not in [x.name for x in suspects]
        assert top_table(monitor.history.latest.profile).rows[0].name == "main.leakOnce"
        assert monitor.requests == 0, "no HTTP while only stopped"
