"""Fingerprints of what a page is made from, so a build renders only pages whose inputs
changed. A fingerprint covers the page's whole template context: papers by the digest of
their file (plus the tags they resolve to), tags, listings and archive pages by what a
page shows of them. Global inputs (templates, code, settings) are folded in by the caller."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Callable

from papershelf.catalog import Listing, Tag
from papershelf.paper import Paper


class Fingerprinter:
    def __init__(self, paper_digest: Callable[[Paper], str]):
        self.paper_digest = paper_digest

    def _plain(self, value: Any) -> Any:
        if isinstance(value, Paper):
            return ["paper", self.paper_digest(value)]
        if isinstance(value, Tag):  # pages that list a tag's papers get them in their context
            return ["tag", value.name, value.slug, len(value.papers)]
        if isinstance(value, Listing):
            return [
                "listing",
                value.record.name,
                value.record.sha256,
                value.slug,
                value.title,
                [self._plain(paper) for paper in value.papers],
                sorted(value.new_papers),
            ]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return [type(value).__name__, *(self._plain(getattr(value, f.name)) for f in dataclasses.fields(value))]
        if isinstance(value, dict):
            return {str(key): self._plain(item) for key, item in value.items()}
        if isinstance(value, (list, tuple, set, frozenset)):
            items = [self._plain(item) for item in value]
            return sorted(items, key=json.dumps) if isinstance(value, (set, frozenset)) else items
        if value is None or isinstance(value, (bool, int, float)):
            return value
        return str(value)

    def of(self, *parts: Any) -> str:
        text = json.dumps([self._plain(part) for part in parts], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
