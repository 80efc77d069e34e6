"""Where each term occurs, beyond its postings: the forms a term is written in, so that a
paper holding the very word typed (`recenters`) ranks above papers holding only another
word of its stem (`recent`), and each occurrence's position, so that a quoted phrase
matches its words adjacent and in order. Both are array arithmetic over the term table's
occurrences (`TermTable.form`, `TermTable.position`), written as text in the order of the
postings (term, field, ref)."""

from __future__ import annotations

import numpy as np

from papershelf.analysis import TermTable, gathered
from papershelf.search.encoding import ascii_numbers, compact_json, gaps_within


def _gaps_by_group(group: np.ndarray, refs: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Refs sorted by group then ref, as gaps from the previous ref of their group (the first
    as it is), in text; and where each group's text starts, plus the end, for groups 0…max."""
    if len(refs) == 0:
        return b"", np.zeros(1, dtype=np.int64)
    first = np.ones(len(refs), dtype=bool)
    first[1:] = group[1:] != group[:-1]
    text, starts = ascii_numbers(gaps_within(refs, first))
    group_starts = starts[np.searchsorted(group, np.arange(int(group[-1]) + 2))]
    return text, group_starts


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by sorting: numpy 2's hashing np.unique takes several times longer on
    millions of integers."""
    ordered = np.sort(values)
    distinct = np.ones(len(ordered), dtype=bool)
    distinct[1:] = ordered[1:] != ordered[:-1]
    return ordered[distinct]


def form_entries(table: TermTable) -> dict[int, bytes]:
    """Term number -> its forms as JSON, for every term that is written in a form other
    than itself: its one form (`"readable"`), or `[[form, ref gaps], …]`, its most used
    form first, with the refs of the papers that have the term but never that form, then
    its other forms, alphabetically, each with the refs of the papers that have it. A term
    without an entry is written only as itself (`model` in every paper with the term)."""
    term_names, form_names = list(table.vocabulary), list(table.forms)
    occurrence_term = np.repeat(table.term, table.count)
    form_term = np.zeros(len(form_names), dtype=np.int32)
    form_term[table.form] = occurrence_term
    forms_of_term = np.bincount(form_term, minlength=len(term_names))
    several = forms_of_term > 1
    entries = {
        int(form_term[number]): compact_json(name)  # its one form, in every paper that has it
        for number, name in enumerate(form_names)
        if not several[form_term[number]] and name != term_names[form_term[number]]
    }
    if not several.any():
        return entries
    # The (form, ref) pairs of the terms written in several forms, by form then ref.
    documents = len(table.lengths)
    chosen = several[occurrence_term]
    pairs = sorted_unique(table.form[chosen].astype(np.int64) * documents + np.repeat(table.doc, table.count)[chosen])
    pair_form, pair_ref = np.divmod(pairs, documents)
    uses = np.bincount(pair_form, minlength=len(form_names))
    # Each such term's most used form: most papers, then first by name.
    rank_by_name = np.empty(len(form_names), dtype=np.int64)
    rank_by_name[np.argsort(np.array(form_names, dtype=object), kind="stable")] = np.arange(len(form_names))
    candidates = np.flatnonzero(several[form_term] & (uses > 0))
    best_first = candidates[np.lexsort((rank_by_name[candidates], -uses[candidates], form_term[candidates]))]
    is_first = np.ones(len(best_first), dtype=bool)
    is_first[1:] = form_term[best_first[1:]] != form_term[best_first[:-1]]
    dominant = np.zeros(len(form_names), dtype=bool)
    dominant[best_first[is_first]] = True
    # The papers of a term that lack its most used form: its (term, ref) pairs less those
    # of that form (one per paper that has it).
    term_ref = form_term[pair_form].astype(np.int64) * documents + pair_ref
    term_refs = sorted_unique(term_ref)
    lacking = term_refs[~np.isin(term_refs, term_ref[dominant[pair_form]], assume_unique=True)]
    lacking_term, lacking_ref = np.divmod(lacking, documents)
    lacking_text, lacking_starts = _gaps_by_group(lacking_term, lacking_ref)
    other = ~dominant[pair_form]
    other_text, other_starts = _gaps_by_group(pair_form[other], pair_ref[other])

    def refs(text: bytes, starts: np.ndarray, group: int) -> bytes:
        if group + 1 >= len(starts) or starts[group + 1] == starts[group]:
            return b""
        return text[starts[group] : starts[group + 1] - 1]

    term_starts = np.flatnonzero(is_first).tolist() + [len(best_first)]
    for start, stop in zip(term_starts, term_starts[1:]):
        forms = best_first[start:stop].tolist()  # the term's forms, most used first
        term = int(form_term[forms[0]])
        listed = [b"[%s,[%s]]" % (compact_json(form_names[forms[0]]), refs(lacking_text, lacking_starts, term))]
        listed += [b"[%s,[%s]]" % (compact_json(form_names[f]), refs(other_text, other_starts, f)) for f in sorted(forms[1:], key=form_names.__getitem__)]
        entries[term] = b"[%s]" % b",".join(listed)
    return entries


ROWS_AT_ONCE = 1 << 20  # rows written at a time: the temporaries are a few per occurrence


def position_text(table: TermTable, order: np.ndarray) -> tuple[bytes, np.ndarray]:
    """The positions of the table's rows taken in `order` (the postings' order), as text:
    per row its one position, or its positions as `[first, gaps…]`, each followed by a
    comma; and where each row's text ends (cumulative)."""
    starts = table.occurrence_starts()
    pieces, ends, written = [], [np.zeros(0, dtype=np.int64)], 0
    for start in range(0, len(order), ROWS_AT_ONCE):
        text, row_ends = _rows_position_text(table, starts, order[start : start + ROWS_AT_ONCE])
        pieces.append(text)
        ends.append(row_ends + written)
        written += len(text)
    return b"".join(pieces), np.concatenate(ends)


def _rows_position_text(table: TermTable, all_starts: np.ndarray, order: np.ndarray) -> tuple[bytes, np.ndarray]:
    """position_text of some rows; `all_starts`: the table's occurrence_starts."""
    counts = table.count[order].astype(np.int64)
    occurrence_starts = all_starts[order]
    before = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=before[1:])
    positions = table.position[gathered(occurrence_starts, occurrence_starts + counts)]
    first = np.zeros(len(positions), dtype=bool)
    first[before[:-1][counts > 0]] = True
    text, starts = ascii_numbers(gaps_within(positions, first))
    # A row of several occurrences is bracketed: `[` before its first, `]` before the comma
    # after its last.
    several = counts > 1
    opens, closes = starts[before[:-1][several]], starts[before[1:][several]] - 1
    inserted = np.concatenate([opens, closes])  # never the same place twice
    marks = np.concatenate([np.full(len(opens), ord("["), dtype=np.uint8), np.full(len(closes), ord("]"), dtype=np.uint8)])
    by_place = np.argsort(inserted, kind="stable")
    joined = np.insert(np.frombuffer(text, dtype=np.uint8), inserted[by_place], marks[by_place])
    row_ends = starts[before[1:]] + 2 * np.cumsum(several)
    return joined.tobytes(), row_ends
