"""Shared fixtures: the real sample dumps and throwaway catalogs built from them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DUMPS = sorted((ROOT / "dumps").glob("*.txt"))


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A copy of the project's catalog set-up (config, templates, static, sample dumps)
    with an empty content store, in a temporary folder."""
    shutil.copy(ROOT / "config.yaml", tmp_path / "config.yaml")
    for folder in ("templates", "static", "content/pages"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, tmp_path / folder)
    (tmp_path / "dumps").mkdir()
    for dump in SAMPLE_DUMPS:
        shutil.copy(dump, tmp_path / "dumps" / dump.name)
    return tmp_path
