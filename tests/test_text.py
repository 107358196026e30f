"""Arabic text handling: words with offsets, normalisation with an offset map, sentences."""
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from arabic_ie.data.text import DIACRITICS, TATWEEL, normalize, normalize_word, split_sentences, split_words


def words(text):
    return [w.text for w in split_words(text)]


def test_punctuation_is_split_off_and_clitics_stay():
    text = "قال الصفدي، في عمّان؛ هل وصل الوفد إلى «ومصر»؟"
    assert words(text) == ["قال", "الصفدي", "،", "في", "عمّان", "؛", "هل", "وصل", "الوفد", "إلى", "«", "ومصر", "»", "؟"]


def test_word_offsets_point_into_the_original_text():
    text = "  دمشق (سانا) -\tأجرى\u200f الرئيس اتصالاً  "
    for w in split_words(text):
        assert text[w.start:w.end] == w.text
    assert words(text) == ["دمشق", "(", "سانا", ")", "-", "أجرى", "الرئيس", "اتصالاً"]


def test_numbers_persian_words_emoji_and_hashtags():
    text = "بلغ 3.5 مليار و1,200 دولار ٢٠٢٤ می‌خواهم #سوريا 👍🏽 CNN 🇸🇾🇫🇷."
    assert words(text) == ["بلغ", "3.5", "مليار", "و1,200", "دولار", "٢٠٢٤", "می\u200cخواهم", "سوريا",
                           "👍🏽", "CNN", "🇸🇾", "🇫🇷", "."]


def test_normalisation_removes_diacritics_tatweel_and_maps_back():
    text = "اتصالاً هاتفيـــاً مع الرئيـس"
    norm = normalize(text)
    assert norm.text == "اتصالا هاتفيا مع الرئيس"
    start = norm.text.index("هاتفيا")
    a, b = norm.to_original(start, start + len("هاتفيا"))
    assert text[a:b] == "هاتفيـــاً"  # the final tanween comes back with the word


def test_presentation_forms_and_repeats():
    assert normalize("ﻻ").text == "لا"
    assert normalize("جمييييل").text == "جمييل"
    assert normalize("2000000").text == "2000000"  # digits are never squeezed
    assert normalize_word("ـ") == "ـ"  # a word that normalises to nothing keeps its form


arabic = st.text(alphabet=st.sampled_from(list("ابتثجحخدذرسشصضطظعغفقكلمنهوي ءآأؤإئةى،؛؟.") + sorted(DIACRITICS)
                                          + [TATWEEL, "ﻻ", "ﷲ", " ", "A", "7", "😀"]), max_size=60)


@settings(max_examples=300, deadline=None)
@given(arabic)
def test_normalised_spans_map_back_to_exact_original_characters(text):
    norm = normalize(text)
    assert len(norm.offsets) == len(norm.text)
    assert list(norm.offsets) == sorted(norm.offsets)
    for i, ch in enumerate(norm.text):
        original = text[norm.offsets[i]]
        assert ch == original or ch in unicodedata.normalize("NFKC", original)
    for w in split_words(text):  # a word's normalised form maps back inside the word
        sub = normalize(text[w.start:w.end])
        if sub.text:
            a, b = sub.to_original(0, len(sub.text))
            assert 0 <= a < b <= w.end - w.start
            assert normalize(text[w.start + a:w.start + b]).text == sub.text


@settings(max_examples=200, deadline=None)
@given(arabic)
def test_words_cover_every_visible_character_once(text):
    covered = [False] * len(text)
    for w in split_words(text):
        assert w.text and text[w.start:w.end] == w.text
        for k in range(w.start, w.end):
            assert not covered[k]
            covered[k] = True
    assert all(covered[k] or text[k].isspace() or text[k] in "\u200f\u200e" for k in range(len(text)))


def test_sentence_split_keeps_numbers_and_offsets():
    text = "وصل الوفد إلى الرياض. وبلغت الخسائر 3.5 مليار دولار! هل تنجح المحادثات؟ قال مسؤول\nسطر جديد"
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == ["وصل الوفد إلى الرياض.", "وبلغت الخسائر 3.5 مليار دولار!",
                                             "هل تنجح المحادثات؟", "قال مسؤول", "سطر جديد"]


def test_normalisation_composes_nfd_first_and_maps_back():
    text = "وأعلنت إيران وآسيا أمس"
    nfd = unicodedata.normalize("NFD", text)
    assert len(nfd) > len(text)
    norm = normalize(nfd)
    assert norm.text == normalize(text).text == "وأعلنت إيران وآسيا أمس"
    start = norm.text.index("إيران")
    a, b = norm.to_original(start, start + len("إيران"))
    assert unicodedata.normalize("NFC", nfd[a:b]) == "إيران"


def test_urls_emails_and_mentions_are_single_words_and_hashtag_marks_belong_to_no_word():
    text = "شاهد pic.twitter.com/AbC123 و(https://t.co/xY7?a=1). راسلونا: info@sana.sy @SANA_English #فيصل_بن_فرحان"
    assert words(text) == ["شاهد", "pic.twitter.com/AbC123", "و", "(", "https://t.co/xY7?a=1", ")", ".", "راسلونا",
                           ":", "info@sana.sy", "@SANA_English", "فيصل", "بن", "فرحان"]
    # the # that opens a hashtag and the _ between its words belong to no word, as a space; where
    # they open or join no word they are punctuation, a word each
    assert words("#لبنان_ينتفض و_ و__ C# # 5# #1 &#0;") == ["لبنان", "ينتفض", "و", "_", "و", "_", "_", "C", "#", "#",
                                                           "5", "#", "#", "1", "&", "#", "0", ";"]


def test_models_saved_before_the_arabert_mappings_keep_their_normalisation():
    from arabic_ie.data.features import FeatureConfig

    old = FeatureConfig(normalization={"strip_diacritics": True, "strip_tatweel": True,
                                       "fold_presentation_forms": True, "squeeze_repeats": True})
    assert normalize_word("١٢/٣", old.normalization) == "١٢/٣"
    assert normalize_word("@user", old.normalization) == "@user"
    new = FeatureConfig()
    assert normalize_word("١٢/٣", new.normalization) == "12-3" and normalize_word("@user", new.normalization) == "[مستخدم]"
    assert FeatureConfig(**new.to_dict()).normalization == new.normalization  # saved and loaded again


def test_dotted_abbreviations_do_not_end_a_sentence():
    for text in ("حتي القرن 17 ق.م. عندما غزا الهكسوس البلاد", "في عام2000ق.م. استولوا على المدينة",
                 "وصل م. الصفدي إلى عمان"):
        assert split_sentences(text) == [(0, len(text))], text
    assert len(split_sentences("وصل الوفد. ثم عاد")) == 2


def test_a_zero_width_joiner_at_a_word_edge_belongs_to_no_word():
    """ZWJ/ZWNJ typed before or after a word (pasted text, bidi-aware editors) never splits the
    word or starts a span; inside a Persian word and an emoji sequence they stay."""
    text = "قال \u200dمحمد\u200c في 👨\u200d👩\u200d👧 می\u200cخواهم"
    assert [w.text for w in split_words(text)] == ["قال", "محمد", "في", "👨\u200d👩\u200d👧", "می\u200cخواهم"]
    assert text[split_words(text)[1].start] == "م"


def test_spans_made_only_of_latin_words_vanish_and_mixed_names_stay_whole():
    from arabic_ie.data.text import span_pieces

    def pieces(text: str) -> list[str]:
        words = split_words(text)
        return [text[words[a].start:words[b - 1].end] for a, b in span_pieces(words, 0, len(words))]

    assert pieces("( Albert Einstein )") == []
    assert pieces("COVID-19") == []
    assert pieces("CNN بالعربية") == ["CNN بالعربية"]
    assert pieces("شبكة XM الإذاعية") == ["شبكة XM الإذاعية"]
    assert pieces("29 نوفمبر 2024") == ["29 نوفمبر 2024"] and pieces("2024") == ["2024"]


def test_a_proclitic_written_apart_never_begins_or_ends_a_span():
    """Agency copy writes a preposition apart before quotation marks, joined by a tatweel
    (``لـ«رويترز»``); the model carried it into the organisation before it. It belongs to the next
    word, so it is trimmed from a span's edges; initials (``أ ف ب``: AFP) and a clitic attached stay."""
    from arabic_ie.data.text import span_pieces

    def pieces(text: str) -> list[str]:
        words = split_words(text)
        return [text[words[a].start:words[b - 1].end] for a, b in span_pieces(words, 0, len(words))]

    assert pieces("وزارة الداخلية العراقية لـ«") == ["وزارة الداخلية العراقية"]
    assert pieces("لـ« الشرق الأوسط »") == ["الشرق الأوسط"]
    assert pieces('بـ"داعش"') == ["داعش"] and pieces("كـ الأعلام") == ["الأعلام"] and pieces("لـ") == []
    assert pieces("أ ف ب") == ["أ ف ب"] and pieces("د ب أ") == ["د ب أ"] and pieces("و ا م") == ["و ا م"]
    assert pieces("جون ف كينيدي") == ["جون ف كينيدي"] and pieces("لـCNN بالعربية") == ["لـCNN بالعربية"]
    assert pieces("عام 1332 م") == ["عام 1332 م"]


def test_an_emoji_drawn_with_a_variation_selector_never_begins_or_ends_a_span():
    """``❤️`` is a heart and the variation selector U+FE0F, a combining mark: counted as a word
    character, it let the demo model tag the heart after ``بيروت❤️`` as a Place."""
    from arabic_ie.data.text import has_word_char, span_pieces

    text = "وصل الوزير إلى بيروت❤️ صباح اليوم \u2600\ufe0f"
    words = split_words(text)
    assert [w.text for w in words][3:5] == ["بيروت", "❤️"] and words[-1].text == "\u2600\ufe0f"
    assert not has_word_char("❤️") and not has_word_char("\ufe0f") and has_word_char("مُحَمَّد")
    assert span_pieces(words, 4, 5) == [] and span_pieces(words, 3, 5) == [(3, 4)]
    assert span_pieces(words, 5, len(words)) == [(5, 7)]


def test_spans_never_stop_on_a_name_particle():
    """The demo model stopped names at ``أبو`` when the next word is also a common noun
    (``محمود أبو الفتح``, Wojood's ``أحمد إبراهيم أبو فخيدة``): a span that ends on a particle that
    opens a name's next part takes the next Arabic word, and a name tagged in two halves is one."""
    from arabic_ie.data.text import widen_spans

    def widened(text: str, spans: list[tuple[int, int, str, float]]) -> list[tuple[str, str]]:
        words = split_words(text)
        return [(text[words[a].start:words[b - 1].end], label) for a, b, label, _ in widen_spans(words, spans)]

    text = "حوكم محمود أبو الفتح أمام محكمة الثورة برئاسة عبد اللطيف البغدادي"
    assert widened(text, [(1, 3, "PER", 0.8)]) == [("محمود أبو الفتح", "PER")]
    assert widened(text, [(1, 3, "PER", 0.8), (3, 4, "PER", 0.6)]) == [("محمود أبو الفتح", "PER")]
    assert widened(text, [(8, 9, "PER", 0.7)]) == [("عبد اللطيف", "PER")]
    chain = "وصل محمد بن عبد الله إلى أبو ظبي"
    assert widened(chain, [(1, 3, "PER", 0.9), (6, 7, "GPE", 0.8)]) == [("محمد بن عبد الله", "PER"), ("أبو ظبي", "GPE")]
    # a particle before punctuation, a Latin word or the end stays where it is; one inside a span is fine
    assert widened("قال أبو ، ثم", [(1, 2, "PER", 0.5)]) == [("أبو", "PER")]
    assert widened("كتب ابن Sina", [(0, 2, "PER", 0.5)]) == [("كتب ابن", "PER")]
    assert widened("التقى أبو مازن", [(1, 3, "PER", 0.9)]) == [("أبو مازن", "PER")]


def test_urls_emails_and_dotted_numbers_are_not_cut_into_sentences():
    """Issue 23: the splitter cut 'www.' / 'example.' / 'com.', separating a trigger from its
    arguments; a URL, an e-mail, a bare domain and a dotted number are one unit."""
    text = ("أعلنت الوزارة عبر موقعها www.moh.gov.sa وحسابها https://t.co/Ab.c?x=1 والبريد info@news.example.org "
            "أن الخسائر بلغت 1.200.000 دولار حسب aljazeera.net أمس. وقال المتحدث إن الهجوم وقع ليلاً.")
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert sentences == [text[:text.index(" وقال")], "وقال المتحدث إن الهجوم وقع ليلاً."]
    plain = "انتهى الاجتماع. ثم غادر الوفد."
    assert [plain[a:b] for a, b in split_sentences(plain)] == ["انتهى الاجتماع.", "ثم غادر الوفد."]


def test_spans_never_cut_a_date_or_time_written_without_spaces():
    """The labelled text splits ``2023/5/12م`` into five words, so a model may tag only some of
    them; the span is widened to the whole date, and two halves of one time become one span."""
    from arabic_ie.data.text import widen_spans

    def widened(text: str, spans: list[tuple[int, int, str, float]]) -> list[tuple[str, str, float]]:
        words = split_words(text)
        return [(text[words[a].start:words[b - 1].end], label, score)
                for a, b, label, score in widen_spans(words, spans)]

    date = "أعلنت الوزارة في 2023/5/12م أن الوفد وصل"
    assert [w.text for w in split_words(date)][3:8] == ["2023", "/", "5", "/", "12م"]
    assert widened(date, [(5, 8, "TIME", 0.8)]) == [("2023/5/12م", "TIME", 0.8)]
    assert widened(date, [(3, 4, "TIME", 0.7)]) == [("2023/5/12م", "TIME", 0.7)]
    clock = "في الساعة 10:30 صباحا بتوقيت مكة"
    assert widened(clock, [(1, 3, "TIME", 0.9), (4, 6, "TIME", 0.6)]) == [("الساعة 10:30 صباحا", "TIME", 0.9)]
    assert widened(clock, [(1, 3, "TIME", 0.6), (4, 5, "GPE", 0.9)]) == [("10:30", "GPE", 0.9)]
    # numbers apart from each other, a range with spaces and words around a hyphen are left as they are
    apart = "بين 5 - 7 آلاف في الفترة 2010-2015 وفي COVID-19"
    words = split_words(apart)
    assert widened(apart, [(1, 2, "CARDINAL", 0.9), (3, 4, "CARDINAL", 0.9)]) == [("5", "CARDINAL", 0.9),
                                                                               ("7", "CARDINAL", 0.9)]
    k = [w.text for w in words].index("2010")
    assert widened(apart, [(k + 2, k + 3, "TIME", 0.5)]) == [("2010-2015", "TIME", 0.5)]
    covid = [w.text for w in words].index("19")
    assert widened(apart, [(covid, covid + 1, "MISC", 0.5)]) == [("19", "MISC", 0.5)]


def test_half_an_emoji_cut_off_by_a_truncating_api_belongs_to_no_word():
    text = "وصل الوفد إلى بيروت \ud83d"
    assert words(text) == ["وصل", "الوفد", "إلى", "بيروت"]
    assert words("زيارة\ud83dبيروت") == ["زيارة", "بيروت"]
