"""Pretraining (``arabic-ie pretrain``): the tokenizer, masked-LM steps on real Arabic news text
(the shipped ANERcorp-EE training sentences), exact resume after kill -9, and the saved folder
loading with ``AutoModel`` and fine-tuning through ``arabic-ie train``."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import torch

from arabic_ie.data.features import FeatureBuilder, FeatureConfig
from arabic_ie.data.schema import LabelSchema
from arabic_ie.data.text import split_words
from arabic_ie.data.word_clusters import WORD_CLUSTERS_FILE, WordClusters
from arabic_ie.model.hub import ModelLoadError
from arabic_ie.training.config import ConfigError
from arabic_ie.training.pretrain import Pretrainer, normalised_text, read_lines, train_tokenizer
from arabic_ie.training.pretrain_config import PretrainConfig

REPO = Path(__file__).resolve().parents[1]
NEWS = REPO / "data" / "anercorp" / "train.jsonl"
HELDOUT = REPO / "data" / "anercorp" / "dev.jsonl"
SMALL = dict(vocab_size=1500, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
             max_length=64, batch_size=16, shuffle_buffer=64, heldout_sequences=32, warmup_steps=2,
             learning_rate=5e-3, cluster_levels=[4, 32], cluster_words=3000)


def small_config(tmp_path: Path, **overrides) -> PretrainConfig:
    """A few seconds of pretraining on the shipped news text."""
    return PretrainConfig(**{"text_files": [str(NEWS)], "heldout_files": [str(HELDOUT)],
                             "output_dir": str(tmp_path / "pretrain"), **SMALL, **overrides})


@pytest.fixture(scope="module")
def pretrained(tmp_path_factory) -> tuple[Path, dict]:
    """An encoder pretrained for 40 steps, and the run's figures."""
    config = small_config(tmp_path_factory.mktemp("pt"), max_steps=40, checkpoint_every=20)
    result = Pretrainer(config).run()
    return Path(config.output_dir) / "encoder", result


def test_tokenizer_is_learnt_on_the_text_as_fine_tuning_normalises_it():
    tokenizer = train_tokenizer([str(NEWS)], vocab_size=2000)
    assert len(tokenizer) == 2000
    vocab = tokenizer.get_vocab()
    assert {"في", "[CLS]", "[MASK]"} <= set(vocab)  # a frequent word is one token
    # hamza forms stay apart (no accent stripping), and diacritics are gone before training
    assert tokenizer.tokenize("أحمد") != tokenizer.tokenize("احمد")
    assert not any("\u064e" in token for token in vocab)  # fatha: stripped by the AraBERT normalisation
    sentence = next(read_lines(HELDOUT))
    builder = FeatureBuilder(tokenizer, LabelSchema(), FeatureConfig())
    assert normalised_text(sentence) == " ".join(builder.normalised([w.text for w in split_words(sentence)]))
    assert tokenizer.unk_token not in tokenizer.tokenize(normalised_text(sentence))


def test_bad_json_line_is_named(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "نص"}\n{"txt": "نص"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.jsonl, line 2: not a JSON record with a 'text' field"):
        list(read_lines(bad))


def test_settings_are_checked(tmp_path):
    with pytest.raises(ConfigError, match="text_files"):
        PretrainConfig(text_files=[])
    with pytest.raises(ConfigError, match="no such text file"):
        PretrainConfig(text_files=[str(tmp_path / "missing.txt")])
    with pytest.raises(ConfigError, match="multiple of num_attention_heads"):
        small_config(tmp_path, hidden_size=30, num_attention_heads=4)
    with pytest.raises(ConfigError, match="objective must be mlm or clusters"):
        small_config(tmp_path, objective="electra")
    with pytest.raises(ConfigError, match="cluster_levels must not be empty"):
        small_config(tmp_path, objective="clusters", cluster_levels=[])


def test_masked_lm_steps_learn_and_save_a_loadable_encoder(pretrained):
    from safetensors import safe_open
    from transformers import AutoModel, AutoTokenizer

    folder, result = pretrained
    assert result["steps"] == 40 and result["tokens"] == 40 * 16 * 64
    # a uniform guess over the vocabulary scores a perplexity of 1500 (an untrained encoder ~1550)
    assert 1 < result["heldout_perplexity"] < 900
    saved = json.loads((folder / "pretraining.json").read_text(encoding="utf-8"))
    assert saved["heldout_perplexity"] == result["heldout_perplexity"]
    with safe_open(str(folder / "model.safetensors"), "pt") as weights:  # fp16 on disk
        assert all(weights.get_tensor(k).dtype == torch.float16 for k in weights.keys())
    encoder = AutoModel.from_pretrained(folder)
    assert type(encoder).__name__ == "BertModel" and next(encoder.parameters()).dtype == torch.float32
    assert encoder.config.max_position_embeddings == 64
    tokenizer = AutoTokenizer.from_pretrained(folder)
    assert tokenizer.is_fast and tokenizer.model_max_length == 64
    assert oct((folder / "model.safetensors").stat().st_mode & 0o044) == oct(0o044 & ~_umask())  # readable by others


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_whole_words_are_masked_and_labelled_with_their_clusters(pretrained):
    """A masked word loses all its pieces at once (a half-masked word gives its cluster away), the
    target is its cluster at every level (through a clitic: ``بالقاهرة`` is ``القاهرة``), a word
    the table lacks gets each level's extra class, and a word cut at the sequence's start is no target."""
    from transformers import PreTrainedTokenizerFast

    from arabic_ie.training.masked_clusters import ClusterTargets, masked_cluster_batch, word_starts

    assert word_starts(["[CLS]", "##ية", "قال", "الر", "##ئي", "##س", "[SEP]"], {"[CLS]", "[SEP]"}) == [(2, 3), (3, 6)]
    tokenizer = PreTrainedTokenizerFast.from_pretrained(pretrained[0])
    clusters = WordClusters((4, 32), {"القاهرة": (1, 7), "قال": (2, 20)})
    targets = ClusterTargets(tokenizer, clusters)
    ids = tokenizer(normalised_text("قال مسؤول بالقاهرة"))["input_ids"]
    pieces = tokenizer.convert_ids_to_tokens(ids)
    words = targets.of(ids)
    assert [c for _, _, c in words] == [(2, 20), (4, 32), (1, 7)]
    assert any(end - start > 1 for start, end, _ in words)  # the small vocabulary splits a word into pieces
    assert "".join(p.removeprefix("##") for p in pieces[words[2][0]:words[2][1]]) == "بالقاهرة"

    torch.manual_seed(0)
    batch = masked_cluster_batch([ids] * 200, targets, probability=0.5)
    masked_rows = batch["positions"][:, 0].tolist()
    assert 200 < len(masked_rows) < 400  # about half of 600 words
    for (row, start), labels in zip(batch["positions"].tolist(), batch["labels"].tolist()):
        start_, end, expected = next(w for w in words if w[0] == start)
        assert tuple(labels) == expected
        got = batch["input_ids"][row, start_:end]
        assert (got == tokenizer.mask_token_id).all() or not (got == tokenizer.mask_token_id).any()
    as_mask = sum(bool((batch["input_ids"][r, s] == tokenizer.mask_token_id)) for r, s in batch["positions"].tolist())
    assert 0.7 < as_mask / len(masked_rows) < 0.9  # BERT's 80 / 10 / 10
    unmasked = sorted(set(range(200)) - set(masked_rows))
    assert all(batch["input_ids"][r].tolist() == ids for r in unmasked)  # untouched where nothing was chosen


def test_masked_clusters_learn_and_save_an_encoder_without_their_heads(tmp_path):
    """``objective: clusters``: the held-out loss of the masked words' clusters falls far below a
    uniform guess's, the saved folder is a plain encoder, and the card says what was trained."""
    import math

    from safetensors import safe_open
    from transformers import AutoModel

    config = small_config(tmp_path, objective="clusters", max_steps=60, checkpoint_every=30)
    result = Pretrainer(config).run()
    folder = Path(config.output_dir) / "encoder"
    uniform = math.log(5) + math.log(33)  # 4 and 32 clusters, and "not in the table" at each level
    assert result["heldout_perplexity"] is None
    assert 0 < result["heldout_cluster_entropy"] < uniform and 0 < result["heldout_cluster_loss"] < 0.7 * uniform
    encoder = AutoModel.from_pretrained(folder)
    assert type(encoder).__name__ == "BertModel"
    with safe_open(str(folder / "model.safetensors"), "pt") as weights:
        assert not [k for k in weights.keys() if "heads" in k or "transform.0" in k]
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "whole words masked and their clusters predicted" in card and "--objective clusters" in card
    assert f"cluster loss {result['heldout_cluster_loss']:.2f} nats" in card


def test_resume_without_a_checkpoint_refuses(tmp_path):
    with pytest.raises(ConfigError, match="holds no complete checkpoint"):
        Pretrainer(small_config(tmp_path, max_steps=2)).run(resume=True)


def _command(config: PretrainConfig) -> list[str]:
    args = [sys.executable, "-m", "arabic_ie.cli", "pretrain"]
    for name, value in config.__dict__.items():
        if value is None or value == []:
            continue
        option = "--" + name.replace("_", "-")
        args += [option, *map(str, value)] if isinstance(value, list) else [option, str(value)]
    return args


@pytest.mark.slow
@pytest.mark.parametrize("objective", ["mlm", "clusters"])
def test_resume_after_kill_9_ends_with_the_weights_of_an_uninterrupted_run(tmp_path, pretrained, objective):
    import shutil

    from safetensors.torch import load_file

    tokenizer = str(pretrained[0])  # both runs on one vocabulary (the trainer breaks ties by hash order)
    settings = dict(tokenizer=tokenizer, max_steps=12, checkpoint_every=3, objective=objective)
    straight = small_config(tmp_path / "straight", **settings)
    killed = small_config(tmp_path / "killed", **settings)
    for config in (straight, killed):  # one cluster table for both (gensim's threads race)
        Path(config.output_dir).mkdir(parents=True)
        shutil.copyfile(pretrained[0] / WORD_CLUSTERS_FILE, Path(config.output_dir) / WORD_CLUSTERS_FILE)
    Pretrainer(straight).run()

    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    process = subprocess.Popen(_command(killed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker = Path(killed.output_dir) / "checkpoints" / "step-000000006" / "DONE"
    deadline = time.time() + 240
    while not marker.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the run never reached its step-6 checkpoint"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (Path(killed.output_dir) / "encoder").exists()
    resumed = subprocess.run([*_command(killed), "--resume"], env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "Resuming from" in resumed.stdout + resumed.stderr

    a = load_file(str(Path(straight.output_dir) / "encoder" / "model.safetensors"))
    b = load_file(str(Path(killed.output_dir) / "encoder" / "model.safetensors"))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_train_fine_tunes_the_pretrained_folder_through_the_hub_encoder_path(tmp_path, pretrained):
    from transformers import AutoModel

    from arabic_ie.cli import main
    from arabic_ie.model.build import build_model
    from arabic_ie.model.tagger import JointTagger
    from arabic_ie.data.jsonl import read_jsonl

    folder = pretrained[0]
    train = list(read_jsonl(REPO / "data" / "sample" / "train.jsonl"))
    model, _ = build_model(str(folder), LabelSchema.from_records(train), FeatureConfig(max_length=256), train)
    encoder = AutoModel.from_pretrained(folder)
    assert torch.equal(model.encoder.embeddings.word_embeddings.weight, encoder.embeddings.word_embeddings.weight)
    assert model.config.feature_config.max_length == 64  # windows capped at the encoder's positions

    out = tmp_path / "run"
    code = main(["train", "--config", str(REPO / "configs" / "sample-tiny.yaml"), "--model", str(folder),
                 "--output", str(out), "max_steps=2", "epochs=1", "word_attributes=true", "word_clusters=true"])
    assert code == 0
    tagger = JointTagger.from_pretrained(out / "model")
    assert tagger.model.config.base_model == str(folder)
    # the encoder's word clusters travel with the model: saved beside it, read back, in every word's row
    assert (out / "model" / WORD_CLUSTERS_FILE).read_bytes() == (folder / WORD_CLUSTERS_FILE).read_bytes()
    assert tagger.model.word_clusters.levels == (4, 32) and tagger.model.config.feature_config.cluster_levels == 2
    record = tagger.predict("وسيطرت فصائل المعارضة على مدينة سراقب أمس الجمعة.")
    assert record.text.startswith("وسيطرت")
    (out / "model" / WORD_CLUSTERS_FILE).unlink()
    with pytest.raises(ModelLoadError, match=f"missing: {WORD_CLUSTERS_FILE}"):
        JointTagger.from_pretrained(out / "model")


def test_shipped_encoder_name_falls_back_to_tiny_with_a_warning_when_missing(tmp_path, monkeypatch, caplog):
    from arabic_ie.model import build

    monkeypatch.setattr(build, "SHIPPED_ENCODER_DIR", tmp_path / "absent")
    with caplog.at_level("WARNING"):
        assert build.resolve_base_model(build.SHIPPED_ENCODER) == build.TINY
    assert "no pretrained encoder" in caplog.text and "from scratch" in caplog.text
    assert build.resolve_base_model("some/hub-id") == "some/hub-id"


def test_shipped_encoder_loads_within_its_size_limit():
    from transformers import AutoModel, AutoTokenizer

    from arabic_ie.model.build import SHIPPED_ENCODER, SHIPPED_ENCODER_DIR, resolve_base_model

    assert resolve_base_model(SHIPPED_ENCODER) == str(SHIPPED_ENCODER_DIR)
    size = sum(f.stat().st_size for f in SHIPPED_ENCODER_DIR.rglob("*") if f.is_file())
    assert size <= 16 * 2 ** 20
    card = (SHIPPED_ENCODER_DIR / "README.md").read_text(encoding="utf-8")
    assert "cc-by-sa-4.0" in card and "arabic-ie pretrain" in card
    info = json.loads((SHIPPED_ENCODER_DIR / "pretraining.json").read_text(encoding="utf-8"))
    assert info["embeddings"] == "word2vec" and info["config"]["license"] == "cc-by-sa-4.0"
    encoder = AutoModel.from_pretrained(SHIPPED_ENCODER_DIR)
    tokenizer = AutoTokenizer.from_pretrained(SHIPPED_ENCODER_DIR)
    ids = tokenizer(normalised_text("قال الرئيس المصري في القاهرة"), return_tensors="pt")
    assert encoder(**ids).last_hidden_state.shape[-1] == encoder.config.hidden_size


def test_a_half_precision_checkpoint_fine_tunes_in_float32(tmp_path, pretrained, sample_records):
    """Weights and config saved as float16 (the shipped encoder's weights; many hub checkpoints)
    once built fp16 encoder layers under fp32 heads, and training failed on the first batch."""
    import shutil

    from arabic_ie.model.build import build_model

    folder = tmp_path / "fp16"
    shutil.copytree(pretrained[0], folder)
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    (folder / "config.json").write_text(json.dumps({**config, "dtype": "float16"}), encoding="utf-8")
    train = sample_records["train"]
    model, _ = build_model(str(folder), LabelSchema.from_records(train), FeatureConfig(max_length=64, stride=8), train,
                           char_features=True)
    assert {p.dtype for p in model.parameters()} == {torch.float32}


def test_word2vec_embeddings_without_masked_lm_steps(tmp_path):
    """Static knowledge for its cost: skip-gram vectors of the tokens become the embeddings; with
    max_steps 0 no masked-LM step runs, and the card says so."""
    from transformers import AutoModel

    config = small_config(tmp_path, embeddings="word2vec", max_steps=0, word2vec_epochs=1)
    result = Pretrainer(config).run()
    folder = Path(config.output_dir) / "encoder"
    assert result["steps"] == 0 and result["embeddings"] == "word2vec" and result["word2vec_seconds"] > 0
    assert result["heldout_perplexity"] is None  # an untrained prediction head says nothing
    assert not list(Path(config.output_dir).glob("word2vec-tokens.txt"))  # the token file is removed
    embeddings = AutoModel.from_pretrained(folder).embeddings.word_embeddings.weight
    fresh = AutoModel.from_config(AutoModel.from_pretrained(folder).config).embeddings.word_embeddings.weight
    changed = (embeddings - fresh).abs().sum(-1) > 0
    assert changed.float().mean() > 0.9  # nearly every token has a vector (specials keep theirs)
    assert abs(float(embeddings.std()) / 0.02 - 2.5) < 0.5  # rescaled to sit beside the position embeddings
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "skip-gram word2vec" in card and "keep their random initialisation" in card and "--embeddings word2vec" in card
    # the word clusters of the news text's 3,000 most frequent words, a hierarchy: one coarse cluster per fine one
    clusters = WordClusters.read(folder / WORD_CLUSTERS_FILE)
    assert clusters.levels == (4, 32) and len(clusters.table) == 3000 and result["cluster_seconds"] > 0
    coarse_of_fine = {}
    for coarse, fine in clusters.table.values():
        assert coarse_of_fine.setdefault(fine, coarse) == coarse
    assert len(set(coarse_of_fine)) > 24 and len(set(coarse_of_fine.values())) == 4
    # calendar words gather: gensim's threads race, so no one pair is certain, but across seeds and
    # thread counts 7 to 14 of these 19 shared one fine cluster (5 of 19 in one of 32 by chance: ~1%)
    calendar = ["السبت", "الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "يناير", "فبراير", "مارس",
                "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
    assert Counter(clusters.table[word][1] for word in calendar).most_common(1)[0][1] >= 5
    assert "3,000 most frequent words in 4 / 32 clusters" in card
