"""Scoring predicted records against gold records with the standard metrics of both fields.

- Entities: word-level IOB2 tags scored by seqeval in strict mode (the CoNLL convention every
  Arabic NER paper reports), micro overall and per type.
- Triggers (ACE / OneIE convention): identification when a predicted trigger span matches a gold
  trigger span, classification when its event type matches too.
- Arguments (OneIE convention): an argument counts when its span and its event's type match a
  gold argument, and for classification its role too.

Trigger and argument matches are counted as multisets, so a duplicated prediction is one true
positive and one false positive, never two true positives. Records whose gold has no event layer
(``events is None``, a NER-only corpus) are left out of trigger and argument scoring.

``score`` returns a plain, JSON-serialisable nested dict; ``format_table`` and ``to_markdown``
render it for the terminal and for reports.
"""
from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from arabic_ie.data.records import Record, Span
from arabic_ie.data.score_tables import format_table, to_markdown
from arabic_ie.data.text import split_words

__all__ = ["score", "prf", "entity_tags", "format_table", "to_markdown"]

Scores = dict[str, Any]


# --------------------------------------------------------------------------- helpers


def prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float | int]:
    """Precision, recall and F1 from counts; 0.0 instead of a division by zero, so an empty
    prediction or an empty gold set scores 0 rather than failing."""
    precision = tp / n_pred if n_pred else 0.0
    recall = tp / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": n_gold}


def _score_counters(gold: Counter, pred: Counter) -> dict[str, float | int]:
    """P/R/F1 of two multisets of match keys: the intersection counts each key at most as often
    as it occurs on both sides."""
    tp = sum((gold & pred).values())
    return prf(tp, sum(pred.values()), sum(gold.values()))


def _per_label(gold: Counter, pred: Counter, label_of: int) -> dict[str, dict[str, float | int]]:
    """Scores per label, where the label is element ``label_of`` of each key; labels from both
    sides are listed, so a type only ever predicted shows up with support 0."""
    labels = sorted({key[label_of] for key in gold} | {key[label_of] for key in pred})
    return {
        label: _score_counters(
            Counter({k: n for k, n in gold.items() if k[label_of] == label}),
            Counter({k: n for k, n in pred.items() if k[label_of] == label}),
        )
        for label in labels
    }


# --------------------------------------------------------------------------- pairing


def _pair(gold: Sequence[Record], pred: Sequence[Record]) -> list[tuple[Record, Record]]:
    """Gold and predicted records paired by id, in gold order; a scorer that silently matched a
    subset would report numbers for a test set nobody asked about, so any mismatch raises."""
    gold_by_id = _by_id(gold, "gold")
    pred_by_id = _by_id(pred, "predicted")
    missing = [i for i in gold_by_id if i not in pred_by_id]
    extra = [i for i in pred_by_id if i not in gold_by_id]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} gold record(s) have no prediction: {_show(missing)}")
        if extra:
            parts.append(f"{len(extra)} predicted record(s) are not in the gold set: {_show(extra)}")
        raise ValueError("gold and predicted records differ; " + "; ".join(parts))
    pairs = []
    for rid, g in gold_by_id.items():
        p = pred_by_id[rid]
        if g.text != p.text:
            raise ValueError(f"record {rid!r}: the predicted text differs from the gold text "
                             f"(gold {g.text[:40]!r}..., predicted {p.text[:40]!r}...)")
        pairs.append((g, p))
    return pairs


def _by_id(records: Iterable[Record], side: str) -> dict[str, Record]:
    out: dict[str, Record] = {}
    for r in records:
        if r.id in out:
            raise ValueError(f"duplicate {side} record id {r.id!r}")
        out[r.id] = r
    return out


def _show(ids: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(i) for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


# --------------------------------------------------------------------------- entities


def entity_tags(record: Record) -> list[str]:
    """Word-level IOB2 tags of a record's entities (words from ``split_words``).

    An entity covers the words inside its span; a span that lies inside a single word (a clitic
    split off by another tokenisation) covers the word it overlaps, so it is not lost. Where
    entities overlap, the earliest (and, at equal starts, the longest) keeps its words and the
    later one is dropped, since IOB2 cannot represent nesting.
    """
    words = split_words(record.text)
    tags = ["O"] * len(words)
    for ent in sorted(record.entities, key=lambda s: (s.start, -s.end)):
        covered = _covered_words(words, ent)
        if not covered or any(tags[i] != "O" for i in covered):
            continue
        tags[covered[0]] = f"B-{ent.label}"
        for i in covered[1:]:
            tags[i] = f"I-{ent.label}"
    return tags


def _covered_words(words: Sequence, span: Span) -> list[int]:
    inside = [i for i, w in enumerate(words) if span.start <= w.start and w.end <= span.end]
    if inside:
        return inside
    return [i for i, w in enumerate(words) if w.start < span.end and span.start < w.end]


def _entity_scores(pairs: list[tuple[Record, Record]]) -> Scores:
    """seqeval strict IOB2 scores; micro average overall and one row per type."""
    y_true = [entity_tags(g) for g, _ in pairs]
    y_pred = [entity_tags(p) for _, p in pairs]
    if not any(t != "O" for seq in y_true + y_pred for t in seq):
        # seqeval cannot average over no entities at all; nothing to find and nothing found
        return {"overall": prf(0, 0, 0), "per_type": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero_division handles undefined scores; no noise
        report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2,
                                       output_dict=True, zero_division=0)
    averages = {"micro avg", "macro avg", "weighted avg"}
    return {
        "overall": _plain(report["micro avg"]),
        "per_type": {label: _plain(row) for label, row in sorted(report.items()) if label not in averages},
    }


def _plain(row: dict[str, Any]) -> dict[str, float | int]:
    """A seqeval report row as plain Python numbers (seqeval returns numpy scalars, which the
    json module refuses)."""
    return {"precision": float(row["precision"]), "recall": float(row["recall"]),
            "f1": float(row["f1-score"]), "support": int(row["support"])}


# --------------------------------------------------------------------------- events


@dataclass
class _EventKeys:
    """The match keys of one side's events, as multisets."""

    trigger_id: Counter
    trigger_cls: Counter
    argument_id: Counter
    argument_cls: Counter


def _event_keys(records: Iterable[tuple[str, Record]]) -> _EventKeys:
    """Trigger keys (record id, start, end[, type]) and argument keys (record id, event type,
    start, end[, role]); a record without an event layer adds none."""
    keys = _EventKeys(Counter(), Counter(), Counter(), Counter())
    for rid, record in records:
        for ev in record.events or []:
            keys.trigger_id[(rid, ev.trigger.start, ev.trigger.end)] += 1
            keys.trigger_cls[(rid, ev.trigger.start, ev.trigger.end, ev.type)] += 1
            for arg in ev.arguments:
                keys.argument_id[(rid, ev.type, arg.start, arg.end)] += 1
                keys.argument_cls[(rid, ev.type, arg.start, arg.end, arg.label)] += 1
    return keys


def _event_scores(pairs: list[tuple[Record, Record]]) -> tuple[Scores, Scores]:
    """Trigger and argument scores over the pairs whose gold has an event layer. A prediction
    without an event layer for such a record counts as predicting no events."""
    scored = [(g, p) for g, p in pairs if g.events is not None]
    gold = _event_keys((g.id, g) for g, _ in scored)
    pred = _event_keys((g.id, p) for g, p in scored)
    triggers = {
        "identification": _score_counters(gold.trigger_id, pred.trigger_id),
        "classification": _score_counters(gold.trigger_cls, pred.trigger_cls),
        "per_type": _per_label(gold.trigger_cls, pred.trigger_cls, label_of=3),
    }
    arguments = {
        "identification": _score_counters(gold.argument_id, pred.argument_id),
        "classification": _score_counters(gold.argument_cls, pred.argument_cls),
        "per_role": _per_label(gold.argument_cls, pred.argument_cls, label_of=4),
    }
    return triggers, arguments


def _counts(pairs: list[tuple[Record, Record]]) -> dict[str, int]:
    """How much was scored, so a report can say what its figures rest on."""
    event_pairs = [(g, p) for g, p in pairs if g.events is not None]
    return {
        "records": len(pairs),
        "event_records": len(event_pairs),
        "ner_only_records": len(pairs) - len(event_pairs),
        "gold_entities": sum(len(g.entities) for g, _ in pairs),
        "pred_entities": sum(len(p.entities) for _, p in pairs),
        "gold_events": sum(len(g.events or []) for g, _ in event_pairs),
        "pred_events": sum(len(p.events or []) for _, p in event_pairs),
        "gold_arguments": sum(len(ev.arguments) for g, _ in event_pairs for ev in g.events or []),
        "pred_arguments": sum(len(ev.arguments) for _, p in event_pairs for ev in p.events or []),
    }


# --------------------------------------------------------------------------- entry point


def score(gold: Sequence[Record], pred: Sequence[Record]) -> Scores:
    """Score predicted records against gold records paired by id.

    Returns ``{"entities": {"overall", "per_type"}, "triggers": {"identification",
    "classification", "per_type"}, "arguments": {"identification", "classification",
    "per_role"}, "counts"}``; every score row is ``{"precision", "recall", "f1", "support"}``
    with the first three floats in 0..1 and support the gold count.
    Raises ``ValueError`` if the ids differ, an id repeats, or a pair's texts differ.
    """
    pairs = _pair(gold, pred)
    triggers, arguments = _event_scores(pairs)
    return {
        "entities": _entity_scores(pairs),
        "triggers": triggers,
        "arguments": arguments,
        "counts": _counts(pairs),
    }
