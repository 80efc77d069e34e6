"""Argument parsing and the commands: each command loads the config, runs its stage(s),
and turns a PapershelfError into one clear line on stderr."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from papershelf.builder import build
from papershelf.config import Settings, load_config
from papershelf.errors import PapershelfError
from papershelf.ingest import dump_paths, run_ingest
from papershelf.linkcheck import broken_links
from papershelf.serve import make_server


def _ingest(settings: Settings, dumps: list[str]) -> int:
    paths = [Path(d) for d in dumps] if dumps else dump_paths(settings.dumps_dir)
    report = run_ingest(
        settings.content_dir, paths, settings.tagger(), skip_known=not dumps
    )
    for line in report.errors:
        print(f"error: {line}", file=sys.stderr)
    for line in report.warnings:
        print(line, file=sys.stderr)
    print(report.summary())
    return 1 if report.errors else 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="build.py", description="Build a research-paper catalog site.")
    top.add_argument("--config", default="config.yaml", help="config file (default: config.yaml)")
    commands = top.add_subparsers(dest="command")
    ingest = commands.add_parser("ingest", help="ingest dumps into content/ (default: new or changed dumps)")
    ingest.add_argument("dumps", nargs="*", help="dump files (default: every dump in dumps/)")
    commands.add_parser("build", help="render content/ into the site")
    commands.add_parser("check", help="check every internal link of the built site")
    serve = commands.add_parser("serve", help="ingest, build and preview the site on localhost")
    serve.add_argument("--port", type=int, default=8000)
    top.add_argument("--base-url", help="the path the site is served under, e.g. /repo/ (overrides config.yaml)")
    return top


def _check(settings: Settings) -> int:
    broken = broken_links(settings.output_dir, settings.site.base_url)
    for url, pages in sorted(broken.items()):
        print(f"broken link: {url} (on {', '.join(sorted(pages)[:3])})", file=sys.stderr)
    print(f"check: {len(broken)} broken internal links")
    return 1 if broken else 0


def _serve(settings: Settings, port: int) -> int:
    status = max(_ingest(settings, []), _build(settings))
    server = make_server(settings.output_dir, settings.site.base_url, port=port)
    print(f"serving {settings.output_dir} at http://127.0.0.1:{server.server_address[1]}{settings.site.base_url} (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return status


def _build(settings: Settings) -> int:
    report = build(settings)
    print(report.summary())
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_config(Path(args.config))
        if args.base_url is not None:
            settings = settings.with_base_url(args.base_url)
        if args.command == "ingest":
            return _ingest(settings, args.dumps)
        if args.command == "build":
            return _build(settings)
        if args.command == "check":
            return _check(settings)
        if args.command == "serve":
            return _serve(settings, args.port)
        if args.command is None:
            status = _ingest(settings, [])
            return max(status, _build(settings))
    except PapershelfError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
