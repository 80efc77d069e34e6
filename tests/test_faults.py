"""Faults and concurrent runs: a build killed at any step of its commit, two runs at once,
an interrupted write; after each, the site is a complete version and the content store
and cache are as a clean run leaves them."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, catalog_copy, run, snapshot

# Runs the command line with a kill -9 (os._exit: no handler, no cleanup) at the Nth step
# of `papershelf.output`'s commit, or at the Nth replace of an atomic write.
KILLED_AT = """
import os, sys
from papershelf import output, yamlio
where, count = sys.argv[1], int(sys.argv[2])
calls = 0
def killing(real):
    def call(*args):
        global calls
        calls += 1
        if calls == count:
            os._exit(137)
        return real(*args)
    return call
if where == "commit":
    output.step = killing(output.step)
if os.environ.get("NO_EXCHANGE"):  # as on a system that cannot swap two folders at once
    output.exchange = lambda first, second: False
else:
    yamlio.os = type("os", (), {"replace": staticmethod(killing(os.replace)), "getpid": os.getpid})
from papershelf.cli import main
sys.exit(main(sys.argv[3:]))
"""


def run_killed(catalog: Path, where: str, count: int, *args: str, exchange: bool = True) -> int:
    command = [sys.executable, "-c", KILLED_AT, where, str(count), "--config", str(catalog / "config.yaml"), *args]
    env = os.environ | ({} if exchange else {"NO_EXCHANGE": "1"})
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env).returncode


@pytest.fixture(scope="module")
def one_dump_catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small catalog (the first sample dump), ingested and built."""
    folder = catalog_copy(tmp_path_factory.mktemp("small"))
    for dump in sorted((folder / "dumps").glob("*.txt"))[1:]:
        dump.unlink()
    assert run(folder) == 0
    return folder


def fresh(one_dump_catalog: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "catalog"
    shutil.copytree(one_dump_catalog, folder, symlinks=True)
    return folder


def edit(catalog: Path) -> None:
    """An edit whose build changes, adds and removes pages."""
    pages = catalog / "content" / "pages"
    (pages / "about.md").write_text("# About\n\nEdited.\n")
    (pages / "added.md").write_text("# Added\n\nA new page.\n")


def clean_site(catalog: Path, tmp_path: Path, name: str) -> dict[str, bytes]:
    other = tmp_path / name
    shutil.copytree(catalog, other, ignore=shutil.ignore_patterns("site", ".site-*", ".cache"))
    assert run(other, "--clean", "build") == 0
    return snapshot(other / "site")


def leftovers(catalog: Path) -> list[str]:
    return sorted(p.name for p in catalog.iterdir() if p.name.startswith(".site-"))


@pytest.mark.parametrize(("clean", "exchange"), [(False, True), (True, True), (True, False)], ids=["incremental", "clean", "clean-by-two-renames"])
def test_a_build_killed_at_any_step_of_its_commit_leaves_the_old_or_the_new_site(
    one_dump_catalog: Path, tmp_path: Path, clean: bool, exchange: bool
) -> None:
    base = fresh(one_dump_catalog, tmp_path / "base")
    old = snapshot(base / "site")
    edit(base)
    new = clean_site(base, tmp_path, "new")
    assert old != new
    args = ["--clean", "build"] if clean else ["build"]
    outcomes = []
    for count in range(1, 100):
        catalog = fresh(one_dump_catalog, tmp_path / f"kill-{count}")
        edit(catalog)
        status = run_killed(catalog, "commit", count, *args, exchange=exchange)
        if status == 0:  # no step left to kill at
            break
        assert status == 137
        if clean and exchange:  # by construction: never anything but one complete site
            assert snapshot(catalog / "site") in (old, new), count
        # The next run repairs first: `check` only reads the site, holding the lock.
        assert run(catalog, "check") == 0
        after = snapshot(catalog / "site")
        assert after in (old, new), count
        outcomes.append("new" if after == new else "old")
        assert run(catalog, "build") == 0
        assert snapshot(catalog / "site") == new, count
        assert leftovers(catalog) == []
        shutil.rmtree(catalog)
    assert count > 2 and outcomes[0] == "old" and outcomes[-1] == "new"


def test_folders_are_exchanged_in_one_step(tmp_path: Path) -> None:
    from papershelf.output import exchange

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x").write_text("a")
    (tmp_path / "b" / "x").write_text("b")
    assert exchange(tmp_path / "a", tmp_path / "b")  # this machine's file system can (CI's too)
    assert (tmp_path / "a" / "x").read_text() == "b" and (tmp_path / "b" / "x").read_text() == "a"


def test_the_next_run_removes_a_killed_writes_temporary_files(one_dump_catalog: Path, tmp_path: Path) -> None:
    catalog = fresh(one_dump_catalog, tmp_path)
    store = catalog / "content" / "papers"
    first = sorted(store.glob("*.yaml"))[0]
    first.write_text(first.read_text().replace("tags:\n", "tags:\n- Hand Tag\n", 1))
    assert run_killed(catalog, "replace", 2, "ingest", str(catalog / "dumps" / sorted(os.listdir(catalog / "dumps"))[0])) == 137
    temporary = [p for folder in (catalog / "content", store, catalog / ".cache") for p in folder.glob("*.tmp")] + list(store.glob(".*.tmp"))
    assert temporary, "the kill left no temporary file: the test kills too late"
    for path in temporary:
        relative = path.relative_to(catalog)
        ignored = subprocess.run(["git", "check-ignore", "-q", str(relative)], cwd=ROOT)
        assert ignored.returncode == 0, f"{relative} would be committed by `git add content`"
    assert run(catalog) == 0
    assert not [p for p in catalog.rglob("*.tmp")]


def test_a_second_run_while_one_holds_the_catalog_refuses_with_one_line(one_dump_catalog: Path, tmp_path: Path) -> None:
    from papershelf.config import load_config
    from papershelf.runlock import exclusive_run

    catalog = fresh(one_dump_catalog, tmp_path)
    settings = load_config(catalog / "config.yaml")
    command = [sys.executable, str(ROOT / "build.py"), "--config", str(catalog / "config.yaml"), "build"]
    with exclusive_run(settings):
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    lock = catalog / ".cache" / "run.lock"
    assert result.stderr == f"error: {lock}: another Papershelf run (process {os.getpid()}) is using this catalog: try again when it has finished\n"
    assert subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60).returncode == 0


def test_a_dead_runs_lock_is_taken_over(one_dump_catalog: Path, tmp_path: Path) -> None:
    catalog = fresh(one_dump_catalog, tmp_path)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from papershelf.config import load_config; from papershelf.runlock import exclusive_run\n"
         "with exclusive_run(load_config(__import__('pathlib').Path(sys.argv[1]))):\n    print('held', flush=True); time.sleep(120)",
         str(catalog / "config.yaml")],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    assert run(catalog, "build") == 2
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert run(catalog, "build") == 0


def test_two_builds_at_once_leave_the_site_a_clean_build_gives(one_dump_catalog: Path, tmp_path: Path) -> None:
    catalog = fresh(one_dump_catalog, tmp_path)
    edit(catalog)
    command = [sys.executable, str(ROOT / "build.py"), "--config", str(catalog / "config.yaml"), "build"]
    runs = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(process.wait(timeout=120), process.stderr.read()) for process in runs]
    assert all(status == 0 or (status == 2 and "another Papershelf run" in err) for status, err in results), results
    assert "Traceback" not in "".join(err for _, err in results)
    assert any(status == 0 for status, _ in results)
    assert run(catalog, "build") == 0
    assert "nothing new" in subprocess.run(command, cwd=ROOT, capture_output=True, text=True).stdout
    assert snapshot(catalog / "site") == clean_site(catalog, tmp_path, "clean")
