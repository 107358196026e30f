"""Label Studio's own formats: the labeling config (XML), tasks with pre-annotations, and the
JSON export, so annotators correct a model's output in Label Studio and train on the result.

Label Studio has spans and relations, not events, so events are encoded as:

* entities are spans of the ``entity`` labels control (``<Labels name="entity">``);
* an event trigger is a span of the ``trigger`` labels control, labelled with its event type;
* each argument is a relation from the trigger's span to the argument's span, labelled with the
  role; an argument that is not one of the record's entities gets a span labelled ``ARG`` in the
  entity control, which the reader does not turn into an entity (as in :mod:`.doccano`).

A task is ``{"data": {"text", "record_id", "metadata", "has_events"}, "annotations" |
"predictions": [{"result": [...]}]}``; ``has_events: false`` keeps a NER-only record NER-only.
A prediction carries ``model_version`` and a ``score`` (the mean of its spans' scores), and each
span its own ``score``, which Label Studio shows and sorts by.

Offsets: Label Studio counts characters as JavaScript does (UTF-16 code units), Python counts
code points; they differ after any character outside the Basic Multilingual Plane (an emoji, a
flag), so offsets are converted both ways here.

Reading an export takes, per task, its last annotation that was not cancelled (``source=
"annotations"``, the default: what people corrected) or its last prediction (``source=
"predictions"``); a task without one is skipped, with a warning, since it was never reviewed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import CorpusError, Problem
from .fileio import atomic_open, check_input_file, iter_lines
from .jsonl import iter_json_array, json_line, load_json_object
from .records import Event, Record, Span
from .schema import LabelSchema

logger = logging.getLogger(__name__)

TEXT = "text"
ENTITY_CONTROL = "entity"
TRIGGER_CONTROL = "trigger"
ARG_LABEL = "ARG"
SOURCES = ("annotations", "predictions")
JSON_MIN_MESSAGE = ("this is Label Studio's JSON-MIN export, which drops the relations (the events' arguments): "
                    "export the project as JSON instead")

def distinct_colours(count: int) -> list[str]:
    """``count`` different, readable background colours: hues a golden angle apart (never the
    same twice), two lightness levels. Label Studio picks repeating colours itself, and a fixed
    palette ran out at the 16th label: the 21 types and 15 roles of the guidelines need 37."""
    import colorsys

    colours = []
    for k in range(count):
        red, green, blue = colorsys.hls_to_rgb((k * 0.6180339887) % 1.0, 0.62 if k % 2 else 0.74, 0.65)
        colours.append(f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}")
    return colours


# --- offsets -------------------------------------------------------------------------------------

def to_js_offset(text: str, offset: int) -> int:
    """A Python (code point) offset as a JavaScript (UTF-16 code unit) offset."""
    return offset + sum(1 for char in text[:offset] if ord(char) > 0xFFFF)


def from_js_offset(text: str, offset: int) -> int:
    """A JavaScript (UTF-16) offset as a Python offset; ``ValueError`` when it splits a character."""
    units = 0
    for index, char in enumerate(text):
        if units == offset:
            return index
        units += 2 if ord(char) > 0xFFFF else 1
        if units > offset:
            raise ValueError(f"offset {offset} falls inside the character {char!r}")
    if units == offset:
        return len(text)
    raise ValueError(f"offset {offset} is past the end of the text ({units} UTF-16 units)")


# --- the labeling config -------------------------------------------------------------------------

def labeling_config(schema: LabelSchema) -> str:
    """The XML labeling config for a schema: entity labels (and ``ARG``), trigger labels (event
    types) and one relation label per role, over a right-to-left text."""

    entity_names = [*schema.entity_types, ARG_LABEL]
    colours = iter(distinct_colours(len(entity_names) + len(schema.event_types) + len(schema.roles)))

    def labels(names: Iterable[str], tag: str = "Label") -> str:
        """``<Label>`` (or ``<Relation>``) lines for the names, each with a colour of its own."""
        return "\n".join(f'    <{tag} value="{escape(name)}" background="{next(colours)}"/>' for name in names)

    parts = ["<View>", '  <Header value="Entities"/>', f'  <Labels name="{ENTITY_CONTROL}" toName="{TEXT}">',
             labels(entity_names), "  </Labels>"]
    if schema.event_types:  # a NER-only schema has no triggers and no roles: no empty controls
        parts += ['  <Header value="Event triggers (link each to its arguments with a relation named by the role)"/>',
                  f'  <Labels name="{TRIGGER_CONTROL}" toName="{TEXT}">', labels(schema.event_types), "  </Labels>"]
    if schema.roles:
        parts += ["  <Relations>", labels(schema.roles, "Relation"), "  </Relations>"]
    parts += ['  <View style="direction: rtl; text-align: right; font-size: 1.2em; line-height: 2">',
              f'    <Text name="{TEXT}" value="${TEXT}" granularity="word"/>', "  </View>", "</View>", ""]
    return "\n".join(parts)


# --- writing tasks -------------------------------------------------------------------------------

@dataclass
class _Result:
    """Builds one annotation's ``result`` list: span regions and relations between them."""

    text: str
    items: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def region(self, span: Span, control: str, label: str) -> str:
        """Add a labelled span region under ``control`` (offsets in UTF-16 units, as JS counts); return its id."""
        self.count += 1
        region_id = f"{control[0]}{self.count}"
        item: dict[str, Any] = {
            "id": region_id, "from_name": control, "to_name": TEXT, "type": "labels",
            "value": {"start": to_js_offset(self.text, span.start), "end": to_js_offset(self.text, span.end),
                      "text": span.text_in(self.text), "labels": [label]}}
        if span.score is not None:
            item["score"] = round(span.score, 4)
        self.items.append(item)
        return region_id

    def relation(self, source: str, target: str, role: str, score: float | None) -> None:
        """Add a relation labelled with the argument's ``role`` from the trigger region to the argument's."""
        item: dict[str, Any] = {"from_id": source, "to_id": target, "type": "relation",
                                "direction": "right", "labels": [role]}
        if score is not None:
            item["score"] = round(score, 4)
        self.items.append(item)


def annotation_result(record: Record) -> list[dict[str, Any]]:
    """A record as one Label Studio ``result`` list (see the module docstring)."""
    for span in record.entities:
        if span.label == ARG_LABEL:
            raise ValueError(f"record {record.id!r}: entity type {ARG_LABEL!r} would be read back as "
                             "a bare argument span")
    result = _Result(record.text)
    by_span: dict[tuple[int, int], str] = {}
    for span in record.entities:
        region = result.region(span, ENTITY_CONTROL, span.label)
        by_span.setdefault((span.start, span.end), region)
    triggers = [result.region(event.trigger, TRIGGER_CONTROL, event.type) for event in record.events or []]
    for event, trigger in zip(record.events or [], triggers):
        for argument in event.arguments:
            key = (argument.start, argument.end)
            if key not in by_span:
                by_span[key] = result.region(Span(argument.start, argument.end), ENTITY_CONTROL, ARG_LABEL)
            result.relation(trigger, by_span[key], argument.label, argument.score)
    return result.items


def _spans(record: Record) -> list[Span]:
    return [*record.entities, *(e.trigger for e in record.events or []),
            *(a for e in record.events or [] for a in e.arguments)]


def record_to_task(record: Record, kind: str = "annotations", model_version: str | None = None,
                   extra_data: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Label Studio task holding the record's spans as an annotation (gold, to import as done
    work) or as a prediction (``kind="predictions"``: a pre-annotation to correct)."""
    if kind not in SOURCES:
        raise ValueError(f"kind must be one of {', '.join(SOURCES)}, not {kind!r}")
    data: dict[str, Any] = {TEXT: record.text, "record_id": record.id, "has_events": record.has_events}
    if record.metadata:
        data["metadata"] = record.metadata
    data.update(extra_data or {})
    entry: dict[str, Any] = {"result": annotation_result(record)}
    if kind == "predictions":
        scores = [s.score for s in _spans(record) if s.score is not None]
        entry["model_version"] = model_version or "arabic-ie"
        entry["score"] = round(sum(scores) / len(scores), 4) if scores else 1.0
    return {"data": data, kind: [entry]}


def error_task(record_id: str, error: str) -> dict[str, Any]:
    """An input that could not be tagged, as a task a reviewer sees (and the reader rejects)."""
    return {"data": {TEXT: f"[arabic-ie could not tag {record_id}: {error}]", "record_id": record_id,
                     "error": error}}


def task_line(task: dict[str, Any], first: bool) -> str:
    """One task as a line of a JSON array written one task a line: ``[`` on a line of its own,
    then the tasks, each after the first led by a comma, then ``]``. Label Studio imports
    ``.json`` files only, so streamed output keeps a whole array that still grows by lines."""
    return ("" if first else ",") + json_line(task) + "\n"


def write_tasks(tasks: Iterable[dict[str, Any]], path: str | Path) -> int:
    """Write tasks as a JSON array (what Label Studio imports), atomically; returns the count."""
    count = 0
    with atomic_open(path) as out:
        out.write("[\n")
        for task in tasks:
            out.write(task_line(task, count == 0))
            count += 1
        out.write("]\n")
    return count


def write_labelstudio(records: Iterable[Record], path: str | Path, kind: str = "annotations",
                      model_version: str | None = None) -> int:
    """Write records as tasks, their spans as annotations (or as predictions to correct)."""
    return write_tasks((record_to_task(record, kind, model_version) for record in records), path)


# --- reading the export --------------------------------------------------------------------------

def _pick(task: dict[str, Any], source: str) -> dict[str, Any] | None:
    """The annotation (or prediction) to read from a task, or None when it has none."""
    entries = task.get(source) or []
    if not isinstance(entries, list):
        raise ValueError(f"'{source}' must be a list")
    if source == "annotations":
        entries = [a for a in entries if isinstance(a, dict) and not a.get("was_cancelled")]
    entries = [e for e in entries if isinstance(e, dict)]
    return entries[-1] if entries else None


def task_to_record(task: dict[str, Any], source: str = "annotations", index: int = 0) -> Record | None:
    """A task (from an export, or as written here) to a record; None when it holds no
    ``source`` entry; ``ValueError`` with a plain message on bad shape."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    data = task.get("data")
    if not isinstance(data, dict) or not isinstance(data.get(TEXT), str):
        if "data" not in task and isinstance(task.get(TEXT), str):
            raise ValueError(JSON_MIN_MESSAGE)
        raise ValueError("a task needs 'data' with a string 'text' (is this a Label Studio JSON export?)")
    if data.get("error"):
        raise ValueError(f"an error record ({data.get('record_id')}: {data['error']}), not a text to read")
    entry = _pick(task, source)
    if entry is None:
        return None
    text = data[TEXT]
    record_id = str(data.get("record_id", task.get("id", index)))
    result = entry.get("result") or []
    if not isinstance(result, list):
        raise ValueError("'result' must be a list")
    regions: dict[str, tuple[str, Span]] = {}
    entities: list[Span] = []
    events: list[Event] = []
    event_of: dict[str, Event] = {}
    for k, item in enumerate(result):
        if not isinstance(item, dict) or item.get("type") != "labels":
            continue
        value = item.get("value") or {}
        labels = value.get("labels") or []
        if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
            raise ValueError(f"result item {k} needs exactly one label, got {labels!r}")
        start, end = value.get("start"), value.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            raise ValueError(f"result item {k} needs integer 'start' and 'end'")
        if not labels[0].strip():
            raise ValueError(f"result item {k} has an empty label")
        span = Span(from_js_offset(text, start), from_js_offset(text, end), labels[0],
                    float(item["score"]) if item.get("score") is not None else None)
        if not 0 <= span.start < span.end <= len(text):
            raise ValueError(f"result item {k}: offsets [{start}, {end}) are outside the text")
        if isinstance(value.get("text"), str) and value["text"] != span.text_in(text):
            raise ValueError(f"result item {k}: its text {value['text']!r} is not the task's text at [{start}, "
                             f"{end}) ({span.text_in(text)!r}): was the task's text changed after annotation?")
        control = item.get("from_name")
        if control == TRIGGER_CONTROL:
            event = Event(span.label, Span(span.start, span.end, "", span.score), [])
            events.append(event)
            event_of[str(item.get("id"))] = event
        elif span.label != ARG_LABEL:
            entities.append(span)
        regions[str(item.get("id"))] = (str(control), span)
    for k, item in enumerate(result):
        if not isinstance(item, dict) or item.get("type") != "relation":
            continue
        source_id, target_id = str(item.get("from_id")), str(item.get("to_id"))
        if item.get("direction") == "left":
            source_id, target_id = target_id, source_id
        labels = item.get("labels") or []
        if source_id not in event_of:
            raise ValueError(f"relation {k} does not start at an event trigger (region {source_id!r})")
        if target_id not in regions:
            raise ValueError(f"relation {k} points to region {target_id!r}, which is not in the result")
        if len(labels) != 1 or not isinstance(labels[0], str) or not labels[0].strip():
            raise ValueError(f"relation {k} from trigger {regions[source_id][1].text_in(text)!r} needs "
                             f"exactly one role label, got {labels!r}")
        target = regions[target_id][1]
        event_of[source_id].arguments.append(
            Span(target.start, target.end, labels[0], float(item["score"]) if item.get("score") is not None else None))
    has_events = data.get("has_events", True) is not False or bool(events)
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise ValueError("'metadata' must be an object")
    return Record(record_id, text, entities, events if has_events else None, dict(metadata))


def _first_character(path: str | Path) -> str:
    """The file's first character that is not white space (or a BOM); '' for an empty file."""
    with open(path, "rb") as handle:
        while block := handle.read(65536):
            text = block.decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
            if text:
                return text[0]
    return ""


def _load_tasks(path: str | Path, problems: list[Problem] | None) -> Iterator[tuple[int, Any]]:
    """``(line, task)``: the items of a JSON array (the export), streamed, or one task a line."""
    check_input_file(path)
    if _first_character(path) == "[":
        try:
            yield from iter_json_array(path)
        except CorpusError as err:
            if problems is None:
                raise
            problems.append(err.problem)  # the rest of a broken array cannot be read
        return
    for number, line in iter_lines(path, problems):
        if line.strip():
            try:
                yield number, load_json_object(line)
            except ValueError as err:
                if problems is None:
                    raise CorpusError(path, number, str(err)) from None
                problems.append(Problem(str(path), number, str(err)))


def read_labelstudio(path: str | Path, problems: list[Problem] | None = None,
                     source: str = "annotations") -> Iterator[Record]:
    """Stream the records of a Label Studio JSON export (or of tasks written here). Tasks with
    no annotation (never reviewed) and error tasks (inputs ``predict`` could not tag) are skipped
    with a warning; any other bad task is an error naming its line."""
    unreviewed = errors = 0
    for index, (line, task) in enumerate(_load_tasks(path, problems)):
        try:
            if not isinstance(task, dict):
                raise ValueError(f"task {index + 1} is not a JSON object")
            if isinstance(task.get("data"), dict) and task["data"].get("error"):
                errors += 1
                continue
            record = task_to_record(task, source, index)
        except ValueError as err:
            message = f"task {index + 1}: {err}"
            if problems is None:
                raise CorpusError(path, line, message) from None
            problems.append(Problem(str(path), line, message))
            continue
        if record is None:
            unreviewed += 1
            continue
        yield record
    if unreviewed:
        logger.warning("%s: skipped %d task(s) with no %s", path, unreviewed,
                       "annotation" if source == "annotations" else "prediction")
    if errors:
        logger.warning("%s: skipped %d error task(s): inputs arabic-ie could not tag (their text says why)",
                       path, errors)
