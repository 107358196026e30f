"""Input of batch tagging (``arabic-ie predict``): the input file read lazily as *items*, one
per input record, each a record to tag or the reason it cannot be tagged.

Every input record gives exactly one item, in input order. A record that cannot be tagged (an
empty line, a line that is not UTF-8, bad JSON, a JSON record without text) is an item with an
``error`` (id ``line-N`` when unknown) instead of stopping the run or vanishing.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from .errors import BatchError
from .fileio import decode_line, iter_raw_lines, same_file
from .formats import CONLL_EXTENSIONS, FORMATS, JSON_EXTENSIONS, detect_format, read_corpus
from .jsonl import JSON_ARRAY_MESSAGE, is_json_array, load_json_object
from .records import Record

INPUT_FORMATS = FORMATS  # text, jsonl and conll are the usual ones; doccano/oneie read strictly too
OUTPUT_FORMATS = ("jsonl", "conll", "doccano", "labelstudio")
STDIO = "-"
_COPY_BLOCK = 1 << 20

@dataclass
class Item:
    """One input record: its position, where it came from, and a record to tag or why it cannot be."""

    index: int  # 0-based position among the input records
    line: int | None  # 1-based input line; None for CoNLL, where a record spans lines
    id: str
    record: Record | None = None
    error: str | None = None

    def error_dict(self, with_index: bool = False) -> dict[str, Any]:
        """The error record written for this item (``index`` too for the CoNLL side file)."""
        out: dict[str, Any] = {"id": self.id}
        if self.line is not None:
            out["line"] = self.line
        if with_index:
            out["index"] = self.index
        out["error"] = self.error
        return out


def _decode(raw: bytes) -> tuple[str | None, str | None]:
    """``(text, None)``, or ``(None, error)`` for a line that is not UTF-8: one line of another
    encoding must not stop the run."""
    try:
        return decode_line(raw), None
    except ValueError as err:
        return None, str(err)


def read_text_items(path: str) -> Iterator[Item]:
    """One document per line, id ``line-N``; an empty line is a record too (an error record)."""
    for index, (number, raw) in enumerate(iter_raw_lines(path)):
        item_id = f"line-{number}"
        text, error = _decode(raw)
        if error is None and not text.strip():
            error = "empty document"
        if error:
            yield Item(index, number, item_id, error=error)
        else:
            yield Item(index, number, item_id, Record(item_id, text, [], None))


def read_jsonl_items(path: str) -> Iterator[Item]:
    """Native JSON lines, each parsed on its own so one bad line costs one error record."""
    for index, (number, raw) in enumerate(iter_raw_lines(path)):
        if index == 0 and is_json_array(raw.decode("utf-8", "replace")):
            raise BatchError(f"{path}: {JSON_ARRAY_MESSAGE}")
        yield _jsonl_item(index, number, raw)


def _jsonl_item(index: int, number: int, raw: bytes) -> Item:
    item_id = f"line-{number}"
    line, error = _decode(raw)
    if error:
        return Item(index, number, item_id, error=error)
    if not line.strip():
        return Item(index, number, item_id, error="empty line")
    try:
        obj = load_json_object(line)
    except ValueError as err:
        return Item(index, number, item_id, error=str(err))
    if isinstance(obj.get("id"), (str, int)):
        item_id = str(obj["id"])
    try:
        record = Record.from_dict(obj)
    except ValueError as err:
        return Item(index, number, item_id, error=str(err))
    return Item(index, number, item_id, record)


def read_corpus_items(path: str, format: str) -> Iterator[Item]:
    """Other formats through :func:`read_corpus`, strictly: a bad record there stops the run with
    its file and line (validate such files with ``arabic-ie validate`` first)."""
    for index, record in enumerate(read_corpus(path, format)):
        yield Item(index, None, record.id, record)


def read_items(path: str, format: str) -> Iterator[Item]:
    """The items of an input file in any input format (text and jsonl leniently, others
    strictly)."""
    if format == "text":
        return read_text_items(path)
    if format == "jsonl":
        return read_jsonl_items(path)
    return read_corpus_items(path, format)


def input_format(path: str, given: str | None) -> str:
    """The given format, or the detected one (``-`` is taken to be plain text)."""
    if given:
        return given
    if path == STDIO:
        return "text"
    if is_stream(path):  # sniffing its first lines would consume them: the name alone decides
        suffix = Path(path).suffix.lower()
        return "conll" if suffix in CONLL_EXTENSIONS else "jsonl" if suffix in JSON_EXTENSIONS else "text"
    try:
        return detect_format(path)
    except ValueError:
        raise BatchError(f"cannot tell the format of {path!r} from its extension; pass --input-format "
                         f"(one of {', '.join(INPUT_FORMATS)})") from None


def output_format(path: str, given: str | None) -> str:
    """The given format; else conll for a CoNLL extension, jsonl otherwise."""
    if given:
        return given
    return "conll" if path != STDIO and Path(path).suffix.lower() in CONLL_EXTENSIONS else "jsonl"


def is_stream(path: str) -> bool:
    """Whether the input can be read only once: stdin, a pipe (``<(cmd)``), a named FIFO, a device."""
    if path == STDIO:
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def check_readable(path: str) -> None:
    """Fail before the model loads when the input cannot be opened. A pipe or FIFO is not opened
    here: opening and closing it would drain it or end its writer, and the run would read nothing."""
    if path == STDIO:
        return
    if is_stream(path):
        if not os.access(path, os.R_OK):
            raise BatchError(f"cannot read input {path!r}: permission denied")
        return
    try:
        with open(path, "rb"):
            pass
    except OSError as err:
        raise BatchError(f"cannot read input {path!r}: {err.strerror or err}") from None


def check_not_input(input: str, output: str) -> None:
    """Refuse an output (or its CoNLL error side file) that is the input file itself, through a
    symlink or a hard link too: the output is truncated before the input is read."""
    if STDIO in (input, output):
        return
    for candidate in (output, f"{output}.errors.jsonl"):
        if same_file(input, candidate):
            raise BatchError(f"--output {candidate!r} is the input file {input!r}; writing it would "
                             "destroy the input. Write to another file")


def count_lines(path: str) -> int | None:
    """Lines in a file (for the progress bar's total), None for stdin, a pipe or a FIFO (counting
    would consume what the run has to read)."""
    if is_stream(path):
        return None
    count, last = 0, b"\n"
    with open(path, "rb") as handle:
        while block := handle.read(_COPY_BLOCK):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")
