"""Fingerprints of page inputs: equal inputs give equal fingerprints, whatever objects hold
them, and a change anywhere in them gives another."""

from __future__ import annotations

from papershelf.catalog import Label
from papershelf.fingerprint import Fingerprinter
from papershelf.paper import Link, Paper, Source


def paper(**changes: object) -> Paper:
    fields = {
        "id": "0123456789ab",
        "slug": "q-vlm",
        "title": "Q-VLM: quantization",
        "links": [Link(url="https://github.com/x/q-vlm", kind="code")],
        "first_seen": "001.txt",
        "sources": [Source(dump="001.txt", position=3, date="Jun 2")],
    }
    return Paper(**(fields | changes))


def context(item: Paper, label: Label) -> dict:
    return {"paper": item, "related": [item], "sources": [(source, label) for source in item.sources], "links": item.links}


LABEL = Label("Jun 2 · 001", "001")


def fingerprint(item: Paper, label: Label = LABEL, fingerprinter: Fingerprinter | None = None) -> str:
    fingerprinter = fingerprinter or Fingerprinter(lambda p: p.title)  # the paper's own part: what the caller says
    return fingerprinter.of("common", "paper.html", context(item, label))


def test_equal_inputs_give_equal_fingerprints_and_any_change_another() -> None:
    first = fingerprint(paper())
    shared = Fingerprinter(lambda p: p.title)  # tokens of objects met before come from memory
    assert fingerprint(paper()) == first == fingerprint(paper(), fingerprinter=shared) == fingerprint(paper(), fingerprinter=shared)
    variants = [
        paper(sources=[Source(dump="002.txt", position=3, date="Jun 2")]),
        paper(sources=[Source(dump="001.txt", position=4, date="Jun 2")]),
        paper(sources=[Source(dump="001.txt", position=3, date=None)]),
        paper(sources=[Source(dump="001.txt", position=3, date="None")]),
        paper(links=[Link(url="https://github.com/x/q-vlm", kind="project")]),
        paper(links=[]),
        paper(title="Q-VLM: quantization!"),
    ]
    others = [fingerprint(item) for item in variants] + [fingerprint(paper(), Label("Jun 2 · 001", "001-b"))]
    assert len({first, *others}) == len(others) + 1
    assert [fingerprint(item, fingerprinter=shared) for item in variants] == others[:-1]
