"""doccano's relation-extraction JSONL export, so annotators can review and correct records in
doccano and send them back.

One line per record: ``{"id", "text", "entities": [{"id", "label", "start_offset",
"end_offset"}], "relations": [{"id", "from_id", "to_id", "type"}]}``. doccano has no event
layer, so events are encoded in its entities and relations:

* an entity whose label is an event type (it contains ``:``, as ``Conflict:Attack``) is an
  event trigger; the relations that start from it are its arguments (relation type = role);
* an argument that is not one of the record's entities gets its own doccano entity labelled
  ``ARG``, which the reader does not turn into an entity.

A record with no event layer (``events is None``) is written without a ``relations`` key, and a
line without one is read back so. Metadata travels in a ``metadata`` key; scores in ``score``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import Problem
from .jsonl import load_json_object, read_json_lines, write_json_lines
from .records import Record, Span

ARG_LABEL = "ARG"


def is_event_label(label: str) -> bool:
    """Event types are written ``Type:Subtype``; entity types have no colon."""
    return ":" in label


def parse_doccano_line(line: str) -> Record:
    """One doccano line to a record; ``ValueError`` with a plain message on bad input."""
    obj = load_json_object(line)
    if not isinstance(obj.get("entities", []), list) or not isinstance(obj.get("relations", []), list):
        raise ValueError("'entities' and 'relations' must be lists")
    by_id: dict[Any, dict] = {}
    for i, ent in enumerate(obj.get("entities") or []):
        if not isinstance(ent, dict) or "id" not in ent or not isinstance(ent.get("label"), str):
            raise ValueError(f"entity {i} needs an 'id' and a string 'label'")
        by_id[ent["id"]] = ent
    native: dict[str, Any] = {
        **{key: obj[key] for key in ("id", "text") if key in obj},
        "entities": [_span(e, "type") for e in by_id.values()
                     if e["label"] != ARG_LABEL and not is_event_label(e["label"])],
        "metadata": obj.get("metadata") or {},
    }
    events = [_event(e, obj.get("relations") or [], by_id) for e in by_id.values() if is_event_label(e["label"])]
    if "relations" in obj or events:
        _check_relations(obj.get("relations") or [], by_id)
        native["events"] = events
    return Record.from_dict(native)


def _span(ent: dict, key: str | None, label: str | None = None) -> dict[str, Any]:
    """A native span dict from a doccano entity (offsets checked by ``Record.from_dict``)."""
    d: dict[str, Any] = {"start": ent.get("start_offset"), "end": ent.get("end_offset")}
    if key:
        d[key] = label if label is not None else ent["label"]
    if ent.get("score") is not None:
        d["score"] = ent["score"]
    return d


def _event(trigger: dict, relations: list, by_id: dict[Any, dict]) -> dict[str, Any]:
    arguments = []
    for rel in relations:
        if isinstance(rel, dict) and rel.get("from_id") == trigger["id"] and rel.get("to_id") in by_id:
            arg = _span(by_id[rel["to_id"]], "role", rel.get("type"))
            arg.pop("score", None)
            if rel.get("score") is not None:
                arg["score"] = rel["score"]
            arguments.append(arg)
    return {"type": trigger["label"], "trigger": _span(trigger, None), "arguments": arguments}


def _check_relations(relations: list, by_id: dict[Any, dict]) -> None:
    """Every relation must go from an event trigger to an entity of the same line."""
    for i, rel in enumerate(relations):
        if not isinstance(rel, dict) or not isinstance(rel.get("type"), str):
            raise ValueError(f"relation {i} needs a string 'type'")
        for end in ("from_id", "to_id"):
            if rel.get(end) not in by_id:
                raise ValueError(f"relation {i}: {end} {rel.get(end)!r} is not an entity of this line")
        if not is_event_label(by_id[rel["from_id"]]["label"]):
            raise ValueError(f"relation {i} starts at entity {rel['from_id']!r} labelled "
                             f"{by_id[rel['from_id']]['label']!r}, not an event type (Type:Subtype); "
                             "records hold no entity-entity relations")


def read_doccano(path: str | Path, problems: list[Problem] | None = None) -> Iterator[Record]:
    """Stream records (see :func:`.jsonl.read_json_lines` for how bad lines are handled)."""
    return read_json_lines(path, parse_doccano_line, problems)


def record_to_doccano(record: Record) -> dict[str, Any]:
    """The doccano form of a record (see the module docstring); ``ValueError`` on labels doccano
    could not tell apart (an entity type with ``:``, an event type without, an entity ``ARG``)."""
    entities: list[dict[str, Any]] = []

    def add(span: Span, label: str) -> int:
        """Append a span as a doccano entity with the next id; return that id (relations refer to it)."""
        ent: dict[str, Any] = {"id": len(entities) + 1, "label": label,
                               "start_offset": span.start, "end_offset": span.end}
        if span.score is not None:
            ent["score"] = span.score
        entities.append(ent)
        return ent["id"]

    by_span: dict[tuple[int, int], int] = {}
    for span in record.entities:
        if is_event_label(span.label) or span.label == ARG_LABEL:
            raise ValueError(f"record {record.id!r}: entity type {span.label!r} would be read back "
                             "as an event or an argument in doccano")
        by_span.setdefault((span.start, span.end), add(span, span.label))
    triggers = []
    for event in record.events or []:
        if not is_event_label(event.type):
            raise ValueError(f"record {record.id!r}: event type {event.type!r} needs a ':' "
                             "(Type:Subtype) to be told from entities in doccano")
        triggers.append(add(event.trigger, event.type))
    relations = []
    for event, trigger_id in zip(record.events or [], triggers):
        for arg in event.arguments:
            key = (arg.start, arg.end)
            if key not in by_span:
                by_span[key] = add(Span(arg.start, arg.end), ARG_LABEL)
            rel: dict[str, Any] = {"id": len(relations) + 1, "from_id": trigger_id,
                                   "to_id": by_span[key], "type": arg.label}
            if arg.score is not None:
                rel["score"] = arg.score
            relations.append(rel)
    out: dict[str, Any] = {"id": _doccano_id(record.id), "text": record.text, "entities": entities}
    if record.events is not None:
        out["relations"] = relations
    if record.metadata:
        out["metadata"] = record.metadata
    return out


def _doccano_id(record_id: str) -> int | str:
    """doccano numbers its examples; keep a numeric id numeric when that loses nothing."""
    return int(record_id) if record_id.isdigit() and str(int(record_id)) == record_id else record_id


def write_doccano(records: Iterable[Record], path: str | Path) -> int:
    """Write records atomically in doccano's relation JSONL; returns how many were written."""
    return write_json_lines((record_to_doccano(record) for record in records), path)
