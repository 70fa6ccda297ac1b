"""stop.sleep, the wait between rounds: a stop signal ends it at once, also one that came just before it began."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator

import pytest
from ecr_token_refresh import stop


@pytest.fixture
def stop_handlers() -> Iterator[None]:
    """The daemon's handlers, in this test process only for the test; the mask and handlers are restored after."""
    handlers = {signum: signal.getsignal(signum) for signum in stop.STOP_SIGNALS}
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    stop.install()
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        for signum, handler in handlers.items():
            signal.signal(signum, handler)


@pytest.mark.parametrize("signum", stop.STOP_SIGNALS)
def test_a_stop_signal_that_came_just_before_the_wait_ends_it_at_once(
    stop_handlers: None, signum: signal.Signals
) -> None:
    # Held pending, as one caught between the round's end and the wait's system call is for a plain sleep.
    signal.pthread_sigmask(signal.SIG_BLOCK, [signum])
    signal.pthread_kill(threading.main_thread().ident or 0, signum)
    assert signum in signal.sigpending()
    started = time.monotonic()
    with pytest.raises(stop.Stopped, match=signum.name):
        stop.sleep(3)
    assert time.monotonic() - started < 1
    # As the handler does: a second signal cannot interrupt the shutdown.
    assert all(signal.getsignal(other) == signal.SIG_IGN for other in stop.STOP_SIGNALS)


def test_a_stop_signal_during_the_wait_ends_it(stop_handlers: None) -> None:
    main = threading.main_thread().ident or 0
    timer = threading.Timer(0.2, signal.pthread_kill, (main, signal.SIGTERM))
    timer.start()
    started = time.monotonic()
    with pytest.raises(stop.Stopped, match="SIGTERM"):
        stop.sleep(3)
    assert 0.15 < time.monotonic() - started < 1
    timer.join()


def test_without_a_signal_it_waits_the_time_and_leaves_the_mask_as_it_was(stop_handlers: None) -> None:
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    started = time.monotonic()
    stop.sleep(0.2)
    assert 0.2 <= time.monotonic() - started < 0.5
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
    started = time.monotonic()
    stop.sleep(0)
    stop.sleep(-1)  # a due time already past: no wait, no error
    assert time.monotonic() - started < 0.1
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before
