"""Tags learned from hand curation: a linear model per tag over the papers' TF-IDF.

The rules tag by phrases; a curator corrects them by editing `tags`. Those tags (the
rules' and the curator's, a hand edit counting HAND_WEIGHT times) train one logistic
regression per tag, as arxiv-sanity-lite trains one classifier per tag, and the models
say which tags a paper probably lacks (a suggestion) and which rule tags they doubt.

Each paper is scored by models that did not see it (FOLDS-fold cross-validation, the fold
fixed by the paper's id), so that a paper's own tags cannot vouch for themselves. Nothing
here changes a paper: `build.py tags --suggest` lists the suggestions, and `--accept P`
adds those scored at least P as if added by hand. The same papers give the same scores.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from papershelf.paper import Paper

FOLDS = 5
# A tag needs this many papers before a model of it means anything.
MIN_PAPERS = 4
# A tag a person added or removed is a judgement, worth more than a rule's.
HAND_WEIGHT = 3.0
SUGGEST_FROM = 0.5  # a missing tag scored at least this is suggested
DOUBT_BELOW = 0.1  # a rule tag scored below this is doubted


@dataclass(frozen=True)
class Suggestion:
    """A tag a model would add to a paper (`add`) or doubts there (`doubt`), with its score:
    the probability the model gives the tag, from 0 to 1."""

    paper_id: str
    tag: str
    score: float
    kind: str  # "add" or "doubt"


def _text(paper: Paper) -> str:
    # The title twice: it says what the paper is about more surely than any abstract line.
    return f"{paper.title}. {paper.title}. {paper.abstract}"


def _fold(paper: Paper) -> int:
    return int(paper.id, 16) % FOLDS


def tag_scores(papers: list[Paper]) -> dict[str, np.ndarray]:
    """For each tag on at least MIN_PAPERS papers, every paper's cross-validated score."""
    if len(papers) < FOLDS:
        return {}
    vectors = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, stop_words="english", dtype=np.float64).fit_transform([_text(p) for p in papers])
    folds = np.array([_fold(p) for p in papers])
    tags = sorted({tag for paper in papers for tag in paper.tags})
    scores = {}
    for tag in tags:
        has = np.array([tag in paper.tags for paper in papers])
        if has.sum() < MIN_PAPERS:
            continue
        by_hand = np.array([(tag in paper.tags) != (tag in paper.auto_tags) for paper in papers])
        weights = np.where(by_hand, HAND_WEIGHT, 1.0)
        score = np.zeros(len(papers))
        for fold in range(FOLDS):
            train, test = folds != fold, folds == fold
            if not test.any():
                continue
            if has[train].all() or not has[train].any():
                score[test] = has[train].mean()
                continue
            model = LogisticRegression(C=1.0, class_weight="balanced", solver="liblinear")
            model.fit(vectors[train], has[train], sample_weight=weights[train])
            score[test] = model.predict_proba(vectors[test])[:, 1]
        scores[tag] = score
    return scores


def suggestions(papers: list[Paper], scores: dict[str, np.ndarray]) -> list[Suggestion]:
    """Tags to add (scored SUGGEST_FROM or more, not removed by hand) and rule tags in doubt
    (scored below DOUBT_BELOW, not confirmed by hand), the surest first."""
    found = []
    for tag, score in scores.items():
        for paper, value in zip(papers, score.tolist()):
            removed_by_hand = tag in paper.auto_tags and tag not in paper.tags
            if tag not in paper.tags and not removed_by_hand and value >= SUGGEST_FROM:
                found.append(Suggestion(paper.id, tag, round(value, 3), "add"))
            elif tag in paper.tags and tag in paper.auto_tags and value < DOUBT_BELOW:
                found.append(Suggestion(paper.id, tag, round(value, 3), "doubt"))
    return sorted(found, key=lambda s: (s.kind, -s.score if s.kind == "add" else s.score, s.paper_id, s.tag))
