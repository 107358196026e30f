"""The CRF baseline (training/crf_baseline.py) on real sample sentences."""
import os

import pytest

from arabic_ie.data.text import strip_clitic, word_shape
from arabic_ie.training.crf_baseline import CrfBaseline, CrfSettings, sentence_features
from arabic_ie.training.metrics import score

if os.environ.get("CI") != "true":  # CI installs the [test] extra, which has it: never skip there
    pytest.importorskip("sklearn_crfsuite", reason="the CRF baseline needs arabic-ie[crf]")


def test_features_see_clitics_shape_and_neighbours():
    assert strip_clitic("والقاهرة") == "قاهرة" and strip_clitic("بمصر") == "مصر" and strip_clitic("في") == "في"
    assert word_shape("2024م") == "da" and word_shape("CNN") == "L"
    rows = sentence_features(["زار", "بوتين", "القاهرة"], window=2)
    assert rows[1]["w"] == "بوتين" and rows[1]["-1:w"] == "زار" and rows[1]["1:stem"] == "قاهرة"
    assert rows[0]["-1:edge"] and rows[0]["2:w"] == "القاهرة" and "-2:w" not in rows[0]


def test_crf_baseline_learns_entities_triggers_and_arguments(sample_records):
    train = [r for r in sample_records["train"] if len(r.text) < 160][:50]
    crf = CrfBaseline(train, CrfSettings(max_iterations=60))
    predicted = [crf.predict(r) for r in train]
    scores = score(train, predicted)
    assert scores["entities"]["overall"]["f1"] > 0.9  # it fits what it saw
    assert scores["triggers"]["classification"]["f1"] > 0.8
    assert scores["arguments"]["classification"]["f1"] > 0.5
    assert all(p.id == g.id and p.text == g.text for p, g in zip(predicted, train))
    dev = sample_records["dev"][:20]
    assert score(dev, [crf.predict(r) for r in dev])["entities"]["overall"]["f1"] > 0.2  # and generalises a little
