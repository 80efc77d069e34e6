"""The catalog indexed by lunr.py's own builder: the reference the fast path (`postings.py`,
`shards.py`) is tested against, and the unsplit index the split one is compared with."""

from __future__ import annotations

from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.stemmer import stemmer
from lunr.tokenizer import Tokenizer

from papershelf.analysis import FIELD_NAMES, FIELDS, index_term, inner_words, search_fields
from papershelf.paper import Paper


def papershelf_analyze(token, i=None, tokens=None):
    token.update(lambda text, metadata=None: index_term(text))
    return token if str(token) else None


Pipeline.register_function(papershelf_analyze, "papershelfAnalyze")


def build_index(papers: list[Paper]) -> Index:
    """The catalog indexed by lunr.py's own Builder, papers in search order."""
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
