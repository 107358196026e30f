"""``arabic-ie predict`` (and ``scripts/batch_predict.py``): its options, messages and exit
codes. The loop is :mod:`arabic_ie.batch`, imported only when a run starts, so parsing
the command line imports no torch."""
from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING

from arabic_ie.data.batch_items import INPUT_FORMATS, OUTPUT_FORMATS

if TYPE_CHECKING:
    from arabic_ie.batch import PredictOptions

PROG = "arabic-ie predict"

def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The predict options, shared by ``arabic-ie predict`` and ``scripts/batch_predict.py``."""
    parser.add_argument("--model", required=True, help="model folder or hub repo id (ORG/NAME)")
    parser.add_argument("--revision", help="hub revision (branch, tag or commit)")
    parser.add_argument("--input", required=True, help="input file, or - for stdin")
    parser.add_argument("--output", required=True, help="output file, or - for stdout")
    parser.add_argument("--input-format", choices=INPUT_FORMATS,
                        help="text (one document per line), jsonl (native), conll, ...; default: "
                             "from the file (text for stdin)")
    parser.add_argument("--output-format", choices=OUTPUT_FORMATS,
                        help="jsonl (native, default), conll (default for .conll/.bio/.iob/.tsv), doccano, or labelstudio "
                             "(tasks with pre-annotations to import)")
    parser.add_argument("--batch-size", type=_positive_int, default=32, help="documents read, tagged and written per chunk; also the most windows (sentences, or "
                             "parts of long ones) per model call")
    parser.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: cuda when available)")
    parser.add_argument("--resume", action="store_true",
                        help="continue a killed run: keep the complete records already in --output")
    parser.add_argument("--no-sentence-split", dest="sentence_split", action="store_false",
                        help="tag each input record as one unit (it is already a sentence)")
    parser.add_argument("--tag-all-languages", action="store_true",
                        help="tag sentences that are not Arabic too (Persian, Urdu, Latin script...); by "
                             "default they are left untagged and listed in the record's metadata.not_tagged")
    parser.add_argument("--quantize", choices=("none", "int8"), default="none",
                        help="int8: dynamic int8 quantisation of the Linear layers, run on the CPU (about twice as fast there)")
    parser.add_argument("--backend", choices=("torch", "onnx"), default="torch",
                        help="onnx: ONNX Runtime for the encoder (MODEL/onnx from `arabic-ie export`, "
                             "else exported on the fly; needs arabic-ie[onnx]); --quantize int8 picks its int8 graph")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                        help="progress bar on stderr (default: when stderr is a terminal)")
    return parser


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def resume_command(argv: list[str] | None = None) -> str:
    """This run's command line with ``--resume`` (added when missing), ready to paste."""
    import shlex

    argv = list(sys.argv if argv is None else argv)
    program = "arabic-ie" if argv and argv[0].endswith(("arabic-ie", "cli.py")) else "python " + shlex.quote(argv[0])
    rest = argv[1:] + ([] if "--resume" in argv else ["--resume"])
    return f"{program} {shlex.join(rest)}"


def options_from(args: argparse.Namespace) -> "PredictOptions":
    """The loop's options from parsed arguments (the names are the same)."""
    from arabic_ie.batch import PredictOptions

    names = {f.name for f in dataclasses.fields(PredictOptions)}
    return PredictOptions(**{k: v for k, v in vars(args).items() if k in names})


def main(args: argparse.Namespace) -> int:
    """Run and report; exit code 0 (error records included), 2 when the run cannot go on."""
    from arabic_ie.data.errors import BatchError, CorpusError, OutputWriteError
    from arabic_ie.data.locks import LockedError
    from arabic_ie.batch import limit_allocator_caching, run
    from arabic_ie.model.hub import ModelLoadError

    limit_allocator_caching()
    try:
        summary = run(options_from(args))
    except OutputWriteError as err:
        print(f"{PROG}: error: {err}; make room and continue with:\n  {resume_command()}", file=sys.stderr)
        return 2
    except (BatchError, CorpusError, ModelLoadError, LockedError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        where = f" ({err.filename})" if getattr(err, "filename", None) else ""
        print(f"{PROG}: error: {err.strerror or err}{where}", file=sys.stderr)
        return 2
    resumed = f", {summary.resumed} of them from before (--resume)" if summary.resumed else ""
    errors = f", {summary.errors} error record(s) in this run" if summary.errors else ""
    print(f"{PROG}: {summary.records} records{resumed}{errors} -> {args.output}", file=sys.stderr)
    return 0
