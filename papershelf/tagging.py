"""Tagging: the rules of `config.yaml` applied to a title and abstract.

Phrases are matched as whole word sequences (so `MoE` never tags `Moebius`, and
`mixture of experts` also matches `Mixture-of-Experts`) by looking each word up among the
phrases' first words (and a phrase's first two words up together), which stays fast at
100,000 papers where one regular expression per tag does not.
A paper keeps its best-supported tags, up to the configured limit: a title match counts
more than a mention in the abstract, and one passing mention alone does not tag.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from slugify import slugify


if TYPE_CHECKING:
    from papershelf.config import TagRule

TITLE_WEIGHT = 3
# A single passing mention in an abstract is weak evidence; a title match or a repeat is not.
MIN_SCORE = 2
_WORD = re.compile(r"\w+")
# For ASCII text, \w is a letter, a digit or "_": every other character becomes a space and
# the text is split (three times quicker than the pattern, with the same words).
_NOT_WORD = str.maketrans({code: " " for code in range(128) if not (chr(code).isalnum() or chr(code) == "_")})


def tag_slug(name: str) -> str:
    return slugify(name) or "tag"


def words_of(text: str) -> list[str]:
    folded = text.casefold()
    return folded.translate(_NOT_WORD).split() if folded.isascii() else _WORD.findall(folded)


@dataclass(frozen=True)
class _CompiledRule:
    name: str
    phrases: tuple[tuple[str, ...], ...]
    patterns: tuple[re.Pattern[str], ...]


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
        # One-word phrases by their word, longer ones by their first two words: a text's words
        # are scanned once, and a longer phrase is compared only where its first two words are.
        single: dict[str, list[int]] = defaultdict(list)
        longer: dict[tuple[str, str], list[tuple[int, tuple[str, ...]]]] = defaultdict(list)
        for number, rule in enumerate(self.rules):
            for phrase in set(rule.phrases):
                if len(phrase) == 1:
                    single[phrase[0]].append(number)
                else:
                    longer[phrase[:2]].append((number, phrase))
        self.single, self.longer = dict(single), dict(longer)  # plain dicts: lookups must not add keys
        self.first_words = frozenset(single) | {first for first, _ in longer}
        self.patterns = [(number, pattern) for number, rule in enumerate(self.rules) for pattern in rule.patterns]
        self.slugs = {rule.name: rule.page_slug for rule in rules}
        # What the tags of a paper depend on: the rules and this module's code (a fix to the
        # matching retags the catalog, as a change to the rules does).
        rules_text = json.dumps([[r.name, r.match] for r in rules] + [limit, TITLE_WEIGHT, MIN_SCORE])
        self.digest = hashlib.sha256(rules_text.encode("utf-8") + Path(__file__).read_bytes()).hexdigest()

    def _hits(self, text: str) -> list[int]:
        """How often each rule matches the text: phrases as whole word sequences, plus patterns."""
        hits = [0] * len(self.rules)
        words = words_of(text)
        single, longer = self.single, self.longer
        for position in [i for i, word in enumerate(words) if word in self.first_words]:  # few words start a phrase
            word = words[position]
            for number in single.get(word, ()):
                hits[number] += 1
            following = words[position + 1] if position + 1 < len(words) else ""
            for number, phrase in longer.get((word, following), ()):
                if len(phrase) == 2 or tuple(words[position : position + len(phrase)]) == phrase:
                    hits[number] += 1
        for number, pattern in self.patterns:
            hits[number] += len(pattern.findall(text))
        return hits

    def tags_for(self, title: str, abstract: str) -> list[str]:
        """The best-supported tags (at most `limit`), listed in the config's order."""
        in_title, in_abstract = self._hits(title), self._hits(abstract)
        scores = {}
        for order, rule in enumerate(self.rules):
            score = TITLE_WEIGHT * in_title[order] + in_abstract[order]
            if score >= MIN_SCORE:
                scores[rule.name] = (score, -order)
        best = set(sorted(scores, key=scores.__getitem__, reverse=True)[: self.limit])
        return [rule.name for rule in self.rules if rule.name in best]


def merge_tags(stored: list[str], old_auto: list[str], new_auto: list[str]) -> list[str]:
    """Recompute a paper's tags while keeping a person's edits: tags added by hand stay,
    automatic tags removed by hand stay removed, and the rest follows the rules."""
    added_by_hand = [tag for tag in stored if tag not in old_auto]
    removed_by_hand = {tag for tag in old_auto if tag not in stored}
    merged = [tag for tag in new_auto if tag not in removed_by_hand]
    return merged + [tag for tag in added_by_hand if tag not in merged]
