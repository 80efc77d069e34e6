"""YAML text for the content store's simple documents, byte for byte as PyYAML writes them
(`yamlio.to_yaml`: block style, keys in order, Unicode kept, lines folded past 100 columns),
without PyYAML's per-node representer: writing a paper file goes from about 90 to 15 µs,
seconds of a large catalog's first ingest.

It covers what paper files hold: a mapping of scalars, of lists of scalars, and of lists
of flat mappings. A string is written plain or single-quoted by the rules of libyaml's
emitter, which PyYAML's C dumper uses; anything else (line breaks, characters that need
double quotes, long strings where folding is not a top-level value's, other shapes) gives
None, and the caller lets PyYAML write the whole document. The tests hold the two to the
same bytes over the sample catalog and many thousands of generated hard cases.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import yaml
from yaml.resolver import Resolver

WIDTH = 100  # the `width` yamlio.to_yaml gives PyYAML
INDENT = 2  # where a folded top-level value continues
_STR = "tag:yaml.org,2002:str"
_RESOLVER = Resolver()
_KEY = re.compile(r"^[a-z_]+$")
# Characters libyaml writes as they are: its IS_PRINTABLE (which leaves out characters
# beyond U+FFFF), without line breaks (U+2028 and U+2029 are breaks too) and tabs.
_UNPRINTABLE = re.compile("[^\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")
_NO_PLAIN_FIRST = set("#,[]{}&*!|>'\"%@`")
_TYPED_FIRST = set(Resolver.yaml_implicit_resolvers)
if None in _TYPED_FIRST:  # a resolver for any first character: the shortcut below would be wrong
    raise RuntimeError("this PyYAML resolves implicit types by any first character")


class Unsupported(Exception):
    """A document or value this module leaves to PyYAML."""


def _plain_allowed(text: str) -> bool:
    """libyaml's block-context rules for a plain scalar (yaml_emitter_analyze_scalar), for
    text without line breaks, and PyYAML's: plain only if it reads back as a string."""
    if text[0] == " " or text[-1] == " " or text[0] in _NO_PLAIN_FIRST:
        return False
    if text[:3] in ("---", "..."):  # document markers
        return False
    if text[0] in "?:-" and (len(text) == 1 or text[1] == " "):
        return False
    if ": " in text or text.endswith(":") or " #" in text:
        return False
    # PyYAML's implicit types are found by the first character; most text starts with none.
    return text[0] not in _TYPED_FIRST or _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR


def _folded(written: str, column: int, quoted: bool) -> str:
    """`written` (the scalar as it is written: quotes doubled when `quoted`) from `column`
    on, with a line break and an indent in place of each space where libyaml breaks: the
    first single space past WIDTH on the line, and when quoted neither the first nor the
    last character. Found with str.find, a line at a time."""
    lines = []
    line_start, start_column, end = 0, column, len(written)
    while True:
        space = written.find(" ", max(line_start, line_start + WIDTH - start_column + 1))
        while space != -1 and not (
            (space == 0 or written[space - 1] != " ")
            and (space + 1 == end or written[space + 1] != " ")
            and not (quoted and space in (0, end - 1))
        ):
            after = space + 1
            while after < end and written[after] == " ":
                after += 1
            space = written.find(" ", after)
        if space == -1:
            break
        lines.append(written[line_start:space])
        line_start, start_column = space + 1, INDENT
    lines.append(written[line_start:])
    return ("\n" + " " * INDENT).join(lines)


def _scalar(value: Any, column: int, top_level: bool) -> str:
    """A scalar written from `column` (just after `key: ` or `- `)."""
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return str(value)
    if type(value) is not str:
        raise Unsupported
    text = value
    if not text:
        return "''"
    if not (text.isascii() and text.isprintable()) and _UNPRINTABLE.search(text):  # most text is plain ASCII
        raise Unsupported
    if not top_level and " " in text and column + len(text) + 2 > WIDTH:
        raise Unsupported  # folding outside a top-level value: left to PyYAML
    if _plain_allowed(text):
        return _folded(text, column, quoted=False) if column + len(text) > WIDTH else text
    quoted = text.replace("'", "''")
    return "'" + (_folded(quoted, column + 1, quoted=True) if column + 1 + len(quoted) > WIDTH else quoted) + "'"


@functools.lru_cache(maxsize=1 << 16, typed=True)  # typed: True is not 1
def _short_scalar(value: Any, column: int) -> str:
    """A value inside a list: tags, dump names and positions repeat from paper to paper."""
    return _scalar(value, column, top_level=False)


@functools.cache
def _key(key: Any) -> str:
    if type(key) is not str or not _KEY.match(key) or not _plain_allowed(key):
        raise Unsupported
    return key


def _top_value(key: str, value: Any) -> str:
    if type(value) is list:
        if not value:
            return f"{key}: []\n"
        return f"{key}:\n" + "".join(_item(item) for item in value)
    if type(value) is dict:
        raise Unsupported
    return f"{key}: {_scalar(value, len(key) + 2, True)}\n"


def _item(item: Any) -> str:
    if type(item) is dict:
        if not item:
            raise Unsupported
        lines = []
        for number, (key, value) in enumerate(item.items()):
            if type(value) in (list, dict):
                raise Unsupported
            name = _key(key)
            lines.append(("- " if number == 0 else "  ") + f"{name}: {_short_scalar(value, len(name) + 4)}\n")
        return "".join(lines)
    if type(item) is list:
        raise Unsupported
    return f"- {_short_scalar(item, 2)}\n"


def emit(data: Any) -> str | None:
    """The YAML text PyYAML would write for `data`, or None when this module does not
    cover it."""
    if type(data) is not dict or not data:
        return None
    try:
        return "".join(_top_value(_key(key), value) for key, value in data.items())
    except Unsupported:
        return None
