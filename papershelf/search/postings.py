"""Every term's postings with lunr's BM25 weights, computed from the term table with array
arithmetic (the same operations in the same order as lunr.py, so the same weights); the
postings' order is kept between builds (`RefGaps`) and grown when a dump appends papers."""

from __future__ import annotations

import math
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeGuard

import numpy as np

from papershelf.analysis import FIELDS, TermTable
from papershelf.search.encoding import ascii_numbers, compact_json
from papershelf.search.occurrences import form_entries, position_text

K1, B = 1.2, 0.75  # lunr's BM25 parameters


def bm25_thousandths(table: TermTable) -> np.ndarray:
    """lunr's BM25 weight of every row of the table, times 1000 and rounded as lunr rounds
    it. Same operations in the same order as lunr.py, so the same floating-point results;
    a million rows at a time, so that the temporaries stay small."""
    documents = len(table.lengths)
    frequency = np.bincount(table.term, minlength=len(table.vocabulary)).tolist()  # lunr counts per field
    idf = np.array([math.log(1 + abs((documents - n + 0.5) / (n + 0.5))) for n in frequency])
    averages = np.array([int(total) / documents for total in table.lengths.sum(axis=0)])
    boosts = np.array([boost for _, boost in FIELDS], dtype=np.float64)
    thousandths = np.empty(len(table.term), dtype=np.int64)
    for start in range(0, len(table.term), 1 << 20):
        rows = slice(start, start + (1 << 20))
        term, field, tf = table.term[rows], table.field[rows], table.count[rows].astype(np.float64)
        length = table.lengths[table.doc[rows], field].astype(np.float64)
        score = idf[term] * ((K1 + 1) * tf) / (K1 * (1 - B + B * (length / averages[field])) + tf)
        score = score * boosts[field]
        scaled = score * 1000
        part = thousandths[rows]
        part[:] = np.rint(scaled)
        # Python's round(x, 3) rounds the exact binary value; where scaling by 1000 lands
        # next to a half, let Python decide.
        for i in np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6).tolist():
            part[i] = round(round(float(score[i]), 3) * 1000)
    return thousandths


@dataclass
class RefGaps:
    """The table's rows in (term, field, ref) order, their refs as gaps from the previous
    ref of their (term, field) group, and their positions, as text. None of it depends on
    the size of the catalog (the BM25 weights do): a build that appends papers inserts the
    new rows at the end of their groups (`grown_ref_gaps`) instead of sorting and writing ten
    million rows again, so it is kept between builds. Groups are numbered by key, term
    number × len(FIELDS) + field."""

    keys: list[str]  # the keys of the table it was made from (see TermTable.keys)
    order: np.ndarray  # int32: the table's rows in (term, field, ref) order
    row_ends: np.ndarray  # int64 per group key: where its rows end in `order` (cumulative)
    text: bytes  # every row's gap in that order, each number followed by a comma
    text_ends: np.ndarray  # int64 per group key: where its gaps end in `text` (cumulative)
    positions: bytes  # every row's positions in that order (occurrences.position_text)
    position_ends: np.ndarray  # int64 per group key: where its positions end (cumulative)


def _group_keys(table: TermTable, rows: slice) -> np.ndarray:
    # int32 where the keys fit: half the memory, and quicker to sort.
    key_type = np.int32 if len(table.vocabulary) * len(FIELDS) < 2**31 else np.int64
    return table.term[rows].astype(key_type) * len(FIELDS) + table.field[rows]


def _gaps(refs: np.ndarray, first_in_group: np.ndarray, previous_ref: np.ndarray) -> np.ndarray:
    """Each ref minus the one before it in its group; a group's first ref minus
    `previous_ref` (-1: nothing before it, the ref itself)."""
    before = np.empty_like(refs)
    before[1:] = refs[:-1]
    before[first_in_group] = previous_ref
    return np.where(before >= 0, refs - before, refs)


def sorted_rows(table: TermTable) -> tuple[np.ndarray, np.ndarray]:
    """The table's rows in (term, field, ref) order (int32), and the size of each group."""
    keys = _group_keys(table, slice(None))
    order = np.argsort(keys, kind="stable").astype(np.int32)
    # The groups in order and their sizes come from counting the keys: no need to gather
    # the sorted keys row by row.
    return order, np.bincount(keys, minlength=len(table.vocabulary) * len(FIELDS))


def ref_gaps(table: TermTable, rows: tuple[np.ndarray, np.ndarray] | None = None) -> RefGaps:
    """The ref gaps of a whole table, from its `sorted_rows` (sorted here if not given)."""
    order, sizes = rows if rows is not None else sorted_rows(table)
    row_ends = np.cumsum(sizes)
    filled = np.flatnonzero(sizes)
    first = np.zeros(len(order), dtype=bool)
    first[row_ends[filled] - sizes[filled]] = True
    refs = table.doc[order].astype(np.int64)
    text, starts = ascii_numbers(_gaps(refs, first, np.full(len(filled), -1, dtype=np.int64)))
    positions, position_row_ends = position_text(table, order)
    position_ends = np.concatenate([[0], position_row_ends])[row_ends]
    return RefGaps(list(table.keys), order, row_ends, text, starts[row_ends], positions, position_ends)


def _inserted(text: bytes, ends: np.ndarray, keys: np.ndarray, pieces: bytes, lengths: np.ndarray) -> tuple[bytes, np.ndarray]:
    """`text`, whose groups end at `ends`, with `pieces` (one of each of `lengths` per key of
    the sorted `keys`) inserted at the end of their groups; and where the groups end now."""
    joined = np.insert(np.frombuffer(text, dtype=np.uint8), np.repeat(ends[keys], lengths), np.frombuffer(pieces, dtype=np.uint8))
    return joined.tobytes(), ends + np.cumsum(np.bincount(keys, weights=lengths, minlength=len(ends)).astype(np.int64))


def grown_ref_gaps(previous: RefGaps, table: TermTable) -> RefGaps:
    """The ref gaps of `table`, whose first rows are those `previous` was made from (same
    papers in the same places, same term numbers): the rows of the papers after them go at
    the end of their groups, their refs being larger than any before."""
    kept = len(previous.order)
    groups, old_groups = len(table.vocabulary) * len(FIELDS), len(previous.row_ends)

    def extended(values: np.ndarray, fill: int) -> np.ndarray:
        return np.concatenate([values, np.full(groups - old_groups, fill, dtype=values.dtype)])

    keys = _group_keys(table, slice(kept, None))
    by_group = np.argsort(keys, kind="stable")
    keys, rows = keys[by_group], (by_group + kept).astype(np.int32)
    refs = table.doc[rows].astype(np.int64)
    first = np.ones(len(keys), dtype=bool)
    first[1:] = keys[1:] != keys[:-1]
    row_ends, text_ends = extended(previous.row_ends, kept), extended(previous.text_ends, len(previous.text))
    # Each group's last ref so far: the table's first rows are the ones `previous` sorted.
    last_ref = np.full(groups, -1, dtype=np.int64)
    filled = np.flatnonzero(np.diff(previous.row_ends, prepend=0))
    last_ref[filled] = table.doc[previous.order[previous.row_ends[filled] - 1]]
    text, starts = ascii_numbers(_gaps(refs, first, last_ref[keys[first]]))
    positions, position_row_ends = position_text(table, rows)
    order = np.insert(previous.order, row_ends[keys], rows)
    row_ends = row_ends + np.cumsum(np.bincount(keys, minlength=groups))
    text, text_ends = _inserted(previous.text, text_ends, keys, text, np.diff(starts))
    position_ends = extended(previous.position_ends, len(previous.positions))
    positions, position_ends = _inserted(previous.positions, position_ends, keys, positions, np.diff(position_row_ends, prepend=0))
    return RefGaps(list(table.keys), order, row_ends, text, text_ends, positions, position_ends)


def can_grow(previous: RefGaps | None, table: TermTable) -> TypeGuard[RefGaps]:
    """Whether `previous` was made from the table this one starts with (`TermTable.based_on`)."""
    if previous is None or not previous.keys or previous.keys != table.based_on:
        return False
    rows = int(np.searchsorted(table.doc, len(previous.keys)))
    return rows == len(previous.order) and len(previous.row_ends) <= len(table.vocabulary) * len(FIELDS)


@dataclass
class SortedPostings:
    """The table's rows ordered by term, then field, then ref, as text: each (term, field)
    group's ref gaps and weights are a stretch of `gaps` and `weights`."""

    names: list[str]
    gaps: bytes
    weights: bytes
    gap_cuts: list[int]  # group g's gaps are gaps[gap_cuts[g] : gap_cuts[g + 1] - 1]
    weight_cuts: list[int]
    group_fields: list[int]
    first_group: list[int]  # per term number, its first group; one more at the end
    forms: dict[int, bytes]  # term number -> its forms (occurrences.form_entries)
    positions: bytes  # each group's positions (occurrences.position_text)
    position_cuts: list[int]

    def entry(self, number: int) -> bytes:
        """`[term, term index, [[field, ref gaps, weights in thousandths], …]]` as JSON, and
        the term's forms after them when it has some (`occurrences.form_entries`)."""
        gaps, gap_cuts, weights, weight_cuts = self.gaps, self.gap_cuts, self.weights, self.weight_cuts
        fields = [
            b"[%d,[%s],[%s]]" % (self.group_fields[g], gaps[gap_cuts[g] : gap_cuts[g + 1] - 1], weights[weight_cuts[g] : weight_cuts[g + 1] - 1])
            for g in range(self.first_group[number], self.first_group[number + 1])
        ]
        forms = self.forms.get(number)
        return b"[%s,%d,[%s]%s]" % (compact_json(self.names[number]), number, b",".join(fields), b"," + forms if forms else b"")

    def position_entry(self, number: int) -> bytes:
        """`[term, [[field, [positions of each ref], …]], …]` as JSON, in the entry's order:
        a ref's one position as a number, several as `[first, gaps…]`."""
        text, cuts = self.positions, self.position_cuts
        fields = [b"[%d,[%s]]" % (self.group_fields[g], text[cuts[g] : cuts[g + 1] - 1]) for g in range(self.first_group[number], self.first_group[number + 1])]
        return b"[%s,[%s]]" % (compact_json(self.names[number]), b",".join(fields))


def sorted_postings(table: TermTable, previous: RefGaps | None = None) -> tuple[SortedPostings, RefGaps]:
    """The table's postings as text, and their ref gaps (grown from `previous` when it can)."""
    # numpy lets go of the interpreter in its loops: the weights are scored and written on a
    # second thread while this one sorts the rows and writes their gaps.
    with ThreadPoolExecutor(1) as thread:
        scoring = thread.submit(bm25_thousandths, table)

        def write_weights(order: np.ndarray) -> Future[tuple[bytes, np.ndarray]]:
            return thread.submit(lambda: ascii_numbers(scoring.result()[order]))

        if can_grow(previous, table):
            gaps = grown_ref_gaps(previous, table)
            writing = write_weights(gaps.order)
        else:
            order, sizes = sorted_rows(table)
            writing = write_weights(order)
            gaps = ref_gaps(table, (order, sizes))
        forms = form_entries(table)
        weight_text, weight_starts = writing.result()
    filled = np.flatnonzero(np.diff(gaps.row_ends, prepend=0))  # the groups that have rows
    postings = SortedPostings(
        names=list(table.vocabulary),
        gaps=gaps.text,
        weights=weight_text,
        gap_cuts=np.concatenate([[0], gaps.text_ends[filled]]).tolist(),
        weight_cuts=weight_starts[np.concatenate([[0], gaps.row_ends[filled]])].tolist(),
        group_fields=(filled % len(FIELDS)).tolist(),
        first_group=np.searchsorted(filled // len(FIELDS), np.arange(len(table.vocabulary) + 1)).tolist(),
        forms=forms,
        positions=gaps.positions,
        position_cuts=np.concatenate([[0], gaps.position_ends[filled]]).tolist(),
    )
    return postings, gaps


def term_entries(postings: SortedPostings) -> list[tuple[str, bytes, bytes]]:
    """Every term in alphabetical order with its entry, as JSON: `[term, term index, [[field,
    ref gaps, weights in thousandths], …]]` (and its forms), refs (positions in the table)
    as gaps from the previous ref, about half the bytes; and its positions' entry. The term
    index is lunr's: order of first appearance."""
    numbers = sorted(range(len(postings.names)), key=postings.names.__getitem__)
    return [(postings.names[number], postings.entry(number), postings.position_entry(number)) for number in numbers]
