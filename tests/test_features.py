"""Subword alignment, label maps and windows for long sentences."""
import pytest

from arabic_ie.data.features import IGNORE_INDEX, FeatureBuilder, FeatureConfig, record_to_word_example, word_windows
from arabic_ie.data.records import Event, Record, Span
from arabic_ie.data.schema import LabelSchema
from arabic_ie.model.tiny import train_wordpiece

TEXT = "وسيطرت فصائل المعارضة على مدينة سراقب أمس الجمعة."


def sample_record():
    def span(piece, label=""):
        start = TEXT.index(piece)
        return Span(start, start + len(piece), label)

    return Record("r1", TEXT, [span("سراقب", "GPE"), span("أمس الجمعة", "TIME")],
                  [Event("Conflict:Take-Control", span("وسيطرت"),
                         [span("فصائل المعارضة", "Agent"), span("سراقب", "Place"), span("أمس الجمعة", "Time")])])


@pytest.fixture(scope="module")
def tokenizer(sample_records):
    return train_wordpiece(sample_records["train"], vocab_size=800)


def test_word_example_has_bio_tags_per_head():
    example = record_to_word_example(sample_record())
    assert example["words"][:3] == ["وسيطرت", "فصائل", "المعارضة"]
    assert example["entity_tags"] == ["O", "O", "O", "O", "O", "B-GPE", "B-TIME", "I-TIME", "O"]
    assert example["trigger_tags"][0] == "B-Conflict:Take-Control"
    assert example["event_trigger_words"] == [[0, 1]]
    assert example["argument_tags"][0] == ["O", "B-Agent", "I-Agent", "O", "O", "B-Place", "B-Time", "I-Time", "O"]


def test_first_piece_carries_the_label(tokenizer):
    record = sample_record()
    schema = LabelSchema.from_records([record])
    builder = FeatureBuilder(tokenizer, schema, FeatureConfig())
    row = builder.build_dataset([record])[0]
    ids = {label: k for k, label in enumerate(schema.entity_labels)}
    labelled = [l for l in row["entity_labels"] if l != IGNORE_INDEX]
    assert len(labelled) == 9  # one label per word, whatever the number of pieces
    assert labelled[5] == ids["B-GPE"] and labelled[6] == ids["B-TIME"] and labelled[7] == ids["I-TIME"]
    assert row["entity_labels"][0] == IGNORE_INDEX and row["entity_labels"][-1] == IGNORE_INDEX  # [CLS], [SEP]
    (start, end), = row["event_token_spans"]
    assert start == 1 and end > start  # the trigger's pieces, right after [CLS]
    assert row["event_type_ids"] == [schema.event_types.index("Conflict:Take-Control")]


def test_label_all_subwords_labels_continuation_pieces(tokenizer):
    record = sample_record()
    schema = LabelSchema.from_records([record])
    first = FeatureBuilder(tokenizer, schema, FeatureConfig()).build_dataset([record])[0]
    every = FeatureBuilder(tokenizer, schema, FeatureConfig(label_all_subwords=True)).build_dataset([record])[0]
    n_tokens = len(first["input_ids"])
    assert sum(l != IGNORE_INDEX for l in every["entity_labels"]) == n_tokens - 2
    assert sum(l != IGNORE_INDEX for l in first["entity_labels"]) == 9


def test_long_sentences_become_overlapping_windows_with_nothing_dropped(tokenizer):
    record = sample_record()
    long_text = " ".join([TEXT] * 30)
    words_per_copy = 9
    entities = []
    for k in range(30):
        offset = k * (len(TEXT) + 1)
        entities += [Span(e.start + offset, e.end + offset, e.label) for e in record.entities]
    long_record = Record("long", long_text, entities, [])
    schema = LabelSchema.from_records([record])
    builder = FeatureBuilder(tokenizer, schema, FeatureConfig(max_length=32, stride=8))
    rows = builder.build_dataset([long_record]).to_list()
    assert len(rows) > 5 and all(len(r["input_ids"]) <= 32 for r in rows)
    starts = [r["word_start"] for r in rows]
    assert starts == sorted(starts) and starts[0] == 0
    windows = builder.windows([record_to_word_example(long_record)["words"]])[0]
    covered = set()
    for a, b in zip(windows, windows[1:]):
        assert b.word_start < a.word_end  # consecutive windows overlap
    for w in windows:
        covered.update(range(w.word_start, w.word_end))
    assert covered == set(range(30 * words_per_copy))
    gpe = schema.entity_labels.index("B-GPE")
    assert sum(r["entity_labels"].count(gpe) for r in rows) >= 30  # every copy labelled at least once


def test_word_windows_respect_the_limit_and_overlap():
    counts = [1, 3, 2, 5, 1, 1, 2, 4, 1, 1, 3, 2]
    windows = word_windows(counts, max_pieces=8, stride=3)
    assert windows[0][0] == 0 and windows[-1][1] == len(counts)
    for a, b in windows:
        assert sum(counts[a:b]) <= 8
    for (a1, b1), (a2, b2) in zip(windows, windows[1:]):
        assert a1 < a2 < b1 + 1


def test_unknown_labels_are_a_clear_error(tokenizer):
    record = sample_record()
    schema = LabelSchema(entity_types=["GPE"], event_types=[], roles=[], allowed_roles={})
    with pytest.raises(ValueError, match=r"record 'r1'.*entity type 'TIME'.*event type 'Conflict:Take-Control'"):
        FeatureBuilder(tokenizer, schema, FeatureConfig()).build_dataset([record])
