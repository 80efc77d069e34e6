"""Ids, slugs, short names and link cleaning: the fields derived from a dump entry."""

from __future__ import annotations

import pytest

from papershelf.links import _LINK_MARKS, find_links
from papershelf.paper import Paper, paper_id, short_name, title_slug, unique_slug


def test_id_ignores_case_spacing_and_punctuation_runs() -> None:
    base = paper_id("Q-VLM: Post-training Quantization for Large Vision-Language Models")
    assert paper_id("q-vlm:  post-training quantization for LARGE vision-language models ") == base
    assert paper_id("Q-VLM: Post-training Quantization for Large Vision Models") != base
    assert len(base) == 12


def test_slug_is_ascii_readable_and_bounded() -> None:
    assert title_slug("γ-MoD: Exploring Mixture-of-Depth Adaptation") == "g-mod-exploring-mixture-of-depth-adaptation"
    assert title_slug("Nyströmformer: A Nyström-Based Algorithm") == "nystromformer-a-nystrom-based-algorithm"
    long_slug = title_slug("word " * 60)
    assert len(long_slug) <= 80 and not long_slug.endswith("-")
    assert title_slug("<script>alert(1)</script> ../../etc") == "script-alert-1-script-etc"
    assert title_slug("！？") == "paper"


def test_slug_collisions_resolve_with_the_id() -> None:
    taken = {"attention"}
    assert unique_slug("attention", "abcdef123456", taken) == "attention-abcdef"
    assert unique_slug("attention", "abcdef123456", taken | {"attention-abcdef"}) == "attention-abcdef1"
    assert unique_slug("other", "abcdef123456", taken) == "other"


def test_short_names() -> None:
    assert short_name("Q-VLM: Post-training Quantization") == "Q-VLM"
    assert short_name("SHERL: Synthesizing High Accuracy") == "SHERL"
    assert short_name("kMaX-DeepLab: k-means Mask Transformer") == "kMaX-DeepLab"
    assert short_name("CSWin Transformer: A General Vision Transformer Backbone") == "CSWin Transformer"
    assert short_name("tasksource: Structured Dataset Preprocessing") == "tasksource"
    assert short_name("Utilizing BERT for Information Retrieval: Survey, Applications") is None
    assert short_name("Mixing and Shifting: Exploiting Global and Local Dependencies") is None
    assert short_name("What Matters in Transformers? Not All Attention is Needed") is None


def test_links_are_found_and_cleaned() -> None:
    text = (
        "Code is available at https://github.com/ChangyuanWang17/QVLM. See (https://github.com/LZY-the-boys/Twin-Mergin.) "
        "and \\url{https://github.com/Med-Process/Strip\\_MLP}. Project: https://ivrl.github.io/VTAGML. "
        "Paper https://arxiv.org/abs/2401.00001, broken https://github. and again https://github.com/ChangyuanWang17/QVLM"
    )
    assert find_links(text) == [
        {"url": "https://github.com/ChangyuanWang17/QVLM"},
        {"url": "https://github.com/LZY-the-boys/Twin-Mergin"},
        {"url": "https://github.com/Med-Process/Strip_MLP"},
        {"url": "https://ivrl.github.io/VTAGML"},
        {"url": "https://arxiv.org/abs/2401.00001"},
    ]
    assert find_links("weights on https://huggingface.co/org/model and gitee.com/a/b.")[1] == {"url": "https://gitee.com/a/b"}
    assert find_links("a balanced https://en.wikipedia.org/wiki/Foo_(bar) link") == [
        {"url": "https://en.wikipedia.org/wiki/Foo_(bar)"}
    ]
    assert find_links("See www.example.org for details") == [{"url": "https://www.example.org"}]
    assert find_links("No link here, and/or a slash.") == [] and find_links("No link at all") == []
    assert all("/" in mark or "www." in mark for mark in _LINK_MARKS)  # first_link_mark's shortcut


def test_short_name_beside_the_title_only_when_the_title_lacks_it() -> None:
    def paper(title: str, name: str | None) -> Paper:
        return Paper(id="0" * 12, slug="x", title=title, short_name=name, first_seen="d.txt", sources=[{"dump": "d.txt", "position": 1}])

    assert paper("Q-VLM: Post-training Quantization", "Q-VLM").name_beside_title == ""
    assert paper("Post-training Quantization", "Q-VLM").name_beside_title == "Q-VLM"
    assert paper("Post-training Quantization", None).name_beside_title == ""


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("https://github.com/owner/repo", "Code"),
        ("https://gitlab.com/group/project/-/tree/main", "Code"),
        ("https://huggingface.co/org/model-name", "Model"),
        ("https://hf.co/org/model-name", "Model"),
        ("https://huggingface.co/datasets/org/data", "Dataset"),
        ("https://huggingface.co/spaces/org/demo", "Space"),
        ("https://huggingface.co/papers/2401.00001", "Paper"),
        ("https://huggingface.co/docs/transformers", "Web page"),
        ("https://arxiv.org/abs/2401.00001", "Paper"),
        ("https://www.youtube.com/watch?v=x", "Video"),
        ("https://xkcd.com/927/", "Web page"),
        ("https://en.wikipedia.org/wiki/Transformer", "Web page"),
        ("https://someone.github.io/project/", "Project page"),
        ("https://www.example.org", "Project page"),
    ],
)
def test_a_link_is_labelled_by_what_its_url_is(url: str, label: str) -> None:
    from papershelf.paper import Link

    assert Link(url=url).label == label
    assert Link(url=url, kind="other").label == "Web page"  # a kind set by hand wins
