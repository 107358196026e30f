#!/usr/bin/env python
"""Lines per second of ``arabic-ie predict`` in one process against ``--engine ray`` with 1 and 2
CPU workers, on the same input: news-length sentences from ANERcorp (and the sample), tagged by
a random-weight model of AraBERT-base's shape (``--layers`` encoder layers; see
bench_inference.py), split into ``--shards`` text shards for Ray and joined into one file for
the one-process run.

Both engines run in this process, the way ``arabic-ie predict`` runs them: one process tags
chunks of ``--batch-size`` lines with all cores' threads, then with one; Ray starts a local
instance with all cores and an actor pool of ``--workers`` tagger actors of one CPU (one thread)
each. Reported: end-to-end lines/s (model load and actor start included; starting the local Ray
instance is shown apart) and steady lines/s, counted from the first finished unit (a chunk, or
for Ray a shard) to the end, i.e. once every worker has started. On 2 cores two workers cannot
beat one process by much: the figures show Ray's overhead, and the rate to expect per CPU worker.
"""
from __future__ import annotations

import argparse
import os
import pickle
import sys
import time
from pathlib import Path

import bench_common as bc  # noqa: E402  (sets the offline variables first)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared-data", help="folder holding ANERcorp/ and Wojood-sample/")
    parser.add_argument("--lines", type=int, default=256, help="sentences to tag")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--layers", type=int, default=12, help="encoder layers (12 = AraBERT-base)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="Ray CPU workers to time")
    parser.add_argument("--model", help="a trained model folder instead of the random AraBERT-base-shaped one")
    parser.add_argument("--work-dir", default="outputs/bench_ray")
    parser.add_argument("--output", default="outputs/bench_ray.json")
    return parser.parse_args(argv)


def build_model(folder: Path, records: list, layers: int) -> Path:
    """The AraBERT-base-shaped random model of bench_inference.py, saved once."""
    if (folder / "config.json").is_file():
        return folder
    import bench_inference as bi

    from arabic_ie.model.hub import save_model

    schema = bi.build_schema(records, ner_only=False)
    tokenizer = bi.load_tokenizer(records, folder.parent / "tokenizer")
    return Path(save_model(bi.build_model(schema, layers, seed=0), tokenizer, folder))


def write_inputs(texts: list[str], folder: Path, shards: int) -> tuple[Path, Path]:
    """``(one file, folder of shards)`` holding the same lines."""
    joined, shard_dir = folder / "all.txt", folder / "shards"
    shard_dir.mkdir(parents=True, exist_ok=True)
    for old in shard_dir.glob("*.txt"):
        old.unlink()
    joined.write_text("".join(t + "\n" for t in texts), encoding="utf-8")
    size = -(-len(texts) // shards)
    for k in range(shards):
        (shard_dir / f"part-{k:03d}.txt").write_text("".join(t + "\n" for t in texts[k * size:(k + 1) * size]),
                                                     encoding="utf-8")
    return joined, shard_dir


def time_one_process(model: Path, joined: Path, batch_size: int, threads: int) -> dict[str, float]:
    """The one-process loop of ``arabic-ie predict`` (load, read, tag chunk by chunk)."""
    import torch

    from arabic_ie.batch import chunked, load_tagger, predict_chunk, read_items

    torch.set_num_threads(threads)
    started = time.perf_counter()
    tagger = load_tagger(str(model), None, "cpu")
    lines, first, first_lines = 0, None, 0
    for chunk in chunked(read_items(str(joined), "text"), batch_size, batch_size):
        predict_chunk(tagger, chunk, batch_size, True)
        lines += len(chunk)
        if first is None:
            first, first_lines = time.perf_counter(), lines
    return rates(started, first, first_lines, lines)


def time_ray(model: Path, shard_dir: Path, workers: int, batch_size: int) -> dict[str, float]:
    """``--engine ray`` with ``workers`` one-CPU actors, on the local instance already started."""
    from arabic_ie.cli import build_parser
    from arabic_ie.data.shards import list_shards
    from arabic_ie.ray_predict import options_from_args, tagged_chunks

    args = build_parser().parse_args(["predict", "--engine", "ray", "--model", str(model), "--input", str(shard_dir),
                                      "--output", "-", "--workers", str(workers), "--batch-size", str(batch_size),
                                      "--no-progress"])
    shards = list_shards(str(shard_dir))
    started = time.perf_counter()
    lines, first, first_lines = 0, None, 0
    for row in tagged_chunks(shards, shards.shards, args, options_from_args(args)):
        lines += len(pickle.loads(row["results"]))
        if first is None and row["last"]:
            first, first_lines = time.perf_counter(), lines
    return rates(started, first, first_lines, lines)


def rates(started: float, first: float | None, first_lines: int, lines: int) -> dict[str, float]:
    ended = time.perf_counter()
    steady = (lines - first_lines) / (ended - first) if first is not None and ended > first else float("nan")
    return {"lines": lines, "seconds": round(ended - started, 1), "end-to-end lines/s": round(lines / (ended - started), 1),
            "steady lines/s": round(steady, 1)}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    work = Path(args.work_dir)
    records = bc.corpus_records(bc.shared_data_dir(args.shared_data))
    texts = bc.news_sentences(records, args.lines)
    model = Path(args.model) if args.model else build_model(work / f"model-{args.layers}l", records, args.layers)
    joined, shard_dir = write_inputs(texts, work, args.shards)

    rows = []
    for threads in (os.cpu_count(), 1):  # all cores, and one thread like one Ray CPU worker
        rows.append({"system": f"one process, {threads} thread(s)", **time_one_process(model, joined, args.batch_size, threads)})
        print(rows[-1], file=sys.stderr)
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), object_store_memory=256 << 20, include_dashboard=False, log_to_driver=False)
    ray_start = round(time.perf_counter() - started, 1)
    for workers in args.workers:
        rows.append({"system": f"ray, {workers} CPU worker(s)", **time_ray(model, shard_dir, workers, args.batch_size)})
        print(rows[-1], file=sys.stderr)
    ray.shutdown()
    base = rows[0]["steady lines/s"]
    for row in rows:
        row["vs one process"] = f"{row['steady lines/s'] / base:.2f}x"
    print(bc.format_rows(rows, ["system", "lines", "seconds", "end-to-end lines/s", "steady lines/s", "vs one process"]))
    print(f"starting the local Ray instance (not in the rows): {ray_start} s; {args.shards} shards, "
          f"batch size {args.batch_size}, {args.layers}-layer model; load average {os.getloadavg()[0]:.1f}")
    bc.write_json(args.output, {"machine": bc.machine_info(), "layers": args.layers, "shards": args.shards,
                                "batch_size": args.batch_size, "ray_start_seconds": ray_start, "rows": rows})


if __name__ == "__main__":
    main()
