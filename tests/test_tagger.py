"""The Python API on real, messy Arabic text: plain records with exact character offsets."""
import pytest

from arabic_ie import JointTagger, Record
from arabic_ie.data.text import split_words
from arabic_ie.model.hub import ModelLoadError
from conftest import SAMPLE

MESSY = ("دمشق (سانا) - أجرى الرئيـــس السوري اتصالاً هاتفيّاً مع نظيره الإيراني مسعود بزشكيان، "
         "وبحثا «التطورات» في المنطقة 🇸🇾 #سوريا، بحسب CNN و میگوید... وبلغت المساعدات 3.5 مليار دولار!")


@pytest.fixture(scope="module")
def tagger(tiny_model_dir):
    return JointTagger.from_pretrained(tiny_model_dir, device="cpu")


def assert_spans_are_words(record: Record) -> None:
    words = split_words(record.text)
    starts, ends = {w.start for w in words}, {w.end for w in words}
    spans = list(record.entities) + [e.trigger for e in record.events] + [a for e in record.events for a in e.arguments]
    for span in spans:
        assert span.start in starts and span.end in ends, (span, record.text[span.start:span.end])
        assert 0.0 < span.score <= 1.0


def test_single_text_gives_one_record_with_offsets_into_the_original(tagger):
    record = tagger.predict(MESSY)
    assert isinstance(record, Record) and record.text == MESSY
    assert_spans_are_words(record)
    as_dict = record.to_dict()
    for entity in as_dict["entities"]:
        assert MESSY[entity["start"]:entity["end"]] == entity["text"]


def test_documents_are_split_and_mapped_back(tagger):
    document = " ".join([MESSY] * 3) + "\n" + "وصل الوفد إلى الرياض. " * 200
    records = tagger.predict([document, "قصيرة."], batch_size=4)
    assert [r.text for r in records] == [document, "قصيرة."]
    assert_spans_are_words(records[0])
    tail = len(document) - 2000  # predictions reach the end of a long document: nothing truncated
    touched = [s for s in records[0].entities + [e.trigger for e in records[0].events] if s.start > tail]
    assert touched, "no span in the last 2,000 characters: the document was truncated"


def test_one_sentence_longer_than_the_model_limit_is_windowed(tagger):
    sentence = " و".join(["أعلنت وزارة الخارجية المصرية دعمها للمبادرة"] * 120) + "."
    unsplit = tagger.predict(sentence, split_sentences=False)
    assert_spans_are_words(unsplit)
    assert max((s.end for s in unsplit.entities + [e.trigger for e in unsplit.events]), default=0) > len(sentence) - 400


def test_batching_does_not_change_predictions(tagger, sample_records):
    texts = [r.text for r in sample_records["dev"][:20]]
    one = tagger.predict(texts, batch_size=1)
    many = tagger.predict(texts, batch_size=16)
    assert [r.to_dict() for r in one] == [r.to_dict() for r in many]


def test_records_keep_their_ids_and_metadata(tagger, sample_records):
    gold = sample_records["test"][:3]
    predicted = tagger.predict(gold, split_sentences=False)
    assert [r.id for r in predicted] == [r.id for r in gold]
    assert predicted[0].metadata == gold[0].metadata


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelLoadError, match="no such folder"):
        JointTagger.from_pretrained(str(tmp_path / "nope"))


def test_saved_folder_loads_through_the_transformers_auto_classes(tiny_model_dir):
    import arabic_ie.model  # noqa: F401  (registers the Auto classes)
    from transformers import AutoConfig, AutoModel

    from arabic_ie.model.modeling import ArabicIEModel

    config = AutoConfig.from_pretrained(tiny_model_dir)
    assert config.model_type == "arabic-ie" and config.label_schema.entity_types
    assert isinstance(AutoModel.from_pretrained(tiny_model_dir), ArabicIEModel)
    assert (tiny_model_dir / "model.safetensors").exists()


NEWS = ["وسيطرت فصائل المعارضة على مدينة سراقب أمس الجمعة.",
        "التقى وزير الخارجية المصري نظيره الأردني في عمّان يوم الثلاثاء، وأعلنت إيران وآسيا.",
        "أُصيب ثلاثة أشخاص في إطلاق نار على مؤسسة سياحية بجنوب الأردن."]


def signature(record: Record) -> list[tuple]:
    """What was found, in NFC, independent of the text's length in its own form."""
    import unicodedata

    nfc = lambda span: unicodedata.normalize("NFC", record.text[span.start:span.end])  # noqa: E731
    return ([(nfc(e), e.label, round(e.score, 4)) for e in record.entities]
            + [(nfc(ev.trigger), ev.type, [(nfc(a), a.label) for a in ev.arguments]) for ev in record.events])


def test_text_in_nfd_is_tagged_as_the_same_text_in_nfc(tagger):
    import unicodedata

    nfd = [unicodedata.normalize("NFD", text) for text in NEWS]
    assert nfd != NEWS
    composed, decomposed = tagger.predict(NEWS), tagger.predict(nfd)
    for record, text in zip(decomposed, nfd):
        assert record.text == text  # offsets into the original, decomposed text
        assert_spans_are_words(record)
    assert [signature(r) for r in decomposed] == [signature(r) for r in composed]
    assert any(signature(r) for r in composed)


WEB = ("🔥🔥 عاجل: انفجار في #بيروت 😢👍🏽 والضحايا بالعشرات #لبنان_ينتفض @AJArabic https://pic.twitter.com/Ab12Cd "
       "راسلونا على news@sana.sy \u200c وصل #فيصل_بن_فرحان إلى الرياض :// 😂 « » بيروت❤️ \u2600\ufe0f .")


def test_no_span_is_only_punctuation_and_web_tokens_are_never_inside_one(tagger, monkeypatch):
    """Even a model that tags every word, and every run of words, gives clean spans."""
    from arabic_ie.data.text import has_word_char, is_web_token, split_words

    def everything(probs):
        n = probs.shape[0]
        return [(0, n, "PER", 0.9)] + [(k, k + 1, "GPE", 0.8) for k in range(n)]

    monkeypatch.setattr(tagger, "_entities", everything)
    monkeypatch.setattr(tagger, "_triggers", lambda probs: [(k, k + 1, tagger.schema.event_types[0], 0.7)
                                                            for k in range(probs.shape[0])])
    monkeypatch.setattr(tagger, "_arguments", everything)
    record = tagger.predict(WEB, split_sentences=False)
    assert_spans_are_words(record)
    spans = list(record.entities) + [e.trigger for e in record.events] + [a for e in record.events for a in e.arguments]
    assert spans
    words = {(w.start, w.end): w for w in split_words(WEB)}
    for span in spans:
        inside = [w for (a, b), w in words.items() if span.start <= a and b <= span.end]
        assert has_word_char(inside[0].text) and has_word_char(inside[-1].text), record.text[span.start:span.end]
        assert not any(is_web_token(w.text) for w in inside), record.text[span.start:span.end]
    per = [WEB[e.start:e.end] for e in record.entities if e.label == "PER"]  # the whole text, cut and trimmed
    assert per[-1] == "وصل #فيصل_بن_فرحان إلى الرياض :// 😂 « » بيروت"
    gpe = {WEB[e.start:e.end] for e in record.entities if e.label == "GPE"}  # every word that can be a span
    # (بن opens a name: widened over فرحان, it crosses the whole-text span, which scores higher)
    assert {"فيصل", "فرحان", "بيروت"} <= gpe and "بن" not in gpe
    assert not gpe & {"_", "#", "😂", "://", "\u200c", "@AJArabic", "❤️", "\u2600\ufe0f"}
    for word in ("@AJArabic", "https://pic.twitter.com/Ab12Cd", "news@sana.sy"):
        assert word in [w.text for w in split_words(WEB)]  # one word each


ARTICLE = ("وكتب عراقجي تغريدة بالفارسية أمس. "
           "ما در برابر همسایگان از حقوق خود دفاع می‌کنیم و گفت‌وگو را ادامه می‌دهیم. "
           "The minister said on Tuesday that the talks would resume in Geneva next week. "
           "وأكد المتحدث باسم الخارجية الإيرانية أن المحادثات ستستأنف في جنيف.")


def test_sentences_that_are_not_arabic_are_left_untagged_and_said_so(tagger, monkeypatch):
    monkeypatch.setattr(tagger, "_entities", lambda probs: [(k, k + 1, "PER", 0.9) for k in range(probs.shape[0])])
    record = tagger.predict(ARTICLE)
    persian = (ARTICLE.index("ما در"), ARTICLE.index("The minister"))
    english = (ARTICLE.index("The minister"), ARTICLE.index("وأكد"))
    tagged = {ARTICLE[e.start:e.end] for e in record.entities}
    assert "عراقجي" in tagged and "جنيف" in tagged  # the Arabic sentences are tagged
    for a, b in (persian, english):
        assert not [e for e in record.entities if a <= e.start < b]
    assert [(s["start"], s["end"]) for s in record.metadata["not_tagged"]] == [
        (persian[0], persian[1] - 1), (english[0], english[1] - 1)]
    assert "Persian or Urdu" in record.metadata["not_tagged"][0]["reason"]
    assert "Latin" in record.metadata["not_tagged"][1]["reason"]
    everything = tagger.predict(ARTICLE, tag_all_languages=True)  # the option tags them anyway
    assert [e for e in everything.entities if persian[0] <= e.start < persian[1]]
    assert "not_tagged" not in everything.metadata


QUOTING = ("وقال وزير الخارجية الإيراني: «ما در کنار مردم فلسطین هستیم و از حقوق آنها دفاع می‌کنیم» في طهران. "
           'ونقلت رويترز عن المتحدث قوله "We will not accept any deal that ignores the rights of the people" '
           "في جنيف يوم الاثنين.")


def test_a_quotation_that_is_not_arabic_is_left_untagged_and_its_sentence_is_tagged(tagger, monkeypatch):
    """Arabic news quotes a Persian tweet or an English statement inside its own sentence: the
    sentence was once skipped whole (the quotation's words outvoted it); now only the quotation is."""
    from arabic_ie.data.language import not_arabic_reason

    monkeypatch.setattr(tagger, "_entities", lambda probs: [(k, k + 1, "PER", 0.9) for k in range(probs.shape[0])])
    record = tagger.predict(QUOTING)
    persian = (QUOTING.index("«") + 1, QUOTING.index("»"))
    english = (QUOTING.index('"') + 1, QUOTING.rindex('"'))
    tagged = {QUOTING[e.start:e.end] for e in record.entities}
    assert {"الإيراني", "طهران", "رويترز", "جنيف"} <= tagged  # both sentences are tagged
    for a, b in (persian, english):
        assert not [e for e in record.entities if e.start < b and a < e.end]
    assert [(s["start"], s["end"]) for s in record.metadata["not_tagged"]] == [persian, english]
    assert "Persian or Urdu" in record.metadata["not_tagged"][0]["reason"]
    assert "Latin" in record.metadata["not_tagged"][1]["reason"]
    # a sentence that is nothing but a quotation, or Persian around an Arabic one, stays untagged
    assert "Persian" in not_arabic_reason("«ما در کنار مردم فلسطین هستیم»")
    assert "Persian" in not_arabic_reason("وزیر گفت که ما در کنار مردم هستیم «نحن مع الشعب»")
    assert not_arabic_reason("قال «نحن مع الشعب» في بيان") is None
    everything = tagger.predict(QUOTING, tag_all_languages=True)
    assert [e for e in everything.entities if persian[0] <= e.start < persian[1]]
    assert "not_tagged" not in everything.metadata


def test_preprocessing_a_long_single_line_grows_linearly():
    """Sentence spans and the owner window of each word, for one long line: 4x the text must
    cost about 4x the time, not 16x (a 1 MB line took ~190 s when they were quadratic)."""
    import time

    from arabic_ie.data.features import Window, word_windows
    from arabic_ie.data.text import split_sentences
    from arabic_ie.model.tagger import owner_windows

    base = "وسيطرت فصائل المعارضة على مدينة سراقب أمس الجمعة. قال م. الصفدي إن 3.5 مليار دولار وصلت، "

    def seconds(n: int) -> float:
        text = (base * (n // len(base) + 1))[:n]
        n_words = len(text.split())
        windows = [Window([], [], [], a, b) for a, b in word_windows([1] * n_words, 254, 32)]
        best = float("inf")
        for _ in range(2):
            started = time.perf_counter()
            split_sentences(text)
            owner_windows(windows, n_words)
            best = min(best, time.perf_counter() - started)
        return best

    small, large = seconds(50_000), seconds(200_000)
    assert large < 8 * small + 0.1, (small, large)


def test_int8_on_a_machine_with_a_gpu_runs_on_the_cpu_and_is_not_saved(tiny_model_dir, tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # as on a GPU machine
    tagger = JointTagger.from_pretrained(tiny_model_dir, quantize="int8")
    assert tagger.device.type == "cpu"  # where the int8 kernels run, and where inputs must go
    assert any("quantized" in type(m).__module__ for m in tagger.model.modules())
    assert tagger.predict(NEWS[0]).text == NEWS[0]
    with pytest.raises(ValueError, match="a quantized tagger cannot be saved"):
        tagger.save_pretrained(tmp_path / "q")


GLOSSES = ("ألبرت أينشتاين ( Albert Einstein ) عاش في زيورخ Zürich عام 1895 ، "
           "بحسب تقديرات صندوق النقد الدولي (IMF) وشبكة CNN بالعربية .")


def test_english_glosses_in_brackets_get_no_span_and_mixed_names_stay(tagger, monkeypatch):
    """Real sentences of the kind Wikipedia and ANERcorp hold: an Arabic name, then its English
    form in brackets. Even a model that tags every run of words gives no span on the Latin words."""
    words = [w.text for w in split_words(GLOSSES)]
    runs = [(0, 2), (2, 6), (8, 9), (9, 10), (15, 18), (18, 21), (21, 24)]  # by word index

    monkeypatch.setattr(tagger, "_entities", lambda probs: [(a, b, "PER", 0.9) for a, b in runs])
    record = tagger.predict(GLOSSES, split_sentences=False)
    found = [GLOSSES[e.start:e.end] for e in record.entities]
    assert words[2:6] == ["(", "Albert", "Einstein", ")"] and words[9] == "Zürich" and words[18:21] == ["(", "IMF", ")"]
    assert found == ["ألبرت أينشتاين", "زيورخ", "صندوق النقد الدولي", "وشبكة CNN بالعربية"]


def test_the_arabic_word_hum_is_not_persian():
    from arabic_ie.data.language import not_arabic_reason

    assert not_arabic_reason("هم هم قادمون غدا") is None  # "they": Arabic, twice in a short sentence
    assert not_arabic_reason("ما در برابر همسایگان از حقوق خود دفاع می‌کنیم") is not None


def test_every_evaluation_path_scores_every_gold_sentence(tiny_model_dir, tmp_path, monkeypatch):
    """The language filter is for tagging unknown text; in evaluation it dropped gold silently."""
    from arabic_ie.cli import main
    from arabic_ie.data.jsonl import write_jsonl
    from arabic_ie.model.tagger import JointTagger
    from arabic_ie.training.trainer import evaluate_model

    calls = []
    real = JointTagger.predict

    def spy(self, texts, *args, **kwargs):
        calls.append(kwargs.get("tag_all_languages", False))
        return real(self, texts, *args, **kwargs)

    monkeypatch.setattr(JointTagger, "predict", spy)
    gold = [Record("en", "The minister met Emmanuel Macron in Paris on Tuesday.", [], None)]
    tagger = JointTagger.from_pretrained(tiny_model_dir)
    evaluate_model(tagger.model, tagger.tokenizer, gold, batch_size=4)
    write_jsonl(gold, tmp_path / "gold.jsonl")
    assert main(["eval", "--model", str(tiny_model_dir), "--data", str(tmp_path / "gold.jsonl")]) == 0
    assert calls == [True, True]


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="the machine has a GPU")
def test_cuda_on_a_machine_without_one_is_a_one_line_error(tiny_model_dir, tmp_path, capsys):
    """Issue 23: `predict --device cuda` on a CPU machine ended in torch's traceback."""
    from arabic_ie import cli

    with pytest.raises(ValueError, match="no CUDA GPU"):
        JointTagger.from_pretrained(tiny_model_dir, device="cuda")
    with pytest.raises(ValueError, match="not a device name"):
        JointTagger.from_pretrained(tiny_model_dir, device="gpu")
    (tmp_path / "in.txt").write_text("قال محمد في دبي\n", encoding="utf-8")
    for command in (["predict", "--input", str(tmp_path / "in.txt"), "--output", str(tmp_path / "out.jsonl")],
                    ["eval", "--data", str(SAMPLE / "test.jsonl")]):
        assert cli.main([*command, "--model", str(tiny_model_dir), "--device", "cuda"]) == 2  # no exception
        [line] = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
        assert "no CUDA GPU" in line and "--device cpu" in line
    assert not (tmp_path / "out.jsonl").exists()


def test_a_date_or_time_written_without_spaces_is_one_span(tagger, monkeypatch):
    """News writes dates and times without spaces (2023/5/12م, 10:30), and the model reads them in
    the pieces its training text shows; whatever pieces it tags, the span holds the whole date."""
    text = "وأعلنت الوزارة في 2023/5/12م أن الوفد وصل الساعة 10:30 صباحا إلى القاهرة."
    words = [w.text for w in split_words(text)]
    pieces = [(words.index("12م"), words.index("12م") + 1), (words.index("الساعة"), words.index("10") + 1),
              (words.index("30"), words.index("صباحا") + 1)]
    monkeypatch.setattr(tagger, "_entities", lambda probs: [(a, b, "TIME", 0.9) for a, b in pieces])
    record = tagger.predict(text, split_sentences=False)
    assert [text[e.start:e.end] for e in record.entities] == ["2023/5/12م", "الساعة 10:30 صباحا"]
    assert_spans_are_words(record)


def test_a_proclitic_written_apart_before_quotes_stays_out_of_the_span_before_it(tagger, monkeypatch):
    """``قال مسؤول في وزارة الداخلية العراقية لـ«رويترز»``: the shipped demo model tagged
    ``وزارة الداخلية العراقية لـ`` ORG, the preposition that belongs to the quoted name included."""
    text = "قال مسؤول في وزارة الداخلية العراقية لـ«رويترز» إن انفجاراً وقع في بغداد."
    words = [w.text for w in split_words(text)]
    spans = [(words.index("وزارة"), words.index("لـ") + 1), (words.index("لـ"), words.index("رويترز") + 1)]
    monkeypatch.setattr(tagger, "_entities", lambda probs: [(a, b, "ORG", 0.9) for a, b in spans])
    record = tagger.predict(text, split_sentences=False)
    assert [text[e.start:e.end] for e in record.entities] == ["وزارة الداخلية العراقية", "رويترز"]
    assert_spans_are_words(record)
