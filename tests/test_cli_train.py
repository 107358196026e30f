"""`arabic-ie train` on the command line: settings told apart from files, checked before any work."""
from __future__ import annotations

import pytest

from arabic_ie import cli

from conftest import SAMPLE

KNOWN = ["epochs", "batch_size", "tiny"]


@pytest.fixture
def captured(monkeypatch):
    """Replace the trainer with one that records its config and trains nothing."""
    import arabic_ie.training.trainer as trainer

    configs = []

    class FakeTrainer:
        def __init__(self, config):
            configs.append(config)

        def train(self, resume=False):
            return {"steps": 0}

    monkeypatch.setattr(trainer, "Trainer", FakeTrainer)
    return configs


def test_an_override_after_a_file_list_is_a_setting_not_a_file(captured):
    train, test = str(SAMPLE / "train.jsonl"), str(SAMPLE / "test.jsonl")
    for option in ("--train", "--dev", "--test"):
        captured.clear()
        argv = ["train", "--model", "tiny", "--output", "x"] + (["--train", train] if option != "--train" else [])
        argv += [option, test, "epochs=1", "batch_size=4"]
        assert cli.main(argv) == 0
        [config] = captured
        assert config.epochs == 1 and config.batch_size == 4
        assert not any("=" in f for f in config.train_files + config.dev_files + config.test_files)


def test_unknown_or_interleaved_settings_fail_before_any_work(captured, capsys):
    train = str(SAMPLE / "train.jsonl")
    assert cli.main(["train", "--model", "tiny", "--train", train, "--test", train, "epochz=1"]) == 2
    assert "unknown setting 'epochz'" in capsys.readouterr().err
    assert cli.main(["train", "--model", "tiny", "--train", train, "epochs=1", train]) == 2
    assert "put key=value settings after all files" in capsys.readouterr().err
    assert captured == []


def test_an_option_may_follow_a_setting(captured):
    """`train --config C epochs=1 --output DIR`: DIR is --output's value, not a file after a setting."""
    train = str(SAMPLE / "train.jsonl")
    assert cli.main(["train", "--model", "tiny", "--train", train, "epochs=1", "--output", "runs/x"]) == 0
    assert captured[-1].output_dir == "runs/x" and captured[-1].epochs == 1


def test_split_overrides():
    from arabic_ie.overrides import OverrideError, split_overrides

    assert split_overrides(["--test", "t.jsonl", "epochs=1", "--resume"], KNOWN) == (
        ["--test", "t.jsonl", "--resume"], ["epochs=1"])
    assert split_overrides(["--output", "runs/a=b", "tiny={'x': 1}"], KNOWN) == (
        ["--output", "runs/a=b"], ["tiny={'x': 1}"])  # an option's own value is never a setting
    assert split_overrides(["batch-size=2"], KNOWN) == ([], ["batch-size=2"])
    with pytest.raises(OverrideError):
        split_overrides(["nope=1"], KNOWN)


def test_an_option_train_does_not_have_is_named_by_argparse(captured, capsys):
    """`train ... epochs=1 --device cuda`: train has no --device, and the error says that,
    instead of calling 'cuda' a file that follows a setting."""
    train = str(SAMPLE / "train.jsonl")
    with pytest.raises(SystemExit) as exit_:
        cli.main(["train", "--model", "tiny", "--train", train, "epochs=1", "--device", "cuda"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --device" in err and "follows the setting" not in err
    assert captured == []
