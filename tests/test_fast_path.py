"""The tagger's fast path (windows sorted by length, dynamically padded batches) predicts what
the plain path predicts: one sentence at a time without padding, and a plain
BertForTokenClassification built from the same weights (per-word first-piece probabilities,
decoded with the same BIO-constrained decoder)."""
from __future__ import annotations

import pytest
import torch
from transformers import BertConfig, BertForTokenClassification

from arabic_ie.data.records import Record, Span
from arabic_ie.data.text import split_words
from arabic_ie.model.decoding import BioDecoder
from arabic_ie.model.tagger import JointTagger

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def tagger(tiny_model_dir) -> JointTagger:
    return JointTagger.from_pretrained(tiny_model_dir, device="cpu")


@pytest.fixture(scope="module")
def texts(sample_records) -> list[str]:
    """About 40 sample sentences of varied lengths (so batches need padding)."""
    records = sample_records["train"] + sample_records["dev"] + sample_records["test"]
    return [r.text for r in records][:40]


def span_key(span: Span) -> tuple[int, int, str]:
    return span.start, span.end, span.label


def assert_spans_equal(a: list[Span], b: list[Span]) -> None:
    assert [span_key(s) for s in a] == [span_key(s) for s in b]
    for x, y in zip(a, b):
        assert x.score == pytest.approx(y.score, abs=TOLERANCE)


def assert_records_equal(a: Record, b: Record) -> None:
    assert a.id == b.id and a.text == b.text
    assert_spans_equal(a.entities, b.entities)
    assert len(a.events) == len(b.events)
    for x, y in zip(a.events, b.events):
        assert x.type == y.type
        assert_spans_equal([x.trigger], [y.trigger])
        assert_spans_equal(x.arguments, y.arguments)


def test_batched_equals_one_at_a_time(tagger, texts):
    assert not all(one_window(tagger, t) for t in texts), "some sentences should need several windows"
    batched = tagger.predict(texts, batch_size=32, split_sentences=False)
    single = tagger.predict(texts, batch_size=1, split_sentences=False)
    assert len({len(split_words(t)) for t in texts}) > 5, "the sentences should differ in length"
    assert sum(len(r.entities) for r in batched) > 0, "a random model still tags something"
    for a, b in zip(batched, single):
        assert_records_equal(a, b)


def test_batched_equals_with_sentence_splitting(tagger, texts):
    document = " ".join(texts[:10])
    batched = tagger.predict(document, batch_size=32)
    single = tagger.predict(document, batch_size=1)
    assert_records_equal(batched, single)


def token_classifier(tagger: JointTagger) -> BertForTokenClassification:
    """A plain BertForTokenClassification with the tagger's encoder weights and entity head."""
    model = tagger.model
    labels = tagger.schema.entity_labels
    skip = ("model_type", "id2label", "label2id", "num_labels")
    config = BertConfig(**{k: v for k, v in model.config.encoder.items() if k not in skip},
                        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    plain = BertForTokenClassification(config).eval()
    missing, unexpected = plain.bert.load_state_dict(model.encoder.state_dict(), strict=False)
    assert not unexpected and all("pooler" in name for name in missing)
    plain.classifier.load_state_dict(model.entity_head.state_dict())
    return plain


def plain_entities(plain: BertForTokenClassification, tagger: JointTagger, text: str) -> list[tuple[int, int, str]]:
    """Entities of one text, unbatched: the tokenizer on the normalised words, first-piece
    probabilities per word, the tagger's BIO decoder, word spans to character offsets."""
    from arabic_ie.data.text import span_pieces, widen_spans

    words = split_words(text)
    encoding = tagger.tokenizer(tagger.builder.normalised([w.text for w in words]), is_split_into_words=True,
                                return_tensors="pt")
    with torch.inference_mode():
        probs = plain(**encoding).logits[0].float().softmax(-1)
    word_ids = encoding.word_ids(0)
    firsts = [t for t, w in enumerate(word_ids) if w is not None and (t == 0 or word_ids[t - 1] != w)]
    decoded = BioDecoder(tagger.schema.entity_labels)(probs[firsts].numpy())
    return [(words[x].start, words[y - 1].end, label)  # spans made fit as the tagger does (no punctuation-only ones)
            for i, j, label, _ in widen_spans(words, decoded) for x, y in span_pieces(words, i, j)]


def one_window(tagger: JointTagger, text: str) -> bool:
    """Whether the text fits the model's window (longer ones are split into overlapping windows,
    which a plain token classifier does not do)."""
    return len(tagger.builder.windows([[w.text for w in split_words(text)]])[0]) == 1


def test_fast_path_equals_plain_token_classifier(tagger, texts):
    plain = token_classifier(tagger)
    short = [t for t in texts if one_window(tagger, t)]
    assert len(short) >= 20
    fast = tagger.predict(short, batch_size=32, split_sentences=False)
    for text, record in zip(short, fast):
        assert [span_key(s) for s in record.entities] == plain_entities(plain, tagger, text), text
