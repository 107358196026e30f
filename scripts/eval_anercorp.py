#!/usr/bin/env python
"""Train and evaluate on ANERcorp: the training file minus a dev block carved from its end (the
last ``--dev-fraction`` of sentences, contiguous), entity F1 per type (seqeval, strict IOB2).

Writes ``<work>/train.conll`` and ``<work>/dev.conll`` (default outputs/anercorp, the layout
configs/anercorp-arabertv02.yaml reads), scores the majority and CRF baselines on the same split,
trains the recipe of ``--config`` (default configs/anercorp.yaml, on the shipped pretrained encoder;
configs/anercorp-tiny.yaml with ``--model tiny``, from scratch; configs/anercorp-arabertv02.yaml
when ``--model`` names another encoder) with any
``key=value`` overrides, leaves the best model in ``RUN_DIR/model`` and writes JSON.

A small model's dev F1 moves by a point or more from one seed to the next, so one run
cannot tell a point's difference from the CRF. ``--seeds 42 1 2`` trains the recipe once per
seed (each run in ``RUN_DIR/seed-N``) and prints every seed's F1 with their mean beside the
yardsticks, which take no seed and are scored once.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import bench_common as bc  # sets the offline environment before transformers is imported


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared-data", help="folder holding ANERcorp/")
    parser.add_argument("--config", help="training recipe (default: configs/anercorp.yaml for the shipped encoder, "
                        "configs/anercorp-tiny.yaml for tiny, configs/anercorp-arabertv02.yaml otherwise)")
    parser.add_argument("overrides", nargs="*", help="key=value settings that override the recipe")
    parser.add_argument("--model", help="arwiki-small (the shipped encoder, default), tiny (from scratch), a hub id "
                        "or a local encoder folder")
    parser.add_argument("--work", default="outputs/anercorp", help="where train.conll and dev.conll go")
    parser.add_argument("--run-dir", default="outputs/anercorp-run", help="the training run's output folder")
    parser.add_argument("--dev-fraction", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, help="default: the recipe's")
    seeds = parser.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=int, help="default: the recipe's")
    seeds.add_argument("--seeds", type=int, nargs="+", metavar="SEED",
                       help="train once per seed (RUN_DIR/seed-N) and report each seed's F1 and their mean "
                       "(after any key=value settings)")
    parser.add_argument("--output", default="outputs/eval_anercorp.json")
    parser.add_argument("--no-crf", action="store_true", help="skip the CRF baseline (about 2 minutes)")
    parser.add_argument("--baselines-only", action="store_true", help="score the baselines, train nothing")
    return parser.parse_args(argv)


def split_train_dev(source: Path, work: Path, dev_fraction: float) -> dict[str, Any]:
    """Write the first (1 - fraction) sentences to train.conll and the rest to dev.conll."""
    from arabic_ie.data.formats import read_corpus, write_corpus

    records = list(read_corpus(source, "conll"))
    cut = len(records) - max(1, round(len(records) * dev_fraction))
    work.mkdir(parents=True, exist_ok=True)
    write_corpus(records[:cut], work / "train.conll")
    write_corpus(records[cut:], work / "dev.conll")
    return {"source": str(source), "sentences": len(records), "train_sentences": cut,
            "dev_sentences": len(records) - cut, "dev_first_id": records[cut].id}


def entity_table(scores: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of P/R/F1/support: per type, then overall (micro)."""
    entities = scores["entities"]
    rows = [{"type": name} | row for name, row in sorted(entities["per_type"].items())]
    return rows + [{"type": "overall (micro)"} | entities["overall"]]


def f1_columns(systems: dict[str, dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per entity type (then overall), one F1 column per system: the model beside its
    yardsticks."""
    types = sorted({t for s in systems.values() for t in s["entities"]["per_type"]})
    rows = []
    for name in types + ["overall (micro)"]:
        row: dict[str, Any] = {"type": name}
        for system, scores in systems.items():
            ents = scores["entities"]
            row[system] = (ents["overall"] if name == "overall (micro)" else ents["per_type"].get(name, {})).get("f1", 0.0)
        rows.append(row)
    return rows, ["type", *systems]


def train_recipe(args: argparse.Namespace, recipe: Path, work: Path, seed: int | None, run_dir: Path) -> dict[str, Any]:
    """Train the recipe once (``seed`` None: the recipe's) and return its dev scores and cost."""
    from arabic_ie.settings import read_config
    from arabic_ie.training.trainer import Trainer

    config = read_config(recipe, args.overrides, model=args.model, train_files=[str(work / "train.conll")],
                         dev_files=[str(work / "dev.conll")], test_files=[], output_dir=str(run_dir),
                         epochs=args.epochs, seed=seed)
    start = time.perf_counter()
    result = Trainer(config).train()
    seconds = time.perf_counter() - start
    dev = result["metrics"]["dev"]
    size = sum(f.stat().st_size for f in (run_dir / "model").iterdir() if f.is_file())
    return {"config": config.flat(), "seed": config.training.seed, "seconds": round(seconds, 1),
            "best_epoch": result.get("best_epoch"), "steps": result.get("steps"),
            "entity_f1": dev["entities"]["overall"]["f1"], "per_type": entity_table(dev), "dev_scores": dev,
            "model_mb": round(size / 2**20, 1)}


def f1_by_type(table: list[dict[str, Any]]) -> dict[str, float]:
    """Entity F1 by type (overall included) from :func:`entity_table` rows."""
    return {row["type"]: row["f1"] for row in table}


def mean_f1_by_type(runs: list[dict[str, Any]]) -> dict[str, float]:
    """The seeds' mean entity F1 per type (overall included)."""
    tables = [f1_by_type(run["per_type"]) for run in runs]
    return {t: sum(table[t] for table in tables) / len(tables) for t in tables[0]}


def format_seeds(runs: list[dict[str, Any]], mean: dict[str, float], baselines: dict[str, dict[str, Any]],
                 split: dict[str, Any]) -> str:
    """Each seed's entity F1 per type, their mean, then the yardsticks' (one row each)."""
    rows = [{"system": f"seed {run['seed']}", **f1_by_type(run["per_type"]),
             "best epoch": run["best_epoch"], "seconds": run["seconds"]} for run in runs]
    rows.append({"system": f"mean of {len(runs)}", **mean})
    rows += [{"system": name, **f1_by_type(entity_table(scores))} for name, scores in baselines.items()]
    types = list(mean)
    return (f"Entity F1 per seed beside the yardsticks (dev = last {split['dev_sentences']} of "
            f"{split['sentences']} sentences):\n" + bc.format_rows(rows, ["system", *types, "best epoch", "seconds"]))


def main(args: argparse.Namespace) -> int:
    from arabic_ie.data.formats import read_corpus
    from arabic_ie.training.baseline import baseline_scores

    work = Path(args.work)
    split = split_train_dev(bc.shared_data_dir(args.shared_data) / bc.ANERCORP_TRAIN, work, args.dev_fraction)
    start = time.perf_counter()
    train_records, dev_records = list(read_corpus(work / "train.conll")), list(read_corpus(work / "dev.conll"))
    baselines = baseline_scores(train_records, dev_records, crf=not args.no_crf)
    baseline_seconds = time.perf_counter() - start
    if args.baselines_only:
        rows, columns = f1_columns(baselines)
        print(bc.format_rows(rows, columns))
        print(f"baselines in {baseline_seconds:.0f} s; dev = last {split['dev_sentences']} of {split['sentences']} sentences")
        output = {"split": split, "machine": bc.machine_info(), "baselines": baselines}
        print(f"wrote {bc.write_json(args.output, output)}")
        return 0
    recipe = args.config or bc.REPO / "configs" / {None: "anercorp.yaml", "arwiki-small": "anercorp.yaml",
                                                   "tiny": "anercorp-tiny.yaml"}.get(args.model, "anercorp-arabertv02.yaml")
    if args.seeds:
        runs = [train_recipe(args, recipe, work, seed, Path(args.run_dir) / f"seed-{seed}") for seed in args.seeds]
        mean = mean_f1_by_type(runs)
        output = {"split": split, "machine": bc.machine_info(), "baselines": baselines,
                  "seeds": runs, "mean_entity_f1": mean["overall (micro)"]}
        print(format_seeds(runs, mean, baselines, split))
    else:
        run = train_recipe(args, recipe, work, args.seed, Path(args.run_dir))
        output = {"split": split, "machine": bc.machine_info(), **run, "baselines": baselines}
        print(bc.format_rows(run["per_type"], ["type", "precision", "recall", "f1", "support"]))
        print("\nEntity F1 beside the yardsticks (same training sentences, same dev block):")
        f1_rows, columns = f1_columns({**baselines, f"arabic-ie {run['config']['encoder']}": run["dev_scores"]})
        print(bc.format_rows(f1_rows, columns))
        print(f"{run['config']['encoder']} ({recipe}), best epoch {run['best_epoch']} of {run['config']['epochs']}, "
              f"{run['seconds']:.0f} s training, model {run['model_mb']} MB; dev = last {split['dev_sentences']} of "
              f"{split['sentences']} sentences")
    print(f"wrote {bc.write_json(args.output, output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
