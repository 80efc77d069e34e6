"""The search index: built with lunr.py, queried in the browser by lunr.js.

Words. Both sides must cut and normalize words identically, or a word on a page would not
find its paper. Lunr's trimmers differ between Python (Unicode `\\w`) and JavaScript (ASCII
`\\w`), so both use the same step instead: fold accents (NFKD, marks dropped), trim what is
not a letter or digit from both ends, then Porter-stem. It is written twice, here and in
`static/search.js`; the whole-vocabulary test proves the two agree. Stop words are kept:
every word of a paper, typed alone, finds it.

Shards. One lunr index over every abstract grows past what a first search should download,
so the postings are split by the first two characters of each term: a query loads the
manifest, the shard of each of its words, and the documents of the results it shows. A
shard carries each term's global index and BM25 weights exactly as lunr.py computed them,
and the browser turns it back into a lunr.js index, so scores equal the unsplit index's.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
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
    """The lunr index of the catalog; a paper's ref is its position in `papers`."""
    builder = Builder()
    builder.pipeline.add(papershelf_analyze)
    builder.search_pipeline.add(stemmer)  # what lunr.js expects to find in a serialized index
    builder.ref("ref")
    for name, boost in FIELDS:
        builder.field(name, boost=boost)
    for ref, paper in enumerate(papers):
        builder.add(dict(search_fields(paper), ref=str(ref)))
    return builder.build()


def shards_of(index: Index) -> dict[str, list]:
    """Split an index's postings by shard key: `[term, term index, [[field, refs, weights]…]]`."""
    weights: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for field_ref, vector in index.field_vectors.items():
        field_name, _, ref = field_ref.partition("/")
        elements = vector.elements
        for position in range(0, len(elements), 2):
            weights[(ref, field_name)][elements[position]] = elements[position + 1]
    shards: dict[str, list] = defaultdict(list)
    for term in sorted(index.inverted_index):
        posting = index.inverted_index[term]
        term_index = posting["_index"]
        fields = []
        for number, name in enumerate(FIELD_NAMES):
            refs = sorted(int(ref) for ref in posting.get(name, {}))
            if refs:
                fields.append([number, refs, [weights[(str(ref), name)][term_index] for ref in refs]])
        shards[shard_key(term)].append([term, term_index, fields])
    return dict(shards)


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
    index = build_index(papers)
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
        "keyLength": SHARD_KEY_LENGTH,
        "docsPerChunk": DOCS_PER_CHUNK,
        "shards": shards,
        "docs": chunks,
        "tags": [[tag.name, tag.slug, len(tag.papers), tag_refs[n]] for n, tag in enumerate(catalog.tags)],
        "code": code_refs,
    }
    result.manifest_path = add("manifest", _json(manifest))
    result.index_bytes = sum(len(data) for path, data in result.files.items() if path.startswith("search/t/"))
    return result
