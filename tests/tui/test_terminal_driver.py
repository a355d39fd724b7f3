"""PromptLinuxDriver (tui/terminal_driver.py) on a real pseudo-terminal.

A small Textual app runs on the driver in a subprocess whose terminal is a pty the test
holds. The input thread's poll is made 60 s long there, so an exit that still waited for
the poll to end (Textual's own driver sleeps it out) would take a minute, not a moment.
"""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import termios
import textwrap
import threading
import time

import pytest
from support import wait_until

from godbg_tui.tui.app import GodbgApp
from godbg_tui.tui.terminal_driver import PromptLinuxDriver

pytestmark = pytest.mark.timeout(60)

APP = textwrap.dedent(
    """\
    import sys
    from textual.app import App
    from textual.widgets import Static
    from godbg_tui.tui import terminal_driver

    terminal_driver.POLL_S = 60

    class Keys(App):
        BINDINGS = [("x", "exit_now")]

        def get_driver_class(self):
            return terminal_driver.PromptLinuxDriver

        def compose(self):
            yield Static("READY-FOR-KEYS")

        def action_exit_now(self):
            self.exit(5)

    sys.exit(Keys().run())
    """
)


def _take_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def test_the_app_picks_the_prompt_driver(monkeypatch):
    assert GodbgApp().driver_class is PromptLinuxDriver
    monkeypatch.setattr("textual.constants.DRIVER", "textual.drivers.linux_driver:LinuxDriver")
    assert GodbgApp().driver_class is not PromptLinuxDriver, "TEXTUAL_DRIVER still chooses"


def test_a_key_is_read_and_the_exit_does_not_wait_for_the_poll(tmp_path):
    master, slave = os.openpty()
    script = tmp_path / "keys_app.py"
    script.write_text(APP)
    env = {**os.environ, "TERM": "xterm-256color"}
    proc = subprocess.Popen([sys.executable, str(script)], stdin=slave, stdout=slave, stderr=slave,
                            start_new_session=True, preexec_fn=_take_terminal, env=env)
    output = bytearray()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            if select.select([master], [], [], 0.05)[0]:
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                output.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_until(lambda: b"READY-FOR-KEYS" in output, timeout=30, message="the app's first frame")
        os.write(master, b"x")
        pressed = time.monotonic()
        assert proc.wait(timeout=30) == 5, "the key reached the app through the driver's input thread"
        assert time.monotonic() - pressed < 20, "the exit woke the input thread instead of outwaiting its 60 s poll"
    finally:
        stop.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        reader.join()
        os.close(master)
        os.close(slave)
