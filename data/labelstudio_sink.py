"""``arabic-ie predict --output-format labelstudio``: tasks with pre-annotations, streamed and
resumable like the other outputs, in a file Label Studio imports as it is.

Label Studio imports ``.json`` (an array of tasks), not JSON lines, so the file is an array
written a task a line (see :func:`.labelstudio.task_line`): ``[``, the tasks, ``]`` when the run
ends. A killed run leaves the array unclosed; ``--resume`` cuts any partial line, counts the
tasks, and goes on. An input that could not be tagged becomes an error task in its place, so
task N still answers input record N (see :func:`.labelstudio.error_task`).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, Any, Iterator, Sequence

from .batch_sinks import append_synced, close_quietly
from .labelstudio import error_task, record_to_task, task_line
from .records import Record

STDIO = "-"


class LabelStudioSink:
    """The batch loop's sink (``start``, ``note_skipped``, ``write``, ``close``) for Label Studio tasks."""

    format = "labelstudio"

    def __init__(self, path: str, model_version: str | None = None):
        self.path, self.model_version = path, model_version
        self.handle: IO[bytes] | None = None
        self.written = 0
        self.errors = 0
        self.failed = False  # a write failed (a full disk): the array is left open for --resume

    def start(self, resume: bool) -> int:
        """Open the output; with ``resume`` return how many tasks it already holds."""
        if self.path == STDIO:
            self.handle = sys.stdout.buffer
        else:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.written = self._cut_to_whole_tasks() if resume else 0
            self.handle = open(self.path, "ab" if resume else "wb")
        if self.written == 0 and (not resume or self._size() == 0):
            self._append(b"[\n")
        return self.written

    def _size(self) -> int:
        return os.path.getsize(self.path) if self.path != STDIO and os.path.exists(self.path) else 0

    def _cut_to_whole_tasks(self) -> int:
        """Drop a partial last line and a closing ``]``; return the number of task lines kept."""
        if not os.path.exists(self.path):
            return 0
        with open(self.path, "rb") as handle:
            lines = handle.read().split(b"\n")
        whole = lines[:-1]  # the last element is what follows the last newline: partial or empty
        if whole and whole[-1].strip() == b"]":
            whole.pop()
        with open(self.path, "wb") as handle:
            handle.write(b"".join(line + b"\n" for line in whole))
        return max(len(whole) - 1, 0)  # the first line is "["

    def kept_records(self) -> Iterator[dict | None]:
        """Each kept task in input order (None for a line that is not one), for the resume check."""
        if not os.path.exists(self.path):
            return
        with open(self.path, "rb") as handle:
            for raw in handle:
                line = raw.strip().strip(b",").strip()
                if line in (b"[", b"]", b""):
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    yield None
                    continue
                yield obj if isinstance(obj, dict) else None

    @staticmethod
    def mismatch(item: Any, kept: dict | None) -> str | None:
        """Why a kept task does not answer ``item``: not a task, or another text (error tasks aside)."""
        if kept is None:
            return "is not a Label Studio task"
        data = kept.get("data") if isinstance(kept.get("data"), dict) else {}
        text = item.record.text if getattr(item, "record", None) is not None else None
        if text is not None and isinstance(data.get("text"), str) and data["text"] != text:
            return f"holds another text than the input record {item.id!r}"
        return None

    def note_skipped(self, item: Any) -> None:
        """Nothing to remember about tasks already written."""

    def write(self, results: Sequence[tuple[Any, Record | None]]) -> None:
        """Append a task line per result (an error task for a failed record), flushed and synced to disk."""
        lines = []
        for item, record in results:
            task = None
            if record is not None:
                try:
                    task = record_to_task(record, "predictions", self.model_version)
                except ValueError as err:
                    item.error = f"cannot write in labelstudio: {err}"
            if task is None:
                self.errors += 1
                task = error_task(item.id, item.error)
            lines.append(task_line(task, self.written == 0))
            self.written += 1
        self._append("".join(lines).encode("utf-8"))

    def _append(self, data: bytes) -> None:
        """Append and sync as the other sinks do: the file named in a write error, no fsync of a device."""
        try:
            append_synced(self.handle, data)
        except OSError:
            self.failed = True
            raise

    def close(self) -> None:
        """End the JSON array with ``]`` and close the file (stdout stays open); a second call
        does nothing. After a failed write (a full disk) the array stays open, as a killed run
        leaves it, for ``--resume``; a second error would only hide the first."""
        if self.handle is None:
            return
        handle, self.handle = self.handle, None
        if not self.failed:  # a "]" after a partial line would pass for a task at --resume
            try:
                append_synced(handle, b"]\n")
            except OSError:
                pass
        if handle is not sys.stdout.buffer:
            close_quietly(handle)

