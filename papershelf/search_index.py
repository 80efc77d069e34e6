"""The search index: built with lunr.py, queried in the browser by lunr.js.

Words. Both sides must cut and normalize words identically, or a word on a page would not
find its paper. Lunr's trimmers differ between Python (Unicode `\\w`) and JavaScript (ASCII
`\\w`), so both use the same step instead: fold accents (NFKD, marks dropped), trim what is
not a letter or digit from both ends, then Porter-stem. It is written twice, here and in
`static/search.js`; the whole-vocabulary test proves the two agree. Stop words are kept:
every word of a paper, typed alone, finds it.

Shards. One lunr index over every abstract grows past what a first search should download,
so the postings are split by the first two characters of each term, and big shards again
by longer prefixes: a query loads the manifest, the shard of each of its words, and the
documents of the results it shows. A shard carries each term's global index and BM25 weights exactly as lunr.py computed them,
and the browser turns it back into a lunr.js index, so scores equal the unsplit index's.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.stemmer import PorterStemmer, stemmer

from papershelf.catalog import Catalog
from papershelf.paper import Paper

FIELDS = (("title", 10), ("short_name", 5), ("tags", 3), ("abstract", 1))
FIELD_NAMES = tuple(name for name, _ in FIELDS)
DOCS_PER_CHUNK = 8
SHARD_KEY_LENGTH = 2
SHARD_BYTES = 48_000  # split shards above this size (raw JSON), so a word downloads little
MAX_KEY_LENGTH = 8


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

    def step1c(self) -> None:
        if self._STEP_1C.match(self.b[self.k0 : self.k + 1]):
            self.b = self.b[: self.k] + "i" + self.b[self.k + 1 :]


_stemmer = LunrJsStemmer()


@lru_cache(maxsize=1 << 20)
def index_term(word: str) -> str:
    """The term a (lower-cased) word is indexed under; '' for a word with no letter or digit."""
    normalized = normalize_word(word)
    return _stemmer.stem(normalized) if normalized else ""


def papershelf_analyze(token, i=None, tokens=None):
    token.update(lambda text, metadata=None: index_term(text))
    return token if str(token) else None


Pipeline.register_function(papershelf_analyze, "papershelfAnalyze")


def shard_key(term: str) -> str:
    return term[:SHARD_KEY_LENGTH]


def search_fields(paper: Paper) -> dict[str, str]:
    return {
        "title": paper.title,
        "short_name": paper.short_name or "",
        "tags": " ".join(paper.tags),
        "abstract": paper.abstract,
    }


def search_order(papers_newest_first: list[Paper]) -> list[Paper]:
    """Papers in the order that gives them their refs: oldest first, so a new dump appends
    refs and the document chunks of older papers stay the same."""
    return papers_newest_first[::-1]


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
        builder.add(dict(search_fields(paper), ref=str(ref)))
    return builder.build()


# lunr.py's tokenizer splits on these characters, after lower-casing.
_SEPARATORS = re.compile(r"[ \t\n\r\f\v\xa0\-]+")
K1, B = 1.2, 0.75  # lunr's BM25 parameters


def field_terms(text: str) -> list[str]:
    """The terms lunr.py's Builder would index for a field: tokenizer, then our pipeline."""
    terms = []
    for word in _SEPARATORS.split(text.lower()):
        if word:
            term = index_term(word)
            if term:
                terms.append(term)
    return terms


@dataclass
class Postings:
    """What lunr.py's Builder computes, without its per-character tokenizer and per-token
    objects: each term's index (in order of first appearance, as lunr numbers them) and,
    per term and field, the refs that contain it with their BM25 weights, rounded as lunr
    rounds them. Equal to lunr.py's output; the tests compare the two."""

    term_index: dict[str, int]
    postings: dict[str, list[list]]  # term -> [[field number, refs, weights], …]


def build_postings(papers: list[Paper]) -> Postings:
    term_index: dict[str, int] = {}
    # per field: for each ref, the term -> frequency counts and the field length
    counts: list[list[Counter]] = [[] for _ in FIELDS]
    lengths: list[list[int]] = [[] for _ in FIELDS]
    for paper in papers:
        fields = search_fields(paper)
        for number, (name, _) in enumerate(FIELDS):
            terms = field_terms(fields[name])
            for term in terms:
                if term not in term_index:
                    term_index[term] = len(term_index)
            counts[number].append(Counter(terms))
            lengths[number].append(len(terms))
    document_count = len(papers)
    refs_by_term: dict[str, list[list[int]]] = defaultdict(lambda: [[] for _ in FIELDS])
    for number in range(len(FIELDS)):
        for ref, counter in enumerate(counts[number]):
            for term in counter:
                refs_by_term[term][number].append(ref)
    averages = [sum(lengths[number]) / document_count for number in range(len(FIELDS))]
    postings: dict[str, list[list]] = {}
    for term, per_field in refs_by_term.items():
        with_term = sum(len(refs) for refs in per_field)
        x = (document_count - with_term + 0.5) / (with_term + 0.5)
        idf = math.log(1 + abs(x))
        entry = []
        for number, refs in enumerate(per_field):
            if not refs:
                continue
            boost, average = FIELDS[number][1], averages[number]
            weights = []
            for ref in refs:
                tf = counts[number][ref][term]
                score = idf * ((K1 + 1) * tf) / (K1 * (1 - B + B * (lengths[number][ref] / average)) + tf)
                score *= boost
                score *= 1  # lunr's document boost
                weights.append(round(score, 3))
            entry.append([number, refs, weights])
        postings[term] = entry
    return Postings(term_index, postings)


def encode_entry(term: str, term_index: int, entry: list[list]) -> list:
    """A term in a shard file: refs as gaps from the previous ref, weights in thousandths
    (lunr rounds them to three decimals, so this is exact): about half the bytes."""
    fields = []
    for number, refs, weights in entry:
        gaps = [refs[0]] + [b - a for a, b in zip(refs, refs[1:])]
        fields.append([number, gaps, [round(weight * 1000) for weight in weights]])
    return [term, term_index, fields]


def _split(prefix_length: int, group: list[tuple[str, list, int]]) -> dict[str, list]:
    """Shard key -> entries: a group too big for one download is split by one more
    character, until it fits or holds a single prefix."""
    key = group[0][0][:prefix_length]
    if sum(size for _, _, size in group) <= SHARD_BYTES or prefix_length >= MAX_KEY_LENGTH:
        return {key: [entry for _, entry, _ in group]}
    by_prefix: dict[str, list] = defaultdict(list)
    for item in group:
        by_prefix[item[0][: prefix_length + 1]].append(item)
    if len(by_prefix) == 1 and key in by_prefix:
        return {key: [entry for _, entry, _ in group]}
    shards: dict[str, list] = {}
    for prefix, items in by_prefix.items():
        if prefix == key:  # the term that is the whole prefix keeps the shorter key
            shards[key] = [entry for _, entry, _ in items]
        else:
            shards.update(_split(prefix_length + 1, items))
    return shards


def shards_of(index: Postings) -> dict[str, list]:
    """Split the postings by the first SHARD_KEY_LENGTH characters of each term, and shards
    bigger than SHARD_BYTES again by longer prefixes. A term lives in the shard of the
    longest key that starts it (the browser finds it the same way)."""
    groups: dict[str, list] = defaultdict(list)
    for term in sorted(index.postings):
        entry = encode_entry(term, index.term_index[term], index.postings[term])
        groups[shard_key(term)].append((term, entry, len(_json(entry))))
    shards: dict[str, list] = {}
    for group in groups.values():
        shards.update(_split(SHARD_KEY_LENGTH, group))
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


def search_files(catalog: Catalog) -> SearchFiles:
    result = SearchFiles()

    def add(stem: str, data: bytes) -> str:
        path = _hashed("search/", stem, data)
        result.files[path] = data
        return path

    papers = search_order(catalog.papers)
    index = build_postings(papers)
    shards = {
        key: add(f"t/{key.encode('utf-8').hex()}", _json({"fields": FIELD_NAMES, "terms": terms}))
        for key, terms in shards_of(index).items()
    }
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
    tag_refs = [add(f"g/{number}", _json(sorted(r for r, d in enumerate(docs) if number in d["g"]))) for number in range(len(catalog.tags))]
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
