"""The HTML view in a real browser: the sample's test split, gold against a small trained model's
predictions, loaded in headless Chromium. A script added to a copy of the page reads the DOM
(every entity, trigger and argument, with its text as the browser holds it) and measures every
box for overflow, and writes what it found into the DOM, which ``--dump-dom`` hands back. A
screenshot is written for people to look at (``outputs/test-artifacts/render-sample-test.png``)."""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from arabic_ie.data.render_page import render_page, write_render

from conftest import REPO

pytestmark = pytest.mark.service  # headless Chromium

ARTIFACTS = Path(os.environ.get("ARABIC_IE_TEST_ARTIFACTS", REPO / "outputs" / "test-artifacts"))

CHECK_SCRIPT = """
<script>
(() => {
  for (const d of document.querySelectorAll("details")) d.open = true;
  const spans = [];
  for (const el of document.querySelectorAll("[data-kind]")) {
    const cell = el.dataset.kind === "argument" ? el.querySelector("td") : el;
    spans.push({record: el.closest("[data-record-id]").dataset.recordId, side: el.dataset.side,
                kind: el.dataset.kind, label: el.dataset.label, start: +el.dataset.start,
                end: +el.dataset.end, event: el.dataset.event || null, mark: el.dataset.mark || null,
                text: cell.textContent});
  }
  const overflow = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) overflow.push("page: " + root.scrollWidth + " > " + root.clientWidth);
  for (const el of document.querySelectorAll("details, .aie-record, .aie-side, .aie-text, table, caption, td, th, .aie-legend")) {
    if (el.scrollWidth > el.clientWidth + 1)
      overflow.push(el.tagName + "." + el.className + " in " + (el.closest("[data-record-id]") || {dataset: {}}).dataset.recordId
                    + ": " + el.scrollWidth + " > " + el.clientWidth);
  }
  // labels: each badge one unbreakable box; trigger badges at the body's font size
  const bodyFont = parseFloat(getComputedStyle(document.body).fontSize);
  const badges = [...document.querySelectorAll("mark[data-badge]")].map(el => {
    const after = getComputedStyle(el, "::after");
    return {kind: el.dataset.kind, display: after.display, wrap: after.whiteSpace,
            size: parseFloat(after.fontSize), content: after.content};
  });
  // captions: the event label is one line and stands to the right of the trigger text (read first)
  const captions = [...document.querySelectorAll("table.aie-event caption")].map(c => {
    const label = c.querySelector(".aie-event-label"), trigger = c.querySelector(".aie-event-trigger");
    const l = label.getBoundingClientRect(), t = trigger.getBoundingClientRect();
    return {label: label.textContent, lines: label.getClientRects().length, labelLeft: l.left,
            triggerRight: t.right, sameLine: Math.abs(l.top - t.top) < l.height, text: c.textContent};
  });
  // summaries: every number stands next to its word
  const summaries = [...document.querySelectorAll("details > summary .aie-counts")].map(e => e.textContent);
  const pre = document.createElement("pre");
  pre.id = "aie-check";
  pre.textContent = JSON.stringify({spans, overflow, dir: root.getAttribute("dir"), bodyFont, badges, captions,
                                    summaries, external: [...document.querySelectorAll("[src], link[href]")].length});
  document.body.appendChild(pre);
})();
</script>
"""


def chromium() -> str:
    found = os.environ.get("CHROMIUM_BIN") or next(
        (shutil.which(name) for name in ("chromium", "chromium-browser") if shutil.which(name)), None)
    if found:
        return found
    reason = "headless Chromium is not installed (scripts/setup_chromium.sh installs Debian's package)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def run_chromium(binary: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={profile}", "--window-size=1280,1400", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def compared(trained_model_dir, sample_records):
    from arabic_ie import JointTagger

    gold = sample_records["test"]
    tagger = JointTagger.from_pretrained(trained_model_dir, device="cpu")
    return gold, tagger.predict(gold, split_sentences=False)


def expected_spans(gold, pred) -> Counter:
    """What the DOM must hold: every span of both sides, with its text in the record."""
    out: Counter = Counter()
    for side, records in (("gold", gold), ("pred", pred)):
        for r in records:
            for e in r.entities:
                out[(r.id, side, "entity", e.label, e.start, e.end, None, r.text[e.start:e.end])] += 1
            for ev in r.events or []:
                t = ev.trigger
                out[(r.id, side, "trigger", ev.type, t.start, t.end, None, r.text[t.start:t.end])] += 1
                for a in ev.arguments:
                    out[(r.id, side, "argument", a.label, a.start, a.end, ev.type, r.text[a.start:a.end])] += 1
    return out


def dom_spans(found: list[dict]) -> Counter:
    """The browser's spans, with the pieces of a mark cut by a crossing one joined again."""
    joined: dict[tuple, dict] = {}
    for s in found:
        key = (s["record"], s["side"], s["mark"]) if s["mark"] else (id(s),)
        if key in joined:
            joined[key]["text"] += s["text"]
        else:
            joined[key] = dict(s)
    return Counter((s["record"], s["side"], s["kind"], s["label"], s["start"], s["end"], s["event"], s["text"])
                   for s in joined.values())


def test_the_browser_shows_every_span_of_gold_and_prediction_without_overflow(compared, tmp_path):
    binary = chromium()
    gold, pred = compared
    assert sum(len(r.entities) for r in pred) and sum(len(r.events) for r in pred), "the model found nothing"
    page = render_page(pred, gold, title="sample test split: gold against tiny")
    checked = tmp_path / "checked.html"
    checked.write_text(page.replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")
    result = run_chromium(binary, tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom",
                          checked.as_uri())
    match = re.search(r'<pre id="aie-check">(.*?)</pre>', result.stdout, re.S)
    assert match, f"no check output from Chromium (exit {result.returncode}): {result.stderr[-1500:]}"
    report = json.loads(html.unescape(match.group(1)))
    assert report["dir"] == "rtl" and report["external"] == 0
    assert report["overflow"] == []
    check_labels(report)
    expected, found = expected_spans(gold, pred), dom_spans(report["spans"])
    assert found == expected, (f"missing: {list((expected - found).items())[:5]}; "
                               f"unexpected: {list((found - expected).items())[:5]}")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shown = write_render(pred, ARTIFACTS / "render-sample-test.html", gold, "sample test split: gold against tiny")
    shot = ARTIFACTS / "render-sample-test.png"
    shot.unlink(missing_ok=True)
    result = run_chromium(binary, tmp_path / "profile2", f"--screenshot={shot}", shown.resolve().as_uri())
    assert shot.is_file() and shot.stat().st_size > 10_000, result.stderr[-1500:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def check_labels(report: dict) -> None:
    """Issue 24's render glitches, read off the browser's layout: labels that stay whole, trigger
    labels at body size, the event label right of its trigger with no stray colon, labelled counts."""
    badges = report["badges"]
    assert badges and all(b["display"] == "inline-block" and b["wrap"] == "nowrap" for b in badges), badges[:3]
    triggers = [b for b in badges if b["kind"] == "trigger"]
    assert triggers and min(b["size"] for b in triggers) >= report["bodyFont"]
    captions = report["captions"]
    assert captions and all(c["lines"] == 1 for c in captions), [c for c in captions if c["lines"] != 1][:3]
    same_line = [c for c in captions if c["sameLine"]]
    assert same_line and all(c["labelLeft"] >= c["triggerRight"] - 1 for c in same_line), same_line[:3]
    assert all(":" not in c["text"].replace(c["label"], "") for c in captions)
    assert report["summaries"] and all(re.fullmatch(r"\d+ record\(s\), \d+ entities, \d+ events"
                                                    r"( · \d+ missed, \d+ false alarms)?", s) for s in report["summaries"])


def test_labels_in_a_document_with_an_arabic_name_and_a_long_event_type(tmp_path):
    """A document named in Arabic and an event type longer than a narrow column: the checks hold
    where bidi and wrapping are hardest."""
    from arabic_ie.data.records import Event, Record, Span

    binary = chromium()
    text = "أعلنت وزارة الداخلية اعتقال ثلاثة مشتبه بهم في القاهرة يوم الثلاثاء بعد مداهمة ليلية."
    def at(word, label=""):
        return Span(text.index(word), text.index(word) + len(word), label)
    record = Record("r1", text, [at("وزارة الداخلية", "ORG"), at("القاهرة", "GPE")],
                    [Event("Justice:Arrest-Jail-Detain-Extradite", at("اعتقال"),
                           [at("وزارة الداخلية", "Agent"), at("القاهرة", "Place")])],
                    {"document": "خبر الاعتقال ١"})
    page = render_page([record] * 3, [record] * 3, title="labels")
    checked = tmp_path / "labels.html"
    checked.write_text(page.replace("</body>", CHECK_SCRIPT + "</body>"), encoding="utf-8")
    result = run_chromium(binary, tmp_path / "profile", "--virtual-time-budget=5000", "--dump-dom", checked.as_uri())
    match = re.search(r'<pre id="aie-check">(.*?)</pre>', result.stdout, re.S)
    assert match, result.stderr[-1500:]
    report = json.loads(html.unescape(match.group(1)))
    check_labels(report)
    assert report["overflow"] == []
