"""Corpus formats: round trips on hand-made Arabic records, bad input with its message, and the
real ANERcorp and Wojood files."""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arabic_ie.data.conll import read_conll, write_conll
from arabic_ie.data.doccano import record_to_doccano, write_doccano
from arabic_ie.data.errors import CorpusError, Problem
from arabic_ie.data.formats import FORMATS, detect_format, read_corpus, write_corpus
from arabic_ie.data.oneie import read_oneie, write_oneie
from arabic_ie.data.records import Event, Record, Span
from arabic_ie.data.text import split_words

from conftest import SAMPLE

# --- hand-made records ---------------------------------------------------------------------------


def at(text: str, phrase: str, label: str = "", nth: int = 0) -> Span:
    """The span of the nth occurrence of ``phrase`` in ``text``."""
    start = -1
    for _ in range(nth + 1):
        start = text.index(phrase, start + 1)
    return Span(start, start + len(phrase), label)


def meeting() -> Record:
    """Diacritics, a clitic (ومصر), ، ؛ ؟, multiword spans, an argument shared by two events."""
    text = ("التقى الرئيسُ محمود عباس في رام الله أمس الجمعة وزيرَ الخارجية المصري بدر عبد العاطي، "
            "وبحثا الهجوم على غزة؛ فهل يزور ومصر قريباً؟")
    time = at(text, "أمس الجمعة")
    return Record("doc-1", text, [
        at(text, "محمود عباس", "PER"), at(text, "رام الله", "GPE"), Span(time.start, time.end, "TIME"),
        at(text, "بدر عبد العاطي", "PER"), at(text, "غزة", "GPE"), at(text, "ومصر", "GPE")], [
        Event("Contact:Meet", at(text, "التقى"), [
            at(text, "محمود عباس", "Entity"), at(text, "بدر عبد العاطي", "Entity"),
            at(text, "رام الله", "Place"), Span(time.start, time.end, "Time")]),
        Event("Conflict:Attack", at(text, "الهجوم"), [at(text, "غزة", "Place"), Span(time.start, time.end, "Time")]),
        Event("Movement:Transport", at(text, "يزور"), [at(text, "ومصر", "Destination")]),
    ], {"source": "hand-made", "sentence": 1})


def shelling() -> Record:
    """Arguments that are not entities, one of them shared by two events."""
    text = "قصفت قوات النظام حلب، وقتلت ثلاثة مدنيين."
    return Record("doc-2", text, [at(text, "حلب", "GPE")], [
        Event("Conflict:Attack", at(text, "قصفت"), [at(text, "قوات النظام", "Attacker"), at(text, "حلب", "Target")]),
        Event("Life:Die", at(text, "وقتلت"), [at(text, "قوات النظام", "Agent"), at(text, "ثلاثة مدنيين", "Victim")]),
    ])


def names_only() -> Record:
    """No event layer; two adjacent names of one type (IOB1 needs a B- there); one-word spans."""
    text = "استقبل بشار الأسد عباس عراقجي في دمشق ، وحضر ممثل منظمة الصحة العالمية ."
    return Record("3", text, [
        at(text, "بشار الأسد", "PER"), at(text, "عباس عراقجي", "PER"), at(text, "دمشق", "GPE"),
        at(text, "منظمة الصحة العالمية", "ORG")], None, {"date": "2024-11-29"})


def empty_layers() -> Record:
    return Record("doc-4", "لا أحداث هنا ، ولا أسماء ؟", [], [])


RECORDS = [meeting(), shelling(), names_only(), empty_layers()]


def spaced(record: Record) -> Record:
    """The record with its text rewritten as its words joined by single spaces (what token-based
    formats give back), spans moved along."""
    words = split_words(record.text)
    starts, ends, position = {}, {}, 0
    for w in words:
        starts[w.start], ends[w.end] = position, position + len(w.text)
        position += len(w.text) + 1

    def move(s: Span) -> Span:
        return Span(starts[s.start], ends[s.end], s.label, s.score)

    events = None if record.events is None else [
        Event(e.type, move(e.trigger), [move(a) for a in e.arguments]) for e in record.events]
    return Record(record.id, " ".join(w.text for w in words), [move(s) for s in record.entities],
                  events, dict(record.metadata))


def entity_texts(record: Record) -> list[tuple[str, str]]:
    return sorted((s.text_in(record.text), s.label) for s in record.entities)


def write_bytes(path: Path, data: str | bytes) -> Path:
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- round trips ---------------------------------------------------------------------------------


@pytest.mark.parametrize("format, name", [("jsonl", "c.jsonl"), ("doccano", "c.jsonl"), ("text", "c.txt")])
def test_round_trip_by_offsets(tmp_path: Path, format: str, name: str) -> None:
    path = tmp_path / name
    assert write_corpus(RECORDS, path, format=format) == len(RECORDS)
    assert detect_format(path) == format
    back = list(read_corpus(path))
    if format == "text":
        assert [r.text for r in back] == [r.text for r in RECORDS]
        assert [r.id for r in back] == ["line-1", "line-2", "line-3", "line-4"]
        assert all(r.entities == [] and r.events is None for r in back)
    else:
        assert back == RECORDS


def test_doccano_shape_and_arg_entities(tmp_path: Path) -> None:
    write_doccano([shelling()], tmp_path / "d.jsonl")
    obj = json.loads((tmp_path / "d.jsonl").read_text(encoding="utf-8"))
    labels = [e["label"] for e in obj["entities"]]
    assert labels == ["GPE", "Conflict:Attack", "Life:Die", "ARG", "ARG"]  # قوات النظام written once
    shared = [r["to_id"] for r in obj["relations"] if r["type"] in ("Attacker", "Agent")]
    assert len(set(shared)) == 1
    target = next(r for r in obj["relations"] if r["type"] == "Target")
    assert obj["entities"][target["to_id"] - 1]["label"] == "GPE"  # the argument points at the entity
    assert "relations" not in record_to_doccano(names_only())  # no event layer


def test_oneie_native_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "o.json"
    write_corpus(RECORDS, path, format="oneie")
    assert detect_format(path) == "oneie"
    assert list(read_corpus(path)) == [spaced(r) for r in RECORDS]
    again = tmp_path / "o2.json"
    write_oneie([spaced(r) for r in RECORDS], again)
    assert list(read_oneie(again)) == [spaced(r) for r in RECORDS]


def test_oneie_to_native_to_oneie_is_exact(tmp_path: Path) -> None:
    line = {
        "doc_id": "AFP_ARB_20030101.0001", "sent_id": "AFP_ARB_20030101.0001-3",
        "tokens": ["قصفت", "قوات", "النظام", "حلب", "،", "وقتلت", "ثلاثة", "مدنيين", "."],
        "entity_mentions": [
            {"id": "AFP-E7-1", "start": 3, "end": 4, "entity_type": "GPE", "mention_type": "NAM", "text": "حلب"},
            {"id": "AFP-E2-4", "start": 1, "end": 3, "entity_type": "ORG", "mention_type": "NOM", "text": "قوات النظام"},
            {"id": "AFP-V1", "start": 6, "end": 8, "entity_type": "ARG", "mention_type": "UNK", "text": "ثلاثة مدنيين"}],
        "relation_mentions": [{"id": "R1", "relation_type": "PART-WHOLE", "arguments": []}],
        "event_mentions": [
            {"id": "AFP-EV1-1", "event_type": "Conflict:Attack", "trigger": {"start": 0, "end": 1, "text": "قصفت"},
             "arguments": [{"entity_id": "AFP-E2-4", "text": "قوات النظام", "role": "Attacker"},
                           {"entity_id": "AFP-E7-1", "text": "حلب", "role": "Target"}]},
            {"id": "AFP-EV2-1", "event_type": "Life:Die", "trigger": {"start": 5, "end": 6, "text": "وقتلت"},
             "arguments": [{"entity_id": "AFP-E2-4", "text": "قوات النظام", "role": "Agent"},
                           {"entity_id": "AFP-V1", "text": "ثلاثة مدنيين", "role": "Victim"}]}],
        "pieces": ["ق", "##صفت"],
    }
    source = write_bytes(tmp_path / "in.json", json.dumps(line, ensure_ascii=False) + "\n")
    [record] = read_oneie(source)
    assert entity_texts(record) == [("حلب", "GPE"), ("قوات النظام", "ORG")]
    assert [a.text_in(record.text) for a in record.events[1].arguments] == ["قوات النظام", "ثلاثة مدنيين"]
    out = tmp_path / "out.json"
    write_corpus([record], out, format="oneie")
    assert json.loads(out.read_text(encoding="utf-8")) == line


@pytest.mark.parametrize("scheme", ["BIO", "IOB1", "BIOES", "BILOU"])
def test_conll_round_trip(tmp_path: Path, scheme: str) -> None:
    path = tmp_path / "c.conll"
    assert write_corpus(RECORDS, path, scheme=scheme) == len(RECORDS)
    back = list(read_corpus(path, scheme=scheme, repair=False))
    for original, got in zip(RECORDS, back):
        want = spaced(original)
        assert got.text == want.text
        assert got.entities == sorted(want.entities, key=lambda s: (s.start, -s.end, s.label))
        assert got.events is None  # CoNLL has no event layer
    assert [r.id for r in back] == ["c-1", "c-2", "c-3", "c-4"]


def test_conll_iob1_uses_b_only_between_adjacent_spans(tmp_path: Path) -> None:
    write_conll([names_only()], tmp_path / "c.conll", scheme="IOB1")
    tags = [line.split()[1] for line in (tmp_path / "c.conll").read_text(encoding="utf-8").splitlines() if line]
    assert tags[:5] == ["O", "I-PER", "I-PER", "B-PER", "I-PER"]


def test_conll_nested_spans_round_trip_in_columns(tmp_path: Path) -> None:
    text = "سكرتير اللجنة القومية العربية في نابلس"
    entities = sorted([at(text, text, "OCC"), at(text, "اللجنة القومية العربية", "ORG"),
                       at(text, "نابلس", "GPE"), at(text, "اللجنة", "ORG")], key=lambda s: (s.start, -s.end))
    write_conll([Record("n", text, entities, None)], tmp_path / "n.conll")
    lines = (tmp_path / "n.conll").read_text(encoding="utf-8").splitlines()
    assert lines[1] == "اللجنة I-OCC B-ORG B-ORG"
    [all_spans] = read_conll(tmp_path / "n.conll", nested="all")
    assert all_spans.entities == entities
    [outer] = read_conll(tmp_path / "n.conll", nested="outermost")
    assert entity_texts(outer) == [(text, "OCC")]
    [inner] = read_conll(tmp_path / "n.conll", nested="innermost")
    assert entity_texts(inner) == [("اللجنة", "ORG"), ("نابلس", "GPE")]


def test_conll_unaligned_columns_and_separators(tmp_path: Path) -> None:
    """Wojood's shape: tags not aligned by level, same-type nesting, $#$ lines dropped."""
    path = write_bytes(tmp_path / "w.txt", "\n".join([
        "جامعة B-ORG", "بيرزيت I-ORG B-GPE", "$#$ O", "في O", "مدينة B-GPE", "الخليل I-GPE B-GPE", "",
        "$#$ O", "", "مدينة B-ORG", "القدس B-GPE I-ORG", ""]))
    assert detect_format(path) == "conll"
    first, second = read_corpus(path, nested="all")
    assert first.text == "جامعة بيرزيت في مدينة الخليل"
    assert entity_texts(first) == [("الخليل", "GPE"), ("بيرزيت", "GPE"), ("جامعة بيرزيت", "ORG"),
                                   ("مدينة الخليل", "GPE")]
    assert entity_texts(second) == [("القدس", "GPE"), ("مدينة القدس", "ORG")]
    assert second.id == "w-2"  # the $#$-only sentence is not a sentence


def test_conll_to_native_to_conll_is_exact_with_whitespace_tokens(tmp_path: Path) -> None:
    source = ("-DOCSTART- O\n\nفرانكفورت B-LOC\n( O\nد B-ORG\nب I-ORG\nأ I-ORG\n) O\nعام O\n300 O\nق.م. O\n\n"
              "-DOCSTART- O\n\nقال O\nبوش B-PERS\n. O\n\n")
    path = write_bytes(tmp_path / "a.conll", source)
    records = list(read_conll(path))
    assert [r.metadata for r in records] == [{"document": 1, "sentence": 1}, {"document": 2, "sentence": 1}]
    assert records[0].text == "فرانكفورت ( د ب أ ) عام 300 ق.م."
    write_conll(records, tmp_path / "b.conll", tokenize="whitespace")
    assert (tmp_path / "b.conll").read_text(encoding="utf-8") == source


WORDS = ["مصر", "ومصر", "الرئيسُ", "بدر", "عبد", "العاطي", "غزة", "قصفت", "،", "؛", "؟", ".", "2024", "3.5", "القوات"]
TYPES = ["PER", "GPE", "ORG", "TIME"]


@st.composite
def word_records(draw: st.DrawFn) -> Record:
    """Single-space texts with non-overlapping word spans, and events over them."""
    words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=12))
    text = " ".join(words)
    offsets = [w for w in split_words(text)]
    cuts = sorted(draw(st.sets(st.integers(0, len(offsets)), max_size=6)) | {0, len(offsets)})
    entities = []
    for a, b in zip(cuts, cuts[1:]):
        if draw(st.booleans()):
            entities.append(Span(offsets[a].start, offsets[b - 1].end, draw(st.sampled_from(TYPES))))
    events = []
    for _ in range(draw(st.integers(0, 2))):
        t = draw(st.sampled_from(offsets))
        args = [Span(s.start, s.end, draw(st.sampled_from(["Agent", "Place"]))) for s in
                draw(st.lists(st.sampled_from(entities + [Span(t.start, t.end)]), max_size=3))]
        events.append(Event("Conflict:Attack", Span(t.start, t.end), args))
    return Record("r", text, entities, events)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=word_records(), scheme=st.sampled_from(["BIO", "IOB1", "BIOES"]))
def test_property_round_trips(tmp_path: Path, record: Record, scheme: str) -> None:
    for format, options in [("jsonl", {}), ("doccano", {}), ("oneie", {})]:
        write_corpus([record], tmp_path / "p.jsonl", format=format, **options)
        assert list(read_corpus(tmp_path / "p.jsonl", format=format)) == [record]
    write_conll([record], tmp_path / "p.conll", scheme=scheme)
    [back] = read_conll(tmp_path / "p.conll", scheme=scheme)
    assert back.text == record.text and back.entities == record.entities


def test_stdout_and_atomic_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_corpus([names_only()], "-", format="text")
    assert capsys.readouterr().out == names_only().text + "\n"
    path = tmp_path / "keep.jsonl"
    write_corpus(RECORDS, path)
    before = path.read_bytes()
    broken = Record("bad", "كلمة", [Span(0, 4, "Conflict:Attack")])  # doccano cannot write this
    with pytest.raises(ValueError, match="would be read back as an event"):
        write_corpus([RECORDS[0], broken], path, format="doccano")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["keep.jsonl"]  # no temporary file left


# --- detection and dispatch ----------------------------------------------------------------------


def test_detect_format(tmp_path: Path) -> None:
    assert detect_format(write_bytes(tmp_path / "a.txt", "مصر B-LOC\nقال O\n")) == "conll"
    assert detect_format(write_bytes(tmp_path / "b.txt", "قال الرئيس إن مصر\n")) == "text"
    assert detect_format(write_bytes(tmp_path / "c.tsv", "")) == "conll"
    assert detect_format(write_bytes(tmp_path / "d.jsonl", '{"id": 1, "text": "x", "entities": []}\n')) == "jsonl"
    assert detect_format(write_bytes(tmp_path / "e.jsonl", '{"id": 1, "text": "x", "relations": []}\n')) == "doccano"
    with pytest.raises(ValueError, match="--format, --input-format"):
        detect_format(write_bytes(tmp_path / "f.xml", "<doc/>\n"))  # a missing file is "no such file"


def test_unknown_format_and_option(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown format 'brat'; use one of " + ", ".join(FORMATS)):
        read_corpus(tmp_path / "x.jsonl", format="brat")
    with pytest.raises(ValueError, match="unknown format"):
        write_corpus([], tmp_path / "x.jsonl", format="xml")
    with pytest.raises(ValueError, match="format 'jsonl' takes no option scheme"):
        read_corpus(tmp_path / "x.jsonl", format="jsonl", scheme="BIO")
    with pytest.raises(ValueError, match="a .txt may be conll or text"):
        write_corpus([], tmp_path / "x.txt")
    with pytest.raises(ValueError, match="unknown tagging scheme 'BIOX'"):
        read_corpus(tmp_path / "x.conll", scheme="BIOX")  # at the call, before any reading
    with pytest.raises(ValueError, match="unknown nested policy 'widest'; use one of outermost, innermost, all"):
        read_conll(tmp_path / "x.conll", nested="widest")


# --- bad input -----------------------------------------------------------------------------------


def error_of(path: Path, **options: object) -> CorpusError:
    with pytest.raises(CorpusError) as info:
        list(read_corpus(path, **options))
    assert str(path) in str(info.value)
    return info.value


def test_bad_json_names_the_line(tmp_path: Path) -> None:
    good = json.dumps(RECORDS[0].to_dict(), ensure_ascii=False)
    err = error_of(write_bytes(tmp_path / "a.jsonl", f"{good}\n\n{{\"id\": \"x\", \"text\": \n"))
    assert err.line == 3 and "bad JSON" in err.problem.message


def test_offsets_outside_text_and_text_mismatch(tmp_path: Path) -> None:
    outside = {"id": "a", "text": "مصر", "entities": [{"start": 0, "end": 9, "type": "GPE"}]}
    err = error_of(write_bytes(tmp_path / "a.jsonl", json.dumps(outside, ensure_ascii=False) + "\n"))
    assert err.line == 1 and "outside the text (length 3)" in err.problem.message
    wrong = {"id": "a", "text": "ومصر", "entities": [{"start": 0, "end": 3, "type": "GPE", "text": "مصر"}]}
    err = error_of(write_bytes(tmp_path / "b.jsonl", json.dumps(wrong, ensure_ascii=False) + "\n"))
    assert "text 'مصر' does not match the text at [0, 3): 'ومص'" in err.problem.message


def test_conll_i_without_b(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "a.conll", "قال O\nبوش B-PERS\n\nفي O\nالأمم I-ORG\nالمتحدة I-ORG\n")
    err = error_of(path, repair=False)
    assert (err.line, err.problem.message) == (5, "I-ORG with no B-ORG before it (read as B-ORG)")
    with pytest.raises(CorpusError, match=r"a\.conll:5: I-ORG with no B-ORG"):
        list(read_conll(path))
    problems: list[Problem] = []
    records = list(read_corpus(path, problems=problems))  # the dispatcher repairs, and still reports
    assert [p.line for p in problems] == [5]
    assert entity_texts(records[1]) == [("الأمم المتحدة", "ORG")]
    problems = []
    assert len(list(read_conll(path, problems=problems))) == 1 and len(problems) == 1  # not repaired: skipped


def test_conll_one_column_and_unknown_tag(tmp_path: Path) -> None:
    err = error_of(write_bytes(tmp_path / "a.conll", "قال O\nبوش\n"))
    assert err.line == 2 and "one column only ('بوش')" in err.problem.message
    err = error_of(write_bytes(tmp_path / "b.conll", "قال O\nبوش PERS\n"))
    assert err.line == 2 and "unknown tag 'PERS'" in err.problem.message
    err = error_of(write_bytes(tmp_path / "c.conll", "قال O\nبوش S-PERS\n"))
    assert "the BIO scheme uses O, B-X, I-X" in err.problem.message


def test_conll_bioes_unclosed_span(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "a.conll", "الأمم B-ORG\nالمتحدة I-ORG\nقالت O\n")
    err = error_of(path, scheme="BIOES", repair=False)
    assert (err.line, err.problem.message) == (3, "B-ORG span not closed with E-ORG before this token (closed there)")
    [record] = read_corpus(path, scheme="BIOES")
    assert entity_texts(record) == [("الأمم المتحدة", "ORG")]


def test_problems_list_collects_and_continues(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "a.conll", "قال O\nبوش\n\nمصر B-LOC\n\nفي O\nغزة X-LOC\n\nحلب B-GPE\n")
    problems: list[Problem] = []
    records = list(read_corpus(path, problems=problems))
    assert [r.text for r in records] == ["مصر", "حلب"]
    assert [(p.line, p.message.split(" ")[0]) for p in problems] == [(2, "one"), (7, "unknown")]


def test_mixed_encodings(tmp_path: Path) -> None:
    path = write_bytes(tmp_path / "a.conll", "مصر B-LOC\n".encode() + "café O\n".encode("latin-1"))
    err = error_of(path)
    assert err.line == 2 and "not valid UTF-8" in err.problem.message


@pytest.mark.parametrize("name, format", [("e.jsonl", None), ("e.conll", None), ("e.txt", None),
                                          ("e.jsonl", "doccano"), ("e.json", "oneie")])
def test_empty_file(tmp_path: Path, name: str, format: str | None) -> None:
    err = error_of(write_bytes(tmp_path / name, "\n  \n"), format=format)
    assert (err.line, err.problem.message) == (0, "the file is empty")


def test_bad_doccano(tmp_path: Path) -> None:
    base = {"id": 1, "text": "قصفت حلب", "entities": [
        {"id": 1, "label": "Conflict:Attack", "start_offset": 0, "end_offset": 4},
        {"id": 2, "label": "GPE", "start_offset": 5, "end_offset": 8}]}
    missing = dict(base, relations=[{"id": 1, "from_id": 1, "to_id": 9, "type": "Target"}])
    err = error_of(write_bytes(tmp_path / "a.jsonl", json.dumps(missing) + "\n"))
    assert "to_id 9 is not an entity of this line" in err.problem.message
    plain = dict(base, relations=[{"id": 1, "from_id": 2, "to_id": 1, "type": "located"}])
    err = error_of(write_bytes(tmp_path / "b.jsonl", json.dumps(plain) + "\n"), format="doccano")
    assert "not an event type" in err.problem.message
    outside = dict(base, relations=[])
    outside["entities"] = [{"id": 2, "label": "GPE", "start_offset": 5, "end_offset": 80}]
    err = error_of(write_bytes(tmp_path / "c.jsonl", json.dumps(outside) + "\n"))
    assert "outside the text" in err.problem.message


def test_bad_oneie(tmp_path: Path) -> None:
    base = {"doc_id": "d", "sent_id": "s", "tokens": ["قصفت", "حلب"], "relation_mentions": [], "event_mentions": []}
    outside = dict(base, entity_mentions=[{"id": "e", "start": 1, "end": 3, "entity_type": "GPE"}])
    err = error_of(write_bytes(tmp_path / "a.json", json.dumps(outside) + "\n"))
    assert "token offsets [1, 3) are outside the sentence (2 tokens)" in err.problem.message
    wrong = dict(base, entity_mentions=[{"id": "e", "start": 1, "end": 2, "entity_type": "GPE", "text": "دمشق"}])
    err = error_of(write_bytes(tmp_path / "b.json", json.dumps(wrong, ensure_ascii=False) + "\n"))
    assert "text 'دمشق' does not match its tokens [1, 2): 'حلب'" in err.problem.message
    dangling = dict(base, entity_mentions=[], event_mentions=[
        {"id": "v", "event_type": "Conflict:Attack", "trigger": {"start": 0, "end": 1},
         "arguments": [{"entity_id": "nope", "role": "Target"}]}])
    err = error_of(write_bytes(tmp_path / "c.json", json.dumps(dangling) + "\n"))
    assert "entity_id 'nope' is not an entity mention" in err.problem.message


@pytest.mark.parametrize("format", ["conll", "oneie"])
def test_token_writers_need_whole_word_spans(tmp_path: Path, format: str) -> None:
    text = "زار ومصر"
    record = Record("x", text, [at(text, "مصر", "GPE")])  # inside the clitic-attached word
    with pytest.raises(ValueError, match=r"record 'x': entity 'مصر' \[5, 8\) does not cover whole words"):
        write_corpus([record], tmp_path / "x.out", format=format)


# --- the real files ------------------------------------------------------------------------------


def test_anercorp_train(shared_data: Path) -> None:
    """The README's figures hold: 3,963 sentences, 125,088 tokens. Entities are the README's
    B- counts plus 12 spans that start with I- at a sentence start (the splitter cut dotted
    abbreviations such as ``سي . أس .``), which the dispatcher repairs and reports."""
    path = shared_data / "ANERcorp" / "ANERCorp_CAMeLrecon_train.txt"
    assert detect_format(path) == "conll"
    problems: list[Problem] = []
    records = list(read_corpus(path, problems=problems))
    assert len(records) == 3963
    assert sum(len(r.text.split(" ")) for r in records) == 125_088
    types = Counter(s.label for r in records for s in r.entities)
    assert types == {"LOC": 3779, "PERS": 2724, "ORG": 1578 + 7, "MISC": 888 + 5}
    assert len(problems) == 12 and all("with no B-" in p.message for p in problems)
    assert problems[0].line == 81888
    assert records[0].events is None and records[0].id == "ANERCorp_CAMeLrecon_train-1"
    with pytest.raises(CorpusError, match=":81888: I-MISC with no B-MISC before it"):
        list(read_conll(path))


@pytest.mark.parametrize("split, sentences, tokens, counts", [
    # tokens: the README's 18,887 / 2,743 less the 350 / 56 dropped $#$ lines;
    # entities: outermost, innermost, all (= the README's B- counts, plus one repaired I-FAC in train)
    ("train", 1114, 18_537, {"outermost": 2312, "innermost": 2362, "all": 2883}),
    ("val", 158, 2_687, {"outermost": 385, "innermost": 391, "all": 470}),
])
def test_wojood_sample(shared_data: Path, split: str, sentences: int, tokens: int, counts: dict[str, int]) -> None:
    path = shared_data / "Wojood-sample" / f"{split}.txt"
    for nested, expected in counts.items():
        problems: list[Problem] = []
        records = list(read_corpus(path, problems=problems, nested=nested))
        assert len(records) == sentences
        assert sum(len(r.text.split(" ")) for r in records) == tokens
        assert "$#$" not in " ".join(r.text for r in records)
        assert sum(len(r.entities) for r in records) == expected
        assert [(p.line, p.message) for p in problems] == (
            [(12377, "I-FAC with no B-FAC before it (read as B-FAC)")] if split == "train" else [])


def test_bio_repairs_are_reported_with_file_and_line_on_stderr(tmp_path):
    import subprocess
    import sys

    source = tmp_path / "slip.conll"
    source.write_text("زار O\nبوتين B-PER\nالقاهرة I-LOC\n. O\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "arabic_ie.cli", "convert", str(source), str(tmp_path / "out.jsonl")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"{source}:3: I-LOC with no B-LOC before it (read as B-LOC) (repaired)" in done.stderr
    from arabic_ie.data.validate import validate_file

    problems = validate_file(source)  # and validate calls it a problem, with the same line
    assert [(p.line, "I-LOC with no B-LOC" in p.message) for p in problems] == [(3, True)]


def test_writing_to_a_device(sample_records, device_output):
    """``--output /dev/null`` and the like: written straight through, never renamed over."""
    from arabic_ie.cli import main
    from arabic_ie.data.formats import write_corpus

    assert write_corpus(sample_records["dev"], device_output, format="jsonl") == 51
    assert main(["convert", str(SAMPLE / "dev.jsonl"), str(device_output), "--output-format", "conll"]) == 0
    assert not [p for p in device_output.parent.iterdir() if p != device_output]  # no temporary file left


def test_outputs_respect_the_umask(tmp_path, sample_records, tiny_model_dir):
    from arabic_ie.model.tagger import JointTagger

    old = os.umask(0o022)
    try:
        write_corpus(sample_records["dev"], tmp_path / "out.conll")
        JointTagger.from_pretrained(tiny_model_dir, device="cpu").save_pretrained(tmp_path / "model")
    finally:
        os.umask(old)
    assert (tmp_path / "out.conll").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "model").stat().st_mode & 0o777 == 0o755  # another user can load the model
    assert all(p.stat().st_mode & 0o777 == 0o644 for p in (tmp_path / "model").iterdir())


def test_whitespace_conll_export_widens_a_span_to_the_token_its_punctuation_is_glued_to(tmp_path):
    from arabic_ie.data.conll import record_to_conll
    from arabic_ie.data.records import Record, Span

    text = "فرانكفورت (د ب أ) أعلن"
    record = Record("r", text, [Span(text.index("د"), text.index("أ)") + 1, "ORG")], None)
    assert record_to_conll(record, tokenize="whitespace").splitlines()[1:4] == ["(د B-ORG", "ب I-ORG", "أ) I-ORG"]
    with pytest.raises(ValueError, match="whole words"):
        record_to_conll(Record("r", "ومصر", [Span(1, 4, "GPE")], None), tokenize="whitespace")


def test_convert_to_a_link_to_stdout_writes_into_the_shells_file(tmp_path):
    """`arabic-ie convert test.jsonl /dev/stdout > c.conll` wrote 0 bytes and, as root, replaced
    the /dev/stdout link with a file (a temporary file renamed over it). A link of our own to
    /proc/self/fd/1 takes the same path without touching the machine's /dev/stdout."""
    import subprocess
    import sys

    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    out = tmp_path / "c.conll"
    with open(out, "wb") as handle:
        done = subprocess.run([sys.executable, "-m", "arabic_ie.cli", "convert", str(SAMPLE / "test.jsonl"), str(link),
                               "--output-format", "conll"], stdout=handle, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and "wrote 44 records" in done.stderr
    assert len(list(read_conll(out))) == 44


def test_a_lock_is_on_the_file_a_symlink_names(tmp_path):
    from arabic_ie.data.locks import LockedError, exclusive_lock

    real = tmp_path / "real.jsonl"
    real.write_text("", encoding="utf-8")
    (tmp_path / "link.jsonl").symlink_to(real)
    with exclusive_lock(real):
        with pytest.raises(LockedError):
            with exclusive_lock(tmp_path / "link.jsonl"):
                pass


def test_a_bom_in_the_middle_of_a_jsonl_file_loses_no_record(tmp_path: Path) -> None:
    """Issue 23: `cat a.jsonl b.jsonl` keeps b's BOM at the start of a line mid-file; that record
    was lost (an error record in predict, a bad line in train)."""
    from arabic_ie.data.batch_items import read_items

    line = json.dumps({"id": "x", "text": "قال محمد", "entities": []}, ensure_ascii=False)
    path = write_bytes(tmp_path / "joined.jsonl", "\ufeff" + line + "\n\ufeff" + line.replace('"x"', '"y"') + "\n")
    assert [r.id for r in read_corpus(path)] == ["x", "y"]
    items = list(read_items(str(path), "jsonl"))
    assert [i.id for i in items] == ["x", "y"] and all(i.record is not None for i in items)


def test_a_conll_txt_with_one_odd_line_is_still_conll(tmp_path: Path, caplog) -> None:
    """Issue 23: an extra column on one of the first lines made the file plain text; validate
    found 0 problems and training ran with no labels. Now it is CoNLL and the odd line is named."""
    from arabic_ie.data.validate import validate_file

    path = write_bytes(tmp_path / "c.txt", "قال O\nمحمد B-PER extra\nفي O\nدبي B-LOC\n\nذهب O\nعلي B-PER\n")
    assert detect_format(path) == "conll"
    assert [(p.line, p.message.split(":")[0]) for p in validate_file(path)] == [(2, "unknown tag 'extra'")]
    text = write_bytes(tmp_path / "t.txt", "قال الرئيس إن مصر ستدعم غزة\nوقال O\nأعلنت الوزارة اعتقال ثلاثة\n")
    with caplog.at_level("WARNING"):
        assert detect_format(text) == "text"
    assert "read as plain text, though 1 of its first 3 lines look like CoNLL" in caplog.text
