"""What a batch output was written with (format, model, weights, tagging settings), kept in a
hidden file beside it, so ``predict --resume`` goes on only as the kept records were made: a
run resumed in another format or with another model would mix them in one file, silently."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .fileio import atomic_open
from .formats import sniff_json


@dataclass
class OutputState:
    """How an output file's records were made."""

    format: str
    model: str
    weights: str  # the model's weights fingerprint (arabic_ie.model.fingerprint)
    settings: dict[str, Any] = field(default_factory=dict)  # options that change the records


def state_path(output: str | Path) -> Path:
    """The state file of an output: a hidden sibling of the file the path resolves to."""
    output = Path(os.path.realpath(output))
    return output.with_name(f".{output.name}.predict.json")


def write_state(output: str | Path, state: OutputState) -> None:
    """Record how this run writes ``output`` (before its first record)."""
    with atomic_open(state_path(output)) as handle:
        json.dump(asdict(state), handle, ensure_ascii=False, indent=1)


def read_state(output: str | Path) -> OutputState | None:
    """The kept state, or None when there is none (or it cannot be read)."""
    try:
        data = json.loads(state_path(output).read_text(encoding="utf-8"))
        return OutputState(**data)
    except (OSError, ValueError, TypeError):
        return None


def sniff_format(output: str | Path) -> str | None:
    """The format of an output written without a state file, from its first line: a JSON array is
    Label Studio tasks, a JSON object the format :func:`.formats.sniff_json` tells, anything else
    CoNLL; None for an empty file."""
    try:
        with open(output, "rb") as handle:
            head = handle.read(65536)
    except OSError:
        return None
    text = head.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    if not text:
        return None
    if text.startswith("["):
        return "labelstudio"
    if text.startswith("{"):
        return sniff_json(text.split("\n", 1)[0], ".jsonl")
    return "conll"


def resume_conflicts(kept: OutputState, now: OutputState) -> list[str]:
    """How this run differs from the one that wrote the kept records (empty: it may go on)."""
    conflicts = []
    if kept.format != now.format:
        conflicts.append(f"it was written as {kept.format} (add --output-format {kept.format}), this run writes {now.format}")
    if kept.weights != now.weights:
        conflicts.append(f"it was written by the model {kept.model!r} (weights {kept.weights}), this run loads "
                         f"{now.model!r} (weights {now.weights})")
    for name in sorted(set(kept.settings) | set(now.settings)):
        if kept.settings.get(name) != now.settings.get(name):
            conflicts.append(f"it was written with {name}={kept.settings.get(name)!r}, this run has "
                             f"{name}={now.settings.get(name)!r}")
    return conflicts
