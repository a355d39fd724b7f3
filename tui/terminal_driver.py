"""Textual's Linux driver, with an input thread that stops at once.

Textual 8.2.8's input thread polls the terminal with ``select(0.1)`` until told to stop,
then calls ``select(0.1)`` once more on a selector with nothing left in it: a plain 0.1 s
sleep. Stopping the app (quit, ``exit`` in an --init script, suspend) joins that thread
on the event loop's thread, so every exit waited 0.1-0.2 s for it. Here the thread also
watches a pipe written to when its stop flag is set, and its last pass does not sleep. What it
reads and how it parses are Textual's.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import threading
from codecs import getincrementaldecoder
from typing import Any

from textual._parser import ParseError
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

POLL_S = 0.1  # Textual's: how often the parser's tick() runs (a lone escape key times out)


class _WakingEvent(threading.Event):
    """The input thread's stop flag: setting it also makes the thread's select return."""

    def __init__(self, wake_fd: int) -> None:
        super().__init__()
        self.wake_fd = wake_fd

    def set(self) -> None:
        super().set()  # first: the woken thread must find it set
        with contextlib.suppress(OSError):  # full or closed: a wake-up is pending, or nobody listens
            os.write(self.wake_fd, b"\0")


class PromptLinuxDriver(LinuxDriver):
    """LinuxDriver whose ``disable_input`` wakes the input thread instead of outwaiting it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self.exit_event: _WakingEvent = _WakingEvent(self._wake_w)

    def close(self) -> None:
        super().close()
        self.exit_event.wake_fd = -1  # the number may be reused once closed
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._wake_r = self._wake_w = -1

    def run_input_thread(self) -> None:
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        selector.register(self._wake_r, selectors.EVENT_READ)
        parser = XTermParser(self._debug)
        decode = getincrementaldecoder("utf-8")().decode

        def process(ready: list[tuple[selectors.SelectorKey, int]]) -> None:
            for key, mask in ready:
                if key.fd == self._wake_r:
                    os.read(self._wake_r, 64)  # a stale wake-up (input disabled twice) is harmless
                    continue
                if mask & selectors.EVENT_READ:
                    text = decode(os.read(self.fileno, 1024 * 4))
                    if not text:
                        break
                    for event in parser.feed(text):
                        self.process_message(event)
            for event in parser.tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process(selector.select(POLL_S))
            process([])  # Textual's last pass, minus its sleep: the terminal is not read again
        finally:
            selector.close()
            with contextlib.suppress(EOFError, ParseError):
                for _event in parser.feed(""):
                    pass
