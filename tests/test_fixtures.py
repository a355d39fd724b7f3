"""The test machinery itself: Go fixtures build, run and are debuggable; the leak guard works."""

from __future__ import annotations

import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

import gofixtures
from support import WaitTimeout, async_wait_until, wait_until

RUN_TIMEOUT_S = 30
MARKER = re.compile(r"//\s*BREAK:\s*(\S+)\s*$")


def run_prog(go_bin, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(go_bin["prog"]), *args],
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )


def markers_in(path: Path) -> list[str]:
    return [found.group(1) for line in path.read_text().splitlines() if (found := MARKER.search(line))]


def test_prog_exits_with_requested_status_and_prints_started_line(go_bin):
    done = run_prog(go_bin, "-exit", "3")
    assert done.returncode == 3
    first = done.stdout.splitlines()[0]
    assert re.fullmatch(r"prog started pid=\d+", first)
    assert "total=460 globalCounter=10" in done.stdout
    assert done.stdout.rstrip().endswith("prog exiting")


def test_prog_echo_stderr_and_panic_flags(go_bin):
    echoed = run_prog(go_bin, "-echo", "-stderr", stdin="one\ntwo\n")
    assert echoed.returncode == 0
    assert "echo: one\necho: two\n" in echoed.stdout
    assert echoed.stderr == "prog stderr line\n"

    panicked = run_prog(go_bin, "-panic")
    assert panicked.returncode == 2
    assert "panic: prog: deliberate panic" in panicked.stderr


def test_built_binaries_are_cached_by_source_hash(go_bin):
    first = go_bin["prog"]
    mtime = first.stat().st_mtime_ns
    assert gofixtures.build("prog") == first
    assert first.stat().st_mtime_ns == mtime
    assert first.parent.parent == gofixtures.BUILD_CACHE
    assert first.parent.name == f"prog-{gofixtures.build_key('prog')}"


def test_badbuild_fails_to_compile(go_bin):
    with pytest.raises(gofixtures.FixtureBuildError, match="declared and not used: unused"):
        go_bin["badbuild"]


def test_testpkg_lists_its_tests(fixture_src):
    done = subprocess.run(
        ["go", "test", "-list", "."],
        cwd=fixture_src["testpkg"],
        env=gofixtures.go_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:4] == ["TestAdd", "TestSub", "BenchmarkAdd", "ExampleAdd"]


def test_marker_line_finds_unique_markers(marker_line, fixture_src):
    line = marker_line("prog", "main.go", "compute-body")
    text = (fixture_src["prog"] / "main.go").read_text().splitlines()[line - 1]
    assert text.strip().startswith("sum := a + b")
    with pytest.raises(LookupError, match="not found"):
        marker_line("prog", "main.go", "no-such-marker")
    for path in gofixtures.FIXTURES_DIR.rglob("*.go"):
        names = markers_in(path)
        assert len(names) == len(set(names)), f"duplicate markers in {path}"


def test_leaky_serves_pprof(go_bin):
    proc = subprocess.Popen([str(go_bin["leaky"])], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline().startswith("leaky started pid=")
        listening = proc.stdout.readline()
        port = re.fullmatch(r"pprof listening on 127\.0\.0\.1:(\d+)\n", listening).group(1)
        url = f"http://127.0.0.1:{port}/debug/pprof/heap?debug=1"

        def leak_site_profiled() -> bool:
            with urllib.request.urlopen(url, timeout=5) as reply:
                return b"main.leakOnce" in reply.read()

        wait_until(leak_site_profiled, timeout=20, interval=0.2, message="main.leakOnce in the heap profile")
    finally:
        proc.kill()
        proc.wait()


def test_attachee_ticks(go_bin):
    proc = subprocess.Popen([str(go_bin["attachee"])], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout.readline() == f"attachee started pid={proc.pid}\n"
        assert proc.stdout.readline() == "tick 0\n"
        assert proc.stdout.readline() == "tick 1\n"
    finally:
        proc.kill()
        proc.wait()


def dlv_script(dlv_path: Path, cwd: Path, script: list[str], mode: list[str], tmp_path: Path) -> str:
    """Run the dlv terminal client with ``script`` as its --init file; return its output."""
    init = tmp_path / "init.dlv"
    init.write_text("\n".join([*script, "exit"]) + "\n")
    done = subprocess.run(
        [str(dlv_path), *mode[:1], "--allow-non-terminal-interactive=true", f"--init={init}", *mode[1:]],
        cwd=cwd,
        env={**gofixtures.go_env(), "TERM": "dumb"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout + done.stderr


@pytest.mark.parametrize("name", ["prog", "leaky", "attachee", "testpkg"])
def test_every_marker_is_a_breakable_line(name, go_bin, fixture_src, dlv_path, tmp_path):
    src = fixture_src[name]
    script = [
        f"break {path.name}:{gofixtures.marker_line(name, path.name, marker)}"
        for path in sorted(src.glob("*.go"))
        for marker in markers_in(path)
    ]
    assert script, f"{name} has no markers"
    if name == "testpkg":
        mode = ["test", f"--output={tmp_path / 'debug.test'}", "."]
    else:
        mode = ["exec", str(go_bin[name])]
    output = dlv_script(dlv_path, src, script, mode, tmp_path)
    assert output.count("Breakpoint ") == len(script), output


def test_prog_parks_goroutines_before_ready(go_bin, fixture_src, dlv_path, tmp_path):
    output = dlv_script(
        dlv_path,
        fixture_src["prog"],
        ["break main.ready", "continue", "goroutines -group userloc"],
        ["exec", str(go_bin["prog"]), "--", "-goroutines", "50"],
        tmp_path,
    )
    groups = dict(re.findall(r"in (main\.\w+)\n(?:\t.*\n)*?\tTotal: (\d+)", output))
    assert groups.get("main.blockedOnChan") == "50", output
    assert groups.get("main.blockedOnSelect") == "2", output


def test_prog_workers_carry_labels(go_bin, fixture_src, dlv_path, tmp_path):
    output = dlv_script(
        dlv_path,
        fixture_src["prog"],
        ["break main.hit", "continue", "goroutine"],
        ["exec", str(go_bin["prog"]), "--", "-workers", "2"],
        tmp_path,
    )
    assert re.search(r'Labels: "worker":"[01]"', output), output


def test_dlv_path_is_a_working_delve(dlv_path):
    done = subprocess.run([str(dlv_path), "version"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert re.search(r"Version: \d+\.\d+\.\d+", done.stdout)


def test_leak_guard_sees_orphaned_fixture_process_and_kills_it(go_bin, process_guard):
    before = process_guard.snapshot()
    # The shell exits at once and leaves the target orphaned, as a killed dlv
    # would; only the inherited session token still ties it to this run.
    subprocess.run(["sh", "-c", f"'{go_bin['attachee']}' >/dev/null 2>&1 &"], check=True, timeout=10)
    leaked = wait_until(lambda: process_guard.snapshot() - before, timeout=10, message="the orphan to appear")
    assert [p.name for p in leaked] == ["attachee"]
    process_guard.kill(leaked)
    assert not (process_guard.snapshot() - before)


def test_wait_until_returns_value_and_times_out_with_message():
    calls = iter([0, 0, "done"])
    assert wait_until(lambda: next(calls), timeout=5, interval=0) == "done"
    with pytest.raises(WaitTimeout, match="the impossible; last value: False"):
        wait_until(lambda: False, timeout=0.05, message="the impossible")
    with pytest.raises(ZeroDivisionError):
        wait_until(lambda: 1 / 0, timeout=1)
    assert wait_until(lambda: Path(sys.executable), timeout=1, ignore=(OSError,))


async def test_async_wait_until_accepts_sync_and_async_predicates():
    async def ready() -> int:
        return 7

    assert await async_wait_until(ready, timeout=1) == 7
    assert await async_wait_until(lambda: "yes", timeout=1) == "yes"
    with pytest.raises(WaitTimeout):
        await async_wait_until(lambda: None, timeout=0.05)
