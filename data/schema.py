"""The label schema, in one place: entity types, event types, roles and which roles each event
type allows. It is derived from training data, saved inside the model config, and turned into the
BIO label lists of the three heads here and nowhere else."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from .records import Record

OUTSIDE = "O"


def bio_labels(types: Iterable[str]) -> list[str]:
    """``O`` then ``B-X``, ``I-X`` for each type, in a stable order."""
    labels = [OUTSIDE]
    for t in types:
        labels += [f"B-{t}", f"I-{t}"]
    return labels


@dataclass
class LabelSchema:
    """Types and roles a model knows. ``allowed_roles`` maps an event type to the roles seen with
    it in training; the decoder never outputs any other role for that type."""

    entity_types: list[str] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    allowed_roles: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_records(cls, records: Iterable[Record]) -> "LabelSchema":
        """The types and roles the records use, sorted, with the roles seen for each event type."""
        entity_types: set[str] = set()
        allowed: dict[str, set[str]] = {}
        for record in records:
            entity_types.update(e.label for e in record.entities)
            for event in record.events or []:
                allowed.setdefault(event.type, set()).update(a.label for a in event.arguments)
        roles = sorted({r for rs in allowed.values() for r in rs})
        return cls(sorted(entity_types), sorted(allowed), roles,
                   {t: sorted(rs) for t, rs in sorted(allowed.items())})

    def merge(self, other: "LabelSchema") -> "LabelSchema":
        """Union of two schemas: a run that mixes a NER-only corpus with a joint one."""
        allowed = {t: sorted(set(self.allowed_roles.get(t, [])) | set(other.allowed_roles.get(t, [])))
                   for t in sorted(set(self.allowed_roles) | set(other.allowed_roles))}
        return LabelSchema(sorted(set(self.entity_types) | set(other.entity_types)), sorted(allowed),
                           sorted({r for rs in allowed.values() for r in rs}), allowed)

    @property
    def entity_labels(self) -> list[str]:
        """``O`` and a ``B-``/``I-`` pair per entity type: the entity head's labels."""
        return bio_labels(self.entity_types)

    @property
    def trigger_labels(self) -> list[str]:
        """``O`` and a ``B-``/``I-`` pair per event type: the trigger head's labels."""
        return bio_labels(self.event_types)

    @property
    def argument_labels(self) -> list[str]:
        """``O`` and a ``B-``/``I-`` pair per role: the argument head's labels."""
        return bio_labels(self.roles)

    def unknown_labels(self, record: Record) -> list[str]:
        """Labels of ``record`` this schema does not know, as readable strings (empty when all known)."""
        problems = [f"entity type {e.label!r}" for e in record.entities if e.label not in self.entity_types]
        for event in record.events or []:
            if event.type not in self.allowed_roles:
                problems.append(f"event type {event.type!r}")
                continue
            problems += [f"role {a.label!r} for {event.type}" for a in event.arguments
                         if a.label not in self.allowed_roles[event.type]]
        return problems

    def to_dict(self) -> dict[str, Any]:
        """The JSON form saved in the model config."""
        return {"entity_types": self.entity_types, "event_types": self.event_types,
                "roles": self.roles, "allowed_roles": self.allowed_roles}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "LabelSchema":
        """The schema saved by :meth:`to_dict`."""
        return cls(list(d.get("entity_types", [])), list(d.get("event_types", [])),
                   list(d.get("roles", [])), {k: list(v) for k, v in d.get("allowed_roles", {}).items()})
