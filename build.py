#!/usr/bin/env python3
"""Papershelf's command line: `python build.py [ingest|build] …`. See `--help`.

Run with any Python: when the one running it lacks Papershelf's packages, the script runs
itself again under the project's virtualenv (`.venv`, made by `make setup`)."""

import os
import sys
from pathlib import Path

VENV_PYTHON = Path(__file__).resolve().parent / ".venv" / "bin" / "python"
REEXEC_MARK = "PAPERSHELF_UNDER_VENV"  # set on the second run, so it is tried once

try:
    from papershelf.cli import main
except ImportError as missing:
    if VENV_PYTHON.exists() and os.environ.get(REEXEC_MARK) != "1":
        os.environ[REEXEC_MARK] = "1"
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    print(
        f"error: this Python ({sys.executable}) lacks Papershelf's packages ({missing}): "
        "run `make setup` once, then `.venv/bin/python build.py …`",
        file=sys.stderr,
    )
    sys.exit(2)

if __name__ == "__main__":
    status = main()
    # Leave without tearing the interpreter down: after a large build that would free
    # millions of objects one by one (2–3 s at 100,000 papers) for memory the system takes
    # back at once. Every file is closed by now; only the console streams need flushing.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
