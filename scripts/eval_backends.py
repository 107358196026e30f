#!/usr/bin/env python
"""Scores of one trained model on the same data through every inference path: torch fp32, torch
int8 (dynamic quantisation), ONNX Runtime fp32 and int8 (``--backend onnx``), side by side, with
the change against torch fp32 (the int8 target: within 0.5 F1 points), the share of spans each
path agrees on with torch fp32, and the seconds each took.

    python scripts/eval_backends.py --model outputs/demo/model --data data/sample/dev.jsonl data/sample/test.jsonl
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

PATHS = {"torch fp32": ("torch", "none"), "torch int8": ("torch", "int8"),
         "onnx fp32": ("onnx", "none"), "onnx int8": ("onnx", "int8")}
LAYERS = ("entity_f1", "trigger_f1", "argument_f1")


def span_agreement(reference: list, other: list) -> dict[str, float]:
    """Span-level F1 of ``other``'s spans against ``reference``'s, per layer (1.0: the same tags)."""
    def spans(record) -> dict[str, set]:
        return {"entities": {(s.start, s.end, s.label) for s in record.entities},
                "triggers": {(e.trigger.start, e.trigger.end, e.type) for e in record.events or []},
                "arguments": {(e.trigger.start, e.type, a.start, a.end, a.label)
                              for e in record.events or [] for a in e.arguments}}
    out = {}
    for layer in ("entities", "triggers", "arguments"):
        pairs = [(spans(a)[layer], spans(b)[layer]) for a, b in zip(reference, other)]
        both, total = sum(len(x & y) for x, y in pairs), sum(len(x) + len(y) for x, y in pairs)
        out[layer] = 1.0 if total == 0 else 2 * both / total
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="outputs/demo/model")
    parser.add_argument("--data", nargs="+", default=["data/sample/dev.jsonl", "data/sample/test.jsonl"])
    parser.add_argument("--output", default="outputs/eval_backends.json")
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    reference: dict[str, list] = {}
    for name, (backend, quantize) in PATHS.items():
        tagger = JointTagger.from_pretrained(args.model, device="cpu", backend=backend, quantize=quantize)
        for path in args.data:
            gold = list(read_corpus(path))
            started = time.perf_counter()
            predictions = tagger.predict(gold, split_sentences=False, tag_all_languages=True)
            seconds = time.perf_counter() - started
            reference.setdefault(path, predictions)  # torch fp32 runs first
            agreement = {f"agree_{k}": v for k, v in span_agreement(reference[path], predictions).items()}
            results.setdefault(path, {})[name] = {**summarize_metric(score(gold, predictions)),
                                                  "seconds": round(seconds, 3), **agreement}
    for path, rows in results.items():
        print(f"\n{path}\n{'':12}{'entity F1':>11}{'trigger F1':>12}{'argument F1':>13}   change vs torch fp32"
              f"   spans agreeing with torch fp32 (entities/triggers/arguments)   seconds")
        reference_row = rows["torch fp32"]
        for name, r in rows.items():
            change = " ".join(f"{100 * (r[k] - reference_row[k]):+.1f}" for k in LAYERS)
            agree = " / ".join(f"{100 * r['agree_' + k]:.1f}" for k in ("entities", "triggers", "arguments"))
            print(f"{name:12}" + "".join(f"{100 * r[k]:>{w}.1f}" for k, w in zip(LAYERS, (11, 12, 13)))
                  + f"   {change:>20}   {agree:>24}   {r['seconds']:.1f}")
    os.makedirs(os.path.dirname(args.output) or ".", exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as out:
        json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
