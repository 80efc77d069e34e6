"""Safe, fast YAML reading and stable YAML writing, with errors that name file and line."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from papershelf.errors import PapershelfError
from papershelf.yamlemit import emit

# The C loader is several times faster; both are safe loaders (no arbitrary objects).
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.load(text, Loader=SafeLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = error.problem or error.context or "malformed YAML"
        raise PapershelfError(path, f"malformed YAML: {problem}", line) from None
    except yaml.YAMLError as error:
        raise PapershelfError(path, f"malformed YAML: {error}") from None


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PapershelfError(path, "not UTF-8 text") from None
    except OSError as error:
        raise PapershelfError(path, f"cannot read: {error.strerror}") from None


def load_yaml(path: Path) -> Any:
    return parse_yaml(read_text(path), path)


def line_of(text: str, location: tuple[str | int, ...]) -> int | None:
    """The line (1-based) of the value at `location` (keys and list indices) in a YAML
    text, or of the nearest enclosing value that exists: where a validation error points.
    Composes the text again, so it is only for the error path."""
    try:
        node = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return None
    if node is None:
        return None
    line = node.start_mark.line + 1
    for step in location:
        if isinstance(node, yaml.MappingNode):
            found = [(key, value) for key, value in node.value if isinstance(key, yaml.ScalarNode) and key.value == str(step)]
            if not found:
                break
            key, node = found[0]
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line


def to_yaml(data: Any) -> str:
    """Block style, keys in the order given, Unicode kept: diffs stay small and readable.
    Paper files are written by `yamlemit` (the same bytes, several times quicker) where it
    covers them."""
    fast = emit(data)
    if fast is not None:
        return fast
    return yaml.dump(
        data,
        Dumper=SafeDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file. The
    temporary name holds the process id: processes never share one, and a process writes
    one file at a time."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        handle = open(tmp, "wb")
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(tmp, "wb")
    try:
        with handle:
            handle.write(payload)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
