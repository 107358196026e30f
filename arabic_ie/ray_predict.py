"""Distributed batch tagging on Ray Data: ``arabic-ie predict --engine ray`` (extra ``arabic-ie[ray]``).

The shape of Ray Data's batch inference with Hugging Face models: ``map_batches`` over the input
shards with an actor pool of :class:`TaggerActor` (one :class:`JointTagger` loaded per actor,
``num_gpus`` per actor on a GPU cluster). An actor reads a shard and tags it in chunks of
``--batch-size`` records, the one-process run's very chunks; the driver writes each shard's
output with the one-process path's own sinks (:func:`arabic_ie.batch.make_sink`), error
records included, so a shard's output is byte for byte what ``arabic-ie predict`` writes for
that shard alone.

Resume is per shard (see :mod:`arabic_ie.data.shards`): an output is published whole and its
manifest written last; ``--resume`` skips the shards with a manifest and redoes the others.
Shards are the unit of work: many shards of thousands of lines each keep every actor busy.
"""
from __future__ import annotations


import os
import pickle
import sys
from dataclasses import dataclass
from typing import Any, Iterator

from arabic_ie.data.records import Record
from arabic_ie.data.shards import OutputFolder, Shard, ShardSet, list_shards, local_copy

from arabic_ie.batch import (BatchError, ConllSink, Item, LineSink, Summary, chunked, input_format, load_tagger, make_sink,
                    predict_chunk, read_items)

PROG = "arabic-ie predict --engine ray"
EXTRA = "pip install 'arabic-ie[ray]'"


@dataclass
class RayOptions:
    """Where and how wide to run. ``address`` None: ``RAY_ADDRESS`` if set, else a local instance."""

    address: str | None = None
    workers: int = 1  # actors, each with its own tagger
    cpus_per_worker: float = 1.0
    gpus_per_worker: float = 0.0  # 1 on a GPU cluster
    local_cpus: int | None = None  # CPUs of a local instance (default: all)
    object_store_mb: int = 512  # object store of a local instance; chunks are small


@dataclass
class ShardSummary(Summary):
    """What a Ray run did: the batch counts, plus shards run and shards skipped as already complete."""
    shards: int = 0
    skipped_shards: int = 0


def import_ray() -> Any:
    """The ``ray`` module with Ray Data loaded, or a ``BatchError`` saying how to install the extra."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise BatchError(f"--engine ray needs Ray Data: {EXTRA}") from None
    return ray


def connect(options: RayOptions) -> None:
    """Join the cluster at ``address`` / ``RAY_ADDRESS``, or start a local instance; reuse a
    connection the caller already made."""
    ray = import_ray()
    if ray.is_initialized():
        return
    if options.address or os.environ.get("RAY_ADDRESS"):
        address = options.address or os.environ["RAY_ADDRESS"]
        try:
            ray.init(address=options.address)
        except Exception as err:  # ConnectionError, or Ray's own error for a missing token
            raise BatchError(f"cannot join the Ray cluster at {address}: {one_line(err)}. {JOIN_HINT}") from None
        return
    # "local": a new instance even where `ray start` left a cluster on this machine (Ray would join
    # it without being asked, and refuse the CPU count)
    ray.init(address="local", num_cpus=options.local_cpus, object_store_memory=options.object_store_mb << 20,
             include_dashboard=False)


#: what to check when a cluster refuses the driver (the README's "At scale" section has the commands)
JOIN_HINT = ("A cluster started with token authentication (RAY_AUTH_MODE=token) needs the same on this "
             "machine: export RAY_AUTH_MODE=token and the cluster's token (RAY_AUTH_TOKEN=..., or the file "
             "~/.ray/auth_token copied from the head). With no cluster there, start one with `ray start --head` "
             "or leave --ray-address out for a local instance")


def one_line(err: BaseException) -> str:
    """The message of a Ray failure on one line: for an error raised in a worker, the worker's
    own exception (Ray wraps it with its traceback and actor details)."""
    import re

    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err)).strip()
    causes = [(m.group(1), m.group(2)) for m in re.finditer(r"^([\w.]*(?:Error|Exception)): (.+)$", text, re.MULTILINE)]
    # the worker's own exception, not Ray's wrapper around it, when there is one
    messages = [message for name, message in causes if not name.startswith("ray.")] or [m for _, m in causes]
    if messages:
        return messages[-1]
    return text.splitlines()[0] if text else type(err).__name__


# --- the Ray Data stages -------------------------------------------------------------------------

def read_parquet_items(path: str) -> Iterator[Item]:
    """A Parquet shard: a ``text`` column (and an ``id`` one, optionally), one record per row;
    a row without text is an error record."""
    import pyarrow.parquet as pq

    table = pq.ParquetFile(path)
    if "text" not in table.schema_arrow.names:
        raise BatchError(f"{path}: a Parquet shard needs a 'text' column")
    columns = ["text"] + (["id"] if "id" in table.schema_arrow.names else [])
    index = 0
    for batch in table.iter_batches(columns=columns):
        rows = batch.to_pydict()
        for k, text in enumerate(rows["text"]):
            item_id = str(rows["id"][k]) if "id" in rows and rows["id"][k] is not None else f"row-{index + 1}"
            if not isinstance(text, str) or not text.strip():
                yield Item(index, None, item_id, error="empty document")
            else:
                yield Item(index, None, item_id, Record(item_id, text, [], None))
            index += 1


def read_chunks(root: str, name: str, format: str | None, batch_size: int) -> list[list[Item]]:
    """A shard's records in chunks of ``batch_size`` (the one-process run's chunks); an empty
    shard gives one empty chunk, so every shard reaches the writer."""
    with local_copy(root, name) as path:
        if (format or "").lower() == "parquet" or (not format and path.lower().endswith(".parquet")):
            items = read_parquet_items(path)
        else:
            items = read_items(path, input_format(path, format))
        return list(chunked(items, batch_size, batch_size)) or [[]]


class TaggerActor:
    """Ray Data's callable-class shape: the model loads once per actor; each call reads and tags
    shards, one output row per chunk (the last one flagged)."""

    def __init__(self, model: str, revision: str | None, device: str | None, quantize: str,
                 batch_size: int, split_sentences: bool, root: str, format: str | None, backend: str = "torch",
                 tag_all_languages: bool = False):
        self.tagger = load_tagger(model, revision, device, quantize, backend)
        self.batch_size, self.split_sentences = batch_size, split_sentences
        self.tag_all_languages = tag_all_languages
        self.root, self.format = root, format

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"shard": [], "chunk": [], "last": [], "results": []}
        for shard, name in zip(batch["shard"], batch["name"]):
            chunks = read_chunks(self.root, str(name), self.format, self.batch_size)
            for k, chunk in enumerate(chunks):
                results = predict_chunk(self.tagger, chunk, self.batch_size, self.split_sentences,
                                        self.tag_all_languages)
                out["shard"].append(int(shard))
                out["chunk"].append(k)
                out["last"].append(k == len(chunks) - 1)
                out["results"].append(pickle.dumps(results))
        return out


# --- the run -------------------------------------------------------------------------------------

def for_workers(path: str) -> str:
    """A local folder (the model's, the shards') as an absolute path: Ray's workers run in folders
    of their own, where a relative path names nothing (a hub repo id or a URI is passed as it is)."""
    return os.path.abspath(path) if os.path.isdir(path) else path


def tagged_chunks(shards: ShardSet, pending: list[Shard], args: Any,
                  options: RayOptions) -> Iterator[dict[str, Any]]:
    """The tagged chunks of the pending shards, as the actors finish them."""
    ray = import_ray()
    ray.data.DataContext.get_current().enable_progress_bars = bool(args.progress)
    dataset = ray.data.from_items([{"shard": s.index, "name": s.name} for s in pending],
                                  override_num_blocks=len(pending))
    dataset = dataset.map_batches(
        TaggerActor, batch_size=1, compute=ray.data.ActorPoolStrategy(size=options.workers),
        num_cpus=options.cpus_per_worker, num_gpus=options.gpus_per_worker or None,
        fn_constructor_kwargs={"model": for_workers(args.model), "revision": args.revision, "device": args.device,
                               "tag_all_languages": bool(getattr(args, "tag_all_languages", False)),
                               "quantize": args.quantize, "backend": getattr(args, "backend", "torch"),
                               "batch_size": args.batch_size,
                               "split_sentences": args.sentence_split, "root": for_workers(shards.root),
                               "format": args.input_format})
    yield from dataset.iter_rows()


class ShardWriter:
    """One shard's output: chunks written in their order (whatever order they arrive in)."""

    def __init__(self, name: str, sink: LineSink | ConllSink):
        self.name, self.sink = name, sink
        self.sink.start(resume=False)
        self.waiting: dict[int, list[tuple[Item, Record | None]]] = {}
        self.next = 0
        self.total: int | None = None
        self.records = 0

    def add(self, chunk: int, last: bool, results: list[tuple[Item, Record | None]]) -> bool:
        """Take a chunk; True once the shard is complete and its files closed."""
        self.waiting[chunk] = results
        if last:
            self.total = chunk + 1
        while self.next in self.waiting:
            results = self.waiting.pop(self.next)
            self.sink.write(results)
            self.records += len(results)
            self.next += 1
        if self.next != self.total:
            return False
        self.sink.close()
        return True

    def files(self) -> dict[str, str]:
        """Output name -> staged file; CoNLL keeps its error records in a side file."""
        files = {self.name: self.sink.path}
        if isinstance(self.sink, ConllSink):
            files[self.name + ".errors.jsonl"] = self.sink.errors_path
        return files


def run(args: Any, options: RayOptions) -> ShardSummary:
    """Tag every shard under ``args.input`` into the folder ``args.output``."""
    if "-" in (args.input, args.output):
        raise BatchError("--engine ray reads shards and writes a folder; stdin/stdout are for the one-process engine")
    out_format = args.output_format or "jsonl"
    shards = list_shards(args.input)
    output = OutputFolder(args.output, out_format)
    output.check_names(shards.shards)
    if not args.resume:
        output.forget_done()
    pending = [s for s in shards.shards if not output.is_done(s)]
    summary = ShardSummary(shards=len(pending), skipped_shards=len(shards.shards) - len(pending))
    if not pending:
        return summary
    connect(options)
    by_index = {s.index: s for s in pending}
    with output.staging() as staging:
        writers: dict[int, ShardWriter] = {}
        try:
            for row in tagged_chunks(shards, pending, args, options):
                shard = by_index[row["shard"]]
                if shard.index not in writers:
                    name = output.output_name(shard)
                    sink = make_sink(os.path.join(staging, name.replace("/", "__")), out_format,
                                     model_version=args.model)
                    writers[shard.index] = ShardWriter(name, sink)
                writer = writers[shard.index]
                if writer.add(row["chunk"], bool(row["last"]), pickle.loads(row["results"])):
                    output.publish(shard, writer.files(), writer.records, writer.sink.errors)
                    summary.records += writer.records
                    summary.errors += writer.sink.errors
                    del writers[shard.index]
        finally:  # a failed run leaves no open file behind (the unfinished shards are redone on --resume)
            for writer in writers.values():
                writer.sink.close()
    return summary


def options_from_args(args: Any) -> RayOptions:
    """The Ray options the command line sets: cluster address, workers, CPUs and GPUs per worker."""
    return RayOptions(address=args.ray_address, workers=args.workers, cpus_per_worker=args.cpus_per_worker,
                      gpus_per_worker=args.gpus_per_worker)


def main(args: Any) -> int:
    """Run and report; exit code 0, or 2 when the run cannot go on."""
    from arabic_ie.model.hub import ModelLoadError

    try:
        summary = run(args, options_from_args(args))
    except (BatchError, ModelLoadError, ValueError) as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except Exception as err:  # a failure inside Ray: an actor that cannot load the model, a bad shard
        if not type(err).__module__.startswith("ray"):
            raise
        print(f"{PROG}: error: {one_line(err)}", file=sys.stderr)
        return 2
    skipped = f", {summary.skipped_shards} shard(s) already complete" if summary.skipped_shards else ""
    errors = f", {summary.errors} error record(s)" if summary.errors else ""
    print(f"{PROG}: {summary.records} records in {summary.shards} shard(s){skipped}{errors} -> {args.output}",
          file=sys.stderr)
    return 0
