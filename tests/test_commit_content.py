"""The workflow's commit of ingested content (`.github/scripts/commit-content`), run against
real git repositories: a push that lands meanwhile is rebased onto, never overwritten."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, catalog_copy

SCRIPT = ROOT / ".github" / "scripts" / "commit-content"
LATER_DUMP = "004_2ce07ad5103318e3.txt"


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True, text=True).stdout.strip()


def ingest(folder: Path, epoch: str = "1763861932") -> None:
    subprocess.run([sys.executable, str(ROOT / "build.py"), "ingest"], cwd=folder, check=True, capture_output=True,
                   env=os.environ | {"SOURCE_DATE_EPOCH": epoch})


def commit_content(folder: Path) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {"INGEST": f"{sys.executable} {ROOT / 'build.py'} ingest"}
    return subprocess.run(["bash", str(SCRIPT), "main"], cwd=folder, capture_output=True, text=True, env=environment, timeout=300)


def clone(origin: Path, folder: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(origin), str(folder)], check=True)
    git(folder, "config", "user.name", "test")
    git(folder, "config", "user.email", "test@example.org")
    return folder


@pytest.fixture
def origin(tmp_path: Path) -> Path:
    """A repository whose main has the catalog ingested, then a new dump pushed: what a run
    of the workflow checks out."""
    bare = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    seed = tmp_path / "seed"
    seed.mkdir()
    catalog_copy(seed)
    (seed / ".gitignore").write_text("/site/\n/.cache/\n*.tmp\n/.site-*\n")
    later = seed / "dumps" / LATER_DUMP
    held = later.read_bytes()
    later.unlink()
    git(seed, "init", "-q", "-b", "main")
    git(seed, "config", "user.name", "test")
    git(seed, "config", "user.email", "test@example.org")
    ingest(seed)
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "catalog")
    later.write_bytes(held)
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "a new dump")
    git(seed, "push", "-q", str(bare), "main")
    return bare


def test_nothing_ingested_is_nothing_pushed(origin: Path, tmp_path: Path) -> None:
    run = clone(origin, tmp_path / "run")
    git(run, "rm", "-q", f"dumps/{LATER_DUMP}")
    git(run, "commit", "-q", "-m", "no new dump")
    result = commit_content(run)
    assert result.returncode == 0 and result.stdout == "content: nothing new to commit\n"


def test_a_push_meanwhile_is_rebased_onto(origin: Path, tmp_path: Path) -> None:
    run = clone(origin, tmp_path / "run")
    ingest(run)
    other = clone(origin, tmp_path / "other")  # someone edits the About page meanwhile
    (other / "content" / "pages" / "about.md").write_text("# About\n\nEdited meanwhile.\n")
    git(other, "commit", "-q", "-am", "edit About")
    git(other, "push", "-q")
    result = commit_content(run)
    assert result.returncode == 0, result.stderr
    assert "push 1 refused" in result.stdout and result.stdout.endswith("content: pushed to main\n")
    assert git(origin, "log", "--format=%s", "main").splitlines()[:3] == ["Ingest new dumps", "edit About", "a new dump"]
    assert LATER_DUMP in git(origin, "show", "main:content/dumps.yaml")
    assert "Edited meanwhile." in git(origin, "show", "main:content/pages/about.md")


def test_content_changed_meanwhile_is_ingested_again_not_overwritten(origin: Path, tmp_path: Path) -> None:
    run = clone(origin, tmp_path / "run")
    ingest(run)
    # Another run ingested the same dump first (at another time) and edited a paper: the
    # same lines of the ledger differ, so this run's commit cannot be rebased.
    other = clone(origin, tmp_path / "other")
    ingest(other, epoch="1763900000")
    git(other, "add", "content")
    git(other, "commit", "-q", "-m", "the other run's ingest")
    git(other, "push", "-q")
    result = commit_content(run)
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("content: main already has it\n")
    assert git(origin, "log", "-1", "--format=%s", "main") == "the other run's ingest"
    assert git(run, "rev-parse", "HEAD") == git(origin, "rev-parse", "main")


def test_a_protected_branch_fails_with_what_to_do(origin: Path, tmp_path: Path) -> None:
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'remote: error: GH006: Protected branch update failed for refs/heads/main.' >&2\nexit 1\n")
    hook.chmod(0o755)
    run = clone(origin, tmp_path / "run")
    ingest(run)
    result = commit_content(run)
    assert result.returncode == 1
    assert result.stderr.startswith("error: main is protected, so the ingested content cannot be pushed: let GitHub Actions bypass the rule")
