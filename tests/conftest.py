"""Shared pytest fixtures."""
from __future__ import annotations

import os
from pathlib import Path

# The hub cannot be reached from CI: never let a test wait on it (set before transformers loads).
for _name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
    os.environ.setdefault(_name, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import pytest  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder holding ANERcorp/ and Wojood-sample/, from ``ARABIC_IE_SHARED_DATA``.

    Skips when it is not set up (a contributor without the data), but fails under CI, which
    always has it: a silently skipped real-data test would hide a broken reader.
    """
    value = os.environ.get("ARABIC_IE_SHARED_DATA")
    folder = Path(value) if value else None
    if folder is not None and (folder / "ANERcorp").is_dir() and (folder / "Wojood-sample").is_dir():
        return folder
    reason = ("ARABIC_IE_SHARED_DATA is not set" if folder is None else
              f"ARABIC_IE_SHARED_DATA={value} does not hold ANERcorp/ and Wojood-sample/")
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must provide the shared data")
    pytest.skip(f"{reason}: point it at the folder holding ANERcorp/ and Wojood-sample/ to run real-data tests")


@pytest.fixture(scope="session")
def sample_records():
    """The shipped sample's splits as canonical records."""
    from arabic_ie.data.jsonl import read_jsonl

    return {split: list(read_jsonl(SAMPLE / f"{split}.jsonl")) for split in ("train", "dev", "test")}


def free_port() -> int:
    """A TCP port nothing listens on now (for a server or a process group the test starts)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def small_tiny_model(train, seed: int = 0, max_length: int = 64, **settings):
    """``(model, tokenizer)``: a random ``tiny`` joint model, one small layer (WordPiece and labels
    from ``train``), seeded; ``vocab_size``, ``num_hidden_layers`` and the model's layer settings
    (``crf=True``, ...) may be given."""
    import torch

    from arabic_ie.data.features import FeatureConfig
    from arabic_ie.data.schema import LabelSchema
    from arabic_ie.model.build import build_model
    from arabic_ie.model.tiny import TinyConfig

    shape = {"vocab_size": 2000, "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
             "intermediate_size": 64}
    shape.update({k: settings.pop(k) for k in list(settings) if k in shape})
    torch.manual_seed(seed)
    return build_model("tiny", LabelSchema.from_records(train), FeatureConfig(max_length=max_length, stride=8),
                       train, tiny=TinyConfig(**shape), **settings)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, sample_records) -> Path:
    """An untrained ``tiny`` joint model (random weights, WordPiece trained on the sample), saved
    with ``save_pretrained``: real loading and inference code paths, in a second."""
    from arabic_ie.model.hub import save_model

    model, tokenizer = small_tiny_model(sample_records["train"])
    return save_model(model, tokenizer, tmp_path_factory.mktemp("models") / "tiny")


@pytest.fixture(scope="session")
def trained_model_dir(tmp_path_factory, sample_records) -> Path:
    """The one trained model of a test run: ``tiny`` trained for 120 steps on 64 sample sentences,
    confident enough that its labels mean something (a random model's near-uniform probabilities
    flip on any rounding, which would make backend comparisons meaningless). Its dev set is its
    training set, so the best epoch is the best-fitted one."""
    from arabic_ie.data.jsonl import write_jsonl
    from arabic_ie.settings import read_config
    from arabic_ie.training.trainer import Trainer

    data = tmp_path_factory.mktemp("trained")
    write_jsonl(sample_records["train"][:64], data / "train.jsonl")
    config = read_config(model="tiny", train_files=[str(data / "train.jsonl")], dev_files=[str(data / "train.jsonl")],
                         output_dir=str(data / "run"), epochs=15, batch_size=8, learning_rate=3e-3,
                         head_learning_rate=3e-3, warmup_ratio=0.0, max_length=64, stride=8, seed=7,
                         loss_weights={"entity": 1.0, "trigger": 2.0, "argument": 1.0},
                         tiny={"vocab_size": 2000, "hidden_size": 64, "num_hidden_layers": 2,
                               "num_attention_heads": 4, "intermediate_size": 128})
    Trainer(config).train()
    return data / "run" / "model"


@pytest.fixture
def device_output(tmp_path):
    """A path that is not a regular file, like ``/dev/null``: a FIFO drained by a thread. (Tests
    never write to the real ``/dev/null``: code that renames a temporary file over its output
    would replace it, for every process on the machine, when run as root.)"""
    import threading

    path = tmp_path / "device"
    os.mkfifo(path)
    received: list[bytes] = []

    def drain() -> None:
        while True:  # one writer after another, until the test ends
            with open(path, "rb") as handle:
                received.append(handle.read())

    threading.Thread(target=drain, daemon=True).start()
    yield path
    assert path.exists() and not path.is_file(), "the device was replaced by a regular file"
