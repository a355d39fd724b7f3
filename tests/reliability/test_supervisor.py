"""The supervisor (tui/supervisor.py) on a real pseudo-terminal, with a stand-in app.

The stand-in puts the terminal in raw mode on the alternate screen with mouse reporting,
as Textual does, then does what each test tells it (get killed, count signals, stop).
The full app under the supervisor, with dlv, is in test_app_faults.py.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import textwrap
import threading
from pathlib import Path

import pytest
from faultkit import alive, children, proc_state
from support import wait_until

from godbg_tui.tui.supervisor import RESTORE_SEQUENCES

pytestmark = pytest.mark.timeout(60)

STAND_IN = textwrap.dedent(
    """\
    import atexit, os, signal, sys, termios, threading, time, tty
    from godbg_tui.tui.supervisor import run_supervised

    def app():
        tty.setraw(0)
        if sys.argv[1] == "isig":  # ctrl+c raises SIGINT, as before Textual takes the terminal
            modes = termios.tcgetattr(0)
            modes[3] |= termios.ISIG
            termios.tcsetattr(0, termios.TCSANOW, modes)
        os.write(1, b"\\x1b[?1049h\\x1b[?25l\\x1b[?1000h\\x1b[?2004h")
        seen = []
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1):
            signal.signal(sig, lambda n, f: seen.append(n))
        os.write(1, f"APP {os.getpid()} READY\\n".encode())
        action = sys.argv[1]
        if action == "return":
            return leave_work()
        if action == "stuck":  # a thread that never ends must not keep the process forever
            atexit.register(lambda: os.write(1, b"ATEXIT\\n"))
            threading.Thread(target=threading.Event().wait).start()
            return 4
        if action == "stop":
            os.kill(os.getpid(), signal.SIGSTOP)
            return 7
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not seen:
            time.sleep(0.01)
        time.sleep(0.3)  # a second copy of the signal would arrive meanwhile
        try:
            os.write(1, f"SEEN {seen}\\n".encode())
        except OSError:  # the terminal has hung up
            pass
        return 128 + seen[0] if seen else 1

    class Teardown:
        def __del__(self):
            os.write(1, b"TEARDOWN\\n")

    def leave_work():
        # What a normal exit finishes: a thread still writing, an atexit handler, buffered output.
        global kept
        kept = Teardown()  # its __del__ runs in the interpreter's teardown only
        atexit.register(lambda: os.write(1, b"ATEXIT\\n"))
        threading.Thread(target=lambda: (time.sleep(0.3), os.write(1, b"THREAD\\n"))).start()
        print("BUFFERED", end="")
        return 3

    sys.exit(run_supervised(app))
    """
)


def _take_terminal() -> None:
    """In the child, after setsid: the pty becomes its controlling terminal (ctrl+c, hang-up)."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Run:
    """The stand-in under the supervisor, on a pty; the test holds the master side."""

    def __init__(self, tmp_path: Path, action: str):
        self.master, slave = os.openpty()
        self.slave = slave
        self.before = termios.tcgetattr(slave)
        script = tmp_path / "stand_in.py"
        script.write_text(STAND_IN)
        self.proc = subprocess.Popen(
            [sys.executable, str(script), action], stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
            preexec_fn=_take_terminal,
        )
        self.output = b""
        self._stop_reading = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_until(lambda: b"READY" in self.output, timeout=20, message="the stand-in app to start")
        self.app = int(self.output.split(b"APP ")[1].split()[0])

    def _read(self) -> None:
        while not self._stop_reading.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            self.output += chunk

    def wait(self) -> int:
        return self.proc.wait(timeout=20)

    def modes(self) -> list:
        return termios.tcgetattr(self.slave)

    def hang_up(self) -> None:
        """Close the terminal's master side, as a dropped SSH connection does."""
        self._stop_reading.set()
        self._reader.join()  # a read in progress would keep the master open
        os.close(self.master)
        self.master = -1

    def close(self) -> None:
        for pid in (self.app, self.proc.pid):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        os.close(self.slave)
        if self.master >= 0:
            os.close(self.master)


@pytest.fixture
def run(tmp_path):
    started: list[Run] = []

    def start(action: str) -> Run:
        started.append(Run(tmp_path, action))
        return started[-1]

    yield start
    for r in started:
        r.close()


def test_a_killed_app_gets_its_terminal_restored(run):
    r = run("wait")
    assert r.app in children(r.proc.pid), "the app is the supervisor's forked child"
    assert r.modes() != r.before, "the stand-in really changed the modes"
    os.kill(r.app, signal.SIGKILL)
    assert r.wait() == 128 + signal.SIGKILL
    assert r.modes() == r.before
    wait_until(lambda: r.output.endswith(RESTORE_SEQUENCES.encode()), timeout=5, message="the restore sequences")


def test_an_app_that_exits_itself_gets_no_escape_sequences(run):
    r = run("wait")
    os.kill(r.app, signal.SIGUSR1)
    assert r.wait() == 128 + signal.SIGUSR1
    assert b"SEEN [10]" in r.output
    assert RESTORE_SEQUENCES.encode() not in r.output, "the app restored its own screen; nothing is written over it"
    assert r.modes() == r.before, "the modes the supervisor saved are put back all the same"


def test_an_app_that_returns_leaves_without_the_interpreters_teardown(run):
    r = run("return")
    assert r.wait() == 3
    wait_until(lambda: b"BUFFERED" in r.output, timeout=5, message="the app's buffered output")
    assert b"THREAD" in r.output, "a thread still running was waited for"
    assert b"ATEXIT" in r.output, "atexit handlers ran"
    assert r.output.index(b"THREAD") < r.output.index(b"ATEXIT"), "threads are waited for before atexit, as by Python"
    assert b"TEARDOWN" not in r.output, "module teardown (0.1 s after a Textual app) is skipped"
    assert r.modes() == r.before


def test_a_thread_that_never_ends_delays_the_exit_only_by_the_grace(run):
    r = run("stuck")
    assert r.wait() == 4
    assert b"ATEXIT" in r.output, "atexit handlers (the launcher's safety net) still ran"
    assert b"exiting without waiting for thread(s) Thread-" in r.output, "says which thread it left"


def test_a_signal_sent_to_the_supervisor_alone_is_forwarded_once(run):
    r = run("wait")
    os.kill(r.proc.pid, signal.SIGTERM)
    assert r.wait() == 128 + signal.SIGTERM
    assert b"SEEN [15]\n" in r.output


def test_a_terminal_signal_is_not_forwarded_a_second_time(run):
    r = run("isig")
    # ctrl+c: the kernel sends SIGINT to the whole foreground group, the app gets it
    # directly and the supervisor must not add a copy.
    os.write(r.master, b"\x03")
    assert r.wait() == 128 + signal.SIGINT
    assert b"SEEN [2]\n" in r.output, r.output


def test_when_the_app_stops_the_supervisor_stops_too(run):
    r = run("stop")
    wait_until(lambda: proc_state(r.proc.pid) == "T", timeout=10, message="the supervisor to stop with the app (job control)")
    os.killpg(os.getpgid(r.proc.pid), signal.SIGCONT)  # what the shell's fg does
    assert r.wait() == 7
    assert r.modes() == r.before


def test_a_hang_up_reaches_the_app_when_the_supervisor_leads_the_session(run):
    """With no shell in between (``ssh host godbg-tui …``) the supervisor is the session leader,
    the only one the kernel sends the hang-up to: the app must get it too."""
    r = run("wait")
    os.close(r.slave)  # only the supervisor and the app keep the terminal open
    r.slave = os.open("/dev/null", os.O_RDONLY)
    r.hang_up()
    assert r.wait() == 128 + signal.SIGHUP
    assert not alive(r.app)
