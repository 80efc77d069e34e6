"""Argument parsing and the commands: each command loads the config, runs its stage(s),
and turns a PapershelfError into one clear line on stderr."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from papershelf.config import Settings, load_config
from papershelf.errors import PapershelfError
from papershelf.ingest import dump_paths, run_ingest


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
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_config(Path(args.config))
        if args.command in (None, "ingest"):
            return _ingest(settings, getattr(args, "dumps", []))
    except PapershelfError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
