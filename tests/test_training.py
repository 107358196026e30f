"""Training end to end on tiny models: learning, saving, resuming, mixing corpora, bad configs."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from arabic_ie.data.jsonl import write_jsonl
from arabic_ie.model.tagger import JointTagger
from arabic_ie.settings import read_config
from arabic_ie.training.config import ConfigError
from arabic_ie.training.metrics import score
from arabic_ie.training.trainer import Trainer

TINY = {"vocab_size": 600, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128}


def small_config(tmp_path, train, dev=None, **overrides):
    settings = dict(model="tiny", train_files=[str(train)], dev_files=[str(dev or train)], output_dir=str(tmp_path / "run"),
                    epochs=60, batch_size=2, learning_rate=3e-3, head_learning_rate=3e-3, warmup_ratio=0.0,
                    max_length=64, stride=8, seed=7, tiny=TINY)
    settings.update(overrides)
    return read_config(**settings)


@pytest.fixture(scope="module")
def handful(tmp_path_factory, sample_records):
    """Six real sample sentences with several events and arguments."""
    chosen = [r for r in sample_records["train"] if r.events and len(r.text) < 140][:6]
    path = tmp_path_factory.mktemp("data") / "handful.jsonl"
    write_jsonl(chosen, path)
    return path, chosen


@pytest.fixture(scope="module")
def overfit_run(tmp_path_factory, handful):
    path, _ = handful
    # 30 epochs at twice the learning rate reach F1 100 on all three heads as the 60 epochs of
    # small_config do, in half the steps (this fixture was the slowest part of the suite)
    config = small_config(tmp_path_factory.mktemp("overfit"), path, epochs=30, learning_rate=6e-3,
                          head_learning_rate=6e-3)
    return config, Trainer(config).train()


def test_tiny_model_overfits_a_handful_of_sentences(overfit_run):
    config, result = overfit_run
    dev = result["metrics"]["dev"]
    assert dev["entities"]["overall"]["f1"] == 1.0
    assert dev["triggers"]["classification"]["f1"] == 1.0
    assert dev["arguments"]["classification"]["f1"] == 1.0
    out = Path(config.output.output_dir)
    assert (out / "model" / "model.safetensors").exists() and (out / "model" / "README.md").exists()
    assert (out / "report.md").exists() and json.loads((out / "metrics.json").read_text())["metrics"]["dev"]
    epochs = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in epochs] == list(range(1, len(epochs) + 1)) and "dev_entity_f1" in epochs[0]


def test_saved_model_reloads_with_identical_predictions(overfit_run, handful):
    config, _ = overfit_run
    _, records = handful
    folder = Path(config.output.output_dir) / "model"
    first = JointTagger.from_pretrained(folder).predict(records, split_sentences=False)
    again = JointTagger.from_pretrained(str(folder), device="cpu").predict(records, split_sentences=False)
    assert [r.to_dict() for r in first] == [r.to_dict() for r in again]
    assert score(records, first)["entities"]["overall"]["f1"] == 1.0
    for record in first:  # plain data, character offsets into the original text
        for entity in record.entities:
            assert 0 <= entity.start < entity.end <= len(record.text) and 0 < entity.score <= 1


def test_ner_only_and_joint_corpora_train_together(tmp_path, handful):
    path, records = handful
    conll = tmp_path / "ner.conll"
    conll.write_text("زار B-PER\nبوتين I-PER\nالقاهرة B-LOC\n.\tO\n\nوصل O\nالوفد O\nإلى O\nبغداد B-LOC\n\n",
                     encoding="utf-8")
    config = small_config(tmp_path, path, epochs=2, train_files=[str(path), str(conll)])
    result = Trainer(config).train()
    model = JointTagger.from_pretrained(Path(config.output.output_dir) / "model").model
    schema = model.config.label_schema
    assert "LOC" in schema.entity_types and "PER" in schema.entity_types  # from the CoNLL file
    assert set(schema.event_types) == {e.type for r in records for e in r.events}
    assert result["steps"] > 0


def run_cli(args, env_extra=None, **kwargs):
    env = dict(os.environ, **(env_extra or {}))
    return subprocess.Popen([sys.executable, "-m", "arabic_ie.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_result(tmp_path, handful):
    path, _ = handful
    # 36 steps, every other one checkpointed and all kept: the kill lands after a mid-epoch
    # checkpoint with time to spare (with 12 steps and one kept, a fast run slipped past the poll)
    common = ["--model", "tiny", "--train", str(path), "--dev", str(path), "--epochs", "12", "--seed", "3",
              "batch_size=2", "max_length=64", "stride=8", "checkpoint_every=2", "keep_checkpoints=20",
              f"tiny={json.dumps(TINY)}", "learning_rate=0.003", "head_learning_rate=0.003"]
    whole = run_cli(["train", "--output", str(tmp_path / "whole"), *common])
    assert whole.wait(timeout=300) == 0, whole.stdout.read().decode()

    killed = run_cli(["train", "--output", str(tmp_path / "killed"), *common])
    checkpoints = tmp_path / "killed" / "checkpoints"
    deadline = time.time() + 240
    while time.time() < deadline:  # kill it mid-epoch, once a mid-epoch checkpoint exists
        assert killed.poll() is None, "the run ended before it could be killed"
        done = [p for p in checkpoints.glob("step-*") if (p / "DONE").exists()] if checkpoints.exists() else []
        if any(int(p.name[-6:]) > 0 for p in done) and len(done) >= 1 and any(int(p.name[5:14]) >= 6 for p in done):
            break
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert not (tmp_path / "killed" / "metrics.json").exists()  # it really was interrupted
    resumed = run_cli(["train", "--output", str(tmp_path / "killed"), "--resume", *common])
    output = resumed.communicate(timeout=300)[0].decode()
    assert resumed.returncode == 0, output
    assert "Resuming from" in output
    a = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    b = json.loads((tmp_path / "killed" / "metrics.json").read_text())
    assert a["steps"] == b["steps"] and a["best_epoch"] == b["best_epoch"]
    assert a["metrics"] == b["metrics"]
    history = lambda run: (tmp_path / run / "metrics.jsonl").read_text()  # noqa: E731
    assert history("whole") == history("killed")


def test_bad_configs_give_clear_errors(tmp_path, handful):
    path, _ = handful
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: tiny\ntrain_files: [x.jsonl]\nlearning_rat: 0.1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml: unknown option\(s\) 'learning_rat' \(did you mean 'learning_rate'\?\)"):
        read_config(bad)
    with pytest.raises(ConfigError, match="metric_for_best must be one of"):
        read_config(None, ["metric_for_best=accuracy"], train_files=["x"])
    with pytest.raises(ConfigError, match="train_files"):
        read_config(None, ["epochs=2"])
    with pytest.raises(ConfigError, match="batch_size must be a positive integer"):
        read_config(None, ["batch_size=0"], train_files=["x"])
    with pytest.raises(ConfigError, match="key=value"):
        read_config(None, ["epochs"], train_files=["x"])
    with pytest.raises(ConfigError, match="lstm_layers must be a whole number"):
        read_config(None, ["lstm_layers=-1"], train_files=["x"])
    with pytest.raises(ConfigError, match="word_attributes needs char_features"):
        read_config(None, ["word_attributes=true"], train_files=["x"])
    with pytest.raises(ConfigError, match="neighbour_features needs word_attributes"):
        read_config(None, ["char_features=true", "neighbour_features=true"], train_files=["x"])


@pytest.mark.parametrize("override, message", [
    ("crf=None", "crf must be true or false, got 'None'"),
    ("crf=maybe", "crf must be true or false, got 'maybe'"),
    ("weight_decay=lots", "weight_decay must be a number, got 'lots'"),
    ("epochs=true", "epochs must be a whole number, got True"),
    ("max_steps=-5", "max_steps must be a positive integer, got -5"),
    ("tiny={hidden_sise: 10}", "tiny: unknown setting 'hidden_sise' (did you mean 'hidden_size'?)"),
    ("tiny={hidden_size: big}", "tiny.hidden_size must be a whole number, got 'big'"),
    ("learnin_rate=0.1", "'learnin_rate' (did you mean 'learning_rate'?)"),
])
def test_every_setting_is_typed_and_a_misspelt_one_is_named(override, message):
    with pytest.raises(ConfigError) as err:
        read_config(None, [override], train_files=["x"])
    assert message in str(err.value)
    with pytest.raises(ConfigError, match="crf cannot be combined with label_all_subwords"):
        read_config(None, ["crf=true", "label_all_subwords=true"], train_files=["x"])


def test_yaml_1e_2_and_boolean_words_arrive_as_the_values_users_mean(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("train_files: x.jsonl\nlearning_rate: 1e-2\ncrf: yes\ntiny: {vocab_size: 3000}\n", encoding="utf-8")
    config = read_config(recipe)  # YAML 1.1 reads 1e-2 as a string
    assert config.training.learning_rate == 0.01 and isinstance(config.training.learning_rate, float)
    assert config.model.crf is True and config.model.tiny == {"vocab_size": 3000} and config.data.train_files == ["x.jsonl"]
    for override in ("learning_rate=1e-2", "learning_rate=0.01"):
        assert read_config(recipe, [override]).training.learning_rate == 0.01


def test_the_config_is_a_tree_and_every_model_setting_is_reachable(tmp_path):
    """Four groups (data, model, training, output); each keyword of the model's config is a
    setting a recipe can give, and it reaches the model's config."""
    import dataclasses
    import inspect

    from arabic_ie.model.configuration import ArabicIEConfig

    config = read_config(None, ["neighbour_window=3", "char_kernel_sizes=[3, 5]", "argument_hidden_size=128"],
                                   train_files=["x"], model="tiny", output="runs/x")
    assert [f.name for f in dataclasses.fields(config)] == ["data", "model", "training", "output"]
    assert config.model.encoder == "tiny" and config.output.output_dir == "runs/x" and config.data.train_files == ["x"]
    built = ArabicIEConfig(**config.model.layer_settings())
    assert (built.neighbour_window, built.char_kernel_sizes, built.argument_hidden_size) == (3, [3, 5], 128)
    owned_elsewhere = {"self", "kwargs", "encoder", "schema", "features", "base_model"}  # set by build_model
    model_keywords = set(inspect.signature(ArabicIEConfig.__init__).parameters) - owned_elsewhere
    assert model_keywords == set(config.model.layer_settings())
    with pytest.raises(ConfigError, match="char_kernel_sizes must be positive widths"):
        read_config(None, ["char_kernel_sizes=[0]"], train_files=["x"])


def test_resume_without_a_checkpoint_refuses_and_trains_nothing(tmp_path, handful):
    path, _ = handful
    config = small_config(tmp_path, path, epochs=1)
    with pytest.raises(ConfigError, match="holds no complete checkpoint to continue from"):
        Trainer(config).train(resume=True)
    assert not (tmp_path / "run" / "model").exists()


def test_the_schedule_follows_the_steps_that_run(tmp_path, handful, monkeypatch):
    """epochs=1 over a config with max_steps 1400: warm-up and decay fit the one epoch."""
    import transformers

    import arabic_ie.training.trainer as trainer_module

    path, _ = handful
    seen = {}
    real = transformers.get_scheduler

    def spy(name, optimizer, num_warmup_steps, num_training_steps):
        seen.update(warmup=num_warmup_steps, total=num_training_steps)
        return real(name, optimizer, num_warmup_steps=num_warmup_steps, num_training_steps=num_training_steps)

    monkeypatch.setattr(trainer_module, "get_scheduler", spy)
    result = Trainer(small_config(tmp_path, path, epochs=1, max_steps=1400, warmup_ratio=0.1)).train()
    assert seen["total"] == result["steps"] == 3  # six sentences, batches of two
    assert seen["warmup"] == 0


def test_unknown_labels_in_dev_are_a_clear_error(tmp_path, handful):
    path, records = handful
    dev = tmp_path / "dev.jsonl"
    odd = records[0].to_dict()
    odd["entities"][0]["type"] = "WEAPON"
    dev.write_text(json.dumps(odd, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"never shows, so the model cannot learn them: entity type 'WEAPON' \(dev record"):
        Trainer(small_config(tmp_path, path, dev=dev, epochs=1)).train()
    assert not (tmp_path / "run").exists()  # refused before any work: no empty checkpoints/ left behind


def test_a_corpus_without_labels_is_refused_and_leaves_nothing(tmp_path):
    """A labelled file read as plain text (or an export of unannotated tasks) trained on nothing."""
    plain = tmp_path / "plain.txt"
    plain.write_text("قال الرئيس المصري في القاهرة إن المحادثات ستستأنف.\nوصل الوفد إلى بغداد أمس.\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="holds no entity or event labels, so there is nothing to learn"):
        Trainer(small_config(tmp_path, plain, epochs=1)).train()
    assert not (tmp_path / "run").exists()


def test_a_second_run_into_one_output_folder_fails_at_once(tmp_path, handful):
    from arabic_ie.data.locks import LockedError, exclusive_lock

    path, _ = handful
    config = small_config(tmp_path, path, epochs=1)
    (tmp_path / "run").mkdir()
    with exclusive_lock(tmp_path / "run"):
        started = time.time()
        with pytest.raises(LockedError, match=f"in use by another run: pid {os.getpid()}"):
            Trainer(config).train()
        assert time.time() - started < 5
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_a_bad_test_file_fails_before_the_first_step(tmp_path, handful):
    from arabic_ie.data.errors import CorpusError

    path, _ = handful
    bad = tmp_path / "test.jsonl"
    bad.write_text(path.read_text(encoding="utf-8") + '{"id": "x", "text": \n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"test.jsonl:7: bad JSON"):
        Trainer(small_config(tmp_path, path, epochs=1, test_files=[str(bad)])).train()
    assert not (tmp_path / "run" / "checkpoints").exists() and not (tmp_path / "run" / "model").exists()


class Killed(Exception):
    """Stands for a kill -9 right after a checkpoint is written."""


def test_mid_epoch_kills_resume_to_identical_weights(tmp_path, handful, monkeypatch):
    """Three kills, each mid-epoch, then resumes: the same weights as one uninterrupted run, to
    the bit (dropout draws from torch's generator, so one extra draw on resume changes them)."""
    from safetensors.torch import load_file

    path, _ = handful
    settings = dict(epochs=2, checkpoint_every=1)
    Trainer(small_config(tmp_path / "whole", path, **settings)).train()

    kills = [1, 2, 5]  # 3 steps an epoch: two kills in the first epoch, one in the second
    save = Trainer._save_checkpoint

    def save_then_die(self):
        save(self)
        if kills and self.state.global_step == kills[0] and 0 < self.state.step_in_epoch < 3:
            kills.pop(0)
            raise Killed

    monkeypatch.setattr(Trainer, "_save_checkpoint", save_then_die)
    resume, runs = False, 0
    while True:
        runs += 1
        try:
            Trainer(small_config(tmp_path / "killed", path, **settings)).train(resume=resume)
            break
        except Killed:
            resume = True
    assert runs == 4 and not kills
    whole = load_file(tmp_path / "whole" / "run" / "model" / "model.safetensors")
    killed = load_file(tmp_path / "killed" / "run" / "model" / "model.safetensors")
    assert whole.keys() == killed.keys()
    assert all(bool((whole[k] == killed[k]).all()) for k in whole)


def test_rank_zero_renames_a_checkpoint_only_after_every_rank_saved(tmp_path, handful, monkeypatch):
    """In multi-process training each rank writes its own random-state file into the temporary
    folder; rank 0 must wait for all of them before renaming it into a resumable checkpoint."""
    import arabic_ie.training.checkpoints as checkpoints

    path, _ = handful
    events = []

    class Accelerator:  # records the order of the collective calls
        is_main_process = True

        def save_state(self, folder):
            Path(folder).mkdir(parents=True)
            events.append("save_state")

        def wait_for_everyone(self):
            events.append("barrier")

    trainer = Trainer(small_config(tmp_path, path, epochs=1))
    trainer.accelerator = Accelerator()
    real_replace = os.replace
    monkeypatch.setattr(checkpoints.os, "replace", lambda a, b: (events.append("rename"), real_replace(a, b)))
    trainer._save_checkpoint()
    assert events.index("barrier") < events.index("rename")


def test_a_full_disk_during_training_is_one_line_naming_the_intact_checkpoint(tmp_path, handful, monkeypatch):
    from accelerate import Accelerator

    from arabic_ie.training.trainer import TrainingWriteError

    path, _ = handful
    saves = []
    real_save = Accelerator.save_state

    def save_state(self, folder, *args, **kwargs):
        saves.append(folder)
        if len(saves) == 3:  # torch's writer on a full disk: a C++ error with no errno
            raise RuntimeError("[enforce fail at inline_container.cc:664] . unexpected pos 5184 vs 5072")
        return real_save(self, folder, *args, **kwargs)

    monkeypatch.setattr(Accelerator, "save_state", save_state)
    monkeypatch.setattr("shutil.disk_usage", lambda p: type("Usage", (), {"free": 0})())
    config = small_config(tmp_path, path, epochs=3, checkpoint_every=1)
    with pytest.raises(TrainingWriteError) as caught:
        Trainer(config).train()
    message = str(caught.value)
    assert message.startswith(f"cannot write a checkpoint in {tmp_path / 'run' / 'checkpoints'}: the disk is full;")
    assert "the last complete checkpoint, " in message and "step-000000002" in message and "--resume" in message
    assert "\n" not in message
    monkeypatch.setattr(Accelerator, "save_state", real_save)
    monkeypatch.undo()
    assert Trainer(config).train(resume=True)["steps"] == 9  # and it resumes from there

    with pytest.raises(TrainingWriteError, match="the file-size limit"):  # safetensors' own error text
        with Trainer(config)._writing("x"):
            raise type("SafetensorError", (Exception,), {})("Error while serializing: I/O error: File too large (os error 27)")
    with pytest.raises(ValueError, match="not a write"):  # other errors pass through untouched
        with Trainer(config)._writing("x"):
            raise ValueError("not a write")


def test_max_steps_gradient_accumulation_and_checkpoint_rotation(tmp_path, handful):
    path, _ = handful
    config = small_config(tmp_path, path, epochs=5, gradient_accumulation_steps=2, checkpoint_every=1,
                          keep_checkpoints=2, max_steps=3)
    result = Trainer(config).train()
    assert result["steps"] == 3  # 3 batches an epoch, 2 per optimizer step: it stopped in epoch 2
    kept = sorted(p.name for p in (tmp_path / "run" / "checkpoints").glob("step-*"))
    assert len(kept) == 2 and kept[-1].startswith("step-000000003")  # only the newest two are kept


def test_early_stopping_after_patience_epochs_without_improvement(tmp_path, handful):
    path, _ = handful
    config = small_config(tmp_path, path, epochs=10, patience=1, learning_rate=1e-12, head_learning_rate=1e-12)
    result = Trainer(config).train()
    epochs = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(epochs) == 2 and result["best_epoch"] == 1  # epoch 2 did not improve: stopped there


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path, capsys):
    """The main job's whole path, shortened: 10 steps, no CRF yardstick (test_crf_baseline
    covers it; it takes 2.5 minutes on the demo's corpora)."""
    from arabic_ie.demo import run_demo

    card = tmp_path / "model_card.md"
    assert run_demo(str(tmp_path / "demo"), epochs=1, card=card, max_steps=10, crf=False) == 0
    printed = capsys.readouterr().out
    metrics = json.loads((tmp_path / "demo" / "metrics.json").read_text())["metrics"]
    assert metrics["test"]["counts"]["gold_entities"] > 0
    for name in ("ANERcorp-EE dev (real news)", "sample dev", "sample test"):
        assert name in printed
    assert "majority label per word" in printed and "arabic-ie (arwiki-small)" in printed
    text = card.read_text(encoding="utf-8")  # the card of what was trained, with the baselines beside
    assert "license: cc-by-sa-4.0" in text and "ANERcorp-EE" in text and "#### ANERcorp-EE dev (real news)" in text
    assert "| majority label per word |" in text and "pretrained by `arabic-ie pretrain`" in text
    assert text == (tmp_path / "demo" / "model" / "README.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_file_size_limit_during_train_is_one_line_and_the_resume_command(tmp_path, handful):
    """The real path: torch's C++ writer under RLIMIT_FSIZE (SIGXFSZ ignored, as a full disk)."""
    import resource

    path, _ = handful

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))

    out = tmp_path / "run"
    command = [sys.executable, "-m", "arabic_ie.cli", "train", "--model", "tiny", "--train", str(path),
               "--output", str(out), "--epochs", "2", "batch_size=2", "max_length=64", "stride=8",
               "checkpoint_every=1", f"tiny={json.dumps(TINY)}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, preexec_fn=limit)
    assert done.returncode == 2 and "Traceback" not in done.stderr and "inline_container" not in done.stderr
    lines = done.stderr.splitlines()
    at = next(k for k, line in enumerate(lines) if line.startswith("arabic-ie train: error:"))
    assert lines[at].startswith(f"arabic-ie train: error: cannot write a checkpoint in {out / 'checkpoints'}: "
                                "the file-size limit (ulimit -f) was reached; no checkpoint was complete yet")
    assert lines[at + 1].strip().startswith("arabic-ie train --model tiny") and lines[at + 1].endswith("--resume")


def test_one_short_batch_at_most_and_it_comes_last():
    """Issue 22: every chunk's remainder made a short batch, shuffled into the middle of the epoch."""
    from arabic_ie.training.sampler import LengthGroupedBatchSampler

    lengths = [(k * 37) % 61 + 3 for k in range(1003)]
    sampler = LengthGroupedBatchSampler(lengths, batch_size=8, seed=3, group_factor=5)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        batches = sampler.batches()
        assert [len(b) for b in batches[:-1]] == [8] * (len(batches) - 1) and len(batches[-1]) == 1003 % 8
        assert sorted(k for b in batches for k in b) == list(range(1003))
    sampler.set_epoch(0)
    first = sampler.batches()
    sampler.set_epoch(1)
    assert sampler.batches() != first


def test_outputs_of_an_earlier_run_in_the_folder_are_never_taken_for_this_runs(tmp_path, handful, sample_records):
    """Issue 22: with no dev set (or max_steps stopping mid-epoch) the model/ an earlier run left
    was scored and reported as this run's, and its metrics.json stayed when this run failed."""
    from arabic_ie.data.schema import LabelSchema

    path, chosen = handful
    other = tmp_path / "other.jsonl"
    write_jsonl([r for r in sample_records["train"] if r.events][40:60], other)
    Trainer(small_config(tmp_path, other, epochs=1)).train()  # an earlier run: other labels, other weights
    earlier = json.loads((tmp_path / "run" / "model" / "config.json").read_text())["schema"]
    config = small_config(tmp_path, path, epochs=3, max_steps=4, dev_files=[])
    result = Trainer(config).train()
    saved = json.loads((tmp_path / "run" / "model" / "config.json").read_text())["schema"]
    ours = json.loads(json.dumps(LabelSchema.from_records(chosen).to_dict()))
    assert result["steps"] == 4 and saved == ours
    assert saved != earlier  # this run's labels, not the earlier run's

    (tmp_path / "run" / "report.md").write_text("an earlier run's report")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(Exception):
        Trainer(small_config(tmp_path, path, test_files=[str(bad)])).train()
    assert not (tmp_path / "run" / "metrics.json").exists() and not (tmp_path / "run" / "report.md").exists()
