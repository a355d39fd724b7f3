"""Helpers shared by every test layer: waiting on state instead of time.

Tests synchronise with a debugger, a target process or a terminal by polling a
predicate until it holds or a deadline passes, never by sleeping a fixed
amount and hoping. Import from any test directory as ``from support import
wait_until`` (tests/ is on sys.path through tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 10.0
DEFAULT_INTERVAL_S = 0.02


class WaitTimeout(AssertionError):
    """The predicate did not become true in time (an assertion failure)."""


def _describe(predicate: Callable, message: str | None, timeout: float, last: object) -> str:
    what = message or getattr(predicate, "__qualname__", repr(predicate))
    return f"timed out after {timeout:g} s waiting for {what}; last value: {last!r}"


def wait_until(
    predicate: Callable[[], T],
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = DEFAULT_INTERVAL_S,
    *,
    message: str | None = None,
    ignore: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``predicate`` until it returns something truthy; return that value.

    Exceptions of the types in ``ignore`` count as "not yet" (e.g.
    ``FileNotFoundError`` while a file is being created); any other exception
    propagates at once. Raises WaitTimeout, naming ``message`` and the last
    value seen, when ``timeout`` seconds pass first. The predicate is always
    tried at least once, and once more at the deadline.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        expired = time.monotonic() >= deadline
        try:
            last = predicate()
        except ignore as exc:
            last = exc
        else:
            if last:
                return last
        if expired:
            raise WaitTimeout(_describe(predicate, message, timeout, last))
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


async def async_wait_until(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = DEFAULT_INTERVAL_S,
    *,
    message: str | None = None,
    ignore: tuple[type[BaseException], ...] = (),
) -> T:
    """The asynchronous twin of wait_until; ``predicate`` may be sync or async.

    Sleeps with ``asyncio.sleep`` between tries so the event loop (a Textual
    app under Pilot, a Delve client reader) keeps running while we wait.
    """
    deadline = time.monotonic() + timeout
    last: object = None
    while True:
        expired = time.monotonic() >= deadline
        try:
            last = predicate()
            if inspect.isawaitable(last):
                last = await last
        except ignore as exc:
            last = exc
        else:
            if last:
                return last
        if expired:
            raise WaitTimeout(_describe(predicate, message, timeout, last))
        await asyncio.sleep(min(interval, max(0.0, deadline - time.monotonic())))
