"""Checkpoint folders of a training loop (fine-tuning or pretraining), one way for both: written
whole into a temporary folder, marked DONE and renamed into place, so a kill during saving leaves
the previous checkpoint as the one to resume from; the oldest are rotated out."""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

CHECKPOINTS = "checkpoints"


def _step(path: Path) -> int:
    return int(path.name.split("-")[1])


def latest_checkpoint(output: Path) -> Path | None:
    """The newest complete (DONE) checkpoint under ``output``, or None."""
    folder = output / CHECKPOINTS
    if not folder.exists():
        return None
    done = sorted((p for p in folder.glob("step-*") if (p / "DONE").exists()), key=_step)
    return done[-1] if done else None


def write_checkpoint(accelerator: Any, output: Path, name: str, keep: int) -> Path:
    """``save_state`` into ``output/checkpoints/_``, marked DONE and renamed to ``name`` once every
    rank has written its part; then all but the newest ``keep`` checkpoints are removed."""
    folder = output / CHECKPOINTS
    target, tmp = folder / name, folder / "_"
    shutil.rmtree(tmp, ignore_errors=True)
    accelerator.wait_for_everyone()
    accelerator.save_state(str(tmp))
    accelerator.wait_for_everyone()  # every rank's random-state file is in tmp before it is renamed
    if accelerator.is_main_process:
        (tmp / "DONE").write_text("ok")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        done = sorted((p for p in folder.glob("step-*") if p != target), key=_step)
        for old in done[: max(0, len(done) + 1 - keep)]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()
    return target
