"""Progress for long stages: a bar redrawn in place on a terminal, nothing in pipes and CI
(where each stage's summary line is the report)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 30


def progress_for(stream: TextIO) -> Callable[[str, int, int], None] | None:
    if not stream.isatty():
        return None

    def show(stage: str, done: int, total: int) -> None:
        filled = BAR_WIDTH * done // max(total, 1)
        end = "\n" if done >= total else ""
        stream.write(f"\r{stage:8} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}{end}")
        stream.flush()

    return show
