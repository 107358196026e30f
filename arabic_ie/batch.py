"""The batch tagging loop behind ``arabic-ie predict`` and ``scripts/batch_predict.py``: input
items (:mod:`arabic_ie.data.batch_items`) are tagged in chunks of ``batch_size`` documents and
each chunk's output is appended and fsynced by a sink (:mod:`arabic_ie.data.batch_sinks`) before
the next is read, so memory stays flat and a killed run loses at most the chunk in flight.
Every input record gives exactly one output record, in input order; ``resume`` continues a killed
run after checking that the kept output answers this input. The output is locked for the run.
The options and exit codes are the Face's (:mod:`arabic_ie.predict`).
"""
from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass
from typing import Any, Iterator, Sequence

from arabic_ie.data.batch_items import (STDIO, Item, check_not_input, check_readable, count_lines, input_format,
                                        output_format, read_items)
from arabic_ie.data.batch_sinks import ConllSink, LineSink, is_device, make_sink
from arabic_ie.data.batch_state import OutputState, read_state, resume_conflicts, sniff_format, write_state
from arabic_ie.data.errors import BatchError, OutputWriteError
from arabic_ie.data.fileio import why_writing_failed
from arabic_ie.data.locks import exclusive_lock
from arabic_ie.data.records import Record

PROG = "arabic-ie predict"


@dataclass
class PredictOptions:
    """One batch run: what to tag with which model, and how."""

    model: str
    input: str
    output: str
    revision: str | None = None
    input_format: str | None = None
    output_format: str | None = None
    batch_size: int = 32
    device: str | None = None
    resume: bool = False
    sentence_split: bool = True
    quantize: str = "none"
    backend: str = "torch"  # or "onnx": ONNX Runtime for the encoder (arabic-ie[onnx])
    tag_all_languages: bool = False  # tag sentences that are not Arabic too
    progress: bool | None = None  # None: when stderr is a terminal


def load_tagger(model: str, revision: str | None, device: str | None, quantize: str = "none",
                backend: str = "torch") -> Any:
    """Load the tagger (``quantize="int8"``: dynamic int8 on the CPU; ``backend="onnx"``: ONNX Runtime)."""
    from arabic_ie.model.tagger import JointTagger

    return JointTagger.from_pretrained(model, revision=revision, device=device, backend=backend,
                                       quantize=None if quantize == "none" else quantize)


def chunked(items: Iterator[Item], size: int, first: int) -> Iterator[list[Item]]:
    """Chunks of ``size`` items, the first one ``first`` long: a resumed run keeps the chunk
    boundaries of an uninterrupted one, so batches (and padding) are the same."""
    chunk: list[Item] = []
    limit = first
    for item in items:
        chunk.append(item)
        if len(chunk) == limit:
            yield chunk
            chunk, limit = [], size
    if chunk:
        yield chunk


def predict_chunk(tagger: Any, chunk: Sequence[Item], batch_size: int, split_sentences: bool,
                  tag_all_languages: bool = False) -> list[tuple[Item, Record | None]]:
    """Tag the chunk's good records in one call; error items pass through with no record."""
    good = [item.record for item in chunk if item.record is not None]
    options = {"tag_all_languages": True} if tag_all_languages else {}  # a tagger without the option still works
    predicted = iter(tagger.predict(good, batch_size=batch_size, split_sentences=split_sentences, **options)
                     if good else [])
    return [(item, next(predicted) if item.record is not None else None) for item in chunk]


def skip_done(items: Iterator[Item], done: int, sink: LineSink | ConllSink) -> None:
    """Consume the ``done`` records the output already holds, checking that each kept output
    record answers its input record (same id, or for CoNLL the same words): a kept prefix from
    another input, or from two runs mixed in one file, must not pass as done."""
    kept = sink.kept_records()
    for skipped in range(done):
        item = next(items, None)
        if item is None:
            raise BatchError(f"--output already holds {done} records but the input has only {skipped}: "
                             "is it the output of another input?")
        mismatch = sink.mismatch(item, next(kept))
        if mismatch:
            raise BatchError(f"--output record {skipped + 1} {mismatch}: it is not the output of this "
                             "input (or two runs wrote it); write to a new file or drop --resume")
        sink.note_skipped(item)


@dataclass
class Summary:
    """What a run did: records written (resumed ones included), error records, records resumed."""

    records: int = 0
    errors: int = 0
    resumed: int = 0


@contextlib.contextmanager
def library_progress_bars(enabled: bool) -> Iterator[None]:
    """Let transformers and huggingface_hub draw their bars (loading weights, downloading) only
    when progress is wanted: ``--no-progress`` means no bar at all."""
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars
    from transformers.utils import logging as hf_logging

    before = hf_logging.is_progress_bar_enabled(), not are_progress_bars_disabled()
    if not enabled:
        hf_logging.disable_progress_bar()
        disable_progress_bars()
    try:
        yield
    finally:
        if before[0]:
            hf_logging.enable_progress_bar()
        if before[1]:
            enable_progress_bars()


def check_and_record_state(args: PredictOptions, out_format: str, tagger: Any) -> None:
    """Refuse ``--resume`` when the kept records were made in another format, by another model or
    with other tagging settings; then record how this run writes (a file output only)."""
    if args.output == STDIO or is_device(args.output):
        return
    now = OutputState(format=out_format, model=args.model, weights=tagger.weights_fingerprint,
                      settings={"sentence_split": args.sentence_split, "tag_all_languages": args.tag_all_languages,
                                "quantize": args.quantize, "backend": args.backend})
    if args.resume and os.path.exists(args.output) and os.path.getsize(args.output) > 0:
        kept = read_state(args.output)
        if kept is None:  # written before outputs kept their state: at least the format must agree
            sniffed = sniff_format(args.output)
            conflicts = [] if sniffed in (None, out_format) else [
                f"it holds {sniffed} records (add --output-format {sniffed}), this run writes {out_format}"]
        else:
            conflicts = resume_conflicts(kept, now)
        if conflicts:
            raise BatchError(f"--resume: {args.output} cannot be continued by this run: " + "; ".join(conflicts)
                             + ". Resume with the options it was written with, or write to a new file")
    write_state(args.output, now)


def run(args: PredictOptions) -> Summary:
    """Tag ``args.input`` into ``args.output`` chunk by chunk (see the module docstring)."""
    from tqdm.auto import tqdm

    if args.resume and (args.output == STDIO or is_device(args.output)):
        raise BatchError(f"--resume needs an output file; {args.output!r} cannot be resumed")
    check_readable(args.input)
    check_not_input(args.input, args.output)
    in_format = input_format(args.input, args.input_format)
    out_format = output_format(args.output, args.output_format)
    with exclusive_lock(args.output, "--output"):  # a second run on this output fails here, at once
        progress = sys.stderr.isatty() if args.progress is None else args.progress
        with library_progress_bars(progress):
            tagger = load_tagger(args.model, args.revision, args.device, args.quantize,
                                  args.backend)  # before touching output
        check_and_record_state(args, out_format, tagger)
        sink = make_sink(args.output, out_format, model_version=args.model)
        done = sink.start(args.resume)
        items = read_items(args.input, in_format)
        total = count_lines(args.input) if progress and in_format in ("text", "jsonl") else None
        try:
            skip_done(items, done, sink)
            summary = Summary(records=done, resumed=done)
            with tqdm(total=total, initial=done, unit="doc", desc="predict", file=sys.stderr,
                      disable=not progress, dynamic_ncols=True) as bar:
                for chunk in chunked(items, args.batch_size, args.batch_size - done % args.batch_size):
                    results = predict_chunk(tagger, chunk, args.batch_size, args.sentence_split,
                                            args.tag_all_languages)
                    try:
                        sink.write(results)
                    except OSError as err:
                        where = err.filename or args.output
                        raise OutputWriteError(
                            f"cannot write {where}: {why_writing_failed(err, where)}. The {summary.records} "
                            f"records before this chunk are complete in {args.output}") from None
                    summary.records += len(chunk)
                    bar.update(len(chunk))
        finally:
            sink.close()
    summary.errors = sink.errors
    return summary


def limit_allocator_caching() -> None:
    """Have glibc's malloc hand large blocks straight back to the system. Tensors of ever
    changing shapes otherwise fragment its heap and a long run's memory keeps growing; with this
    it stays flat (figures: docs/performance.md)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        if libc is not None and hasattr(libc, "mallopt"):
            libc.mallopt(-3, 65536)  # M_MMAP_THRESHOLD: blocks over 64 KiB use mmap, freed at once
    except OSError:
        pass
