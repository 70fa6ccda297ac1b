"""`python -m ecr_token_refresh`. The first instruction holds the stop signals until main's handlers take them."""

import signal

signal.pthread_sigmask(signal.SIG_BLOCK, (signal.SIGTERM, signal.SIGINT, signal.SIGHUP))

import os  # noqa: E402
import sys  # noqa: E402

from ecr_token_refresh.main import main  # noqa: E402

# os._exit: nothing is buffered (the log writes straight to stdout), and a call left running in a daemon thread
# must not hold up or disturb the interpreter's shutdown.
os._exit(main(sys.argv[1:]))
