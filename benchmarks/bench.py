"""The benchmark: synthetic catalogs of N papers, built the ways people build them.

For each size it generates dumps in both layouts (about 200 papers each, ~30% with code
links), with papers shaped like the sample dumps': titles of 76 characters, abstracts of
1,390 and 1.4 tags of the starter taxonomy per paper on average (the sample: 73, 1,360 and
1.4; the filler words trigger no tag, the topic words do). Then it
measures, each in its own process: a clean build (ingest + build), adding one 200-paper
dump, a build with nothing new, adding a dump of 200 papers of which 20 were seen before
(as real dumps have them), and a build after one paper's file is edited by hand (what a
save costs under `serve`). It reports wall time, the time of each stage, peak
memory, pages and bytes written and the size of the search index; the built site's bytes
and files by kind, against GitHub Pages' 1 GB; and the Pages workflow's steps that grow with
the catalog (checkout, cache restore, the artifact's tarball). `--json` saves it all.

Run it with `make bench`, or `python -m benchmarks.bench --sizes 1000,10000 --json FILE`.
It lives outside the package: the build never imports it, and editing it rebuilds nothing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PAPERS_PER_DUMP = 200
# Shapes matched to the sample dumps (see the docstring): words per title besides its topic,
# sentences per abstract besides the first, the share of sentences naming a topic, and of
# titles naming two.
TITLE_WORDS = (2, 5)
SENTENCES = (5, 9)
TOPIC_SHARE = 0.2
TWO_TOPIC_TITLES = 0.5
CODE_SHARE = 0.3

TOPICS = [
    "quantization", "knowledge distillation", "mixture of experts", "multi-task learning", "LoRA adapters",
    "model merging", "vision transformers", "speech recognition", "dense retrieval", "interpretability",
    "linear attention", "pruning", "sentence embeddings", "multilingual", "large language models",
    "vision-language models", "in-context learning", "instruction tuning", "domain adaptation",
    "self-supervised learning", "semantic segmentation", "adversarial robustness", "recommendation",
    "code generation", "named entity recognition", "long context", "positional encoding", "video",
    "diffusion models", "graph neural networks", "question answering", "reinforcement learning",
]
WORDS = (
    "model models method approach framework training inference data dataset benchmark task tasks results "
    "performance accuracy efficient efficiency scalable robust novel propose proposed show demonstrate "
    "experiments significant improvement baseline baselines state-of-the-art architecture layer layers "
    "attention representation representations learning network networks parameters memory compute cost "
    "tokens sequence sequences pretraining fine-tuning generalization evaluation "
    "analysis study empirical theoretical optimization gradient loss objective sparse dense feature features "
    "embedding embeddings language vision image images text "
    "transfer supervised unsupervised semi-supervised contrastive generative discriminative adaptive "
    "dynamic hierarchical modular unified general-purpose lightweight compact "
).split()
NAMES = "Q Flex Mo Tri Uni Omni Hyper Meta Swift Deep Sparse Lite Mega Neo Proto Astra Nova Quanta Vec Graph".split()
SUFFIXES = "Former Net LM Bench Merge KD MoE ViT Tune Search Fusion Mix".split()
FILLER = "In this paper we consider the problem of {t}. We propose {n}, a {a} approach to {t} that {v}."
VERBS = ["reduces cost", "improves accuracy", "scales to large models", "needs no labels", "runs in linear time"]


def _title(rng: random.Random, number: int) -> tuple[str, str, str]:
    """A title and its two topics; half the titles name both, as real ones often do."""
    topic, other = rng.choice(TOPICS), rng.choice(TOPICS)
    words = rng.sample(WORDS, rng.randint(*TITLE_WORDS))
    title = " ".join(w.capitalize() if i == 0 else w for i, w in enumerate(words))
    subject = topic.capitalize() + (f" and {other.capitalize()}" if rng.random() < TWO_TOPIC_TITLES else "")
    if rng.random() < 0.6:
        name = f"{rng.choice(NAMES)}{rng.choice(SUFFIXES)}{number}"
        return f"{name}: {title.capitalize()} for {subject}", topic, other
    return f"{title} for {subject} ({number})", topic, other


def _abstract(rng: random.Random, title: str, topic: str, other: str) -> str:
    name = title.split(":")[0] if ":" in title else "our method"
    sentences = [FILLER.format(t=topic, n=name, a=rng.choice(WORDS), v=rng.choice(VERBS))]
    for _ in range(rng.randint(*SENTENCES)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
        if rng.random() < TOPIC_SHARE:
            words.insert(rng.randrange(len(words)), rng.choice([topic, other]))
        sentences.append(" ".join(words).capitalize() + ".")
    if rng.random() < CODE_SHARE:
        sentences.append(f"Code is available at https://github.com/lab{rng.randint(1, 999)}/{name.replace(' ', '-')}.")
    return " ".join(sentences)


def dump_text(papers: list[tuple[str, str]], layout: str, date: str) -> str:
    """A dump in layout A (blank-line blocks with the page header) or B (compact, glued)."""
    if layout == "A":
        header = ["new", "Get trending papers in your email inbox!", "Subscribe", "byAK and the research community", date]
        blocks = header + [part for title, abstract in papers for part in (title, abstract)]
        return "\n\n".join(blocks) + "\n"
    lines = ["Get trending papers in your email inbox once a day!", "Get trending papers in your email inbox!"]
    for index, (title, abstract) in enumerate(papers):
        lines += [("Subscribe" + title) if index == 0 else title, abstract]
    return "\n".join(lines)


def synthetic_papers(rng: random.Random, numbers: range) -> list[tuple[str, str]]:
    """(title, abstract) of a synthetic paper for each number (titles carry their number)."""
    papers = []
    for number in numbers:
        title, topic, other = _title(rng, number)
        papers.append((title, _abstract(rng, title, topic, other)))
    return papers


def generate_dumps(folder: Path, count: int, seed: int, first_number: int = 0, prefix: str = "") -> list[Path]:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for dump_number, start in enumerate(range(0, count, PAPERS_PER_DUMP)):
        papers = synthetic_papers(rng, range(first_number + start, first_number + min(start + PAPERS_PER_DUMP, count)))
        layout = "AB"[dump_number % 2]
        date = f"{['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun'][dump_number % 6]} {dump_number % 28 + 1}"
        path = folder / f"{prefix}{dump_number:05d}.txt"
        path.write_text(dump_text(papers, layout, date), encoding="utf-8")
        paths.append(path)
    return paths


def make_catalog(folder: Path, count: int) -> None:
    """A catalog folder like the project's, with `count` synthetic papers in its dumps."""
    shutil.copy(PROJECT_ROOT / "config.yaml", folder / "config.yaml")
    for name in ("templates", "static", "content/pages"):
        shutil.copytree(PROJECT_ROOT / name, folder / name)
    generate_dumps(folder / "dumps", count, seed=count)


def _run(folder: Path, *args: str) -> dict:
    """Run the command line in a fresh process; its wall time, peak memory and report."""
    report = folder / ".bench-report.json"
    report.unlink(missing_ok=True)
    command = [sys.executable, str(PROJECT_ROOT / "build.py"), "--config", str(folder / "config.yaml"), "--report", str(report), *args]
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            output.seek(0)
            raise RuntimeError(f"{' '.join(command)} failed:\n{output.read()[-4000:]}")
    data = json.loads(report.read_text())
    data["wall_seconds"] = round(wall, 2)
    data["peak_memory_mb"] = round(usage.ru_maxrss / 1024, 1)
    return data


def bench_size(count: int, workdir: Path) -> dict:
    folder = workdir / f"catalog-{count}"
    folder.mkdir(parents=True)
    make_catalog(folder, count)
    print(f"== {count:,} papers", flush=True)
    result: dict = {"papers": count}
    result["clean_build"] = _run(folder, "--clean")
    print(describe("clean_build", result["clean_build"]), flush=True)
    result["site"] = site_sizes(folder / "site", count)
    print(describe_sizes(result["site"]), flush=True)
    result["pages_workflow"] = pages_workflow(folder, workdir / f"workflow-{count}")
    print(describe_workflow(result["pages_workflow"]), flush=True)
    # An ordinary word, and two words found in most papers (their shards are the largest).
    result["first_search"] = first_search_bytes(folder / "site", "quantization")
    result["first_search_common"] = first_search_bytes(folder / "site", "language model")
    print(f"first search {result['first_search']}; {result['first_search_common']}", flush=True)
    new_dump = workdir / f"new-{count}.txt"
    extra = generate_dumps(workdir / f"extra-{count}", PAPERS_PER_DUMP, seed=count + 1, first_number=10**7, prefix="zz")
    shutil.move(extra[0], new_dump)
    result["add_200"] = _run(folder, "add", str(new_dump))
    print(describe("add_200", result["add_200"]), flush=True)
    result["nothing_new"] = _run(folder)
    print(describe("nothing_new", result["nothing_new"]), flush=True)
    # Real dumps also list papers seen before: their files get one more source.
    again = dump_with_papers_seen_before(workdir / f"again-{count}.txt", folder, seed=count + 2)
    result["add_200_seen_before"] = _run(folder, "add", str(again))
    print(describe("add_200_seen_before", result["add_200_seen_before"]), flush=True)
    # What a save costs under `serve` today: one paper's file edited by hand, then a build.
    edit_one_paper(folder, seed=count + 3)
    result["edit_one_paper"] = _run(folder)
    print(describe("edit_one_paper", result["edit_one_paper"]), flush=True)
    return result


def edit_one_paper(catalog: Path, seed: int) -> Path:
    """A curator's edit: one paper's title corrected and a tag added, in its YAML file."""
    path = random.Random(seed).choice(sorted((catalog / "content" / "papers").iterdir()))
    paper = yaml.safe_load(path.read_text(encoding="utf-8"))
    paper["title"] = paper["title"] + " (revised)"
    paper["tags"] = sorted(set(paper.get("tags") or []) | {"Quantization"})
    path.write_text(yaml.safe_dump(paper, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


SEEN_BEFORE = 20  # of the 200 papers of the last dump the benchmark adds


def dump_with_papers_seen_before(path: Path, catalog: Path, seed: int) -> Path:
    """A 200-paper dump (layout A) of new papers and SEEN_BEFORE papers of the catalog."""
    rng = random.Random(seed)
    papers = synthetic_papers(rng, range(2 * 10**7, 2 * 10**7 + PAPERS_PER_DUMP - SEEN_BEFORE))
    stored = sorted((catalog / "content" / "papers").iterdir())
    for file in rng.sample(stored, SEEN_BEFORE):
        paper = yaml.safe_load(file.read_text(encoding="utf-8"))
        papers.append((paper["title"], paper["abstract"]))
    rng.shuffle(papers)
    path.write_text(dump_text(papers, "A", "Jun 9"), encoding="utf-8")
    return path


def first_search_bytes(site: Path, query: str, shown: int = 10) -> dict:
    """What the first search for `query` downloads at most: the manifest, the shards the
    browser picks for its words, and per result shown one document chunk (an upper bound:
    results often share them). Raw and
    gzip-compressed, as a static host would serve them."""
    from papershelf.analysis import index_term, normalize_word

    manifest_path = next((site / "search").glob("manifest.*.json"))
    manifest = json.loads(manifest_path.read_text())

    def key_of(term: str) -> str | None:
        return next((term[:n] for n in range(len(term), 0, -1) if term[:n] in manifest["shards"]), None)

    words = query.lower().split()
    keys = {key for word in words for form in (index_term(word), normalize_word(word)) if (key := key_of(form)) is not None}
    files = [manifest_path] + [site / f"search/t/{key.encode('utf-8').hex()}.{manifest['shards'][key]}.json.gz" for key in sorted(keys)]
    chunks = -(-manifest["count"] // manifest["docsPerChunk"])
    group = manifest["chunksPerGroup"]
    files += [site / f"search/d/{chunk}.{manifest['docGroups'][chunk // group]}.json.gz" for chunk in range(max(0, chunks - shown), chunks)]

    def sizes(path: Path) -> tuple[int, int]:
        """Raw and gzip-compressed bytes (files stored compressed cross the network as they are)."""
        data = path.read_bytes()
        if path.suffix == ".gz":
            return len(gzip.decompress(data)), len(data)
        return len(data), len(gzip.compress(data, 6))

    raw, compressed = (sum(column) for column in zip(*map(sizes, files)))
    return {"query": query, "files": len(files), "raw_bytes": raw, "gzip_bytes": compressed}


PAGES_LIMIT_BYTES = 10**9  # GitHub Pages refuses a published site over 1 GB


KIND_OF_FOLDER = {
    "papers": "paper pages",
    "tags": "tag pages",
    "listings": "listings",
    "search": "search index",
    "data": "data files",
    "sitemaps": "sitemaps",
    "assets": "assets",
}
KIND_OF_FILE = {"index.html": "list pages", "papers.json": "data files", "sitemap.xml": "sitemaps", "search/index.html": "other pages"}


def kind_of(path: str) -> str:
    """What a file of the site is, by its path: the parts whose bytes grow with the catalog."""
    if path.endswith(".xml") and "sitemap" not in path:
        return "feeds"
    if path in KIND_OF_FILE:
        return KIND_OF_FILE[path]
    return KIND_OF_FOLDER.get(path.split("/", 1)[0], "other pages") if "/" in path else "other pages"


def site_sizes(site: Path, papers: int) -> dict:
    """The built site's bytes and files by kind, and the largest catalog that fits GitHub
    Pages' 1 GB at the bytes per paper measured here."""
    kinds: dict[str, dict[str, int]] = {}
    for folder, _, names in os.walk(site):
        for name in names:
            full = os.path.join(folder, name)
            kind = kinds.setdefault(kind_of(os.path.relpath(full, site).replace(os.sep, "/")), {"bytes": 0, "files": 0})
            kind["bytes"] += os.stat(full).st_size
            kind["files"] += 1
    total = sum(kind["bytes"] for kind in kinds.values())
    return {
        "bytes": total,
        "files": sum(kind["files"] for kind in kinds.values()),
        "bytes_per_paper": round(total / papers),
        "fits_1gb_papers": PAGES_LIMIT_BYTES * papers // total,
        "by_kind": dict(sorted(kinds.items(), key=lambda item: -item[1]["bytes"])),
    }


def describe_sizes(sizes: dict) -> str:
    kinds = ", ".join(f"{kind} {data['bytes'] / 1e6:.1f} MB/{data['files']:,}" for kind, data in sizes["by_kind"].items())
    return (
        f"site: {sizes['bytes'] / 1e6:.1f} MB in {sizes['files']:,} files, {sizes['bytes_per_paper']:,} bytes per paper, "
        f"fits 1 GB up to {sizes['fits_1gb_papers']:,} papers; {kinds}"
    )


def _timed(*command: str) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return round(time.perf_counter() - started, 2)


def pages_workflow(folder: Path, workdir: Path) -> dict:
    """The Pages workflow's steps that grow with the catalog, run here on the built catalog:
    the checkout (a depth-1 clone of a commit holding the content and dumps, as
    actions/checkout fetches it), restoring `.cache/` (a zstd tarball, as actions/cache
    makes; gzip where zstd is missing), and the tarball actions/upload-pages-artifact makes
    of the site, with its own tar options."""
    repository, clone, restored = workdir / "repository", workdir / "checkout", workdir / "restored"
    repository.mkdir(parents=True)
    shutil.copy(folder / "config.yaml", repository)
    for name in ("content", "dumps"):
        shutil.copytree(folder / name, repository / name)
    git = ("git", "-c", "user.name=bench", "-c", "user.email=bench@example.org")
    # Packed, as a hosted repository serves it: the clone then costs what a checkout does.
    for command in (("init", "-q"), ("add", "-A"), ("commit", "-qm", "catalog"), ("repack", "-adq")):
        subprocess.run(git + command, cwd=repository, check=True, stdout=subprocess.DEVNULL)
    result: dict = {"checkout_seconds": _timed("git", "clone", "-q", "--depth", "1", f"file://{repository}", str(clone))}
    result["checkout_files"] = sum(len(names) for _, _, names in os.walk(clone / "content"))
    compressor = "zstd -T0" if shutil.which("zstd") else "gzip"
    archive = workdir / "cache.tar"
    subprocess.run(("tar", "--use-compress-program", compressor, "-cf", str(archive), "-C", str(folder), ".cache"), check=True)
    restored.mkdir()
    result["cache_compressor"] = compressor.split()[0]
    result["cache_bytes"] = archive.stat().st_size
    result["cache_restore_seconds"] = _timed("tar", "--use-compress-program", compressor, "-xf", str(archive), "-C", str(restored))
    artifact = workdir / "artifact.tar"
    result["artifact_seconds"] = _timed(
        "tar", "--dereference", "--hard-dereference", "--directory", str(folder / "site"),
        "-cf", str(artifact), "--exclude=.git", "--exclude=.github", ".",
    )
    result["artifact_bytes"] = artifact.stat().st_size
    for path in (repository, clone, restored):
        shutil.rmtree(path)
    archive.unlink()
    artifact.unlink()
    return result


def describe_workflow(data: dict) -> str:
    return (
        f"pages workflow: checkout {data['checkout_seconds']:.2f}s ({data['checkout_files']:,} content files), "
        f"cache restore {data['cache_restore_seconds']:.2f}s ({data['cache_bytes'] / 1e6:.1f} MB {data['cache_compressor']}), "
        f"artifact tarball {data['artifact_seconds']:.2f}s, {data['artifact_bytes'] / 1e6:.1f} MB"
    )


def describe(scenario: str, data: dict) -> str:
    build = data.get("build", {})
    stages = {**data.get("ingest", {}).get("seconds", {}), **build.get("seconds", {})}
    stage_text = ", ".join(f"{k} {v:.2f}s" for k, v in stages.items())
    return (
        f"{scenario:12} {data['wall_seconds']:7.2f}s wall, peak {data['peak_memory_mb']:7.1f} MB, "
        f"{build.get('written', 0)} files written, {build.get('bytes', 0) / 1e6:.1f} MB site, "
        f"index {build.get('index_bytes', 0) / 1e6:.1f} MB; {stage_text}"
    )


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
    }


def file_creation_us(folder: Path, count: int = 2000) -> float:
    """Microseconds to create (and write) one small file in `folder`. A large catalog's
    build creates hundreds of thousands of files, so this sets a floor under its time; it
    differs between disks and, on shared machines, from minute to minute."""
    probe = folder / "file-creation-probe"
    probe.mkdir()
    started = time.perf_counter()
    for number in range(count):
        (probe / f"{number}.html").write_bytes(b"<p>probe</p>\n")
    seconds = time.perf_counter() - started
    shutil.rmtree(probe)
    return round(seconds / count * 1e6, 1)


def run_bench(sizes: list[int], json_path: Path | None, keep: bool = False) -> list[dict]:
    workdir = Path(tempfile.mkdtemp(prefix="papershelf-bench-"))
    results = []
    disk = {}
    try:
        disk["file_create_us_before"] = file_creation_us(workdir)
        for size in sizes:
            results.append(bench_size(size, workdir))
        disk["file_create_us_after"] = file_creation_us(workdir)
        print(f"disk: creating a file took {disk['file_create_us_before']} µs before the runs, {disk['file_create_us_after']} µs after")
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    if json_path is not None:
        json_path.write_text(json.dumps({"machine": machine() | disk, "results": results}, indent=1) + "\n")
        print(f"bench: results written to {json_path}")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description="Benchmark synthetic catalogs of several sizes.")
    parser.add_argument("--sizes", default="1000,10000,100000", help="catalog sizes, comma-separated")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    run_bench([int(size) for size in args.sizes.split(",")], args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
