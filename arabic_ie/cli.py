"""The ``arabic-ie`` command: validate, stats, convert, pretrain, train, eval, predict, export, push, demo,
and the review loop (render, labelstudio-config, select: :mod:`arabic_ie.cli_review`)."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence


def _schema(value: str):
    from arabic_ie.data.validate import GUIDELINES_SCHEMA

    if value == "guidelines":
        return GUIDELINES_SCHEMA
    if value == "none":
        return None
    from arabic_ie.model.configuration import ArabicIEConfig

    return ArabicIEConfig.from_pretrained(value).label_schema


def cmd_validate(args: argparse.Namespace) -> int:
    """Print every problem of each file; exit 1 when any file has one."""
    from arabic_ie.data.validate import validate_file

    status = 0
    for path in args.files:
        problems = validate_file(path, args.format, _schema(args.schema))
        for problem in problems:
            print(problem)
        print(f"{path}: {len(problems)} problem(s)", file=sys.stderr)
        status = status or (1 if problems else 0)
    return status


def cmd_stats(args: argparse.Namespace) -> int:
    """Print the counts of each file as Markdown tables, a column per file."""
    from arabic_ie.data.formats import read_corpus
    from arabic_ie.data.stats import corpus_stats, stats_markdown

    named = {Path(p).stem: corpus_stats(read_corpus(p, args.format)) for p in args.files}
    print(stats_markdown(named))
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    """Read a corpus in one format and write it in another, atomically."""
    from arabic_ie.data.formats import read_corpus, write_corpus

    count = write_corpus(read_corpus(args.input, args.input_format), args.output, args.output_format)
    print(f"wrote {count} records to {args.output}", file=sys.stderr)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Train from the YAML config, the key=value settings and the options (in that order of
    precedence, options last), all typed by one parser."""
    from arabic_ie.settings import given_options, read_config
    from arabic_ie.training.trainer import Trainer

    config = read_config(args.config, args.overrides, **given_options(args))
    from arabic_ie.training.trainer import TrainingWriteError

    try:
        result = Trainer(config).train(resume=args.resume)
    except TrainingWriteError as err:
        from arabic_ie.predict import resume_command

        print(f"\narabic-ie train: error: {err}:\n  {resume_command()}", file=sys.stderr)  # after any bar
        return 2
    output = Path(config.output.output_dir)
    print(f"model saved to {output / 'model'}; report in {output / 'report.md'}")
    return 0 if result else 1


def cmd_eval(args: argparse.Namespace) -> int:
    """Score a model on a gold file, or a prediction file against a gold file."""
    from arabic_ie.data.formats import read_corpus
    from arabic_ie.data.fileio import atomic_open
    from arabic_ie.training.metrics import format_table, score, to_markdown

    if args.gold and args.pred:
        gold, pred = list(read_corpus(args.gold, args.format)), list(read_corpus(args.pred, args.format))
    elif args.model and args.data:
        from arabic_ie.model.tagger import JointTagger

        gold = list(read_corpus(args.data, args.format))
        tagger = JointTagger.from_pretrained(args.model, device=args.device, backend=args.backend,
                                             quantize=args.quantize)
        pred = tagger.predict(gold, batch_size=args.batch_size, split_sentences=False, tag_all_languages=True)
    else:
        raise SystemExit("arabic-ie eval: give --model and --data, or --gold and --pred")
    scores = score(gold, pred)
    print(format_table(scores))
    if args.baseline_train:
        from arabic_ie.training.baseline import baseline_scores, format_comparison

        systems = baseline_scores(list(read_corpus(args.baseline_train, args.format)), gold, crf=not args.no_crf)
        print(f"\nF1 (%) beside baselines trained on {args.baseline_train}:")
        print(format_comparison({**systems, "evaluated": scores}))
    if args.output_json:
        with atomic_open(args.output_json) as out:
            json.dump(scores, out, indent=2)
    if args.output_md:
        with atomic_open(args.output_md) as out:
            out.write(to_markdown(scores))
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    """Tag a file (see :mod:`arabic_ie.predict`), or shards on Ray (``--engine ray``)."""
    if args.engine == "ray":
        from arabic_ie.ray_predict import main as ray_main

        return ray_main(args)
    from arabic_ie.predict import main as batch_main

    return batch_main(args)


def add_ray_arguments(parser: argparse.ArgumentParser) -> None:
    """``predict --engine ray``: shards in, a folder out, tagged by an actor pool on Ray Data."""
    group = parser.add_argument_group("distributed tagging (--engine ray, needs arabic-ie[ray])")
    group.add_argument("--engine", choices=("local", "ray"), default="local",
                       help="local: this process (default); ray: --input is a folder, glob or URI of "
                            "shards, --output a folder (or URI) of output shards")
    group.add_argument("--ray-address", help="Ray cluster to join (default: RAY_ADDRESS, else a local instance)")
    group.add_argument("--workers", type=int, default=1, help="tagger actors (one model each)")
    group.add_argument("--cpus-per-worker", type=float, default=1.0)
    group.add_argument("--gpus-per-worker", type=float, default=0.0, help="1 on a GPU cluster")


def cmd_export(args: argparse.Namespace) -> int:
    """Write the ONNX files next to the model (or --output) so a hub repo can carry them."""
    from arabic_ie.model.onnx_backend import EXPORT_INFO
    from arabic_ie.model.onnx_export import export_model

    folder = export_model(args.model, args.output, revision=args.revision, int8=args.int8)
    info = json.loads((folder / EXPORT_INFO).read_text(encoding="utf-8"))
    print(f"wrote {', '.join(info['files'].values())} to {folder} (fused: "
          f"{', '.join(f'{op} x{n}' for op, n in info['fused_operators'].items()) or 'none'})")
    return 0


def cmd_push(args: argparse.Namespace) -> int:
    """Upload a saved model folder with its card."""
    from arabic_ie.model.hub import push_files, push_model

    if args.dry_run:
        files = push_files(args.model)
        print("\n".join(files))
        print(f"would push {len(files)} files of {args.model} to {args.repo_id} (dry run: nothing sent)", file=sys.stderr)
        return 0
    url = push_model(args.model, args.repo_id, private=args.private, revision=args.revision,
                     commit_message=args.message, token=args.token)
    print(f"pushed {args.model} to {url}")
    return 0


def cmd_pretrain(args: argparse.Namespace) -> int:
    """Train a WordPiece tokenizer and a small BERT masked-LM on plain text (see
    :mod:`arabic_ie.training.pretrain`); the encoder lands in ``OUTPUT/encoder``."""
    import dataclasses

    from arabic_ie.training.pretrain_config import PretrainConfig

    settings = {f.name: getattr(args, f.name) for f in dataclasses.fields(PretrainConfig)
                if getattr(args, f.name, None) is not None}
    config = PretrainConfig(**settings)
    from arabic_ie.training.pretrain import Pretrainer

    result = Pretrainer(config).run(resume=args.resume)
    print(json.dumps({k: v for k, v in result.items() if k != "config"}, indent=2))
    return 0


def add_pretrain_arguments(parser: argparse.ArgumentParser) -> None:
    """One option per :class:`PretrainConfig` field (``--max-steps``, ``--hidden-size``, ...), with
    the field's type and default, so the dataclass is the one list of settings."""
    import dataclasses
    import typing

    from arabic_ie.training import pretrain_config

    hints = typing.get_type_hints(pretrain_config.PretrainConfig)
    for f in dataclasses.fields(pretrain_config.PretrainConfig):
        option = "--" + f.name.replace("_", "-")
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        if hints[f.name] == list[str]:
            parser.add_argument(option, dest=f.name, nargs="+", help=f"default: {default or 'none'}")
        elif hints[f.name] == list[int]:  # no value: an empty list (none)
            parser.add_argument(option, dest=f.name, nargs="*", type=int, help=f"default: {' '.join(map(str, default))}")
        else:  # ``str | None`` takes a str
            kind = next(t for t in typing.get_args(hints[f.name]) or [hints[f.name]] if t is not type(None))
            parser.add_argument(option, dest=f.name, type=kind, help=f"default: {default}")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --output-dir")


def cmd_demo(args: argparse.Namespace) -> int:
    """The main job: fine-tune the shipped encoder on ANERcorp-EE and the sample, evaluate, tag an article."""
    from arabic_ie.demo import run_demo

    return run_demo(args.output, epochs=args.epochs, model=args.model, card=args.card, max_steps=args.max_steps,
                    crf=args.crf)


def build_parser(train_settings: bool = False) -> argparse.ArgumentParser:
    """The parser of every subcommand; builds without importing torch, so ``--help`` is quick.
    ``train_settings``: give ``train`` an option per training setting (transformers' argument
    parser, 0.7 s to import: only when the command is ``train``)."""
    parser = argparse.ArgumentParser(prog="arabic-ie", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    formats = ("jsonl", "conll", "doccano", "oneie", "text", "labelstudio")

    p = sub.add_parser("validate", help="report every problem in corpus files")
    p.add_argument("files", nargs="+")
    p.add_argument("--format", choices=formats)
    p.add_argument("--schema", default="guidelines",
                   help="'guidelines' (the shipped schema, default), 'none', or a model folder")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("stats", help="counts per entity type, event type and role")
    p.add_argument("files", nargs="+")
    p.add_argument("--format", choices=formats)
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("convert", help="convert a corpus between formats")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--input-format", choices=formats)
    p.add_argument("--output-format", choices=formats)
    p.set_defaults(func=cmd_convert)

    if train_settings:
        from arabic_ie.settings import train_options_parser
    p = sub.add_parser("train", parents=[train_options_parser()] if train_settings else [], allow_abbrev=False,
                       help="train a joint model (YAML config, then key=value settings, then --options)")
    p.add_argument("--config", help="YAML file (see configs/)")
    p.add_argument("overrides", nargs="*", help="key=value settings that override the config")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --output")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("eval", help="score a model on a file, or a prediction file against gold")
    p.add_argument("--model")
    p.add_argument("--data")
    p.add_argument("--gold")
    p.add_argument("--pred")
    p.add_argument("--format", choices=formats)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device")
    p.add_argument("--backend", choices=("torch", "onnx"), default="torch",
                   help="onnx: ONNX Runtime for the encoder (see `arabic-ie export`; needs arabic-ie[onnx])")
    p.add_argument("--quantize", choices=("none", "int8"), default="none", help="int8: dynamic int8 quantisation")
    p.add_argument("--output-json")
    p.add_argument("--output-md")
    p.add_argument("--baseline-train", metavar="FILE",
                   help="train the majority and CRF baselines on FILE and print their scores beside")
    p.add_argument("--no-crf", action="store_true", help="with --baseline-train: the majority baseline only")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("predict", help="tag a file (streaming, resumable)")
    from arabic_ie.predict import add_arguments

    add_arguments(p)
    add_ray_arguments(p)
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("export", help="write a model's ONNX files (fp32 and int8) for --backend onnx")
    p.add_argument("--model", required=True, help="model folder or hub repo id")
    p.add_argument("--output", help="folder for the ONNX files (default: MODEL/onnx, found by --backend onnx)")
    p.add_argument("--revision")
    p.add_argument("--no-int8", dest="int8", action="store_false", help="fp32 only")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("push", help="upload a trained model folder (with its card) to the hub")
    p.add_argument("--model", required=True)
    p.add_argument("--repo-id", required=True)
    p.add_argument("--private", action="store_true")
    p.add_argument("--revision")
    p.add_argument("--message", default="Upload arabic-ie model")
    p.add_argument("--token", help="a hub token with write access (default: HF_TOKEN, or the one `hf auth login` saved)")
    p.add_argument("--dry-run", action="store_true", help="list the files that would be uploaded; send nothing")
    p.set_defaults(func=cmd_push)

    p = sub.add_parser("pretrain", help="pretrain a tokenizer and a small BERT encoder on plain Arabic text")
    add_pretrain_arguments(p)
    p.set_defaults(func=cmd_pretrain)

    p = sub.add_parser("demo", help="the main job: fine-tune the shipped pretrained encoder on ANERcorp-EE and the "
                                     "sample, evaluate beside baselines, tag an article")
    p.add_argument("--output", default="outputs/demo")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--model", help="the encoder to fine-tune (default: the recipe's, arwiki-small); 'tiny' trains "
                                   "from scratch")
    p.add_argument("--max-steps", type=int, help="stop training after this many steps (a quick check of the job)")
    p.add_argument("--no-crf", dest="crf", action="store_false",
                   help="leave out the CRF baseline (its training takes minutes)")
    p.add_argument("--card", default="model_card.md",
                   help="also write the trained model's card here (default: model_card.md; '' for none)")
    p.set_defaults(func=cmd_demo)

    from arabic_ie.cli_review import add_commands

    add_commands(sub, formats)
    return parser


#: options that name a file a command writes, and options that name files it reads
OUTPUT_OPTIONS = ("output", "output_dir", "output_json", "output_md")
INPUT_OPTIONS = ("input", "gold", "pred", "data", "pool", "files", "train_files", "dev_files", "test_files", "config",
                 "baseline_train")


def refuse_writing_over_an_input(args: argparse.Namespace) -> None:
    """ValueError, before any work, when a command would write over one of its own inputs (the
    same file, through a symlink or a hard link too): ``eval --output-json gold.jsonl --gold
    gold.jsonl`` and ``render t.jsonl -o t.jsonl`` destroyed their input. ``predict`` has its own
    guard (resume keeps its output)."""
    from arabic_ie.data.fileio import same_file

    if args.command == "predict":
        return
    inputs = []
    for name in INPUT_OPTIONS:
        value = getattr(args, name, None)
        inputs += [value] if isinstance(value, str) else list(value or [])
    for name in OUTPUT_OPTIONS:
        output = getattr(args, name, None)
        if not isinstance(output, str) or output == "-":
            continue
        for source in inputs:
            if isinstance(source, str) and source != "-" and same_file(output, source):
                option = "--" + name.replace("_", "-")
                raise ValueError(f"{option} {output} is the input {source} (the same file): writing it would destroy "
                                 "the input; give another output path")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; exit code 0, 1 (validate found problems) or 2 (an error, printed as one
    line)."""
    import logging
    import os

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    argv = list(sys.argv[1:] if argv is None else argv)
    overrides: list[str] = []
    if argv[:1] == ["train"]:
        from arabic_ie.overrides import OverrideError, split_overrides

        try:
            argv, overrides = split_overrides(argv)
        except OverrideError as err:
            print(f"arabic-ie train: error: {err}", file=sys.stderr)
            return 2
    args = build_parser(train_settings=argv[:1] == ["train"]).parse_args(argv)
    if overrides:
        args.overrides = [*overrides, *args.overrides]
    from arabic_ie.data.errors import CorpusError
    from arabic_ie.training.config import ConfigError

    try:
        refuse_writing_over_an_input(args)
        return args.func(args)
    except (CorpusError, ConfigError, OSError, ValueError) as err:
        print(f"arabic-ie {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
