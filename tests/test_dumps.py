"""The dump parser on the real sample dumps and on every capture variant we know of."""

from __future__ import annotations

from pathlib import Path

import pytest

from papershelf.dumps import parse_dump, read_dump
from papershelf.errors import PapershelfError
from papershelf.paper import normalize_title
from tests.conftest import SAMPLE_DUMPS

HEADER_A = "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nbyAK and the research community\n\nMar 12\n\n"
ABSTRACT_1 = "We propose a method for one thing. It works well on many benchmarks and beats the baselines."
ABSTRACT_2 = "This paper studies another problem. Experiments show strong gains across tasks and datasets."
ABSTRACT_3 = "A third abstract with several sentences. It ends like prose does, with a full stop."


def titles(text: str) -> list[str]:
    return [entry.title for entry in parse_dump(text, "x.txt").entries]


def test_sample_dumps_counts_and_exact_titles() -> None:
    dumps = {path.name[:3]: read_dump(path) for path in SAMPLE_DUMPS}
    assert {name: len(d.entries) for name, d in dumps.items()} == {"000": 66, "002": 241, "004": 81}
    assert all(not d.warnings for d in dumps.values())
    assert dumps["000"].date == "Mar 12" and dumps["004"].date == "Mar 11" and dumps["002"].date is None
    first = dumps["000"].entries[0]
    assert first.title == "Q-VLM: Post-training Quantization for Large Vision-Language Models"
    assert first.abstract.startswith("In this paper, we propose a post-training quantization framework")
    assert first.abstract.endswith("https://github.com/ChangyuanWang17/QVLM.")
    assert dumps["002"].entries[0].title.startswith("XTREME: A Massively Multilingual")  # glued "Subscribe"
    assert dumps["002"].entries[-1].title == "Improving Length-Generalization in Transformers via Task Hinting"
    assert dumps["004"].entries[0].title.startswith("Utilizing BERT for Information Retrieval")
    lowercase_titles = [e.title for e in dumps["002"].entries if e.title[0].islower()]
    assert "nach0: Multimodal Natural and Chemical Languages Foundation Model" in lowercase_titles
    assert all(len(e.abstract) > 200 for d in dumps.values() for e in d.entries)
    distinct = {normalize_title(e.title) for d in dumps.values() for e in d.entries}
    assert sum(len(d.entries) for d in dumps.values()) == 388 and len(distinct) == 371


def test_unicode_title_is_kept() -> None:
    dump = read_dump(next(p for p in SAMPLE_DUMPS if p.name.startswith("000")))
    assert any(e.title.startswith("γ-MoD: Exploring Mixture-of-Depth") for e in dump.entries)


def test_layout_a_and_b_give_the_same_entries() -> None:
    a = HEADER_A + f"First Paper: A Title\n\n{ABSTRACT_1}\n\nSecond Paper Title\n\n{ABSTRACT_2}\n"
    b = (
        "Get trending papers in your email inbox once a day!\nGet trending papers in your email inbox!\n"
        f"SubscribeFirst Paper: A Title\n{ABSTRACT_1}\nSecond Paper Title\n{ABSTRACT_2}"
    )
    parsed_a, parsed_b = parse_dump(a, "a.txt"), parse_dump(b, "b.txt")
    assert [(e.title, e.abstract) for e in parsed_a.entries] == [(e.title, e.abstract) for e in parsed_b.entries]
    assert [e.title for e in parsed_a.entries] == ["First Paper: A Title", "Second Paper Title"]


def test_crlf_bom_and_trailing_spaces(tmp_path: Path) -> None:
    text = HEADER_A + f"First Paper: A Title   \n\n{ABSTRACT_1}  \n\nSecond   Paper Title\n\n{ABSTRACT_2}\n"
    path = tmp_path / "crlf.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    dump = read_dump(path)
    assert [e.title for e in dump.entries] == ["First Paper: A Title", "Second Paper Title"]
    assert dump.entries[0].abstract == ABSTRACT_1
    assert dump.date == "Mar 12" and not dump.warnings


def test_hard_wrapped_abstract_in_both_layouts() -> None:
    wrapped = "We propose a method for one thing that is\nwrapped over several lines of the capture,\nand it works well. It beats the baselines."
    joined = " ".join(wrapped.split())
    for text in (
        f"First Title Here\n\n{wrapped}\n\nSecond Title Here\n\n{ABSTRACT_2}\n",
        f"First Title Here\n{wrapped}\nSecond Title Here\n{ABSTRACT_2}\n",
    ):
        dump = parse_dump(text, "w.txt")
        assert [(e.title, e.abstract) for e in dump.entries] == [
            ("First Title Here", joined),
            ("Second Title Here", ABSTRACT_2),
        ]


def test_missing_abstract_does_not_shift_later_pairs() -> None:
    for sep in ("\n", "\n\n"):
        text = sep.join(["Alpha: First", ABSTRACT_1, "Beta: No Abstract Here", "Gamma: Third", ABSTRACT_3])
        dump = parse_dump(text, "m.txt")
        assert [(e.title, e.abstract) for e in dump.entries] == [
            ("Alpha: First", ABSTRACT_1),
            ("Beta: No Abstract Here", ""),
            ("Gamma: Third", ABSTRACT_3),
        ]
        assert len(dump.warnings) == 1
        assert "no abstract" in str(dump.warnings[0]) and str(dump.warnings[0]).startswith("m.txt:")


def test_headers_missing_repeated_and_glued() -> None:
    no_header = f"Alpha: First\n\n{ABSTRACT_1}\n"
    assert titles(no_header) == ["Alpha: First"]
    two_pages = HEADER_A + f"Alpha: First\n\n{ABSTRACT_1}\n\n" + HEADER_A + f"Beta: Second\n\n{ABSTRACT_2}\n"
    assert titles(two_pages) == ["Alpha: First", "Beta: Second"]
    glued = f"Get trending papers in your email inbox!\nSubscribeAlpha: First\n{ABSTRACT_1}\nbyAK and the research communityBeta: Second\n{ABSTRACT_2}"
    assert titles(glued) == ["Alpha: First", "Beta: Second"]


def test_text_with_no_title_is_reported_with_its_line() -> None:
    dump = parse_dump(f"{ABSTRACT_1}\nAlpha: First\n{ABSTRACT_2}\n", "orphan.txt")
    assert titles(f"{ABSTRACT_1}\nAlpha: First\n{ABSTRACT_2}\n") == ["Alpha: First"]
    assert [str(w).split(": warning")[0] for w in dump.warnings] == ["orphan.txt:1"]


def test_binary_and_non_utf8_files_are_refused(tmp_path: Path) -> None:
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Title\n\nCaf\u00e9 abstract.".encode("latin-1"))
    with pytest.raises(PapershelfError, match="image.txt: not a text file"):
        read_dump(binary)
    with pytest.raises(PapershelfError, match="latin.txt:3: not UTF-8"):
        read_dump(latin)
