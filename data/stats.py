"""``arabic-ie stats``: counts per entity type, event type and role for one or more corpus files."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from .records import Record
from .text import split_words


@dataclass
class CorpusStats:
    """Counts of one corpus: records, words, entities per type, events per type and roles per
    event type."""

    records: int = 0
    words: int = 0
    documents: set[str] = field(default_factory=set)
    entities: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)
    roles: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, record: Record) -> None:
        """Count one record."""
        self.records += 1
        self.words += len(split_words(record.text))
        self.documents.add(str(record.metadata.get("article", record.metadata.get("document", record.id))))
        self.entities.update(e.label for e in record.entities)
        for event in record.events or []:
            self.events[event.type] += 1
            self.roles.update((event.type, a.label) for a in event.arguments)


def corpus_stats(records: Iterable[Record]) -> CorpusStats:
    """The counts of a stream of records."""
    stats = CorpusStats()
    for record in records:
        stats.add(record)
    return stats


def stats_markdown(named: dict[str, CorpusStats]) -> str:
    """One Markdown table per layer, a column per file (split)."""
    names = list(named)
    head = "| | " + " | ".join(names) + " |\n|---|" + "---|" * len(names) + "\n"

    def row(label: str, values: list[object]) -> str:
        """One Markdown table row: the label, then a value per file."""
        return f"| {label} | " + " | ".join(str(v) for v in values) + " |\n"

    out = "#### Size\n\n" + head
    out += row("documents", [len(s.documents) for s in named.values()])
    out += row("sentences (records)", [s.records for s in named.values()])
    out += row("words", [s.words for s in named.values()])
    out += row("entities", [sum(s.entities.values()) for s in named.values()])
    out += row("events", [sum(s.events.values()) for s in named.values()])
    out += row("arguments", [sum(s.roles.values()) for s in named.values()])
    out += "\n#### Entities per type\n\n" + head
    for label in sorted(set().union(*(s.entities for s in named.values()))):
        out += row(label, [s.entities[label] for s in named.values()])
    events = sorted(set().union(*(s.events for s in named.values())))
    if events:
        out += "\n#### Events per type, and arguments per role\n\n" + head
        for event in events:
            out += row(f"**{event}**", [s.events[event] for s in named.values()])
            for role in sorted({r for (t, r) in set().union(*(s.roles for s in named.values())) if t == event}):
                out += row(f"&nbsp;&nbsp;{role}", [s.roles[(event, role)] for s in named.values()])
    return out
