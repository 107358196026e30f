"""Training with two processes through ``accelerate launch`` (CPU, gloo): it trains with the
batches sharded across ranks, checkpoints every rank's state, and a run whose launcher process
group is SIGKILLed mid-epoch resumes to the very metrics of an uninterrupted 2-process run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arabic_ie.data.jsonl import read_jsonl, write_jsonl

from conftest import free_port

pytestmark = [pytest.mark.service, pytest.mark.slow]  # accelerate launch, two processes

REPO = Path(__file__).resolve().parents[1]
TINY = {"vocab_size": 600, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128}
EPOCHS = 8


@pytest.fixture(scope="module")
def data_slice(tmp_path_factory) -> tuple[Path, Path]:
    """24 training sentences of the sample; 8 of them as the dev set, so a few epochs show learning."""
    train = list(read_jsonl(REPO / "data" / "sample" / "train.jsonl"))[:24]
    dev = train[:8]
    folder = tmp_path_factory.mktemp("slice")
    write_jsonl(train, folder / "train.jsonl")
    write_jsonl(dev, folder / "dev.jsonl")
    return folder / "train.jsonl", folder / "dev.jsonl"


def launch(output: Path, data: tuple[Path, Path], *extra: str) -> subprocess.Popen:
    """``accelerate launch`` with 2 CPU processes, in a process group of its own (so a kill takes
    the launcher and both ranks)."""
    train, dev = data
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "--main_process_port", str(free_port()),
               "-m", "arabic_ie.cli", "train", "--model", "tiny", "--train", str(train), "--dev", str(dev),
               "--test", str(dev), "--output", str(output), "--epochs", str(EPOCHS), "--seed", "5",
               "batch_size=2", "max_length=64", "stride=8", "checkpoint_every=3", "keep_checkpoints=50",
               f"tiny={json.dumps(TINY)}", "learning_rate=0.003", "head_learning_rate=0.003", "warmup_ratio=0.0", *extra]
    # ACCELERATE_USE_CPU makes the torchrun-style launch use CPU ranks with the gloo backend
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)


def finish(process: subprocess.Popen, timeout: int = 300) -> str:
    try:
        output = process.communicate(timeout=timeout)[0].decode(errors="replace")
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise
    assert process.returncode == 0, output[-4000:]
    return output


def done_checkpoints(output: Path) -> list[Path]:
    folder = output / "checkpoints"
    return [p for p in folder.glob("step-*") if (p / "DONE").exists()] if folder.exists() else []


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory, data_slice) -> Path:
    output = tmp_path_factory.mktemp("whole") / "run"
    finish(launch(output, data_slice))
    return output


def test_two_processes_shard_the_batches_and_checkpoint_every_rank(whole_run, data_slice):
    result = json.loads((whole_run / "metrics.json").read_text())
    history = [json.loads(line) for line in (whole_run / "metrics.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in history] == list(range(1, EPOCHS + 1))  # dev scored once per epoch
    # one process takes 19 steps an epoch on this slice (38 windows in batches of 2); two ranks share them
    per_epoch = history[0]["step"]
    assert per_epoch in (9, 10) and result["steps"] == EPOCHS * per_epoch
    last = max(done_checkpoints(whole_run), key=lambda p: p.name)
    assert {p.name for p in last.glob("random_states_*.pkl")} == {"random_states_0.pkl", "random_states_1.pkl"}
    assert history[-1]["dev_mean_f1"] > 0  # it learnt something
    assert (whole_run / "model" / "model.safetensors").exists()


def test_killed_two_process_run_resumes_to_the_same_metrics(whole_run, data_slice, tmp_path):
    output = tmp_path / "run"
    killed = launch(output, data_slice)
    deadline = time.time() + 240
    while time.time() < deadline and killed.poll() is None:  # kill once a mid-epoch checkpoint past epoch 1 exists
        if any(int(p.name[14:17]) >= 1 and int(p.name[-6:]) > 0 for p in done_checkpoints(output)):
            break
        time.sleep(0.05)
    assert killed.poll() is None, "the run ended before it could be killed"
    os.killpg(killed.pid, signal.SIGKILL)
    killed.wait()
    time.sleep(0.5)
    assert not (output / "metrics.json").exists()  # it really was interrupted
    with pytest.raises(ProcessLookupError):  # and no rank survived the kill
        os.killpg(killed.pid, 0)

    log = finish(launch(output, data_slice, "--resume"))
    assert "Resuming from" in log
    whole = json.loads((whole_run / "metrics.json").read_text())
    resumed = json.loads((output / "metrics.json").read_text())
    assert (resumed["steps"], resumed["best_epoch"]) == (whole["steps"], whole["best_epoch"])
    assert resumed["metrics"] == whole["metrics"]
    assert (output / "metrics.jsonl").read_text() == (whole_run / "metrics.jsonl").read_text()


EPOCH_ORDER_SCRIPT = """
import json, sys, torch
from accelerate import Accelerator
from torch.utils.data import DataLoader
from arabic_ie.training.sampler import LengthGroupedBatchSampler
from arabic_ie.training.trainer import start_epoch

acc = Accelerator()
sampler = LengthGroupedBatchSampler([k % 7 + 1 for k in range(40)], batch_size=2, seed=5)
loader = acc.prepare(DataLoader(list(range(40)), batch_sampler=sampler))
orders = []
for epoch in range(3):
    start_epoch(loader, sampler, epoch)
    orders.append([batch.tolist() for batch in loader])
with open(sys.argv[1] + f".{acc.process_index}", "w") as out:
    json.dump(orders, out)
"""


def test_each_rank_sees_a_new_order_every_epoch(tmp_path):
    """Issue 22: accelerate's shard sampler does not pass set_epoch on to our batch sampler, so
    with two processes every epoch repeated the first one's batches."""
    script = tmp_path / "orders.py"
    script.write_text(EPOCH_ORDER_SCRIPT)
    command = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "--main_process_port", str(free_port()), str(script), str(tmp_path / "orders")]
    env = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"orders.{rank}").read_text()) for rank in (0, 1)]
    for orders in ranks:
        assert orders[0] != orders[1] != orders[2]
    for epoch in range(3):  # together the ranks see every example once an epoch
        seen = sorted(k for orders in ranks for batch in orders[epoch] for k in batch)
        assert seen == list(range(40))


def test_two_processes_keep_the_single_process_schedule_under_max_steps(tmp_path, data_slice):
    """Issue 22: with max_steps the prepared scheduler, stepped once per process, ran the
    learning-rate schedule twice as fast on two processes (at zero after half the steps)."""
    output = tmp_path / "run"
    finish(launch(output, data_slice, "max_steps=12"))
    history = [json.loads(line) for line in (output / "metrics.jsonl").read_text().splitlines()]
    first = history[0]  # the rate after the first epoch's steps, of 12 in all, decaying linearly from 3e-3
    assert first["step"] in (9, 10)
    assert first["learning_rate"] == pytest.approx(0.003 * (1 - first["step"] / 12), rel=1e-6)
    assert json.loads((output / "metrics.json").read_text())["steps"] == 12
