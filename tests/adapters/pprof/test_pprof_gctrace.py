"""gctrace lines: parsing, splitting them out of program output, and a real Go program's stderr."""

from __future__ import annotations

import os
import subprocess

import pytest

from godbg_tui.adapters.pprof.gctrace import GCTraceFilter, parse_gctrace_line, with_gctrace

LINE = (
    "gc 14 @5.842s 10%: 0.11+545+0.008 ms clock, 0.22+0/246/298+0.016 ms cpu, "
    "1113->1113->1111 MB, 2223 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)"
)
GO119 = "gc 3 @0.021s 1%: 0.011+0.52+0.002 ms clock, 0.022+0.1/0.3/0.2+0.004 ms cpu, 4->4->0 MB, 5 MB goal, 2 P"


def test_parse_current_and_older_formats():
    e = parse_gctrace_line(LINE)
    assert (e.number, e.at_seconds, e.gc_cpu_percent, e.forced, e.procs) == (14, 5.842, 10, True, 2)
    assert (e.heap_before, e.heap_after, e.heap_live, e.heap_goal) == (1113 << 20, 1113 << 20, 1111 << 20, 2223 << 20)
    assert e.pause_ms == 0.11 + 0.008 and e.concurrent_mark_ms == 545
    old = parse_gctrace_line(GO119)
    assert old.number == 3 and old.stacks is None and old.heap_goal == 5 << 20 and not old.forced
    assert parse_gctrace_line("gc is fun") is None and parse_gctrace_line("hello") is None


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 13])
def test_filter_keeps_program_output_and_takes_gc_lines_across_chunks(size):
    f = GCTraceFilter()
    stream = f"hello\r\n{LINE}\r\nprompt> ".encode()
    shown, events = b"", []
    for i in range(0, len(stream), size):
        out, found = f.feed(stream[i : i + size])
        shown += out
        events += found
    assert shown == b"hello\r\nprompt> " and [e.number for e in events] == [14]
    whole = GCTraceFilter()
    assert whole.feed(b"gc ")[0] == b"", "a chunk that ends right after the prefix may still be gctrace"
    out, found = f.feed(b"gc")
    assert out == b"" and f.feed(b"ood\n") == (b"gcood\n", [])
    assert f.feed(b"gc 1")[0] == b"" and f.flush() == b"gc 1"


def test_with_gctrace_keeps_other_godebug_settings():
    assert with_gctrace(None) == {"GODEBUG": "gctrace=1"}
    assert with_gctrace({"GODEBUG": "madvdontneed=1,gctrace=2", "A": "b"}) == {
        "GODEBUG": "madvdontneed=1,gctrace=1",
        "A": "b",
    }


def test_real_program_gctrace_lines_all_parse(go_bin):
    proc = subprocess.Popen(
        [str(go_bin["leaky"])], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=with_gctrace(os.environ)
    )
    f = GCTraceFilter()
    events = []
    try:
        while len(events) < 3:
            line = proc.stderr.readline()
            assert line, "leaky exited before printing 3 GC lines"
            shown, found = f.feed(line)
            assert shown == b"", f"unparsed gctrace line: {line!r}"
            events += found
    finally:
        proc.kill()
        proc.wait()
    assert [e.number for e in events] == [1, 2, 3]
    assert all(e.heap_goal > 0 and e.procs for e in events)


def test_gctrace_spec_only_for_programs_we_run_on_their_own_terminal_and_keeps_godebug():
    from godbg_tui.adapters.dlv.launcher import LaunchSpec
    from godbg_tui.adapters.pprof.gctrace import gctrace_spec

    exec_spec = LaunchSpec(mode="exec", program="/bin/true")
    assert gctrace_spec(exec_spec, environ={}).env == {"GODEBUG": "gctrace=1"}
    assert gctrace_spec(exec_spec, environ={"GODEBUG": "madvdontneed=1"}).env == {"GODEBUG": "madvdontneed=1,gctrace=1"}
    own = LaunchSpec(mode="debug", program=".", env={"GODEBUG": "gctrace=0,x=1", "A": "b"})
    assert gctrace_spec(own, environ={"GODEBUG": "ignored=1"}).env == {"GODEBUG": "x=1,gctrace=1", "A": "b"}
    assert gctrace_spec(exec_spec, False) is exec_spec
    for spec in (LaunchSpec(mode="attach", pid=1), LaunchSpec(mode="test", program=".")):
        assert gctrace_spec(spec) is spec
