"""Label Studio's formats: config, tasks and export, round trips through files and through
read_corpus / write_corpus like every corpus format."""
import json
import xml.etree.ElementTree as ET

import pytest

from arabic_ie.data.errors import CorpusError
from arabic_ie.data.formats import detect_format, read_corpus, write_corpus
from arabic_ie.data.labelstudio import (from_js_offset, labeling_config, record_to_task, task_to_record,
                                        to_js_offset)
from arabic_ie.data.records import Event, Record, Span
from arabic_ie.data.schema import LabelSchema

_TEXT = "🇸🇾 هاجم مسلحون قرية في ريف حلب 😢 أمس."


def _at(word: str, label: str = "") -> Span:
    start = _TEXT.index(word)
    return Span(start, start + len(word), label)


# a flag (two astral code points) before the spans and an emoji between them: UTF-16 offsets differ
EMOJI = Record("emoji-1", _TEXT, [_at("أمس", "TIME")],
               [Event("Conflict:Attack", _at("هاجم"), [_at("مسلحون", "Attacker"), _at("قرية", "Target"),
                                                      _at("أمس", "Time")])],
               {"document": "d9"})


def test_js_offsets_count_utf16_units_after_astral_characters():
    text = EMOJI.text
    assert text.index("هاجم") == 3 and to_js_offset(text, 3) == 5  # the flag: 2 code points, 4 UTF-16 units
    assert to_js_offset(text, text.index("أمس")) == text.index("أمس") + 3  # and the emoji: 1 more
    assert all(from_js_offset(text, to_js_offset(text, k)) == k for k in range(len(text) + 1))
    with pytest.raises(ValueError, match="inside the character"):
        from_js_offset(text, 1)


def test_config_names_every_label_and_role(sample_records):
    schema = LabelSchema.from_records(sample_records["train"])
    root = ET.fromstring(labeling_config(schema))
    controls = {c.get("name"): [label.get("value") for label in c] for c in root.iter("Labels")}
    assert controls["entity"] == [*schema.entity_types, "ARG"]
    assert controls["trigger"] == schema.event_types
    assert [r.get("value") for r in root.iter("Relation")] == schema.roles
    assert root.find(".//Text").get("value") == "$text"


def test_records_round_trip_through_a_task_file(tmp_path, sample_records):
    records = sample_records["test"] + [EMOJI, Record("ner-only", "زار بوتين القاهرة.", [Span(4, 9, "PER")], None)]
    path = tmp_path / "tasks.json"
    assert write_corpus(records, path, "labelstudio") == len(records)
    assert detect_format(path) == "labelstudio"
    back = list(read_corpus(path))
    assert [r.to_dict() for r in back] == [r.to_dict() for r in records]
    assert back[-1].events is None  # NER-only stays NER-only


def test_an_argument_outside_the_entities_gets_an_arg_span_that_is_not_an_entity():
    task = record_to_task(EMOJI)
    spans = [item for item in task["annotations"][0]["result"] if item["type"] == "labels"]
    args = [s for s in spans if s["value"]["labels"] == ["ARG"]]
    assert {a["value"]["text"] for a in args} == {"مسلحون", "قرية"}
    assert task_to_record(task).entities == EMOJI.entities


def test_predictions_carry_model_version_and_scores():
    record = Record("p", "زار بوتين القاهرة.", [Span(4, 9, "PER", 0.8), Span(10, 17, "GPE", 0.6)], [])
    task = record_to_task(record, "predictions", model_version="runs/m1")
    prediction = task["predictions"][0]
    assert prediction["model_version"] == "runs/m1" and prediction["score"] == pytest.approx(0.7)
    assert [item["score"] for item in prediction["result"]] == [0.8, 0.6]
    assert task_to_record(task) is None  # not reviewed yet: nothing to train on
    assert task_to_record(task, source="predictions").to_dict() == record.to_dict()


def test_export_reader_takes_the_last_kept_annotation_and_skips_unreviewed_tasks(tmp_path):
    done = record_to_task(EMOJI)
    cancelled = {"result": [], "was_cancelled": True}
    done["annotations"].append(cancelled)
    export = [done, record_to_task(EMOJI, "predictions")]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export, ensure_ascii=False, indent=2), encoding="utf-8")
    assert [r.to_dict() for r in read_corpus(path)] == [EMOJI.to_dict()]


def test_a_relation_without_a_role_is_an_error_naming_the_task(tmp_path):
    task = record_to_task(EMOJI)
    relation = next(i for i in task["annotations"][0]["result"] if i["type"] == "relation")
    relation["labels"] = []
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CorpusError, match="task 1: relation .* needs exactly one role"):
        list(read_corpus(path))


def test_validate_reads_label_studio_exports(tmp_path):
    from arabic_ie.data.validate import GUIDELINES_SCHEMA, validate_file

    task = record_to_task(EMOJI)
    task["annotations"][0]["result"][0]["value"]["labels"] = ["WEAPON"]
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    problems = validate_file(path, schema=GUIDELINES_SCHEMA)
    assert [p.message for p in problems] == ["record 'emoji-1': unknown entity type 'WEAPON'"]


def test_predict_writes_tasks_label_studio_imports_and_resumes_after_a_kill(tiny_model_dir, tmp_path, caplog):
    from arabic_ie.cli import main

    source = tmp_path / "news.txt"
    lines = ["التقى وزير الخارجية المصري نظيره الأردني في عمّان.", "", EMOJI.text,
             "أعلنت وزارة الداخلية اعتقال ثلاثة أشخاص في القاهرة.", "وصل الوفد إلى الرياض."]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    full = tmp_path / "tasks.json"
    args = ["predict", "--model", str(tiny_model_dir), "--input", str(source), "--batch-size", "2",
            "--output-format", "labelstudio"]
    assert main([*args, "--output", str(full)]) == 0
    tasks = json.loads(full.read_text(encoding="utf-8"))  # one JSON array: what Label Studio imports
    assert [t["data"]["record_id"] for t in tasks] == [f"line-{n}" for n in range(1, 6)]
    assert tasks[1]["data"]["error"] == "empty document"
    assert all(t["predictions"][0]["model_version"] == str(tiny_model_dir) for t in tasks if "predictions" in t)
    # issue 23: an error task among good ones is skipped with a warning, not a refusal of the whole file
    with caplog.at_level("WARNING"):
        assert [r.text for r in read_corpus(full, source="predictions")] == [lines[0], *lines[2:]]
    assert "skipped 1 error task(s)" in caplog.text
    good = [t for t in tasks if "predictions" in t]
    assert [task_to_record(t, "predictions").text for t in good] == [lines[0], *lines[2:]]

    # a run killed after three tasks, in the middle of the fourth line
    killed = tmp_path / "killed.json"
    text = full.read_text(encoding="utf-8").split("\n")
    killed.write_text("\n".join(text[:4]) + "\n" + text[4][:25], encoding="utf-8")
    assert main([*args, "--output", str(killed), "--resume"]) == 0
    assert killed.read_text(encoding="utf-8") == full.read_text(encoding="utf-8")
    assert main([*args, "--output", str(killed), "--resume"]) == 0  # a finished run resumes to itself
    assert killed.read_text(encoding="utf-8") == full.read_text(encoding="utf-8")


def test_labelstudio_config_command_takes_the_schema_of_a_model_or_a_corpus(tiny_model_dir, tmp_path, sample_records):
    from arabic_ie.cli import main
    from arabic_ie.model.configuration import ArabicIEConfig

    out = tmp_path / "config.xml"
    assert main(["labelstudio-config", "--model", str(tiny_model_dir), "-o", str(out)]) == 0
    schema = ArabicIEConfig.from_pretrained(tiny_model_dir).label_schema
    root = ET.parse(out).getroot()
    assert [r.get("value") for r in root.iter("Relation")] == schema.roles
    corpus = tmp_path / "test.jsonl"
    from arabic_ie.data.jsonl import write_jsonl

    write_jsonl(sample_records["test"], corpus)
    assert main(["labelstudio-config", "--data", str(corpus), "-o", str(out)]) == 0
    root = ET.parse(out).getroot()
    trigger = next(c for c in root.iter("Labels") if c.get("name") == "trigger")
    assert [label.get("value") for label in trigger] == LabelSchema.from_records(sample_records["test"]).event_types


def test_convert_and_eval_read_label_studio_like_any_corpus(tmp_path, sample_records, capsys):
    from arabic_ie.cli import main
    from arabic_ie.data.jsonl import write_jsonl

    native, tasks, back = tmp_path / "test.jsonl", tmp_path / "tasks.json", tmp_path / "back.jsonl"
    write_jsonl(sample_records["test"], native)
    assert main(["convert", str(native), str(tasks), "--output-format", "labelstudio"]) == 0
    assert main(["convert", str(tasks), str(back)]) == 0
    assert back.read_text(encoding="utf-8") == native.read_text(encoding="utf-8")
    assert main(["eval", "--gold", str(tasks), "--pred", str(native), "--output-json", str(tmp_path / "s.json")]) == 0
    scores = json.loads((tmp_path / "s.json").read_text())
    assert scores["entities"]["overall"]["f1"] == 1.0 and scores["arguments"]["classification"]["f1"] == 1.0


def test_every_type_and_role_has_a_colour_of_its_own():
    """The guidelines' 7 entity labels, 14 event types and 15 roles: 36 colours, none repeated."""
    import re

    from arabic_ie.data.labelstudio import labeling_config
    from arabic_ie.data.validate import GUIDELINES_SCHEMA

    xml = labeling_config(GUIDELINES_SCHEMA)
    colours = re.findall(r'background="(#[0-9a-f]{6})"', xml)
    expected = len(GUIDELINES_SCHEMA.entity_types) + 1 + len(GUIDELINES_SCHEMA.event_types) + len(GUIDELINES_SCHEMA.roles)
    assert len(colours) == expected > 30 and len(set(colours)) == len(colours)
    assert re.search(r'<Relation value="Attacker" background="#', xml)


# --- hostile exports (issue 23) -------------------------------------------------------------------

def _export(tmp_path, tasks, name="export.json", indent=None):
    path = tmp_path / name
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=indent), encoding="utf-8")
    return path


def test_a_span_whose_text_is_not_the_tasks_text_there_is_refused(tmp_path):
    """An export whose text was edited after annotation: the offsets now cover other words."""
    task = record_to_task(EMOJI)
    task["data"]["text"] = task["data"]["text"].replace("هاجم", "داهم")  # a word changed, offsets kept
    with pytest.raises(CorpusError, match=r"task 1: result item \d+: its text 'هاجم' is not the task's text"):
        list(read_corpus(_export(tmp_path, [task])))


def test_json_min_and_arrays_without_data_are_named_as_what_they_are(tmp_path):
    json_min = [{"id": 1, "text": EMOJI.text, "entity": [{"start": 0, "end": 3, "text": EMOJI.text[:3],
                                                          "labels": ["PER"]}],
                 "annotator": 1, "annotation_id": 7, "lead_time": 3.5}]
    with pytest.raises(ValueError, match="JSON-MIN export.*export the project as JSON"):
        list(read_corpus(_export(tmp_path, json_min)))
    with pytest.raises(CorpusError, match="JSON-MIN export"):
        list(read_corpus(_export(tmp_path, json_min), format="labelstudio"))
    with pytest.raises(ValueError, match="no 'data': not a Label Studio JSON export"):
        list(read_corpus(_export(tmp_path, [{"id": 1, "words": ["x"]}])))


def test_an_empty_label_is_refused_where_it_is_read(tmp_path):
    task = record_to_task(EMOJI)
    task["annotations"][0]["result"][0]["value"]["labels"] = [""]
    with pytest.raises(CorpusError, match="result item 0 has an empty label"):
        list(read_corpus(_export(tmp_path, [task])))


def test_error_tasks_among_good_ones_are_skipped_with_a_warning(tmp_path, caplog):
    from arabic_ie.data.labelstudio import error_task

    good = [record_to_task(EMOJI) for _ in range(600)]
    for k in (5, 300, 599):
        good[k] = error_task(f"line-{k + 1}", "empty document")
    with caplog.at_level("WARNING"):
        records = list(read_corpus(_export(tmp_path, good)))
    assert len(records) == 597 and "skipped 3 error task(s)" in caplog.text


def test_a_pretty_printed_export_is_streamed_and_bad_tasks_name_their_line(tmp_path):
    """Label Studio writes the export indented; a bad task is named with its own line (the whole
    array used to be 'line 0')."""
    from arabic_ie.data.labelstudio import read_labelstudio

    tasks = [record_to_task(EMOJI), record_to_task(EMOJI), {"data": {"text": 5}, "annotations": []}]
    path = _export(tmp_path, tasks, indent=2)
    lines = path.read_text(encoding="utf-8").splitlines()
    bad_line = len(lines) - next(i for i, l in enumerate(reversed(lines)) if l == "  {")
    with pytest.raises(CorpusError) as err:
        list(read_labelstudio(path))
    assert err.value.problem.line == bad_line and "task 3" in str(err.value)
    assert len(list(read_labelstudio(_export(tmp_path, tasks[:2], "two.json", indent=2)))) == 2


def test_a_cut_export_is_an_error_naming_the_line(tmp_path):
    path = _export(tmp_path, [record_to_task(EMOJI)] * 3)
    path.write_text(path.read_text(encoding="utf-8")[:-40], encoding="utf-8")
    with pytest.raises(CorpusError, match="bad JSON|not closed"):
        list(read_corpus(path))


def test_the_export_is_read_task_by_task(tmp_path):
    """Streamed, not parsed whole (a 125 MB export took 1.16 GB): the first tasks come out of a
    file whose end is broken before the reader has seen that end."""
    from arabic_ie.data.labelstudio import read_labelstudio

    path = _export(tmp_path, [record_to_task(EMOJI)] * 3000)
    path.write_text(path.read_text(encoding="utf-8")[:-1] + ', {"data": oops}]', encoding="utf-8")
    records = read_labelstudio(path)
    assert next(records).text == EMOJI.text
    with pytest.raises(CorpusError, match="bad JSON"):
        list(records)
