"""The review-loop commands of ``arabic-ie``: ``render`` (an HTML view), ``labelstudio-config``
(the labeling config for Label Studio) and ``select`` (uncertainty sampling for annotation).
Argument parsing only; the work is in :mod:`arabic_ie.data.render_page`,
:mod:`arabic_ie.data.labelstudio` and :mod:`arabic_ie.select`."""
from __future__ import annotations

import argparse
import sys
from typing import Sequence


def _read(path: str, format: str | None) -> list:
    from arabic_ie.data.formats import read_corpus

    return list(read_corpus(path, format))


def _align(pred: Sequence, gold: Sequence) -> list:
    """Gold in the order of the predictions, matched by record id."""
    by_id = {g.id: g for g in gold}
    if len(by_id) != len(gold) or len(gold) != len(pred) or any(p.id not in by_id for p in pred):
        raise ValueError("the predictions and --gold do not hold the same record ids")
    return [by_id[p.id] for p in pred]


def cmd_render(args: argparse.Namespace) -> int:
    """``render``: an HTML page of records (read, or tagged with ``--model``), compared with ``--gold`` if given."""
    from arabic_ie.data.formats import detect_format
    from arabic_ie.data.render_page import write_render

    gold = _read(args.gold, args.gold_format) if args.gold else None
    if args.model:
        from arabic_ie.model.tagger import JointTagger

        tagger = JointTagger.from_pretrained(args.model, device=args.device)
        if args.input:
            texts, split = _read(args.input, args.format), (args.format or detect_format(args.input)) == "text"
        elif gold is not None:
            texts, split = gold, False  # tag the gold texts as they are, to compare record by record
        else:
            raise ValueError("give an input file to tag, or --gold to tag and compare")
        pred = tagger.predict(texts, batch_size=args.batch_size, split_sentences=split)
    elif args.input:
        pred = _read(args.input, args.format)
    elif gold is not None:
        pred, gold = gold, None  # gold alone: show it
    else:
        raise ValueError("give records to show (INPUT), --gold, or --model with text to tag")
    page = write_render(pred, args.output, _align(pred, gold) if gold is not None else None,
                        title=args.title or f"arabic-ie: {args.input or args.gold}")
    print(f"wrote {page} ({len(pred)} records)", file=sys.stderr)
    return 0


def cmd_labelstudio_config(args: argparse.Namespace) -> int:
    """``labelstudio-config``: write the labeling config for the model's, the data's or the guidelines' labels."""
    from arabic_ie.data.fileio import atomic_open
    from arabic_ie.data.labelstudio import labeling_config
    from arabic_ie.data.schema import LabelSchema
    from arabic_ie.data.validate import GUIDELINES_SCHEMA

    if args.model:
        from arabic_ie.model.configuration import ArabicIEConfig

        schema = ArabicIEConfig.from_pretrained(args.model).label_schema
    elif args.data:
        schema = LabelSchema.from_records(r for path in args.data for r in _read(path, None))
    else:
        schema = GUIDELINES_SCHEMA
    with atomic_open(args.output) as out:
        out.write(labeling_config(schema))
    return 0


def cmd_select(args: argparse.Namespace) -> int:
    """``select``: the least certain pool sentences as Label Studio tasks with the model's predictions."""
    from arabic_ie.data.labelstudio import record_to_task, write_tasks
    from arabic_ie.select import SelectConfig, pool_sentences, select_uncertain
    from arabic_ie.model.tagger import JointTagger

    config = SelectConfig(k=args.k, strategy=args.strategy, max_similarity=args.max_similarity,
                          batch_size=args.batch_size)
    sentences = pool_sentences(_read(args.pool, args.pool_format))
    tagger = JointTagger.from_pretrained(args.model, device=args.device)
    chosen = select_uncertain(tagger, sentences, config)
    predicted = tagger.predict([c.record for c in chosen], batch_size=args.batch_size, split_sentences=False)
    tasks = [record_to_task(p, "predictions", model_version=args.model,
                            extra_data={"uncertainty": round(c.uncertainty, 6), "rank": c.rank,
                                        "strategy": config.strategy})
             for c, p in zip(chosen, predicted)]
    write_tasks(tasks, args.output)
    print(f"rank  {config.strategy:<8}  sentence", file=sys.stderr)  # why each pick was chosen: its score
    for c in chosen:
        print(f"{c.rank:>4}  {c.uncertainty:<8.4f}  {c.record.id}  {c.record.text[:60]}", file=sys.stderr)
    print(f"selected {len(chosen)} of {len(sentences)} pool sentences by {config.strategy} -> {args.output}",
          file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction, formats: Sequence[str]) -> None:
    """Add render, labelstudio-config and select to the ``arabic-ie`` parser."""
    p = sub.add_parser("render", help="an HTML page (RTL) of records, or of gold against predictions")
    p.add_argument("input", nargs="?", help="records to show (predictions), or text to tag with --model")
    p.add_argument("--gold", help="gold records: shown beside the predictions, misses and false alarms marked")
    p.add_argument("--model", help="tag INPUT (or the --gold texts) with this model first")
    p.add_argument("--output", "-o", required=True, help="the HTML file to write")
    p.add_argument("--format", choices=formats, help="format of INPUT (default: from the file)")
    p.add_argument("--gold-format", choices=formats)
    p.add_argument("--title")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("labelstudio-config", help="the Label Studio labeling config (XML) for a schema")
    p.add_argument("--model", help="the schema of a trained model (folder or hub id)")
    p.add_argument("--data", nargs="+", help="the schema found in corpus files")
    p.add_argument("--output", "-o", default="-", help="the XML file (default: stdout)")
    p.set_defaults(func=cmd_labelstudio_config)

    p = sub.add_parser("select", help="the K pool sentences the model is least sure of, as Label Studio tasks")
    p.add_argument("--model", required=True)
    p.add_argument("--pool", required=True, help="unlabelled documents (text, one a line, or any corpus format)")
    p.add_argument("--pool-format", choices=formats)
    p.add_argument("-k", "--k", type=int, default=50, help="how many sentences (default 50)")
    p.add_argument("--strategy", choices=("entropy", "margin"), default="entropy")
    p.add_argument("--max-similarity", type=float, default=0.7,
                   help="skip a sentence whose words overlap a chosen one this much (Jaccard; default 0.7)")
    p.add_argument("--output", "-o", required=True, help="tasks with pre-annotations (.json) to import")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device")
    p.set_defaults(func=cmd_select)
