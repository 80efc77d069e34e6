"""The fast YAML writer against PyYAML: the same bytes for every paper of the sample catalog
and of the benchmark's catalogs, and for thousands of generated documents made of the
strings that decide quoting and folding; whatever it leaves to PyYAML is left whole."""

from __future__ import annotations

import random
from pathlib import Path

import yaml

from benchmarks.bench import generate_dumps
from papershelf.dumps import parse_dump_bytes
from papershelf.ingest import draft
from papershelf.paper import Paper, Source
from papershelf.store import load_store
from papershelf.yamlemit import emit
from papershelf.yamlio import SafeDumper

PIECES = [
    "word", "Word", "model", "γ-MoD", "模型", "naïve", "x", "e", "1", "12", "1.5", "0x1F", "0b101", "1e5", "1:20", "2024-01-02",
    "true", "no", "on", "null", "~", "-", "--", "---", "...", "?", ":", "a:", ":b", "a: b", "#", "a #b", "a#b", "&x", "*x", "!x",
    "|", ">", "'", "''", '"', "%", "@", "`", "[x]", "{x}", ",", "a,b", "-x", "- x", "? x", "http://example.com/a?b=c#d",
    "\u00a0", "\u2028", "\t", "\n", "\ufeff", "\U0001f642", "\x85", "\u200b", "é",
]


def pyyaml(data: object) -> str:
    """What yamlio.to_yaml writes where the fast writer leaves a document to PyYAML."""
    return yaml.dump(data, Dumper=SafeDumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)


def random_text(rng: random.Random) -> str:
    words = [rng.choice(PIECES) if rng.random() < 0.3 else rng.choice(["word", "longer", "abcdefghijklmnop"]) for _ in range(rng.choice([1, 2, 3, 8, 20, 40]))]
    glue = [rng.choice([" ", " ", " ", "  ", "", "-", ": ", " #"]) for _ in words]
    text = "".join(word + sep for word, sep in zip(words, glue))
    return text if rng.random() < 0.7 else text.strip()


def random_document(rng: random.Random) -> dict:
    document: dict = {}
    for key in rng.sample(["id", "slug", "title", "abstract", "tags", "notes", "sources", "links", "hidden", "first_seen"], rng.randint(1, 7)):
        shape = rng.random()
        if shape < 0.55:
            document[key] = random_text(rng)
        elif shape < 0.7:
            document[key] = [random_text(rng) for _ in range(rng.randint(0, 3))]
        elif shape < 0.85:
            document[key] = [{"dump": random_text(rng), "position": rng.randint(1, 300)} for _ in range(rng.randint(1, 2))]
        else:
            document[key] = rng.choice([True, False, 0, 17, None, ""])
    return document


def test_every_sample_paper_is_written_as_pyyaml_writes_it(built_site: Path) -> None:
    papers = list(load_store(built_site / "content").papers.values())
    written = [emit(paper.to_data()) for paper in papers]
    assert [text for text in written if text is not None] == [pyyaml(p.to_data()) for p, text in zip(papers, written) if text is not None]
    assert sum(text is not None for text in written) >= 0.95 * len(papers) and len(papers) == 371


def test_benchmark_papers_are_written_as_pyyaml_writes_them(tmp_path: Path) -> None:
    papers = []
    for path in generate_dumps(tmp_path, 600, seed=5):
        dump = parse_dump_bytes(path.read_bytes(), path)
        for entry in dump.entries:
            found = draft(entry)
            source = Source(dump=dump.name, position=entry.position, date=dump.date)
            papers.append(Paper(id=found.id, slug=found.slug, title=entry.title, abstract=entry.abstract, links=found.links, first_seen=dump.name, sources=[source], tags=["Quantization"]))
    assert len(papers) == 600
    assert [emit(paper.to_data()) for paper in papers] == [pyyaml(paper.to_data()) for paper in papers]


def test_generated_hard_cases_are_written_as_pyyaml_writes_them_or_left_to_it() -> None:
    rng = random.Random(2026)
    handled = folded = 0
    for _ in range(15000):
        document = random_document(rng)
        text = emit(document)
        if text is not None:
            handled += 1
            folded += "\n  " in text.replace("\n  position:", "").replace("\n  dump:", "")
            assert text == pyyaml(document), document
    assert handled > 4000 and folded > 800  # the comparison is not vacuous, folding included


def test_what_it_leaves_to_pyyaml() -> None:
    assert emit({"notes": "two\nlines"}) is None  # line breaks
    assert emit({"title": "tab\there"}) is None and emit({"title": "smile 🙂"}) is None  # double quotes
    assert emit({"sources": [{"warnings": ["a"]}]}) is None  # deeper shapes
    assert emit([{"name": "x"}]) is None and emit({}) is None
    assert emit({"yes": "a key YAML 1.1 reads as true"}) is None


def test_equal_values_of_other_types_stay_apart() -> None:
    assert emit({"a": [1, True, 0, False, "1"]}) == pyyaml({"a": [1, True, 0, False, "1"]}) == "a:\n- 1\n- true\n- 0\n- false\n- '1'\n"
