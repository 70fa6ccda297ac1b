"""The stop signals: SIGTERM (kubelet), SIGINT (Ctrl-C) and SIGHUP all stop the daemon cleanly, exit status 0.

SIGHUP stops rather than reloads: the config is read once, and a stopped sidecar container is restarted by the
kubelet, which reads the config again. `__main__` blocks these signals as its first instruction (its own copy of
the list: importing this module first would leave a window); `install` puts the handlers in place and unblocks
them, so a signal that arrived in between is delivered then, never lost and never fatal.
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
