"""The one exception type the command line turns into a clean one-line error."""

from __future__ import annotations

from pathlib import Path


class PapershelfError(Exception):
    """A problem with the user's input (config, dump, content file) that stops the run.

    The message always names the file, and the line or key where known, so the user
    can go straight to it.
    """

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path = Path(path)
        self.message = message
        self.line = line
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple:
        """Pickled with what made it, so that it crosses from a worker process intact."""
        return type(self), (self.path, self.message, self.line)
