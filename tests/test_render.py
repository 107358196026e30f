"""The HTML view's markup (no browser): what each span becomes, misses and false alarms,
nesting and crossing marks, escaping, grouping by document, and the render command."""
import re
from html.parser import HTMLParser

import pytest

from arabic_ie.cli import main
from arabic_ie.data.jsonl import write_jsonl
from arabic_ie.data.records import Event, Record, Span
from arabic_ie.data.render import entity_colors, group_documents, render_record, render_records
from arabic_ie.data.render_page import render_page

TEXT = "التقى وزير الخارجية المصري نظيره الأردني في عمّان يوم الثلاثاء."


def at(word: str, label: str = "", score: float | None = None) -> Span:
    start = TEXT.index(word)
    return Span(start, start + len(word), label, score)


GOLD = Record("s1", TEXT, [at("الأردني", "GPE"), at("عمّان", "GPE"), at("يوم الثلاثاء", "TIME")],
              [Event("Contact:Meet", at("التقى"), [at("عمّان", "Place"), at("يوم الثلاثاء", "Time")])],
              {"document": "d1"})
PRED = Record("s1", TEXT, [at("عمّان", "GPE", 0.91), at("الخارجية", "ORG", 0.4)],
              [Event("Contact:Meet", at("التقى", score=0.88), [at("عمّان", "Place", 0.7), at("المصري", "Entity", 0.3)])],
              {"document": "d1"})


class Spans(HTMLParser):
    """Elements with data-kind, with their text (badges are CSS, so text is the span's text)."""

    def __init__(self):
        super().__init__()
        self.found, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.stack.append((tag, attrs, len(self.found) if "data-kind" in attrs else None))
        if "data-kind" in attrs:
            self.found.append({**attrs, "text": ""})

    def handle_endtag(self, tag):
        self.stack.pop()

    def handle_data(self, data):
        for tag, attrs, index in self.stack:
            if index is not None and (attrs["data-kind"] != "argument" or self.stack[-1][0] == "td"):
                self.found[index]["text"] += data


def spans_of(markup: str) -> list[dict]:
    parser = Spans()
    parser.feed(markup)
    return parser.found


def test_every_span_is_an_element_with_its_text_and_score_on_hover():
    found = spans_of(render_record(PRED, entity_colors([PRED])))
    by_kind = {(s["data-kind"], s["data-label"], s["text"]) for s in found}
    assert by_kind == {("entity", "GPE", "عمّان"), ("entity", "ORG", "الخارجية"), ("trigger", "Contact:Meet", "التقى"),
                       ("argument", "Place", "عمّان"), ("argument", "Entity", "المصري")}
    entity = next(s for s in found if s["data-label"] == "GPE")
    assert entity["title"] == "GPE · score 0.91" and "background:" in entity["style"]
    assert next(s for s in found if s["data-kind"] == "trigger")["data-badge"] == "E1 Contact:Meet"


def test_gold_against_prediction_marks_misses_and_false_alarms():
    markup = render_record(PRED, entity_colors([GOLD, PRED]), gold=GOLD)
    found = spans_of(markup)
    status = {(s["data-side"], s["data-kind"], s["text"]): s["class"] for s in found}
    assert "aie-miss" in status[("gold", "entity", "الأردني")]  # gold only
    assert "aie-miss" not in status[("gold", "entity", "عمّان")]  # found by the model
    assert "aie-false" in status[("pred", "entity", "الخارجية")]  # prediction only
    assert "aie-false" in status[("pred", "argument", "المصري")]
    assert "aie-miss" in status[("gold", "argument", "يوم الثلاثاء")]
    assert not any(k in status[("pred", "trigger", "التقى")] for k in ("aie-miss", "aie-false"))
    assert markup.index('data-side="gold"') < markup.index('data-side="pred"')  # gold first: on the right in RTL
    summary = render_records([PRED], [GOLD])
    assert "3 missed" in summary and "2 false alarms" in summary


def test_nested_and_crossing_marks_keep_each_span_whole():
    text = "أعلن رئيس الوزراء العراقي اليوم"
    words = {w: (text.index(w), text.index(w) + len(w)) for w in text.split()}
    record = Record("x", text, [Span(words["رئيس"][0], words["العراقي"][1], "PER")],
                    [Event("Personnel:Elect", Span(words["الوزراء"][0], words["اليوم"][1]), []),
                     Event("Contact:Meet", Span(words["رئيس"][0], words["رئيس"][1]), [])])
    found = spans_of(render_record(record, {}))
    joined = {}
    for s in found:
        joined[s["data-mark"]] = joined.get(s["data-mark"], "") + s["text"]
    assert sorted(joined.values()) == sorted([text[words["رئيس"][0]:words["العراقي"][1]],
                                              text[words["الوزراء"][0]:words["اليوم"][1]], "رئيس"])
    assert sum("data-piece" in s for s in found) == 1  # the crossing trigger is cut once


def test_text_and_labels_are_escaped():
    record = Record("<id>", "a <b>&</b> نص", [Span(2, 5, 'X"><script>')], [])
    page = render_page([record])
    assert "<script>" not in page and "&lt;b&gt;" in page and "&quot;&gt;&lt;script&gt;" in page


def test_page_is_rtl_self_contained_and_grouped_by_document(sample_records):
    records = sample_records["test"]
    page = render_page(records)
    assert '<html lang="ar" dir="rtl">' in page
    assert not re.search(r"(src|href)=|https?://|@import|url\(", page)
    groups = group_documents(records)
    assert [name for name, _ in groups] == list(dict.fromkeys(r.metadata["article"] for r in records))
    assert page.count("<details") == len(groups) and page.count("<details class=\"aie-doc\" open") == 1
    loose = [Record(str(k), "نص قصير.", [], []) for k in range(120)]
    assert [len(p) for _, p in group_documents(loose)] == [50, 50, 20]


def test_mismatched_gold_is_an_error():
    with pytest.raises(ValueError, match="gold and predicted texts differ"):
        render_record(PRED, {}, gold=Record("s1", TEXT + " ", [], []))
    with pytest.raises(ValueError, match="same records"):
        render_records([PRED], [GOLD, GOLD])


def test_render_command_compares_a_prediction_file_with_gold(tmp_path):
    pred, gold, out = tmp_path / "pred.jsonl", tmp_path / "gold.jsonl", tmp_path / "page.html"
    other = Record("s0", "زار بوتين القاهرة.", [Span(4, 9, "PER")], [])
    write_jsonl([PRED, other], pred)
    write_jsonl([other, GOLD], gold)  # another order: matched by id
    assert main(["render", str(pred), "--gold", str(gold), "-o", str(out)]) == 0
    found = spans_of(out.read_text(encoding="utf-8"))
    assert sum(s["data-side"] == "gold" for s in found) == 1 + 3 + 1 + 2
    assert main(["render", str(pred), "--gold", str(pred.with_name("missing.jsonl")), "-o", str(out)]) == 2


def test_render_command_tags_text_with_a_model(tiny_model_dir, tmp_path):
    text, out = tmp_path / "news.txt", tmp_path / "page.html"
    text.write_text(TEXT + "\n" + "أعلنت وزارة الداخلية اعتقال ثلاثة أشخاص في القاهرة.\n", encoding="utf-8")
    assert main(["render", str(text), "--model", str(tiny_model_dir), "-o", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    assert page.count('class="aie-record"') == 2 and TEXT.split()[0] in page
