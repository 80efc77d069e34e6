"""The command line as a newcomer meets it: what the README shows works as shown, and every
mistake is one line that says what to do."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run


def test_options_work_before_or_after_the_command(catalog: Path) -> None:
    from papershelf.cli import REPORTS

    assert run(catalog, "ingest") == 0
    assert run(catalog, "build") == 0
    assert run(catalog, "build") == 0
    assert REPORTS["build"]["nothing_to_do"]
    assert run(catalog, "build", "--clean") == 0
    after = REPORTS["build"]
    assert run(catalog, "--clean", "build") == 0
    before = REPORTS["build"]
    assert after["rendered"] == before["rendered"] == before["files"] > 0


def test_build_py_runs_under_the_virtualenv_from_any_python(catalog: Path) -> None:
    """`python build.py` with a Python that lacks the packages (here: one started without
    its site-packages) runs itself again under .venv."""
    result = subprocess.run(
        [sys.executable, "-S", str(ROOT / "build.py"), "--config", str(catalog / "config.yaml"), "ingest"],
        capture_output=True, text=True, cwd=catalog, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ingest: 3 dumps read")


def test_build_py_without_a_virtualenv_says_how_to_set_up(tmp_path: Path) -> None:
    shutil.copy(ROOT / "build.py", tmp_path / "build.py")
    shutil.copytree(ROOT / "papershelf", tmp_path / "papershelf")
    result = subprocess.run([sys.executable, "-S", str(tmp_path / "build.py"), "build"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: this Python (") and "run `make setup` once" in result.stderr
