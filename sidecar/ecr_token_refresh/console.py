"""The daemon's entry points: `python -m ecr_token_refresh` (__main__) and the `ecr-token-refresh` command.

Importing this module blocks the stop signals as its first instruction, so one that arrives while main's modules are
still being imported waits for main's handlers (stop.install) instead of killing the process with 143. Its own copy
of the list: importing ecr_token_refresh.stop first would leave a window.
"""

import signal

signal.pthread_sigmask(signal.SIG_BLOCK, (signal.SIGTERM, signal.SIGINT, signal.SIGHUP))

import os  # noqa: E402
import sys  # noqa: E402
from typing import NoReturn  # noqa: E402

from ecr_token_refresh.main import main  # noqa: E402


def run() -> NoReturn:
    # os._exit: nothing is buffered (the log writes straight to stdout), and a call left running in a daemon thread
    # must not hold up or disturb the interpreter's shutdown.
    os._exit(main(sys.argv[1:]))
