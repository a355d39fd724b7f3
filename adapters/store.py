"""Per-project persistence (breakpoints, watches, layout), command history and user config.

Project state lives in ``$XDG_STATE_HOME/godbg-tui/`` (default
``~/.local/state/godbg-tui/``), one JSON file per project. A project is named by
its Go module path (the ``module`` line of the nearest go.mod) or, for a binary
outside any module, by the binary's directory. Writes are atomic (temp file,
fsync, rename) so a crash never leaves half a file; a file that does not decode
is renamed aside (``*.corrupt-<time>``) and reported, never silently dropped.
A writer killed mid-save leaves its temp file (named with its pid); loads and saves
sweep those of dead writers, and any older than STALE_TEMP_S.

Recent sessions (the last RECENT_LIMIT launch specs that reached their first stop)
are kept in ``recent.json`` for the launcher screen.

User configuration (theme, key remaps) is TOML in
``$XDG_CONFIG_HOME/godbg-tui/config.toml``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import msgspec

from .dlv.launcher import LaunchSpec
from .dlv.types import Breakpoint

APP_DIR = "godbg-tui"
T = TypeVar("T")
HISTORY_LIMIT = 1000
RECENT_LIMIT = 20
SCHEMA_VERSION = 1
STALE_TEMP_S = 600.0
_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.(?P<pid>\d+)-[a-z0-9_]+\.tmp")


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / APP_DIR


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / APP_DIR / "config.toml"


class SavedBreakpoint(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A breakpoint as re-created next session: by its location expression."""

    location: str
    cond: str = ""
    hit_cond: str = ""
    disabled: bool = False
    name: str = ""
    tracepoint: bool = False


class Layout(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Which side pane shows at narrow widths, and sizes the user set (0: the default)."""

    side_pane: str = "variables"
    console_height: int = 0
    side_width: int = 0


class ProjectState(msgspec.Struct, kw_only=True):
    version: int = SCHEMA_VERSION
    project: str = ""
    breakpoints: list[SavedBreakpoint] = msgspec.field(default_factory=list)
    watches: list[str] = msgspec.field(default_factory=list)
    layout: Layout = msgspec.field(default_factory=Layout)


class PathRule(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One substitute-path rule, as in dlv's config: ``{from = "/build", to = "/home/me/src"}``."""

    from_: str = msgspec.field(name="from")
    to: str


class Config(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``config.toml`` in the XDG config dir; every key is optional.

    ``theme`` (a theme name), ``ascii`` ("auto": ASCII glyphs when the locale is
    not UTF-8; "on"; "off"), ``[keys]`` (binding id → keys, e.g. ``next = "f10,n"``),
    load limits ``max_string_len`` / ``max_array_values`` (0: our defaults),
    ``substitute_path`` (list of ``{from, to}``, added to dlv's config.yml rules),
    ``auto_resume_after`` (seconds an attached program may stay stopped before it
    is resumed; 0: never) and ``gctrace`` (run programs we launch with
    GODEBUG=gctrace=1 for the heap view's GC strip).
    """

    theme: str = ""
    ascii: str = "auto"
    keys: dict[str, str] = msgspec.field(default_factory=dict)
    max_string_len: int = 0
    max_array_values: int = 0
    substitute_path: list[PathRule] = msgspec.field(default_factory=list)
    auto_resume_after: float = 0.0
    gctrace: bool = False

    def __post_init__(self) -> None:
        if self.ascii not in ("auto", "on", "off"):
            raise ValueError(f"ascii must be \"auto\", \"on\" or \"off\", not {self.ascii!r}")
        for key in ("max_string_len", "max_array_values", "auto_resume_after"):
            if getattr(self, key) < 0:
                raise ValueError(f"{key} must not be negative")


class ConfigError(Exception):
    """config.toml exists but cannot be used; the message names the file and the problem."""


def saved_breakpoint(bp: Breakpoint) -> SavedBreakpoint | None:
    """What to remember of a live breakpoint; None for ones that cannot be re-created (watchpoints)."""
    if bp.id <= 0 or bp.WatchExpr:
        return None
    location = bp.ExprString or (f"{bp.file}:{bp.line}" if bp.file else bp.functionName)
    if not location:
        return None
    return SavedBreakpoint(
        location=location,
        cond=bp.Cond,
        hit_cond=bp.HitCond,
        disabled=bp.disabled,
        name=bp.name,
        tracepoint=bp.tracepoint,
    )


def module_path(start: Path) -> str | None:
    """The module path of the go.mod at or above ``start``, if any."""
    for directory in [start, *start.parents]:
        gomod = directory / "go.mod"
        try:
            text = gomod.read_text(errors="replace")
        except OSError:
            continue
        m = re.search(r"^\s*module\s+\"?([^\s\"]+)", text, re.MULTILINE)
        if m:
            return m.group(1)
    return None


def project_key(spec: LaunchSpec) -> str:
    """The name this launch's state is filed under."""
    wd = Path(spec.wd or os.getcwd()).resolve()
    if spec.mode in ("debug", "test"):
        pkg = spec.program or "."
        start = (wd / pkg).resolve() if pkg.startswith(".") or pkg.startswith("/") else wd
        return module_path(start) or str(start)
    if spec.mode == "connect":
        return f"remote {spec.address}"
    binary = spec.program
    if spec.mode == "attach" and not binary and spec.pid:
        try:
            binary = os.readlink(f"/proc/{spec.pid}/exe")
        except OSError:
            return f"pid {spec.pid}"
    directory = (wd / binary).resolve().parent if binary else wd
    return module_path(directory) or str(directory)


def _file_name(key: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", key).strip("_")[-60:] or "project"
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return f"{slug}-{digest}.json"


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` all at once: temp file in the same directory, fsync, rename.

    The temp file is ``.<name>.<pid>-<random>.tmp``, so a sweep can tell a dead writer's
    leftover from a save in progress.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temp_files(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_temp_files(directory: Path, *, max_age: float = STALE_TEMP_S) -> list[Path]:
    """Remove temp files of atomic_write whose writer is gone (or that are older than ``max_age``).

    A live writer's file is young and its pid alive, so it is left alone; a pid reused by
    another process is caught by the age. Returns what was removed.
    """
    removed: list[Path] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    now = time.time()
    for name in names:
        m = _TEMP_NAME.fullmatch(name)
        if m is None:
            continue
        path = directory / name
        try:
            age = now - path.lstat().st_mtime
        except OSError:
            continue
        if age > max_age or not _pid_alive(int(m["pid"])):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def _set_aside(path: Path, why: str) -> str:
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        os.replace(path, aside)
    except OSError as exc:
        return f"{path} is unreadable ({why}) and could not be moved aside ({exc.strerror}); starting empty"
    return f"{path} was unreadable ({why}); moved it to {aside.name} and started empty"


class ProjectStore:
    """The saved state of one project. ``load`` never raises for bad files: it reports them."""

    def __init__(self, key: str, directory: Path | None = None):
        self.key = key
        self.path = (directory or state_dir()) / _file_name(key)

    @classmethod
    def for_spec(cls, spec: LaunchSpec, directory: Path | None = None) -> ProjectStore:
        return cls(project_key(spec), directory)

    def load(self) -> tuple[ProjectState, list[str]]:
        """The saved state (empty if none) and warnings about what could not be read."""
        sweep_stale_temp_files(self.path.parent)
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return ProjectState(project=self.key), []
        except OSError as exc:
            return ProjectState(project=self.key), [f"cannot read {self.path}: {exc.strerror}"]
        try:
            state = msgspec.json.decode(raw, type=ProjectState)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return ProjectState(project=self.key), [_set_aside(self.path, str(exc))]
        if state.version > SCHEMA_VERSION:
            return ProjectState(project=self.key), [
                f"{self.path} was written by a newer godbg-tui (format {state.version}); not using it"
            ]
        state.project = self.key
        return state, []

    def save(self, state: ProjectState) -> None:
        state.project = self.key
        atomic_write(self.path, msgspec.json.format(msgspec.json.encode(state)) + b"\n")


def _load_list(path: Path, item: type[T]) -> tuple[list[T], list[str]]:
    """A JSON list file: missing is empty, unreadable is a warning, undecodable is set aside."""
    sweep_stale_temp_files(path.parent)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        return [], [f"cannot read {path}: {exc.strerror}"]
    try:
        return msgspec.json.decode(raw, type=list[item]), []
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return [], [_set_aside(path, str(exc))]


class HistoryStore:
    """Command-line history shared by all projects, newest last, capped at HISTORY_LIMIT."""

    def __init__(self, directory: Path | None = None):
        self.path = (directory or state_dir()) / "history.json"

    def load(self) -> tuple[list[str], list[str]]:
        entries, warnings = _load_list(self.path, str)
        return entries[-HISTORY_LIMIT:], warnings

    def save(self, entries: Sequence[str]) -> None:
        atomic_write(self.path, msgspec.json.encode(list(entries)[-HISTORY_LIMIT:]) + b"\n")


class RecentSession(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What is needed to start a session again: the LaunchSpec minus per-run plumbing
    (listen address, dlv path, environment)."""

    mode: str
    program: str | None = None
    args: list[str] = msgspec.field(default_factory=list)
    pid: int | None = None
    core: str | None = None
    address: str | None = None
    test_run: str | None = None
    build_flags: str | None = None
    wd: str | None = None

    @classmethod
    def from_spec(cls, spec: LaunchSpec) -> RecentSession:
        """Relative paths are pinned to the directory they were relative to, so the entry
        starts the same program from wherever godbg-tui is run next."""
        wd = spec.wd or (os.getcwd() if spec.mode in ("exec", "debug", "test", "core") else None)
        program = spec.program
        if program and spec.mode in ("exec", "core", "attach") and wd:
            program = os.path.join(wd, program)
        core = os.path.join(wd, spec.core) if spec.core and wd else spec.core
        return cls(
            mode=spec.mode,
            program=program,
            args=list(spec.args),
            pid=spec.pid,
            core=core,
            address=spec.address,
            test_run=spec.test_run,
            build_flags=spec.build_flags,
            wd=wd,
        )

    def to_spec(self) -> LaunchSpec:
        return LaunchSpec(
            mode=self.mode,  # type: ignore[arg-type]
            program=self.program,
            args=tuple(self.args),
            pid=self.pid,
            core=self.core,
            address=self.address,
            test_run=self.test_run,
            build_flags=self.build_flags,
            wd=self.wd,
        )

    def describe(self) -> str:
        """``exec prog -linger 1h``, ``attach 4242 (server)``, ``test ./calc -run TestAdd``."""
        if self.mode == "attach":
            name = f" ({Path(self.program).name})" if self.program else ""
            return f"attach {self.pid}{name}"
        if self.mode == "connect":
            return f"connect {self.address}"
        if self.mode == "core":
            return f"core {Path(self.program or '').name} {Path(self.core or '').name}"
        what = Path(self.program).name if self.mode == "exec" and self.program else self.program or "."
        parts = [self.mode, what]
        if self.test_run:
            parts += ["-run", self.test_run]
        return " ".join([*parts, *self.args])


class RecentSessions:
    """The last RECENT_LIMIT sessions that started, newest first, one entry per distinct spec."""

    def __init__(self, directory: Path | None = None):
        self.path = (directory or state_dir()) / "recent.json"

    def load(self) -> tuple[list[RecentSession], list[str]]:
        entries, warnings = _load_list(self.path, RecentSession)
        return entries[:RECENT_LIMIT], warnings

    def add(self, spec: LaunchSpec) -> list[RecentSession]:
        """Put ``spec`` first (removing an equal older entry), save, and return the list."""
        entry = RecentSession.from_spec(spec)
        entries, _ = self.load()
        entries = [entry, *(e for e in entries if e != entry)][:RECENT_LIMIT]
        atomic_write(self.path, msgspec.json.format(msgspec.json.encode(entries)) + b"\n")
        return entries


def load_config(path: Path | None = None) -> Config:
    """Read config.toml; a missing file is the default config, a broken one raises ConfigError."""
    path = path or config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        return msgspec.convert(tomllib.loads(raw.decode("utf-8", "replace")), Config)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
