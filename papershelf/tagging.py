"""Tagging: the rules of `config.yaml` applied to a title and abstract.

Phrases are matched as whole word sequences (so `MoE` never tags `Moebius`, and
`mixture of experts` also matches `Mixture-of-Experts`) by looking word n-grams up in a
set, which stays fast at 100,000 papers where one regular expression per tag does not.
A paper keeps its best-supported tags, up to the configured limit: a title match counts
more than a mention in the abstract, and one passing mention alone does not tag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass

from slugify import slugify


if TYPE_CHECKING:
    from papershelf.config import TagRule

TITLE_WEIGHT = 3
# A single passing mention in an abstract is weak evidence; a title match or a repeat is not.
MIN_SCORE = 2
_WORD = re.compile(r"\w+")


def tag_slug(name: str) -> str:
    return slugify(name) or "tag"


def words_of(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def _ngram_counts(words: list[str], longest: int) -> Counter[tuple[str, ...]]:
    counts: Counter[tuple[str, ...]] = Counter()
    for size in range(1, longest + 1):
        counts.update(tuple(words[i : i + size]) for i in range(len(words) - size + 1))
    return counts


@dataclass(frozen=True)
class _CompiledRule:
    name: str
    phrases: tuple[tuple[str, ...], ...]
    patterns: tuple[re.Pattern[str], ...]

    def hits(self, text: str, grams: Counter[tuple[str, ...]]) -> int:
        count = sum(grams[phrase] for phrase in self.phrases)
        return count + sum(len(pattern.findall(text)) for pattern in self.patterns)


class Tagger:
    def __init__(self, rules: list[TagRule], limit: int = 4):
        self.limit = limit
        self.rules = tuple(
            _CompiledRule(
                rule.name,
                tuple(tuple(words_of(m)) for m in rule.match if not m.startswith("re:") and words_of(m)),
                tuple(re.compile(m[3:], re.IGNORECASE) for m in rule.match if m.startswith("re:")),
            )
            for rule in rules
        )
        self.longest = max((len(p) for rule in self.rules for p in rule.phrases), default=1)
        self.slugs = {rule.name: rule.slug or tag_slug(rule.name) for rule in rules}
        rules_text = json.dumps([[r.name, r.match] for r in rules] + [limit, TITLE_WEIGHT, MIN_SCORE])
        self.digest = hashlib.sha256(rules_text.encode("utf-8")).hexdigest()

    def tags_for(self, title: str, abstract: str) -> list[str]:
        """The best-supported tags (at most `limit`), listed in the config's order."""
        title_grams = _ngram_counts(words_of(title), self.longest)
        abstract_grams = _ngram_counts(words_of(abstract), self.longest)
        scores = {}
        for order, rule in enumerate(self.rules):
            score = TITLE_WEIGHT * rule.hits(title, title_grams) + rule.hits(abstract, abstract_grams)
            if score >= MIN_SCORE:
                scores[rule.name] = (score, -order)
        best = set(sorted(scores, key=scores.__getitem__, reverse=True)[: self.limit])
        return [rule.name for rule in self.rules if rule.name in best]

    def slug(self, name: str) -> str:
        return self.slugs.get(name) or tag_slug(name)


def merge_tags(stored: list[str], old_auto: list[str], new_auto: list[str]) -> list[str]:
    """Recompute a paper's tags while keeping a person's edits: tags added by hand stay,
    automatic tags removed by hand stay removed, and the rest follows the rules."""
    added_by_hand = [tag for tag in stored if tag not in old_auto]
    removed_by_hand = {tag for tag in old_auto if tag not in stored}
    merged = [tag for tag in new_auto if tag not in removed_by_hand]
    return merged + [tag for tag in added_by_hand if tag not in merged]
