"""Distributed tagging on Ray Data (``arabic-ie predict --engine ray``) against a local Ray instance
with 2 CPUs: shards in several formats and folders give, merged in input order, exactly the
one-process output; a job killed midway and rerun with ``--resume`` ends with the same output,
keeps the shards it had finished untouched, and loses or repeats no record."""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arabic_ie.cli import build_parser
from arabic_ie.data.jsonl import read_jsonl
from arabic_ie.data.shards import DONE, list_shards
from arabic_ie import predict

pytestmark = pytest.mark.service  # a local Ray instance

REPO = Path(__file__).resolve().parents[1]
LINES_PER_SHARD = 40


def require_ray():
    """Ray Data, or a skip with the extra to install; CI must have it, so there it fails."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("Ray Data is not installed; CI installs it with arabic-ie[ray] (scripts/setup.sh --test)")
        pytest.skip("Ray Data is not installed: pip install 'arabic-ie[ray]'")
    return ray


@pytest.fixture(scope="module")
def ray_local():
    """A local Ray instance with 2 CPUs and a small object store; its workers tag with one torch
    thread, like the one-process reference below (a random model's near-ties then break alike)."""
    ray = require_ray()
    os.environ["OMP_NUM_THREADS"] = "1"
    ray.init(address="local", num_cpus=2, object_store_memory=96 << 20, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.fixture(autouse=True)
def one_thread():
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> Path:
    """320 real sample sentences over 8 JSONL and text shards (one in a subfolder), with an empty
    line, a line that is not JSON and one that is not UTF-8 among them, and an empty shard."""
    texts = [(r.id, r.text) for r in read_jsonl(REPO / "data" / "sample" / "train.jsonl")][:8 * LINES_PER_SHARD]
    folder = tmp_path_factory.mktemp("shards")
    (folder / "sub").mkdir()
    for k in range(8):
        part = texts[k * LINES_PER_SHARD:(k + 1) * LINES_PER_SHARD]
        if k == 5:  # plain text, one document per line
            lines = [text.encode("utf-8") for _, text in part]
            lines[3:3] = [b"", "caf\xe9".encode("latin-1")]
            path = folder / f"part-{k}.txt"
        else:
            lines = [json.dumps({"id": i, "text": t}, ensure_ascii=False).encode("utf-8") for i, t in part]
            if k == 2:
                lines[7:7] = [b"", b"{not json"]
            path = folder / ("sub" if k == 3 else "") / f"part-{k}.jsonl"
        path.write_bytes(b"".join(line + b"\n" for line in lines))
    (folder / "part-8.jsonl").write_bytes(b"")
    (folder / "_ignored.jsonl").write_text("private\n", encoding="utf-8")
    return folder


def predict_args(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["predict", "--no-progress", *argv])


def one_process_outputs(model: Path, shards: Path, out: Path) -> dict[str, bytes]:
    """What ``arabic-ie predict`` (one process) writes for each shard, by output name."""
    expected = {}
    for shard in list_shards(str(shards)).shards:
        target = out / (str(Path(shard.name).with_suffix("")) + ".jsonl")
        assert predict.main(predict_args("--model", str(model), "--input", str(shards / shard.name),
                                       "--output", str(target))) == 0
        expected[str(Path(shard.name).with_suffix(".jsonl"))] = target.read_bytes()
    return expected


def ray_outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.jsonl"))
            if not p.relative_to(out).parts[0].startswith("_")}


@pytest.fixture(scope="module")
def expected(tiny_model_dir, shards, tmp_path_factory):
    return one_process_outputs(tiny_model_dir, shards, tmp_path_factory.mktemp("one-process"))


def test_ray_output_is_the_one_process_output(ray_local, tiny_model_dir, shards, expected, tmp_path):
    from arabic_ie import ray_predict

    out = tmp_path / "out"
    args = predict_args("--engine", "ray", "--model", str(tiny_model_dir), "--input", str(shards),
                        "--output", str(out), "--workers", "2", "--batch-size", "16")
    summary = ray_predict.run(args, ray_predict.options_from_args(args))
    assert (summary.shards, summary.records, summary.errors) == (9, 8 * LINES_PER_SHARD + 4, 4)

    outputs = ray_outputs(out)
    assert sorted(outputs) == sorted(expected) and "sub/part-3.jsonl" in outputs
    # byte for byte per shard (batch size 16 here, 32 there: chunking changes no record) ...
    assert outputs == expected
    merged = [json.loads(line) for name in sorted(outputs) for line in outputs[name].splitlines()]
    assert len(merged) == 8 * LINES_PER_SHARD + 4 and sum("error" in r for r in merged) == 4
    # ... and the tagged records of the JSONL shards, merged in input order, are the one-process
    # output of the concatenated input (error records name their line in their own shard)
    jsonl = sorted(n for n in outputs if not n.endswith("part-5.jsonl"))
    joined = tmp_path / "all.jsonl"
    joined.write_bytes(b"".join((shards / n).read_bytes() for n in jsonl))
    assert predict.main(predict_args("--model", str(tiny_model_dir), "--input", str(joined),
                                   "--output", str(tmp_path / "all.out.jsonl"))) == 0
    whole = [json.loads(line) for line in (tmp_path / "all.out.jsonl").read_text(encoding="utf-8").splitlines()]
    ours = [json.loads(line) for n in jsonl for line in outputs[n].splitlines()]
    tagged = lambda records: [r for r in records if "error" not in r]  # noqa: E731
    assert len(tagged(ours)) == 7 * LINES_PER_SHARD and tagged(ours) == tagged(whole)
    manifest = json.loads((out / DONE / "part-2.jsonl.json").read_text())
    assert (manifest["records"], manifest["errors"]) == (LINES_PER_SHARD + 2, 2)


def launch(model: Path, shards: Path, out: Path, address: str, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "arabic_ie.cli", "predict", "--engine", "ray", "--ray-address", address,
               "--model", str(model), "--input", str(shards), "--output", str(out), "--workers", "1",
               "--batch-size", "4", "--no-progress", *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


def test_killed_job_reruns_to_the_same_output(ray_local, tiny_model_dir, shards, expected, tmp_path):
    out = tmp_path / "out"
    address = ray_local.get_runtime_context().gcs_address
    job = launch(tiny_model_dir, shards, out, address)
    deadline = time.time() + 240
    while time.time() < deadline and job.poll() is None:  # kill it once the first shards are complete
        if len(list((out / DONE).rglob("*.json"))) >= 2:
            break
        time.sleep(0.02)
    assert job.poll() is None, "the job ended before it could be killed:\n" + job.stdout.read().decode()
    os.killpg(job.pid, signal.SIGKILL)
    job.wait()
    finished = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (out / DONE).rglob("*.json")}
    assert 2 <= len(finished) < 9  # it really stopped midway
    kept = {name: (out / name).stat().st_ino for name in ray_outputs(out)}

    rerun = launch(tiny_model_dir, shards, out, address, "--resume")
    log = rerun.communicate(timeout=240)[0].decode()
    assert rerun.returncode == 0, log
    assert f"{len(finished)} shard(s) already complete" in log
    assert ray_outputs(out) == expected  # nothing lost, nothing twice
    for marker, stamp in finished.items():  # the finished shards were not redone
        assert (marker.stat().st_ino, marker.stat().st_mtime_ns) == stamp
    for name, inode in kept.items():
        if (out / DONE / f"{name}.json") in finished:
            assert (out / name).stat().st_ino == inode


def test_missing_input_and_stdout_are_clear_errors(tiny_model_dir, tmp_path, capsys):
    from arabic_ie import ray_predict

    code = ray_predict.main(predict_args("--engine", "ray", "--model", str(tiny_model_dir), "--input",
                                         str(tmp_path / "nowhere"), "--output", str(tmp_path / "out")))
    assert code == 2 and "no such input" in capsys.readouterr().err
    code = ray_predict.main(predict_args("--engine", "ray", "--model", str(tiny_model_dir), "--input",
                                         str(tmp_path), "--output", "-"))
    assert code == 2 and "stdin/stdout" in capsys.readouterr().err


def test_parquet_shards_through_a_filesystem_uri(ray_local, tiny_model_dir, tmp_path):
    """Parquet shards (``text`` and ``id`` columns, a null text among them) named by a glob in a
    ``file://`` URI, written to a URI folder: the records of the one-process run on the same texts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from arabic_ie import ray_predict

    records = list(read_jsonl(REPO / "data" / "sample" / "dev.jsonl"))[:30]
    source = tmp_path / "in"
    source.mkdir()
    for k in range(3):
        part = records[k * 10:(k + 1) * 10]
        texts = [r.text for r in part]
        if k == 1:
            texts[4] = None
        pq.write_table(pa.table({"id": [r.id for r in part], "text": texts}), source / f"part-{k}.parquet")
    (source / "notes.txt").write_text("not a parquet shard\n", encoding="utf-8")
    reference = tmp_path / "reference.jsonl"
    reference.write_text("".join(json.dumps({"id": r.id, "text": r.text}, ensure_ascii=False) + "\n" for r in records),
                         encoding="utf-8")
    assert predict.main(predict_args("--model", str(tiny_model_dir), "--input", str(reference),
                                   "--output", str(tmp_path / "reference.out.jsonl"))) == 0
    one = [json.loads(line) for line in (tmp_path / "reference.out.jsonl").read_text(encoding="utf-8").splitlines()]

    args = predict_args("--engine", "ray", "--model", str(tiny_model_dir), "--input", f"file://{source}/*.parquet",
                        "--output", f"file://{tmp_path}/out", "--batch-size", "32")
    summary = ray_predict.run(args, ray_predict.options_from_args(args))
    assert (summary.shards, summary.records, summary.errors) == (3, 30, 1)
    ours = [json.loads(line) for k in range(3)
            for line in (tmp_path / "out" / f"part-{k}.jsonl").read_text(encoding="utf-8").splitlines()]
    assert ours[14] == {"id": records[14].id, "error": "empty document"}
    assert ours[:14] + ours[15:] == one[:14] + one[15:]
