"""Reading dumps: text captures of Hugging Face Papers listing pages → title/abstract entries.

Captures vary (blank-line separated or not, CRLF, BOM, wrapped abstracts, missing or
repeated page headers, headers glued to a title), so titles and abstracts are told apart
by their shape, never by line position: a paper with no abstract does not shift the
pairing of the papers after it. Whatever cannot be placed becomes a warning with its line.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from papershelf.errors import PapershelfError

# Lines of the page chrome, compared case-insensitively after whitespace normalization.
HEADER_LINES = frozenset(
    {
        "new",
        "get trending papers in your email inbox!",
        "get trending papers in your email inbox once a day!",
        "subscribe",
        "byak and the research community",
    }
)
# Chrome that captures glue to the start of the next line ("SubscribeXTREME: …").
GLUED_PREFIXES = (
    "Get trending papers in your email inbox once a day!",
    "Get trending papers in your email inbox!",
    "byAK and the research community",
    "Subscribe",
)
MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec"
DATE_LINE = re.compile(rf"^(?:{MONTHS})[a-z]*\.? \d{{1,2}}(?:, \d{{4}})?$", re.IGNORECASE)

TITLE_MAX_CHARS = 300
TITLE_MAX_WORDS = 45
SENTENCE_END = (".", "!", "?", ")", '"', "”")
# Words a hard-wrapped line can end on but a title almost never does.
DANGLING_WORDS = frozenset(
    "a an the of to in on for with and or by from as at into that which is are we our its via than".split()
)


@dataclass(frozen=True)
class Entry:
    """One paper as a dump shows it."""

    title: str
    abstract: str
    position: int  # 1-based order in the dump
    line: int  # 1-based line of the title


@dataclass(frozen=True)
class ParseWarning:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: warning: {self.message}"


@dataclass
class Dump:
    """A parsed dump: its entries, its listing date where the page gave one, and
    what could not be placed."""

    name: str
    sha256: str
    date: str | None
    entries: list[Entry] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)


@dataclass
class _Paragraph:
    text: str
    line: int
    last_line_text: str


def normalize_space(text: str) -> str:
    return " ".join(text.split())


def decode_dump(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM) only: anything else is refused rather than guessed."""
    if b"\x00" in data:
        raise PapershelfError(path, "not a text file (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise PapershelfError(path, "not UTF-8 text", line) from None


def _strip_chrome(line: str) -> tuple[str, bool]:
    """Remove page chrome from a line; True when the whole line was chrome."""
    if line.casefold() in HEADER_LINES:
        return "", True
    for prefix in GLUED_PREFIXES:
        if line.startswith(prefix) and len(line) > len(prefix):
            return _strip_chrome(line[len(prefix) :].strip())[0], False
    return line, False


def _looks_wrapped(previous: str, current: str) -> bool:
    """Does `current` continue the same paragraph as the line before it?"""
    if previous.endswith(SENTENCE_END):
        return False
    if current[0].islower() or current[0] in ",;:)]}-–—":
        return True
    last_word = previous.rsplit(" ", 1)[-1].casefold()
    return previous.endswith((",", ";", "-", "(")) or last_word in DANGLING_WORDS


def _paragraphs(lines: list[str], blank_separated: bool) -> tuple[list[_Paragraph], str | None]:
    """Group content lines into paragraphs and pick out the listing date.

    In blank-separated captures a paragraph runs to the next blank line; otherwise each
    line stands alone unless it visibly continues the one before (a hard wrap)."""
    paragraphs: list[_Paragraph] = []
    date: str | None = None
    open_paragraph = False
    for number, raw in enumerate(lines, start=1):
        line = normalize_space(raw)
        line, was_chrome = _strip_chrome(line)
        if not line or was_chrome or DATE_LINE.match(line):
            if line and date is None:
                date = line
            open_paragraph = False
            continue
        joins = paragraphs and open_paragraph and (
            blank_separated or _looks_wrapped(paragraphs[-1].last_line_text, line)
        )
        if joins:
            last = paragraphs[-1]
            last.text = f"{last.text} {line}"
            last.last_line_text = line
        else:
            paragraphs.append(_Paragraph(line, number, line))
        open_paragraph = True
    return paragraphs, date


def is_title(text: str) -> bool:
    """Titles are short, one sentence, and do not end like prose does."""
    if len(text) > TITLE_MAX_CHARS or len(text.split()) > TITLE_MAX_WORDS:
        return False
    if text.endswith(".") and not text.endswith(("...", "…")):
        return False
    return len(re.findall(r"[.!?] [A-Z]", text)) < 2


def _split_title_block(paragraph: _Paragraph, lines: list[str]) -> list[_Paragraph]:
    """A blank-separated block can hold a title line directly followed by its abstract."""
    first = normalize_space(_strip_chrome(normalize_space(lines[paragraph.line - 1]))[0])
    rest = paragraph.text[len(first) :].strip()
    if first and rest and is_title(first) and not is_title(rest) and not _looks_wrapped(first, rest):
        return [
            _Paragraph(first, paragraph.line, first),
            _Paragraph(rest, paragraph.line + 1, paragraph.last_line_text),
        ]
    return [paragraph]


def parse_dump(text: str, name: str, sha256: str = "") -> Dump:
    """Parse dump text into entries. Pure: the caller does the reading."""
    lines = text.splitlines()
    blank_separated = any(not line.strip() for line in lines)
    paragraphs, date = _paragraphs(lines, blank_separated)
    if blank_separated:
        paragraphs = [part for p in paragraphs for part in _split_title_block(p, lines)]

    dump = Dump(name=name, sha256=sha256, date=date)
    pending: _Paragraph | None = None  # a title waiting for its abstract

    def close(abstract: str) -> None:
        assert pending is not None
        dump.entries.append(Entry(pending.text, abstract, len(dump.entries) + 1, pending.line))

    for paragraph in paragraphs:
        if is_title(paragraph.text):
            if pending is not None:
                dump.warnings.append(
                    ParseWarning(name, pending.line, f"no abstract for {pending.text!r}; kept without one")
                )
                close("")
            pending = paragraph
        elif pending is not None:
            close(paragraph.text)
            pending = None
        else:
            snippet = paragraph.text[:60]
            dump.warnings.append(
                ParseWarning(name, paragraph.line, f"text with no title before it, not imported: {snippet!r}…")
            )
    if pending is not None:
        dump.warnings.append(ParseWarning(name, pending.line, f"no abstract for {pending.text!r}; kept without one"))
        close("")
    if not dump.entries:
        dump.warnings.append(ParseWarning(name, 1, "no papers found in this dump"))
    return dump


def read_dump_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise PapershelfError(path, f"cannot read: {error.strerror}") from None


def parse_dump_bytes(data: bytes, path: Path) -> Dump:
    """Decode and parse a dump file's bytes; refuses non-text and non-UTF-8 files."""
    return parse_dump(decode_dump(data, path), path.name, hashlib.sha256(data).hexdigest())


def read_dump(path: Path) -> Dump:
    return parse_dump_bytes(read_dump_bytes(path), path)
