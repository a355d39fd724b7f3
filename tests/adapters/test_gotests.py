"""Listing a package's tests with `go test -list` plus the subtest scan, and the -test.run patterns."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

import gofixtures
from godbg_tui.adapters.gotests import GoTest, ListTestsError, list_tests, quote_meta
from support import async_wait_until

WEIRD_TEST = r'''package weird

import "testing"

func TestWeird(t *testing.T) {
	// t.Run("commented", nil) {
	s := "t.Run(\"in string\", nil) {"
	_ = s
	t.Run("has space", func(t *testing.T) {
		t.Run("inner.most+", func(t *testing.T) { t.Log("}") })
	})
	t.Run(`raw(x)`, func(st *testing.T) {})
	for _, tc := range []struct{ name string }{{"dyn"}} {
		t.Run(tc.name, func(t *testing.T) {})
	}
	t.Run("after", helper)
	/* t.Run("block comment", nil) */
}

func helper(t *testing.T) {}

func TestPlain(t *testing.T) {}

func BenchmarkWeird(b *testing.B) {
	b.Run("sub", func(b *testing.B) {})
}
'''


@pytest.fixture
def weird_pkg(tmp_path: Path) -> Path:
    pkg = tmp_path / "weird"
    pkg.mkdir()
    (pkg / "go.mod").write_text("module example.com/weird\n\ngo 1.22\n")
    (pkg / "weird_test.go").write_text(WEIRD_TEST)
    return pkg


def run_test_binary(pkg: Path, *flags: str) -> str:
    """Compile the package's test binary (as dlv test does) and run it with ``flags``."""
    binary = pkg / "pkg.test"
    if not binary.exists():
        subprocess.run(
            ["go", "test", "-c", "-o", str(binary), "."], cwd=pkg, env=gofixtures.go_env(), check=True, timeout=300
        )
    return subprocess.run([str(binary), *flags], cwd=pkg, capture_output=True, text=True, timeout=60).stdout


def ran(output: str) -> set[str]:
    return {line.split()[-1] for line in output.splitlines() if line.startswith("=== RUN")}


async def test_testpkg_lists_tests_benchmarks_examples_and_subtests(fixture_src) -> None:
    listing = await list_tests(fixture_src["testpkg"], env=gofixtures.go_env())
    assert listing.import_path == "example.com/testpkg"
    assert listing.package_dir == fixture_src["testpkg"].resolve()
    assert [(t.name, t.kind, t.from_source) for t in listing.tests] == [
        ("TestAdd", "test", False),
        ("TestSub", "test", False),
        ("TestSub/pos", "test", True),
        ("TestSub/neg", "test", True),
        ("BenchmarkAdd", "benchmark", False),
        ("ExampleAdd", "example", False),
    ]
    neg = listing.tests[3]
    assert (neg.file, neg.line) == ("calc_test.go", gofixtures.marker_line("testpkg", "calc_test.go", "test-sub-neg") - 1)
    assert neg.pattern == "^TestSub$/^neg$"
    assert listing.tests[0].launch_flags() == ("^TestAdd$", ("-test.v",))


def test_patterns_select_exactly_the_chosen_test(fixture_src, tmp_path: Path) -> None:
    pkg = tmp_path / "testpkg"
    shutil.copytree(fixture_src["testpkg"], pkg)
    assert ran(run_test_binary(pkg, "-test.run", GoTest("TestSub/neg", "test").pattern, "-test.v")) == {
        "TestSub",
        "TestSub/neg",
    }
    assert ran(run_test_binary(pkg, "-test.run", GoTest("TestAdd", "test").pattern, "-test.v")) == {"TestAdd"}
    test_run, args = GoTest("BenchmarkAdd", "benchmark").launch_flags()
    out = run_test_binary(pkg, "-test.run", test_run, *args)
    assert ran(out) == set()
    assert "BenchmarkAdd" in out and "\t       1\t" in out  # one iteration: -test.benchtime 1x


async def test_subtest_scan_handles_nesting_comments_strings_and_dynamic_names(weird_pkg: Path) -> None:
    listing = await list_tests(weird_pkg, env=gofixtures.go_env())
    assert [(t.name, t.kind) for t in listing.tests] == [
        ("TestWeird", "test"),
        ("TestWeird/has space", "test"),
        ("TestWeird/has space/inner.most+", "test"),
        ("TestWeird/raw(x)", "test"),
        ("TestWeird/after", "test"),
        ("TestPlain", "test"),
        ("BenchmarkWeird", "benchmark"),
        ("BenchmarkWeird/sub", "benchmark"),
    ]


async def test_scanned_subtest_patterns_match_how_go_names_them(weird_pkg: Path) -> None:
    listing = await list_tests(weird_pkg, env=gofixtures.go_env())
    by_name = {t.name: t for t in listing.tests}
    inner = by_name["TestWeird/has space/inner.most+"]
    assert inner.pattern == r"^TestWeird$/^has_space$/^inner\.most\+$"
    assert ran(run_test_binary(weird_pkg, "-test.run", inner.pattern, "-test.v")) == {
        "TestWeird",
        "TestWeird/has_space",
        "TestWeird/has_space/inner.most+",
    }
    raw = by_name["TestWeird/raw(x)"]
    assert ran(run_test_binary(weird_pkg, "-test.run", raw.pattern, "-test.v")) == {"TestWeird", "TestWeird/raw(x)"}
    test_run, args = by_name["BenchmarkWeird/sub"].launch_flags()
    out = run_test_binary(weird_pkg, "-test.run", test_run, *args)
    assert "BenchmarkWeird/sub" in out


def test_quote_meta_matches_go() -> None:
    assert quote_meta(r"a.b+c*d?e(f)g|h[i]j{k}l^m$n\o-p q") == r"a\.b\+c\*d\?e\(f\)g\|h\[i\]j\{k\}l\^m\$n\\o-p q"


async def test_build_failure_is_a_clear_error_with_the_compiler_output(fixture_src) -> None:
    with pytest.raises(ListTestsError) as caught:
        await list_tests(fixture_src["badbuild"], env=gofixtures.go_env())
    error = caught.value
    assert "does not build" in error.message
    assert "main.go:6:2: declared and not used: unused" in error.message
    assert "[build failed]" in error.output


async def test_build_tags_reach_go_test_list(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module example.com/tagged\n\ngo 1.22\n")
    (tmp_path / "tagged_test.go").write_text(
        '//go:build special\n\npackage tagged\n\nimport "testing"\n\nfunc TestTagged(t *testing.T) {}\n'
    )
    listing = await list_tests(tmp_path, build_flags=("-tags=special",), env=gofixtures.go_env())
    assert [t.name for t in listing.tests] == ["TestTagged"]
    with pytest.raises(ListTestsError) as caught:
        await list_tests(tmp_path, env=gofixtures.go_env())
    assert caught.value.message == (
        f"could not list the tests in {tmp_path.resolve()}: package example.com/tagged: build constraints exclude "
        f"all Go files in {tmp_path.resolve()}; if its files need build tags, pass them as build flags "
        "(e.g. -tags=integration)"
    )


async def test_missing_directory_and_missing_go_are_clear_errors(tmp_path: Path, fixture_src) -> None:
    with pytest.raises(ListTestsError, match="is not a directory"):
        await list_tests(tmp_path / "nope")
    with pytest.raises(ListTestsError, match="was not found"):
        await list_tests(fixture_src["testpkg"], go=str(tmp_path / "no-go"))
    with pytest.raises(ListTestsError, match=r"go\.mod file not found"):
        await list_tests(tmp_path, env={**gofixtures.go_env(), "GO111MODULE": "on"})


def processes_with_env(marker: str) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry.name}/environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


async def test_timeout_kills_go_and_its_children(tmp_path: Path, fixture_src) -> None:
    """A stand-in `go` that starts a child and hangs, as a stuck build would."""
    fake_go = tmp_path / "go"
    fake_go.write_text("#!/bin/sh\nsleep 60 &\nwait\n")
    fake_go.chmod(0o755)
    marker = f"GODBG_GOTESTS_MARKER={os.getpid()}-{tmp_path.name}"
    env = {**os.environ, marker.split("=")[0]: marker.split("=")[1]}
    with pytest.raises(ListTestsError, match="did not finish within"):
        await list_tests(fixture_src["testpkg"], go=str(fake_go), env=env, timeout=0.5)
    await async_wait_until(lambda: not processes_with_env(marker), message="the fake go and its sleep are gone")
