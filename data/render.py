"""Records to HTML markup for people to read: a pure function, no page around it (that is
:mod:`.render_page`), in the spirit of spaCy's displaCy.

Each record becomes its sentence, right to left, with entity spans highlighted by type and event
triggers marked with their type and a number, then a table per event listing its arguments by
role. Scores show on hover (``title``). Given gold records as well, gold and prediction sit side
by side, and each side marks what the other lacks: a gold span the prediction missed
(``aie-miss``) and a predicted span with no gold counterpart (``aie-false``). Matching follows
the metrics: entities and triggers by offsets and type, arguments by event type, offsets and role.

Every span element carries ``data-kind`` (entity, trigger, argument), ``data-label``,
``data-start``/``data-end`` and ``data-side``, so tests and scripts can read the page back.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from html import escape
from typing import Iterable, Sequence

from .records import Event, Record, Span

#: Entity colours in the order types are met (sorted); more types than colours reuse them.
PALETTE = ["#ffd166", "#8ecae6", "#b8e0a0", "#f4a7b9", "#cdb4db", "#ffb385", "#a0c4ff", "#e0e0a0",
           "#9ee6d8", "#f2c6a0"]
GOLD, PRED = "gold", "pred"


def entity_colors(records: Iterable[Record]) -> dict[str, str]:
    """A colour per entity type found in the records, stable for a given set of types."""
    types = sorted({e.label for r in records for e in r.entities})
    return {t: PALETTE[k % len(PALETTE)] for k, t in enumerate(types)}


def _score(span: Span) -> str:
    return f" · score {span.score:.2f}" if span.score is not None else ""


@dataclass
class _Mark:
    """A highlighted stretch ``[start, end)`` of the sentence: an entity or an event trigger.
    ``span`` is the whole annotated span; it differs from the stretch only for a piece of a mark
    cut in two by a crossing one (both pieces share ``ident``; the second has ``piece``)."""

    start: int
    end: int
    kind: str  # "entity" or "trigger"
    label: str
    ident: str
    title: str
    classes: str
    style: str = ""
    badge: str = ""
    span: tuple[int, int] = (0, 0)
    piece: bool = False

    def markup(self, inner: str, side: str) -> str:
        """The ``<mark>`` element around ``inner``, with the ``data-*`` attributes tests and scripts read back."""
        style = f' style="{self.style}"' if self.style else ""
        badge = f' data-badge="{escape(self.badge)}"' if self.badge and not self.piece else ""
        piece = ' data-piece="1"' if self.piece else ""
        return (f'<mark class="{self.classes}" data-kind="{self.kind}" data-label="{escape(self.label)}" '
                f'data-mark="{self.ident}" data-start="{self.span[0]}" data-end="{self.span[1]}" '
                f'data-side="{side}"{piece}{badge} title="{escape(self.title)}"{style}>{inner}</mark>')


def _nest(text: str, marks: list[_Mark], start: int, end: int, side: str) -> str:
    """The text ``[start, end)`` with the marks inside it, nested where one holds another; a mark
    that crosses another's end is cut there and continued after it (badges are CSS ``::after``
    content, so an element's text is exactly its stretch of the sentence)."""
    out, pos = [], start
    pending = sorted(marks, key=lambda m: (m.start, -m.end))
    while pending:
        mark = pending.pop(0)
        out.append(escape(text[pos:mark.start]))
        inner, rest = [], []
        for other in pending:
            if other.start >= mark.end:
                rest.append(other)
            elif other.end <= mark.end:
                inner.append(other)
            else:  # crosses the end of this mark: the part inside nests, the rest goes on after
                inner.append(replace(other, end=mark.end))
                rest.append(replace(other, start=mark.end, piece=True))
        out.append(mark.markup(_nest(text, inner, mark.start, mark.end, side), side))
        pending = sorted(rest, key=lambda m: (m.start, -m.end))
        pos = mark.end
    out.append(escape(text[pos:end]))
    return "".join(out)


def _argument_keys(record: Record | None) -> set[tuple]:
    return {(ev.type, a.start, a.end, a.label) for ev in (record.events or []) for a in ev.arguments} \
        if record is not None else set()


def _keys(record: Record) -> Counter:
    """Everything a record says, as the keys the page compares (entities, triggers, arguments)."""
    keys = Counter(("entity", e.start, e.end, e.label) for e in record.entities)
    keys.update(("trigger", ev.trigger.start, ev.trigger.end, ev.type) for ev in record.events or [])
    keys.update(("argument",) + key for key in _argument_keys(record))
    return keys


def differences(gold: Record, pred: Record) -> tuple[int, int]:
    """``(missed, false alarms)``: gold items the prediction lacks, and predicted items gold lacks."""
    g, p = _keys(gold), _keys(pred)
    return sum((g - p).values()), sum((p - g).values())


def _status(key: tuple, other: set[tuple] | None, side: str) -> str:
    """``aie-miss`` (gold only) or ``aie-false`` (prediction only) when compared, else nothing."""
    if other is None or key in other:
        return ""
    return " aie-miss" if side == GOLD else " aie-false"


def _status_word(status: str) -> str:
    return {" aie-miss": " · missed by the model", " aie-false": " · false alarm (not in gold)"}.get(status, "")


def render_sentence(record: Record, colors: dict[str, str], side: str = PRED,
                    other: Record | None = None) -> str:
    """One record's sentence and event tables; ``other`` is the record of the other side to
    compare with (gold for a prediction, the prediction for gold)."""
    text = record.text
    other_entities = {(e.start, e.end, e.label) for e in other.entities} if other is not None else None
    other_triggers = {(e.trigger.start, e.trigger.end, e.type) for e in other.events or []} \
        if other is not None else None
    other_arguments = _argument_keys(other) if other is not None else None
    marks: list[_Mark] = []
    for e in record.entities:
        status = _status((e.start, e.end, e.label), other_entities, side)
        marks.append(_Mark(e.start, e.end, "entity", e.label, f"{side}-e{len(marks)}",
                           f"{e.label}{_score(e)}{_status_word(status)}", "aie-ent" + status,
                           f"background:{colors.get(e.label, '#ddd')}", e.label, (e.start, e.end)))
    events = record.events or []
    for n, ev in enumerate(events, 1):
        t = ev.trigger
        status = _status((t.start, t.end, ev.type), other_triggers, side)
        marks.append(_Mark(t.start, t.end, "trigger", ev.type, f"{side}-t{n}",
                           f"E{n} {ev.type}{_score(t)}{_status_word(status)}", "aie-trg" + status, "",
                           f"E{n} {ev.type}", (t.start, t.end)))
    parts = [f'<p class="aie-text" dir="rtl">{_nest(text, marks, 0, len(text), side)}</p>']
    for n, ev in enumerate(events, 1):
        parts.append(_event_table(record, ev, n, side, other_arguments))
    if record.events is None:
        parts.append('<p class="aie-note">no event layer</p>')
    return "\n".join(parts)


def _event_table(record: Record, event: Event, number: int, side: str, other: set[tuple] | None) -> str:
    trigger = event.trigger
    rows = []
    for a in event.arguments:
        status = _status((event.type, a.start, a.end, a.label), other, side)
        rows.append(f'<tr class="aie-arg{status}" data-kind="argument" data-label="{escape(a.label)}" '
                    f'data-start="{a.start}" data-end="{a.end}" data-event="{escape(event.type)}" '
                    f'data-side="{side}" title="{escape(a.label + _score(a) + _status_word(status))}">'
                    f'<th scope="row">{escape(a.label)}</th><td>{escape(a.text_in(record.text))}</td></tr>')
    body = "\n".join(rows) or '<tr class="aie-none"><td colspan="2">no arguments</td></tr>'
    # the Latin label isolated and no colon after it: in a right-to-left caption a colon after a
    # Latin run is drawn on the run's far side, where it reads as the label's first character
    return (f'<table class="aie-event" dir="rtl"><caption><bdi dir="ltr" class="aie-event-label">E{number} '
            f'{escape(event.type)}</bdi> <span class="aie-event-trigger">«{escape(trigger.text_in(record.text))}»'
            f'</span></caption>\n{body}\n</table>')


def render_record(record: Record, colors: dict[str, str], gold: Record | None = None) -> str:
    """A record's markup: the prediction alone, or gold and prediction side by side."""
    rid = escape(record.id)
    if gold is None:
        return (f'<section class="aie-record" data-record-id="{rid}">\n'
                f'<div class="aie-side" data-side="{PRED}">{render_sentence(record, colors, PRED)}</div>\n</section>')
    if gold.text != record.text:
        raise ValueError(f"record {record.id!r}: the gold and predicted texts differ")
    return (f'<section class="aie-record aie-compare" data-record-id="{rid}">\n'
            f'<div class="aie-side" data-side="{GOLD}"><h4>gold</h4>\n{render_sentence(gold, colors, GOLD, record)}</div>\n'
            f'<div class="aie-side" data-side="{PRED}"><h4>prediction</h4>\n'
            f'{render_sentence(record, colors, PRED, gold)}</div>\n</section>')


def group_documents(records: Sequence[Record], page_size: int = 50) -> list[tuple[str, list[int]]]:
    """Record positions grouped by document (``metadata["document"]`` or ``["article"]``, in
    order of first appearance); records that name none are paged ``page_size`` at a time."""
    groups: dict[str, list[int]] = {}
    loose: list[int] = []
    for k, record in enumerate(records):
        name = record.metadata.get("document") or record.metadata.get("article")
        if name is None:
            loose.append(k)
        else:
            groups.setdefault(str(name), []).append(k)
    out = list(groups.items())
    for p in range(0, len(loose), page_size):
        page = loose[p:p + page_size]
        out.append((f"records {page[0] + 1}–{page[-1] + 1}", page))
    return out


def render_records(records: Sequence[Record], gold: Sequence[Record] | None = None,
                   open_first: int = 1) -> str:
    """The markup of many records, one collapsible ``<details>`` per document (the first
    ``open_first`` open), with counts (and misses and false alarms) in each summary."""
    if gold is not None and len(gold) != len(records):
        raise ValueError(f"{len(gold)} gold records for {len(records)} predictions: give the same records")
    colors = entity_colors([*records, *(gold or [])])
    parts = []
    for n, (name, positions) in enumerate(group_documents(records)):
        body = "\n".join(render_record(records[k], colors, gold[k] if gold is not None else None) for k in positions)
        entities = sum(len(records[k].entities) for k in positions)
        events = sum(len(records[k].events or []) for k in positions)
        # the counts are an isolated left-to-right run, so an Arabic document name cannot pull
        # their numbers away from their words
        counts = f"{len(positions)} record(s), {entities} entities, {events} events"
        if gold is not None:
            found = [differences(gold[k], records[k]) for k in positions]
            misses, false = sum(c[0] for c in found), sum(c[1] for c in found)
            counts += f' · <span class="aie-miss-count">{misses} missed</span>, ' \
                      f'<span class="aie-false-count">{false} false alarms</span>'
        summary = f'<bdi class="aie-doc-name">{escape(name)}</bdi> · <span class="aie-counts">{counts}</span>'
        opened = " open" if n < open_first else ""
        parts.append(f'<details class="aie-doc"{opened} data-document="{escape(name)}"><summary>{summary}</summary>\n'
                     f"{body}\n</details>")
    return "\n".join(parts)


def render_legend(colors: dict[str, str], compare: bool) -> str:
    """The key to the colours and marks."""
    items = [f'<span class="aie-key"><mark class="aie-ent" style="background:{c}">{escape(t)}</mark></span>'
             for t, c in colors.items()]
    items.append('<span class="aie-key"><mark class="aie-trg">event trigger</mark></span>')
    if compare:
        items.append('<span class="aie-key"><mark class="aie-ent aie-miss">missed (gold only)</mark></span>')
        items.append('<span class="aie-key"><mark class="aie-ent aie-false">false alarm (prediction only)</mark></span>')
    return '<div class="aie-legend" dir="rtl">' + " ".join(items) + "</div>"
