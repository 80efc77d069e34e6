"""What search results show of each paper, and the files the search page loads besides the
shards: documents in chunks of 4, named by groups of 256 chunks so that the manifest stays
small however large the catalog; each tag's papers and the papers with code, for filters;
and the manifest, which names them all. The browser reads them in
`static/search-core.js` and `static/search-page.js`; the manifest's and a document's keys
are defined here alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from papershelf.analysis import TermTable
from papershelf.catalog import Catalog
from papershelf.digests import sha256
from papershelf.gz import SUFFIX, gzipped
from papershelf.markup import excerpt
from papershelf.paper import Paper
from papershelf.search.encoding import compact_json
from papershelf.search.shards import IndexFiles, index_files

GZ_JSON = ".json" + SUFFIX
# A result shown costs the download of its chunk: 4 documents are about 1 KB gzip-compressed,
# and 100,000 papers take 25,000 chunks, within the site's budget of files.
DOCS_PER_CHUNK = 4
# Chunks named by one digest, listed in the manifest: an edited paper renames the chunks of
# its group, and the browser needs nothing but the manifest to name any chunk.
CHUNKS_PER_GROUP = 256
T = TypeVar("T")


def search_order(newest_first: list[T]) -> list[T]:
    """Papers (or their terms) in the order that gives them their refs: oldest first, so a
    new dump appends refs and the document chunks of older papers stay the same."""
    return newest_first[::-1]


def _digest(data: bytes) -> str:
    return sha256(data)[:10]


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


def search_files(catalog: Catalog, table: TermTable, code: str = "", index: IndexFiles | None = None) -> SearchFiles:
    """The search files of a catalog; `table` holds its papers' terms in search order, and
    `index` its shards and term lists when they are made already (`index_files`).

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
    index = index if index is not None else index_files(table)[0]
    shard_digests = {}
    for key, shard in index.shards.items():
        # One digest names a key's shard and its positions: the manifest lists it alone.
        digest, hexed = _digest(shard + index.positions[key]), key.encode("utf-8").hex()
        result.files[f"search/t/{hexed}.{digest}{GZ_JSON}"] = shard
        result.files[f"search/x/{hexed}.{digest}{GZ_JSON}"] = index.positions[key]
        shard_digests[key] = digest
    tag_number = {tag.name: number for number, tag in enumerate(catalog.tags)}
    layout = json.dumps([code, DOCS_PER_CHUNK, list(tag_number)])
    chunks: list[tuple[str, bytes | Callable[[], bytes]]] = []  # per chunk, its digest and its file
    for start in range(0, len(papers), DOCS_PER_CHUNK):
        part, keys = papers[start : start + DOCS_PER_CHUNK], table.keys[start : start + DOCS_PER_CHUNK]

        def encode(part: list[Paper] = part) -> bytes:
            return gzipped(compact_json([_doc(paper, tag_number) for paper in part]))

        if all(keys):
            chunks.append((_digest("|".join([layout, *keys]).encode("utf-8")), encode))
        else:
            stored = encode()
            chunks.append((_digest(stored), stored))
    groups = []
    for first in range(0, len(chunks), CHUNKS_PER_GROUP):
        group = chunks[first : first + CHUNKS_PER_GROUP]
        digest = _digest("|".join(digest for digest, _ in group).encode("utf-8"))
        groups.append(digest)
        for number, (_, data) in enumerate(group, start=first):
            result.files[f"search/d/{number}.{digest}{GZ_JSON}"] = data
    refs_of_tag: list[list[int]] = [[] for _ in catalog.tags]
    for ref, paper in enumerate(papers):  # refs in order: each tag's list comes sorted
        for number in {tag_number[name] for name in paper.tags if name in tag_number}:
            refs_of_tag[number].append(ref)
    tag_refs = [add(f"g/{number}", compact_json(refs)) for number, refs in enumerate(refs_of_tag)]
    code_refs = add("code", compact_json([ref for ref, paper in enumerate(papers) if paper.code_links]))
    manifest = {
        "count": len(papers),
        "docsPerChunk": DOCS_PER_CHUNK,
        "chunksPerGroup": CHUNKS_PER_GROUP,
        # Shard key -> the digest of search/t/<key's UTF-8 in hex>.<digest>.json.gz, and of
        # its terms' positions, search/x/<the same>.json.gz, fetched for quoted phrases only.
        "shards": shard_digests,
        # Chunk i is search/d/<i>.<digest>.json.gz, its digest item i // chunksPerGroup.
        "docGroups": groups,
        "tags": [[tag.name, tag.slug, len(tag.papers), tag_refs[n]] for n, tag in enumerate(catalog.tags)],
        "code": code_refs,
        # Terms of each length, for typo corrections: fetched only for a word that matches nothing.
        "termsByLength": {str(length): add(f"v/{length}", data, GZ_JSON) for length, data in index.term_lists.items()},
    }
    result.manifest_path = add("manifest", compact_json(manifest))
    result.index_bytes = sum(len(data) for path, data in result.files.items() if path.startswith("search/t/") and isinstance(data, bytes))
    return result
