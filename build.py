#!/usr/bin/env python3
"""Papershelf's command line: `python build.py [ingest|build] …`. See `--help`."""

import os
import sys

from papershelf.cli import main

if __name__ == "__main__":
    status = main()
    # Leave without tearing the interpreter down: after a large build that would free
    # millions of objects one by one (2–3 s at 100,000 papers) for memory the system takes
    # back at once. Every file is closed by now; only the console streams need flushing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
