"""Fixtures for every test layer: Go fixture binaries, dlv, and a process-leak guard.

tests/ is on sys.path (pytest puts a rootless conftest's directory there), so
any test can ``import gofixtures`` or ``from support import wait_until``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import gofixtures
from process_guard import ProcessLeakGuard

LEAK_GRACE_S = 5.0

_guard = ProcessLeakGuard(gofixtures.BUILD_CACHE)


def pytest_configure(config: pytest.Config) -> None:
    _guard.export_token()
    if os.environ.get("CI"):
        # Shared CI machines stall at random; a per-example deadline only adds flakes.
        from hypothesis import settings

        settings.register_profile("ci", deadline=None, print_blob=True)
        settings.load_profile("ci")


class FixtureLookup:
    """``lookup["prog"]`` or ``lookup("prog")``: the path for a Go fixture name."""

    def __init__(self, resolve: Callable[[str], Path]) -> None:
        self._resolve = resolve
        self._paths: dict[str, Path] = {}

    def __call__(self, name: str) -> Path:
        if name not in self._paths:
            self._paths[name] = self._resolve(name)
        return self._paths[name]

    __getitem__ = __call__

    def __repr__(self) -> str:
        return f"FixtureLookup({', '.join(gofixtures.fixture_names())})"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return gofixtures.REPO_ROOT


@pytest.fixture(scope="session")
def go_bin() -> FixtureLookup:
    """Built fixture binaries by name: ``go_bin["prog"]`` → Path.

    Each binary is built at most once per run (on first use) with
    -gcflags=all=-N -l and reused across runs while its sources and Go stay
    the same. A fixture that fails to compile raises
    gofixtures.FixtureBuildError.
    """
    try:
        gofixtures.go_version()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    return FixtureLookup(gofixtures.build)


@pytest.fixture(scope="session")
def fixture_src() -> FixtureLookup:
    """Source (module) directories of the Go fixtures: ``fixture_src["testpkg"]`` → Path."""
    return FixtureLookup(gofixtures.source_dir)


@pytest.fixture(scope="session")
def marker_line() -> Callable[[str, str, str], int]:
    """``marker_line("prog", "main.go", "compute-body")`` → line of ``// BREAK: compute-body``."""
    return gofixtures.marker_line


def find_dlv() -> Path | None:
    """dlv from $GODBG_DLV, else <repo>/.tools/bin/dlv, else PATH."""
    configured = os.environ.get("GODBG_DLV")
    if configured:
        return Path(configured)
    bundled = gofixtures.REPO_ROOT / ".tools" / "bin" / "dlv"
    if bundled.is_file():
        return bundled
    found = shutil.which("dlv")
    return Path(found) if found else None


@pytest.fixture(scope="session")
def dlv_path() -> Path:
    """The Delve binary the tests drive. Missing dlv fails the test, never skips it."""
    dlv = find_dlv()
    if dlv is None:
        pytest.fail(
            "dlv not found ($GODBG_DLV unset, no .tools/bin/dlv, none on PATH); "
            "run the suite through scripts/test, which installs Delve into .tools/bin",
            pytrace=False,
        )
    if not os.access(dlv, os.X_OK):
        pytest.fail(f"dlv at {dlv} is not an executable file; fix $GODBG_DLV or run scripts/test", pytrace=False)
    return dlv


@pytest.fixture(scope="session")
def process_guard() -> ProcessLeakGuard:
    """The guard behind no_leaked_processes, for tests that inspect processes themselves."""
    return _guard


@pytest.fixture(autouse=True)
def no_leaked_processes() -> Iterator[None]:
    """Fail a test that leaves dlv or a fixture binary running, then kill what it left.

    Processes that already existed when the test started (e.g. from wider-scoped
    fixtures) are not blamed on it. Survivors get LEAK_GRACE_S to exit on their own.
    """
    before = _guard.snapshot()
    yield
    leaked = _guard.survivors(before, grace=LEAK_GRACE_S)
    if leaked:
        _guard.kill(leaked)
        listing = "\n  ".join(str(p) for p in sorted(leaked, key=lambda p: p.pid))
        pytest.fail(
            f"the test left {len(leaked)} debugger/target process(es) running "
            f"{LEAK_GRACE_S:g} s after it ended (now killed):\n  {listing}",
            pytrace=False,
        )
