"""The benchmark runs end to end at 1,000 papers (its timings are reported, not asserted)."""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path

from benchmarks.bench import PROJECT_ROOT, dump_text, generate_dumps, kind_of, run_bench, synthetic_papers
from papershelf.config import load_config
from papershelf.dumps import read_dump


def test_synthetic_dumps_parse_in_both_layouts(tmp_path: Path) -> None:
    paths = generate_dumps(tmp_path, 450, seed=1)
    dumps = [read_dump(path) for path in paths]
    assert [len(d.entries) for d in dumps] == [200, 200, 50]
    assert all(not d.warnings for d in dumps)
    assert dumps[0].date == "Jan 1" and dumps[1].date is None  # layout A has the header, B not
    with_code = sum("github.com" in e.abstract for d in dumps for e in d.entries)
    assert 0.2 < with_code / 450 < 0.4
    assert dump_text([("T: A Title", "An abstract.")], "B", "Jan 1").startswith("Get trending")


def test_bench_at_one_thousand(tmp_path: Path) -> None:
    results = run_bench([1000], tmp_path / "bench.json")
    saved = json.loads((tmp_path / "bench.json").read_text())
    assert saved["results"] == results and saved["machine"]["cpus"] >= 1
    assert saved["machine"]["file_create_us_before"] > 0 and saved["machine"]["file_create_us_after"] > 0
    (result,) = results
    clean, added, nothing = result["clean_build"], result["add_200"], result["nothing_new"]
    assert clean["ingest"]["new"] == 1000 and clean["build"]["pages"] > 1000
    assert clean["build"]["index_bytes"] > 0 and clean["peak_memory_mb"] > 0
    assert set(clean["build"]["seconds"]) == {"load", "analyse", "related", "index", "plan", "cards", "render", "write"}
    assert added["ingest"]["new"] == 200 and 0 < added["build"]["written"] < added["build"]["files"]
    assert nothing["build"]["nothing_to_do"] and nothing["build"]["written"] == 0
    again = result["add_200_seen_before"]
    assert (again["ingest"]["new"], again["ingest"]["updated"]) == (180, 20) and again["build"]["written"] > 0
    edited = result["edit_one_paper"]["build"]
    # The paper, its lists, related papers, the document chunks of its group (256 of them: at
    # this size most of the catalog's) and the shards with their positions (BM25 weights
    # depend on every paper's length).
    assert not edited["nothing_to_do"] and 0 < edited["written"] < clean["build"]["files"] // 2
    first, common = result["first_search"], result["first_search_common"]
    assert first["files"] >= 3 and 0 < first["gzip_bytes"] < 150_000  # the 1,000-paper target
    assert common["files"] > first["files"] and common["gzip_bytes"] > first["gzip_bytes"]  # two words, bigger shards
    site = result["site"]
    assert site["files"] == sum(kind["files"] for kind in site["by_kind"].values()) > clean["build"]["pages"]
    assert site["bytes"] == sum(kind["bytes"] for kind in site["by_kind"].values())
    assert {"paper pages", "tag pages", "listings", "search index", "data files", "feeds", "sitemaps", "assets"} <= set(site["by_kind"])
    assert site["by_kind"]["paper pages"]["files"] == 1000
    assert site["fits_1gb_papers"] == 10**9 * 1000 // site["bytes"]
    workflow = result["pages_workflow"]
    assert workflow["checkout_files"] >= 1000 and workflow["cache_bytes"] > 0
    assert site["bytes"] < workflow["artifact_bytes"] < 2 * site["bytes"]  # the tar of every file
    assert min(workflow[key] for key in ("checkout_seconds", "cache_restore_seconds", "artifact_seconds")) > 0


def test_site_files_by_kind() -> None:
    kinds = {
        "papers/x.html": "paper pages",
        "index.html": "list pages",
        "tags/x/page/2/index.html": "tag pages",
        "tags/x/feed.xml": "feeds",
        "feed.xml": "feeds",
        "listings/x/page/2/index.html": "listings",
        "search/t/6162.0123456789.json.gz": "search index",
        "search/index.html": "other pages",
        "data/papers-1.json.gz": "data files",
        "papers.json": "data files",
        "sitemaps/papers-1.xml.gz": "sitemaps",
        "sitemap.xml": "sitemaps",
        "assets/style.0123456789.css": "assets",
        "about/index.html": "other pages",
    }
    assert {path: kind_of(path) for path in kinds} == kinds


def test_synthetic_papers_are_shaped_like_the_sample_dumps() -> None:
    """Sizes measured on synthetic papers mean something only if the papers are like real
    ones: the sample dumps' papers have titles of 73 characters, abstracts of 1,360 and 1.4
    starter tags on average."""
    tagger = load_config(PROJECT_ROOT / "config.yaml").tagger()
    papers = synthetic_papers(random.Random(7), range(2000))
    assert 65 < statistics.mean(len(title) for title, _ in papers) < 85
    assert 1200 < statistics.mean(len(abstract) for _, abstract in papers) < 1550
    assert 1.2 < statistics.mean(len(tagger.tags_for(title, abstract)) for title, abstract in papers) < 1.7


def test_search_latency_in_chromium(site_origin: str, browser) -> None:
    """The latency benchmark times every query, cold and warm, on a built site's search
    page (the `browser` fixture makes sure chromium is there)."""
    from benchmarks.latency import QUERIES, measure

    results = measure(site_origin + "search/", browser)
    assert list(results) == QUERIES
    assert all(times["cold_ms"] > 0 and times["warm_ms"] > 0 and "results" in times["status"] for times in results.values())
    # The results shown cost one chunk of 4 documents each at most, about 1 KB.
    assert all(1 <= times["document_files"] <= 10 and times["document_kb"] <= 1.5 * times["document_files"] for times in results.values())
