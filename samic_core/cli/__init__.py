"""The `samic` command line: thin subcommands that call library functions."""

import time

STARTED = time.perf_counter()  # when the command started (its imports included), for timings
