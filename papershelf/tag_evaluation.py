"""How good the tag rules are, measured against tags judged by hand (`content/tag_labels.yaml`).

Figures are given apart for the papers the rules were tuned on and for the held-out ones
(papers the labels file names, or the papers of dumps it names): only the second say how
the rules do on papers not seen yet. Precision and recall count the tags of the labelled papers
(micro-averaged); the untagged share and the tag shares are over every paper of the split,
labelled or not, so that a paper left out or a tag that floods the catalog shows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from papershelf.errors import PapershelfError
from papershelf.paper import Paper
from papershelf.tagging import Tagger
from papershelf.validation import invalid
from papershelf.yamlio import line_of, parse_yaml, read_text

LABELS_FILE = "tag_labels.yaml"
# A tag on more of a split's papers than this, beyond those whose titles say it, is too broad
# to browse by.
BROAD_SHARE = 0.12


class Labels(BaseModel):
    """The labels file: which dumps are held out, and each labelled paper's right tags."""

    model_config = ConfigDict(extra="forbid")

    held_out_dumps: list[str] = []
    held_out_papers: list[str] = []
    papers: dict[str, list[str]]


def load_labels(path: Path, known_tags: list[str], papers: dict[str, Paper]) -> Labels:
    """The labels file, checked: every paper is in the catalog, every tag in the taxonomy.
    A catalog without one has no labelled papers."""
    if not path.exists():
        return Labels(papers={})
    text = read_text(path)
    try:
        labels = Labels.model_validate(parse_yaml(text, path))
    except ValidationError as error:
        raise invalid(path, text, error, Labels) from None
    known = set(known_tags)
    for paper_id in labels.held_out_papers:
        if paper_id not in labels.papers:
            raise PapershelfError(path, f"the held-out paper {paper_id!r} has no labels", line_of(text, ("held_out_papers",)))
    for paper_id, tags in labels.papers.items():
        if paper_id not in papers:
            raise PapershelfError(path, f"no paper has the id {paper_id!r}", line_of(text, ("papers", paper_id)))
        for tag in tags:
            if tag not in known:
                raise PapershelfError(path, f"{tag!r} is not a tag of config.yaml", line_of(text, ("papers", paper_id)))
    return labels


@dataclass
class Figures:
    """One split's figures. Counts per tag: right, wrong (given but not labelled), missed."""

    papers: int = 0
    labelled: int = 0
    untagged: int = 0  # papers of the split, labelled or not, that the rules give no tag
    right: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)
    missed: Counter[str] = field(default_factory=Counter)
    shares: dict[str, float] = field(default_factory=dict)  # tag -> share of papers without a title match
    errors: list[tuple[Paper, list[str], list[str]]] = field(default_factory=list)  # paper, wrong, missed

    @property
    def precision(self) -> float:
        given = sum(self.right.values()) + sum(self.wrong.values())
        return sum(self.right.values()) / given if given else 1.0

    @property
    def recall(self) -> float:
        labelled = sum(self.right.values()) + sum(self.missed.values())
        return sum(self.right.values()) / labelled if labelled else 1.0

    @property
    def untagged_share(self) -> float:
        return self.untagged / self.papers if self.papers else 0.0

    def broad_tags(self) -> dict[str, float]:
        return {tag: share for tag, share in self.shares.items() if share > BROAD_SHARE}


def evaluate(tagger: Tagger, papers: list[Paper], labels: dict[str, list[str]]) -> Figures:
    """The rules' tags for these papers, against the labels of those that have some."""
    figures = Figures(papers=len(papers))
    broad: Counter[str] = Counter()
    for paper in papers:
        given = tagger.tags_for(paper.title, paper.abstract)
        in_title = tagger.evidence(paper.title)
        broad.update(tag for tag in given if tag not in in_title)
        figures.untagged += not given
        if paper.id not in labels:
            continue
        right = set(labels[paper.id])
        figures.labelled += 1
        figures.right.update(tag for tag in given if tag in right)
        wrong = [tag for tag in given if tag not in right]
        missed = [tag for tag in labels[paper.id] if tag not in given]
        figures.wrong.update(wrong)
        figures.missed.update(missed)
        if wrong or missed:
            figures.errors.append((paper, wrong, missed))
    figures.shares = {tag: count / len(papers) for tag, count in broad.most_common()} if papers else {}
    return figures


def split(papers: list[Paper], labels: Labels) -> dict[str, list[Paper]]:
    """The held-out papers (named, or brought first by a held-out dump) and the rest."""
    dumps, named = set(labels.held_out_dumps), set(labels.held_out_papers)
    held_out = {p.id for p in papers if p.first_seen in dumps or p.id in named}
    return {
        "tuned": [p for p in papers if p.id not in held_out],
        "held out": [p for p in papers if p.id in held_out],
    }


def report(results: dict[str, Figures], show_errors: bool) -> str:
    lines = []
    for name, figures in results.items():
        judged = f"precision {figures.precision:.1%}, recall {figures.recall:.1%}" if figures.labelled else "no precision or recall without labels"
        lines.append(f"{name}: {figures.labelled} labelled of {figures.papers} papers; {judged}, untagged {figures.untagged_share:.1%} ({figures.untagged})")
        broad = figures.broad_tags()
        widest = ", ".join(f"{tag} {share:.0%}" for tag, share in list(figures.shares.items())[:3])
        lines.append(f"  tags over {BROAD_SHARE:.0%} of papers without a title match: {len(broad)} (widest: {widest or 'none'})")
        worst = ", ".join(f"{tag} {count}" for tag, count in figures.wrong.most_common(5))
        lines.append(f"  most wrong: {worst or 'none'}")
        if show_errors:
            for paper, wrong, missed in figures.errors:
                said = ([f"wrong {', '.join(wrong)}"] if wrong else []) + ([f"missed {', '.join(missed)}"] if missed else [])
                lines.append(f"    {paper.id} {paper.title[:70]}: " + "; ".join(said))
    return "\n".join(lines)
