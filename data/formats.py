"""One entry point for every corpus format: pick the format from the file (or take it from the
caller), then read or write canonical records.

=========  ==========================================  ===================================
format     files                                       module
=========  ==========================================  ===================================
jsonl      native JSON lines (``.jsonl``, ``.json``)   :mod:`.jsonl`
conll      ``TOKEN TAG...`` (``.conll .bio .iob .tsv``, :mod:`.conll`
           ``.txt`` that looks like it)
doccano    doccano relation JSONL                      :mod:`.doccano`
oneie      OneIE / ACE JSON lines                      :mod:`.oneie`
labelstudio Label Studio JSON export (a task array) or  :mod:`.labelstudio`
           tasks one a line
text       plain text, one document per line           here
=========  ==========================================  ===================================

Reading CoNLL through :func:`read_corpus` repairs strict-BIO slips by default (``repair=True``:
ANERcorp and Wojood have a few sentences that start with ``I-X``); they are still reported to
``problems``, so validation sees them. Pass ``repair=False`` to make them errors.
"""
from __future__ import annotations

import inspect
import json
import logging
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from .conll import read_conll, write_conll
from .doccano import read_doccano, write_doccano
from .errors import Problem
from .fileio import atomic_open, check_input_file, iter_lines
from .jsonl import is_json_array, iter_json_array, read_jsonl, write_jsonl
from .labelstudio import JSON_MIN_MESSAGE, read_labelstudio, write_labelstudio
from .oneie import read_oneie, write_oneie
from .records import Record

logger = logging.getLogger(__name__)

FORMATS = ("jsonl", "conll", "doccano", "oneie", "text", "labelstudio")
CONLL_EXTENSIONS = (".conll", ".bio", ".iob", ".tsv")
JSON_EXTENSIONS = (".jsonl", ".json")
_TAG = re.compile(r"^(?:O|[BIESLU]-\S+)$")
_SNIFF_LINES = 20


# --- plain text ----------------------------------------------------------------------------------

def read_text(path: str | Path, problems: list[Problem] | None = None) -> Iterator[Record]:
    """One record per non-empty line, id ``line-N`` after its line number, no annotations."""
    for number, line in iter_lines(path, problems):
        if line.strip():
            yield Record(id=f"line-{number}", text=line, entities=[], events=None)


def write_text(records: Iterable[Record], path: str | Path) -> int:
    """Write each record's text on a line of its own; a text with a line break is an error."""
    count = 0
    with atomic_open(path) as out:
        for record in records:
            if "\n" in record.text or "\r" in record.text:
                raise ValueError(f"record {record.id!r}: its text has a line break; the text format "
                                 "holds one document per line (split it into sentences first)")
            out.write(record.text + "\n")
            count += 1
    return count


_READERS: dict[str, Callable[..., Iterator[Record]]] = {
    "jsonl": read_jsonl, "conll": read_conll, "doccano": read_doccano, "oneie": read_oneie, "text": read_text,
    "labelstudio": read_labelstudio}
_WRITERS: dict[str, Callable[..., int]] = {
    "jsonl": write_jsonl, "conll": write_conll, "doccano": write_doccano, "oneie": write_oneie, "text": write_text,
    "labelstudio": write_labelstudio}


# --- detection -----------------------------------------------------------------------------------

def _first_lines(path: str | Path, n: int) -> list[str]:
    """The first ``n`` non-empty lines, leniently decoded (detection only; readers are strict)."""
    check_input_file(path)
    lines: list[str] = []
    with open(path, "rb") as handle:
        for raw in handle:
            line = raw.decode("utf-8", errors="replace").lstrip("\ufeff").strip()
            if line:
                lines.append(line)
                if len(lines) == n:
                    break
    return lines


def _conll_shaped(line: str) -> bool:
    columns = line.split()
    return columns[0] == "-DOCSTART-" or (len(columns) >= 2 and all(_TAG.match(tag) for tag in columns[1:]))


def looks_like_conll(lines: list[str]) -> bool:
    """Most lines a token followed by tags (O, B-X, I-X, ...), or ``-DOCSTART-``: one odd line (an
    extra column) must not turn a CoNLL file into plain text, which trains on no label at all;
    the CoNLL reader then names that line."""
    shaped = sum(_conll_shaped(line) for line in lines)
    return bool(lines) and shaped >= 2 * len(lines) / 3 and (shaped >= 2 or len(lines) == 1)


#: keys of Label Studio's JSON-MIN export (flat tasks: the text and one list per control)
JSON_MIN_KEYS = ("annotation_id", "annotator", "lead_time")


def _first_array_item(path: str | Path) -> Any:
    """The first item of a file holding a JSON array (read alone, however long it is), or None."""
    try:
        return next((item for _, item in iter_json_array(path)), None)
    except ValueError:
        return None  # broken JSON: the reader reports it with its line


def sniff_json(line: str, suffix: str = ".json", first_item: Any = None) -> str:
    """The format of a JSON file from its first line (and, for a ``.json`` array, its first item)."""
    if is_json_array(line) and suffix == ".json":
        if isinstance(first_item, dict) and isinstance(first_item.get("data"), dict):
            return "labelstudio"  # an export (.json) is one JSON array of tasks; a .jsonl one is an error
        if isinstance(first_item, dict) and any(key in first_item for key in JSON_MIN_KEYS):
            raise ValueError(JSON_MIN_MESSAGE)
        if first_item is None:
            return "labelstudio"  # an empty or broken array: the Label Studio reader says which
        raise ValueError("a JSON array whose items have no 'data': not a Label Studio JSON export (its tasks "
                         "hold 'data' with the 'text'), and JSON lines need one object per line")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError:
        return "jsonl"  # the native reader reports the bad line with its number
    if not isinstance(obj, dict):
        return "jsonl"
    if "tokens" in obj and "entity_mentions" in obj:
        return "oneie"
    if isinstance(obj.get("data"), dict) and ("annotations" in obj or "predictions" in obj):
        return "labelstudio"
    entities = obj.get("entities")
    if "relations" in obj or (isinstance(entities, list)
                              and any(isinstance(e, dict) and "start_offset" in e for e in entities)):
        return "doccano"
    return "jsonl"


#: how a user names a format the extension does not tell; the readers serve several commands
NAME_THE_FORMAT = (f"name it with the command's format option (--format, --input-format or --output-format; "
                   f"format: in a training config), one of {', '.join(FORMATS)}")


def detect_format(path: str | Path) -> str:
    """The format of an existing file, from its extension and, for ``.txt`` and JSON files, its
    first lines; ``-`` (stdin) is taken to be native jsonl. ``ValueError`` when it cannot tell."""
    if str(path) == "-":
        return "jsonl"
    suffix = Path(path).suffix.lower()
    if suffix in CONLL_EXTENSIONS:
        return "conll"
    if suffix == ".txt":
        lines = _first_lines(path, _SNIFF_LINES)
        if looks_like_conll(lines):
            logger.info("%s: read as CoNLL: %d of its first %d lines are TOKEN TAG lines", path,
                        sum(map(_conll_shaped, lines)), len(lines))
            return "conll"
        if any(map(_conll_shaped, lines)):
            logger.warning("%s: read as plain text, though %d of its first %d lines look like CoNLL (TOKEN TAG); "
                           "if it is CoNLL, say so with the format option", path, sum(map(_conll_shaped, lines)),
                           len(lines))
        return "text"
    if suffix in JSON_EXTENSIONS:
        first = _first_lines(path, 1)
        if not first:
            return "jsonl"
        return sniff_json(first[0], suffix, _first_array_item(path) if is_json_array(first[0]) else None)
    check_input_file(path)  # a missing file or a folder is named as such, not as a format problem
    raise ValueError(f"cannot tell the format of {str(path)!r} from its extension; {NAME_THE_FORMAT}")


def _output_format(path: str | Path) -> str:
    """The format to write, from the extension alone (the file need not exist)."""
    suffix = Path(path).suffix.lower()
    if str(path) == "-" or suffix in JSON_EXTENSIONS:
        return "jsonl"
    if suffix in CONLL_EXTENSIONS:
        return "conll"
    raise ValueError(f"cannot tell which format to write to {str(path)!r} (a .txt may be conll or text); "
                     f"{NAME_THE_FORMAT}")


def _check_format(format: str) -> str:
    if format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    return format


def _check_options(function: Callable[..., Any], format: str, options: dict[str, Any]) -> None:
    accepted = set(inspect.signature(function).parameters) - {"path", "records", "problems"}
    unknown = sorted(set(options) - accepted)
    if unknown:
        raise ValueError(f"format {format!r} takes no option {', '.join(unknown)}"
                         + (f"; it takes {', '.join(sorted(accepted))}" if accepted else ""))


# --- entry points --------------------------------------------------------------------------------

def read_corpus(path: str | Path, format: str | None = None, problems: list[Problem] | None = None,
                **options: Any) -> Iterator[Record]:
    """Stream the records of a corpus file in any format (detected when ``format`` is None).

    Options go to the format's reader (for conll: ``scheme``, ``nested``, ``repair``). A bad
    input raises :class:`CorpusError` naming file and line, or with ``problems`` is reported there.
    """
    format = _check_format(format or detect_format(path))
    if format == "conll":
        options.setdefault("repair", True)
    reader = _READERS[format]
    _check_options(reader, format, options)
    return reader(path, problems=problems, **options)


def write_corpus(records: Iterable[Record], path: str | Path, format: str | None = None,
                 **options: Any) -> int:
    """Write records atomically (``-`` is stdout) in a format taken from the extension when not
    given; options go to the writer (for conll: ``scheme``, ``tokenize``). Returns the count."""
    format = _check_format(format or _output_format(path))
    writer = _WRITERS[format]
    _check_options(writer, format, options)
    return writer(records, path, **options)
