"""The native format: JSON lines, one canonical record per line (see :mod:`.records`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .errors import CorpusError, Problem
from .fileio import atomic_open, iter_lines
from .records import Record


def load_json_object(line: str) -> dict:
    """One line of any JSON-lines format as an object; ``ValueError`` with a plain message."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as err:
        raise ValueError(f"bad JSON: {err.msg} at column {err.colno}") from None
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
    return obj


JSON_ARRAY_MESSAGE = "this is a JSON array; JSON lines need one object per line"


def is_json_array(first_line: str) -> bool:
    """Whether the first line of a file opens a JSON array (``[`` or ``[{...}, ...]``)."""
    return first_line.lstrip("\ufeff \t").startswith("[")


def iter_json_array(path: str | Path, block: int = 1 << 20) -> Iterator[tuple[int, object]]:
    """Stream the items of a file holding one JSON array as ``(line where the item starts, item)``,
    reading ``block`` characters at a time: a large Label Studio export is never one parsed tree
    in memory. :class:`CorpusError` with the line for bad JSON or a file that is not an array."""
    decoder = json.JSONDecoder()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        buffer, pos, line, eof = "", 0, 1, False

        def read_more() -> None:
            nonlocal buffer, pos, eof
            try:
                chunk = handle.read(block)
            except UnicodeDecodeError as err:
                raise CorpusError(path, line, f"not valid UTF-8 ({err.reason}); convert the file to UTF-8") from None
            buffer, pos, eof = buffer[pos:] + chunk, 0, not chunk

        def skip_space() -> str:
            """The next character that is not white space ('' at the end), counting lines."""
            nonlocal pos, line
            while True:
                while pos < len(buffer) and buffer[pos] in " \t\r\n":
                    line += buffer[pos] == "\n"
                    pos += 1
                if pos < len(buffer) or eof:
                    return buffer[pos] if pos < len(buffer) else ""
                read_more()

        if skip_space() != "[":
            raise CorpusError(path, line, "expected a JSON array ([ ... ])")
        pos += 1
        first = True
        while True:
            char = skip_space()
            if char == "]":
                pos += 1
                if skip_space():
                    raise CorpusError(path, line, "more text after the JSON array's closing ]")
                return
            if not first:
                if char != ",":
                    raise CorpusError(path, line, f"bad JSON: expected ',' or ']' between items, found {char!r}"
                                      if char else "the JSON array is not closed (a cut file?)")
                pos += 1
                char = skip_space()
            if not char:
                raise CorpusError(path, line, "the JSON array is not closed (a cut file?)")
            while True:  # decode the item, reading more until it is whole
                try:
                    item, end = decoder.raw_decode(buffer, pos)
                    if end < len(buffer) or eof:
                        break
                except json.JSONDecodeError as err:
                    if eof:
                        where = line + buffer.count("\n", pos, err.pos)
                        raise CorpusError(path, where, f"bad JSON: {err.msg}") from None
                read_more()
            yield line, item
            line += buffer.count("\n", pos, end)
            pos = end
            first = False


def parse_record_line(line: str) -> Record:
    """Parse one native JSON line; raises ``ValueError`` with a plain-language message."""
    return Record.from_dict(load_json_object(line))


def read_json_lines(path: str | Path, parse: Callable[[str], Record],
                    problems: list[Problem] | None = None) -> Iterator[Record]:
    """Stream the records of any one-JSON-object-per-line format through ``parse``; a bad line
    raises :class:`CorpusError` or, with ``problems``, is reported and skipped."""
    first = True
    for number, line in iter_lines(path, problems):
        if not line.strip():
            continue
        if first and is_json_array(line):  # one clear problem, not one "bad JSON" per line
            if problems is None:
                raise CorpusError(path, number, JSON_ARRAY_MESSAGE)
            problems.append(Problem(str(path), number, JSON_ARRAY_MESSAGE))
            return
        first = False
        try:
            yield parse(line)
        except ValueError as err:
            if problems is None:
                raise CorpusError(path, number, str(err)) from None
            problems.append(Problem(str(path), number, str(err)))


def read_jsonl(path: str | Path, problems: list[Problem] | None = None) -> Iterator[Record]:
    """Stream native records (see :func:`read_json_lines`)."""
    return read_json_lines(path, parse_record_line, problems)


def json_line(obj: Any) -> str:
    """``obj`` as one line of JSON, Arabic written as itself; a text that holds half of an emoji
    cut off by a truncating API (a lone surrogate, which UTF-8 cannot write) is written with
    ``\\u`` escapes instead, which read back to the same text and offsets."""
    line = json.dumps(obj, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(obj)
    return line


def write_json_lines(objects: Iterable[dict], path: str | Path) -> int:
    """Write one JSON object per line, atomically; returns how many were written. The writer
    of every JSON-lines format."""
    count = 0
    with atomic_open(path) as out:
        for obj in objects:
            out.write(json_line(obj) + "\n")
            count += 1
    return count


def write_jsonl(records: Iterable[Record], path: str | Path) -> int:
    """Write native records atomically; returns how many were written."""
    return write_json_lines((record.to_dict() for record in records), path)
