"""``arabic-ie validate``: every problem of a corpus file, not just the first.

Reading problems (bad JSON, offsets outside the text, an I- tag with no B-, mixed encodings, an
empty file) come from the readers; this module adds the checks on whole records: spans that cut
a word or carry punctuation at an edge, overlapping spans of one kind, and types or roles the
schema does not allow for an event type.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterable, Iterator

from .errors import CorpusError, Problem
from .fileio import check_input_file, iter_lines
from .formats import detect_format, read_corpus
from .jsonl import JSON_ARRAY_MESSAGE, is_json_array, parse_record_line
from .records import Event, Record, Span
from .schema import LabelSchema
from .text import is_web_token, is_word_char, split_sentences, split_words

#: The schema of ``annotation-guidelines.md``, which every corpus the project ships follows.
GUIDELINES_SCHEMA = LabelSchema(
    entity_types=["FAC", "GPE", "LOC", "ORG", "PER", "TIME"],
    event_types=[], roles=[],
    allowed_roles={
        "Contact:Phone-Write": ["Entity", "Time"],
        "Contact:Meet": ["Entity", "Place", "Time"],
        "Conflict:Attack": ["Attacker", "Target", "Instrument", "Place", "Time"],
        "Conflict:Demonstrate": ["Entity", "Place", "Time"],
        "Conflict:Take-Control": ["Agent", "Place", "Time"],
        "Life:Die": ["Agent", "Victim", "Instrument", "Place", "Time"],
        "Life:Injure": ["Agent", "Victim", "Instrument", "Place", "Time"],
        "Justice:Arrest-Jail": ["Agent", "Person", "Place", "Time"],
        "Movement:Transport": ["Agent", "Artifact", "Origin", "Destination", "Time"],
        "Personnel:Elect": ["Entity", "Person", "Place", "Time"],
        "Personnel:Start-Position": ["Entity", "Person", "Place", "Time"],
        "Personnel:End-Position": ["Entity", "Person", "Place", "Time"],
        "Justice:Sentence": ["Adjudicator", "Defendant", "Place", "Time"],
        "Transaction:Transfer-Money": ["Giver", "Recipient", "Money", "Place", "Time"],
    },
)
GUIDELINES_SCHEMA.event_types = sorted(GUIDELINES_SCHEMA.allowed_roles)
GUIDELINES_SCHEMA.roles = sorted({r for rs in GUIDELINES_SCHEMA.allowed_roles.values() for r in rs})


def span_problems(record: Record, span: Span, what: str, starts: set[int], ends: set[int]) -> list[str]:
    """Why a span is not on word boundaries, or carries punctuation or a web token at or inside
    it."""
    text = record.text
    piece = text[span.start:span.end]
    if span.start not in starts or span.end not in ends:
        return [f"{what} {piece!r} [{span.start}, {span.end}) cuts a word"]
    if not is_word_char(text[span.start]) or not is_word_char(text[span.end - 1]):
        return [f"{what} {piece!r} starts or ends with punctuation"]
    if any(is_web_token(w.text) for w in split_words(piece)):
        return [f"{what} {piece!r} holds a URL, an e-mail address or an @mention (never part of a span)"]
    return []


def overlaps(spans: Iterable[Span], what: str, text: str) -> list[str]:
    """Each pair of overlapping spans of one kind, and what training does with them."""
    ordered = sorted(spans, key=lambda s: (s.start, s.end))
    return [f"overlapping {what} {text[a.start:a.end]!r} and {text[b.start:b.end]!r} "
            "(training keeps the longer one and drops the other)"
            for k, a in enumerate(ordered) for b in ordered[k + 1:] if b.start < a.end]


def outside_sentence(record: Record, event: Event) -> list[str]:
    """Arguments that are not in the sentence of their trigger: the guidelines take arguments
    from the trigger's sentence only."""
    sentence = next(((a, b) for a, b in split_sentences(record.text) if a <= event.trigger.start < b), None)
    if sentence is None:
        return []
    return [f"{arg.label} argument {record.text[arg.start:arg.end]!r} of {event.type} is outside the sentence "
            f"of its trigger {record.text[event.trigger.start:event.trigger.end]!r}"
            for arg in event.arguments if arg.start < sentence[0] or arg.end > sentence[1]]


def record_problems(record: Record, schema: LabelSchema | None = None) -> list[str]:
    """Everything wrong with one well-formed record, as plain messages."""
    words = split_words(record.text)
    starts, ends = {w.start for w in words}, {w.end for w in words}
    problems: list[str] = []
    for entity in record.entities:
        problems += span_problems(record, entity, f"entity {entity.label}", starts, ends)
    problems += overlaps(record.entities, "entities", record.text)
    for event in record.events or []:
        problems += span_problems(record, event.trigger, f"trigger of {event.type}", starts, ends)
        for argument in event.arguments:
            problems += span_problems(record, argument, f"{argument.label} argument of {event.type}", starts, ends)
        problems += overlaps(event.arguments, f"arguments of {event.type}:", record.text)
        problems += outside_sentence(record, event)
    problems += overlaps([e.trigger for e in record.events or []], "triggers", record.text)
    if schema is not None:
        for entity in record.entities:
            if schema.entity_types and entity.label not in schema.entity_types:
                problems.append(f"unknown entity type {entity.label!r}")
        for event in record.events or []:
            allowed = schema.allowed_roles.get(event.type)
            if allowed is None:
                problems.append(f"unknown event type {event.type!r}")
                continue
            problems += [f"unknown role {a.label!r} for event type {event.type} (allowed: {', '.join(allowed)})"
                         for a in event.arguments if a.label not in allowed]
    return problems


def validate_file(path: str | Path, format: str | None = None, schema: LabelSchema | None = None,
                  **options: object) -> list[Problem]:
    """All problems of a file. Native JSONL problems name the line; other formats name the
    record id (a CoNLL sentence spans many lines), with its reader's own line numbers for
    reading problems."""
    problems: list[Problem] = []
    try:
        check_input_file(path)
    except CorpusError as err:
        return [err.problem]
    try:
        format = format or detect_format(path)
    except ValueError as err:  # what the file looks like is its first problem
        return [Problem(str(path), 0, str(err))]
    if format == "conll":
        options.setdefault("repair", False)
    try:
        for line, record in _numbered_records(path, format, problems, options):
            for message in record_problems(record, schema):
                problems.append(Problem(str(path), line, message if line else f"record {record.id!r}: {message}"))
    except Exception as err:  # a reader that cannot go on: report what stopped it
        problems.append(Problem(str(path), getattr(err, "line", 0), str(getattr(err, "problem", err)).split(": ", 1)[-1]))
    return sorted(problems, key=lambda p: p.line)


def _numbered_records(path: str | Path, format: str, problems: list[Problem],
                      options: dict) -> Iterator[tuple[int, Record]]:
    """``(line, record)`` pairs: the line for native JSONL (one record a line, read once), 0 for
    formats whose records span several lines."""
    if format != "jsonl":
        yield from ((0, record) for record in read_corpus(path, format, problems=problems, **options))
        return
    first = True
    for number, text in iter_lines(path, problems):
        if not text.strip():
            continue
        if first and is_json_array(text):
            problems.append(Problem(str(path), number, JSON_ARRAY_MESSAGE))
            return
        first = False
        try:
            yield number, parse_record_line(text)
        except ValueError as err:
            problems.append(Problem(str(path), number, str(err)))
