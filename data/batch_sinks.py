"""Output of batch tagging (``arabic-ie predict``): sinks that append whole records, fsynced
chunk by chunk, and that resume a killed run without losing or repeating a record.

* ``jsonl`` and ``doccano`` output (:class:`LineSink`): one line per input record; an error
  record ``{"id": ..., "line": N, "error": "..."}`` is the output line itself, so output line N
  always answers input record N. The readers reject these lines (they have no ``text``): scoring a
  file that has any says so loudly instead of counting the failure as "no entities".
* ``conll`` output (:class:`ConllSink`): CoNLL has no comments and no empty sentences, so error
  records go to a side file ``OUTPUT.errors.jsonl`` (with ``"index"``, the record's 0-based input
  position) and nothing is written to the CoNLL file for them; records without any word go there
  too. With ``-`` (stdout) they go to stderr. CoNLL output keeps no ids (the reader numbers
  sentences).

Resume: without ``resume`` the output is truncated and then appended to, so even a killed first
run leaves a valid prefix. ``start(resume=True)`` cuts a partial last line (or CoNLL block) and
counts the complete output records; :meth:`kept_records` and :meth:`mismatch` let the caller
check that each kept record answers its input record before skipping it.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, Sequence

from . import conll as _conll
from .batch_items import _COPY_BLOCK, STDIO, Item
from .doccano import record_to_doccano
from .jsonl import json_line
from .records import Record
from .text import split_words

def append_synced(handle: IO[bytes], data: bytes) -> None:
    """Append whole lines and force them to disk, so a kill never leaves less than a full chunk
    of state behind (a partial tail, if the kill hits the write, is cut at resume)."""
    try:
        handle.write(data)
        handle.flush()
        if not _is_std(handle) and stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            os.fsync(handle.fileno())  # a device or pipe (--output /dev/null) cannot be synced
    except OSError as err:  # name the file: a full disk's error has no file name
        raise OSError(err.errno, err.strerror, getattr(handle, "name", None)) from None


def close_quietly(handle: IO[bytes]) -> None:
    """Close an output. Every write is flushed at once, so all that can be left in the buffer is
    the rest of a write that failed (a full disk, already reported): flushing it again would
    fail again and hide that first error behind a bare 'File too large'."""
    try:
        handle.close()
    except OSError:
        pass  # the file itself is closed; its complete records are on disk


def is_device(path: str) -> bool:
    """Whether ``path`` exists and is not a regular file (``/dev/null``, a FIFO): such an output
    is written straight through, without a side file, resume or lock."""
    return path != STDIO and os.path.exists(path) and not os.path.isfile(path)


def _is_std(handle: IO[bytes] | None) -> bool:
    return handle is sys.stdout.buffer or handle is sys.stderr.buffer


def _open_append(path: str, fresh: bool) -> IO[bytes]:
    if path == STDIO:
        return sys.stdout.buffer
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return open(path, "wb" if fresh else "ab")


def _truncate_to_lines(path: str) -> int:
    """Cut anything after the last newline; return the number of complete lines."""
    if not os.path.exists(path):
        return 0
    count, end = 0, 0
    with open(path, "rb") as handle:
        offset = 0
        while block := handle.read(_COPY_BLOCK):
            newlines = block.count(b"\n")
            if newlines:
                count += newlines
                end = offset + block.rindex(b"\n") + 1
            offset += len(block)
    os.truncate(path, end)
    return count


class LineSink:
    """jsonl or doccano output: one line per input record, error records inline."""

    def __init__(self, path: str, render: Callable[[Record], dict[str, Any]], format: str):
        self.path, self.render, self.format = path, render, format
        self.handle: IO[bytes] | None = None
        self.errors = 0

    def start(self, resume: bool) -> int:
        """Open the output; with ``resume`` return how many records it already holds."""
        done = _truncate_to_lines(self.path) if resume else 0
        self.handle = _open_append(self.path, fresh=not resume)
        return done

    def kept_records(self) -> Iterator[tuple[str, str | None] | None]:
        """``(id, text)`` of each complete line the output holds (text None for an error
        record), or None for a line that is not a JSON record."""
        if not os.path.exists(self.path):
            return
        with open(self.path, "rb") as handle:
            for raw in handle:
                try:
                    obj = json.loads(raw)
                except ValueError:
                    yield None
                    continue
                if not isinstance(obj, dict) or "id" not in obj:
                    yield None
                    continue
                yield str(obj["id"]), obj.get("text") if isinstance(obj.get("text"), str) else None

    @staticmethod
    def mismatch(item: Item, kept: tuple[str, str | None] | None) -> str | None:
        """Why a kept line does not answer ``item`` (None when it does): another id, or the
        text of another document (ids of plain-text input are only line numbers)."""
        if kept is None:
            return "is not a JSON record with an id"
        kept_id, kept_text = kept
        if kept_id != item.id:
            return f"has id {kept_id!r} where the input has {item.id!r}"
        text = item.record.text if item.record is not None else None
        if kept_text != text:
            return f"of {kept_id!r} holds another text than the input record"
        return None

    def note_skipped(self, item: Item) -> None:
        """Nothing to remember about records already written."""

    def write(self, results: Sequence[tuple[Item, Record | None]]) -> None:
        """Append one line per result, fsynced, so a kill leaves whole lines only."""
        lines = [json_line(self._line(item, record)) for item, record in results]
        append_synced(self.handle, "".join(line + "\n" for line in lines).encode("utf-8"))

    def _line(self, item: Item, record: Record | None) -> dict[str, Any]:
        if record is not None:
            try:
                return self.render(record)
            except ValueError as err:
                item.error = f"cannot write in {self.format}: {err}"
        self.errors += 1
        return item.error_dict()

    def close(self) -> None:
        """Close the output (stdout stays open)."""
        if self.handle is not None and not _is_std(self.handle):
            close_quietly(self.handle)


def conll_block(record: Record) -> str | None:
    """A record as ``TOKEN TAG`` lines and a blank line (as :func:`write_conll` writes it), or
    None when it has no word, which CoNLL cannot hold."""
    return _conll.record_to_conll(record)


def conll_record_ends(path: str) -> Iterator[int]:
    """Byte offset just after each complete record block (``-DOCSTART-`` blocks are not records)."""
    if not os.path.exists(path):
        return
    offset, block_start = 0, None
    with open(path, "rb") as handle:
        for line in handle:
            offset += len(line)
            if not line.endswith(b"\n"):
                return  # a partial tail
            if line.strip():
                block_start = line if block_start is None else block_start
            elif block_start is not None:
                if not block_start.startswith(_conll.DOCSTART.encode()):
                    yield offset
                block_start = None


def committed_prefix(n_blocks: int, error_indexes: Iterable[int]) -> tuple[int, int]:
    """``(records done, CoNLL blocks to keep)``: walk the input positions, each one an error
    (in the side file) or the next CoNLL block, until neither file has it. Correct because each
    chunk's errors are written before its blocks (see :meth:`ConllSink.write`)."""
    errors = set(error_indexes)
    done = kept = 0
    while True:
        if done in errors:
            done += 1
        elif kept < n_blocks:
            done, kept = done + 1, kept + 1
        else:
            return done, kept


class ConllSink:
    """CoNLL output, with error records in ``OUTPUT.errors.jsonl`` (stderr for stdout)."""

    format = "conll"

    def __init__(self, path: str):
        self.path = path
        self.errors_path = STDIO if path == STDIO or is_device(path) else f"{path}.errors.jsonl"
        self.handle: IO[bytes] | None = None
        self.error_handle: IO[bytes] | None = None
        self.document: Any = None
        self.errors = 0

    def start(self, resume: bool) -> int:
        """Open the output and side file; with ``resume`` return how many records they already
        hold."""
        done = self._resume() if resume else 0
        self.handle = _open_append(self.path, fresh=not resume)
        if self.errors_path == STDIO:
            self.error_handle = sys.stderr.buffer
        else:
            self.error_handle = open(self.errors_path, "ab" if resume else "wb")
        return done

    def _resume(self) -> int:
        """Cut both files back to the records fully written; return how many that is."""
        _truncate_to_lines(self.errors_path)
        indexes = list(self._error_indexes())
        done, kept = committed_prefix(sum(1 for _ in conll_record_ends(self.path)), indexes)
        end = 0
        for number, offset in enumerate(conll_record_ends(self.path), 1):
            if number > kept:
                break
            end = offset
        if os.path.exists(self.path):
            os.truncate(self.path, end)
        self._keep_errors_before(done)
        return done

    def _error_indexes(self) -> Iterator[int]:
        if os.path.exists(self.errors_path):
            with open(self.errors_path, "rb") as handle:
                for line in handle:
                    yield int(json.loads(line)["index"])

    def _keep_errors_before(self, done: int) -> None:
        """Drop error lines past the committed prefix (written just before a kill)."""
        if not os.path.exists(self.errors_path):
            return
        end = 0
        with open(self.errors_path, "rb") as handle:
            for line in handle:
                if int(json.loads(line)["index"]) >= done:
                    break
                end += len(line)
        os.truncate(self.errors_path, end)

    def kept_records(self) -> Iterator[tuple[str, Any]]:
        """Each kept record in input order: ``("error", id)`` from the side file or ``("words",
        tokens)`` from the next CoNLL block (see :func:`committed_prefix`)."""
        errors: dict[int, str] = {}
        if os.path.exists(self.errors_path):
            with open(self.errors_path, "rb") as handle:
                for line in handle:
                    obj = json.loads(line)
                    errors[int(obj["index"])] = str(obj.get("id"))
        blocks = self._kept_blocks()
        index = 0
        while True:
            if index in errors:
                yield "error", errors[index]
            else:
                yield "words", next(blocks, None)
            index += 1

    def _kept_blocks(self) -> Iterator[list[str]]:
        if not os.path.exists(self.path):
            return
        tokens: list[str] = []
        with open(self.path, "rb") as handle:
            for raw in handle:
                line = raw.decode("utf-8", "replace").split()
                if line and line[0] != _conll.DOCSTART:
                    tokens.append(line[0])
                elif not line and tokens:
                    yield tokens
                    tokens = []

    @staticmethod
    def mismatch(item: Item, kept: tuple[str, Any]) -> str | None:
        """Why a kept record does not answer ``item`` (None when it does): another error id, or
        other words."""
        kind, value = kept
        if kind == "error":
            return None if value == item.id else f"is an error record of {value!r} where the input has {item.id!r}"
        words = [w.text for w in split_words(item.record.text)] if item.record is not None else None
        if value != words:
            return f"holds the words {' '.join(value or [])[:60]!r} where the input has {item.id!r}"
        return None

    def note_skipped(self, item: Item) -> None:
        """Remember the document of records already written, so ``-DOCSTART-`` lines continue right."""
        if item.record is not None and item.record.metadata.get("document") is not None:
            self.document = item.record.metadata["document"]

    def write(self, results: Sequence[tuple[Item, Record | None]]) -> None:
        """Errors first, then blocks: after a kill the side file is never behind the CoNLL file."""
        blocks, errors = [], []
        for item, record in results:
            block = self._block(item, record)
            if block is None:
                errors.append(json_line(item.error_dict(with_index=True)) + "\n")
            else:
                blocks.append(block)
        self.errors += len(errors)
        if errors:
            append_synced(self.error_handle, "".join(errors).encode("utf-8"))
        append_synced(self.handle, "".join(blocks).encode("utf-8"))

    def _block(self, item: Item, record: Record | None) -> str | None:
        if record is None:
            return None
        try:
            block = conll_block(record)
        except ValueError as err:
            item.error = f"cannot write in conll: {err}"
            return None
        if block is None:
            item.error = "no words to write in CoNLL"
            return None
        document = record.metadata.get("document")
        if document not in (None, self.document):
            self.document = document
            block = f"{_conll.DOCSTART} O\n\n" + block
        return block

    def close(self) -> None:
        """Close the output and the side file (stdout and stderr stay open)."""
        for handle in (self.handle, self.error_handle):
            if handle is not None and not _is_std(handle):
                close_quietly(handle)


def make_sink(path: str, format: str, model_version: str | None = None) -> LineSink | ConllSink:
    """The sink for an output format: CoNLL with a side file, Label Studio tasks, or one line per record."""
    if format == "labelstudio":
        from arabic_ie.data.labelstudio_sink import LabelStudioSink

        return LabelStudioSink(path, model_version)
    if format == "conll":
        return ConllSink(path)
    if format == "doccano":
        return LineSink(path, record_to_doccano, format)
    return LineSink(path, Record.to_dict, format)
