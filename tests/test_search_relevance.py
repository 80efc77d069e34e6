"""Search relevance, measured: the queries of `search_relevance.yaml` run under Node.js with
the real static/search-core.js against the built sample site. Targeted queries are scored
by reciprocal rank (1 at rank 1, 0 beyond the first 10), topic queries by how many of the
top 3 and top 10 are on topic. The figures go to test-output/search-relevance.json; the
bounds below are today's, so that a change that makes search worse fails."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from papershelf.catalog import load_catalog
from papershelf.config import load_config
from papershelf.search.documents import search_order
from tests.test_search import node

ROOT = Path(__file__).resolve().parent.parent
SET = Path(__file__).resolve().parent / "search_relevance.yaml"
REPORT = ROOT / "test-output" / "search-relevance.json"
MRR_AT_LEAST = 0.97
TOPIC_TOP3_AT_LEAST = 0.85


def relevance(built_site: Path, tmp_path: Path) -> dict:
    spec = yaml.safe_load(SET.read_text(encoding="utf-8"))
    papers = search_order(load_catalog(load_config(built_site / "config.yaml")).papers)
    labels = yaml.safe_load((ROOT / "content" / "tag_labels.yaml").read_text(encoding="utf-8"))["papers"]
    queries = [item["query"] for item in spec["targeted"] + spec["topics"]]
    (tmp_path / "queries.json").write_text(json.dumps(queries))
    ranked = node("rank", str(built_site / "site"), str(tmp_path / "queries.json"))
    targeted = {}
    for item in spec["targeted"]:
        ids = [papers[ref].id for ref in ranked[item["query"]]["top"]]
        targeted[item["query"]] = next((rank for rank, paper_id in enumerate(ids, 1) if paper_id in item["first"]), None)
    topics = {}
    for item in spec["topics"]:
        top = [papers[ref] for ref in ranked[item["query"]]["top"]]
        on_topic = [item["tag"] in labels.get(paper.id, paper.tags) for paper in top]
        topics[item["query"]] = {"top3": sum(on_topic[:3]), "top10": sum(on_topic), "results": ranked[item["query"]]["count"]}
    return {
        "mrr": sum(1 / rank for rank in targeted.values() if rank) / len(targeted),
        "at_rank_1": sum(rank == 1 for rank in targeted.values()),
        "targeted": targeted,
        "topic_top3": sum(t["top3"] for t in topics.values()) / (3 * len(topics)),
        "topic_top10": sum(t["top10"] for t in topics.values()) / (10 * len(topics)),
        "topics": topics,
    }


def test_relevance_is_measured_and_no_worse_than_before(built_site: Path, tmp_path: Path) -> None:
    figures = relevance(built_site, tmp_path)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps(figures, indent=1) + "\n")
    assert len(figures["targeted"]) >= 40 and len(figures["topics"]) >= 10
    missed = {query: rank for query, rank in figures["targeted"].items() if rank != 1}
    assert figures["mrr"] >= MRR_AT_LEAST, missed
    assert figures["topic_top3"] >= TOPIC_TOP3_AT_LEAST, figures["topics"]
