"""The policy for overlapping spans of one kind, which BIO tags cannot hold.

Two entities that overlap (``B-LOC I-LOC`` under ``B-ORG``) would be written over each other
into tags that are not valid BIO (``B-LOC I-LOC I-LOC I-ORG``), teaching the model a span that is
no one's. The policy, as for nested CoNLL columns (``nested="outermost"``): keep the longest
span, the earliest of equally long ones, and drop every span that overlaps a kept one. The same
holds for event triggers (the whole event is dropped) and for the arguments of one event.
Training reports every dropped span; ``arabic-ie validate`` reports the overlaps as problems.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence, TypeVar

from .records import Event, Record, Span

T = TypeVar("T")


def keep_outermost(items: Sequence[T], span: Callable[[T], tuple[int, int]]) -> tuple[list[T], list[tuple[T, T]]]:
    """``(kept, [(dropped, the kept one it overlaps)])``; kept items stay in their input order."""
    order = sorted(range(len(items)), key=lambda k: (span(items[k])[0] - span(items[k])[1], span(items[k])[0], k))
    kept: list[int] = []
    dropped: list[tuple[T, T]] = []
    for k in order:
        a, b = span(items[k])
        clash = next((j for j in kept if a < span(items[j])[1] and span(items[j])[0] < b), None)
        if clash is None:
            kept.append(k)
        else:
            dropped.append((items[k], items[clash]))
    return [items[k] for k in sorted(kept)], dropped


def _where(span: Span, text: str) -> str:
    return f"{text[span.start:span.end]!r} [{span.start}, {span.end})"


def resolve_overlaps(record: Record) -> tuple[Record, list[str]]:
    """The record under the policy above, and one message per dropped span."""
    text = record.text
    messages: list[str] = []
    entities, dropped = keep_outermost(record.entities, lambda s: (s.start, s.end))
    messages += [f"entity {d.label} {_where(d, text)} overlaps entity {k.label} {_where(k, text)}: kept the longer"
                 for d, k in dropped]
    events = None
    if record.events is not None:
        kept_events, dropped_events = keep_outermost(record.events, lambda e: (e.trigger.start, e.trigger.end))
        messages += [f"trigger of {d.type} {_where(d.trigger, text)} overlaps the trigger of {k.type} "
                     f"{_where(k.trigger, text)}: kept the longer (and its event)" for d, k in dropped_events]
        events = []
        for event in kept_events:
            arguments, dropped_args = keep_outermost(event.arguments, lambda s: (s.start, s.end))
            messages += [f"{d.label} argument {_where(d, text)} of {event.type} overlaps its {k.label} argument "
                         f"{_where(k, text)}: kept the longer" for d, k in dropped_args]
            events.append(Event(event.type, event.trigger, arguments))
    if not messages:
        return record, []
    return replace(record, entities=entities, events=events), messages
