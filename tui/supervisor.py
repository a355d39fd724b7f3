"""A parent process that gives the terminal back even when the app is SIGKILLed.

Nothing runs in a process after SIGKILL (or the OOM killer, or a crash in C), so a
killed app leaves the terminal raw, on the alternate screen, with mouse reporting on.
Only its parent can repair that. ``run_supervised(run)`` forks: the child returns
``run()`` (the app, handling its own signals as before); the parent saves the
terminal modes first, then only waits, and when the child dies by a signal it puts
the modes back and writes the sequences that leave the alternate screen, show the
cursor and turn off mouse reporting, bracketed paste and focus events. It then
exits with the child's status (128 + N for a signal, as a shell reports it).

The child leaves as soon as ``run()`` returns: its other threads joined, atexit handlers
run, output flushed, then ``os._exit``. The interpreter's teardown (freeing every module
and widget, ~0.1 s after a Textual app) would only delay the shell's prompt: nothing in
it has an effect outside the process. The parent, which imported Textual before it forked,
leaves the same way once the terminal is restored (its teardown took ~90 ms).

The parent holds nothing but the terminal: no socket, pipe or pid of dlv (dlv is
the child's child, and dies with it through PR_SET_PDEATHSIG). Signals:

* sent by the terminal (ctrl+c, ctrl+\\ outside raw mode, a resize): the kernel sends
  them to the whole foreground process group, so the child has them already; the
  parent must only outlive the child, never forward a second copy;
* a hang-up (the SSH session died) goes to the session leader only, which is us: it is
  forwarded (and the child gets SIGHUP anyway if we die: PR_SET_PDEATHSIG);
* sent with kill(2) to the parent alone (``kill -TERM <pid>``): forwarded;
* the child stopped (ctrl+z, SIGTSTP): the parent stops too, so the shell sees the job
  stopped and ``fg`` continues both.

Told apart by ``si_code`` from ``sigwaitinfo``: the parent blocks these signals and
takes them one at a time in a plain loop, no handlers.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import sys
import termios
import threading
from collections.abc import Callable
from typing import NoReturn

SUPERVISED_ENV = "GODBG_SUPERVISED"
LEAVE_GRACE_S = 5.0  # how long the exit waits for the app's non-daemon threads
_PR_SET_PDEATHSIG = 1

# What Textual's Linux driver turns on, turned off, then the main screen and the cursor back.
RESTORE_SEQUENCES = (
    "\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l"  # mouse reporting
    "\x1b[?2004l"  # bracketed paste
    "\x1b[?2048l"  # in-band resize notifications
    "\x1b[?1004l"  # focus in/out events
    "\x1b[<u"  # kitty keyboard protocol: pop our flags
    "\x1b[?7h"  # line wrap back on
    "\x1b[?1049l"  # leave the alternate screen
    "\x1b[?25h"  # show the cursor
)

WATCHED = {
    signal.SIGCHLD,
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGWINCH,
    signal.SIGCONT,
}


def _terminal_fd() -> int | None:
    """The terminal the app draws on (stdout, else stdin), or None when there is none."""
    for stream in (sys.__stdout__, sys.__stdin__):
        try:
            fd = stream.fileno() if stream is not None else -1
        except (OSError, ValueError):
            continue
        if fd >= 0 and os.isatty(fd):
            return fd
    return None


def _hang_up_with(parent: int) -> None:
    """The app gets SIGHUP when the supervisor dies (even by SIGKILL): it then quits as on a
    lost terminal, killing what it launched and detaching from what it attached to."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGHUP, 0, 0, 0)
    if os.getppid() != parent:
        os.kill(os.getpid(), signal.SIGHUP)


def run_supervised(run: Callable[[], int]) -> int:
    """Run ``run()`` in a child under a parent that restores the terminal if the child is killed.

    The parent exits with the child's status and the child with ``run()``'s result; neither
    returns (an exception from ``run()`` ends the child the ordinary way). Without a
    terminal, or already supervised (``GODBG_SUPERVISED`` set), ``run()`` runs in this
    process and its result is returned.
    """
    fd = _terminal_fd()
    if fd is None or os.environ.get(SUPERVISED_ENV):
        return run()
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        return run()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, WATCHED)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.environ[SUPERVISED_ENV] = "1"
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        _hang_up_with(parent)
        _leave(run())
    # The watched signals stay blocked here: the parent only exits after this, and one
    # delivered now (a late hang-up) would end it before it has restored anything.
    status = _wait_for(pid)
    if os.WIFSIGNALED(status):
        _restore(fd, saved, sequences=True)
        _finish(128 + os.WTERMSIG(status))
    _restore(fd, saved, sequences=False)
    _finish(os.waitstatus_to_exitcode(status))


def _leave(code: int) -> NoReturn:
    """Exit the child now, doing only what of a normal exit matters outside the process: the
    first two steps of the interpreter's own (Py_FinalizeEx): wait for the non-daemon threads
    (a file being saved), run the atexit handlers (the launcher's safety net), then flush."""
    waited = threading.Event()

    def give_up() -> None:
        """A thread that never ends (stuck in a blocking call) must not keep the process, its
        terminal and its supervisor alive: after LEAVE_GRACE_S the exit goes on without it."""
        if not waited.wait(LEAVE_GRACE_S):
            stuck = [t.name for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()]
            with contextlib.suppress(OSError):
                os.write(2, f"godbg-tui: exiting without waiting for thread(s) {', '.join(stuck)}\n".encode())
            _finish(code)

    threading.Thread(target=give_up, name="godbg-leave", daemon=True).start()
    threading._shutdown()  # type: ignore[attr-defined]
    waited.set()
    _finish(code)


def _finish(code: int) -> NoReturn:
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


def _wait_for(child: int) -> int:
    """Until the child is gone: take signals one by one, forward what only we were sent."""
    while True:
        info = signal.sigwaitinfo(WATCHED)
        if info.si_signo == signal.SIGCHLD:
            done = _reap(child)
            if done is not None:
                return done
            continue
        if info.si_signo == signal.SIGCONT:
            continue
        # si_code <= 0: kill(2), sigqueue(3), tgkill(2) from a process; > 0: the kernel (the tty).
        # A hang-up is the exception: the kernel sends it to the session leader (us) only.
        hangup = info.si_signo == signal.SIGHUP and info.si_code > 0
        if hangup or (info.si_code <= 0 and info.si_pid != child):
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, info.si_signo)


def _reap(child: int) -> int | None:
    """The child's wait status once it has ended; None while it lives (stopping with it if it stopped)."""
    while True:
        try:
            pid, status = os.waitpid(child, os.WNOHANG | os.WUNTRACED)
        except ChildProcessError:
            return 0
        if pid == 0:
            return None
        if os.WIFSTOPPED(status):
            # ctrl+z in the app: stop as well, so the shell takes the terminal back; the
            # shell's SIGCONT (fg) then reaches both of us.
            os.kill(os.getpid(), signal.SIGSTOP)
            continue
        return status


def _restore(fd: int, saved: list, *, sequences: bool) -> None:
    """Put the saved terminal modes back (and, after a kill, leave the app's screen modes)."""
    old = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # tcsetattr from the background would stop us
    try:
        if sequences:
            with contextlib.suppress(OSError):
                os.write(fd, RESTORE_SEQUENCES.encode())
        with contextlib.suppress(termios.error, OSError):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    finally:
        signal.signal(signal.SIGTTOU, old)
