"""One error type for bad corpus input, so every message names the file, the line and the problem."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Problem:
    """One thing wrong with an input file, at a 1-based line (0 when the file as a whole is wrong)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


def first_line(err: BaseException, limit: int = 300) -> str:
    """An exception's message on one line (its first, cut at ``limit``), or its class name when
    it has none: what a one-line error shows of a library's multi-line message."""
    text = str(err).strip()
    return (text.splitlines()[0] if text else type(err).__name__)[:limit]


class CorpusError(ValueError):
    """Raised when an input file cannot be read as a corpus; carries the first problem found."""

    def __init__(self, path: str | Path, line: int, message: str):
        self.problem = Problem(str(path), line, message)
        super().__init__(str(self.problem))

    @property
    def path(self) -> str:
        """The file that could not be read."""
        return self.problem.path

    @property
    def line(self) -> int:
        """The 1-based line of the problem, 0 for the file as a whole."""
        return self.problem.line


class BatchError(Exception):
    """A problem that stops a batch run before or between chunks (exit code 2), with a plain message."""


class OutputWriteError(BatchError):
    """Writing the output failed (a full disk, a file-size limit); what was written before is
    complete, so the same command with ``--resume`` continues once there is room."""
