"""The stop signals: SIGTERM (kubelet), SIGINT (Ctrl-C) and SIGHUP all stop the daemon cleanly, exit status 0.

SIGHUP stops rather than reloads: the config is read once, and a stopped sidecar container is restarted by the
kubelet, which reads the config again. `__main__` blocks these signals as its first instruction (its own copy of
the list: importing this module first would leave a window); `install` puts the handlers in place and unblocks
them, so a signal that arrived in between is delivered then, never lost and never fatal. The waits between rounds
use `sleep` below, which cannot miss a signal that comes just before the wait begins.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Stopped(BaseException):
    """Raised in the main thread by a stop signal, wherever it is: a config read, a wait for AWS, a sleep."""


def install() -> None:
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stopped)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def sleep(seconds: float) -> None:
    """Wait this long, or raise Stopped at once on a stop signal, including one that came just before the wait.

    A plain time.sleep has a window: a signal caught after the interpreter's last check and before the sleep's system
    call leaves the main thread asleep for the whole wait (between rounds, half an hour). Here the signals are blocked
    and then waited for: one caught before the block raises from pthread_sigmask itself (it runs pending handlers), one
    that comes later stays pending and sigtimedwait returns it.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        received = signal.sigtimedwait(STOP_SIGNALS, max(0.0, seconds))
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    if received is not None:
        _raise_stopped(received.si_signo, None)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    # Later signals are ignored so that they cannot interrupt the shutdown itself.
    for other in STOP_SIGNALS:
        signal.signal(other, signal.SIG_IGN)
    raise Stopped(signal.Signals(signum).name)


def start_deaf(thread: threading.Thread) -> None:
    """Start a thread that the stop signals never reach, so the kernel always hands them to the main thread.

    A signal delivered to another thread would leave the main thread asleep until its wait ends by itself.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
