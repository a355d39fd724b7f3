"""Build and locate the Go fixture programs under tests/fixtures/go/.

Each fixture is its own module directory. Binaries are built with
``-gcflags=all=-N -l`` (nothing optimised away, nothing inlined) into
``tests/.gobuild/<name>-<key>/<name>``, where ``key`` hashes the fixture's
files, the build flags and ``go version``: a rerun with unchanged sources
reuses the binary, an edited source or a new Go gets a fresh one. Builds
unused for a day are deleted, not sooner: another pytest run in this tree,
started before a source edit, may still be using the older binary. Builds take
an exclusive lock per fixture, so parallel pytest workers (xdist) build each
binary once and never see a half-written file.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures" / "go"
BUILD_CACHE = REPO_ROOT / "tests" / ".gobuild"
GCFLAGS = "all=-N -l"

_BUILD_TIMEOUT_S = 300
_STALE_AFTER_S = 24 * 3600


class FixtureBuildError(RuntimeError):
    """``go build`` failed; the message carries the compiler's output."""

    def __init__(self, name: str, output: str) -> None:
        super().__init__(f"go build of fixture {name!r} failed:\n{output}")
        self.name = name
        self.output = output


def fixture_names() -> list[str]:
    """Every fixture directory (one Go module each), sorted."""
    return sorted(p.parent.name for p in FIXTURES_DIR.glob("*/go.mod"))


def source_dir(name: str) -> Path:
    """The module directory of fixture ``name``."""
    path = FIXTURES_DIR / name
    if not (path / "go.mod").is_file():
        raise KeyError(f"no Go fixture {name!r}; known: {', '.join(fixture_names())}")
    return path


def go_env() -> dict[str, str]:
    """Environment for go commands on fixtures: no enclosing workspace, no cgo."""
    return {**os.environ, "GOWORK": "off", "CGO_ENABLED": "0"}


@functools.cache
def go_version() -> str:
    """Output of ``go version``; raises if Go is not installed."""
    try:
        done = subprocess.run(
            ["go", "version"], capture_output=True, text=True, check=True, timeout=60, env=go_env()
        )
    except FileNotFoundError as exc:
        raise RuntimeError("`go` is not on PATH; install Go, then run scripts/test") from exc
    return done.stdout.strip()


def build_key(name: str) -> str:
    """Hash of the fixture's files, the build flags and the Go version."""
    digest = hashlib.sha256()
    digest.update(go_version().encode())
    digest.update(GCFLAGS.encode())
    root = source_dir(name)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def binary_path(name: str) -> Path:
    """Where the binary of ``name`` for the current sources lives (built or not)."""
    return BUILD_CACHE / f"{name}-{build_key(name)}" / name


def build(name: str) -> Path:
    """Build fixture ``name`` unless an up-to-date binary exists; return its path.

    Raises FixtureBuildError when the compiler rejects the program (failures
    are not cached: the next call tries again).
    """
    target = binary_path(name)
    if target.is_file():
        os.utime(target.parent)  # the directory's mtime records the last use
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_file():
            return target
        partial = target.with_name(f".{name}.{os.getpid()}.partial")
        done = subprocess.run(
            ["go", "build", f"-gcflags={GCFLAGS}", "-o", str(partial), "."],
            cwd=source_dir(name),
            env=go_env(),
            capture_output=True,
            text=True,
            timeout=_BUILD_TIMEOUT_S,
        )
        if done.returncode != 0:
            partial.unlink(missing_ok=True)
            raise FixtureBuildError(name, (done.stdout + done.stderr).strip())
        partial.replace(target)
    _remove_stale_builds(name, keep=target.parent)
    return target


def _remove_stale_builds(name: str, keep: Path) -> None:
    """Delete other builds of ``name`` (older sources, another Go) unused for a day."""
    cutoff = time.time() - _STALE_AFTER_S
    for stale in BUILD_CACHE.glob(f"{name}-*"):
        if stale.is_dir() and stale != keep and stale.stat().st_mtime < cutoff:
            shutil.rmtree(stale, ignore_errors=True)
            stale.with_suffix(".lock").unlink(missing_ok=True)


_MARKER = re.compile(r"//\s*BREAK:\s*(\S+)\s*$")


def marker_line(name: str, file: str, marker: str) -> int:
    """1-based line of the ``// BREAK: <marker>`` comment in fixture ``name``'s ``file``.

    Raises LookupError when the marker is missing or appears more than once.
    """
    path = source_dir(name) / file
    lines = [
        number
        for number, text in enumerate(path.read_text().splitlines(), start=1)
        if (found := _MARKER.search(text)) and found.group(1) == marker
    ]
    if len(lines) != 1:
        problem = "not found" if not lines else f"found on lines {lines}"
        raise LookupError(f"marker 'BREAK: {marker}' {problem} in {path}")
    return lines[0]
