"""The page around :mod:`.render`'s markup: one self-contained HTML file (inline CSS, no script,
no font or image from the network), right to left, that any browser opens offline."""
from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Sequence

from .fileio import atomic_open
from .records import Record
from .render import entity_colors, render_legend, render_records

CSS = """
* { box-sizing: border-box; }
body { font-family: "Noto Naskh Arabic", "DejaVu Sans", "Arial", sans-serif; margin: 1.5em; color: #222;
       background: #fff; line-height: 2.1; }
h1 { font-size: 1.3em; margin: 0 0 .5em; }
.aie-meta { color: #555; font-size: .9em; margin: 0 0 .5em; unicode-bidi: plaintext; text-align: right; }
.aie-legend { margin: .5em 0 1em; display: flex; flex-wrap: wrap; gap: .3em .8em; line-height: 1.8; }
.aie-key { white-space: nowrap; }
.aie-key .aie-miss, .aie-key .aie-false { background: #fff; }
details.aie-doc { border: 1px solid #ccc; border-radius: 6px; margin: .6em 0; padding: .2em .8em; }
details.aie-doc > summary { cursor: pointer; font-weight: bold; line-height: 1.8; }
.aie-miss-count { color: #b00020; } .aie-false-count { color: #8a5a00; }
.aie-record { border-top: 1px solid #eee; padding: .4em 0; }
.aie-compare { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1.2em; }
.aie-side { min-width: 0; }
.aie-side h4 { margin: 0; font-size: .8em; color: #666; text-transform: uppercase; }
.aie-text { margin: .2em 0; font-size: 1.15em; overflow-wrap: anywhere; }
mark { color: inherit; border-radius: 4px; padding: 0 .15em; }
mark.aie-ent::after, mark.aie-trg::after { content: attr(data-badge); font-size: .7em; font-weight: bold;
       vertical-align: super; margin: 0 .3em; color: #333; display: inline-block;
       white-space: nowrap; direction: ltr; unicode-bidi: isolate; line-height: 1; }
mark.aie-trg { background: transparent; border-bottom: 3px solid #d1495b; font-weight: bold; }
mark.aie-trg::after { color: #d1495b; font-size: 1rem; vertical-align: baseline; }
.aie-counts { unicode-bidi: isolate; direction: ltr; }
.aie-miss { outline: 2px dashed #b00020; outline-offset: 1px; }
.aie-false { outline: 2px dotted #8a5a00; outline-offset: 1px; text-decoration: line-through #8a5a00; }
tr.aie-miss th, tr.aie-miss td { background: #fde7ea; }
tr.aie-false th, tr.aie-false td { background: #fff1d6; }
table.aie-event { border-collapse: collapse; margin: .2em 0 .5em; width: 100%; table-layout: fixed;
       font-size: .9em; line-height: 1.5; }
table.aie-event caption { text-align: right; font-weight: bold; color: #d1495b; caption-side: top;
       overflow-wrap: anywhere; }
table.aie-event th, table.aie-event td { border: 1px solid #ddd; padding: .1em .4em; text-align: right;
       overflow-wrap: anywhere; }
table.aie-event th { width: 30%; font-weight: normal; color: #444; background: #f7f7f7; }
.aie-note { color: #888; font-size: .8em; margin: 0; }
"""


def render_page(records: Sequence[Record], gold: Sequence[Record] | None = None,
                title: str = "arabic-ie", open_first: int = 1) -> str:
    """A whole HTML page for records (predictions, or gold alone), with gold beside them when given."""
    colors = entity_colors([*records, *(gold or [])])
    n_events = sum(len(r.events or []) for r in records)
    meta = f"{len(records)} record(s) · {sum(len(r.entities) for r in records)} entities · {n_events} events"
    if gold is not None:
        meta += " · gold (right) against prediction (left); hover a mark or a row for its score"
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="ar" dir="rtl">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="aie-meta">{escape(meta)}</p>',
        render_legend(colors, compare=gold is not None),
        render_records(records, gold, open_first=open_first),
        "</body>",
        "</html>",
        "",
    ])


def write_render(records: Sequence[Record], path: str | Path, gold: Sequence[Record] | None = None,
                 title: str = "arabic-ie") -> Path:
    """Write the page atomically and return its path (the demo prints it)."""
    with atomic_open(path) as out:
        out.write(render_page(list(records), list(gold) if gold is not None else None, title))
    return Path(path)
