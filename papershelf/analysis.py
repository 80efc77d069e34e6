"""The words of each paper, as search and related papers see them.

Words. The search index and the browser must cut and normalize words identically, or a word
on a page would not find its paper. Lunr's trimmers differ between Python (Unicode `\\w`)
and JavaScript (ASCII `\\w`), so both use the same step instead: fold accents (NFKD, marks
dropped), trim what is not a letter or digit from both ends, then Porter-stem. It is
written twice, here and in `static/search-core.js`; the whole-vocabulary test proves the two
agree. Stop words are kept: every word of a paper, typed alone, finds it.

Analysing a paper's text is the dearest step per paper and depends on the paper alone, so
it is done once per version of a paper's file: the catalog's term table (`TermTable`, every
paper's term counts as flat arrays) is kept between builds, and the next build copies the
rows of unchanged papers from it. What depends on the whole catalog (document frequencies,
average lengths) is array arithmetic over that table.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from array import array
from dataclasses import dataclass
from functools import cache

import numpy as np
from lunr.stemmer import PorterStemmer

from papershelf.paper import Paper
from papershelf.parallel import PARALLEL_FROM, map_slices

# The fields search looks in, with lunr's boost of each: a word in a title counts most.
FIELDS = (("title", 10), ("short_name", 5), ("tags", 3), ("abstract", 1))
FIELD_NAMES = tuple(name for name, _ in FIELDS)
TITLE, ABSTRACT = FIELD_NAMES.index("title"), FIELD_NAMES.index("abstract")


def normalize_word(word: str) -> str:
    """Accents folded, then non-letters and non-digits trimmed from both ends."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.category(c).startswith("M"))
    start, end = 0, len(folded)
    while start < end and not folded[start].isalnum():
        start += 1
    while end > start and not folded[end - 1].isalnum():
        end -= 1
    return folded[start:end]


class LunrJsStemmer(PorterStemmer):
    """lunr.py's Porter stemmer with lunr.js's step 1c, where they differ: a final y becomes i
    only after a consonant that has at least one letter before it (`happy` → `happi`, but
    `key` stays `key`, where lunr.py would give `kei`)."""

    _STEP_1C = re.compile(r"^(.+?[^aeiou])y$")
    b: str  # the word being stemmed, as PorterStemmer keeps it
    k: int
    k0: int

    def step1c(self) -> None:
        if self._STEP_1C.match(self.b[self.k0 : self.k + 1]):
            self.b = self.b[: self.k] + "i" + self.b[self.k + 1 :]


_stemmer = LunrJsStemmer()


# lunr reads `*` in a query term as "any letters": inside a word (O(n*d)) it is a character,
# so terms hold U+2217 (asterisk operator) instead; search-core.js does the same.
_LITERAL_STAR = str.maketrans("*", "\u2217")


@cache  # a catalog has a few hundred thousand distinct words, each met many times
def form_and_term(word: str) -> tuple[str, str]:
    """A (lower-cased) word's form, as an exact match compares it (normalized, not stemmed),
    and the term it is indexed under; both '' for a word with no letter or digit."""
    normalized = normalize_word(word)
    if not normalized:
        return "", ""
    return normalized.translate(_LITERAL_STAR), _stemmer.stem(normalized).translate(_LITERAL_STAR)


def index_term(word: str) -> str:
    """The term a (lower-cased) word is indexed under; '' for a word with no letter or digit."""
    return form_and_term(word)[1]


# lunr.py's tokenizer splits on these characters, after lower-casing.
_SEPARATORS = re.compile(r"[ \t\n\r\f\v\xa0\-]+")


# Letters or digits joined by marks inside one of lunr's tokens: URLs, hosts, paths, dotted
# names and possessives (`github.com/x/qvlm`, `ivrl.github.io`, `aka.ms/BLURB`, `model's`).
_COMPOUND = re.compile(r"[^\W_]+(?:[^\w\s]+[^\W_]+)+")
_PART = re.compile(r"[^\W_]+")
_INNER_MARK = re.compile(r"[^\W_][^\w\s]+[^\W_]")
_HOST = re.compile(r"(?:[a-z]+://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?=[/:])")
# A hyphenated name short enough to be typed as one word (`Q-VLM` as `qvlm`, `GPT-4` as `gpt4`).
NAME_LENGTH = 12


def inner_words(lowered: str) -> list[str]:
    """The words inside compound tokens, which lunr's tokenizer keeps whole: their parts (of
    two letters or more, not bare numbers), a link's host, and a short hyphenated name with
    a piece of at most three letters or with digits, written as one word. Hyphens split
    tokens already, so `Q-VLM` is `q` and `vlm` besides."""
    words = []
    # Only the few chunks with a mark between letters or digits go through the pattern.
    chunks = [chunk for chunk in lowered.split() if not chunk.isalnum() and _INNER_MARK.search(chunk)]
    for compound in (compound for chunk in chunks for compound in _COMPOUND.findall(chunk)):
        host = _HOST.match(compound)
        if host and host.end() < len(compound):
            words.append(host.group(1))
        pieces = compound.split("-")
        for piece in pieces:
            parts = _PART.findall(piece)
            if len(parts) > 1:
                words += [part for part in parts if len(part) > 1 and not part.isdigit()]
        joined = "".join(pieces)
        if 2 <= len(pieces) <= 3 and joined.isalnum() and len(joined) <= NAME_LENGTH and any(len(p) <= 3 or not p.isalpha() for p in pieces):
            words.append(joined)
    return words


def _word_groups(text: str) -> tuple[list[str], list[str]]:
    """A field's words as lunr.py's tokenizer cuts them (split on spaces and hyphens,
    lower-cased), and the words inside compound ones. Printable ASCII text (nearly all of
    it) has no separator but spaces and hyphens, and is split without the pattern, several
    times quicker."""
    lowered = text.lower()
    words = lowered.replace("-", " ").split(" ") if lowered.isascii() and lowered.isprintable() else _SEPARATORS.split(lowered)
    return words, inner_words(lowered)


def field_words(text: str) -> list[str]:
    """The words of a field: lunr.py's tokenizer's, then the words inside compound ones."""
    words, inner = _word_groups(text)
    return words + inner


def field_terms(text: str) -> list[str]:
    """The terms lunr.py's Builder indexes for a field given its `field_words`."""
    return list(filter(None, map(index_term, field_words(text))))  # words that are all punctuation have no term


def field_tokens(text: str) -> list[tuple[str, str, int]]:
    """The field's terms in order, each with its form and position, for phrases and exact
    words: positions count the words that have a term, and the words inside compound ones
    come after one empty position, so that they never run on from the field's last word."""
    tokens = []
    position = 0
    for group in _word_groups(text):
        for word in group:
            form, term = form_and_term(word)
            if term:
                tokens.append((term, form, position))
                position += 1
        position += 1
    return tokens


def search_fields(paper: Paper) -> tuple[str, ...]:
    """The text of each of FIELDS. A short name the title says already ("Q-VLM: …") is not
    indexed again: its words would count twice."""
    return (paper.title, paper.name_beside_title, " ".join(paper.tags), paper.abstract)


@dataclass(frozen=True)
class PaperTerms:
    """One paper's analysed fields: per field, its distinct terms in order of first
    appearance (the order lunr numbers new terms in), their counts, its length, and the
    form and position of each occurrence of its terms, term after term."""

    terms: tuple[tuple[str, ...], ...]
    counts: tuple[tuple[int, ...], ...]
    lengths: tuple[int, ...]
    forms: tuple[tuple[str, ...], ...]
    positions: tuple[tuple[int, ...], ...]


def analyze(paper: Paper) -> PaperTerms:
    terms, counts, lengths, forms, positions = [], [], [], [], []
    for text in search_fields(paper):
        tokens = field_tokens(text)
        by_term: dict[str, list[tuple[str, int]]] = {}
        for term, form, position in tokens:
            by_term.setdefault(term, []).append((form, position))
        terms.append(tuple(by_term))
        counts.append(tuple(map(len, by_term.values())))
        lengths.append(len(tokens))
        forms.append(tuple(form for found in by_term.values() for form, _ in found))
        positions.append(tuple(position for found in by_term.values() for _, position in found))
    return PaperTerms(tuple(terms), tuple(counts), tuple(lengths), tuple(forms), tuple(positions))


@dataclass
class TermTable:
    """Every (paper, field, term) of a list of papers with its count, as flat arrays in the
    order lunr's builder meets them: by paper, then field, then first appearance. `keys`
    say which version of each paper it holds (the digest of its file; '' when unknown), so
    that the next build can take the rows of unchanged papers from it."""

    vocabulary: dict[str, int]  # term -> number, in order of first appearance
    doc: np.ndarray  # int32: the paper's position in the list
    field: np.ndarray  # int8: the field's position in FIELDS
    term: np.ndarray  # int32: the term's number
    count: np.ndarray  # int32: how often the term is in that field of that paper
    lengths: np.ndarray  # int32, papers × fields: the field's length in terms
    # Every occurrence of a term, row after row (a row's `count` of them, in order): its
    # form's number in `forms` and its position in the field (see field_tokens).
    forms: dict[str, int]  # form -> number, in order of first appearance
    form: np.ndarray  # int32
    position: np.ndarray  # int32
    keys: list[str] = dataclasses.field(default_factory=list)
    # The keys of the previous build's table when this table starts with its rows as they
    # were (same papers, same places, same terms: see catalog_table); empty otherwise.
    based_on: list[str] = dataclasses.field(default_factory=list)

    def row_starts(self) -> np.ndarray:
        """Where each paper's rows start, plus the end."""
        starts = np.zeros(len(self.lengths) + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.doc, minlength=len(self.lengths)), out=starts[1:])
        return starts

    def occurrence_starts(self) -> np.ndarray:
        """Where each row's occurrences start in `form` and `position`, plus the end."""
        starts = np.zeros(len(self.count) + 1, dtype=np.int64)
        np.cumsum(self.count, out=starts[1:])
        return starts


def term_table(analysed: list[PaperTerms]) -> TermTable:
    """The table of these analysed papers."""
    vocabulary: dict[str, int] = {}
    forms: dict[str, int] = {}
    number, form_number = vocabulary.setdefault, forms.setdefault
    # C arrays, not lists: ten million Python ints would take hundreds of megabytes.
    term_ids, counts, sizes, form_ids, positions = array("i"), array("i"), array("q"), array("i"), array("i")
    for paper in analysed:
        for terms, field_counts, field_forms, field_positions in zip(paper.terms, paper.counts, paper.forms, paper.positions):
            term_ids.extend([number(term, len(vocabulary)) for term in terms])
            counts.extend(field_counts)
            sizes.append(len(terms))
            form_ids.extend([form_number(form, len(forms)) for form in field_forms])
            positions.extend(field_positions)
    fields = len(FIELDS)
    per_cell = np.frombuffer(sizes, dtype=np.int64) if sizes else np.zeros(0, np.int64)
    return TermTable(
        vocabulary=vocabulary,
        doc=np.repeat(np.arange(len(analysed), dtype=np.int32), per_cell.reshape(-1, fields).sum(axis=1)),
        field=np.repeat(np.tile(np.arange(fields, dtype=np.int8), len(analysed)), per_cell),
        term=np.array(term_ids, dtype=np.int32),
        count=np.array(counts, dtype=np.int32),
        lengths=np.asarray([paper.lengths for paper in analysed], dtype=np.int32).reshape(-1, fields),
        forms=forms,
        form=np.array(form_ids, dtype=np.int32),
        position=np.array(positions, dtype=np.int32),
    )


def numbers_in(numbers: dict[str, int], vocabulary: dict[str, int]) -> np.ndarray:
    """For each term of `vocabulary` (in its numbering), its number in `numbers`, which
    gains the terms it lacked."""
    return np.array([numbers.setdefault(term, len(numbers)) for term in vocabulary], dtype=np.int32)


def _renumbered(names: list[str], numbers: np.ndarray) -> tuple[dict[str, int], np.ndarray]:
    """Numbers that index `names` in any order, renumbered in order of first appearance."""
    first = np.full(len(names), len(numbers), dtype=np.int64)
    np.minimum.at(first, numbers, np.arange(len(numbers)))  # where each number first appears
    seen = np.flatnonzero(first < len(numbers))
    by_appearance = seen[np.argsort(first[seen])]
    renumber = np.empty(len(names), dtype=np.int32)
    renumber[by_appearance] = np.arange(len(by_appearance), dtype=np.int32)
    return {names[old]: new for new, old in enumerate(by_appearance.tolist())}, renumber[numbers]


def by_first_appearance(
    names: list[str], doc: np.ndarray, field: np.ndarray, term: np.ndarray, count: np.ndarray, lengths: np.ndarray, keys: list[str], form_names: list[str], form: np.ndarray, position: np.ndarray
) -> TermTable:
    """A table from rows whose `term` numbers index `names` (and occurrences whose `form`
    numbers index `form_names`) in any order: renumbered in order of first appearance, as
    lunr numbers terms."""
    vocabulary, terms = _renumbered(names, term)
    forms, form_numbers = _renumbered(form_names, form)
    return TermTable(vocabulary=vocabulary, doc=doc, field=field, term=terms, count=count, lengths=lengths, forms=forms, form=form_numbers, position=position, keys=keys)


def analysed_table(papers: list[Paper], keys: list[str]) -> TermTable:
    """The table of these papers, analysed on every core when there are many: each worker
    sends back the table of its share (arrays, cheap to pass between processes), and the
    tables are joined."""
    parts = map_slices(lambda start, stop: term_table([analyze(paper) for paper in papers[start:stop]]), len(papers), PARALLEL_FROM["analyse papers"])
    if len(parts) < 2:
        table = parts[0][1] if parts else term_table([])
        table.keys = list(keys)
        return table
    return joined_table(parts, keys)


def joined_table(parts: list[tuple[int, TermTable]], keys: list[str]) -> TermTable:
    """One table from the tables of consecutive shares of a list of papers, each given with
    the position of its first paper. Each share numbers its terms by first appearance, so
    numbering them share after share numbers the whole table by first appearance too."""
    numbers: dict[str, int] = {}
    form_numbers: dict[str, int] = {}
    terms = [numbers_in(numbers, part.vocabulary)[part.term] for _, part in parts]
    forms = [numbers_in(form_numbers, part.forms)[part.form] for _, part in parts]
    return TermTable(
        vocabulary=numbers,
        doc=np.concatenate([part.doc + start for start, part in parts]),
        field=np.concatenate([part.field for _, part in parts]),
        term=np.concatenate(terms),
        count=np.concatenate([part.count for _, part in parts]),
        lengths=np.concatenate([part.lengths for _, part in parts]),
        forms=form_numbers,
        form=np.concatenate(forms),
        position=np.concatenate([part.position for _, part in parts]),
        keys=list(keys),
    )


# A dump that brings papers seen before gives their files new versions (one more source)
# with the same words: up to this many such papers are analysed again and compared with
# their rows in the previous table; more (a retagging, say) and the table is made anew.
SAME_ROWS_CHECKED = 2000


def _starts_as_before(previous: TermTable, papers: list[Paper], keys: list[str]) -> bool:
    """Whether `papers` start with the previous table's papers, each in the same place and
    either in the same version or with the same rows (a new version that changed no word)."""
    if not all(previous.keys) or len(keys) < len(previous.keys):
        return False
    changed = [i for i, (old, new) in enumerate(zip(previous.keys, keys)) if old != new]
    if len(changed) > SAME_ROWS_CHECKED:
        return False
    names, form_names = (list(previous.vocabulary), list(previous.forms)) if changed else ([], [])
    occurrences = previous.occurrence_starts() if changed else np.zeros(0, dtype=np.int64)
    for i in changed:
        start, stop = np.searchsorted(previous.doc, [i, i + 1]).tolist()
        now = analyze(papers[i])
        rows = [(field, term, count) for field, (terms, counts) in enumerate(zip(now.terms, now.counts)) for term, count in zip(terms, counts)]
        before = zip(previous.field[start:stop].tolist(), [names[n] for n in previous.term[start:stop].tolist()], previous.count[start:stop].tolist())
        first, last = int(occurrences[start]), int(occurrences[stop])
        forms_before = [form_names[n] for n in previous.form[first:last].tolist()]
        if (
            now.lengths != tuple(previous.lengths[i].tolist())
            or rows != list(before)
            or [form for forms in now.forms for form in forms] != forms_before
            or [p for positions in now.positions for p in positions] != previous.position[first:last].tolist()
        ):
            return False
    return True


def catalog_table(papers: list[Paper], keys: list[str], previous: TermTable | None) -> TermTable:
    """The term table of `papers`, whose files have digests `keys`. The rows of a paper the
    previous build's table holds in the same version (or with the same words) are copied
    from it; only new and changed papers are analysed. The result equals analysing every
    paper."""
    if previous is not None and _starts_as_before(previous, papers, keys):
        # The usual case: a new dump's papers are the newest, and come last in search order.
        fresh = analysed_table(papers[len(previous.keys) :], keys[len(previous.keys) :])
        table = joined_table([(0, previous), (len(previous.keys), fresh)], keys)
        table.based_on = previous.keys
        return table
    reusable = {key: number for number, key in enumerate(previous.keys) if key} if previous is not None else {}
    missing = [i for i, key in enumerate(keys) if key not in reusable]
    if previous is None or len(missing) == len(papers):
        return analysed_table(papers, keys)
    fresh = analysed_table([papers[i] for i in missing], [keys[i] for i in missing])
    numbers, form_numbers = dict(previous.vocabulary), dict(previous.forms)
    fresh_ids, fresh_form_ids = numbers_in(numbers, fresh.vocabulary), numbers_in(form_numbers, fresh.forms)
    names = list(numbers)
    # Every paper's rows as a block of one long array: the previous rows, then the fresh ones.
    old_starts, fresh_starts = previous.row_starts(), fresh.row_starts() + len(previous.term)
    fresh_number = {i: m for m, i in enumerate(missing)}
    block_start = np.empty(len(papers), dtype=np.int64)
    block_end = np.empty(len(papers), dtype=np.int64)
    lengths = np.empty((len(papers), len(FIELDS)), dtype=np.int32)
    for i, key in enumerate(keys):
        if i in fresh_number:
            m = fresh_number[i]
            block_start[i], block_end[i], lengths[i] = fresh_starts[m], fresh_starts[m + 1], fresh.lengths[m]
        else:
            j = reusable[key]
            block_start[i], block_end[i], lengths[i] = old_starts[j], old_starts[j + 1], previous.lengths[j]
    rows = gathered(block_start, block_end)
    count = np.concatenate([previous.count, fresh.count])
    # The same blocks of the occurrences, which lie in row order too.
    occurrences = np.zeros(len(count) + 1, dtype=np.int64)
    np.cumsum(count, out=occurrences[1:])
    taken = gathered(occurrences[block_start], occurrences[block_end])
    return by_first_appearance(
        names,
        doc=np.repeat(np.arange(len(papers), dtype=np.int32), block_end - block_start),
        field=np.concatenate([previous.field, fresh.field])[rows],
        term=np.concatenate([previous.term, fresh_ids[fresh.term]])[rows],
        count=count[rows],
        lengths=lengths,
        keys=list(keys),
        form_names=list(form_numbers),
        form=np.concatenate([previous.form, fresh_form_ids[fresh.form]])[taken],
        position=np.concatenate([previous.position, fresh.position])[taken],
    )


def gathered(block_start: np.ndarray, block_end: np.ndarray) -> np.ndarray:
    """The indices of blocks [start, end) of one long array, block after block."""
    sizes = block_end - block_start
    before = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(sizes[:-1], out=before[1:])
    return np.repeat(block_start - before, sizes) + np.arange(int(sizes.sum()))
