"""Substitute-path: map the source paths inside a binary to files on this machine.

A rule is ``(path in the binary, local path)`` — Delve's order (config.yml ``from``/``to``,
``FindLocation``'s ``SubstitutePathRules``); VS Code's ``substitutePath`` is the reverse
and :mod:`.vscode` flips it. :func:`to_local`/:func:`to_remote` apply rules exactly as
Delve's ``locspec.SubstitutePath`` does (first match wins, matches end on a path
separator, an empty side stands for relative paths), so what the source pane opens and
what Delve resolves for ``break /local/path.go:N`` agree.

Rules come, first match first, from the user (command line, launch.json, ``config
substitute-path``), godbg-tui's config.toml, dlv's own config.yml, and finally a guess
(:func:`guess_rules`): Delve's ``GuessSubstitutePath`` (dlv 1.24+) fed with the local
module layout, completed by a local guess that works with any dlv — each package of a
local module votes for the directory its files were compiled in, counting only files that
exist in the local checkout (Delve lists inlined code from other packages among a
package's files).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio
import msgspec

from .dlv.client import DelveClient, DelveError
from .dlv.types import EvalScope, LoadConfig, PackageBuildInfo

if TYPE_CHECKING:
    from .session import DebugSession

Rule = tuple[str, str]

DELVE_GUESS_VERSION = (1, 24, 0)
GO_TIMEOUT_S = 30.0
MAX_INDEXED_FILES = 50_000

_MODINFO_LOAD = LoadConfig(FollowPointers=False, MaxStringLen=1 << 20)
_SKIPPED_DIRS = {".git", ".hg", ".svn", "node_modules", "vendor", "testdata"}


class SubstituteRule(msgspec.Struct, forbid_unknown_fields=True):
    """One ``{from = "…", to = "…"}`` entry, as config files write it (Delve's order)."""

    from_: str = msgspec.field(default="", name="from")
    to: str = ""


def rules_from_entries(entries: Iterable[SubstituteRule]) -> list[Rule]:
    return [(entry.from_, entry.to) for entry in entries]


def to_local(path: str, rules: Sequence[Rule]) -> str:
    """Path in the binary → local path (Delve's ``locspec.SubstitutePath``, POSIX paths)."""
    return _substitute(path, rules)


def to_remote(path: str, rules: Sequence[Rule]) -> str:
    """Local path → path in the binary: the rules read backwards."""
    return _substitute(path, [(local, remote) for remote, local in rules])


def _substitute(path: str, rules: Sequence[Rule]) -> str:
    for source, target in rules:
        if path == source:
            return target
        if source == "":
            if path.startswith("/"):
                continue
            rest = path
        elif path.startswith(source) and (source.endswith("/") or path[len(source) :].startswith("/")):
            rest = path[len(source) :]
        else:
            continue
        if target == "":
            return rest.removeprefix("/")
        if target.endswith("/") and rest.startswith("/"):
            return target + rest[1:]
        if target.endswith("/") or rest.startswith("/"):
            return target + rest
        return target + "/" + rest
    return path


def merge_rules(*groups: Iterable[Rule]) -> list[Rule]:
    """Concatenate rule lists in priority order, keeping the first rule for each ``from``."""
    merged: dict[str, str] = {}
    for group in groups:
        for source, target in group:
            merged.setdefault(source, target)
    return list(merged.items())


# ---------------------------------------------------------------------------------------------
# The local side: module root, module directories, GOROOT


def module_root(start: str) -> str | None:
    """The directory of the go.mod at or above ``start``, if any."""
    directory = os.path.abspath(start)
    while True:
        if os.path.isfile(os.path.join(directory, "go.mod")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _module_path_from_gomod(root: str) -> str | None:
    try:
        with open(os.path.join(root, "go.mod"), encoding="utf-8", errors="replace") as f:
            text = f.read()
    except OSError:
        return None
    m = re.search(r'^\s*module\s+"?([^\s"]+)', text, re.MULTILINE)
    return m.group(1) if m else None


def _run_go(args: list[str], cwd: str) -> str | None:
    """Output of a go command that must not touch the network; None if it fails."""
    env = {**os.environ, "GOPROXY": "off"}
    try:
        done = subprocess.run(["go", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=GO_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None


def _json_stream(text: str) -> list[dict]:
    """``go list -json`` prints concatenated objects, not an array."""
    decoder = json.JSONDecoder()
    objects, index = [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return objects
        obj, index = decoder.raw_decode(text, index)
        objects.append(obj)


def client_modules(root: str) -> dict[str, str]:
    """Module path → local directory for the module at ``root`` and the dependencies whose
    sources are in the local module cache (``go list -m -json all``, offline); just the main
    module, from go.mod, when go cannot answer."""
    modules: dict[str, str] = {}
    out = _run_go(["list", "-m", "-json", "all"], root)
    if out is not None:
        try:
            entries = _json_stream(out)
        except ValueError:
            entries = []
        for entry in entries:
            replaced = entry.get("Replace") or {}
            directory = replaced.get("Dir") or entry.get("Dir")
            if entry.get("Path") and directory and os.path.isdir(directory):
                modules[entry["Path"]] = directory
    main = _module_path_from_gomod(root)
    if main and main not in modules:
        modules[main] = root
    return modules


def client_goroot() -> str:
    """``go env GOROOT``, or "" without a working go."""
    out = _run_go(["env", "GOROOT"], os.getcwd())
    return (out or "").strip()


@dataclass
class Guess:
    """Guessed rules and how they were found (shown to the user with the rules)."""

    rules: list[Rule] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


async def main_import_path(client: DelveClient) -> str:
    """The main package's import path, read from the target's ``runtime.modinfo``.

    Delve calls the main package ``main``; guessing needs its real import path, and the
    binary may be on another machine, so it is read from the program itself.
    """
    try:
        value = await client.eval(EvalScope(GoroutineID=-1), "runtime.modinfo", _MODINFO_LOAD)
    except DelveError:
        return ""
    m = re.search(r"path\t([^\n\t]+)\n", value.value or "")
    return m.group(1).strip() if m else ""


def _longest_module(import_path: str, modules: Mapping[str, str]) -> str | None:
    best = None
    for mod in modules:
        if (import_path == mod or import_path.startswith(mod + "/")) and (best is None or len(mod) > len(best)):
            best = mod
    return best


class _LocalIndex:
    """Basename → directories (relative to the module root) of the main module's files."""

    def __init__(self, root: str):
        self.by_name: dict[str, list[str]] = {}
        count = 0
        for directory, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in _SKIPPED_DIRS and not d.startswith(".")]
            rel = os.path.relpath(directory, root)
            for name in files:
                self.by_name.setdefault(name, []).append("" if rel == "." else rel)
                count += 1
                if count >= MAX_INDEXED_FILES:
                    return


def _strip_suffix_dir(directory: str, rel: str) -> str | None:
    """``/srv/x/pkg/sub`` minus ``pkg/sub`` → ``/srv/x``; None if it does not end so."""
    if not rel:
        return directory
    if directory == rel:
        return ""
    if directory.endswith("/" + rel):
        return directory[: -len(rel) - 1] or "/"
    return None


def local_guess(
    packages: Sequence[PackageBuildInfo],
    modules: Mapping[str, str],
    *,
    main_import: str = "",
    main_root: str | None = None,
    goroot: str = "",
) -> list[Rule]:
    """Rules from the binary's packages and the local module directories, with any dlv.

    A package ``mod/sub`` votes for ``dir(file) minus sub`` as the server root of ``mod``,
    for each of its files that exists locally as ``modules[mod]/sub/<name>``. The main
    package (``main`` to Delve) is ``main_import`` when known; otherwise its files vote
    wherever a same-named file sits in the local main module.
    """
    votes: dict[str, Counter[str]] = {}
    index = _LocalIndex(main_root) if main_root and not main_import else None
    server_goroot = ""
    for package in packages:
        files = package.Files or []
        if package.ImportPath == "runtime" and not server_goroot:
            for file in files:
                if (root := _strip_suffix_dir(posixpath.dirname(file), "src/runtime")) not in (None, ""):
                    server_goroot = root
                    break
        import_path = package.ImportPath
        if import_path == "main":
            if main_import:
                import_path = main_import
            elif index is not None and main_root:
                mod = next((m for m, d in modules.items() if d == main_root), None)
                if mod:
                    for file in files:
                        directory, name = posixpath.split(file)
                        for rel in index.by_name.get(name, ()):
                            root = _strip_suffix_dir(directory, rel)
                            if root is not None:
                                votes.setdefault(mod, Counter())[root] += 1
                continue
        mod = _longest_module(import_path, modules)
        if mod is None:
            continue
        rel = import_path[len(mod) :].strip("/")
        local_dir = os.path.join(modules[mod], rel)
        for file in files:
            directory, name = posixpath.split(file)
            if not os.path.isfile(os.path.join(local_dir, name)):
                continue  # inlined from another package
            root = _strip_suffix_dir(directory, rel)
            if root is not None:
                votes.setdefault(mod, Counter())[root] += 1
    rules: list[Rule] = []
    for mod, counter in votes.items():
        server_root = counter.most_common(1)[0][0]
        rules.append((server_root, modules[mod]))
    if server_goroot and goroot:
        rules.append((server_goroot, goroot))
    return rules


def _useful(rules: Iterable[Rule]) -> list[Rule]:
    """Drop identity rules and rules to directories that do not exist here."""
    return [(a, b) for a, b in rules if a != b and (b == "" or os.path.isdir(b))]


async def guess_rules(
    client: DelveClient,
    dlv_version: tuple[int, int, int],
    local_root: str,
    *,
    main_import: str | None = None,
    use_delve: bool | None = None,
) -> Guess:
    """Guess substitute-path rules mapping the target's sources to the module at ``local_root``.

    The target must be stopped. ``main_import`` (the main package's import path) is read from
    the target when not given. ``use_delve`` forces (True) or skips (False) Delve's own
    guess; by default it is used when dlv is 1.24 or newer. Identity rules are dropped.
    """
    guess = Guess()
    root = module_root(local_root)
    if root is None:
        guess.notes.append(f"no go.mod at or above {local_root}: cannot tell which local module holds the sources")
        return guess
    modules, goroot = await anyio.to_thread.run_sync(lambda: (client_modules(root), client_goroot()))
    if main_import is None:
        main_import = await main_import_path(client)
    if not main_import:
        guess.notes.append("the program's main package import path is unknown (no runtime.modinfo)")
    delve = dlv_version >= DELVE_GUESS_VERSION if use_delve is None else use_delve
    rules: list[Rule] = []
    if delve:
        try:
            rules = _useful(await client.guess_substitute_path(main_import, goroot, modules))
            guess.methods.append("Delve's GuessSubstitutePath")
        except DelveError as exc:
            guess.notes.append(f"Delve could not guess ({exc}); guessing locally")
    mapped_locals = {b for _, b in rules}
    main_mapped = root in mapped_locals
    if not delve or not main_mapped:
        packages = await client.list_packages_build_info(include_files=True)
        local = _useful(
            await anyio.to_thread.run_sync(
                lambda: local_guess(packages, modules, main_import=main_import or "", main_root=root, goroot=goroot)
            )
        )
        added = [r for r in local if r[1] not in mapped_locals and r[0] not in dict(rules)]
        if added or not delve:
            guess.methods.append("the binary's package files vs the local modules")
        rules += added
    guess.rules = rules
    return guess


async def unreadable_sources(client: DelveClient, rules: Sequence[Rule], under: str = "") -> list[str]:
    """The target's source files that cannot be read here through ``rules`` (only those
    starting with ``under``, if given); empty means no guess is needed."""
    missing = []
    for source in await client.list_sources():
        if source.startswith("<") or "/" not in source:
            continue  # <autogenerated>, "?"
        if under and not source.startswith(under):
            continue
        if not os.path.isfile(to_local(source, rules)):
            missing.append(source)
    return missing


async def auto_map(session: DebugSession, local_root: str) -> Guess | None:
    """What the app runs at the first stop: when some of the program's sources cannot be read
    through the session's rules, guess more and append them (the user's rules keep priority).

    Returns the guess (to show the user), or None when every source was readable already.
    The session must be stopped.
    """
    client = session.client
    if client is None:
        return None
    if not await unreadable_sources(client, session.substitute_path):
        return None
    guess = await guess_rules(client, session.dlv_version, local_root)
    session.substitute_path[:] = merge_rules(session.substitute_path, guess.rules)
    return guess


def describe_guess(guess: Guess) -> str:
    """One message for the console: the rules added, or why none could be."""
    if guess.rules:
        rules = "; ".join(f"{a or '(relative)'} → {b or '(relative)'}" for a, b in guess.rules)
        return f"substitute-path guessed ({', '.join(guess.methods)}): {rules} — change with config substitute-path"
    why = "; ".join(guess.notes) or "no local module matches the program's packages"
    return f"some sources are not readable here and no substitute-path could be guessed: {why}"
