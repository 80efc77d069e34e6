#!/usr/bin/env python3
"""Papershelf's command line: `python build.py [ingest|build] …`. See `--help`."""

import sys

from papershelf.cli import main

if __name__ == "__main__":
    sys.exit(main())
