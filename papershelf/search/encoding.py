"""How the search files write what they hold: compact JSON, and long runs of numbers as
text made with array arithmetic."""

from __future__ import annotations

import json

import numpy as np


def compact_json(data: object) -> bytes:
    """JSON as the search files store it: UTF-8, no spaces."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def ascii_numbers(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Non-negative integers as decimal text, each followed by a comma, and where each one
    starts (plus the end): the text of values[i:j] is `text[starts[i] : starts[j] - 1]`.
    Array arithmetic instead of ten million Python ints through json.dumps: each number is
    written at a fixed width, then its leading zeros are dropped."""
    if len(values) == 0:
        return b"", np.zeros(1, dtype=np.int64)
    if values.min() < 0 or values.max() >= 2**31:
        raise ValueError("values out of range")
    values = values.astype(np.int32)
    width = len(str(int(values.max())))
    digits = np.ones(len(values), dtype=np.int8)
    for place in range(1, width):
        digits += values >= 10**place
    columns = np.arange(width + 1)
    pieces = []
    for start in range(0, len(values), 1 << 20):  # bounded temporary memory
        rest, count = values[start : start + (1 << 20)].copy(), digits[start : start + (1 << 20)]
        chars = np.full((len(rest), width + 1), ord(","), dtype=np.uint8)
        for column in range(width - 1, -1, -1):
            rest, digit = np.divmod(rest, 10)
            chars[:, column] = digit
        chars[:, :width] += ord("0")
        pieces.append(chars[columns[None, :] >= (width - count)[:, None]])
    starts = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum(digits + 1, out=starts[1:])
    return np.concatenate(pieces).tobytes(), starts


def gaps_within(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Each value minus the one before it, except where `first` marks the start of a run
    (ascending values in runs: refs of a group, positions of a row), which stays as it is."""
    before = np.empty_like(values)
    before[:1] = 0
    before[1:] = values[:-1]
    return np.where(first, values, values - before)
