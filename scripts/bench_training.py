#!/usr/bin/env python
"""Training speed and memory: arabic-ie's Trainer vs transformers' Trainer on the same data.

Both train a BERT of AraBERT-base's widths (hidden 768, 12 heads, intermediate 3072; ``--layers``
2 by default for speed, ``--layers 12`` for the full shape) with a WordPiece tokenizer trained on
the same ANERcorp sentences, on the same features (our FeatureBuilder's windows: normalised words,
first-piece labels, ``--max-length``), the same batch size and number of steps, length-grouped
batches on both sides (our LengthGroupedBatchSampler; ``train_sampling_strategy="group_by_length"``
for transformers).
transformers trains BertForTokenClassification (entity labels only); ours the joint model with
its (idle, NER-only) event heads.

Each system runs in its own child process for a clean peak RSS (VmHWM at the end of the run,
model build and data included). Speed: a global forward pre-hook stamps the start of every
training step; examples/s is taken over steps 2..N (the first step warms up), so checkpointing,
evaluation and saving around the loop are not counted. The systems alternate over ``--repeats``.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bench_common as bc  # sets the offline environment before transformers is imported

OURS, HF = "arabic-ie", "hf-trainer"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared-data", help="folder holding ANERcorp/ and Wojood-sample/")
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps per run (at least 3)")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--examples", type=int, default=1000, help="ANERcorp sentences to train on")
    parser.add_argument("--layers", type=int, default=2, help="encoder layers (12 = AraBERT-base)")
    parser.add_argument("--vocab", type=int, default=64000, help="WordPiece vocabulary (at most)")
    parser.add_argument("--repeats", type=int, default=1, help="runs per system (alternating)")
    parser.add_argument("--output", default="outputs/bench_training.json")
    parser.add_argument("--child", choices=(OURS, HF), help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


class StepClock:
    """Stamps the start of every forward call of a model of ``cls`` (one per training step)."""

    def __init__(self, cls: type):
        import torch

        self.stamps: list[float] = []
        self.cls = cls
        self.handle = torch.nn.modules.module.register_module_forward_pre_hook(self._hook)

    def _hook(self, module: Any, inputs: Any) -> None:
        if type(module) is self.cls and module.training:
            self.stamps.append(time.perf_counter())

    def seconds_per_step(self) -> float:
        """Mean seconds of steps 2..N-1 (from the 2nd to the last step start)."""
        self.handle.remove()
        if len(self.stamps) < 3:
            raise RuntimeError(f"only {len(self.stamps)} training steps seen; use --steps 3 or more")
        return (self.stamps[-1] - self.stamps[1]) / (len(self.stamps) - 2)


def tiny_settings(args: argparse.Namespace) -> dict[str, int]:
    return {"vocab_size": args.vocab, "hidden_size": 768, "num_hidden_layers": args.layers,
            "num_attention_heads": 12, "intermediate_size": 3072}


def run_ours(args: argparse.Namespace) -> dict[str, Any]:
    from arabic_ie.model.modeling import ArabicIEModel
    from arabic_ie.settings import read_config
    from arabic_ie.training.trainer import Trainer

    with tempfile.TemporaryDirectory(prefix="bench-train-ours-") as out:
        config = read_config(model="tiny", tiny=tiny_settings(args), train_files=[args.data], output_dir=out,
                             epochs=1000, max_steps=args.steps, batch_size=args.batch_size,
                             max_length=args.max_length, stride=16, warmup_ratio=0.0)
        clock = StepClock(ArabicIEModel)
        start = time.perf_counter()
        Trainer(config).train()
        return {"wall_seconds": time.perf_counter() - start, "seconds_per_step": clock.seconds_per_step()}


def hf_dataset(args: argparse.Namespace) -> tuple[Any, Any, int]:
    """Our features of the same file (same tokenizer, windows and labels), as transformers wants them."""
    from arabic_ie.data.features import FeatureBuilder, FeatureConfig
    from arabic_ie.data.formats import read_corpus
    from arabic_ie.data.schema import LabelSchema
    from arabic_ie.model.tiny import train_wordpiece

    records = list(read_corpus(args.data, "conll"))
    features = FeatureConfig(args.max_length, 16)
    tokenizer = train_wordpiece(records, args.vocab, features.normalization)
    schema = LabelSchema.from_records(records)
    rows = FeatureBuilder(tokenizer, schema, features).build_dataset(records)
    rows = rows.select_columns(["input_ids", "attention_mask", "entity_labels"]).rename_column("entity_labels", "labels")
    return rows, tokenizer, len(schema.entity_labels)


def run_hf(args: argparse.Namespace) -> dict[str, Any]:
    from transformers import (BertConfig, BertForTokenClassification, DataCollatorForTokenClassification, Trainer,
                              TrainingArguments)

    rows, tokenizer, n_labels = hf_dataset(args)
    settings = tiny_settings(args) | {"vocab_size": len(tokenizer)}
    model = BertForTokenClassification(BertConfig(**settings, num_labels=n_labels))
    with tempfile.TemporaryDirectory(prefix="bench-train-hf-") as out:
        training = TrainingArguments(output_dir=out, max_steps=args.steps, per_device_train_batch_size=args.batch_size,
                                     learning_rate=5e-5, warmup_steps=0, save_strategy="no",
                                     logging_strategy="no", report_to=[], use_cpu=True, dataloader_num_workers=0,
                                     train_sampling_strategy="group_by_length",
                                     seed=42, disable_tqdm=True)
        trainer = Trainer(model=model, args=training, train_dataset=rows, processing_class=tokenizer,
                          data_collator=DataCollatorForTokenClassification(tokenizer))
        clock = StepClock(BertForTokenClassification)
        start = time.perf_counter()
        trainer.train()
        return {"wall_seconds": time.perf_counter() - start, "seconds_per_step": clock.seconds_per_step()}


def child(args: argparse.Namespace) -> None:
    result = run_ours(args) if args.child == OURS else run_hf(args)
    result |= {"system": args.child, "peak_rss_mb": round(bc.peak_rss_mb(), 1),
               "examples_per_s": args.batch_size / result["seconds_per_step"]}
    print(json.dumps(result))


def write_training_file(args: argparse.Namespace, folder: Path) -> Path:
    """The first ``--examples`` ANERcorp sentences as a CoNLL file both systems read."""
    from itertools import islice

    from arabic_ie.data.formats import read_corpus, write_corpus

    source = bc.shared_data_dir(args.shared_data) / bc.ANERCORP_TRAIN
    path = folder / "train.conll"
    write_corpus(islice(read_corpus(source, "conll"), args.examples), path)
    return path


def main(args: argparse.Namespace) -> int:
    if args.child:
        child(args)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-train-") as tmp:
        data = write_training_file(args, Path(tmp))
        runs: list[dict[str, Any]] = []
        for rep in range(args.repeats):
            for system in ((OURS, HF) if rep % 2 == 0 else (HF, OURS)):
                command = [sys.executable, __file__, "--child", system, "--data", str(data),
                           "--steps", str(args.steps), "--batch-size", str(args.batch_size),
                           "--max-length", str(args.max_length), "--layers", str(args.layers),
                           "--vocab", str(args.vocab)]
                done = subprocess.run(command, capture_output=True, text=True)
                if done.returncode:
                    sys.exit(f"{system} failed:\n{done.stderr[-3000:]}")
                runs.append(bc.child_json(done.stdout))
                print(f"rep {rep + 1} {system:<10} {runs[-1]['examples_per_s']:.2f} examples/s", file=sys.stderr)
    rows = []
    for system in (OURS, HF):
        mine = [r for r in runs if r["system"] == system]
        rows.append({"system": system, "examples_per_s": bc.median(r["examples_per_s"] for r in mine),
                     "seconds_per_step": bc.median(r["seconds_per_step"] for r in mine),
                     "peak_rss_mb": bc.median(r["peak_rss_mb"] for r in mine),
                     "wall_seconds": bc.median(r["wall_seconds"] for r in mine)})
    rows[0]["ratio_vs_hf"] = rows[0]["examples_per_s"] / rows[1]["examples_per_s"]
    rows[1]["ratio_vs_hf"] = 1.0
    result = {"settings": {k: v for k, v in vars(args).items() if k not in ("child", "data")},
              "machine": bc.machine_info(), "results": rows, "runs": runs}
    print(bc.format_rows(rows, ["system", "examples_per_s", "ratio_vs_hf", "seconds_per_step", "peak_rss_mb",
                                "wall_seconds"]))
    print(f"load average {result['machine']['load_average_1m']:.2f} on {result['machine']['cpus']} CPUs")
    print(f"wrote {bc.write_json(args.output, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
