"""Run a Go configuration from a project's ``.vscode/launch.json``.

The file is JSON with comments and trailing commas, as VS Code accepts it. Supported, as
the Go extension (vscode-go) reads them:

* ``request: launch`` with ``mode`` ``auto`` (test for a ``_test.go`` program, else debug),
  ``debug``, ``test``, ``exec``, ``core`` (``coreFilePath``); ``program``, ``args`` (a list,
  or a string split like a shell), ``env``, ``envFile``, ``buildFlags`` (string or list),
  ``cwd`` (default: the program's directory), ``stopOnEntry``;
* ``request: attach`` with ``mode: local`` (``processId``: a pid, or a process name that
  must match exactly one process) or ``mode: remote`` (``host``/``port`` of a headless dlv);
* ``substitutePath`` (``{from: local, to: remote}`` — the reverse of Delve's order, flipped
  here), and the legacy ``remotePath`` with ``cwd``;
* variables ``${workspaceFolder}``, ``${workspaceFolderBasename}``, ``${workspaceRoot}``,
  ``${userHome}``, ``${cwd}``, ``${env:NAME}``, ``${pathSeparator}``, ``${/}``, and the
  ``${file…}`` family when a current file is given.

What godbg-tui cannot honour is refused with the reason (``${command:…}`` pickers,
``${input:…}``, ``mode: replay``, an external ``dlv dap`` server via ``port`` on a launch
request) or, when harmless to skip, reported as a warning (``dlvFlags``, ``backend`` …).
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .dlv.launcher import LaunchSpec, Mode
from .pathmap import Rule
from .processes import read_processes

LAUNCH_JSON = os.path.join(".vscode", "launch.json")

# Attributes that change how the program runs but that godbg-tui does not apply.
_NOT_APPLIED = {
    "dlvFlags": "extra dlv flags are not passed on",
    "backend": "dlv's default backend is used",
    "asRoot": "run godbg-tui itself as root (e.g. with sudo) instead",
    "output": "the debug binary goes to a private temporary directory",
    "followExec": "child processes are not followed",
    "console": "the program's output is shown in godbg-tui's console pane",
    "traceDirPath": "rr replays are not supported",
    "goroot": "the go on PATH builds the program",
    "preLaunchTask": "VS Code tasks are not run; run it yourself first",
    "postDebugTask": "VS Code tasks are not run",
}


class VscodeConfigError(Exception):
    """launch.json cannot be used as asked; ``str()`` says where, what, and what to do."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(f"{message}\n{hint}" if hint else message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True)
class VscodeLaunch:
    """A launch.json configuration turned into what godbg-tui runs.

    ``substitute_path`` is in Delve's order (path in the binary, local path).
    ``stop_at_main`` is False when the configuration says ``stopOnEntry``.
    """

    name: str
    spec: LaunchSpec
    substitute_path: tuple[Rule, ...] = ()
    stop_at_main: bool = True
    workspace: str = ""
    warnings: tuple[str, ...] = ()


def find_launch_json(start: str | None = None) -> str:
    """``.vscode/launch.json`` in ``start`` (default: the current directory) or the nearest parent."""
    directory = os.path.abspath(start or os.getcwd())
    origin = directory
    while True:
        candidate = os.path.join(directory, LAUNCH_JSON)
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            raise VscodeConfigError(
                f"no {LAUNCH_JSON} in {origin} or any parent directory",
                "run godbg-tui vscode in the project (or pass --launch-json FILE)",
            )
        directory = parent


def strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas → JSON, every other character kept in place
    (comments and dropped commas become blanks), so decode errors point into the original."""
    out = list(text)
    n = len(text)
    i = 0
    in_string = False
    while i < n:
        char = text[i]
        if in_string:
            if char == "\\":
                i += 2
                continue
            if char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                out[i] = " "
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                line = text.count("\n", 0, i) + 1
                raise ValueError(f"line {line}: unterminated /* comment")
            for j in range(i, end + 2):
                if text[j] != "\n":
                    out[j] = " "
            i = end + 2
            continue
        i += 1
    blanked = "".join(out)
    in_string = False
    i = 0
    while i < n:
        char = blanked[i]
        if in_string:
            if char == "\\":
                i += 2
                continue
            if char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char == ",":
            j = i + 1
            while j < n and blanked[j] in " \t\r\n":
                j += 1
            if j < n and blanked[j] in "]}":
                out[i] = " "
        i += 1
    return "".join(out)


def read_launch_json(path: str) -> dict[str, Any]:
    """Decode launch.json; errors name the file, line and column."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except FileNotFoundError:
        raise VscodeConfigError(f"{path} does not exist") from None
    except UnicodeDecodeError:
        raise VscodeConfigError(f"{path} is not UTF-8 text") from None
    except OSError as exc:
        raise VscodeConfigError(f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(strip_jsonc(text))
    except ValueError as exc:
        where = f"{exc.lineno}:{exc.colno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise VscodeConfigError(f"{path}:{where}", "fix the JSON (comments and trailing commas are fine)") from None
    if not isinstance(data, dict) or not isinstance(data.get("configurations", []), list):
        raise VscodeConfigError(f"{path}: expected an object with a \"configurations\" list")
    return data


def _go_configurations(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in data.get("configurations", []) if isinstance(c, dict) and c.get("type") == "go"]


def configuration_names(path: str) -> list[str]:
    """The names of the Go configurations in launch.json, in file order."""
    return [str(c.get("name", "")) for c in _go_configurations(read_launch_json(path))]


def load_configuration(
    path: str,
    name: str | None = None,
    *,
    current_file: str | None = None,
    cwd: str | None = None,
) -> VscodeLaunch:
    """The Go configuration ``name`` (or the only one) of launch.json at ``path``.

    ``${workspaceFolder}`` is the directory holding ``.vscode``; ``current_file`` stands for
    the editor's file in ``${file}`` and friends; ``cwd`` for ``${cwd}`` (default: ours).
    """
    path = os.path.abspath(path)
    data = read_launch_json(path)
    workspace = os.path.dirname(os.path.dirname(path))
    go = _go_configurations(data)
    names = [str(c.get("name", "")) for c in go]
    if not go:
        others = sorted({str(c.get("type")) for c in data.get("configurations", []) if isinstance(c, dict)})
        extra = f" (it has: {', '.join(others)})" if others else ""
        raise VscodeConfigError(f"{path} has no Go configuration (\"type\": \"go\"){extra}")
    if name is None:
        if len(go) > 1:
            raise VscodeConfigError(
                f"{path} has {len(go)} Go configurations; say which one",
                "choose one of: " + ", ".join(repr(n) for n in names),
            )
        config = go[0]
    else:
        matches = [c for c in go if c.get("name") == name]
        if not matches:
            raise VscodeConfigError(
                f"{path} has no Go configuration named {name!r}",
                "choose one of: " + ", ".join(repr(n) for n in names),
            )
        config = matches[0]
    label = f"{path}: configuration {config.get('name', '')!r}"
    expand = _Expander(workspace, current_file, cwd or os.getcwd(), label)
    return _Converter(config, expand, workspace, label).convert()


class _Expander:
    """VS Code's ``${…}`` variables in strings, lists and objects."""

    _VARIABLE = re.compile(r"\$\{([^}]*)\}")

    def __init__(self, workspace: str, current_file: str | None, cwd: str, label: str):
        self.label = label
        self.values = {
            "workspaceFolder": workspace,
            "workspaceRoot": workspace,
            "workspaceFolderBasename": os.path.basename(workspace),
            "userHome": os.path.expanduser("~"),
            "cwd": cwd,
            "pathSeparator": "/",
            "/": "/",
        }
        if current_file:
            file = os.path.abspath(current_file)
            base = os.path.basename(file)
            relative = os.path.relpath(file, workspace)
            self.values |= {
                "file": file,
                "fileWorkspaceFolder": workspace,
                "relativeFile": relative,
                "relativeFileDirname": os.path.dirname(relative),
                "fileBasename": base,
                "fileBasenameNoExtension": os.path.splitext(base)[0],
                "fileExtname": os.path.splitext(base)[1],
                "fileDirname": os.path.dirname(file),
                "fileDirnameBasename": os.path.basename(os.path.dirname(file)),
            }

    def __call__(self, value: Any) -> Any:
        if isinstance(value, str):
            return self._VARIABLE.sub(self._replace, value)
        if isinstance(value, list):
            return [self(v) for v in value]
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        return value

    def _replace(self, match: re.Match[str]) -> str:
        variable = match.group(1)
        if variable in self.values:
            return self.values[variable]
        kind, _, argument = variable.partition(":")
        if kind == "env":
            return os.environ.get(argument, "")
        if kind == "workspaceFolder" and argument == self.values["workspaceFolderBasename"]:
            return self.values["workspaceFolder"]
        if kind in ("command", "input"):
            hint = (
                "godbg-tui cannot run VS Code's process picker: put the pid in launch.json, or use godbg-tui attach PID"
                if "pick" in argument.lower()
                else "godbg-tui cannot run VS Code commands or prompts; write the value into launch.json"
            )
            raise VscodeConfigError(f"{self.label}: ${{{variable}}} needs VS Code", hint)
        if variable.startswith("file") or variable.startswith("relativeFile") or variable in ("lineNumber", "selectedText"):
            raise VscodeConfigError(
                f"{self.label}: ${{{variable}}} refers to the file open in VS Code",
                "pass the file with --file PATH, or write the path into launch.json",
            )
        raise VscodeConfigError(f"{self.label}: unknown variable ${{{variable}}}", "replace it with its value")


class _Converter:
    def __init__(self, config: dict[str, Any], expand: Callable[[Any], Any], workspace: str, label: str):
        self.raw = config
        self.expand = expand
        self.workspace = workspace
        self.label = label
        self.warnings: list[str] = []

    def get(self, key: str, default: Any = None) -> Any:
        """An attribute with its variables expanded (only attributes in use are, so a
        ``${command:…}`` in one godbg-tui ignores does no harm)."""
        return self.expand(self.raw[key]) if key in self.raw else default

    def fail(self, message: str, hint: str | None = None) -> VscodeConfigError:
        return VscodeConfigError(f"{self.label}: {message}", hint)

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.get(key, default)
        if value is not None and not isinstance(value, str):
            raise self.fail(f"{key} must be a string, not {json.dumps(value)}")
        return value

    def path(self, key: str) -> str | None:
        """A path attribute: ``~`` expanded, relative to the workspace folder."""
        value = self.string(key)
        if not value:
            return None
        return os.path.normpath(os.path.join(self.workspace, os.path.expanduser(value)))

    def convert(self) -> VscodeLaunch:
        request = self.string("request")
        mode = self.string("mode")
        if request not in ("launch", "attach"):
            raise self.fail(f"request must be \"launch\" or \"attach\", not {json.dumps(request)}")
        if self.raw.get("debugServer"):
            raise self.fail("debugServer points at a DAP server; godbg-tui drives dlv --headless over JSON-RPC")
        for key, consequence in _NOT_APPLIED.items():
            if self.raw.get(key) not in (None, "", [], False, "default", "internalConsole"):
                self.warnings.append(f"{self.label}: {key} is not applied ({consequence})")
        if request == "launch":
            spec = self.launch(mode or "debug")
        else:
            spec = self.attach(mode or "local")
        stop_on_entry = self.raw.get("stopOnEntry", False)
        if not isinstance(stop_on_entry, bool):
            raise self.fail("stopOnEntry must be true or false")
        return VscodeLaunch(
            name=str(self.raw.get("name", "")),
            spec=spec,
            substitute_path=tuple(self.substitute_path()),
            stop_at_main=not stop_on_entry,
            workspace=self.workspace,
            warnings=tuple(self.warnings),
        )

    def launch(self, mode: str) -> LaunchSpec:
        if self.get("port") or self.get("host"):
            raise self.fail(
                "host/port on a launch request means an external `dlv dap` server, which godbg-tui cannot drive",
                "start `dlv debug --headless --accept-multiclient --listen=HOST:PORT` there and use "
                "godbg-tui connect HOST:PORT, or an attach request with mode remote",
            )
        if mode == "remote":
            return self.attach("remote")
        if mode == "replay":
            raise self.fail("mode replay (rr recordings) is not supported by godbg-tui")
        if mode not in ("auto", "debug", "test", "exec", "core"):
            raise self.fail(f"unknown launch mode {json.dumps(mode)}", "use auto, debug, test, exec or core")
        raw_program = self.string("program")
        if not raw_program:
            raise self.fail("program is missing", "set it to a package directory, a .go file or (exec) a binary")
        program = self.program(raw_program, may_be_package=mode in ("auto", "debug", "test"))
        if mode == "auto":
            mode = "test" if program.endswith("_test.go") else "debug"
        if mode == "test" and program.endswith("_test.go"):
            program = os.path.dirname(program)
        build_flags = self.build_flags() if mode in ("debug", "test") else None
        if self.get("buildFlags") and mode not in ("debug", "test"):
            self.warnings.append(f"{self.label}: buildFlags only apply to debug and test modes; ignored")
        core = None
        if mode == "core":
            core = self.path("coreFilePath")
            if not core:
                raise self.fail("mode core needs coreFilePath")
        wd = self.path("cwd")
        if wd is None and os.path.isabs(program):
            wd = program if os.path.isdir(program) else os.path.dirname(program)
        launch_mode: Mode = mode  # type: ignore[assignment]
        return LaunchSpec(
            mode=launch_mode,
            program=program,
            args=tuple(self.args()) if mode != "core" else (),
            core=core,
            build_flags=build_flags,
            wd=wd if mode != "core" else None,
            env=self.env() or None,
        )

    def program(self, value: str, *, may_be_package: bool) -> str:
        """A file-system path (made absolute against the workspace) or, when a package is
        allowed and nothing exists there, a package import path as given (``example.com/cmd``)."""
        expanded = os.path.expanduser(value)
        candidate = os.path.normpath(os.path.join(self.workspace, expanded))
        if not may_be_package or os.path.isabs(expanded) or os.path.exists(candidate) or expanded.startswith("."):
            return candidate
        return value

    def args(self) -> list[str]:
        args = self.get("args", [])
        if isinstance(args, str):
            try:
                return shlex.split(args)
            except ValueError as exc:
                raise self.fail(f"args: {exc}", "quote arguments like a shell does, or give args as a list") from None
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise self.fail("args must be a list of strings (or one string)")
        return args

    def build_flags(self) -> str | None:
        flags = self.get("buildFlags")
        if not flags:
            return None
        if isinstance(flags, str):
            return flags
        if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
            raise self.fail("buildFlags must be a string or a list of strings")
        words = []
        for flag in flags:
            if "'" in flag and any(c.isspace() for c in flag):
                raise self.fail(f"build flag {flag!r} has both blanks and a single quote, which dlv cannot pass on")
            words.append(f"'{flag}'" if any(c.isspace() for c in flag) else flag)
        return " ".join(words)

    def env(self) -> dict[str, str]:
        env: dict[str, str] = {}
        env_files = self.get("envFile") or []
        for file in [env_files] if isinstance(env_files, str) else env_files:
            if not isinstance(file, str):
                raise self.fail("envFile must be a path or a list of paths")
            env |= self._read_env_file(os.path.normpath(os.path.join(self.workspace, os.path.expanduser(file))), env)
        values = self.get("env", {})
        if not isinstance(values, dict):
            raise self.fail("env must be an object of NAME: value")
        for key, value in values.items():
            if value is None:
                self.warnings.append(f"{self.label}: env {key}: null (unset) is not supported; {key} is inherited")
                env.pop(key, None)
            elif isinstance(value, (str, int, float, bool)):
                env[key] = value if isinstance(value, str) else json.dumps(value)
            else:
                raise self.fail(f"env {key} must be a string")
        return env

    _ENV_LINE = re.compile(r"^\s*(?:export\s+)?([\w.\-]+)\s*=\s*(.*?)\s*$")
    _ENV_REF = re.compile(r"(?<!\\)\$\{([A-Za-z]\w*)\}")

    def _read_env_file(self, path: str, earlier: dict[str, str]) -> dict[str, str]:
        """A .env file as vscode-go reads it: KEY=VALUE lines, quotes stripped, ${VAR} expanded."""
        try:
            with open(path, encoding="utf-8-sig") as f:
                lines = f.read().split("\n")
        except OSError as exc:
            raise self.fail(f"cannot read envFile {path}: {exc.strerror}") from None
        env: dict[str, str] = {}
        for line in lines:
            m = self._ENV_LINE.match(line)
            if not m or line.lstrip().startswith("#"):
                continue
            value = m.group(2)
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1].replace("\\n", "\n")
            elif len(value) >= 2 and value[0] == value[-1] == "'":
                value = value[1:-1]
            value = self._ENV_REF.sub(lambda r: env.get(r[1]) or earlier.get(r[1]) or os.environ.get(r[1], ""), value)
            env[m.group(1)] = value.replace("\\$", "$")
        return env

    def attach(self, mode: str) -> LaunchSpec:
        if mode == "local":
            return LaunchSpec(mode="attach", pid=self.pid())
        if mode == "remote":
            host = self.string("host", "127.0.0.1") or "127.0.0.1"
            port = self.get("port")
            if isinstance(port, str) and port.isdigit():
                port = int(port)
            if type(port) is not int or not 0 < port < 65536:
                raise self.fail("mode remote needs the port of the headless dlv (\"port\": 2345)")
            return LaunchSpec(mode="connect", address=f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
        raise self.fail(f"unknown attach mode {json.dumps(mode)}", "use local or remote")

    def pid(self) -> int:
        value = self.get("processId")
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if type(value) is int and value > 0:
            return value
        if isinstance(value, str) and value:
            matches = [
                p
                for p in read_processes()
                if value in (os.path.basename(p.exe or ""), os.path.basename(p.command.split(" ", 1)[0]))
            ]
            if len(matches) == 1:
                return matches[0].pid
            if not matches:
                raise self.fail(f"no running process is named {value!r}")
            pids = ", ".join(str(p.pid) for p in matches[:10])
            raise self.fail(f"{len(matches)} processes are named {value!r} ({pids})", "put the pid in processId")
        raise self.fail(
            "processId is missing (VS Code would show a process picker)",
            "put the pid (or the process name) in processId, or use godbg-tui attach PID",
        )

    def substitute_path(self) -> list[Rule]:
        """launch.json rules are {from: local, to: remote}; Delve's order is (remote, local)."""
        rules: list[Rule] = []
        entries = self.get("substitutePath", [])
        if not isinstance(entries, list):
            raise self.fail("substitutePath must be a list of {\"from\": LOCAL, \"to\": REMOTE}")
        for entry in entries:
            if not isinstance(entry, dict) or not all(isinstance(entry.get(k, ""), str) for k in ("from", "to")):
                raise self.fail(f"substitutePath entry {json.dumps(entry)} is not {{\"from\": LOCAL, \"to\": REMOTE}}")
            rules.append((entry.get("to", ""), entry.get("from", "")))
        remote_path = self.string("remotePath")
        if remote_path:
            local = self.path("cwd") or self.workspace
            rules.append((remote_path, local))
        return rules


def describe(launch: VscodeLaunch) -> Sequence[str]:
    """Lines telling the user what will run (for ``godbg-tui vscode --dry-run`` and the console)."""
    spec = launch.spec
    what = {
        "attach": f"attach to pid {spec.pid}",
        "connect": f"connect to {spec.address}",
        "core": f"core {spec.core} of {spec.program}",
    }.get(spec.mode, f"{spec.mode} {spec.program}")
    lines = [f"{launch.name}: {what}"]
    if spec.args:
        lines.append("  args: " + shlex.join(spec.args))
    if spec.wd:
        lines.append(f"  cwd: {spec.wd}")
    if spec.build_flags:
        lines.append(f"  build flags: {spec.build_flags}")
    if spec.env:
        lines.append("  env: " + " ".join(f"{k}={shlex.quote(v)}" for k, v in spec.env.items()))
    for remote, local in launch.substitute_path:
        lines.append(f"  substitute-path: {remote or '(relative)'} → {local or '(relative)'}")
    return lines
