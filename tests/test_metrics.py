"""Metrics on hand-built Arabic records, with every expected figure worked out by hand below."""
from __future__ import annotations

import copy
import json

import pytest

from arabic_ie.data.records import Event, Record, Span
from arabic_ie.training.metrics import entity_tags, format_table, prf, score, to_markdown

S1 = "وسيطرت فصائل المعارضة على مدينة سراقب أمس الجمعة."
S2 = "وأجرى وزير الخارجية المصري بدر عبد العاطي اتصالاً هاتفياً مع عباس عراقجي فجر الأربعاء."
S3 = "وقال المتحدث باسم وزارة الخارجية المصرية إن القاهرة ترحب بالاتفاق."


def sp(text: str, phrase: str, label: str = "") -> Span:
    """The span of the (unique) phrase in the text."""
    start = text.index(phrase)
    assert text.find(phrase, start + 1) == -1, f"{phrase!r} is not unique"
    return Span(start, start + len(phrase), label)


def ev(text: str, type_: str, trigger: str, *args: tuple[str, str]) -> Event:
    return Event(type_, sp(text, trigger), [sp(text, phrase, role) for phrase, role in args])


def gold_records() -> list[Record]:
    r1 = Record("s1", S1,
                [sp(S1, "سراقب", "GPE"), sp(S1, "أمس الجمعة", "TIME")],
                [ev(S1, "Conflict:Take-Control", "وسيطرت",
                    ("فصائل المعارضة", "Agent"), ("سراقب", "Place"), ("أمس الجمعة", "Time"))])
    r2 = Record("s2", S2,
                [sp(S2, "بدر عبد العاطي", "PER"), sp(S2, "عباس عراقجي", "PER"), sp(S2, "فجر الأربعاء", "TIME")],
                [ev(S2, "Contact:Phone-Write", "اتصالاً",
                    ("بدر عبد العاطي", "Entity"), ("عباس عراقجي", "Entity"), ("فجر الأربعاء", "Time"))])
    r3 = Record("s3", S3, [sp(S3, "وزارة الخارجية المصرية", "ORG"), sp(S3, "القاهرة", "GPE")], events=None)
    return [r1, r2, r3]


def pred_records() -> list[Record]:
    """Some right, some wrong; the comments say what each prediction is worth."""
    r1 = Record("s1", S1,
                [sp(S1, "سراقب", "GPE"),              # right
                 sp(S1, "أمس", "TIME")],              # boundary too short
                [ev(S1, "Conflict:Take-Control", "وسيطرت",  # trigger right
                    ("فصائل المعارضة", "Agent"),      # right
                    ("مدينة سراقب", "Place"),         # boundary too long
                    ("أمس الجمعة", "Place"))])        # span right, role wrong
    r2 = Record("s2", S2,
                [sp(S2, "المصري", "GPE"),             # spurious
                 sp(S2, "بدر عبد العاطي", "PER"),     # right
                 sp(S2, "عباس عراقجي", "ORG"),        # wrong type
                 sp(S2, "فجر الأربعاء", "TIME")],     # right
                [ev(S2, "Contact:Meet", "اتصالاً",    # trigger span right, type wrong
                    ("بدر عبد العاطي", "Entity"),     # wrong: event type differs
                    ("فجر الأربعاء", "Time")),        # wrong: event type differs
                 ev(S2, "Contact:Phone-Write", "هاتفياً",  # trigger span wrong
                    ("بدر عبد العاطي", "Entity"),     # right (span + event type + role)
                    ("بدر عبد العاطي", "Entity"),     # duplicate: a false positive
                    ("عباس عراقجي", "Entity"))])      # right
    r3 = Record("s3", S3,
                [sp(S3, "وزارة الخارجية", "ORG"),     # boundary too short
                 sp(S3, "القاهرة", "GPE")],           # right
                # a NER-only record: predicted events here must be ignored
                [ev(S3, "Contact:Meet", "ترحب", ("القاهرة", "Entity"))])
    return [r1, r2, r3]


# Word-level IOB2 tags of the records above, written out by hand.
GOLD_TAGS = [
    ["O", "O", "O", "O", "O", "B-GPE", "B-TIME", "I-TIME", "O"],
    ["O", "O", "O", "O", "B-PER", "I-PER", "I-PER", "O", "O", "O", "B-PER", "I-PER", "B-TIME", "I-TIME", "O"],
    ["O", "O", "O", "B-ORG", "I-ORG", "I-ORG", "O", "B-GPE", "O", "O", "O"],
]
PRED_TAGS = [
    ["O", "O", "O", "O", "O", "B-GPE", "B-TIME", "O", "O"],
    ["O", "O", "O", "B-GPE", "B-PER", "I-PER", "I-PER", "O", "O", "O", "B-ORG", "I-ORG", "B-TIME", "I-TIME", "O"],
    ["O", "O", "O", "B-ORG", "I-ORG", "O", "O", "B-GPE", "O", "O", "O"],
]


def check(row: dict, precision: float, recall: float, f1: float, support: int) -> None:
    assert row["precision"] == pytest.approx(precision)
    assert row["recall"] == pytest.approx(recall)
    assert row["f1"] == pytest.approx(f1)
    assert row["support"] == support


@pytest.fixture(scope="module")
def scores() -> dict:
    return score(gold_records(), pred_records())


# --------------------------------------------------------------------------- entities


def test_entity_tags_are_word_level_iob2():
    assert [entity_tags(r) for r in gold_records()] == GOLD_TAGS
    assert [entity_tags(r) for r in pred_records()] == PRED_TAGS


def test_entities_by_hand(scores):
    # 8 predicted, 7 gold, 4 right: P 4/8, R 4/7, F1 8/15
    check(scores["entities"]["overall"], 0.5, 4 / 7, 8 / 15, 7)
    per = scores["entities"]["per_type"]
    assert set(per) == {"GPE", "ORG", "PER", "TIME"}
    check(per["GPE"], 2 / 3, 1.0, 0.8, 2)
    check(per["TIME"], 0.5, 0.5, 0.5, 2)
    check(per["PER"], 1.0, 0.5, 2 / 3, 2)
    check(per["ORG"], 0.0, 0.0, 0.0, 1)


def strict_iob2_chunks(sequences: list[list[str]]) -> set[tuple[int, int, int, str]]:
    """Entity chunks ``(sentence, start, end, type)`` of IOB2 tags read strictly, written out
    here independently of seqeval (which ``score`` uses), so the two are really compared."""
    chunks = set()
    for s, tags in enumerate(sequences):
        start, kind = None, None
        for i, tag in enumerate([*tags, "O"]):
            if start is not None and tag != f"I-{kind}":
                chunks.add((s, start, i, kind))
                start = None
            if tag.startswith("B-"):
                start, kind = i, tag[2:]
    return chunks


def test_entities_equal_strict_iob2_chunk_counts(scores):
    gold, pred = strict_iob2_chunks(GOLD_TAGS), strict_iob2_chunks(PRED_TAGS)
    assert len(gold) == 7  # the by-hand support above
    for label, row in [("overall", scores["entities"]["overall"]), *scores["entities"]["per_type"].items()]:
        g = {c for c in gold if label == "overall" or c[3] == label}
        p = {c for c in pred if label == "overall" or c[3] == label}
        expected = prf(len(g & p), len(p), len(g))
        assert row["precision"] == pytest.approx(expected["precision"]), label
        assert row["recall"] == pytest.approx(expected["recall"]), label
        assert row["f1"] == pytest.approx(expected["f1"]), label
        assert row["support"] == len(g), label


def test_entity_inside_a_word_covers_that_word():
    text = "ومصر دولة عربية."
    record = Record("c", text, [Span(1, 4, "GPE")])  # "مصر" without the attached "و"
    assert entity_tags(record) == ["B-GPE", "O", "O", "O"]


def test_overlapping_entities_keep_the_first():
    text = "وزارة الخارجية المصرية"
    record = Record("o", text, [sp(text, "المصرية", "GPE"), sp(text, text, "ORG")])
    assert entity_tags(record) == ["B-ORG", "I-ORG", "I-ORG"]


# --------------------------------------------------------------------------- triggers


def test_triggers_by_hand(scores):
    trg = scores["triggers"]
    # gold: وسيطرت (Take-Control), اتصالاً (Phone-Write); predicted: وسيطرت (Take-Control),
    # اتصالاً (Meet), هاتفياً (Phone-Write). Spans right: 2 of 3; span and type right: 1 of 3.
    check(trg["identification"], 2 / 3, 1.0, 0.8, 2)
    check(trg["classification"], 1 / 3, 0.5, 0.4, 2)
    assert set(trg["per_type"]) == {"Conflict:Take-Control", "Contact:Phone-Write", "Contact:Meet"}
    check(trg["per_type"]["Conflict:Take-Control"], 1.0, 1.0, 1.0, 1)
    check(trg["per_type"]["Contact:Phone-Write"], 0.0, 0.0, 0.0, 1)
    check(trg["per_type"]["Contact:Meet"], 0.0, 0.0, 0.0, 0)


def test_duplicate_trigger_counts_once():
    gold = [gold_records()[0]]
    pred = copy.deepcopy(gold)
    pred[0].events.append(copy.deepcopy(pred[0].events[0]))
    trg = score(gold, pred)["triggers"]
    check(trg["identification"], 0.5, 1.0, 2 / 3, 1)
    check(trg["classification"], 0.5, 1.0, 2 / 3, 1)


# --------------------------------------------------------------------------- arguments


def test_arguments_by_hand(scores):
    arg = scores["arguments"]
    # 6 gold, 8 predicted. (span, event type) right: فصائل المعارضة, أمس الجمعة, بدر عبد العاطي
    # (once: its duplicate is a false positive), عباس عراقجي -> 4; with the role too: 3.
    check(arg["identification"], 0.5, 2 / 3, 4 / 7, 6)
    check(arg["classification"], 3 / 8, 0.5, 3 / 7, 6)
    per = arg["per_role"]
    assert set(per) == {"Agent", "Place", "Time", "Entity"}
    check(per["Agent"], 1.0, 1.0, 1.0, 1)
    check(per["Place"], 0.0, 0.0, 0.0, 1)
    check(per["Time"], 0.0, 0.0, 0.0, 2)
    check(per["Entity"], 0.5, 1.0, 2 / 3, 2)


# --------------------------------------------------------------------------- whole results


def test_counts_leave_ner_only_records_out_of_events(scores):
    assert scores["counts"] == {
        "records": 3, "event_records": 2, "ner_only_records": 1,
        "gold_entities": 7, "pred_entities": 8,
        "gold_events": 2, "pred_events": 3,
        "gold_arguments": 6, "pred_arguments": 8,
    }


def test_ner_only_records_do_not_change_event_scores(scores):
    without = score(gold_records()[:2], pred_records()[:2])
    assert without["triggers"] == scores["triggers"]
    assert without["arguments"] == scores["arguments"]


def test_perfect_prediction_scores_one_everywhere():
    gold = gold_records()
    result = score(gold, copy.deepcopy(gold))
    rows = [result["entities"]["overall"], *result["entities"]["per_type"].values(),
            result["triggers"]["identification"], result["triggers"]["classification"],
            *result["triggers"]["per_type"].values(),
            result["arguments"]["identification"], result["arguments"]["classification"],
            *result["arguments"]["per_role"].values()]
    assert all(row[k] == 1.0 for row in rows for k in ("precision", "recall", "f1"))


def test_empty_prediction_has_zero_recall():
    gold = gold_records()
    empty = [Record(r.id, r.text, [], [] if r.events is not None else None) for r in gold]
    result = score(gold, empty)
    for row in (result["entities"]["overall"], result["triggers"]["classification"],
                result["arguments"]["classification"]):
        assert row["recall"] == 0.0 and row["precision"] == 0.0 and row["f1"] == 0.0
    assert result["entities"]["overall"]["support"] == 7
    assert result["arguments"]["identification"]["support"] == 6


def test_prediction_without_event_layer_counts_as_no_events():
    gold = gold_records()[:1]
    pred = [Record("s1", S1, list(gold[0].entities), events=None)]
    result = score(gold, pred)
    check(result["triggers"]["identification"], 0.0, 0.0, 0.0, 1)
    assert result["counts"]["event_records"] == 1


def test_records_are_paired_by_id_not_position(scores):
    assert score(gold_records(), pred_records()[::-1]) == scores


def test_no_entities_anywhere_scores_zero():
    gold = [Record("x", "قال المتحدث إن الوضع هادئ.", [], [])]
    result = score(gold, copy.deepcopy(gold))
    check(result["entities"]["overall"], 0.0, 0.0, 0.0, 0)
    assert result["entities"]["per_type"] == {}


def test_result_is_plain_json(scores):
    assert json.loads(json.dumps(scores)) == scores


# --------------------------------------------------------------------------- errors


def test_mismatched_ids_name_the_missing_and_extra():
    gold = gold_records()
    pred = pred_records()[:2] + [Record("other", S3)]
    with pytest.raises(ValueError, match=r"no prediction: 's3'.*not in the gold set: 'other'"):
        score(gold, pred)


def test_differing_texts_raise():
    pred = pred_records()
    pred[0] = Record("s1", S1 + " ", pred[0].entities, pred[0].events)
    with pytest.raises(ValueError, match="record 's1'.*text differs"):
        score(gold_records(), pred)


def test_duplicate_ids_raise():
    gold = gold_records()
    with pytest.raises(ValueError, match="duplicate predicted record id 's1'"):
        score(gold, gold + [gold[0]])


# --------------------------------------------------------------------------- helpers and rendering


def test_prf_is_zero_safe():
    assert prf(0, 0, 0) == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert prf(0, 3, 0)["precision"] == 0.0
    assert prf(0, 0, 3)["recall"] == 0.0
    check(prf(2, 4, 2), 0.5, 1.0, 2 / 3, 2)


def test_format_table_shows_percentages(scores):
    table = format_table(scores)
    assert "Entities" in table and "Triggers" in table and "Arguments" in table
    assert "53.3" in table   # entity F1 8/15
    assert "42.9" in table   # argument classification F1 3/7
    assert "Conflict:Take-Control" in table and "Entity" in table


def test_to_markdown_tables(scores):
    md = to_markdown(scores)
    assert "### Entities" in md and "| overall (micro) | 50.0 | 57.1 | 53.3 | 7 |" in md
    assert "| classification | 33.3 | 50.0 | 40.0 | 2 |" in md
    assert to_markdown(scores, heading_level=2).startswith("## Entities")


def test_tables_leave_out_events_without_an_event_layer():
    gold = [gold_records()[2]]
    result = score(gold, copy.deepcopy(gold))
    assert "Triggers" not in format_table(result)
    assert "Arguments" not in to_markdown(result)
