"""End to end: the real ``godbg-tui`` console script in a real terminal (tmux), at 80x24.

Each test gets its own tmux server (``-L`` socket), sends keys with ``send-keys``
and polls ``capture-pane`` until the screen says what it should, never sleeping a
fixed time. Processes are checked through /proc: the app's descendants (dlv and the
program) must be gone after quitting or after the terminal goes away.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support import wait_until

pytestmark = pytest.mark.e2e

COLUMNS, ROWS = 80, 24
START_TIMEOUT = 60.0
STEP_TIMEOUT = 30.0
GODBG = Path(sys.executable).with_name("godbg-tui")


class Terminal:
    """One tmux server with one window running one command."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path, scratch: Path):
        self.socket = f"godbg-e2e-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.scratch = scratch
        self.name = "t"
        self.command = command
        self.env = env
        self.cwd = cwd

    def tmux(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        if check and out.returncode != 0:
            raise RuntimeError(f"tmux {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def start(self) -> None:
        env_args = [arg for key, value in self.env.items() for arg in ("-e", f"{key}={value}")]
        quoted = " ".join(_shell_quote(a) for a in self.command)
        config = self.scratch / f"{self.socket}.conf"
        config.write_text("set -g remain-on-exit on\n")  # keep the pane (and its exit status) when the app ends
        self.tmux(
            "-f", str(config), "new-session", "-d", "-s", self.name, "-x", str(COLUMNS), "-y", str(ROWS),
            "-c", str(self.cwd), *env_args, f"exec {quoted}",
        )

    @property
    def pane_pid(self) -> int:
        return int(self.tmux("display-message", "-p", "-t", self.name, "#{pane_pid}").strip())

    def dead(self) -> bool:
        out = self.tmux("display-message", "-p", "-t", self.name, "#{pane_dead}", check=False).strip()
        return out in ("1", "")

    def exit_status(self, pane_pid: int) -> int | None:
        """The dead pane's exit status. tmux 3.3 now and then never reaps the pane's process
        (#{pane_dead_status} stays empty): then it is read off the zombie (/proc/PID/stat's exit_code)."""
        status = self.tmux("display-message", "-p", "-t", self.name, "#{pane_dead_status}").strip()
        if status:
            return int(status)
        try:
            fields = Path(f"/proc/{pane_pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return os.waitstatus_to_exitcode(int(fields[49])) if fields[0] == "Z" else None

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", self.name, check=False)

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.name, "-l", text)

    def repeat(self, key: str, times: int) -> None:
        self.tmux("send-keys", "-t", self.name, "-N", str(times), key)

    def wait_for(self, what: str | re.Pattern[str] | Callable[[str], bool], timeout: float = STEP_TIMEOUT) -> str:
        """Poll the screen until it contains ``what`` (text, regex or predicate); return the screen."""
        if isinstance(what, str):
            test: Callable[[str], bool] = lambda screen: what in screen  # noqa: E731
        elif isinstance(what, re.Pattern):
            test = lambda screen: bool(what.search(screen))  # noqa: E731
        else:
            test = what
        try:
            return wait_until(lambda: (s := self.screen()) and test(s) and s, timeout=timeout, interval=0.05)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- screen ---\n{self.screen()}") from None

    def kill_server(self) -> None:
        self.tmux("kill-server", check=False)
        socket_dir = Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"
        (socket_dir / self.socket).unlink(missing_ok=True)


def _shell_quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (read from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@pytest.fixture(scope="module")
def _tmux_present() -> None:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed; scripts/test installs it (apt-get install tmux)", pytrace=False)


@pytest.fixture
def start(
    _tmux_present: None, go_bin, dlv_path: Path, tmp_path: Path  # type: ignore[no-untyped-def]
) -> Iterator[Callable[..., Terminal]]:
    """``start(*args)`` runs ``godbg-tui exec prog <args>`` in a fresh 80x24 tmux; returns the Terminal."""
    terminals: list[Terminal] = []
    env = {
        "TERM": "xterm-256color",
        "PATH": f"{dlv_path.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "GODBG_DLV": str(dlv_path),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "TEXTUAL_ANIMATIONS": "none",
        "ESCDELAY": "25",
    }

    def run(*args: str, godbg_args: tuple[str, ...] = (), program_args: tuple[str, ...] = ()) -> Terminal:
        command = [str(GODBG), *args, "exec", *godbg_args, str(go_bin["prog"])]
        if program_args:
            command += ["--", *program_args]
        terminal = Terminal(command, env, Path(__file__).resolve().parents[2], tmp_path)
        terminals.append(terminal)
        terminal.start()
        return terminal

    yield run
    for terminal in terminals:
        terminal.kill_server()


@pytest.fixture
def line_of(marker_line) -> Callable[[str], int]:  # type: ignore[no-untyped-def]
    return lambda marker: marker_line("prog", "main.go", marker)


STOPPED_AT_ENTRY = "stopped: at entry"
HIT = re.compile(r"stopped: breakpoint (\d+) hit (\d+) times?")


def command_line(term: Terminal, line: str) -> None:
    """Type ``line`` on the : line and wait until the line has closed again (it was run)."""
    term.keys(":")
    term.wait_for("dlv command")
    term.type(line)
    term.wait_for(lambda s: line in s)
    term.keys("Enter")
    term.wait_for(lambda s: "dlv command" not in s and f"(dlv) {line}" in s)


def hits(screen: str) -> int:
    m = HIT.search(screen)
    return int(m.group(2)) if m else 0


def status_line(screen: str) -> str:
    lines = screen.rstrip("\n").split("\n")
    return lines[-2] if len(lines) >= 2 else ""


# ----- the tests -----


def test_break_continue_with_f5_and_c_then_quit_leaves_nothing(start: Callable[..., Terminal]) -> None:
    term = start()
    term.wait_for(STOPPED_AT_ENTRY, timeout=START_TIMEOUT)
    app = term.pane_pid
    command_line(term, "break compute")
    term.wait_for("Breakpoint")
    term.keys("F5")
    term.wait_for(lambda s: hits(s) == 1)
    assert "main.compute" in status_line(term.screen())
    term.keys("c")
    term.wait_for(lambda s: hits(s) == 2)
    procs = descendants(app)
    assert {"dlv"} <= {comm(p) for p in procs} and len(procs) >= 2, procs
    term.keys("q")
    term.wait_for("The program will be killed.")
    term.keys("y")
    wait_until(term.dead, timeout=STEP_TIMEOUT, message="godbg-tui exits after q, y")
    wait_until(lambda: not any(alive(p) for p in procs), timeout=10, message="dlv and prog are gone")


def selected_variable(term: Terminal) -> str:
    """The expression under the variables tree's cursor: `v` opens it in the value viewer,
    whose title names it (the cursor itself has no mark in plain text)."""
    term.keys("v")
    try:
        screen = term.wait_for("Esc close", timeout=5)
    except AssertionError:
        return ""  # a section row: nothing to view
    title = re.search(r"╭─ (.+?) ─", screen.splitlines()[0])
    term.keys("Escape")
    term.wait_for("4 Variables")
    return title.group(1) if title else ""


def move_tree_cursor_to(term: Terminal, expr: str, limit: int = 80) -> None:
    """Move the focused variables tree's cursor down until it is on ``expr``."""
    for _ in range(limit):
        if selected_variable(term) == expr:
            return
        term.keys("Down")
    raise AssertionError(f"{expr} not reached in the variables pane")


def test_variables_pane_shows_a_struct_and_loads_more_of_a_slice(
    start: Callable[..., Terminal], line_of: Callable[[str], int]
) -> None:
    term = start()
    term.wait_for(STOPPED_AT_ENTRY, timeout=START_TIMEOUT)
    command_line(term, f"break main.go:{line_of('vars-ready')}")
    term.wait_for("Breakpoint")
    term.keys("c")
    term.wait_for(lambda s: hits(s) == 1 and "Locals" in s and "anInt" in s)
    term.keys("4", "z")
    term.wait_for(lambda s: "7 Console" not in s)
    move_tree_cursor_to(term, "bob")
    term.keys("Enter")
    term.repeat("Down", 3)  # onto bob's last field, which scrolls all three into view
    term.wait_for(lambda s: re.search(r'Name\b.*"Bob"', s) is not None and re.search(r"Age\b.*= 42", s) is not None)
    term.keys("z", "Escape")
    term.wait_for("7 Console")


def test_variables_pane_loads_more_of_a_long_slice(start: Callable[..., Terminal], line_of: Callable[[str], int]) -> None:
    term = start()
    term.wait_for(STOPPED_AT_ENTRY, timeout=START_TIMEOUT)
    command_line(term, f"break main.go:{line_of('vars-ready')}")
    term.wait_for("Breakpoint")
    term.keys("c")
    term.wait_for(lambda s: hits(s) == 1 and "anInt" in s)
    term.keys("4", "z")
    term.wait_for(lambda s: "7 Console" not in s)
    move_tree_cursor_to(term, "bigSlice")
    term.keys("Enter")
    term.wait_for(re.compile(r"\[1\] = 1\b"))
    overshoot = 66  # one row past a 64-element first page and its "… N more" row, which scrolls into view
    term.repeat("Down", overshoot)
    screen = term.wait_for(re.compile(r"… (\d+) more"))
    remaining = int(re.search(r"… (\d+) more", screen).group(1))  # type: ignore[union-attr]
    loaded = 10000 - remaining  # bigSlice has 10000 elements
    term.repeat("Up", overshoot - (loaded + 1))  # back onto the "… N more" row
    term.keys("Enter")
    term.wait_for(f"[{loaded}] = {loaded * loaded}")  # the next page's first element (bigSlice[i] == i*i)


def test_step_into_and_out(start: Callable[..., Terminal], line_of: Callable[[str], int]) -> None:
    term = start()
    term.wait_for(STOPPED_AT_ENTRY, timeout=START_TIMEOUT)
    command_line(term, f"break main.go:{line_of('loop-call')}")
    term.wait_for("Breakpoint")
    term.keys("c")
    term.wait_for(lambda s: hits(s) == 1)
    term.keys("s")
    term.wait_for(lambda s: "step done" in status_line(s) and "main.compute" in status_line(s))
    term.keys("o")
    term.wait_for(lambda s: "step done" in status_line(s) and "main.main" in status_line(s))
    term.keys("F11")  # from the return point of compute, the next line is the counter's
    term.wait_for(re.compile(rf"▶ ?{line_of('global-inc')}\b"))


def test_switch_goroutine_and_next_steps_in_it(start: Callable[..., Terminal], line_of: Callable[[str], int]) -> None:
    term = start(program_args=("-workers", "2"))
    term.wait_for(STOPPED_AT_ENTRY, timeout=START_TIMEOUT)
    command_line(term, f"break main.go:{line_of('hit-body')}")
    for attempt in range(1, 40):  # until both workers are stopped at the breakpoint at once
        term.keys("c")
        screen = term.wait_for(lambda s, n=attempt: "stopped: breakpoint" in status_line(s) and hits(s) >= n)
        if "(+1 goroutine)" in status_line(screen):
            break
    else:
        pytest.skip("the two workers never stopped at the breakpoint together")
    command_line(term, "clearall")
    term.keys("g")
    screen = term.wait_for(lambda s: "goroutines (user only)" in s and s.count("running") >= 2)
    rows = screen.splitlines()
    listed = [(i, int(m.group(1))) for i, r in enumerate(rows) if (m := re.search(r"│[* ] +(\d+) running", r))]
    cursor_row, current = next((i, g) for i, g in listed if "│*" in rows[i])  # opens on the current one, marked *
    other_row, other = next((i, g) for i, g in listed if g != current)
    term.repeat("Down" if other_row > cursor_row else "Up", abs(other_row - cursor_row))
    term.keys("Enter")
    term.wait_for(lambda s: f"g{other} frame 0 main.hit" in status_line(s))
    term.keys("n")
    term.wait_for(lambda s: "step done" in status_line(s) and f"g{other} frame" in status_line(s))


def test_init_script_with_exit_quits_by_itself(
    start: Callable[..., Terminal], tmp_path: Path
) -> None:
    script = tmp_path / "init.txt"
    script.write_text("break compute\ncontinue\nprint a\nexit\n")
    term = start(godbg_args=("--init", str(script)))
    wait_until(term.dead, timeout=START_TIMEOUT, message="the init script's exit ends godbg-tui")
    status = term.tmux("display-message", "-p", "-t", term.name, "#{pane_dead_status}").strip()
    assert status in ("0", ""), status  # tmux 3.3 leaves the status empty for 0


def test_hangup_leaves_nothing_behind(start: Callable[..., Terminal]) -> None:
    term = start(program_args=("-spin",))
    term.wait_for(STOPPED_AT_ENTRY, timeout=START_TIMEOUT)
    term.keys("c")
    term.wait_for(lambda s: "running" in status_line(s))
    app = term.pane_pid
    procs = descendants(app) | {app}
    assert any(comm(p) == "dlv" for p in procs)
    term.kill_server()
    wait_until(lambda: not any(alive(p) for p in procs), timeout=15, message="SIGHUP: godbg-tui, dlv and prog exit")


def test_sigterm_closes_the_session_and_restores_the_terminal(start: Callable[..., Terminal]) -> None:
    term = start(program_args=("-spin",))
    term.wait_for(STOPPED_AT_ENTRY, timeout=START_TIMEOUT)
    app = term.pane_pid
    procs = descendants(app)
    assert any(comm(p) == "dlv" for p in procs)
    os.kill(app, 15)
    wait_until(term.dead, timeout=STEP_TIMEOUT, message="godbg-tui exits on SIGTERM")
    assert term.exit_status(app) == 143
    wait_until(lambda: not any(alive(p) for p in procs), timeout=10, message="dlv and prog are gone")
    assert "1 Source" not in term.screen(), "the app left the alternate screen: the terminal is restored"
