"""The search index: built with lunr.py's scoring, queried in the browser by lunr.js.

Shards. One lunr index over every abstract grows past what a first search should download,
so the postings are split by the first two characters of each term, and big shards again
by longer prefixes: a query loads the manifest, the shard of each of its words, and the
documents of the results it shows. A shard carries each term's global index and BM25
weights exactly as lunr.py computes them, and the browser turns it back into a lunr.js
index, so scores equal the unsplit index's.

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
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.stemmer import stemmer

from papershelf.analysis import FIELD_NAMES, FIELDS, PaperTerms, TermTable, index_term, search_fields, term_table
from papershelf.catalog import Catalog
from papershelf.paper import Paper

DOCS_PER_CHUNK = 8
SHARD_KEY_LENGTH = 2
SHARD_BYTES = 48_000  # split shards above this size (raw JSON), so a word downloads little
MAX_KEY_LENGTH = 8
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
        builder.add(dict(zip(FIELD_NAMES, search_fields(paper)), ref=str(ref)))
    return builder.build()


@dataclass
class Postings:
    """What lunr.py's Builder computes: each term's index (in order of first appearance, as
    lunr numbers them) and, per term and field, the refs that contain it with their BM25
    weights in thousandths (lunr rounds weights to three decimals, so this is exact)."""

    term_index: dict[str, int]
    postings: dict[str, list[list]]  # term -> [[field number, refs, thousandths], …]


def bm25_thousandths(table: TermTable) -> np.ndarray:
    """lunr's BM25 weight of every row of the table, times 1000 and rounded as lunr rounds
    it. Same operations in the same order as lunr.py, so the same floating-point results."""
    documents = len(table.lengths)
    frequency = np.bincount(table.term, minlength=len(table.vocabulary)).tolist()  # lunr counts per field
    idf = np.array([math.log(1 + abs((documents - n + 0.5) / (n + 0.5))) for n in frequency])
    averages = np.array([int(total) / documents for total in table.lengths.sum(axis=0)])
    boosts = np.array([boost for _, boost in FIELDS], dtype=np.float64)
    tf = table.count.astype(np.float64)
    length = table.lengths[table.doc, table.field].astype(np.float64)
    score = idf[table.term] * ((K1 + 1) * tf) / (K1 * (1 - B + B * (length / averages[table.field])) + tf)
    score = score * boosts[table.field]
    scaled = score * 1000
    thousandths = np.rint(scaled).astype(np.int64)
    # Python's round(x, 3) rounds the exact binary value; where scaling by 1000 lands
    # next to a half, let Python decide.
    near_half = np.flatnonzero(np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6)
    for i in near_half.tolist():
        thousandths[i] = round(round(float(score[i]), 3) * 1000)
    return thousandths


def build_postings(analysed: list[PaperTerms]) -> Postings:
    """lunr's postings for papers with these terms (refs are positions in the list)."""
    table = term_table(analysed)
    thousandths = bm25_thousandths(table)
    order = np.argsort(table.term.astype(np.int64) * len(FIELDS) + table.field, kind="stable")
    terms, fields, refs, weights = table.term[order], table.field[order], table.doc[order], thousandths[order]
    group_starts = np.flatnonzero(np.r_[True, (terms[1:] != terms[:-1]) | (fields[1:] != fields[:-1])]) if len(order) else np.zeros(0, np.int64)
    gaps = np.diff(refs, prepend=0)
    gaps[group_starts] = refs[group_starts]
    bounds = np.r_[group_starts, len(order)].tolist()
    names = list(table.vocabulary)
    gap_list, weight_list = gaps.tolist(), weights.tolist()
    group_terms, group_fields = terms[group_starts].tolist(), fields[group_starts].tolist()
    postings: dict[str, list[list]] = {}
    for g, (term, number) in enumerate(zip(group_terms, group_fields)):
        postings.setdefault(names[term], []).append([number, gap_list[bounds[g] : bounds[g + 1]], weight_list[bounds[g] : bounds[g + 1]]])
    return Postings(table.vocabulary, postings)


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


def shards_of(index: Postings) -> dict[str, bytes]:
    """Shard key -> shard file. Terms are split by their first SHARD_KEY_LENGTH characters,
    and shards bigger than SHARD_BYTES again by longer prefixes; a term lives in the shard of
    the longest key that starts it (the browser finds it the same way). A term's entry is
    `[term, term index, [[field, ref gaps, weights in thousandths], …]]`: refs as gaps from
    the previous ref, about half the bytes."""
    groups: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
    for term in sorted(index.postings):
        groups[shard_key(term)].append((term, _json([term, index.term_index[term], index.postings[term]])))
    head = b'{"fields":' + _json(FIELD_NAMES) + b',"terms":['
    shards: dict[str, bytes] = {}
    for group in groups.values():
        for key, entries in _split(SHARD_KEY_LENGTH, group).items():
            shards[key] = head + b",".join(entries) + b"]}"
    return shards


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _hashed(folder: str, stem: str, data: bytes) -> str:
    return f"{folder}{stem}.{hashlib.sha256(data).hexdigest()[:10]}.json"


@dataclass
class SearchFiles:
    """Output path → bytes for everything the search page loads, and the manifest's path."""

    files: dict[str, bytes] = field(default_factory=dict)
    manifest_path: str = ""
    index_bytes: int = 0


def search_files(catalog: Catalog, analysed: list[PaperTerms]) -> SearchFiles:
    """The search files of a catalog whose papers (newest first) have these terms."""
    result = SearchFiles()

    def add(stem: str, data: bytes) -> str:
        path = _hashed("search/", stem, data)
        result.files[path] = data
        return path

    papers = search_order(catalog.papers)
    shards = {key: add(f"t/{key.encode('utf-8').hex()}", data) for key, data in shards_of(build_postings(search_order(analysed))).items()}
    tag_number = {tag.name: number for number, tag in enumerate(catalog.tags)}
    docs = [
        {
            "t": paper.title,
            "s": paper.short_name or "",
            "u": paper.slug,
            "g": [tag_number[name] for name in paper.tags if name in tag_number],
            "c": 1 if paper.code_links else 0,
            "a": paper.abstract,
        }
        for paper in papers
    ]
    chunks = [add(f"d/{i // DOCS_PER_CHUNK}", _json(docs[i : i + DOCS_PER_CHUNK])) for i in range(0, len(docs), DOCS_PER_CHUNK)]
    refs_of_tag: list[list[int]] = [[] for _ in catalog.tags]
    for ref, doc in enumerate(docs):
        for number in doc["g"]:
            refs_of_tag[number].append(ref)
    tag_refs = [add(f"g/{number}", _json(sorted(set(refs)))) for number, refs in enumerate(refs_of_tag)]
    code_refs = add("code", _json([r for r, d in enumerate(docs) if d["c"]]))
    manifest = {
        "count": len(docs),
        "docsPerChunk": DOCS_PER_CHUNK,
        "shards": shards,
        "docs": chunks,
        "tags": [[tag.name, tag.slug, len(tag.papers), tag_refs[n]] for n, tag in enumerate(catalog.tags)],
        "code": code_refs,
    }
    result.manifest_path = add("manifest", _json(manifest))
    result.index_bytes = sum(len(data) for path, data in result.files.items() if path.startswith("search/t/"))
    return result
