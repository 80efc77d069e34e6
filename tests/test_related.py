"""Related papers: the capped candidate search ranks as comparing every pair would, and the
neighbours make sense on the sample catalog."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from papershelf import related
from papershelf.analysis import PaperTerms, analyze, field_terms, term_table
from papershelf.catalog import load_catalog
from papershelf.config import load_config


def all_pairs(counts, count: int) -> list[list[int]]:
    """The same ranking by brute force: every pair's cosine over the pruned vectors."""
    pruned = related._normalize_rows(related._keep_top_per_row(related.tfidf(counts), related.TERMS_PER_PAPER))
    scores = np.round((pruned @ pruned.T).toarray(), 9)
    result = []
    for row, values in enumerate(scores):
        candidates = [(-value, col) for col, value in enumerate(values) if col != row and value > 0]
        result.append([col for _, col in sorted(candidates)[:count]])
    return result


def test_related_papers_equal_the_all_pairs_ranking(built_site: Path, monkeypatch) -> None:
    catalog = load_catalog(load_config(built_site / "config.yaml"))
    counts = related.term_counts(term_table([analyze(paper) for paper in catalog.papers]))
    expected = all_pairs(counts, 5)
    assert sum(map(len, expected)) > 5 * 300
    assert related.related_papers(counts, 5) == expected
    monkeypatch.setattr(related, "ROWS_PER_CHUNK", 37)  # rows split over many chunks
    assert related.related_papers(counts, 5) == expected

    titles = [paper.title for paper in catalog.papers]
    q_vlm = next(i for i, title in enumerate(titles) if title.startswith("Q-VLM"))
    neighbours = [titles[i].lower() for i in expected[q_vlm]]
    assert sum("quantiz" in title for title in neighbours) >= 3, neighbours


def paper_terms(title: str, abstract: str) -> PaperTerms:
    fields = [field_terms(title), [], [], field_terms(abstract)]
    counted = [Counter(terms) for terms in fields]
    occurrences = [[term for term, count in c.items() for _ in range(count)] for c in counted]
    positions = [tuple(range(len(found))) for found in occurrences]
    return PaperTerms(tuple(tuple(c) for c in counted), tuple(tuple(c.values()) for c in counted), tuple(map(len, fields)), tuple(map(tuple, occurrences)), tuple(positions))


def test_function_words_never_make_papers_related() -> None:
    papers = [
        paper_terms("However, the thereby", "whereas the results of the thereby"),
        paper_terms("Thereby, however", "the whereas of thereby"),
        paper_terms("Quantization of LLMs", "low-bit quantization"),
        paper_terms("Quantization for vision", "quantization of vision transformers"),
        paper_terms("Diffusion", "image generation"),
    ]
    neighbours = related.related_papers(related.term_counts(term_table(papers)), 3)
    assert neighbours == [[], [], [3], [2], []]
