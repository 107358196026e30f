"""`arabic-ie validate` reports every problem of a file; the shipped sample has none."""
import json

from arabic_ie.cli import main
from arabic_ie.data.stats import corpus_stats
from arabic_ie.data.validate import GUIDELINES_SCHEMA, validate_file

from conftest import SAMPLE

GOOD = {"id": "a", "text": "التقى الصفدي نظيره في عمّان أمس.",
        "entities": [{"start": 6, "end": 12, "type": "PER"}],
        "events": [{"type": "Contact:Meet", "trigger": {"start": 0, "end": 5},
                    "arguments": [{"start": 6, "end": 12, "role": "Entity"}]}]}


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_problem_is_reported_with_its_line(tmp_path):
    cut = dict(GOOD, id="b", entities=[{"start": 6, "end": 10, "type": "PER"}])
    role = dict(GOOD, id="c", events=[{"type": "Contact:Meet", "trigger": {"start": 0, "end": 5},
                                       "arguments": [{"start": 6, "end": 12, "role": "Attacker"}]}])
    outside = dict(GOOD, id="d", entities=[{"start": 6, "end": 99, "type": "PER"}])
    path = write_lines(tmp_path / "c.jsonl", [json.dumps(GOOD, ensure_ascii=False), json.dumps(cut, ensure_ascii=False),
                                              "{not json", json.dumps(role, ensure_ascii=False),
                                              json.dumps(outside, ensure_ascii=False)])
    problems = validate_file(path, schema=GUIDELINES_SCHEMA)
    by_line = {p.line: p.message for p in problems}
    assert set(by_line) == {2, 3, 4, 5}
    assert "cuts a word" in by_line[2]
    assert "bad JSON" in by_line[3]
    assert "unknown role 'Attacker' for event type Contact:Meet" in by_line[4]
    assert "outside the text" in by_line[5]
    assert str(problems[0]).startswith(f"{path}:2: ")


def test_conll_problems_name_the_line(tmp_path):
    path = write_lines(tmp_path / "c.conll", ["زار B-PER", "القاهرة I-LOC", "", "ثم O", "عاد"])
    messages = [str(p) for p in validate_file(path)]
    assert any(":2:" in m and "I-LOC" in m for m in messages)
    assert any(":5:" in m for m in messages)


def test_the_shipped_sample_validates_against_the_guidelines():
    for split in ("train", "dev", "test"):
        assert validate_file(SAMPLE / f"{split}.jsonl", schema=GUIDELINES_SCHEMA) == []


def test_the_sample_covers_the_schema(sample_records):
    everything = [r for split in sample_records.values() for r in split]
    stats = corpus_stats(everything)
    assert len(stats.documents) >= 60 and stats.records >= 400
    assert set(stats.entities) == set(GUIDELINES_SCHEMA.entity_types)
    assert set(stats.events) == set(GUIDELINES_SCHEMA.event_types)
    assert sum(stats.events.values()) >= 300
    for event_type, roles in GUIDELINES_SCHEMA.allowed_roles.items():
        for role in roles:
            assert stats.roles[(event_type, role)] >= 10, (event_type, role)
    articles = {split: {r.metadata["article"] for r in records} for split, records in sample_records.items()}
    assert not articles["train"] & articles["dev"] and not articles["train"] & articles["test"]
    assert not articles["dev"] & articles["test"]


def test_cli_validate_and_stats(tmp_path, capsys):
    bad = write_lines(tmp_path / "bad.jsonl", ["{oops"])
    assert main(["validate", str(bad)]) == 1
    assert "bad.jsonl:1: bad JSON" in capsys.readouterr().out
    assert main(["validate", str(SAMPLE / "dev.jsonl")]) == 0
    assert main(["stats", str(SAMPLE / "train.jsonl"), str(SAMPLE / "test.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "| Conflict:Attack" in out or "**Conflict:Attack**" in out
    assert "| PER |" in out


OVERLAPPING = {"id": "o", "text": "زار وفد وزارة الخارجية المصرية القاهرة أمس.",
               "entities": [{"start": 8, "end": 30, "type": "ORG"}, {"start": 23, "end": 38, "type": "GPE"},
                            {"start": 39, "end": 42, "type": "TIME"}],
               "events": [{"type": "Movement:Transport", "trigger": {"start": 0, "end": 3},
                           "arguments": [{"start": 4, "end": 30, "role": "Artifact"},
                                         {"start": 23, "end": 38, "role": "Destination"}]}]}


def test_overlapping_spans_are_reported_by_validate(tmp_path):
    path = write_lines(tmp_path / "o.jsonl", [json.dumps(OVERLAPPING, ensure_ascii=False)])
    messages = [p.message for p in validate_file(path, schema=GUIDELINES_SCHEMA)]
    assert any(m.startswith("overlapping entities 'وزارة الخارجية المصرية' and 'المصرية القاهرة'")
               and "keeps the longer" in m for m in messages)
    assert any(m.startswith("overlapping arguments of Movement:Transport:") for m in messages)


def test_overlapping_spans_in_training_data_follow_the_policy_and_are_reported(tmp_path, caplog):
    from arabic_ie.data.features import record_to_word_example
    from arabic_ie.data.records import Record
    from arabic_ie.settings import read_config
    from arabic_ie.training.trainer import load_records

    path = write_lines(tmp_path / "o.jsonl", [json.dumps(OVERLAPPING, ensure_ascii=False)])
    with caplog.at_level("WARNING"):
        [record] = load_records([str(path)], read_config(train_files=[str(path)]))
    assert [(e.label, e.start) for e in record.entities] == [("ORG", 8), ("TIME", 39)]  # the longer kept
    assert [a.label for a in record.events[0].arguments] == ["Artifact"]
    warned = [r.getMessage() for r in caplog.records]
    assert any(f"{path}: record 'o': entity GPE 'المصرية القاهرة'" in m for m in warned)
    assert any("Destination argument" in m for m in warned)
    example = record_to_word_example(Record.from_dict(OVERLAPPING))  # the API path: valid BIO too
    assert example["entity_tags"] == ["O", "O", "B-ORG", "I-ORG", "I-ORG", "O", "B-TIME", "O"]


def test_a_json_array_file_is_one_clear_problem(tmp_path):
    array = tmp_path / "a.jsonl"
    array.write_text("[\n" + ",\n".join(json.dumps(GOOD, ensure_ascii=False) for _ in range(50)) + "\n]\n",
                     encoding="utf-8")
    problems = validate_file(array)
    assert [(p.line, p.message) for p in problems] == [
        (1, "this is a JSON array; JSON lines need one object per line")]
    one_line = tmp_path / "b.json"
    one_line.write_text(json.dumps([GOOD, GOOD], ensure_ascii=False) + "\n", encoding="utf-8")
    [problem] = validate_file(one_line)  # a .json array is taken for a Label Studio export, which it is not
    assert "no 'data': not a Label Studio JSON export" in problem.message
    assert "JSON lines need one object per line" in problem.message


def test_binary_folder_and_missing_files_are_named_as_such(tmp_path, capsys):
    binary = tmp_path / "model.jsonl"
    binary.write_bytes(b"\x00\x01\x02PK\x03\x04" * 300 + b"\n\xff\xfe\x00\n" * 20)
    assert [p.message for p in validate_file(binary)] == ["a binary file (it holds NUL bytes), not UTF-8 text"]
    latin = tmp_path / "latin.txt"
    latin.write_bytes("d\xe9j\xe0 vu\n".encode("latin-1"))
    messages = [p.message for p in validate_file(latin)]
    assert "the file is empty" not in messages and "no line is valid UTF-8 (another encoding?)" in messages
    folder = tmp_path / "corpus.conll"
    folder.mkdir()
    assert [str(p) for p in validate_file(folder)] == [f"{folder}: is a folder, not a file (name the files inside it)"]
    assert [str(p) for p in validate_file(tmp_path / "nope.conll")] == [f"{tmp_path / 'nope.conll'}: no such file"]
    assert [str(p) for p in validate_file(tmp_path / "nope.xyz")] == [f"{tmp_path / 'nope.xyz'}: no such file"]
    assert main(["convert", str(tmp_path / "nope.conll"), str(tmp_path / "out.jsonl")]) == 2
    assert f"{tmp_path / 'nope.conll'}: no such file" in capsys.readouterr().err
    assert main(["stats", str(folder)]) == 2
    assert "is a folder, not a file" in capsys.readouterr().err


def test_an_argument_outside_its_triggers_sentence_is_a_problem(tmp_path):
    text = "التقى الصفدي نظيره في عمّان أمس. وقال الوزير إن القاهرة ترحب."
    record = {"id": "s", "text": text, "entities": [],
              "events": [{"type": "Contact:Meet", "trigger": {"start": 0, "end": 5},
                          "arguments": [{"start": 6, "end": 12, "role": "Entity"},
                                        {"start": text.index("القاهرة"), "end": text.index("القاهرة") + 7,
                                         "role": "Place"}]}]}
    path = write_lines(tmp_path / "s.jsonl", [json.dumps(record, ensure_ascii=False)])
    assert [p.message for p in validate_file(path, schema=GUIDELINES_SCHEMA)] == [
        "Place argument 'القاهرة' of Contact:Meet is outside the sentence of its trigger 'التقى'"]


def test_a_span_holding_a_mention_or_url_is_a_problem(tmp_path):
    text = "قال @AJArabic الوزير"
    record = {"id": "w", "text": text, "entities": [{"start": 4, "end": 20, "type": "PER"}], "events": []}
    path = write_lines(tmp_path / "w.jsonl", [json.dumps(record, ensure_ascii=False)])
    assert [p.message for p in validate_file(path)] == [
        "entity PER '@AJArabic الوزير' starts or ends with punctuation"]
    record["entities"] = [{"start": 0, "end": 20, "type": "PER"}]
    path = write_lines(tmp_path / "w.jsonl", [json.dumps(record, ensure_ascii=False)])
    assert [p.message for p in validate_file(path)] == [
        "entity PER 'قال @AJArabic الوزير' holds a URL, an e-mail address or an @mention (never part of a span)"]
