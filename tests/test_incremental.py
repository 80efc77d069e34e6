"""Rebuilding on new dumps: only new work is done, unchanged pages keep their bytes and
modification times, and the result equals a clean build."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
import yaml

from papershelf import output, plan
from tests.conftest import interrupted_after, run, snapshot

Q_VLM = "q-vlm-post-training-quantization-for-large-vision"
NEWEST_DUMP = "004_2ce07ad5103318e3.txt"


def stats(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def changed(before: dict, after: dict) -> set[str]:
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}


def clean_copy(catalog: Path, tmp_path: Path) -> dict[str, bytes]:
    """The same catalog built from scratch in another folder."""
    other = tmp_path / "clean"
    shutil.copytree(catalog, other, ignore=shutil.ignore_patterns("site", ".site-*", ".cache"))
    assert run(other, "--clean", "build") == 0
    return snapshot(other / "site")


def test_adding_a_dump_does_only_the_new_work(
    catalog: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plan, "SITEMAP_URLS", 100)  # several parts, as a large catalog has
    config = catalog / "config.yaml"  # tag pages of several archive pages, as a large catalog has
    config.write_text(config.read_text().replace("papers_per_page: 50", "papers_per_page: 20"))
    held_back = tmp_path / NEWEST_DUMP
    shutil.move(catalog / "dumps" / NEWEST_DUMP, held_back)
    assert run(catalog) == 0
    before = stats(catalog / "site")
    time.sleep(0.01)
    capsys.readouterr()

    assert run(catalog, "add", str(held_back)) == 0
    out = capsys.readouterr().out
    assert "1 dumps read, 2 unchanged and skipped" in out and "papers: 72 new, 9 updated" in out
    after = stats(catalog / "site")
    touched = changed(before, after)
    new_papers = [p for p in touched if p.startswith("papers/") and p not in before]
    assert len(new_papers) == 72
    home = (catalog / "site" / "index.html").read_text()
    assert "Utilizing BERT for Information Retrieval" in home
    assert "listings/004-2ce07ad5103318e3/index.html" in touched
    assert (catalog / "site" / "tags" / "retrieval" / "index.html").read_text().count("Utilizing BERT") == 1
    for path in before.keys() & after.keys():
        if before[path][0] == after[path][0]:  # same bytes: the very same file, same mtime
            assert before[path][1] == after[path][1], path
    untouched_papers = [p for p in before if p.startswith("papers/") and p not in touched]
    assert len(untouched_papers) > 20  # related lists that did not change
    # Archive pages count from the oldest papers: a new dump changes a tag's newest one only
    # (its papers, or its link to a newer page) and adds pages after it.
    archive = [p.split("/") for p in before if p.startswith("tags/") and "/page/" in p]
    newest = {tag: max(int(number) for _, t, _, number, _ in archive if t == tag) for _, tag, _, _, _ in archive}
    older = ["/".join(parts) for parts in archive if int(parts[3]) < newest[parts[1]]]
    assert len(older) >= 2 and not set(older) & touched
    assert {"sitemaps/papers-3.xml.gz", "sitemaps/papers-4.xml.gz"} <= touched  # the newest parts
    assert not {"sitemaps/papers-1.xml.gz", "sitemaps/papers-2.xml.gz"} & touched
    assert snapshot(catalog / "site") == clean_copy(catalog, tmp_path)


def test_nothing_new_renders_nothing(catalog: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(catalog) == 0
    before = stats(catalog / "site")
    capsys.readouterr()
    assert run(catalog) == 0
    out = capsys.readouterr().out
    assert "0 dumps read, 3 unchanged and skipped" in out
    assert "nothing new" in out and "nothing rendered" in out
    assert stats(catalog / "site") == before


def test_hand_edit_rebuilds_only_that_paper_and_its_dependents(catalog: Path, tmp_path: Path) -> None:
    assert run(catalog) == 0
    path = catalog / "content" / "papers" / f"{Q_VLM}.yaml"
    before = stats(catalog / "site")
    data = yaml.safe_load(path.read_text())
    data["notes"] = "Worth a *second* read."
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    assert run(catalog, "build") == 0
    touched = changed(before, stats(catalog / "site"))
    # Search names document chunks by the versions of their group's papers: the chunks of
    # the paper's group get new names (the sample's papers make one group), so the manifest
    # that names the group and the search page that names the manifest change with them.
    search = {path for path in touched if path.startswith("search/")}
    assert touched - search == {f"papers/{Q_VLM}.html"}
    chunks = len(list((catalog / "site" / "search" / "d").iterdir()))
    assert {path.split(".")[0] for path in search} == {"search/index", "search/manifest"} | {f"search/d/{n}" for n in range(chunks)}
    assert "<em>second</em>" in (catalog / "site" / "papers" / f"{Q_VLM}.html").read_text()

    before = stats(catalog / "site")
    data["title"] = "Q-VLM: Corrected Title for Quantized Vision-Language Models"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    assert run(catalog, "build") == 0
    touched = changed(before, stats(catalog / "site"))
    assert f"papers/{Q_VLM}.html" in touched and "data/papers-1.json.gz" in touched
    assert "tags/quantization/index.html" in touched
    paper_pages = {p for p in touched if p.startswith("papers/")}
    assert len(paper_pages) < 40  # itself, papers listing it as related, related lists that moved
    for page in (catalog / "site" / "papers").glob("*.html"):
        text = page.read_text()
        if f"/papers/{Q_VLM}.html" in text:
            assert "Corrected Title" in text, page
    assert snapshot(catalog / "site") == clean_copy(catalog, tmp_path)


def test_interrupted_build_leaves_the_site_as_it_was(catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(catalog) == 0
    before = stats(catalog / "site")
    (catalog / "content" / "pages" / "about.md").write_text("# About\n\nChanged.\n")
    monkeypatch.setattr(Path, "write_bytes", interrupted_after(3, Path.write_bytes))
    assert run(catalog, "--clean", "build") == 130  # interrupted: one line, no traceback
    monkeypatch.undo()
    assert stats(catalog / "site") == before
    assert not [p for p in catalog.iterdir() if p.name.startswith(".site-")]
    assert run(catalog, "build") == 0
    assert "Changed." in (catalog / "site" / "about" / "index.html").read_text()


def test_leftover_staging_folders_are_removed(catalog: Path) -> None:
    assert run(catalog) == 0
    leftover = catalog / ".site-new-abc123"
    leftover.mkdir()
    (leftover / "half.html").write_text("half a site")
    (catalog / "content" / "pages" / "about.md").write_text("# About\n\nAgain.\n")
    assert run(catalog, "build") == 0
    assert not leftover.exists()


def test_feed_dates_are_when_papers_arrived_and_no_build_reads_the_clock(catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    later = catalog / "dumps" / "004_2ce07ad5103318e3.txt"
    held = tmp_path / later.name
    later.rename(held)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # ingest's clock, as in a reproducible run
    assert run(catalog) == 0
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700086400")  # a day later, a new dump
    assert run(catalog, "add", str(held)) == 0
    def entry_dates(feed: Path) -> list[str]:
        return [entry.split("<updated>")[1].split("<")[0] for entry in feed.read_text().split("<entry>")[1:]]

    first, second = "2023-11-14T22:13:20Z", "2023-11-15T22:13:20Z"
    feeds = [catalog / "site" / "feed.xml", *sorted((catalog / "site" / "tags").glob("*/feed.xml"))]
    assert {date for feed in feeds for date in entry_dates(feed)} == {first, second}
    assert entry_dates(feeds[0]) == [second] * 50  # the newest 50 papers, all from the new dump
    for feed in feeds:  # newest first, and the feed is as new as its newest entry
        dates = entry_dates(feed)
        assert dates == sorted(dates, reverse=True)
        assert feed.read_text().split("<entry>")[0].count(f"<updated>{dates[0]}</updated>") == 1
    # A build, with or without SOURCE_DATE_EPOCH, gives the same bytes.
    made = snapshot(catalog / "site")
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert run(catalog, "--clean", "build") == 0
    assert snapshot(catalog / "site") == made


def test_incremental_build_removes_what_the_site_no_longer_has(catalog: Path, tmp_path: Path) -> None:
    assert run(catalog) == 0
    (catalog / "site" / "papers" / "stray.html").write_text("not from this catalog")
    path = catalog / "content" / "papers" / f"{Q_VLM}.yaml"
    path.write_text(path.read_text() + "hidden: true\n")
    assert run(catalog, "build") == 0
    assert not (catalog / "site" / "papers" / f"{Q_VLM}.html").exists()
    assert not (catalog / "site" / "papers" / "stray.html").exists()
    assert snapshot(catalog / "site") == clean_copy(catalog, tmp_path)


def test_build_cut_off_while_moving_files_in_is_finished_by_the_next(catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(catalog) == 0
    before = snapshot(catalog / "site")
    about = catalog / "content" / "pages" / "about.md"
    original_text = about.read_text()
    about.write_text("# About\n\nChanged.\n")
    monkeypatch.setattr(output.os, "replace", interrupted_after(1, os.replace))
    assert run(catalog, "build") == 130  # interrupted: one line, no traceback
    monkeypatch.undo()
    about.write_text(original_text)  # back to the inputs of the last complete build
    assert run(catalog, "build") == 0
    assert snapshot(catalog / "site") == before


def test_the_garbage_collector_is_paused_while_building_and_back_after(catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Builds and ingests run with the cyclic collector off (it walked every live object of a
    large catalog over and over), and leave it as they found it, even when they fail."""
    import gc

    from papershelf import ingest

    seen = []

    def spy(function):
        def spying(*args, **kwargs):
            seen.append((function.__name__, gc.isenabled()))
            return function(*args, **kwargs)

        return spying

    monkeypatch.setattr(plan, "plan_site", spy(plan.plan_site))
    monkeypatch.setattr(ingest, "retag", spy(ingest.retag))
    assert gc.isenabled()
    assert run(catalog) == 0
    assert seen == [("retag", False), ("plan_site", False)] and gc.isenabled()
    monkeypatch.setattr(plan, "plan_site", interrupted_after(0, plan.plan_site))
    (catalog / "content" / "pages" / "about.md").write_text("# About\n\nChanged.\n", encoding="utf-8")
    assert run(catalog, "build") == 130  # interrupted: one line, no traceback
    assert gc.isenabled()


def test_caches_written_by_other_code_are_made_again(catalog: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsed papers and analysed terms are only as good as the code that made them: after
    a code change (a git pull, a CI cache restored from older code) they start over."""
    from papershelf import cache

    assert run(catalog) == 0
    folder = catalog / ".cache"
    assert cache.Cache(folder).last("term table") is not None and len(cache.Cache(folder).memo("parsed papers")) == 371
    monkeypatch.setattr(cache, "code_version", lambda: "another version")
    assert cache.Cache(folder).last("term table") is None and len(cache.Cache(folder).memo("parsed papers")) == 0
    assert run(catalog, "--clean") == 0
    assert cache.Cache(folder).last("term table") is not None and len(cache.Cache(folder).memo("parsed papers")) == 371


def test_a_file_checked_once_in_a_run_is_not_checked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ingest and the build after it check each content file once (a stat each); a new
    run checks again, and sees an edit."""
    from papershelf.digests import FileDigests

    folder = tmp_path / "content"
    folder.mkdir()
    for name in ("a.yaml", "b.yaml"):
        (folder / name).write_text(name, encoding="utf-8")
    earlier = FileDigests()  # the run before
    first = earlier.tree(folder)
    stats: list[str] = []
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda path, *args, **kwargs: (stats.append(str(path)) if str(path).endswith(".yaml") else None) or real_stat(path, *args, **kwargs))
    later = FileDigests(dict(earlier.known))  # the next run knows the files, has checked none
    assert later.tree(folder) == first and len(stats) == 2
    stats.clear()
    assert later.tree(folder) == first and stats == []  # checked in this run: trusted
    monkeypatch.setattr(os, "stat", real_stat)
    (folder / "a.yaml").write_text("edited", encoding="utf-8")
    assert FileDigests(dict(later.known)).tree(folder)["a.yaml"] != first["a.yaml"]
