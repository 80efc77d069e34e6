"""Fingerprints of what a page is made from, so a build renders only pages whose inputs
changed. A fingerprint covers the page's whole template context: papers by the digest of
their file (plus the tags they resolve to), tags, listings and archive pages by what a
page shows of them. Global inputs (templates, code, settings) are folded in by the caller.

A large catalog has hundreds of thousands of paper mentions across its pages, so each
paper's part is worked out once per build and reused."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Callable

from pydantic import BaseModel

from papershelf.catalog import Label, Listing, Tag
from papershelf.paper import Paper

_SCALARS = (str, int, float, bool, type(None))


class Fingerprinter:
    def __init__(self, paper_digest: Callable[[Paper], str]):
        self.paper_digest = paper_digest
        # id() -> (object, plain form) of the objects pages share: papers, their sources, tag
        # labels. Holding the object keeps its id from being reused by another.
        self._shared: dict[int, tuple[Any, Any]] = {}

    def _paper(self, paper: Paper) -> Any:
        known = self._shared.get(id(paper))
        if known is None:
            known = self._shared[id(paper)] = (paper, ["paper", self.paper_digest(paper)])
        return known[1]

    def _plain(self, value: Any) -> Any:
        kind = type(value)
        if kind is Paper:
            return self._paper(value)
        if kind in _SCALARS:
            return value
        if kind is Label or isinstance(value, BaseModel):
            known = self._shared.get(id(value))
            if known is None:
                known = self._shared[id(value)] = (value, self._plain_shared(value))
            return known[1]
        if kind is list or kind is tuple:
            if value and type(value[0]) is Paper:  # most lists are lists of papers
                return [self._paper(item) if type(item) is Paper else self._plain(item) for item in value]
            return [self._plain(item) for item in value]
        if kind is dict:
            return {str(key): self._plain(item) for key, item in value.items()}
        if kind is Tag:  # pages that list a tag's papers get them in their context
            return ["tag", value.name, value.slug, len(value.papers)]
        if kind is Listing:
            return [
                "listing",
                value.record.name,
                value.record.sha256,
                value.slug,
                value.title,
                [self._paper(paper) for paper in value.papers],
                sorted(value.new_papers),
            ]
        if isinstance(value, (set, frozenset)):
            return sorted((self._plain(item) for item in value), key=json.dumps)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return [kind.__name__, *(self._plain(getattr(value, f.name)) for f in dataclasses.fields(value))]
        return str(value)

    def _plain_shared(self, value: Label | BaseModel) -> Any:
        if isinstance(value, Label):
            return ["label", value.name, value.slug]
        return [type(value).__name__, *map(self._plain, value.__dict__.values())]  # a paper's sources

    def of(self, *parts: Any) -> str:
        text = json.dumps([self._plain(part) for part in parts], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
