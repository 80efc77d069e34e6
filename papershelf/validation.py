"""Validation errors of a YAML file (the config, a paper, the ledger) said as a person would:
the file and line, the key in the file's own terms (list entries counted from 1), what is
wrong with it, and for an unknown key the known key it most likely means."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from papershelf.errors import PapershelfError
from papershelf.yamlio import line_of


def invalid(path: Path, text: str, error: ValidationError, model: type[BaseModel]) -> PapershelfError:
    """The first problem found in the file `path` (whose text is `text`), whose data
    `model` (or a list of it) describes."""
    first = error.errors()[0]
    location = tuple(first["loc"])
    return PapershelfError(path, problem(first, model), line_of(text, location))


def problem(detail: ErrorDetails, model: type[BaseModel]) -> str:
    location = tuple(detail["loc"])
    kind = detail["type"]
    if kind in ("missing", "extra_forbidden"):
        where, key = location[:-1], str(location[-1])
        if kind == "missing":
            what = f"missing key `{key}`"
        else:
            known = keys_at(model, where)
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"did you mean `{close[0]}`?" if close else "known keys: " + ", ".join(known)
            what = f"unknown key `{key}` ({hint})"
        return f"{key_name(where)}: {what}" if where else what
    return f"{key_name(location)}: {_what_is_wrong(detail)}" if location else _what_is_wrong(detail)


def key_name(location: tuple[str | int, ...]) -> str:
    """`site.feed_size`; `tags` entry 9, `name`: list entries counted from 1, as people count."""
    parts: list[str] = []
    keys: list[str] = []
    for step in location:
        if isinstance(step, int):
            parts.append(f"`{'.'.join(keys)}` entry {step + 1}" if keys else f"entry {step + 1}")
            keys = []
        else:
            keys.append(str(step))
    if keys:
        parts.append(f"`{'.'.join(keys)}`")
    return ", ".join(parts)


def keys_at(model: type[BaseModel], location: tuple[str | int, ...]) -> list[str]:
    """The keys the model allows at `location` (list indices skipped), in its order."""
    current: Any = model
    for step in location:
        if isinstance(step, int):
            continue
        field = current.model_fields.get(str(step))
        if field is None:
            return []
        current = next((kind for kind in _kinds(field.annotation) if isinstance(kind, type) and issubclass(kind, BaseModel)), None)
        if current is None:
            return []
    return list(current.model_fields)


def _kinds(annotation: Any) -> list[Any]:
    """The types an annotation is made of: `list[TagRule] | None` → TagRule, None, …"""
    found = [annotation]
    for argument in get_args(annotation):
        found += _kinds(argument)
    return found


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping of keys"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    return repr(value)


# What each kind of problem means, for the kinds a hand-edited file meets.
_WHOLE_NUMBER = "should be a whole number, not {input}"
_MESSAGES = {
    "int_type": _WHOLE_NUMBER,
    "int_parsing": _WHOLE_NUMBER,
    "int_from_float": _WHOLE_NUMBER,
    "bool_type": "should be true or false, not {input}",
    "bool_parsing": "should be true or false, not {input}",
    "string_type": "should be text, not {input}",
    "list_type": "should be a list, not {input}",
    "dict_type": "should be a mapping of keys to values, not {input}",
    "model_type": "should be a mapping of keys to values, not {input}",
    "model_attributes_type": "should be a mapping of keys to values, not {input}",
    "less_than_equal": "should be at most {le}, not {input}",
    "greater_than_equal": "should be at least {ge}, not {input}",
    "string_too_short": "should not be empty",
    "too_short": "should have at least {min_length} entries",
}
# The forms that keys of a pattern take, by pattern.
_FORMS = {
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$": "lowercase letters and digits, words joined by single hyphens",
    r"^[0-9a-f]{12}$": "12 hexadecimal digits",
    r"^[0-9a-f]{64}$": "64 hexadecimal digits",
    r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$": "a UTC time such as 2026-12-02T09:30:00Z",
}


def _what_is_wrong(detail: ErrorDetails) -> str:
    kind, context, shown = detail["type"], detail.get("ctx", {}), _shown(detail.get("input"))
    if kind == "string_pattern_mismatch":
        form = _FORMS.get(context["pattern"], f"text matching {context['pattern']}")
        return f"should be {form}, not {shown}"
    template = _MESSAGES.get(kind)
    if template is None:
        return detail["msg"].removeprefix("Value error, ")
    return template.format(input=shown, **context)
