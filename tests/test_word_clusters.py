"""Word clusters learnt from unlabelled text: the table (read, write, look-up), their ids in each
word's feature row, and a model that reads them saving, loading and tagging with its table."""
from __future__ import annotations

import gzip

import pytest
import torch

from arabic_ie.data.chars import HASH_SEEDS, WORD_ATTRIBUTES, CharEncoder, char_row_width
from arabic_ie.data.errors import CorpusError
from arabic_ie.data.features import FeatureBuilder, FeatureConfig
from arabic_ie.data.word_clusters import WORD_CLUSTERS_FILE, WordClusters, read_word_clusters
from arabic_ie.training.pretrain import kmeans

CITIES = {"القاهرة": (1, 3), "طنطا": (1, 3), "بيروت": (1, 4)}
NAMES = {"محمد": (0, 0), "خالد": (0, 0)}


def table() -> WordClusters:
    return WordClusters((2, 8), {**CITIES, **NAMES})


def test_forms_look_up_the_word_then_its_stem_and_mark_unseen_words():
    clusters = table()
    assert clusters.forms("طنطا") == ["c0:1", "c1:3"]
    assert clusters.forms("والقاهرة") == clusters.forms("القاهرة")  # the clitic is stripped for the look-up
    assert clusters.forms("زيمبابوي") == ["c0:-", "c1:-"]


def test_table_round_trips_through_its_file_and_a_broken_line_is_named(tmp_path):
    path = tmp_path / WORD_CLUSTERS_FILE
    table().write(path)
    assert read_word_clusters(tmp_path) == table()
    assert read_word_clusters(tmp_path / "elsewhere") is None
    lines = gzip.open(path, "rt", encoding="utf-8").read().splitlines()
    lines[3] = "بيروت\t1"  # one id where two levels need two
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with pytest.raises(CorpusError, match=r"word_clusters.tsv.gz:4: expected a word, a tab and 2 cluster ids"):
        WordClusters.read(path)


def test_cluster_ids_follow_the_form_ids_and_words_of_one_cluster_share_them():
    encode = CharEncoder("ابتثجحخدذرزسشصضطظعغفقكلمنهوي", max_chars=8, attribute_buckets=1 << 15, clusters=table())
    letters_and_forms = 8 + len(WORD_ATTRIBUTES) * HASH_SEEDS
    assert encode.width == char_row_width(8, 1 << 15, 2) == letters_and_forms + 2 * HASH_SEEDS
    cairo, tanta, beirut, unseen = (encode(w)[letters_and_forms:] for w in ("القاهرة", "طنطا", "بيروت", "زيمبابوي"))
    assert cairo == tanta  # one cluster at both levels
    assert beirut[:HASH_SEEDS] == cairo[:HASH_SEEDS] and beirut[HASH_SEEDS:] != cairo[HASH_SEEDS:]
    assert unseen != cairo and all(0 < i < 1 << 15 for i in unseen)
    without = CharEncoder("ابتثجحخدذرزسشصضطظعغفقكلمنهوي", max_chars=8, attribute_buckets=1 << 15)
    assert encode("القاهرة")[:letters_and_forms] == without("القاهرة")  # letters and forms as before


def test_feature_builder_refuses_a_model_whose_table_is_missing(tiny_model_dir):
    from transformers import AutoTokenizer

    from arabic_ie.data.schema import LabelSchema

    sample_tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    config = FeatureConfig(char_vocab="ابت", attribute_buckets=97, cluster_levels=2)
    with pytest.raises(ValueError, match="reads 2 word-cluster levels, but no word-cluster table"):
        FeatureBuilder(sample_tokenizer, LabelSchema(), config)
    FeatureBuilder(sample_tokenizer, LabelSchema(), config, table())


def test_kmeans_separates_two_groups_of_directions():
    generator = torch.Generator().manual_seed(0)
    east = torch.tensor([1.0, 0.0]) + 0.05 * torch.randn(50, 2, generator=generator)
    north = torch.tensor([0.0, 1.0]) + 0.05 * torch.randn(50, 2, generator=generator)
    points = torch.nn.functional.normalize(torch.cat([east, north]), dim=1)
    _, assign = kmeans(points, 2, seed=3)
    assert len(set(assign[:50].tolist())) == 1 and len(set(assign[50:].tolist())) == 1
    assert assign[0] != assign[50]


def test_a_model_reads_its_encoders_clusters_and_any_other_the_shipped_ones(tmp_path, monkeypatch, caplog):
    """An encoder folder that pretrain built carries its own table; tiny, a hub id or a folder
    without one reads the shipped encoder's; with neither, training goes on without clusters."""
    from arabic_ie.model import build

    shipped = build.word_clusters_for(build.TINY)
    assert shipped.levels == (16, 128, 1024) and len(shipped.table) == 60000
    assert build.word_clusters_for(str(tmp_path)) == shipped  # a folder without a table
    assert build.word_clusters_for("aubmindlab/bert-base-arabertv02") == shipped
    table().write(tmp_path / WORD_CLUSTERS_FILE)
    assert build.word_clusters_for(str(tmp_path)) == table()
    monkeypatch.setattr(build, "SHIPPED_ENCODER_DIR", tmp_path / "absent")
    with caplog.at_level("WARNING"):
        assert build.word_clusters_for(build.TINY) is None
        assert build.word_clusters_for("aubmindlab/bert-base-arabertv02") is None
    assert caplog.text.count("training without word clusters") == 2
