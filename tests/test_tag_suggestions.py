"""Tags learned from hand curation: suggestions from the curated tags, listed and never
applied unless accepted, the same every run, and what they add on held-out papers."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import yaml

from papershelf.config import load_config
from papershelf.paper import Paper
from papershelf.store import load_store
from papershelf.tag_evaluation import LABELS_FILE, evaluate, load_labels, split
from papershelf.tag_suggestions import SUGGEST_FROM, Suggestion, suggestions, tag_scores
from tests.conftest import ROOT, catalog_copy, run, snapshot


@pytest.fixture(scope="module")
def curated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample catalog ingested, then curated by hand: each labelled paper the rules were
    tuned on gets the labels' tags in its file, as a curator would edit them."""
    folder = catalog_copy(tmp_path_factory.mktemp("curated"))
    assert run(folder, "ingest") == 0
    shutil.copy(ROOT / "content" / LABELS_FILE, folder / "content" / LABELS_FILE)
    settings = load_config(folder / "config.yaml")
    store = load_store(settings.content_dir)
    labels = load_labels(settings.content_dir / LABELS_FILE, list(settings.tagger().names), store.papers)
    tuned = {paper.id for paper in split(list(store.papers.values()), labels)["tuned"]}
    for paper in store.papers.values():
        if paper.id in tuned and paper.id in labels.papers and labels.papers[paper.id] != paper.tags:
            path = settings.content_dir / "papers" / f"{paper.slug}.yaml"
            data = yaml.safe_load(path.read_text())
            data["tags"] = labels.papers[paper.id]
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return folder


def paper(number: int, tags: list[str], auto_tags: list[str]) -> Paper:
    return Paper(id=f"{number:012x}", slug=f"p{number}", title=f"Paper {number}", first_seen="d.txt", sources=[{"dump": "d.txt", "position": 1}], tags=tags, auto_tags=auto_tags)


def test_a_hand_removed_tag_is_not_suggested_again_and_hand_tags_are_not_doubted() -> None:
    papers = [paper(1, [], ["A"]), paper(2, ["A"], []), paper(3, ["A"], ["A"]), paper(4, [], [])]
    found = suggestions(papers, {"A": np.array([0.99, 0.01, 0.01, 0.9])})
    assert found == [Suggestion(papers[3].id, "A", 0.9, "add"), Suggestion(papers[2].id, "A", 0.01, "doubt")]


def test_suggestions_are_listed_not_applied_and_the_same_every_run(curated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(curated / "content")
    capsys.readouterr()
    assert run(curated, "tags", "--suggest") == 0
    first = capsys.readouterr().out
    assert run(curated, "tags", "--suggest") == 0
    assert capsys.readouterr().out == first
    assert snapshot(curated / "content") == before
    edited = sum(1 for line in first.splitlines() if line.startswith("suggestions from"))
    assert edited == 1 and " 0 edited by hand" not in first
    listed = [line.split() for line in first.splitlines() if line.startswith("  add ")]
    assert listed and all(float(fields[1]) >= SUGGEST_FROM for fields in listed)


def test_accepted_suggestions_become_hand_tags_that_rebuilds_keep(curated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "catalog"
    shutil.copytree(curated, folder)
    capsys.readouterr()
    assert run(folder, "tags", "--accept", "0.5") == 0
    out = capsys.readouterr().out
    accepted = [line.split() for line in out.splitlines() if line.startswith("  add ") and float(line.split()[1]) >= 0.5]
    assert accepted and f"accepted {len(accepted)} suggested tags" in out
    assert run(folder) == 0  # ingest and build: the rules run again
    for fields in accepted:
        slug = fields[-1]
        data = yaml.safe_load((folder / "content" / "papers" / f"{slug}.yaml").read_text())
        tag = " ".join(fields[2:-1])
        assert tag in data["tags"] and tag not in data.get("auto_tags", []), slug


def test_learned_suggestions_add_recall_on_held_out_papers(curated: Path) -> None:
    """Trained on the curated catalog, the models' suggestions for the held-out papers
    (whose labels they never saw) find tags the rules missed, at a small cost in precision."""
    settings = load_config(curated / "config.yaml")
    tagger = settings.tagger()
    store = load_store(settings.content_dir)
    labels = load_labels(settings.content_dir / LABELS_FILE, list(tagger.names), store.papers)
    papers = sorted(store.papers.values(), key=lambda p: p.id)
    scores = tag_scores(papers)
    assert all(np.array_equal(scores[tag], again) for tag, again in tag_scores(papers).items())
    added = {(s.paper_id, s.tag) for s in suggestions(papers, scores) if s.kind == "add"}
    held_out = split(papers, labels)["held out"]
    rules = evaluate(tagger, held_out, labels.papers)
    right = wrong = 0
    for p in held_out:
        for tag in (tag for pid, tag in added if pid == p.id):
            right += tag in labels.papers[p.id]
            wrong += tag not in labels.papers[p.id]
    assert right > wrong
    with_suggestions = (sum(rules.right.values()) + right) / (sum(rules.right.values()) + sum(rules.missed.values()))
    assert with_suggestions > rules.recall
