"""The postings split into shards by the first characters of each term: one lunr index over
every abstract grows past what a first search should download, so a query loads only the
shard of each of its words. Terms are split by their first two characters, and big shards
again by longer prefixes. Shards are stored gzip-compressed (`gz.py`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from papershelf.analysis import FIELD_NAMES, TermTable
from papershelf.gz import gzipped
from papershelf.search.encoding import compact_json
from papershelf.search.postings import RefGaps, sorted_postings, term_entries
from papershelf.search.vocabulary import terms_by_length

SHARD_KEY_LENGTH = 2
SHARD_BYTES = 48_000  # split shards above this size (raw JSON), so a word downloads little
MAX_KEY_LENGTH = 8
# Every shard is compressed again on every build: on shard text, zlib's level 4 takes a fifth
# of the time of its default level 6 (0.7 against 3.7 s at 100,000 papers) for 7% more bytes.
SHARD_LEVEL = 4


def shard_key(term: str) -> str:
    return term[:SHARD_KEY_LENGTH]


Entry = tuple[str, bytes, bytes]  # a term, its postings' entry, its positions' entry


def _split(prefix_length: int, group: list[Entry]) -> dict[str, list[Entry]]:
    """Shard key -> entries: a group too big for one download is split by one more
    character, until it fits or holds a single prefix."""
    key = group[0][0][:prefix_length]
    if sum(len(entry) for _, entry, _ in group) <= SHARD_BYTES or prefix_length >= MAX_KEY_LENGTH:
        return {key: group}
    by_prefix: dict[str, list[Entry]] = defaultdict(list)
    for item in group:
        by_prefix[item[0][: prefix_length + 1]].append(item)
    if len(by_prefix) == 1 and key in by_prefix:
        return {key: group}
    shards: dict[str, list[Entry]] = {}
    for prefix, items in by_prefix.items():
        if prefix == key:  # the term that is the whole prefix keeps the shorter key
            shards[key] = items
        else:
            shards.update(_split(prefix_length + 1, items))
    return shards


def shards_of(entries: Iterable[Entry]) -> dict[str, tuple[bytes, bytes]]:
    """Shard key -> the shard file and its positions' file. Terms are split by their first
    SHARD_KEY_LENGTH characters, and shards bigger than SHARD_BYTES again by longer
    prefixes; a term lives in the shard of the longest key that starts it (the browser
    finds it the same way), and its positions in the positions' file of the same key."""
    groups: dict[str, list[Entry]] = defaultdict(list)
    for item in entries:
        groups[shard_key(item[0])].append(item)
    head = b'{"fields":' + compact_json(FIELD_NAMES) + b',"terms":['
    shards: dict[str, tuple[bytes, bytes]] = {}
    for group in groups.values():
        for key, items in _split(SHARD_KEY_LENGTH, group).items():
            shards[key] = (head + b",".join(entry for _, entry, _ in items) + b"]}", b'{"terms":[' + b",".join(positions for _, _, positions in items) + b"]}")
    return shards


@dataclass
class IndexFiles:
    """The index's files made from the term table alone, as stored (gzip-compressed JSON):
    shard key -> shard, and -> its terms' positions (fetched for quoted phrases only), and
    term length -> the terms of that length (`vocabulary.py`)."""

    shards: dict[str, bytes]
    positions: dict[str, bytes]
    term_lists: dict[int, bytes]


def index_files(table: TermTable, previous: RefGaps | None = None) -> tuple[IndexFiles, RefGaps]:
    """The index's files for the papers of `table`, and the ref gaps, for the next build to
    grow (`previous`: the last build's). Made and compressed in the worker that runs beside
    related papers: every file changes on every build (the shards' BM25 weights and the
    terms' counts depend on the whole catalog)."""
    postings, gaps = sorted_postings(table, previous)
    files = shards_of(term_entries(postings))
    shards = {key: gzipped(shard, SHARD_LEVEL) for key, (shard, _) in files.items()}
    positions = {key: gzipped(text, SHARD_LEVEL) for key, (_, text) in files.items()}
    return IndexFiles(shards, positions, terms_by_length(table)), gaps
