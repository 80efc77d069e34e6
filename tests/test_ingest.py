"""Ingest end to end through the command line: the content store it writes, idempotence,
hand edits kept across re-ingests, and bad input stopping cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from papershelf.cli import main
from papershelf.digests import FileDigests
from papershelf.errors import PapershelfError
from tests.conftest import interrupted_after

CSWIN = "cswin-transformer-a-general-vision-transformer"


def ingest(catalog: Path, *args: str) -> int:
    return main(["--config", str(catalog / "config.yaml"), "ingest", *args])


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def read(catalog: Path, slug: str) -> dict:
    return yaml.safe_load((catalog / "content" / "papers" / f"{slug}.yaml").read_text(encoding="utf-8"))


def test_ingest_samples_writes_one_file_per_distinct_paper(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ingest(catalog) == 0
    assert "3 dumps read" in capsys.readouterr().out
    files = list((catalog / "content" / "papers").glob("*.yaml"))
    assert len(files) == 371
    cswin = read(catalog, CSWIN)
    assert [s["dump"][:3] for s in cswin["sources"]] == ["000", "004"]
    assert cswin["first_seen"].startswith("000")
    q_vlm = read(catalog, "q-vlm-post-training-quantization-for-large-vision")
    assert list(q_vlm) == ["id", "slug", "title", "short_name", "abstract", "links", "tags", "first_seen", "sources", "auto_tags"]
    assert q_vlm["links"] == [{"url": "https://github.com/ChangyuanWang17/QVLM"}]
    assert q_vlm["sources"] == [{"dump": "000_9d9e7264a0fe5dfa.txt", "position": 1, "date": "Mar 12"}]
    assert "Quantization" in q_vlm["tags"] and q_vlm["short_name"] == "Q-VLM"
    gamma = next(f for f in files if f.name.startswith("g-mod-"))
    assert read(catalog, gamma.stem)["title"].startswith("γ-MoD:")


def test_ingest_twice_changes_no_file(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest(catalog)
    before = snapshot(catalog / "content")
    assert ingest(catalog) == 0
    assert "3 unchanged and skipped" in capsys.readouterr().out
    dumps = [str(p) for p in sorted((catalog / "dumps").glob("*.txt"))]
    assert ingest(catalog, *dumps) == 0  # named dumps are always re-read
    assert "371 unchanged" in capsys.readouterr().out
    assert snapshot(catalog / "content") == before


def test_hand_edits_survive_reingest(catalog: Path) -> None:
    ingest(catalog)
    path = catalog / "content" / "papers" / f"{CSWIN}.yaml"
    data = read(catalog, CSWIN)
    removed = data["auto_tags"][0]
    data["title"] = "CSWin Transformer (corrected title)"
    data["tags"] = [t for t in data["tags"] if t != removed] + ["My Reading List"]
    data["hidden"] = True
    data["notes"] = "Read this *twice*."
    data["links"].append({"url": "https://example.org/cswin", "kind": "project"})
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    dumps = [str(p) for p in sorted((catalog / "dumps").glob("*.txt"))]
    assert ingest(catalog, *dumps) == 0
    after = read(catalog, CSWIN)
    assert after["title"] == "CSWin Transformer (corrected title)"
    assert removed not in after["tags"] and "My Reading List" in after["tags"]
    assert after["hidden"] is True and after["notes"] == "Read this *twice*."
    assert {"url": "https://example.org/cswin", "kind": "project"} in after["links"]
    assert len(list((catalog / "content" / "papers").glob("*.yaml"))) == 371


def test_new_dump_adds_sources_and_papers(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest(catalog)
    new_dump = catalog / "dumps" / "005_new.txt"
    new_dump.write_text(
        "Mar 14\n\nCSWin   transformer: a general vision transformer backbone with cross-shaped windows\n\n"
        "We present CSWin Transformer again. It is an efficient backbone.\n\n"
        "Brand New Paper About Quantization\n\nWe study quantization of models. Quantization helps a lot.\n",
        encoding="utf-8",
    )
    assert ingest(catalog) == 0
    assert "1 new, 1 updated, 370 unchanged" in capsys.readouterr().out
    assert [s["dump"][:3] for s in read(catalog, CSWIN)["sources"]] == ["000", "004", "005"]
    brand_new = read(catalog, "brand-new-paper-about-quantization")
    assert brand_new["first_seen"] == "005_new.txt" and brand_new["tags"] == ["Quantization"]


def test_malformed_yaml_stops_with_file_and_line_and_changes_nothing(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest(catalog)
    bad = catalog / "content" / "papers" / f"{CSWIN}.yaml"
    bad.write_text("id: abc\ntitle: [unclosed\nslug: x\n", encoding="utf-8")
    (catalog / "dumps" / "005_new.txt").write_text("New Title Here\n\nAn abstract. With sentences.\n", encoding="utf-8")
    before = snapshot(catalog / "content")
    assert ingest(catalog) == 2
    err = capsys.readouterr().err
    assert f"{CSWIN}.yaml:" in err and "malformed YAML" in err
    line = int(err.split(f"{CSWIN}.yaml:")[1].split(":")[0])
    assert line in (2, 3)
    assert snapshot(catalog / "content") == before


def test_invalid_paper_field_names_the_key(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest(catalog)
    path = catalog / "content" / "papers" / f"{CSWIN}.yaml"
    data = read(catalog, CSWIN)
    data["tags"] = "not a list"
    text = yaml.safe_dump(data)
    path.write_text(text, encoding="utf-8")
    assert main(["--config", str(catalog / "config.yaml")]) == 2  # ingest, then build
    line = text.splitlines().index("tags: not a list") + 1
    assert f"{CSWIN}.yaml:{line}: `tags`: should be a list, not 'not a list'" in capsys.readouterr().err
    assert not (catalog / "site").exists()


def test_files_parsed_on_every_core_load_as_one_by_one_and_the_first_bad_one_is_named(
    catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from papershelf import parallel, store
    from papershelf.cache import Cache

    ingest(catalog)
    content = catalog / "content"
    serial = store.load_store(content)
    monkeypatch.setitem(parallel.PARALLEL_FROM, "read paper files", 10)
    in_parallel = store.load_store(content)
    assert in_parallel.papers == serial.papers and len(in_parallel.papers) == 371
    parsed = Cache(catalog / ".cache").memo("parsed papers")
    with_cache = store.load_store(content, parsed, FileDigests())  # every file read again, none parsed
    assert with_cache.papers == serial.papers and all(with_cache.digests.values())
    names = sorted(path.name for path in (content / "papers").glob("*.yaml"))
    for name in (names[300], names[200]):
        (content / "papers" / name).write_text("id: abc\ntitle: [unclosed\n", encoding="utf-8")
    with pytest.raises(PapershelfError, match=f"{names[200]}:3: malformed YAML"):
        store.load_store(content, parsed, FileDigests())


def test_bad_dump_is_refused_and_the_others_go_in(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (catalog / "dumps" / "001_binary.txt").write_bytes(b"\x00\x01\x02binary")
    assert ingest(catalog) == 1
    captured = capsys.readouterr()
    assert "001_binary.txt: not a text file" in captured.err and "3 dumps read" in captured.out
    assert len(list((catalog / "content" / "papers").glob("*.yaml"))) == 371


def test_bad_config_names_the_key(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = catalog / "config.yaml"
    config.write_text(config.read_text().replace("papers_per_page: 50", "papers_per_page: lots"))
    assert ingest(catalog) == 2
    assert "`site.papers_per_page`: should be a whole number, not 'lots'" in capsys.readouterr().err
    config.write_text("site:\n  titel: typo\n")
    assert ingest(catalog) == 2
    assert "`site`: unknown key `titel` (did you mean `title`?)" in capsys.readouterr().err
    config.write_text("tags:\n  - name: Broken\n    match: ['re:(unclosed']\n")
    assert ingest(catalog) == 2
    assert "`tags` entry 1, `match`" in capsys.readouterr().err


def test_changed_tag_rules_retag_every_paper(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert ingest(catalog) == 0
    config = catalog / "config.yaml"
    config.write_text(config.read_text() + "  - name: Low Precision\n    strong: [post-training quantization, PTQ]\n")
    capsys.readouterr()
    assert ingest(catalog) == 0
    out = capsys.readouterr().out
    assert "0 dumps read" in out and " updated" in out and "0 updated" not in out
    assert "Low Precision" in read(catalog, "q-vlm-post-training-quantization-for-large-vision")["tags"]
    assert ingest(catalog) == 0
    assert "0 files written" in capsys.readouterr().out


def test_a_code_change_outside_tagging_retags_nothing(catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The digest of the tag rules covers the tagging code: another code change (a new
    version of the templates' helpers, say) does not retag the catalog."""
    from papershelf import cache
    from papershelf import ingest as ingest_module

    assert ingest(catalog) == 0
    retagged = []
    monkeypatch.setattr(ingest_module, "retag", lambda papers, tagger: retagged.append(len(papers)))
    monkeypatch.setattr(cache, "code_version", lambda: "another version")
    assert ingest(catalog) == 0
    assert retagged == []


def test_interrupted_ingest_converges_on_the_next_run(catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed halfway through writing, an ingest leaves its dumps unmarked in the ledger, so
    the next run merges them again and ends exactly where an uninterrupted run does. The
    first ingest writes a whole new store beside where it goes: killed, it leaves none."""
    import shutil

    from papershelf import store as store_module

    reference = tmp_path / "reference"
    shutil.copytree(catalog, reference)
    assert ingest(reference) == 0
    dumps = sorted((catalog / "dumps").glob("*.txt"))
    papers = catalog / "content" / "papers"

    monkeypatch.setattr(store_module, "_write_paper", interrupted_after(30, store_module._write_paper))
    assert ingest(catalog, str(dumps[0])) == 130  # interrupted: one line, no traceback
    monkeypatch.undo()
    assert not papers.exists() and not (catalog / "content" / "dumps.yaml").exists()
    assert ingest(catalog, str(dumps[0])) == 0  # and over what the killed run left
    first = snapshot_text(catalog / "content")
    assert not (catalog / "content" / ".papers-new").exists() and len(list(papers.glob("*.yaml"))) > 30

    monkeypatch.setattr(store_module, "write_atomic", interrupted_after(50, store_module.write_atomic))
    assert ingest(catalog) == 130  # interrupted: one line, no traceback
    monkeypatch.undo()
    written = snapshot_text(catalog / "content")
    assert written.keys() > first.keys()  # some papers of the other dumps written
    assert (catalog / "content" / "dumps.yaml").read_bytes() == first["dumps.yaml"]  # the ledger is written last
    assert ingest(catalog) == 0
    assert snapshot_text(catalog / "content") == snapshot_text(reference / "content")


def snapshot_text(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_script_reports_everything_and_exits_with_the_status(catalog: Path) -> None:
    """build.py leaves without tearing the interpreter down: what it printed still arrives
    whole, and the status is the command's."""
    import subprocess
    import sys

    script = Path(__file__).resolve().parent.parent / "build.py"
    done = subprocess.run([sys.executable, str(script), "--config", str(catalog / "config.yaml")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.startswith("ingest: 3 dumps read") and "\nbuild: " in done.stdout
    (catalog / "config.yaml").write_text("site: [unclosed\n", encoding="utf-8")
    failed = subprocess.run([sys.executable, str(script), "--config", str(catalog / "config.yaml"), "build"], capture_output=True, text=True, timeout=300)
    assert failed.returncode == 2 and failed.stderr.startswith("error: ") and "config.yaml" in failed.stderr
