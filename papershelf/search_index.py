"""The search index: built with lunr.py's scoring, queried in the browser by lunr.js.

Shards. One lunr index over every abstract grows past what a first search should download,
so the postings are split by the first two characters of each term, and big shards again
by longer prefixes: a query loads the manifest, the shard of each of its words, and the
documents of the results it shows (in chunks of 8, whose names are listed in parts of 256
so that the manifest stays small however large the catalog). A shard carries each term's
global index and BM25 weights exactly as lunr.py computes them; the browser scores the
documents that can make the page shown with lunr.js over those weights, so scores equal
the unsplit index's.

The shards and the document chunks, nearly all of the index's bytes, are stored
gzip-compressed (`gz.py`); the browser decompresses them.

Words are analysed in `analysis.py`; here the catalog-wide part of lunr's builder (BM25 over
every paper's term counts) is done with array arithmetic instead of lunr.py's per-token
objects, and `build_index` keeps lunr.py's own builder as the reference the tests hold
it to.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeGuard, TypeVar

import numpy as np
from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.stemmer import stemmer
from lunr.tokenizer import Tokenizer

from papershelf.analysis import FIELD_NAMES, FIELDS, TermTable, index_term, inner_words, search_fields
from papershelf.catalog import Catalog
from papershelf.gz import SUFFIX, gzipped
from papershelf.markup import excerpt
from papershelf.paper import Paper

GZ_JSON = ".json" + SUFFIX
DOCS_PER_CHUNK = 8
CHUNKS_PER_PART = 256  # chunk names per part of the document directory
SHARD_KEY_LENGTH = 2
SHARD_BYTES = 48_000  # split shards above this size (raw JSON), so a word downloads little
MAX_KEY_LENGTH = 8
# Every shard is compressed again on every build: on shard text, zlib's level 4 takes a fifth
# of the time of its default level 6 (0.7 against 3.7 s at 100,000 papers) for 7% more bytes.
SHARD_LEVEL = 4
K1, B = 1.2, 0.75  # lunr's BM25 parameters
T = TypeVar("T")


def papershelf_analyze(token, i=None, tokens=None):
    token.update(lambda text, metadata=None: index_term(text))
    return token if str(token) else None


Pipeline.register_function(papershelf_analyze, "papershelfAnalyze")


def shard_key(term: str) -> str:
    return term[:SHARD_KEY_LENGTH]


def search_order(newest_first: list[T]) -> list[T]:
    """Papers (or their terms) in the order that gives them their refs: oldest first, so a
    new dump appends refs and the document chunks of older papers stay the same."""
    return newest_first[::-1]


def build_index(papers: list[Paper]) -> Index:
    """The catalog indexed by lunr.py's own Builder: the reference the fast path below is
    tested against, and the unsplit index the split one is compared with."""
    builder = Builder()
    builder.pipeline.add(papershelf_analyze)
    builder.search_pipeline.add(stemmer)  # what lunr.js expects to find in a serialized index
    builder.ref("ref")
    for name, boost in FIELDS:
        builder.field(name, boost=boost)
    for ref, paper in enumerate(papers):
        # Each field as lunr's tokenizer splits it, then the words inside compound ones.
        fields = [[str(token) for token in Tokenizer(text)] + inner_words(text.lower()) for text in search_fields(paper)]
        builder.add(dict(zip(FIELD_NAMES, fields), ref=str(ref)))
    return builder.build()


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


def ascii_numbers(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Non-negative integers as decimal text, each followed by a comma, and where each one
    starts (plus the end): the text of values[i:j] is `text[starts[i] : starts[j] - 1]`.
    Array arithmetic instead of ten million Python ints through json.dumps: each number is
    written at a fixed width, then its leading zeros are dropped."""
    if len(values) == 0:
        return b"", np.zeros(1, dtype=np.int64)
    if values.min() < 0 or values.max() >= 2**31:
        raise ValueError("values out of range")
    values = values.astype(np.int32)
    width = len(str(int(values.max())))
    digits = np.ones(len(values), dtype=np.int8)
    for place in range(1, width):
        digits += values >= 10**place
    columns = np.arange(width + 1)
    pieces = []
    for start in range(0, len(values), 1 << 20):  # bounded temporary memory
        rest, count = values[start : start + (1 << 20)].copy(), digits[start : start + (1 << 20)]
        chars = np.full((len(rest), width + 1), ord(","), dtype=np.uint8)
        for column in range(width - 1, -1, -1):
            rest, digit = np.divmod(rest, 10)
            chars[:, column] = digit
        chars[:, :width] += ord("0")
        pieces.append(chars[columns[None, :] >= (width - count)[:, None]])
    starts = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(digits + 1, out=starts[1:])
    return np.concatenate(pieces).tobytes(), starts


@dataclass
class RefGaps:
    """The table's rows in (term, field, ref) order, and their refs as gaps from the previous
    ref of their (term, field) group, as text. None of it depends on the size of the catalog
    (the BM25 weights do): a build that appends papers inserts the new rows at the end of
    their groups (`grown_ref_gaps`) instead of sorting ten million rows again, so it is kept
    between builds. Groups are numbered by key, term number × len(FIELDS) + field."""

    keys: list[str]  # the keys of the table it was made from (see TermTable.keys)
    order: np.ndarray  # int32: the table's rows in (term, field, ref) order
    row_ends: np.ndarray  # int64 per group key: where its rows end in `order` (cumulative)
    text: bytes  # every row's gap in that order, each number followed by a comma
    text_ends: np.ndarray  # int64 per group key: where its gaps end in `text` (cumulative)


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
    return RefGaps(list(table.keys), order, row_ends, text, starts[row_ends])


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
    order = np.insert(previous.order, row_ends[keys], rows)
    lengths = np.diff(starts)
    joined = np.insert(np.frombuffer(previous.text, dtype=np.uint8), np.repeat(text_ends[keys], lengths), np.frombuffer(text, dtype=np.uint8))
    row_ends = row_ends + np.cumsum(np.bincount(keys, minlength=groups))
    text_ends = text_ends + np.cumsum(np.bincount(keys, weights=lengths, minlength=groups).astype(np.int64))
    return RefGaps(list(table.keys), order, row_ends, joined.tobytes(), text_ends)


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

    def entry(self, number: int) -> bytes:
        """`[term, term index, [[field, ref gaps, weights in thousandths], …]]` as JSON."""
        gaps, gap_cuts, weights, weight_cuts = self.gaps, self.gap_cuts, self.weights, self.weight_cuts
        fields = [
            b"[%d,[%s],[%s]]" % (self.group_fields[g], gaps[gap_cuts[g] : gap_cuts[g + 1] - 1], weights[weight_cuts[g] : weight_cuts[g + 1] - 1])
            for g in range(self.first_group[number], self.first_group[number + 1])
        ]
        return b"[%s,%d,[%s]]" % (_json(self.names[number]), number, b",".join(fields))


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
    )
    return postings, gaps


def term_entries(postings: SortedPostings) -> list[tuple[str, bytes]]:
    """Every term in alphabetical order with its entry, as JSON: `[term, term index, [[field,
    ref gaps, weights in thousandths], …]]`, refs (positions in the table) as gaps from the
    previous ref, about half the bytes. The term index is lunr's: order of first appearance."""
    numbers = sorted(range(len(postings.names)), key=postings.names.__getitem__)
    return [(postings.names[number], postings.entry(number)) for number in numbers]


def _split(prefix_length: int, group: list[tuple[str, bytes]]) -> dict[str, list[bytes]]:
    """Shard key -> encoded entries: a group too big for one download is split by one more
    character, until it fits or holds a single prefix."""
    key = group[0][0][:prefix_length]
    if sum(len(entry) for _, entry in group) <= SHARD_BYTES or prefix_length >= MAX_KEY_LENGTH:
        return {key: [entry for _, entry in group]}
    by_prefix: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
    for term, entry in group:
        by_prefix[term[: prefix_length + 1]].append((term, entry))
    if len(by_prefix) == 1 and key in by_prefix:
        return {key: [entry for _, entry in group]}
    shards: dict[str, list[bytes]] = {}
    for prefix, items in by_prefix.items():
        if prefix == key:  # the term that is the whole prefix keeps the shorter key
            shards[key] = [entry for _, entry in items]
        else:
            shards.update(_split(prefix_length + 1, items))
    return shards


def shards_of(entries: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """Shard key -> shard file. Terms are split by their first SHARD_KEY_LENGTH characters,
    and shards bigger than SHARD_BYTES again by longer prefixes; a term lives in the shard of
    the longest key that starts it (the browser finds it the same way)."""
    groups: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
    for term, entry in entries:
        groups[shard_key(term)].append((term, entry))
    head = b'{"fields":' + _json(FIELD_NAMES) + b',"terms":['
    shards: dict[str, bytes] = {}
    for group in groups.values():
        for key, encoded in _split(SHARD_KEY_LENGTH, group).items():
            shards[key] = head + b",".join(encoded) + b"]}"
    return shards


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]


def _hashed(folder: str, stem: str, data: bytes, suffix: str = ".json") -> str:
    return f"{folder}{stem}.{_digest(data)}{suffix}"


@dataclass
class SearchFiles:
    """Output path → bytes (or what makes them) for everything the search page loads, and
    the manifest's path."""

    files: dict[str, bytes | Callable[[], bytes]] = field(default_factory=dict)
    manifest_path: str = ""
    index_bytes: int = 0


# Characters of the abstract a search result carries, for its snippet: the matched words
# are highlighted in it. The whole abstract is on the paper's page; carrying it here would
# double what the documents weigh.
RESULT_ABSTRACT = 300


def _doc(paper: Paper, tag_number: dict[str, int]) -> dict:
    """A paper as search results show it."""
    return {
        "t": paper.title,
        "s": paper.name_beside_title,
        "u": paper.slug,
        "g": [tag_number[name] for name in paper.tags if name in tag_number],
        "c": 1 if paper.code_links else 0,
        "a": excerpt(paper.abstract, RESULT_ABSTRACT),
    }


def index_shards(table: TermTable, previous: RefGaps | None = None) -> tuple[dict[str, bytes], RefGaps]:
    """Shard key -> shard file as stored (gzip-compressed JSON), for the papers of `table`;
    and the ref gaps, for the next build to grow (`previous`: the last build's). Compressed
    here, in the worker that makes the index beside related papers: every shard changes on
    every build (its BM25 weights depend on the catalog's size)."""
    postings, gaps = sorted_postings(table, previous)
    return {key: gzipped(data, SHARD_LEVEL) for key, data in shards_of(term_entries(postings)).items()}, gaps


def search_files(catalog: Catalog, table: TermTable, code: str = "", shards: dict[str, bytes] | None = None) -> SearchFiles:
    """The search files of a catalog; `table` holds its papers' terms in search order, and
    `shards` its index shards when they are made already (`index_shards`).

    A document chunk is named by a digest of what it is made from (`code`, a digest of the
    program that writes it, the table's keys of its papers and the tags' numbering) rather
    than of its bytes, so it is encoded only when the site lacks it, by the page workers.
    Chunks of papers with no key are encoded here and named by their bytes."""
    result = SearchFiles()

    def add(stem: str, data: bytes, suffix: str = ".json") -> str:
        """A file named by a digest of its bytes."""
        path = _hashed("search/", stem, data, suffix)
        result.files[path] = data
        return path

    papers = search_order(catalog.papers)
    shard_files = shards if shards is not None else index_shards(table)[0]
    shard_paths = {key: add(f"t/{key.encode('utf-8').hex()}", data, GZ_JSON) for key, data in shard_files.items()}
    tag_number = {tag.name: number for number, tag in enumerate(catalog.tags)}
    layout = json.dumps([code, DOCS_PER_CHUNK, list(tag_number)])
    chunks = []
    for start in range(0, len(papers), DOCS_PER_CHUNK):
        part, keys = papers[start : start + DOCS_PER_CHUNK], table.keys[start : start + DOCS_PER_CHUNK]

        def encode(part: list[Paper] = part) -> bytes:
            return _json([_doc(paper, tag_number) for paper in part])

        if all(keys):
            digest = _digest("|".join([layout, *keys]).encode("utf-8"))

            def compressed(encode: Callable[[], bytes] = encode) -> bytes:
                return gzipped(encode())

            result.files[f"search/d/{start // DOCS_PER_CHUNK}.{digest}{GZ_JSON}"] = compressed
        else:
            stored = gzipped(encode())
            digest = _digest(stored)
            result.files[f"search/d/{start // DOCS_PER_CHUNK}.{digest}{GZ_JSON}"] = stored
        chunks.append(digest)  # a chunk is named by its digest only
    # The chunks' names, in parts: the manifest lists only the parts, so it stays small as
    # the catalog grows (12,500 chunk names were 60 KB of a first search's download at
    # 100,000 papers), and a new dump changes the last part only.
    directory = [add(f"p/{start // CHUNKS_PER_PART}", _json(chunks[start : start + CHUNKS_PER_PART])) for start in range(0, len(chunks), CHUNKS_PER_PART)]
    refs_of_tag: list[list[int]] = [[] for _ in catalog.tags]
    for ref, paper in enumerate(papers):  # refs in order: each tag's list comes sorted
        for number in {tag_number[name] for name in paper.tags if name in tag_number}:
            refs_of_tag[number].append(ref)
    tag_refs = [add(f"g/{number}", _json(refs)) for number, refs in enumerate(refs_of_tag)]
    code_refs = add("code", _json([ref for ref, paper in enumerate(papers) if paper.code_links]))
    manifest = {
        "count": len(papers),
        "docsPerChunk": DOCS_PER_CHUNK,
        "chunksPerPart": CHUNKS_PER_PART,
        "shards": shard_paths,
        # Chunk i is search/d/<i>.<digest>.json.gz, its digest item i % chunksPerPart of the
        # part listed at i // chunksPerPart.
        "docParts": directory,
        "tags": [[tag.name, tag.slug, len(tag.papers), tag_refs[n]] for n, tag in enumerate(catalog.tags)],
        "code": code_refs,
    }
    result.manifest_path = add("manifest", _json(manifest))
    result.index_bytes = sum(len(data) for path, data in result.files.items() if path.startswith("search/t/") and isinstance(data, bytes))
    return result
