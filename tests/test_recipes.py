"""Every shipped recipe through every path that runs a model (issue 22): each config in configs/
and data/ builds its model (random weights, small encoder; the shipped encoder where the recipe
names it, a tiny one in place of a hub encoder), and the library's predict, the ONNX backend, the
batch command and select's uncertainty scoring give the same tags and scores, because they all
go through ``JointTagger.score_windows``. (Ray's workers run the batch path: tests/test_ray_predict.py.)"""
from __future__ import annotations

import argparse
import json

import pytest

from arabic_ie import predict as predict_cli
from arabic_ie.data.features import FeatureConfig
from arabic_ie.data.schema import LabelSchema
from arabic_ie.model.build import SHIPPED_ENCODER, build_model
from arabic_ie.model.hub import save_model
from arabic_ie.model.tagger import JointTagger
from arabic_ie.model.tiny import TinyConfig
from arabic_ie.settings import read_config

from conftest import REPO

RECIPES = sorted([*(REPO / "configs").glob("*.yaml"), *(REPO / "data").glob("*.yaml"), *(REPO / "data").glob("*/*.yaml")])
SMALL = {"vocab_size": 1500, "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}


def spans(record) -> tuple:
    return (sorted((s.start, s.end, s.label) for s in record.entities),
            sorted((e.trigger.start, e.trigger.end, e.type,
                    tuple(sorted((a.start, a.end, a.label) for a in e.arguments))) for e in record.events or []))


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_path_gives_the_same_tags(recipe, tmp_path, sample_records):
    import torch

    pytest.importorskip("onnxruntime")
    config = read_config(recipe)
    base = config.model.encoder if config.model.encoder in ("tiny", SHIPPED_ENCODER) else "tiny"
    torch.manual_seed(11)
    train = sample_records["train"]
    features = FeatureConfig(min(config.data.max_length, 64), min(config.data.stride, 8), config.data.label_all_subwords)
    model, tokenizer = build_model(base, LabelSchema.from_records(train), features, train,
                                   tiny=TinyConfig(**{**config.model.tiny, **SMALL}), **config.model.layer_settings())
    folder = save_model(model, tokenizer, tmp_path / "model")
    texts = [r.text for r in sample_records["test"][:12]] + [" ".join(r.text for r in sample_records["test"][:8])]

    library = JointTagger.from_pretrained(folder, device="cpu")
    expected = library.predict(texts, batch_size=4)
    assert len(library.units([expected[-1]], True)[0].windows) >= 1
    onnx = JointTagger.from_pretrained(folder, backend="onnx")
    assert [spans(r) for r in onnx.predict(texts, batch_size=4)] == [spans(r) for r in expected]

    source = tmp_path / "in.txt"
    source.write_text("\n".join(texts) + "\n", encoding="utf-8")
    parser = predict_cli.add_arguments(argparse.ArgumentParser())
    out = tmp_path / "out.jsonl"
    assert predict_cli.main(parser.parse_args(["--no-progress", "--model", str(folder), "--input", str(source),
                                               "--output", str(out), "--batch-size", "4"])) == 0
    from arabic_ie.data.records import Record

    written = [Record.from_dict(json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [spans(r) for r in written] == [spans(r) for r in expected]

    from arabic_ie.select import sentence_uncertainties

    sentences = [Record(str(k), t, [], None) for k, t in enumerate(texts[:12])]
    by_torch = sentence_uncertainties(library, sentences, batch_size=4)
    by_onnx = sentence_uncertainties(onnx, sentences, batch_size=4)
    assert by_torch == pytest.approx(by_onnx, abs=1e-5)
    assert sum(len(r.entities) for r in expected) > 0  # a random model tags something: not vacuous
