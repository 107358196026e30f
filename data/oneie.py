"""OneIE / ACE-style JSON lines, the format of most event-extraction code and corpora.

One sentence per line: ``{"doc_id", "sent_id", "tokens": [...], "entity_mentions": [{"id",
"start", "end", "entity_type", "mention_type", "text"}], "relation_mentions": [],
"event_mentions": [{"id", "event_type", "trigger": {"start", "end", "text"}, "arguments":
[{"entity_id", "text", "role"}]}]}``, with TOKEN offsets, ``end`` exclusive.

Reading joins the tokens with single spaces to make the text and converts token offsets to
character offsets. Writing tokenises ``record.text`` with :func:`split_words`, so every span must
cover whole words; whitespace is not kept, so native -> oneie -> native is equal when the native
text is words separated by single spaces. An argument that is not an entity mention gets a
mention of type ``ARG``, which the reader does not turn into an entity.

What OneIE has and a record does not (mention and event ids that are not the writer's
defaults, mention types, relation mentions, other top-level keys) is kept in
``metadata["oneie"]``, and ``doc_id`` in ``metadata["doc_id"]`` when it is not the sentence id,
so oneie -> native -> oneie gives the same objects back (for files that, like ACE's, have each
argument's span mentioned once). Scores are not written. A record with no event layer is
written without ``event_mentions`` and read back so.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Iterator

from .errors import Problem
from .jsonl import load_json_object, read_json_lines, write_json_lines
from .records import Event, Record, Span
from .text import split_words

ARG_TYPE = "ARG"
DEFAULT_MENTION_TYPE = {"entity": "NAM", "arg": "UNK"}
_KNOWN_KEYS = ("doc_id", "sent_id", "tokens", "entity_mentions", "relation_mentions",
               "event_mentions", "metadata")


def _default_ids(sent_id: str, n_mentions: int, n_events: int) -> tuple[list[str], list[str]]:
    return ([f"{sent_id}-E{i}" for i in range(n_mentions)], [f"{sent_id}-EV{i}" for i in range(n_events)])


# --- reading -------------------------------------------------------------------------------------

def _token_range(d: Any, n_tokens: int, what: str) -> tuple[int, int]:
    if not isinstance(d, dict) or not isinstance(d.get("start"), int) or not isinstance(d.get("end"), int):
        raise ValueError(f"{what} needs integer token offsets 'start' and 'end'")
    start, end = d["start"], d["end"]
    if not 0 <= start < end <= n_tokens:
        raise ValueError(f"{what} token offsets [{start}, {end}) are outside the sentence ({n_tokens} tokens)")
    return start, end


def _check_text(d: dict, tokens: list[str], start: int, end: int, what: str) -> None:
    """A mention's ``text`` must be its tokens (spacing aside: ACE texts keep the original's)."""
    expected = " ".join(tokens[start:end])
    if "text" in d and "".join(str(d["text"]).split()) != "".join(expected.split()):
        raise ValueError(f"{what} text {d['text']!r} does not match its tokens [{start}, {end}): {expected!r}")


def parse_oneie_line(line: str) -> Record:
    """One OneIE line to a record; ``ValueError`` with a plain message on bad input."""
    obj = load_json_object(line)
    tokens = obj.get("tokens")
    if not isinstance(tokens, list) or not all(isinstance(t, str) and t for t in tokens):
        raise ValueError("field 'tokens' must be a list of non-empty strings")
    if "sent_id" not in obj:
        raise ValueError("missing field 'sent_id'")
    sent_id = str(obj["sent_id"])
    starts, position = [], 0
    for token in tokens:
        starts.append(position)
        position += len(token) + 1
    text = " ".join(tokens)

    def char_span(start: int, end: int, label: str = "") -> Span:
        """The character span of tokens ``[start, end)`` in the space-joined text."""
        return Span(starts[start], starts[end - 1] + len(tokens[end - 1]), label)

    mentions: dict[str, tuple[int, int, dict]] = {}
    for i, m in enumerate(obj.get("entity_mentions") or []):
        what = f"entity mention {i}"
        start, end = _token_range(m, len(tokens), what)
        if not isinstance(m.get("entity_type"), str) or "id" not in m:
            raise ValueError(f"{what} needs an 'id' and a string 'entity_type'")
        _check_text(m, tokens, start, end, what)
        if str(m["id"]) in mentions:
            raise ValueError(f"{what}: id {m['id']!r} is used twice")
        mentions[str(m["id"])] = (start, end, m)
    entity_order = [k for k, (_, _, m) in mentions.items() if m["entity_type"] != ARG_TYPE]
    entities = [char_span(*mentions[k][:2], mentions[k][2]["entity_type"]) for k in entity_order]

    events: list[Event] | None = None
    arg_order: list[str] = []
    event_ids: list[str] = []
    if "event_mentions" in obj:
        events = []
        for i, ev in enumerate(obj["event_mentions"] or []):
            what = f"event mention {i}"
            if not isinstance(ev, dict) or not isinstance(ev.get("event_type"), str):
                raise ValueError(f"{what} needs a string 'event_type'")
            start, end = _token_range(ev.get("trigger"), len(tokens), f"{what} trigger")
            _check_text(ev["trigger"], tokens, start, end, f"{what} trigger")
            arguments = []
            for j, arg in enumerate(ev.get("arguments") or []):
                if not isinstance(arg, dict) or str(arg.get("entity_id")) not in mentions:
                    raise ValueError(f"{what} argument {j}: entity_id {arg.get('entity_id')!r} "
                                     "is not an entity mention of this sentence")
                if not isinstance(arg.get("role"), str) or not arg["role"]:
                    raise ValueError(f"{what} argument {j} needs a non-empty 'role'")
                key = str(arg["entity_id"])
                if mentions[key][2]["entity_type"] == ARG_TYPE and key not in arg_order:
                    arg_order.append(key)
                arguments.append(char_span(*mentions[key][:2], arg["role"]))
            events.append(Event(ev["event_type"], char_span(start, end), arguments))
            event_ids.append(str(ev.get("id", "")))

    metadata = dict(obj.get("metadata") or {})
    if "doc_id" in obj and obj["doc_id"] != sent_id:
        metadata["doc_id"] = obj["doc_id"]
    extras = _oneie_extras(obj, sent_id, [mentions[k][2] for k in entity_order + arg_order],
                           len(entity_order), event_ids)
    if extras:
        metadata["oneie"] = extras
    return Record(sent_id, text, entities, events, metadata)


def _oneie_extras(obj: dict, sent_id: str, ordered: list[dict], n_entities: int,
                  event_ids: list[str]) -> dict[str, Any]:
    """What the writer cannot rebuild from the record: only what differs from its defaults."""
    extras: dict[str, Any] = {}
    default_mentions, default_events = _default_ids(sent_id, len(ordered), len(event_ids))
    ids = [str(m["id"]) for m in ordered]
    if ids != default_mentions:
        extras["mention_ids"] = ids
    types = [m.get("mention_type") for m in ordered]
    defaults = [DEFAULT_MENTION_TYPE["entity" if i < n_entities else "arg"] for i in range(len(ordered))]
    if types != defaults:
        extras["mention_types"] = types
    if event_ids != default_events:
        extras["event_ids"] = event_ids
    if obj.get("relation_mentions"):
        extras["relation_mentions"] = obj["relation_mentions"]
    other = {k: v for k, v in obj.items() if k not in _KNOWN_KEYS}
    if other:
        extras["other"] = other
    return extras


def read_oneie(path: str | Path, problems: list[Problem] | None = None) -> Iterator[Record]:
    """Stream records (see :func:`.jsonl.read_json_lines` for how bad lines are handled)."""
    return read_json_lines(path, parse_oneie_line, problems)

# --- writing -------------------------------------------------------------------------------------

class _WordIndex:
    """Character spans to token ranges over ``split_words(text)``."""

    def __init__(self, record: Record):
        self.record = record
        words = split_words(record.text)
        self.tokens = [w.text for w in words]
        self.by_start = {w.start: i for i, w in enumerate(words)}
        self.by_end = {w.end: i + 1 for i, w in enumerate(words)}

    def range(self, span: Span, what: str) -> tuple[int, int]:
        """The word range ``[i, j)`` of a span; ``ValueError`` unless it starts and ends on word edges."""
        if span.start not in self.by_start or span.end not in self.by_end:
            raise ValueError(f"record {self.record.id!r}: {what} {span.text_in(self.record.text)!r} "
                             f"[{span.start}, {span.end}) does not cover whole words")
        return self.by_start[span.start], self.by_end[span.end]


def record_to_oneie(record: Record) -> dict[str, Any]:
    """The OneIE form of a record (see the module docstring)."""
    words = _WordIndex(record)
    extras = record.metadata.get("oneie") or {}
    mentions: list[tuple[int, int, str]] = [(*words.range(e, "entity"), e.label) for e in record.entities]
    by_range: dict[tuple[int, int], int] = {}
    for i, (start, end, _) in enumerate(mentions):
        by_range.setdefault((start, end), i)
    n_entities = len(mentions)
    event_args: list[list[tuple[int, str]]] = []
    for event in record.events or []:
        refs = []
        for arg in event.arguments:
            key = words.range(arg, "argument")
            if key not in by_range:
                by_range[key] = len(mentions)
                mentions.append((*key, ARG_TYPE))
            refs.append((by_range[key], arg.label))
        event_args.append(refs)

    n_events = len(record.events or [])
    mention_ids, event_ids = _default_ids(record.id, len(mentions), n_events)
    mention_ids = _stored(extras, "mention_ids", mention_ids)
    event_ids = _stored(extras, "event_ids", event_ids)
    mention_types = _stored(extras, "mention_types", [
        DEFAULT_MENTION_TYPE["entity" if i < n_entities else "arg"] for i in range(len(mentions))])

    def tokens_text(start: int, end: int) -> str:
        """Tokens ``[start, end)`` joined by spaces: a mention's OneIE ``text`` field."""
        return " ".join(words.tokens[start:end])

    out: dict[str, Any] = {
        "doc_id": record.metadata.get("doc_id", record.id), "sent_id": record.id, "tokens": words.tokens,
        "entity_mentions": [
            {"id": mention_ids[i], "start": s, "end": e, "entity_type": label,
             "mention_type": mention_types[i], "text": tokens_text(s, e)}
            for i, (s, e, label) in enumerate(mentions)],
        "relation_mentions": extras.get("relation_mentions", []),
    }
    if record.events is not None:
        out["event_mentions"] = []
        for i, (event, refs) in enumerate(zip(record.events, event_args)):
            start, end = words.range(event.trigger, "trigger")
            out["event_mentions"].append({
                "id": event_ids[i], "event_type": event.type,
                "trigger": {"start": start, "end": end, "text": tokens_text(start, end)},
                "arguments": [{"entity_id": mention_ids[m], "text": tokens_text(*mentions[m][:2]), "role": role}
                              for m, role in refs]})
    out.update(extras.get("other", {}))
    metadata = {k: v for k, v in record.metadata.items() if k not in ("doc_id", "oneie")}
    if metadata:
        out["metadata"] = metadata
    return out


def _stored(extras: dict, key: str, default: list) -> list:
    """A list kept by the reader, when it still fits the record (same length); else the default."""
    value = extras.get(key)
    return list(value) if isinstance(value, list) and len(value) == len(default) else default


def write_oneie(records: Iterable[Record], path: str | Path) -> int:
    """Write records atomically as OneIE JSON lines; returns how many were written."""
    return write_json_lines((record_to_oneie(record) for record in records), path)
