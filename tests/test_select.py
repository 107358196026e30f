"""Uncertainty sampling on a tiny model and a pool made of the sample's dev articles, with
near-copies of a sentence planted in it."""
import json

import numpy as np
import pytest

from arabic_ie import JointTagger, Record
from arabic_ie.cli import main
from arabic_ie.data.formats import read_corpus
from arabic_ie.data.jsonl import write_jsonl
from arabic_ie.select import (SelectConfig, jaccard, pool_sentences, select_uncertain,
                                    sentence_uncertainties, word_uncertainty, _word_set)

from conftest import small_tiny_model


@pytest.fixture(scope="module")
def tagger(tiny_model_dir):
    return JointTagger.from_pretrained(tiny_model_dir, device="cpu")


@pytest.fixture(scope="module")
def pool(sample_records):
    """The dev split as documents (one per article, sentences joined), as a pool would come."""
    articles: dict[str, list[str]] = {}
    for r in sample_records["dev"]:
        articles.setdefault(r.metadata["article"], []).append(r.text)
    return [Record(name, " ".join(texts), [], None) for name, texts in articles.items()]


def test_word_uncertainty_is_zero_when_sure_and_one_when_uniform():
    sure, uniform = np.eye(5)[[0, 3]], np.full((2, 5), 0.2)
    for strategy in ("entropy", "margin"):
        assert word_uncertainty(sure, strategy) == pytest.approx([0, 0], abs=1e-9)
        assert word_uncertainty(uniform, strategy) == pytest.approx([1, 1])
    assert word_uncertainty(np.array([[0.6, 0.4, 0.0]]), "margin") == pytest.approx([0.8])


def test_pool_documents_split_into_sentences_with_offsets(pool):
    sentences = pool_sentences(pool)
    assert len(sentences) > len(pool)
    for s in sentences:
        document = next(d for d in pool if d.id == s.metadata["document"])
        assert document.text[s.metadata["offset"]:s.metadata["offset"] + len(s.text)] == s.text


def test_uncertainty_does_not_depend_on_batching(tagger, pool):
    sentences = pool_sentences(pool)[:20]
    one = sentence_uncertainties(tagger, sentences, batch_size=1)
    many = sentence_uncertainties(tagger, sentences, batch_size=16)
    assert one == pytest.approx(many, abs=1e-5)
    assert all(0.0 <= u <= 1.0 for u in one) and len(set(np.round(one, 6))) > 10


@pytest.mark.parametrize("strategy", ["entropy", "margin"])
def test_selects_k_distinct_sentences_ranked_by_uncertainty_reproducibly(tagger, pool, strategy):
    sentences = pool_sentences(pool)
    config = SelectConfig(k=10, strategy=strategy)
    chosen = select_uncertain(tagger, sentences, config)
    assert len(chosen) == 10 and [c.rank for c in chosen] == list(range(1, 11))
    assert len({c.record.id for c in chosen}) == 10 and len({c.record.text for c in chosen}) == 10
    scores = dict(zip((s.id for s in sentences), sentence_uncertainties(tagger, sentences, strategy)))
    assert [c.uncertainty for c in chosen] == pytest.approx([scores[c.record.id] for c in chosen])
    assert [c.uncertainty for c in chosen] == sorted((c.uncertainty for c in chosen), reverse=True)
    assert chosen[0].uncertainty == pytest.approx(max(scores.values()))
    # every sentence left out is less uncertain than the last one chosen, or a near-copy of a chosen one
    kept = [_word_set(c.record.text) for c in chosen]
    for s in sentences:
        if s.id not in {c.record.id for c in chosen} and scores[s.id] > chosen[-1].uncertainty:
            assert any(jaccard(_word_set(s.text), k) >= config.max_similarity for k in kept), s.text
    again = select_uncertain(tagger, sentences, config)
    assert [(c.record.id, c.uncertainty) for c in again] == [(c.record.id, c.uncertainty) for c in chosen]


def test_near_copies_of_the_most_uncertain_sentence_are_picked_once(tagger, pool):
    sentences = pool_sentences(pool)
    top = select_uncertain(tagger, sentences, SelectConfig(k=1))[0].record
    copies = [Record(f"copy-{n}", top.text, [], []) for n in range(4)]
    variants = [Record(f"variant-{n}", f"{top.text} {word}", [], []) for n, word in enumerate(["أيضاً", "اليوم"])]
    chosen = select_uncertain(tagger, copies + sentences + variants, SelectConfig(k=8))
    ids = [c.record.id for c in chosen]
    family = {"copy-0", "copy-1", "copy-2", "copy-3", top.id, "variant-0", "variant-1"}
    assert ids[0] in family and len(family & set(ids)) == 1  # the most uncertain of them, once
    assert select_uncertain(tagger, copies[2:] + copies[:2], SelectConfig(k=1))[0].record.id == "copy-2"  # ties: pool order
    words = [_word_set(c.record.text) for c in chosen]
    assert all(jaccard(a, b) < 0.7 for i, a in enumerate(words) for b in words[i + 1:])


def test_select_command_writes_pre_annotated_tasks(tiny_model_dir, pool, tmp_path):
    pool_file, out = tmp_path / "pool.jsonl", tmp_path / "tasks.json"
    write_jsonl(pool, pool_file)
    assert main(["select", "--model", str(tiny_model_dir), "--pool", str(pool_file), "-k", "5",
                 "--strategy", "margin", "--output", str(out)]) == 0
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert [t["data"]["rank"] for t in tasks] == [1, 2, 3, 4, 5]
    uncertainty = [t["data"]["uncertainty"] for t in tasks]
    assert uncertainty == sorted(uncertainty, reverse=True) and {t["data"]["strategy"] for t in tasks} == {"margin"}
    assert all(t["predictions"][0]["model_version"] == str(tiny_model_dir) for t in tasks)
    records = list(read_corpus(out, source="predictions"))
    assert [r.text for r in records] == [t["data"]["text"] for t in tasks]


def test_junk_sentences_are_never_offered(tiny_model_dir, tmp_path, capsys):
    """Splitter leftovers, numbers, links and hashtag-only lines: fewer than three Arabic words."""
    from arabic_ie.select import arabic_word_count

    junk = [".", "500 .", "https://t.co/xYz12 .", "#غزة #فلسطين_حرة .", "نعم .", "Breaking news from Gaza today ."]
    real = "وسيطرت فصائل المعارضة على مدينة سراقب أمس الجمعة."
    pool_file, out = tmp_path / "pool.txt", tmp_path / "tasks.json"
    pool_file.write_text("\n".join(junk + [real]) + "\n", encoding="utf-8")
    assert [arabic_word_count(t) for t in junk] == [0, 0, 0, 0, 1, 0]
    assert main(["select", "--model", str(tiny_model_dir), "--pool", str(pool_file), "--pool-format", "text",
                 "-k", "10", "-o", str(out)]) == 0
    tasks = json.loads(out.read_text(encoding="utf-8"))
    assert [t["data"]["text"] for t in tasks] == [real]
    err = capsys.readouterr().err
    assert "entropy" in err and f"{tasks[0]['data']['uncertainty']:.4f}" in err  # each pick with its score


def test_select_scores_with_the_same_network_as_predict_for_char_feature_models(sample_records):
    """select once left out the character rows: for a recipe with char features it scored with
    another network than predict. Both read the one scoring core now."""
    import torch

    model, tokenizer = small_tiny_model(sample_records["train"], max_length=256, vocab_size=800,
                                        char_features=True, char_to_output=True)
    with torch.no_grad():  # a char CNN that matters: without the rows the scores would differ
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.5)
    tagger = JointTagger(model, tokenizer, "cpu")
    sentences = [Record(r.id, r.text) for r in sample_records["dev"] if len(r.text) < 200][:4]
    got = sentence_uncertainties(tagger, sentences)
    for sentence, score in zip(sentences, got):
        [unit] = tagger.units([sentence], split=False)
        [window] = unit.windows
        ids = torch.tensor([window.input_ids])
        chars = torch.tensor([window.char_ids])
        with torch.no_grad():
            hidden = model.encode(ids, torch.ones_like(ids), char_ids=chars)
            firsts = [t for t, f in enumerate(window.first_piece) if f]
            heads = [word_uncertainty(head(hidden)[0, firsts].softmax(-1).numpy(), "entropy").mean()
                     for head in (model.entity_head, model.trigger_head)]
        assert score == pytest.approx((heads[0] + heads[1]) / 2, abs=1e-5)
