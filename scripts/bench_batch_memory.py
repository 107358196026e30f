#!/usr/bin/env python
"""Does ``arabic-ie predict`` keep memory flat on long inputs? Runs it with a tiny random model on
generated files of ``--lines`` lines each (sample sentences repeated; default 1000 and 10000,
``--lines 10000 100000`` for the long check), each in its own process, and reports the peak RSS
of each (``os.wait4``: the peak of that child alone), the wall time and the lines/s. Streaming
inference should give about the same peak for every size.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_common as bc  # sets the offline environment before transformers is imported


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000, 10_000],
                        help="input sizes to run, each in its own process (the brief: 10000 100000)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--model", help="a trained model folder (e.g. outputs/demo/model after `arabic-ie demo`); "
                                        "default: a random tiny model, whose many spurious spans make the output huge")
    parser.add_argument("--output", default="outputs/bench_batch_memory.json")
    return parser.parse_args(argv)


def save_tiny_model(folder: Path) -> Path:
    """A random ``tiny`` model (the default TinyConfig) with a tokenizer trained on the sample."""
    import torch

    from arabic_ie.data.features import FeatureConfig
    from arabic_ie.data.schema import LabelSchema
    from arabic_ie.model.build import build_model
    from arabic_ie.model.hub import save_model

    torch.manual_seed(0)
    records = bc.sample_records()
    model, tokenizer = build_model("tiny", LabelSchema.from_records(records), FeatureConfig(), records)
    return save_model(model, tokenizer, folder / "tiny")


def write_input(path: Path, lines: int) -> Path:
    """``lines`` lines of text, the sample's sentences over and over."""
    texts = [r.text.replace("\n", " ") for r in bc.sample_records()]
    with open(path, "w", encoding="utf-8") as out:
        for k in range(lines):
            out.write(texts[k % len(texts)] + "\n")
    return path


def predict_command(model: Path, source: Path, target: Path, batch_size: int) -> list[str]:
    """``arabic-ie predict`` (the console script next to this Python), else scripts/batch_predict.py."""
    script = Path(sys.executable).with_name("arabic-ie")
    head = [str(script), "predict"] if script.is_file() else [sys.executable, str(bc.REPO / "scripts" / "batch_predict.py")]
    return head + ["--model", str(model), "--input", str(source), "--output", str(target), "--input-format", "text",
                   "--batch-size", str(batch_size), "--device", "cpu", "--no-progress"]


def run_child(command: list[str]) -> dict[str, Any]:
    """Run a command; its own peak RSS (os.wait4's ru_maxrss, KiB on Linux) and wall time."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    stderr = process.stderr.read().decode("utf-8", "replace")
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"predict failed ({process.returncode}):\n{stderr[-3000:]}")
    return {"peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "seconds": round(seconds, 1),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1)}


def main(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-memory-"))
    try:
        model = Path(args.model) if args.model else save_tiny_model(tmp)
        rows = []
        for lines in args.lines:
            source = write_input(tmp / f"in-{lines}.txt", lines)
            target = tmp / f"out-{lines}.jsonl"
            row = {"lines": lines} | run_child(predict_command(model, source, target, args.batch_size))
            with open(target, "rb") as out:
                row["output_lines"] = sum(1 for _ in out)
            row["lines_per_s"] = lines / row["seconds"]
            rows.append(row)
            print(f"{lines} lines: peak {row['peak_rss_mb']} MiB, {row['seconds']} s", file=sys.stderr)
            source.unlink()
            target.unlink()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {"settings": vars(args), "machine": bc.machine_info(), "results": rows}
    print(bc.format_rows(rows, ["lines", "output_lines", "peak_rss_mb", "seconds", "cpu_seconds", "lines_per_s"]))
    print(f"load average {result['machine']['load_average_1m']:.2f} on {result['machine']['cpus']} CPUs")
    print(f"wrote {bc.write_json(args.output, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
