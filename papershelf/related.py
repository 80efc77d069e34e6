"""Related papers: TF-IDF cosine similarity over title and abstract, for the whole catalog
at once, with no quadratic step.

All-pairs similarity is quadratic. Instead each paper keeps only its strongest terms, and
each term keeps only the papers where it weighs most; candidates are the papers reached
through those capped postings. The work is then linear in the number of papers (at most
TERMS_PER_PAPER × PAPERS_PER_TERM candidates each), and the scores are the cosine of the
pruned vectors, which keeps the neighbours a full comparison would rank first.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

TERMS_PER_PAPER = 24
PAPERS_PER_TERM = 200
ROWS_PER_CHUNK = 4096


def _top_per_row(matrix: sparse.csr_matrix, keep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and values of the `keep` largest entries of each row, each row's best
    first (ties broken by column). One sort over all entries instead of a loop over rows."""
    matrix = matrix.tocsr()
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    order = np.lexsort((matrix.indices, -matrix.data, rows))
    rows, cols, vals = rows[order], matrix.indices[order], matrix.data[order]
    rank = np.arange(len(rows)) - matrix.indptr[rows]
    chosen = rank < keep
    return rows[chosen], cols[chosen], vals[chosen]


def _keep_top_per_row(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    """Zero all but the `keep` largest entries of each row (ties broken by column)."""
    rows, cols, vals = _top_per_row(matrix, keep)
    return sparse.csr_matrix((vals, (rows, cols)), shape=matrix.shape)


def _normalize_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms) @ matrix


def related_papers(texts: list[str], count: int) -> list[list[int]]:
    """For each text, the indices of the `count` most similar other texts, best first."""
    if count == 0 or len(texts) < 2:
        return [[] for _ in texts]
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, max_df=0.5, dtype=np.float64)
    try:
        weights = vectorizer.fit_transform(texts)
    except ValueError:  # every text empty or made of stop words
        return [[] for _ in texts]
    pruned = _normalize_rows(_keep_top_per_row(weights, TERMS_PER_PAPER)).tocsr()
    postings = _keep_top_per_row(pruned.T.tocsr(), PAPERS_PER_TERM).T.tocsr()
    result: list[list[int]] = []
    for start in range(0, len(texts), ROWS_PER_CHUNK):
        scores = (pruned[start : start + ROWS_PER_CHUNK] @ postings.T).tocsr()
        for offset in range(scores.shape[0]):
            row = start + offset
            lo, hi = scores.indptr[offset], scores.indptr[offset + 1]
            # Rounded so that float noise cannot reorder ties; a paper is not its own neighbour.
            cols, vals = scores.indices[lo:hi], np.round(scores.data[lo:hi], 9)
            mask = (cols != row) & (vals > 0)
            cols, vals = cols[mask], vals[mask]
            order = np.lexsort((cols, -vals))[:count]
            result.append([int(c) for c in cols[order]])
    return result
