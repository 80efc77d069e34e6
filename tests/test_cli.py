"""The command line as a newcomer meets it: what the README shows works as shown, and every
mistake is one line that says what to do."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, run


def test_options_work_before_or_after_the_command(catalog: Path) -> None:
    report = catalog / "report.json"
    built = lambda: json.loads(report.read_text())["build"]  # noqa: E731
    assert run(catalog, "ingest", "--report", str(report)) == 0
    assert json.loads(report.read_text())["ingest"]["new"] == 355  # and 16 seen again in a later dump
    assert run(catalog, "build") == 0
    assert run(catalog, "--report", str(report), "build") == 0
    assert built()["nothing_to_do"]
    assert run(catalog, "build", "--clean", "--report", str(report)) == 0
    after = built()
    assert run(catalog, "--clean", "--report", str(report), "build") == 0
    before = built()
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


def _sources(catalog: Path) -> int:
    return sum(text.count("- dump: ") for text in (p.read_text() for p in (catalog / "content" / "papers").glob("*.yaml")))


def test_add_refuses_a_copy_of_a_dump_under_another_name(catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(catalog) == 0
    sources = _sources(catalog)
    copy = tmp_path / "009_copy.txt"
    shutil.copy(catalog / "dumps" / "004_2ce07ad5103318e3.txt", copy)
    capsys.readouterr()
    assert run(catalog, "add", str(copy)) == 2
    assert capsys.readouterr().err == f"error: {copy}: refused: the same bytes as the dump 004_2ce07ad5103318e3.txt, which would list its papers twice (remove one of them)\n"
    assert not (catalog / "dumps" / copy.name).exists() and _sources(catalog) == sources
    # Put there by hand (or by a commit), the copy is refused by ingest, and the rest goes in.
    shutil.copy(copy, catalog / "dumps" / copy.name)
    assert run(catalog, "ingest") == 1
    assert "refused: the same bytes as the dump 004_2ce07ad5103318e3.txt" in capsys.readouterr().err
    assert _sources(catalog) == sources


def test_add_replaces_a_dump_of_the_same_name_only_when_told(catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(catalog) == 0
    name = "004_2ce07ad5103318e3.txt"
    newer = tmp_path / name
    newer.write_bytes((catalog / "dumps" / "000_9d9e7264a0fe5dfa.txt").read_bytes() + b"\n")
    before = (catalog / "dumps" / name).read_bytes()
    capsys.readouterr()
    assert run(catalog, "add", str(newer)) == 2
    assert capsys.readouterr().err == (
        f"error: {newer}: refused: the catalog has another dump named {name}; rename this one "
        "(dumps are read in name order) or add it with --replace to replace that one\n"
    )
    assert (catalog / "dumps" / name).read_bytes() == before
    assert run(catalog, "add", "--replace", str(newer)) == 0
    assert (catalog / "dumps" / name).read_bytes() == newer.read_bytes()
    # The same bytes under the same name again is no change at all.
    assert run(catalog, "add", str(newer)) == 0
    assert "ingest: 0 dumps read, 3 unchanged and skipped" in capsys.readouterr().out


def test_check_uses_the_base_path_the_site_was_built_for(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(catalog, "check") == 2
    assert capsys.readouterr().err == f"error: {catalog / 'site'}: no site built by Papershelf here: build it first (`python build.py build`)\n"
    assert run(catalog, "--base-url", "/repo/") == 0
    capsys.readouterr()
    assert run(catalog, "check") == 0
    assert capsys.readouterr().out == "check: 0 broken internal links\n"
    assert run(catalog, "check", "--base-url", "/repo/") == 0
    assert run(catalog, "check", "--base-url", "/") == 2
    assert capsys.readouterr().err.startswith(f"error: --base-url: the site in {catalog / 'site'} was built for /repo/, not /: build it again")
    # A link that leads nowhere is still found.
    (catalog / "site" / "about" / "index.html").unlink()
    assert run(catalog, "check") == 1
    assert "broken link: /repo/about/" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("before", "after", "message"),
    [
        ("  papers_per_page: 50", "  paper_per_page: 50", "`site`: unknown key `paper_per_page` (did you mean `papers_per_page`?)"),
        ("paths:", "pths:", "unknown key `pths` (did you mean `paths`?)"),
        ("  feed_size: 50", "  feed_size: many", "`site.feed_size`: should be a whole number, not 'many'"),
        ("  feed_size: 50", "  feed_size: 5000", "`site.feed_size`: should be at most 1000, not 5000"),
        ("max_tags_per_paper: 4", 'max_tags_per_paper: "4"', "`max_tags_per_paper`: should be a whole number, not '4'"),
        ("  - name: Quantization", "  - nme: Quantization", "`tags` entry 1: missing key `name`"),
        ("  - name: Knowledge Distillation", "  - name: Knowledge Distillation\n    slug: Knowledge_Distillation",
         "`tags` entry 2, `slug`: should be lowercase letters and digits, words joined by single hyphens, not 'Knowledge_Distillation'"),
    ],
)
def test_config_errors_name_the_line_and_say_it_plainly(catalog: Path, capsys: pytest.CaptureFixture[str], before: str, after: str, message: str) -> None:
    config = catalog / "config.yaml"
    text = config.read_text()
    assert text.count(before + "\n") == 1
    edited = text.replace(before + "\n", after + "\n")
    config.write_text(edited)
    line = edited.splitlines().index(after.splitlines()[-1]) + 1
    if "missing key" in message:
        line = edited.splitlines().index(after) + 1  # the entry that lacks it
    assert run(catalog, "build") == 2
    assert capsys.readouterr().err == f"error: {config}:{line}: {message}\n"
