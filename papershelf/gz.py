"""Files stored gzip-compressed in the site: the search index and the data files.

GitHub Pages counts a site's bytes as they lie on disk (1 GB at most) and compresses on the
wire only what it serves; storing the largest JSON files compressed cuts them to a fifth
or so on disk, and they cross the network at the same size as before. The browser and
programs decompress them (`DecompressionStream`, `gunzip`). The header carries no time and
no name, so the same bytes in give the same file out.
"""

from __future__ import annotations

import gzip

SUFFIX = ".gz"
LEVEL = 6  # zlib's default: level 9 is two to three times slower for 1-2% fewer bytes


def gzipped(data: bytes, level: int = LEVEL) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)
