"""Tagging: the rules of `config.yaml` applied to a title and abstract.

Phrases are matched as whole word sequences (so `MoE` never tags `Moebius`, and
`mixture of experts` also matches `Mixture-of-Experts`) by looking each word up among the
phrases' first words, which stays fast at 100,000 papers where one regular expression per
tag does not. Within one tag the longest phrase at a place wins and the words it covers
count once: `encoder-decoder` is not also a `decoder`, and an excluded phrase (`dataset
distillation` for Knowledge Distillation) covers its words without counting.

A paper keeps its best-supported tags, up to the configured limit. Evidence is scored: a
title match counts TITLE_WEIGHT, a strong term in the abstract MIN_SCORE (one mention
tags), a generic term in the abstract 1 (it takes a repeat).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Sequence
from enum import IntEnum
from pathlib import Path
from typing import Protocol

from slugify import slugify

TITLE_WEIGHT = 3
# A single passing mention of a generic word is weak evidence; a title match, a repeat or
# one distinctive term is not.
MIN_SCORE = 2
# A second tag and the next need more: a title match and a mention, or three distinctive
# mentions (tuned on the labelled papers of the tuned dumps; see `tag_evaluation.py`).
FURTHER_TAG_SCORE = 5
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")
_WORD = re.compile(r"\w+")
# For ASCII text, \w is a letter, a digit or "_": every other character becomes a space and
# the text is split (three times quicker than the pattern, with the same words).
_NOT_WORD = str.maketrans({code: " " for code in range(128) if not (chr(code).isalnum() or chr(code) == "_")})


class TagRule(Protocol):
    """A tag's rule as the config gives it (config.TagRule, validated there)."""

    @property
    def name(self) -> str: ...
    @property
    def page_slug(self) -> str: ...
    @property
    def strong(self) -> list[str]: ...
    @property
    def match(self) -> list[str]: ...
    @property
    def exclude(self) -> list[str]: ...


def tag_slug(name: str) -> str:
    return slugify(name) or "tag"


def words_of(text: str) -> list[str]:
    folded = text.casefold()
    return folded.translate(_NOT_WORD).split() if folded.isascii() else _WORD.findall(folded)


class Strength(IntEnum):
    """What a matched term says: nothing (an exclusion), a little, or enough alone."""

    EXCLUDED = 0
    WEAK = 1
    STRONG = MIN_SCORE


def _terms(rule: TagRule) -> list[tuple[str, Strength]]:
    return [(term, Strength.STRONG) for term in rule.strong] + [(term, Strength.WEAK) for term in rule.match] + [(term, Strength.EXCLUDED) for term in rule.exclude]


class Tagger:
    def __init__(self, rules: Sequence[TagRule], limit: int = 4):
        self.limit = limit
        self.names = tuple(rule.name for rule in rules)
        # First word -> (length, words, rule, strength), longest phrase first: the first phrase of
        # a rule that matches at a place is that rule's longest there.
        by_first: dict[str, set[tuple[tuple[str, ...], int, Strength]]] = defaultdict(set)
        patterns = []
        for number, rule in enumerate(rules):
            for term, strength in _terms(rule):
                if term.startswith("re:"):
                    patterns.append((number, re.compile(term[3:], re.IGNORECASE), strength))
                elif words := tuple(words_of(term)):
                    by_first[words[0]].add((words, number, strength))
        # Plain dicts and tuples: lookups must not add keys, and the order is fixed.
        self.by_first = {
            word: tuple((len(phrase), list(phrase), number, strength) for phrase, number, strength in sorted(found, key=lambda entry: (-len(entry[0]), entry[1], entry[0])))
            for word, found in by_first.items()
        }
        self.patterns = tuple(patterns)
        self.slugs = {rule.name: rule.page_slug for rule in rules}
        # What the tags of a paper depend on: the rules and this module's code (a fix to the
        # matching retags the catalog, as a change to the rules does).
        rules_text = json.dumps([[rule.name, rule.page_slug, rule.strong, rule.match, rule.exclude] for rule in rules] + [limit, TITLE_WEIGHT, MIN_SCORE, FURTHER_TAG_SCORE])
        self.digest = hashlib.sha256(rules_text.encode("utf-8") + Path(__file__).read_bytes()).hexdigest()

    def _matches(self, text: str) -> dict[int, int]:
        """Rule number -> the summed strength of its terms, for the rules matching the text:
        per rule, the longest phrase at each place, matches not overlapping, excluded phrases
        covering their words; then patterns. Only matched rules appear (a paper's sentences
        match few of the rules, and this runs for each)."""
        found: dict[int, int] = {}
        covered_until: dict[int, int] = {}  # per rule: the first word not yet covered
        words = words_of(text)
        by_first = self.by_first
        for position in [i for i, word in enumerate(words) if word in by_first]:  # few words start a phrase
            for length, phrase, number, strength in by_first[words[position]]:
                end = position + length
                if (length > 1 and words[position:end] != phrase) or position < covered_until.get(number, 0):
                    continue
                covered_until[number] = end
                if strength:
                    found[number] = found.get(number, 0) + strength
        for number, pattern, strength in self.patterns:
            if count := len(pattern.findall(text)):
                found[number] = found.get(number, 0) + strength * count
        return found

    def evidence(self, text: str) -> dict[str, int]:
        """The tags the text has terms of, with the summed strength of their matches."""
        return {self.names[number]: strength for number, strength in sorted(self._matches(text).items())}

    def scores(self, title: str, abstract: str) -> dict[str, int]:
        """Each tag's support in a paper (zero for none): TITLE_WEIGHT for a title that
        says it, and per sentence of the abstract the strength of its best term there. A
        sentence listing examples (`such as Longformer, BigBird or Reformer`) is one
        mention: a repeat is a tag said again in another sentence."""
        support = [0] * len(self.names)
        for number in self._matches(title):
            support[number] = TITLE_WEIGHT
        for sentence in _SENTENCE_END.split(abstract):
            for number, strength in self._matches(sentence).items():
                support[number] += min(strength, Strength.STRONG)
        return dict(zip(self.names, support))

    def tags_for(self, title: str, abstract: str) -> list[str]:
        """The best-supported tags (at most `limit`), listed in the config's order: the
        best one on MIN_SCORE, each further one on FURTHER_TAG_SCORE (a paper has one main
        topic; a side topic must be said plainly to be a tag)."""
        supported = ((score, -order, name) for order, (name, score) in enumerate(self.scores(title, abstract).items()) if score)
        ranked = sorted(supported, reverse=True)
        best = {name for rank, (score, _, name) in enumerate(ranked[: self.limit]) if score >= (MIN_SCORE if rank == 0 else FURTHER_TAG_SCORE)}
        return [name for name in self.names if name in best]


def merge_tags(stored: list[str], old_auto: list[str], new_auto: list[str]) -> list[str]:
    """Recompute a paper's tags while keeping a person's edits: tags added by hand stay,
    automatic tags removed by hand stay removed, and the rest follows the rules."""
    added_by_hand = [tag for tag in stored if tag not in old_auto]
    removed_by_hand = {tag for tag in old_auto if tag not in stored}
    merged = [tag for tag in new_auto if tag not in removed_by_hand]
    return merged + [tag for tag in added_by_hand if tag not in merged]
