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
        assert config.training.epochs == 1 and config.training.batch_size == 4
        assert not any("=" in f for f in config.data.train_files + config.data.dev_files + config.data.test_files)


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
    assert captured[-1].output.output_dir == "runs/x" and captured[-1].training.epochs == 1


def test_split_overrides():
    from arabic_ie.overrides import OverrideError, split_overrides

    assert split_overrides(["--test", "t.jsonl", "epochs=1", "--resume"], KNOWN) == (
        ["--test", "t.jsonl", "--resume"], ["epochs=1"])
    assert split_overrides(["--output", "runs/a=b", "tiny={'x': 1}"], KNOWN) == (
        ["--output", "runs/a=b"], ["tiny={'x': 1}"])  # an option's own value is never a setting
    assert split_overrides(["batch-size=2"], KNOWN) == ([], ["batch-size=2"])
    assert split_overrides(["--seed", "-5", "epochs=2"], KNOWN) == (["--seed", "-5"], ["epochs=2"])  # a value, not an option
    assert split_overrides(["--crf", "epochs=2"], KNOWN) == (["--crf"], ["epochs=2"])  # a switch takes only true/false
    with pytest.raises(OverrideError):
        split_overrides(["nope=1"], KNOWN)


def test_an_option_train_does_not_have_is_named(captured, capsys):
    """`train ... epochs=1 --device cuda`: train has no --device, and the error says that,
    instead of calling 'cuda' a file that follows a setting; a misspelt option is named with
    the nearest one."""
    train = str(SAMPLE / "train.jsonl")
    assert cli.main(["train", "--model", "tiny", "--train", train, "epochs=1", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --device" in err and "follows the setting" not in err
    assert cli.main(["train", "--model", "tiny", "--train", train, "--learnin_rate", "1e-2"]) == 2
    assert "unrecognized arguments: --learnin_rate (did you mean '--learning_rate'?)" in capsys.readouterr().err
    assert cli.main(["train", "--model", "tiny", "--train", train, "learnin_rate=1e-2"]) == 2
    assert "(did you mean 'learning_rate'?)" in capsys.readouterr().err
    assert captured == []


@pytest.mark.parametrize("words", [["--learning_rate", "1e-2"], ["--learning-rate", "1e-2"], ["--learning_rate=1e-2"],
                                   ["learning_rate=1e-2"], ["learning-rate=0.01"], []])
def test_every_way_of_giving_a_setting_arrives_as_the_same_float(captured, tmp_path, words):
    """One parser types the YAML value, the key=value setting and the --option alike: YAML 1.1
    reads 1e-2 as a string, and every spelling trains with the float 0.01."""
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model: tiny\ntrain_files: [{SAMPLE / 'train.jsonl'}]\nlearning_rate: "
                      f"{'0.5' if words else '1e-2'}\n", encoding="utf-8")
    assert cli.main(["train", "--config", str(recipe), *words]) == 0
    learning_rate = captured[-1].training.learning_rate
    assert learning_rate == 0.01 and type(learning_rate) is float


def test_options_override_settings_which_override_the_file(captured, tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model: tiny\ntrain_files: [{SAMPLE / 'train.jsonl'}]\nepochs: 5\nseed: 1\ncrf: true\n"
                      "batch_size: 8\n", encoding="utf-8")
    argv = ["train", "--config", str(recipe), "--epochs", "7", "--crf", "false", "--char-features",
            "--loss_weights", "{trigger: 3}", "epochs=6", "seed=2", "--output", str(tmp_path / "o")]
    assert cli.main(argv) == 0
    config = captured[-1]
    assert (config.training.epochs, config.training.seed, config.training.batch_size) == (7, 2, 8)
    assert config.model.crf is False and config.model.char_features is True
    assert config.model.loss_weights == {"trigger": 3.0} and config.output.output_dir == str(tmp_path / "o")


def test_train_help_lists_every_setting(capsys):
    from arabic_ie.training.config import setting_types

    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    shown = capsys.readouterr().out
    missing = [name for name in setting_types() if f"--{name}" not in shown]
    assert not missing and "--model" in shown and "--train" in shown
