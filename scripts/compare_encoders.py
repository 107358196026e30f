"""Trained models beside the yardsticks, per layer, in domain and out of domain.

In domain: ANERcorp-EE dev (real news, entities, triggers, arguments) and the sample's test split.
Out of domain: the Wojood sample (``ARABIC_IE_SHARED_DATA``/Wojood-sample, train and val: 1,272
sentences of other sources), entities only, its types mapped onto ours (PERS -> PER, DATE and
TIME -> TIME, ORG, GPE, LOC, FAC as they are; the other 15 types are left out, and of nested
spans of the kept types the outermost is scored). The majority and CRF baselines are trained on
the training files of the demo, like the models compared.

    python scripts/compare_encoders.py --model "from scratch=outputs/demo-tiny/model" \\
        --model "pretrained=outputs/demo/model" [--output results.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_common as bc  # noqa: E402

from arabic_ie import JointTagger, Record  # noqa: E402
from arabic_ie.data.conll import read_conll  # noqa: E402
from arabic_ie.data.jsonl import read_jsonl  # noqa: E402
from arabic_ie.data.records import Span  # noqa: E402

#: Wojood's types that have a counterpart in the guidelines, and that counterpart
WOJOOD_TYPES = {"PERS": "PER", "ORG": "ORG", "GPE": "GPE", "LOC": "LOC", "FAC": "FAC", "DATE": "TIME", "TIME": "TIME"}


def wojood_mapped(shared: Path) -> list[Record]:
    """The Wojood sample with our types: mapped spans only, outermost where they nest."""
    records = []
    for path in bc.WOJOOD_FILES:
        for record in read_conll(shared / path, nested="all", repair=True):  # a few I- tags start a span
            spans = [Span(e.start, e.end, WOJOOD_TYPES[e.label]) for e in record.entities if e.label in WOJOOD_TYPES]
            kept: list[Span] = []
            for span in sorted(spans, key=lambda s: (s.start - s.end, s.start)):  # longest first
                if all(span.end <= k.start or k.end <= span.start for k in kept):
                    kept.append(span)
            records.append(Record(record.id, record.text, sorted(kept, key=lambda s: s.start), None))
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", default=[], metavar="NAME=DIR", help="a trained model folder")
    parser.add_argument("--shared-data", help="folder with Wojood-sample/ (default: ARABIC_IE_SHARED_DATA)")
    parser.add_argument("--no-crf", action="store_true")
    parser.add_argument("--output", help="write every score as JSON")
    args = parser.parse_args(argv)
    from arabic_ie.demo import ANERCORP, SAMPLE, baselines
    from arabic_ie.training.baseline import format_comparison
    from arabic_ie.training.metrics import score

    shared = bc.shared_data_dir(args.shared_data)
    train = [r for f in (ANERCORP / "train.jsonl", SAMPLE / "train.jsonl") for r in read_jsonl(f)]
    sets = {"ANERcorp-EE dev": list(read_jsonl(ANERCORP / "dev.jsonl")),
            "sample test": list(read_jsonl(SAMPLE / "test.jsonl")),
            "Wojood sample (out of domain, entities)": wojood_mapped(shared)}
    if args.no_crf:
        from arabic_ie.training.baseline import MajorityBaseline

        systems: dict[str, Any] = {"majority label per word": MajorityBaseline(train)}
    else:
        systems = baselines(train)
    folders = {name: Path(folder) for name, _, folder in (item.partition("=") for item in args.model)}
    taggers = {name: JointTagger.from_pretrained(folder) for name, folder in folders.items()}
    results: dict[str, dict[str, Any]] = {}
    for set_name, gold in sets.items():
        rows = {name: score(gold, [system.predict(r) for r in gold]) for name, system in systems.items()}
        for name, tagger in taggers.items():
            # the language filter is off: every gold sentence is scored (Wojood quotes other scripts)
            rows[name] = score(gold, tagger.predict(gold, split_sentences=False, tag_all_languages=True))
        results[set_name] = rows
        print(f"\n{set_name}, {len(gold)} sentences (F1, %):\n{format_comparison(rows)}")
    for name, folder in folders.items():
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        metrics = folder.parent / "metrics.json"
        seconds = json.loads(metrics.read_text())["train_seconds"] if metrics.exists() else None
        print(f"{name}: {size / 2 ** 20:.1f} MB on disk, trained in {seconds} s")
        results.setdefault("models", {})[name] = {"folder": str(folder), "mb": round(size / 2 ** 20, 1), "train_seconds": seconds}
    if args.output:
        bc.write_json(args.output, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
