"""The index's terms by length, for correcting typos in the browser: a typed word that
matches nothing is compared with the terms of about its length, whatever shard they are
in (a typo in the first letters, `rtansformer`, puts a word in another shard than the one
meant). Each file lists the terms of one length (in characters) with how many fields of
papers hold them, most first breaking ties between corrections equally close."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from papershelf.analysis import TermTable
from papershelf.gz import gzipped
from papershelf.search.encoding import compact_json

# Words shorter than this are never corrected (search-core.js, correction): a typo of five
# letters that drops one is the shortest term a correction needs.
SHORTEST_TERM = 4


def terms_by_length(table: TermTable) -> dict[int, bytes]:
    """Length -> the file of that length's terms, `[[term, fields holding it], ...]` in term
    order, gzip-compressed."""
    held = np.bincount(table.term, minlength=len(table.vocabulary)).tolist()
    by_length: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for term, number in table.vocabulary.items():
        if len(term) >= SHORTEST_TERM:
            by_length[len(term)].append((term, held[number]))
    return {length: gzipped(compact_json(sorted(terms))) for length, terms in sorted(by_length.items())}
