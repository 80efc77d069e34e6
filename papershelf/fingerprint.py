"""Fingerprints of what a page is made from, so a build renders only pages whose inputs
changed. A fingerprint covers the page's whole template context, and a context may hold
only what can be covered whole: plain data (text, numbers, lists, mappings, frozen
dataclasses of them), papers (by the digest of their file, which fixes every field, and
the tags they resolve to) and tag labels. Anything else is refused, so no template can
read what the fingerprint does not cover. Global inputs (templates, code, package
versions, settings, build time) are folded in by the caller.

A context is written out as a flat run of tokens and hashed: strings with their length
in front (so no two contexts write the same text), lists and mappings between brackets.
A large catalog has hundreds of thousands of paper mentions across its pages, so the
token of each paper, source and tag label is made once per build and reused."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import BaseModel

from papershelf.catalog import Label
from papershelf.paper import Paper

_SCALARS = frozenset({str, int, bool, type(None)})


def _text(value: str) -> str:
    return f"{len(value)}:{value}"


class Fingerprinter:
    def __init__(self, paper_digest: Callable[[Paper], str]):
        self.paper_digest = paper_digest
        # id() -> (object, token) of the objects pages share: papers, their sources, tag
        # labels. Holding the object keeps its id from being reused by another.
        self._shared: dict[int, tuple[Any, str]] = {}

    def _shared_token(self, value: Any) -> str:
        known = self._shared.get(id(value))
        if known is None:
            if type(value) is Paper:
                token = "P" + _text(self.paper_digest(value))
            elif type(value) is Label:
                token = "L" + _text(value.name) + _text(value.slug)
            else:  # a pydantic model: a paper's source or link
                values = tuple(value.__dict__.values())
                if all(type(item) in _SCALARS for item in values):
                    token = type(value).__name__ + repr(values)  # repr tells these apart, in one call
                else:
                    out = [type(value).__name__, "("]
                    for item in values:
                        self._add(item, out)
                    token = "".join(out) + ")"
            known = self._shared[id(value)] = (value, token)
        return known[1]

    def _add_each(self, values: Iterable[Any], out: list[str]) -> None:
        """`_add` of each value; strings and objects met before without a call (most of
        what a page's context holds)."""
        shared = self._shared
        for value in values:
            if type(value) is str:
                out.append(f"{len(value)}:{value}")
                continue
            known = shared.get(id(value))
            if known is not None and known[0] is value:
                out.append(known[1])
            else:
                self._add(value, out)

    def _add(self, value: Any, out: list[str]) -> None:
        kind = type(value)
        if kind is str:
            out.append(_text(value))
        elif kind is Paper or kind is Label or isinstance(value, BaseModel):
            out.append(self._shared_token(value))
        elif kind is list or kind is tuple:
            out.append("[")
            self._add_each(value, out)
            out.append("]")
        elif kind is dict:
            out.append("{")
            self._add_each(itertools.chain.from_iterable(value.items()), out)  # key, value, key, …
            out.append("}")
        elif value is None or kind is bool:
            out.append({None: "n", True: "t", False: "f"}[value])
        elif kind is int or kind is float:
            out.append(f"i{value!r}" if kind is int else f"d{value!r}")
        elif isinstance(value, str):  # Markup
            out.append("M" + _text(str(value)))
        elif isinstance(value, (set, frozenset)):
            out.append("<" + "".join(sorted(self._token(item) for item in value)) + ">")
        elif dataclasses.is_dataclass(value) and not isinstance(value, type) and kind.__dataclass_params__.frozen:
            out.append(kind.__name__ + "(")
            for item in dataclasses.fields(value):
                self._add(getattr(value, item.name), out)
            out.append(")")
        else:
            raise TypeError(f"a page's context may hold only plain data, papers and labels, not {kind.__name__}")

    def _token(self, value: Any) -> str:
        out: list[str] = []
        self._add(value, out)
        return "".join(out)

    def of(self, *parts: Any) -> str:
        out: list[str] = []
        self._add_each(parts, out)
        return hashlib.sha256("".join(out).encode("utf-8")).hexdigest()
