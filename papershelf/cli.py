"""Argument parsing and the commands: each command loads the config, runs its stage(s),
reports what it did, and turns a PapershelfError into one clear line on stderr."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from papershelf.builder import build
from papershelf.cache import Cache
from papershelf.config import Settings, load_config
from papershelf.digests import sha256
from papershelf.errors import PapershelfError
from papershelf.ingest import Remembered, copy_refusal, dump_paths, run_ingest
from papershelf.linkcheck import broken_links, built_base_url
from papershelf.progress import progress_for
from papershelf.runlock import exclusive_run
from papershelf.serve import snapshot, start_server, watch
from papershelf.store import Store, load_ledger, load_store, save_store
from papershelf.tag_evaluation import LABELS_FILE, evaluate, load_labels, report, split
from papershelf.tag_suggestions import suggestions, tag_scores
from papershelf.yamlio import write_atomic

Reports = dict[str, dict]  # what a command did, by stage: written by --report


def _ingest(settings: Settings, reports: Reports, dumps: list[Path] | None = None, cache: Cache | None = None) -> tuple[int, Store | None]:
    """Ingest named dumps (always re-read), or the new and changed dumps of dumps/. Returns
    the exit status, and the store when the ingest loaded it."""
    started = time.perf_counter()
    paths = dumps if dumps else dump_paths(settings.dumps_dir)
    cache = cache if cache is not None else Cache(settings.cache_dir)
    # The tag rules' digest covers the tagging code itself: other code changes retag nothing.
    remembered = Remembered(cache.dump_digests(), cache.load_state().files, cache.memo("parsed papers"), cache.last("tag rules", versioned=False))
    report, store = run_ingest(settings.content_dir, settings.dumps_dir, paths, settings.tagger(), not dumps, remembered)
    cache.save_dump_digests(remembered.dump_digests)
    if store is not None:
        cache.memo("parsed papers").save(set(store.digests.values()))
        cache.keep("tag rules", remembered.tag_rules, versioned=False)
    reports["ingest"] = {
        "dumps_read": len(report.dumps_read),
        "new": report.new,
        "updated": report.updated,
        "files_written": report.files_written,
        "seconds": {"ingest": round(time.perf_counter() - started, 3)},
    }
    for line in report.errors:
        print(f"error: {line}", file=sys.stderr)
    for line in report.warnings:
        print(line, file=sys.stderr)
    print(f"{report.summary()} ({time.perf_counter() - started:.2f}s)")
    return 1 if report.errors else 0, store


def _build(settings: Settings, reports: Reports, clean: bool = False, cache: Cache | None = None, store: Store | None = None) -> int:
    report = build(settings, clean=clean, progress=progress_for(sys.stderr), cache=cache, store=store)
    reports["build"] = dataclasses.asdict(report) | {"seconds": {k: round(v, 3) for k, v in report.seconds.items()}}
    print(report.summary())
    return 0


def _add(settings: Settings, reports: Reports, paths: list[str], clean: bool, replace: bool) -> int:
    """Copy dumps into dumps/, then ingest what is new and build. Every dump is checked
    before any is copied: none may replace another of its name unless told to, nor repeat
    one the catalog has under another name."""
    dumps_dir = settings.dumps_dir
    names_by_digest = {record.sha256: record.name for record in load_ledger(settings.content_dir)}
    for present in dump_paths(dumps_dir):
        if present.name not in names_by_digest.values() and present.is_file() and not present.is_symlink():
            names_by_digest.setdefault(sha256(present.read_bytes()), present.name)
    copies: list[tuple[Path, Path, bytes]] = []
    for name in paths:
        source = Path(name)
        if not source.is_file():
            raise PapershelfError(source, "no such dump file")
        target = dumps_dir / source.name
        if target.is_symlink():  # copying would write through it, wherever it points
            raise PapershelfError(target, "refused: a dump must be a file in the dumps folder, not a symbolic link")
        data = source.read_bytes()
        same = names_by_digest.setdefault(sha256(data), target.name)
        if same != target.name:
            raise copy_refusal(source, same)
        if source.resolve() == target.resolve():
            continue
        if target.exists() and target.read_bytes() != data and not replace:
            raise PapershelfError(
                source,
                f"refused: the catalog has another dump named {target.name}; rename this one "
                "(dumps are read in name order) or add it with --replace to replace that one",
            )
        copies.append((source, target, data))
    dumps_dir.mkdir(parents=True, exist_ok=True)
    for source, target, data in copies:
        write_atomic(target, data)  # a copy cut off leaves no half dump
        print(f"add: {source} → {target}")
    return _update(settings, reports, clean)


def _update(settings: Settings, reports: Reports, clean: bool = False) -> int:
    """Ingest what is new, then build; both share one cache, read once, and the store the
    ingest loaded."""
    cache = Cache(settings.cache_dir)
    status, store = _ingest(settings, reports, cache=cache)
    return max(status, _build(settings, reports, clean, cache=cache, store=store))


def _check(settings: Settings, base_url_given: bool) -> int:
    """Check the links of the built site under the base path it was built for."""
    built_for = built_base_url(settings.output_dir)
    if base_url_given and settings.site.base_url != built_for:
        raise PapershelfError(
            "--base-url",
            f"the site in {settings.output_dir} was built for {built_for}, not {settings.site.base_url}: "
            f"build it again with --base-url {settings.site.base_url}, or check it without --base-url",
        )
    broken = broken_links(settings.output_dir, built_for)
    for url, pages in sorted(broken.items()):
        print(f"broken link: {url} (on {', '.join(sorted(pages)[:3])})", file=sys.stderr)
    print(f"check: {len(broken)} broken internal links")
    return 1 if broken else 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _serve(settings: Settings, port: int, debug: bool) -> int:
    """Serve in a child process; build in this one, which has no other thread (builds fork)."""

    def rebuild() -> None:
        # Any error ends in one line and the last good site stays served; the next edit
        # rebuilds. A build run from the command line meanwhile is waited for.
        try:
            with exclusive_run(settings, wait=True):
                _update(settings, {})
        except Exception as error:  # noqa: BLE001 - reported, and the watcher goes on
            if debug:
                traceback.print_exc()
            print(f"error: {one_line(error)}", file=sys.stderr, flush=True)

    preview = start_server(settings.output_dir, settings.site.base_url, port=port)
    signal.signal(signal.SIGTERM, _interrupt)  # a terminated preview stops its server too
    try:
        rebuild()
        watched = [settings.dumps_dir, settings.content_dir, settings.templates_dir, settings.static_dir]
        if settings.source is not None:
            watched.append(settings.source)
        before = snapshot(watched)  # before saying so: an edit made once it is said is seen
        print(f"serving http://127.0.0.1:{preview.port}{settings.site.base_url}, rebuilding on changes (Ctrl-C stops)", flush=True)
        watch(watched, rebuild, preview, before)
    except KeyboardInterrupt:
        pass
    finally:
        preview.close()
    return 0


def _tags(settings: Settings, show_errors: bool, suggest: bool, accept_from: float | None) -> int:
    """Precision, recall and untagged share of the rules, tuned and held-out papers apart;
    with `suggest`, the tags the learned models would add or doubt, and with `accept_from`
    those added that score at least that, as a curator's edits."""
    store = load_store(settings.content_dir)
    tagger = settings.tagger()
    labels = load_labels(settings.content_dir / LABELS_FILE, list(tagger.names), store.papers)
    results = {name: evaluate(tagger, papers, labels.papers) for name, papers in split(list(store.papers.values()), labels).items()}
    print(report(results, show_errors))
    if not suggest and accept_from is None:
        return 0
    papers = sorted(store.papers.values(), key=lambda paper: paper.id)
    scores = tag_scores(papers)
    found = suggestions(papers, scores)
    print(f"suggestions from models of {len(scores)} tags over {len(papers)} papers ({sum(p.tags != p.auto_tags for p in papers)} edited by hand):")
    for item in found:
        print(f"  {item.kind:5} {item.score:.3f}  {item.tag}  {store.papers[item.paper_id].slug}")
    if accept_from is not None:
        accepted = [item for item in found if item.kind == "add" and item.score >= accept_from]
        for item in accepted:
            paper = store.papers[item.paper_id]
            paper.tags = [*paper.tags, item.tag]
        save_store(store, {item.paper_id for item in accepted})
        print(f"accepted {len(accepted)} suggested tags scored {accept_from} or more")
    return 0


def _probability(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _common_options(suppress: bool) -> argparse.ArgumentParser:
    """The options every command takes, given before or after the command's name. Under a
    command their defaults are suppressed, so that an option given before it is kept."""
    default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", default=default("config.yaml"), help="config file (default: config.yaml)")
    common.add_argument("--base-url", default=default(None), help="the path the site is served under, e.g. /repo/ (overrides config.yaml)")
    common.add_argument("--site-url", default=default(None), help="the origin the site is served from, e.g. https://user.github.io")
    common.add_argument("--clean", action="store_true", default=default(False), help="rebuild every page instead of only what changed")
    common.add_argument("--debug", action="store_true", default=default(False), help="show the traceback of an unexpected error")
    common.add_argument("--report", type=Path, default=default(None), metavar="FILE", help="also write what the command did (counts, each stage's seconds) to FILE as JSON")
    return common


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="build.py",
        description="Build a research-paper catalog site. With no command: ingest new dumps, then build.",
        parents=[_common_options(suppress=False)],
    )
    common = [_common_options(suppress=True)]
    commands = top.add_subparsers(dest="command")
    ingest = commands.add_parser("ingest", parents=common, help="ingest dumps into content/ (default: the new or changed ones)")
    ingest.add_argument("dumps", nargs="*", type=Path, help="dump files, always re-read (default: dumps/)")
    commands.add_parser("build", parents=common, help="render content/ into the site (only what changed)")
    add = commands.add_parser("add", parents=common, help="copy dumps into dumps/, ingest them and build")
    add.add_argument("dumps", nargs="+", help="dump files to add")
    add.add_argument("--replace", action="store_true", help="replace a different dump of the same name")
    commands.add_parser("check", parents=common, help="check every internal link of the built site")
    serve = commands.add_parser("serve", parents=common, help="build, preview on localhost, rebuild and reload on changes")
    serve.add_argument("--port", type=int, default=8000)
    tags = commands.add_parser("tags", parents=common, help="measure the tag rules against the hand-labelled papers (content/tag_labels.yaml)")
    tags.add_argument("--errors", action="store_true", help="also list each labelled paper the rules tag wrongly")
    tags.add_argument("--suggest", action="store_true", help="list the tags that models learned from the catalog's tags would add or doubt")
    tags.add_argument("--accept", type=_probability, metavar="P", help="add to `tags` each suggested tag scored P or more (0 to 1)")
    return top


def one_line(error: BaseException) -> str:
    """What went wrong, on one line: the error's own message for bad input, else its kind
    and message (a bug of Papershelf's: --debug shows the traceback)."""
    if isinstance(error, PapershelfError):
        return str(error)
    text = " ".join(str(error).split()) or "no message"
    return f"internal error: {type(error).__name__}: {text} (run with --debug for the traceback)"


def main(argv: list[str] | None = None) -> int:
    """Run a command. Whatever goes wrong ends in one line on stderr and a non-zero status:
    2 for bad input (a config, dump or content file, a template, a port, another run), 1
    for anything else, 130 when interrupted; `--debug` (or PAPERSHELF_DEBUG=1) lets the
    traceback through instead."""
    args = parser().parse_args(argv)
    debug = args.debug or os.environ.get("PAPERSHELF_DEBUG") == "1"
    reports: Reports = {}
    try:
        return _dispatch(args, debug, reports)
    except PapershelfError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if debug:
            raise
        print("error: interrupted; the next run completes or undoes what this one left", file=sys.stderr)
        return 130
    except Exception as error:  # noqa: BLE001 - one line, unless debugging
        if debug:
            raise
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 1
    finally:
        if args.report is not None:
            args.report.write_text(json.dumps(reports, indent=1))


def _dispatch(args: argparse.Namespace, debug: bool, reports: Reports) -> int:
    settings = load_config(Path(args.config))
    if args.base_url is not None or args.site_url is not None:
        settings = settings.with_urls(base_url=args.base_url, site_url=args.site_url)
    if args.command == "serve":
        return _serve(settings, args.port, debug)
    with exclusive_run(settings):
        if args.command == "ingest":
            return _ingest(settings, reports, args.dumps)[0]
        if args.command == "build":
            return _build(settings, reports, args.clean)
        if args.command == "add":
            return _add(settings, reports, args.dumps, args.clean, args.replace)
        if args.command == "check":
            return _check(settings, args.base_url is not None)
        if args.command == "tags":
            return _tags(settings, args.errors, args.suggest, args.accept)
        return _update(settings, reports, args.clean)
