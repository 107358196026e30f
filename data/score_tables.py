"""Score tables as text: the terminal table of ``arabic-ie eval`` and the Markdown of reports and
model cards, from the plain score dict of :func:`arabic_ie.training.metrics.score`. Kept apart
from the scoring (which needs seqeval) so the model card renders without the Training part."""
from __future__ import annotations

from typing import Any

Scores = dict[str, Any]


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _sections(scores: Scores) -> list[tuple[str, list[tuple[str, dict[str, Any]]]]]:
    """(title, rows) for each table; event tables only when some record had an event layer."""
    ent = scores["entities"]
    sections = [("Entities", [("overall (micro)", ent["overall"]),
                              *sorted(ent["per_type"].items())])]
    if scores["counts"]["event_records"]:
        trg, arg = scores["triggers"], scores["arguments"]
        sections.append(("Triggers", [("identification", trg["identification"]),
                                      ("classification", trg["classification"]),
                                      *sorted(trg["per_type"].items())]))
        sections.append(("Arguments", [("identification", arg["identification"]),
                                       ("classification", arg["classification"]),
                                       *sorted(arg["per_role"].items())]))
    return sections


def format_table(scores: Scores) -> str:
    """A plain-text table for the terminal: one block per task, figures in percent."""
    lines: list[str] = []
    for title, rows in _sections(scores):
        width = max([len(title)] + [len(name) + 2 for name, _ in rows])
        lines.append(f"{title:<{width}}  {'P':>6} {'R':>6} {'F1':>6} {'support':>8}")
        for name, row in rows:
            lines.append(f"{'  ' + name:<{width}}  {_pct(row['precision']):>6} {_pct(row['recall']):>6} "
                         f"{_pct(row['f1']):>6} {row['support']:>8}")
        lines.append("")
    counts = scores["counts"]
    lines.append(f"{counts['records']} records ({counts['event_records']} with events, "
                 f"{counts['ner_only_records']} NER-only)")
    return "\n".join(lines)


def to_markdown(scores: Scores, heading_level: int = 3) -> str:
    """Markdown tables, one per task, for a metrics report or a model card; ``heading_level``
    lets the tables sit under whatever heading the document gives them."""
    hashes = "#" * heading_level
    blocks: list[str] = []
    for title, rows in _sections(scores):
        table = [f"{hashes} {title}", "", "| | P | R | F1 | Support |", "|---|---:|---:|---:|---:|"]
        for name, row in rows:
            table.append(f"| {name} | {_pct(row['precision'])} | {_pct(row['recall'])} | "
                         f"{_pct(row['f1'])} | {row['support']} |")
        blocks.append("\n".join(table))
    counts = scores["counts"]
    blocks.append(f"Scored on {counts['records']} records ({counts['event_records']} with events, "
                  f"{counts['ner_only_records']} NER-only). P, R and F1 in percent; entities are "
                  "strict IOB2 spans (seqeval), triggers and arguments follow the OneIE convention.")
    return "\n\n".join(blocks) + "\n"
