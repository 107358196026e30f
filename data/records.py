"""The canonical record every reader produces and every writer consumes.

A record is a document (or sentence) id, its original text, and character-offset spans
``[start, end)`` into that text: entities with a type, and events with a trigger, an event type
and role-labelled arguments. All formats convert to and from this one shape.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Span:
    """A character span ``[start, end)`` with a label (entity type, or argument role)."""

    start: int
    end: int
    label: str = ""
    score: float | None = None

    def text_in(self, text: str) -> str:
        """The span's text in the record text it belongs to."""
        return text[self.start:self.end]

    def overlaps(self, other: "Span") -> bool:
        """Whether the two spans share a character."""
        return self.start < other.end and other.start < self.end


@dataclass
class Event:
    """An event mention: its type, its trigger span and its arguments (spans labelled by role)."""

    type: str
    trigger: Span
    arguments: list[Span] = field(default_factory=list)


@dataclass
class Record:
    """A document with its annotations; ``events is None`` means the corpus has no event layer
    (a NER-only corpus such as ANERcorp), which is not the same as "no events here"."""

    id: str
    text: str
    entities: list[Span] = field(default_factory=list)
    events: list[Event] | None = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def has_events(self) -> bool:
        """Whether the record has an event layer (a NER-only corpus has none)."""
        return self.events is not None

    def to_dict(self, with_text: bool = True) -> dict[str, Any]:
        """The native JSON form; ``with_text`` adds each span's text for human review."""
        def span(s: Span, key: str | None) -> dict[str, Any]:
            """A span's JSON object: offsets, its label under ``key`` if given, its text if asked, its score."""
            d: dict[str, Any] = {"start": s.start, "end": s.end}
            if key:
                d[key] = s.label
            if with_text:
                d["text"] = s.text_in(self.text)
            if s.score is not None:
                d["score"] = round(s.score, 4)
            return d

        out: dict[str, Any] = {"id": self.id, "text": self.text,
                               "entities": [span(e, "type") for e in self.entities]}
        if self.events is not None:
            out["events"] = [
                {"type": ev.type, "trigger": span(ev.trigger, None),
                 "arguments": [span(a, "role") for a in ev.arguments]}
                for ev in self.events
            ]
        if self.metadata:
            out["metadata"] = self.metadata
        return out

    @classmethod
    def from_dict(cls, obj: Any) -> "Record":
        """Parse the native JSON form; raises ``ValueError`` with a plain message on bad shape.

        Offsets and texts are checked against the record's text here; word boundaries and the
        label schema are checked by :mod:`arabic_ie.data.validate`.
        """
        if not isinstance(obj, dict):
            raise ValueError(f"expected a JSON object, got {type(obj).__name__}")
        for key in ("id", "text"):
            if key not in obj:
                raise ValueError(f"missing field {key!r}")
        text = obj["text"]
        if not isinstance(text, str):
            raise ValueError("field 'text' must be a string")

        def span(d: Any, key: str | None, what: str) -> Span:
            """A span read from its JSON object; ``ValueError`` naming ``what`` on bad offsets, text or label."""
            if not isinstance(d, dict):
                raise ValueError(f"{what} must be an object")
            start, end = d.get("start"), d.get("end")
            if not isinstance(start, int) or not isinstance(end, int):
                raise ValueError(f"{what} needs integer 'start' and 'end'")
            if not 0 <= start < end <= len(text):
                raise ValueError(f"{what} offsets [{start}, {end}) are outside the text (length {len(text)})")
            if "text" in d and d["text"] != text[start:end]:
                raise ValueError(f"{what} text {d['text']!r} does not match the text at "
                                 f"[{start}, {end}): {text[start:end]!r}")
            label = ""
            if key:
                label = d.get(key)
                if not isinstance(label, str) or not label:
                    raise ValueError(f"{what} needs a non-empty {key!r}")
            score = d.get("score")
            return Span(start, end, label, float(score) if score is not None else None)

        entities = [span(e, "type", f"entity {i}") for i, e in enumerate(obj.get("entities") or [])]
        events: list[Event] | None = None
        if "events" in obj and obj["events"] is not None:
            events = []
            for i, ev in enumerate(obj["events"]):
                if not isinstance(ev, dict) or not isinstance(ev.get("type"), str) or "trigger" not in ev:
                    raise ValueError(f"event {i} needs a 'type' and a 'trigger'")
                trigger = span(ev["trigger"], None, f"event {i} trigger")
                args = [span(a, "role", f"event {i} argument {j}") for j, a in enumerate(ev.get("arguments") or [])]
                events.append(Event(ev["type"], trigger, args))
        metadata = obj.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise ValueError("field 'metadata' must be an object")
        return cls(str(obj["id"]), text, entities, events, metadata)
