"""Line-level file access shared by every format: strict UTF-8 with line numbers, ``-`` for
stdin/stdout, and atomic writes so a killed run never leaves a half-written file."""
from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import CorpusError, Problem


def iter_lines(path: str | Path, problems: list[Problem] | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, line)`` without the newline, decoding each line as strict UTF-8.

    A line that is not UTF-8 (a file with mixed encodings, say) raises :class:`CorpusError`, or is
    reported to ``problems`` and skipped when a list is given. An empty file is an error too.
    """
    stream: IO[bytes] = sys.stdin.buffer if str(path) == "-" else open(path, "rb")
    seen_any = False
    try:
        for number, raw in enumerate(stream, 1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as err:
                problem = Problem(str(path), number, f"not valid UTF-8 at byte {err.start} "
                                                     "(mixed or wrong encoding; convert the file to UTF-8)")
                if problems is None:
                    raise CorpusError(problem.path, problem.line, problem.message) from None
                problems.append(problem)
                continue
            if line.strip():
                seen_any = True
            yield number, line.rstrip("\r\n")
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    if not seen_any:
        problem = Problem(str(path), 0, "the file is empty")
        if problems is None:
            raise CorpusError(problem.path, 0, problem.message)
        problems.append(problem)


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w") -> Iterator[IO[str]]:
    """Open ``path`` for writing through a temporary file in the same folder, renamed into place
    only when the block succeeds: readers see the old file or the whole new one, never half."""
    if str(path) == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, encoding="utf-8", newline="\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
