"""Related papers: TF-IDF cosine similarity over title and abstract, for the whole catalog
at once, with no quadratic step.

The words are the ones search uses (accents folded, stemmed; see `analysis.py`), the title
counting twice, English function words and words in more than half the papers left out.

All-pairs similarity is quadratic. Instead each paper keeps only its strongest terms, and
each term keeps only the papers where it weighs most; candidates are the papers reached
through those capped postings. The work is then linear in the number of papers (at most
TERMS_PER_PAPER × PAPERS_PER_TERM candidates each), and the scores are the cosine of the
pruned vectors, which keeps the neighbours a full comparison would rank first.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import sparse

from papershelf.analysis import ABSTRACT, TITLE, TermTable, index_term
from papershelf.parallel import PARALLEL_FROM, map_slices

TERMS_PER_PAPER = 24
PAPERS_PER_TERM = 200
ROWS_PER_CHUNK = 1024  # candidate rows scored at once: bounds the memory the scores take
MAX_DOCUMENT_SHARE = 0.5


# English function words: they say nothing about what a paper is about. The most common
# ones would be dropped anyway for being in more than half the papers; the rest are rarer
# but just as empty.
STOP_WORDS = """
a about above across after again against all almost along already also although always am
among an and another any anyone anything are around as at be because been before being
below between both but by can cannot could did do does doing done down during each either
else enough etc even ever every for from further had has have having he her here hers
herself him himself his how however i if in into is it its itself just least less many may
me might more most much must my myself neither never nevertheless no nor not now of off
often on once one only onto or other others otherwise our ours ourselves out over own per
perhaps rather same several she should since so some something sometimes still such than
that the their theirs them themselves then there thereby therefore these they this those
though through throughout thus to together too toward towards under until up upon us very
via was we well were what whatever when whenever where whereas wherever whether which while
who whoever whole whom whose why will with within without would yet you your yours
yourself yourselves
""".split()


@cache
def stop_terms() -> frozenset[str]:
    return frozenset(index_term(word) for word in STOP_WORDS)


def term_counts(table: TermTable) -> sparse.csr_matrix:
    """Papers × terms: how often each term is in the title (twice) and the abstract,
    function words left out."""
    is_stop = np.zeros(len(table.vocabulary), dtype=bool)
    is_stop[[number for term, number in table.vocabulary.items() if term in stop_terms()]] = True
    rows = ((table.field == TITLE) | (table.field == ABSTRACT)) & ~is_stop[table.term]
    weight = table.count[rows].astype(np.float64)
    weight[table.field[rows] == TITLE] *= 2
    # The table's rows come paper by paper: they are the matrix's rows as they stand (a term
    # in both title and abstract is two entries of a row, summed).
    papers = len(table.lengths)
    row_starts = np.zeros(papers + 1, dtype=np.int64)
    np.cumsum(np.bincount(table.doc[rows], minlength=papers), out=row_starts[1:])
    counts = sparse.csr_matrix((weight, table.term[rows], row_starts), shape=(papers, len(table.vocabulary)))
    counts.sum_duplicates()
    return counts


def tfidf(counts: sparse.csr_matrix) -> sparse.csr_matrix:
    """Sublinear term frequency times smoothed inverse document frequency; terms in more
    than MAX_DOCUMENT_SHARE of the papers weigh nothing."""
    counts = counts.tocsr()
    counts.eliminate_zeros()
    papers = counts.shape[0]
    frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + papers) / (1 + frequency)) + 1
    idf[frequency > MAX_DOCUMENT_SHARE * papers] = 0
    weights = counts.copy()
    weights.data = 1 + np.log(weights.data)
    weights = (weights @ sparse.diags(idf)).tocsr()
    weights.eliminate_zeros()
    return weights


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


def related_papers(counts: sparse.csr_matrix, count: int) -> list[list[int]]:
    """For each paper (row of term counts), the rows of the `count` most similar other
    papers, best first."""
    papers = counts.shape[0]
    if papers >= 1 << _COLUMN_BITS:
        raise ValueError(f"related papers are computed for at most {1 << _COLUMN_BITS:,} papers")
    if count == 0 or papers < 2:
        return [[] for _ in range(papers)]
    pruned = _normalize_rows(_keep_top_per_row(tfidf(counts), TERMS_PER_PAPER)).tocsr()
    postings = _keep_top_per_row(pruned.T.tocsr(), PAPERS_PER_TERM).T.tocsr()

    def best_of_rows(start: int, stop: int) -> list[list[int]]:
        result: list[list[int]] = []
        for first in range(start, stop, ROWS_PER_CHUNK):
            scores = (pruned[first : min(first + ROWS_PER_CHUNK, stop)] @ postings.T).tocsr()
            result += _best_per_row(scores, first, count)
        return result

    return [row for _, part in map_slices(best_of_rows, papers, PARALLEL_FROM["related papers"]) for row in part]


# Candidates are ranked by int64 keys, larger for better: score (rounded to 9 decimals, so
# that float noise cannot reorder ties), then the lower column.
_COLUMN_BITS, _SCORE_SCALE = 21, 10**9
_COLUMN_MASK = (1 << _COLUMN_BITS) - 1


def _best_per_row(scores: sparse.csr_matrix, first_row: int, count: int) -> list[list[int]]:
    """Each row's `count` best columns (highest score first, ties by column), leaving out
    the row's own paper and zero scores. Picks each row's best key `count` times over (a
    maximum per row is one pass over the candidates), instead of sorting them all."""
    rows = np.repeat(np.arange(scores.shape[0], dtype=np.int64), np.diff(scores.indptr))
    cols = scores.indices.astype(np.int64)
    quantized = np.minimum(np.rint(scores.data * _SCORE_SCALE), _SCORE_SCALE).astype(np.int64)
    keys = (quantized << _COLUMN_BITS) | (_COLUMN_MASK - cols)
    keys[(cols == rows + first_row) | (quantized <= 0)] = -1
    filled = np.flatnonzero(np.diff(scores.indptr))  # rows with candidates
    sizes = np.diff(scores.indptr)[filled]
    best = np.full((scores.shape[0], count), -1, dtype=np.int64)
    for rank in range(count):
        if not len(filled):
            break
        top = np.maximum.reduceat(keys, scores.indptr[filled])
        best[filled, rank] = top
        keys[keys == np.repeat(top, sizes)] = -1  # keys are unique in a row: exactly the one taken
    taken = best >= 0
    columns = np.where(taken, _COLUMN_MASK - (best & _COLUMN_MASK), -1).tolist()
    return [[column for column in row if column >= 0] for row in columns]
