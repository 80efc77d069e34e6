"""Tag rules: word boundaries, phrase variants, ranking, and hand edits kept."""

from __future__ import annotations

from pathlib import Path

from papershelf.config import TagRule, load_config
from papershelf.tagging import Tagger, merge_tags

ROOT = Path(__file__).resolve().parent.parent


def make(rules: dict[str, list[str]], limit: int = 4) -> Tagger:
    return Tagger([TagRule(name=name, match=match) for name, match in rules.items()], limit)


def test_word_boundaries_and_case() -> None:
    tagger = make({"Mixture of Experts": ["MoE", "mixture of experts"]})
    assert tagger.tags_for("Moebius strips and MoEbius", "Moebius moebius.") == []
    assert tagger.tags_for("A sparse MoE model", "") == ["Mixture of Experts"]
    assert tagger.tags_for("Layerwise Router for Mixture-of-Experts", "") == ["Mixture of Experts"]
    assert tagger.tags_for("moe-based routing", "") == ["Mixture of Experts"]


def test_one_passing_mention_is_not_enough_but_a_repeat_is() -> None:
    tagger = make({"Speech": ["speech", "ASR"]})
    assert tagger.tags_for("Vision models", "We also try speech once.") == []
    assert tagger.tags_for("Vision models", "Speech matters. ASR too.") == ["Speech"]


def test_phrases_are_counted_where_they_occur_whole() -> None:
    tagger = make({"MoE": ["mixture of experts", "mixture of", "sparse experts"], "Tasks": ["task", "task interference"]})
    # Two phrases at one place, a phrase in the last two words, one-word and longer phrases.
    assert tagger._hits("A mixture of experts, a task; sparse experts") == [3, 1]
    assert tagger._hits("task interference, task") == [0, 3]
    assert tagger._hits("mixture of") == [1, 0] and tagger._hits("experts mixture") == [0, 0]


def test_limit_keeps_best_supported_tags_in_config_order() -> None:
    tagger = make({"A": ["alpha"], "B": ["beta"], "C": ["gamma"]}, limit=2)
    assert tagger.tags_for("Gamma and Alpha", "beta beta") == ["A", "C"]


def test_regex_rules() -> None:
    tagger = make({"Bits": ["re:\\b\\d+-bit\\b"]})
    assert tagger.tags_for("4-bit and 8-bit models", "") == ["Bits"]


def test_merge_keeps_hand_edits() -> None:
    old_auto = ["Quantization", "Retrieval"]
    stored = ["Quantization", "My Reading List"]  # Retrieval removed, a tag added by hand
    assert merge_tags(stored, old_auto, ["Quantization", "Retrieval", "Speech"]) == [
        "Quantization",
        "Speech",
        "My Reading List",
    ]


def test_starter_taxonomy_tags_nearly_every_sample_paper(tmp_path: Path) -> None:
    from papershelf.dumps import read_dump
    from tests.conftest import SAMPLE_DUMPS

    settings = load_config(ROOT / "config.yaml")
    assert 20 <= len(settings.config.tags) <= 40
    tagger = settings.tagger()
    entries = {e.title: e for path in SAMPLE_DUMPS for e in read_dump(path).entries}
    counts = [len(tagger.tags_for(e.title, e.abstract)) for e in entries.values()]
    assert max(counts) <= 4
    assert sum(1 for c in counts if c >= 1) / len(counts) >= 0.95
    q_vlm = entries["Q-VLM: Post-training Quantization for Large Vision-Language Models"]
    assert "Quantization" in tagger.tags_for(q_vlm.title, q_vlm.abstract)
    ties = entries["Resolving Interference When Merging Models"]
    assert "Model Merging" in tagger.tags_for(ties.title, ties.abstract)
