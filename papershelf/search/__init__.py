"""The search index: built with lunr.py's scoring, queried in the browser by lunr.js
(`static/search-core.js`), in parts:

- `encoding.py`: compact JSON and numbers as text;
- `postings.py`: every term's postings and lunr's BM25 weights, from the term table
  (`analysis.py`) with array arithmetic instead of lunr.py's per-token objects; their order
  is kept between builds and grown when a dump appends papers;
- `occurrences.py`: the forms each term is written in (for exact words) and its positions
  (for quoted phrases);
- `shards.py`: the postings split by the first characters of each term, so a query
  downloads only the shards of its words;
- `vocabulary.py`: the catalog's terms by length, which the browser respells a word that
  matches nothing with;
- `documents.py`: what results show of each paper, in chunks, and the manifest that names
  every file the search page loads.

`reference.py` indexes the catalog with lunr.py's own builder: the unsplit index the tests
hold the split one to, query by query.
"""
