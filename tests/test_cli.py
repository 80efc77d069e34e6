"""The command line as a newcomer meets it: what the README shows works as shown, and every
mistake is one line that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run


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
