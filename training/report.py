"""The run's report: metrics.json (machine-readable) and report.md (for people), written atomically."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from arabic_ie.data.fileio import atomic_open

from .config import TrainConfig
from .metrics import to_markdown


def write_report(output: Path, config: TrainConfig, result: dict[str, Any]) -> None:
    """Write ``metrics.json`` and ``report.md`` (settings, steps, dev and test tables) into the
    output folder."""
    with atomic_open(output / "metrics.json") as out:
        json.dump(result, out, indent=2, ensure_ascii=False)
    lines = ["# arabic-ie training report", "",
             f"- base model: `{config.model.encoder}`", f"- train files: {', '.join(config.data.train_files)}",
             f"- dev files: {', '.join(config.data.dev_files) or '-'}",
             f"- test files: {', '.join(config.data.test_files) or '-'}",
             f"- optimizer steps: {result['steps']}, best epoch: {result['best_epoch']}, "
             f"training time: {result['train_seconds']} s", ""]
    for split, scores in result.get("metrics", {}).items():
        lines += [f"## {split}", "", to_markdown(scores), ""]
    with atomic_open(output / "report.md") as out:
        out.write("\n".join(lines))
