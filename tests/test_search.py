"""The search index against the browser's query code, run under Node.js: every word of the
catalog finds its papers, and the split index answers exactly as the unsplit one."""

from __future__ import annotations

import itertools
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from papershelf.analysis import FIELD_NAMES, analyze, index_term, normalize_word, term_table
from papershelf.catalog import load_catalog
from papershelf.config import load_config
from papershelf.search.documents import search_order
from papershelf.search.postings import sorted_postings, term_entries
from papershelf.search.reference import build_index

CHECK = Path(__file__).resolve().parent / "js" / "search_check.js"


def node(*args: str) -> dict:
    if shutil.which("node") is None:
        pytest.fail("Node.js is required (it runs lunr.js for these tests)")
    result = subprocess.run(["node", str(CHECK), *args], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def catalog_words(folder: Path) -> tuple[list, dict[str, list[int]]]:
    """Every distinct word of every title and abstract, as a reader would copy it (split on
    spaces and hyphens, punctuation and case kept), with the refs of the papers it is in."""
    papers = search_order(load_catalog(load_config(folder / "config.yaml")).papers)
    words: dict[str, set[int]] = {}
    for ref, paper in enumerate(papers):
        for word in set(re.split(r"[\s\-]+", f"{paper.title} {paper.abstract}")):
            if normalize_word(word):
                words.setdefault(word, set()).add(ref)
    return papers, {word: sorted(refs) for word, refs in sorted(words.items())}


def test_word_analysis() -> None:
    assert normalize_word("(LVLMs).") == "LVLMs"
    assert normalize_word("Nyström-based") == "Nystrom-based"
    assert normalize_word("γ") == "γ" and normalize_word("“”,.") == ""
    assert index_term("quantization") == "quantiz"
    assert index_term("key") == "key" and index_term("happy") == "happi"  # as lunr.js stems them


def test_fast_postings_equal_lunr_py_builder(built_site: Path) -> None:
    papers, _ = catalog_words(built_site)
    reference = build_index(papers)
    entries = [json.loads(entry) for _, entry, _ in term_entries(sorted_postings(term_table([analyze(paper) for paper in papers]))[0])]
    assert {term: index for term, index, *_ in entries} == {term: posting["_index"] for term, posting in reference.inverted_index.items()}
    expected = {}
    for field_ref, vector in reference.field_vectors.items():
        field, _, ref = field_ref.partition("/")
        for i in range(0, len(vector.elements), 2):
            expected[(field, int(ref), vector.elements[i])] = round(vector.elements[i + 1] * 1000)
    weights = {
        (FIELD_NAMES[number], ref, index): weight
        for _, index, fields, *_ in entries
        for number, gaps, values in fields
        for ref, weight in zip(itertools.accumulate(gaps), values)
    }
    assert len(weights) > 40000 and weights == expected


def test_postings_grown_from_the_last_build_equal_postings_sorted_afresh(built_site: Path) -> None:
    from papershelf.analysis import catalog_table
    from papershelf.search.postings import can_grow, grown_ref_gaps, ref_gaps

    papers, _ = catalog_words(built_site)
    keys = [f"v1-{paper.id}" for paper in papers]
    first = catalog_table(papers[:200], keys[:200], None)
    middle = catalog_table(papers[:201], keys[:201], first)  # one paper more: a few groups grow
    grown = catalog_table(papers, keys, middle)  # many more: new terms, new fields of old terms
    assert len(grown.vocabulary) > len(first.vocabulary) + 1000
    twice = grown_ref_gaps(grown_ref_gaps(ref_gaps(first), middle), grown)
    fresh = ref_gaps(grown)
    for name in ("order", "row_ends", "text_ends", "position_ends"):
        assert np.array_equal(getattr(twice, name), getattr(fresh, name)), name
    assert twice.text == fresh.text and twice.positions == fresh.positions and twice.keys == fresh.keys == keys
    same = grown_ref_gaps(fresh, grown)  # nothing appended
    assert same.text == fresh.text and np.array_equal(same.order, fresh.order)
    postings, gaps = sorted_postings(grown, ref_gaps(middle))
    assert term_entries(postings) == term_entries(sorted_postings(grown)[0]) and gaps.text == fresh.text
    # Grown for a table that starts with the rows the gaps were made from, even where files
    # have new versions (papers seen again); made afresh for any other.
    seen_again = catalog_table(papers, ["v2-seen-again"] + keys[1:], middle)
    assert seen_again.based_on == keys[:201] and can_grow(ref_gaps(middle), seen_again)
    assert not can_grow(ref_gaps(first), seen_again) and not can_grow(None, seen_again)
    reworded = list(papers)
    reworded[0] = reworded[0].model_copy(update={"title": "Zebras"})
    edited = catalog_table(reworded, ["v2-edited"] + keys[1:], grown)
    assert edited.based_on == [] and not can_grow(ref_gaps(middle), edited)
    assert sorted_postings(edited, ref_gaps(middle))[1].text == ref_gaps(edited).text


def test_every_word_of_the_catalog_finds_its_papers(built_site: Path, tmp_path: Path) -> None:
    papers, words = catalog_words(built_site)
    assert len(papers) == 371 and len(words) > 8000
    (tmp_path / "words.json").write_text(json.dumps(words))
    report = node("vocabulary", str(built_site / "site"), str(tmp_path / "words.json"))
    assert report["words"] == len(words) and report["pairs"] > 45000
    assert report["failures"] == [] and report["failed"] == 0


def test_split_index_answers_as_the_unsplit_one(built_site: Path, tmp_path: Path) -> None:
    papers, words = catalog_words(built_site)
    (tmp_path / "unsplit.json").write_text(json.dumps(build_index(papers).serialize()))
    queries = [
        "quantization", "quanti", "mixture of experts", "transfomer", "vision-language model",
        "LoRA", "γ-MoD", "distil", "retrieval augmented generation", "the", "a", "x", "Nyström",
        "https://github.com/ChangyuanWang17/QVLM", "model merging task vectors", "zzzz", "",
    ]
    queries += random.Random(7).sample(sorted(words), 300)
    (tmp_path / "queries.json").write_text(json.dumps(queries))
    report = node("compare", str(built_site / "site"), str(tmp_path / "unsplit.json"), str(tmp_path / "queries.json"))
    assert report["queries"] == len(queries)
    assert report["differences"] == []
    assert report["pruned"] >= 100  # first pages for which lunr.js scored only some of the results


def test_words_inside_urls_hosts_and_names_find_their_papers(built_site: Path, tmp_path: Path) -> None:
    """lunr's tokenizer keeps `https://github.com/x/qvlm` and `ivrl.github.io` whole; their
    parts are indexed too, and a short hyphenated name is also found written as one word."""
    papers, _ = catalog_words(built_site)
    queries = ["github", "ivrl", "qvlm", "QVLM", "Q-VLM", "gpt4", "github.com"]
    (tmp_path / "queries.json").write_text(json.dumps(queries))
    ranked = node("rank", str(built_site / "site"), str(tmp_path / "queries.json"))
    with_github = [ref for ref, paper in enumerate(papers) if "github" in f"{paper.title} {paper.abstract}".lower()]
    assert len(with_github) > 90 and ranked["github"]["count"] == len(with_github)
    title = lambda query: papers[ranked[query]["top"][0]].title  # noqa: E731
    assert "ivrl.github.io" in papers[ranked["ivrl"]["top"][0]].abstract and ranked["ivrl"]["count"] == 1
    assert title("qvlm") == title("QVLM") == title("Q-VLM") == "Q-VLM: Post-training Quantization for Large Vision-Language Models"
    assert all("GPT-4" in f"{papers[ref].title} {papers[ref].abstract}" for ref in ranked["gpt4"]["top"]) and ranked["gpt4"]["count"] >= 3
    assert ranked["github.com"]["count"] >= 80  # the host typed whole: in most GitHub links


def _fields_tokens(paper) -> list[list[tuple[str, str, int]]]:
    from papershelf.analysis import field_tokens, search_fields

    return [field_tokens(text) for text in search_fields(paper)]


def test_a_quoted_phrase_finds_the_papers_with_its_words_side_by_side(built_site: Path, tmp_path: Path) -> None:
    """Two- and three-word phrases taken from the catalog's abstracts find exactly the papers
    with those terms adjacent and in order in one field, a subset of those with the words
    anywhere; and every paper whose text says the phrase as typed."""
    papers, _ = catalog_words(built_site)
    tokens = [_fields_tokens(paper) for paper in papers]
    rng = random.Random(5)
    phrases = []
    for ref in rng.sample(range(len(papers)), 60):
        words = papers[ref].abstract.split()
        start = rng.randrange(max(1, len(words) - 3))
        phrases.append(" ".join(words[start : start + rng.choice([2, 3])]))
    phrases += ["knowledge distillation", "state of the art", "mixture of experts", "large language models"]
    queries = [f'"{phrase}"' for phrase in phrases] + phrases
    (tmp_path / "queries.json").write_text(json.dumps(queries))
    results = node("results", str(built_site / "site"), str(tmp_path / "queries.json"))
    narrower = 0
    for phrase in phrases:
        terms = [index_term(word) for word in re.split(r"[\s\-]+", phrase.lower()) if index_term(word)]
        expected = {
            ref
            for ref, fields in enumerate(tokens)
            if any(
                any(all(field[i + k][0] == term and field[i + k][2] == field[i][2] + k for k, term in enumerate(terms)) for i in range(len(field) - len(terms) + 1))
                for field in fields
            )
        }
        typed = re.compile(r"(?<!\w)" + re.escape(phrase.lower()) + r"(?!\w)")
        said = {ref for ref, paper in enumerate(papers) if typed.search(" ".join(f"{paper.title} {paper.abstract}".lower().split()))}
        found = {ref for ref, _ in results[f'"{phrase}"']}
        assert found == expected and said <= found, phrase
        assert found <= {ref for ref, _ in results[phrase]}
        narrower += len(found) < len(results[phrase])
    assert narrower >= 5  # quotes change the answer for some phrases


def test_a_paper_with_the_very_word_typed_comes_before_other_words_of_its_stem(built_site: Path, tmp_path: Path) -> None:
    """For a word written in several forms across the catalog, the papers holding the form
    typed rank first, then the other papers with its stem; `recenters` finds first the one
    paper that says it, ahead of the papers that say "recent"."""
    papers, words = catalog_words(built_site)
    tokens = [_fields_tokens(paper) for paper in papers]
    forms: dict[str, set[str]] = {}
    for fields in tokens:
        for field in fields:
            for term, form, _ in field:
                forms.setdefault(term, set()).add(form)
    chosen = sorted(form for term, written in forms.items() if len(written) > 1 for form in written)
    queries = random.Random(9).sample(chosen, 80) + ["recenters", "models", "transformers"]
    (tmp_path / "queries.json").write_text(json.dumps(queries))
    results = node("results", str(built_site / "site"), str(tmp_path / "queries.json"))
    for query in queries:
        term = index_term(query)
        holding = {ref for ref, fields in enumerate(tokens) if any(form == query for field in fields for _, form, _ in field)}
        stem_only = {ref for ref, fields in enumerate(tokens) if any(t == term for field in fields for t, _, _ in field)} - holding
        ranked = [ref for ref, _ in results[query]]
        assert set(ranked[: len(holding)]) == holding, query
        assert set(ranked[len(holding) : len(holding) + len(stem_only)]) == stem_only, query
    recenters = results["recenters"]
    assert "recenters" in papers[recenters[0][0]].abstract and len(recenters) > 20


def test_inner_words() -> None:
    from papershelf.analysis import inner_words

    assert inner_words("code: https://github.com/changyuanwang17/qvlm.") == ["github.com", "https", "github", "com", "changyuanwang17", "qvlm"]
    assert inner_words("at ivrl.github.io/vita, ivrl.github.io and huggingface.co:") == ["ivrl.github.io", "ivrl", "github", "io", "vita", "ivrl", "github", "io", "huggingface", "co"]
    assert inner_words("q-vlm and gpt-4, llama-2-7b, t5-xxl") == ["qvlm", "gpt4", "llama27b", "t5xxl"]
    assert inner_words("e.g. 2.05 points, the model's post-training mixture-of-experts") == ["model"]


def test_small_shards_split_by_longer_prefixes_and_still_agree(catalog: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a tiny shard size, big shards split by 3, 4… characters; every word still finds
    its papers and the split index still answers as the unsplit one."""
    from papershelf.search import shards
    from tests.conftest import run

    monkeypatch.setattr(shards, "SHARD_BYTES", 1500)
    assert run(catalog) == 0
    manifest = json.loads(next((catalog / "site" / "search").glob("manifest.*.json")).read_text())
    lengths = {len(key) for key in manifest["shards"]}
    assert max(lengths) >= 4 and 2 in lengths
    papers, words = catalog_words(catalog)
    (tmp_path / "words.json").write_text(json.dumps(words))
    report = node("vocabulary", str(catalog / "site"), str(tmp_path / "words.json"))
    assert report["failed"] == 0 and report["pairs"] > 45000
    (tmp_path / "unsplit.json").write_text(json.dumps(build_index(papers).serialize()))
    queries = ["quantization", "quanti", "co", "com", "comp", "compression", "transfomer", "the", "mixture of experts"]
    queries += random.Random(11).sample(sorted(words), 150)
    (tmp_path / "queries.json").write_text(json.dumps(queries))
    report = node("compare", str(catalog / "site"), str(tmp_path / "unsplit.json"), str(tmp_path / "queries.json"))
    assert report["differences"] == []


def test_document_chunks_are_named_by_what_they_are_made_from(built_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chunk's name follows its group's papers' versions, the tag numbering and the code,
    so that a build can tell it has a chunk without encoding it; chunks of papers with no
    known version are named by their bytes."""
    from papershelf.analysis import catalog_table
    from papershelf.search import documents
    from papershelf.search.documents import DOCS_PER_CHUNK, search_files

    monkeypatch.setattr(documents, "CHUNKS_PER_GROUP", 8)  # several groups at the sample's size

    catalog = load_catalog(load_config(built_site / "config.yaml"))
    papers = search_order(catalog.papers)
    table = catalog_table(papers, [f"v1-{paper.id}" for paper in papers], None)

    def chunks(files) -> dict[str, object]:
        return {path: data for path, data in files.files.items() if path.startswith("search/d/")}

    first = chunks(search_files(catalog, table, "code-1"))
    assert len(first) == -(-len(papers) // DOCS_PER_CHUNK) and all(callable(data) for data in first.values())
    assert chunks(search_files(catalog, table, "code-1")).keys() == first.keys()
    edited = catalog_table(papers, [f"v2-{paper.id}" if i == 4 * DOCS_PER_CHUNK * 8 + 1 else f"v1-{paper.id}" for i, paper in enumerate(papers)], None)
    renamed = chunks(search_files(catalog, edited, "code-1")).keys() - first.keys()
    assert sorted(int(path.split("/")[-1].split(".")[0]) for path in renamed) == list(range(32, 40))  # the edited paper's group
    manifest = json.loads(next(data for path, data in search_files(catalog, table, "code-1").files.items() if path.startswith("search/manifest")))
    assert all(f"search/d/{n}.{manifest['docGroups'][n // 8]}.json.gz" in first for n in range(len(first)))
    assert not chunks(search_files(catalog, table, "code-2")).keys() & first.keys()
    unknown = chunks(search_files(catalog, catalog_table(papers, ["" for _ in papers], None), "code-1"))
    assert all(isinstance(data, bytes) for data in unknown.values())
    assert sorted(data for data in unknown.values()) == sorted(data() for data in first.values())

def test_a_star_inside_a_word_is_a_character_not_a_wildcard(catalog: Path, tmp_path: Path) -> None:
    """lunr reads `*` in a term as "any letters"; in words like O(n*d) it is just a
    character, in the split index as in the unsplit one."""
    from benchmarks.bench import dump_text
    from tests.conftest import run

    papers = [
        ("Attention in O(n*d) Time", "We bring attention down to O(n*d) cost for long inputs."),
        ("Scaling in O(nd) Memory", "Our method keeps memory at O(nd) while training."),
        ("Linear Cost in O(n^2d) Form", "A bound of O(n^2d) holds for the dense layer."),
    ]
    (catalog / "dumps" / "009_star.txt").write_text(dump_text(papers, "A", "Jan 9"), encoding="utf-8")
    assert run(catalog) == 0
    all_papers, words = catalog_words(catalog)
    assert index_term("o(n*d") != index_term("o(nd")
    (tmp_path / "unsplit.json").write_text(json.dumps(build_index(all_papers).serialize()))
    (tmp_path / "queries.json").write_text(json.dumps(["O(n*d)", "O(nd)", "n*d", "O(n*d) time"]))
    report = node("compare", str(catalog / "site"), str(tmp_path / "unsplit.json"), str(tmp_path / "queries.json"))
    assert report["differences"] == []
    star = next(ref for ref, paper in enumerate(all_papers) if paper.title.startswith("Attention in O(n*d)"))
    (tmp_path / "words.json").write_text(json.dumps({"O(n*d)": [star]}))
    assert node("vocabulary", str(catalog / "site"), str(tmp_path / "words.json"))["failed"] == 0
    found = node("whole", str(catalog / "site"), str(tmp_path / "unsplit.json"), "O(n*d)")["refs"]
    assert star in found and len(found) < 3  # not every O(n…d) paper


def test_a_short_name_the_title_says_already_counts_once() -> None:
    from papershelf.analysis import search_fields
    from papershelf.paper import Paper, Source

    def paper(title: str, short_name: str) -> Paper:
        return Paper(id="0" * 12, slug="x", title=title, short_name=short_name, abstract="An abstract.", first_seen="d.txt", sources=[Source(dump="d.txt", position=1)])

    assert search_fields(paper("Towards Multi-Task Multi-Modal Models: a survey", "Towards Multi-Task Multi-Modal Models"))[1] == ""
    assert search_fields(paper("Post-training Quantization for Vision-Language Models", "Q-VLM"))[1] == "Q-VLM"
