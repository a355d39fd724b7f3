"""The tests, benchmarks, examples and fuzz targets of one Go package, and how to run one.

``go test -list '.*'`` is the authority on what exists (it compiles the test
binary, so build tags and generated files count). Subtests only exist at run
time, so they come from a light scan of the ``*_test.go`` sources: literal
names in ``x.Run("name", …)`` calls inside each test or benchmark, nested
calls giving ``TestX/a/b``. Data-driven names (``t.Run(tc.name, …)``) cannot
be known without running; found subtests carry ``from_source=True`` so the UI
can say they are a best guess.

A choice becomes ``-test.run`` / ``-test.bench`` patterns the way Go matches
them: each ``/``-separated element anchored and regexp-quoted separately, with
spaces rewritten to ``_`` as ``testing`` does for subtest names.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread

LIST_TIMEOUT_S = 120.0

_KINDS = (("Test", "test"), ("Benchmark", "benchmark"), ("Example", "example"), ("Fuzz", "fuzz"))
_LISTED_NAME = re.compile(r"^(?:Test|Benchmark|Example|Fuzz)\w*$")
_GO_SPECIAL = set("\\.+*?()|[]{}^$")


def _kind_of(name: str) -> str:
    return next(kind for prefix, kind in _KINDS if name.startswith(prefix))


def quote_meta(text: str) -> str:
    """Go's regexp.QuoteMeta: escape exactly the characters RE2 treats as special."""
    return "".join("\\" + c if c in _GO_SPECIAL else c for c in text)


@dataclass(frozen=True)
class GoTest:
    """One runnable thing: ``TestAdd``, ``BenchmarkAdd``, ``ExampleAdd``, or a subtest ``TestSub/neg``.

    ``kind`` is "test", "benchmark", "example" or "fuzz" (a subtest has its
    parent's kind). ``from_source`` marks subtests found by scanning sources
    rather than reported by ``go test -list``; ``file``/``line`` say where.
    """

    name: str
    kind: str
    from_source: bool = False
    file: str = ""
    line: int = 0

    @property
    def is_subtest(self) -> bool:
        return "/" in self.name

    @property
    def top_level(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def pattern(self) -> str:
        """The -test.run (or -test.bench) regex selecting exactly this: ``^TestSub$/^neg$``."""
        return "/".join(f"^{quote_meta(part.replace(' ', '_'))}$" for part in self.name.split("/"))

    def launch_flags(self) -> tuple[str, tuple[str, ...]]:
        """(test_run, extra test-binary args) for a LaunchSpec in test mode.

        Benchmarks run no tests (``-test.run ^$``) and one iteration
        (``-test.benchtime 1x``), so a breakpoint in the body is hit once
        rather than b.N times.
        """
        if self.kind == "benchmark":
            return "^$", ("-test.v", "-test.bench", self.pattern, "-test.benchtime", "1x")
        return self.pattern, ("-test.v",)


@dataclass(frozen=True)
class PackageTests:
    """What ``go test -list`` reported for ``package_dir``, subtests placed after their parent."""

    package_dir: Path
    import_path: str
    tests: tuple[GoTest, ...]


class ListTestsError(Exception):
    """Listing failed; ``message`` says why and what to do, ``output`` is go's output verbatim."""

    def __init__(self, message: str, output: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.output = output


async def list_tests(
    package_dir: str | os.PathLike[str],
    *,
    go: str = "go",
    build_flags: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = LIST_TIMEOUT_S,
) -> PackageTests:
    """Everything ``go test`` can run in the package at ``package_dir``.

    Runs ``go test -vet=off -list '.*' .`` in that directory (killing it and
    its children after ``timeout`` seconds), then scans the test sources for
    subtests in a worker thread. Raises ListTestsError with the compiler's
    output when the package does not build or go is missing.
    """
    directory = Path(package_dir).expanduser().resolve()
    if not directory.is_dir():
        raise ListTestsError(f"{directory} is not a directory; give the directory of a Go package")
    command = [go, "test", "-vet=off", *build_flags, "-list", ".*", "."]
    try:
        returncode, output = await _run(command, directory, env, timeout)
    except FileNotFoundError as exc:
        raise ListTestsError(f"`{go}` was not found; install Go or put it on PATH") from exc
    except TimeoutError as exc:
        raise ListTestsError(
            f"`go test -list` did not finish within {timeout:g} s in {directory}; "
            "the package may be very large or the build stuck: try again, or run it in a shell to see why"
        ) from exc
    if returncode != 0:
        raise ListTestsError(_failure_message(directory, output), output)
    names, import_path = _parse_list_output(output)
    subtests = await anyio.to_thread.run_sync(_scan_subtests, directory)
    tests: list[GoTest] = []
    for name in names:
        tests.append(GoTest(name, _kind_of(name)))
        tests.extend(subtests.get(name, ()))
    return PackageTests(directory, import_path, tuple(tests))


async def _run(command: list[str], cwd: Path, env: dict[str, str] | None, timeout: float) -> tuple[int, str]:
    """(exit status, stdout and stderr interleaved); the whole process group dies on timeout or cancel."""
    chunks: list[bytes] = []
    async with await anyio.open_process(
        command,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    ) as process:
        try:
            with anyio.fail_after(timeout):
                async for chunk in process.stdout:
                    chunks.append(chunk)
                await process.wait()
        except BaseException:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            with anyio.CancelScope(shield=True):
                await process.wait()
            raise
    return process.returncode, b"".join(chunks).decode(errors="replace")


_COMPILER_ERROR = re.compile(r"^\S+\.go:\d+(?::\d+)?: .+$", re.MULTILINE)


def _failure_message(directory: Path, output: str) -> str:
    found = _COMPILER_ERROR.search(output)
    if found:
        return f"{directory} does not build: {found.group(0)}; fix it and list again"
    lines = [line.strip() for line in output.splitlines()]
    reasons = [line for line in lines if line and not line.startswith(("#", "FAIL"))]
    reason = reasons[0].removeprefix("go: ") if reasons else "go test failed without output"
    if "build constraints exclude all Go files" in reason:
        reason += "; if its files need build tags, pass them as build flags (e.g. -tags=integration)"
    return f"could not list the tests in {directory}: {reason}"


def _parse_list_output(output: str) -> tuple[list[str], str]:
    """Test names in go's order, and the import path from the trailing ``ok``/``?`` line."""
    names, import_path = [], ""
    for line in output.splitlines():
        if _LISTED_NAME.match(line):
            names.append(line)
        elif line.startswith(("ok  \t", "?   \t")):
            import_path = line.split("\t")[1]
    return names, import_path


_TEST_FUNC = re.compile(r"^func\s+((?:Test|Benchmark)\w*)\s*\(\s*\w+\s+\*testing\.[TB]\s*\)", re.MULTILINE)
_RUN_CALL = re.compile(r"\b\w+\.Run\(\s*(\"(?:[^\"\\\n]|\\.)*\"|`[^`]*`)\s*,")


def _scan_subtests(directory: Path) -> dict[str, list[GoTest]]:
    """Subtests with literal names per test/benchmark function, from every ``*_test.go``."""
    found: dict[str, list[GoTest]] = {}
    for path in sorted(directory.glob("*_test.go")):
        try:
            source = path.read_text(errors="replace")
        except OSError:
            continue
        for func in _TEST_FUNC.finditer(source):
            body_start = source.find("{", func.end())
            if body_start < 0:
                continue
            kind = "benchmark" if func.group(1).startswith("Benchmark") else "test"
            for name, offset in _run_calls(source, body_start):
                line = source.count("\n", 0, offset) + 1
                found.setdefault(func.group(1), []).append(
                    GoTest(f"{func.group(1)}/{name}", kind, from_source=True, file=path.name, line=line)
                )
    return found


def _go_string(literal: str) -> str:
    if literal.startswith("`"):
        return literal[1:-1]
    try:
        return json.loads(literal)
    except ValueError:
        return literal[1:-1]


def _run_calls(source: str, body_start: int) -> list[tuple[str, int]]:
    """("a/b", offset) for each literal-named Run call in the function body at ``body_start``.

    Walks the body once, skipping comments and string literals, tracking
    braces and parentheses: a Run call's name applies to the braces opened
    inside its parentheses (its closure), which gives nesting.
    """
    calls: list[tuple[str, int]] = []
    scopes: list[tuple[str, int]] = []  # (subtest path, brace depth inside its closure)
    pending: tuple[str, int] | None = None  # (path, paren depth of the Run call's "(")
    braces = parens = 0
    i = body_start
    while i < len(source):
        c = source[i]
        if source.startswith("//", i):
            i = source.find("\n", i)
            if i < 0:
                break
            continue
        if source.startswith("/*", i):
            end = source.find("*/", i + 2)
            i = len(source) if end < 0 else end + 2
            continue
        if c in "\"'`":
            i = _skip_literal(source, i)
            continue
        if c == "{":
            braces += 1
            if pending is not None and parens > pending[1]:
                scopes.append((pending[0], braces))
                pending = None
        elif c == "}":
            if scopes and scopes[-1][1] == braces:
                scopes.pop()
            braces -= 1
            if braces == 0:
                break
        elif c == "(":
            parens += 1
        elif c == ")":
            parens -= 1
            if pending is not None and parens <= pending[1]:
                pending = None
        elif c == "." and (run := _RUN_CALL.match(source, _identifier_start(source, i))):
            parent = scopes[-1][0] + "/" if scopes else ""
            path = parent + _go_string(run.group(1))
            calls.append((path, i))
            pending = (path, parens)
            parens += 1
            i = run.end()
            continue
        i += 1
    return calls


def _identifier_start(source: str, dot: int) -> int:
    start = dot
    while start > 0 and (source[start - 1].isalnum() or source[start - 1] == "_"):
        start -= 1
    return start


def _skip_literal(source: str, start: int) -> int:
    """Index just past the string/rune literal opening at ``start``."""
    quote = source[start]
    i = start + 1
    while i < len(source):
        if source[i] == "\\" and quote != "`":
            i += 2
            continue
        if source[i] == quote or (source[i] == "\n" and quote != "`"):
            return i + 1
        i += 1
    return i
