"""The catalog's term table, reused between builds, equals analysing every paper afresh."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from papershelf import analysis, parallel
from papershelf.analysis import analyze, by_first_appearance, catalog_table, term_table
from papershelf.catalog import load_catalog
from papershelf.config import load_config


def assert_same(table, expected) -> None:
    assert table.vocabulary == expected.vocabulary and table.forms == expected.forms
    for name in ("doc", "field", "term", "count", "lengths", "form", "position"):
        assert np.array_equal(getattr(table, name), getattr(expected, name)), name


def test_analysis_on_every_core_equals_one_by_one(built_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    papers = load_catalog(load_config(built_site / "config.yaml")).papers[::-1]
    monkeypatch.setitem(parallel.PARALLEL_FROM, "analyse papers", 40)  # forked workers, a share each
    table = analysis.analysed_table(papers, [""] * len(papers))
    assert_same(table, term_table([analyze(paper) for paper in papers]))


def test_reused_rows_equal_a_fresh_analysis(built_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(parallel.PARALLEL_FROM, "analyse papers", 40)
    papers = load_catalog(load_config(built_site / "config.yaml")).papers[::-1]
    keys = [f"v1-{paper.id}" for paper in papers]
    previous = catalog_table(papers[:300], keys[:300], None)
    assert previous.keys == keys[:300]

    renumbered = []  # calls of the general path, which renumbers every row
    monkeypatch.setattr(analysis, "by_first_appearance", lambda *args, **kwargs: renumbered.append(1) or by_first_appearance(*args, **kwargs))
    grown = catalog_table(papers, keys, previous)  # a new dump: papers appended
    assert_same(grown, term_table([analyze(paper) for paper in papers]))
    assert renumbered == [] and grown.keys == keys  # new papers at the end: appended as they are
    assert grown.based_on == keys[:300]

    # A dump that brings papers seen before gives their files new versions with the same
    # words: their rows stay as they are, and the new papers are appended.
    seen_again = [f"v2-{key}" if i in (3, 150) else key for i, key in enumerate(keys)]
    again = catalog_table(papers, seen_again, previous)
    assert_same(again, grown)
    assert renumbered == [] and again.keys == seen_again and again.based_on == keys[:300]

    # One paper hidden, one edited (a new version of its file), the newest ones reordered.
    edited = papers[:150] + papers[151:200] + random.Random(3).sample(papers[200:], len(papers) - 200)
    edited_keys = [f"v1-{paper.id}" for paper in edited]
    edited[10] = edited[10].model_copy(update={"abstract": "Zebras quantized, then zebras again."})
    edited_keys[10] = "v2"
    again = catalog_table(edited, edited_keys, grown)
    assert_same(again, term_table([analyze(paper) for paper in edited]))
    assert again.keys == edited_keys and "zebra" in again.vocabulary and renumbered == [1]
    assert again.based_on == []
    # A new version with changed words in a paper of the previous table: analysed afresh.
    reworded = list(papers)
    reworded[3] = reworded[3].model_copy(update={"abstract": reworded[3].abstract + " Zebras."})
    changed = catalog_table(reworded, seen_again, grown)
    assert_same(changed, term_table([analyze(paper) for paper in reworded]))
    assert changed.based_on == [] and renumbered == [1, 1]
