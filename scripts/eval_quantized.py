#!/usr/bin/env python
"""Scores of a trained model in fp32 and with ``--quantize int8`` on the same data, side by side
(the int8 target: entity F1 within 1 point of fp32).

    python scripts/eval_quantized.py --model outputs/demo/model --data data/sample/test.jsonl
"""
from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from arabic_ie.data.formats import read_corpus  # noqa: E402
from arabic_ie.model.tagger import JointTagger  # noqa: E402
from arabic_ie.training.metrics import score  # noqa: E402
from arabic_ie.training.trainer import summarize_metric  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="outputs/demo/model")
    parser.add_argument("--data", default="data/sample/test.jsonl")
    parser.add_argument("--output", default="outputs/eval_quantized.json")
    args = parser.parse_args()
    gold = list(read_corpus(args.data))
    results = {}
    for quantize in ("none", "int8"):
        tagger = JointTagger.from_pretrained(args.model, device="cpu", quantize=quantize)
        started = time.perf_counter()
        predictions = tagger.predict(gold, split_sentences=False, tag_all_languages=True)
        seconds = time.perf_counter() - started
        results[quantize] = {**summarize_metric(score(gold, predictions)), "seconds": round(seconds, 3)}
    print(f"{'':8}{'entity F1':>11}{'trigger F1':>12}{'argument F1':>13}{'seconds':>9}")
    for name, r in results.items():
        print(f"{name:8}{100 * r['entity_f1']:>11.1f}{100 * r['trigger_f1']:>12.1f}{100 * r['argument_f1']:>13.1f}{r['seconds']:>9.2f}")
    drop = 100 * (results["none"]["entity_f1"] - results["int8"]["entity_f1"])
    print(f"entity F1 change with int8: {-drop:+.1f} points")
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
