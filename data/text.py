"""Arabic text handling, all in one place: words with offsets, normalisation with an offset map,
sentence splitting, and a word's clitics and shape (features, not offsets). The word, normalisation
and sentence functions keep a way back to characters of the original text, so spans found on
words or on normalised text always land on exact original offsets.
"""
from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterator, Sequence

# Arabic diacritics (harakat, tanween, shadda, sukun, superscript alef) and Quranic marks.
DIACRITICS = frozenset(chr(c) for c in [*range(0x064B, 0x0653), 0x0670, *range(0x06D6, 0x06DD), *range(0x06DF, 0x06E9), *range(0x06EA, 0x06EE)])
TATWEEL = "\u0640"
_NUMBER_JOINERS = ".,٫٬"
_ZERO_WIDTH_JOINERS = "\u200c\u200d"  # ZWNJ / ZWJ live inside Persian and Urdu words
_INVISIBLE = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad"


def is_word_char(ch: str) -> bool:
    """Letters, combining marks and digits (any script) make words."""
    return unicodedata.category(ch)[0] in "LMN"


def _continues_word(text: str, j: int) -> bool:
    """Whether ``text[j]`` extends the word before it: a word character, a zero-width joiner
    (inside Persian words), or ``.`` ``,`` between digits (``3.5``, ``1,200``)."""
    ch = text[j]
    if is_word_char(ch):
        return True
    if ch in _ZERO_WIDTH_JOINERS:
        return j + 1 < len(text) and is_word_char(text[j + 1])
    return ch in _NUMBER_JOINERS and j + 1 < len(text) and text[j - 1].isdigit() and text[j + 1].isdigit()


def _hashtag_mark(text: str, i: int) -> bool:
    """Whether ``text[i]`` is the ``#`` that opens a hashtag (a letter after it, no word character
    before it: not ``&#0;`` or ``#1``) or a ``_`` between two of its words (``#بيروت_تنتفض``)."""
    ch = text[i]
    if ch not in "#_" or i + 1 == len(text) or not is_word_char(text[i + 1]):  # most characters stop here
        return False
    before = i > 0 and is_word_char(text[i - 1])
    return before if ch == "_" else not before and text[i + 1].isalpha()


def is_arabic_script(ch: str) -> bool:
    """Whether a character is in one of the Unicode blocks of the Arabic script."""
    return ("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" or "\u08a0" <= ch <= "\u08ff"
            or "\ufb50" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufeff")


def is_latin(ch: str) -> bool:
    """Whether a character is ASCII or a Latin letter with an accent (Latin-1 to Latin Extended-B)."""
    return ch.isascii() or "\u00c0" <= ch <= "\u024f"


def is_latin_word(word: str) -> bool:
    """Whether a word has letters and all of them are Latin (``Reuters``, ``iPhone``, ``COVID-19``'s
    ``COVID``): an English term quoted in Arabic text, which the guidelines never make a span."""
    letters = [ch for ch in word if ch.isalpha()]
    return bool(letters) and all(is_latin(ch) for ch in letters)


def is_latin_run(words: Sequence[str]) -> bool:
    """Whether the words with letters among ``words`` are all Latin-script (and there are some):
    an English gloss in brackets or a quoted term, which the guidelines never make a span."""
    lettered = [w for w in words if any(ch.isalpha() for ch in w)]
    return bool(lettered) and all(is_latin_word(w) for w in lettered)


def _is_regional_indicator(ch: str) -> bool:
    return "\U0001F1E6" <= ch <= "\U0001F1FF"


def _is_space(ch: str) -> bool:
    """Whitespace, an invisible character, or half of an emoji that a truncating API cut off (a
    lone surrogate, which no tokenizer takes): a word boundary that belongs to no word."""
    return ch.isspace() or ch in _INVISIBLE or "\ud800" <= ch <= "\udfff"


@dataclass(frozen=True)
class Word:
    """A word of the original text: ``text[start:end]``."""

    start: int
    end: int
    text: str


# Web text (see the guidelines' web-text decision): a URL, an e-mail address and an @mention
# are single words, never parts of a name. Punctuation that ends a sentence or closes a bracket
# is not taken into a URL.
WEB_TOKEN = re.compile(
    r"(?:https?://|www\.|pic\.twitter\.com/)[^\s<>\"«»]*[^\s<>\"«».,;:!?)\]}'،؛؟]"  # URLs
    r"|(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"  # e-mail addresses
    r"|(?<![\w@])@[A-Za-z0-9_]{1,30}(?![\w@])")  # @mentions


def is_web_token(word: str) -> bool:
    """Whether a word is a URL, an e-mail address or an @mention."""
    return WEB_TOKEN.fullmatch(word) is not None


def has_word_char(word: str) -> bool:
    """Whether a word holds a letter or a digit (a span made only of punctuation, symbols,
    emoji or invisible characters names nothing). Marks alone do not count: the variation
    selector that draws ``❤️`` as an emoji is a combining mark, and that heart was tagged a Place."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in word)


def split_words(text: str) -> list[Word]:
    """Split on whitespace with punctuation split off (Arabic ``، ؛ ؟`` included), keeping offsets.

    A word is a run of letters, marks and digits, so attached clitics stay inside (``ومصر``);
    ``3.5`` and ``1,200`` stay one word; a URL, an e-mail address and an ``@mention`` are one
    word each; every other visible character (punctuation, symbols, emoji) is a word of its own.
    Bidi marks and other invisible characters separate words and belong to none, and so do the
    ``#`` that opens a hashtag and the ``_`` between its words (the guidelines read them as
    punctuation and a space): the model reads ``#فيصل_بن_فرحان`` and ``بمدينة #الموصل`` as the words
    it has seen in news text, which has no hashtags.
    """
    words: list[Word] = []
    web = {m.start(): m.end() for m in WEB_TOKEN.finditer(text)}
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        # a zero-width joiner that starts a token stands at a word's edge (inside a Persian word or
        # an emoji sequence it is taken with the characters before it): like a bidi mark, it
        # belongs to no word, so no word and no span starts or ends with it
        if _is_space(ch) or ch in _ZERO_WIDTH_JOINERS or _hashtag_mark(text, i):
            i += 1
            continue
        if i in web:  # a URL, e-mail address or @mention is one word
            words.append(Word(i, web[i], text[i:web[i]]))
            i = web[i]
            continue
        j = i + 1
        if is_word_char(ch):
            while j < n and _continues_word(text, j):
                j += 1
        else:
            # an emoji keeps its variation selectors, skin tones and zero-width-joined parts,
            # and a flag its two regional-indicator letters
            while j < n and (unicodedata.category(text[j]) in ("Mn", "Me", "Sk")
                             or text[j] == "\u200d" or text[j - 1] == "\u200d"
                             or (j == i + 1 and _is_regional_indicator(ch) and _is_regional_indicator(text[j]))):
                j += 1
        words.append(Word(i, j, text[i:j]))
        i = j
    return words


def _edge_filler(word: str) -> bool:
    """Whether a word never begins or ends a span: it holds no letter or digit (punctuation,
    symbols, emoji), or it is a proclitic that a tatweel joins to the next word across quotation
    marks (``لـ«رويترز»``, ``بـ"داعش"``, as agency copy writes it). A bare letter may end a name
    (``أ ف ب``, the agency's initials), so only the tatweel marks a proclitic."""
    return not has_word_char(word) or (word.endswith(TATWEEL) and word.rstrip(TATWEEL) in _SPACED_PROCLITICS)


def span_pieces(words: Sequence[Word], start: int, end: int) -> list[tuple[int, int]]:
    """The word range ``[start, end)`` made fit to be a span: cut at URLs, e-mail addresses and
    @mentions (never inside a name), with words that hold no letter or digit (punctuation,
    symbols, emoji) and proclitics written apart trimmed from each piece's edges; pieces left
    empty vanish, and so do pieces made only of Latin-script words (an English gloss in brackets,
    a quoted term: the guidelines' decision), while a name that mixes scripts (``CNN بالعربية``)
    stays whole."""
    pieces, a = [], start
    for k in range(start, end + 1):
        if k == end or is_web_token(words[k].text):
            lo, hi = a, k
            while lo < hi and _edge_filler(words[lo].text):
                lo += 1
            while hi > lo and _edge_filler(words[hi - 1].text):
                hi -= 1
            if lo < hi and not is_latin_run([w.text for w in words[lo:hi]]):
                pieces.append((lo, hi))
            a = k + 1
    return pieces


_NUMBER_SEPARATORS = ("/", ":", "-")


def _joins_number(words: Sequence[Word], k: int) -> bool:
    """Whether word ``k`` is a ``/`` ``:`` or ``-`` that touches a digit on each side: a piece of
    a date or time written without spaces (``2023/5/12م``, ``10:30``, ``2023-05-12``)."""
    return (0 < k < len(words) - 1 and words[k].text in _NUMBER_SEPARATORS
            and words[k - 1].end == words[k].start and words[k].end == words[k + 1].start
            and words[k - 1].text[-1].isdigit() and words[k + 1].text[0].isdigit())


#: words that open the next part of a name and never end one: the kunya (``أبو الفتح``), the nasab
#: (``بن راشد``), the servant names (``عبد الله``), the family (``آل مكتوم``), ``أم درمان``, ``ذو الفقار``
NAME_PARTICLES = frozenset({"أبو", "ابو", "أبي", "ابي", "أبا", "ابا", "بن", "ابن", "إبن", "بنت", "عبد", "آل", "أم",
                            "ام", "ذو", "ذي"})


def _stops_on_particle(words: Sequence[Word], end: int) -> bool:
    """Whether a span ending before word ``end`` ends on a name particle with an Arabic word after it."""
    return (0 < end < len(words) and normalize_word(words[end - 1].text) in NAME_PARTICLES
            and is_arabic_script(words[end].text[0]) and words[end].text[0].isalpha())


def _widened_end(words: Sequence[Word], end: int) -> int:
    """A span's end pushed over the rest of a date written without spaces and past name particles."""
    while True:
        if _joins_number(words, end):
            end += 2
        elif _stops_on_particle(words, end):
            end += 1
        else:
            return end


def widen_spans(words: Sequence[Word], spans: Sequence[tuple[int, int, str, float]]) -> list[tuple[int, int, str, float]]:
    """Word spans ``(start, end, label, score)`` widened so that none cuts a date or time written
    without spaces and none stops on a name particle. The model reads a date in pieces
    (``2023 / 5 / 12م``, as the labelled text would split it) and may tag some of them, but half a
    date names nothing; and it stopped names at ``أبو`` when the next word is also a common noun
    (``محمود أبو الفتح``, ``أحمد إبراهيم أبو فخيدة``). Spans that come to overlap by widening are
    joined when they share a label (``الساعة 10`` and ``30 صباحا``: the higher score is kept),
    else the better-scored one stays."""
    widened = []
    for start, end, label, score in spans:
        a, b = start, _widened_end(words, end)
        while a >= 2 and _joins_number(words, a - 1):
            a -= 2
        widened.append(((a, b, label, score), (a, b) != (start, end)))
    kept: list[tuple[tuple[int, int, str, float], bool]] = []
    for span, grew in sorted(widened, key=lambda item: -item[0][3]):
        clash = next((k for k, (other, other_grew) in enumerate(kept)
                      if (grew or other_grew) and span[0] < other[1] and other[0] < span[1]), None)
        if clash is None:
            kept.append((span, grew))
        elif kept[clash][0][2] == span[2]:
            other = kept[clash][0]
            kept[clash] = ((min(other[0], span[0]), max(other[1], span[1]), other[2], other[3]), True)
    return sorted(span for span, _ in kept)


@dataclass(frozen=True)
class NormalizedText:
    """Normalised text plus, for each of its characters, the index of the original character it
    came from; ``to_original`` turns a span on the normalised text into an original span."""

    text: str
    offsets: tuple[int, ...]
    original_length: int

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map ``[start, end)`` on the normalised text to the original characters it came from,
        including the characters normalisation removed after its last character (a final
        tanween, a tatweel), which lie up to the next kept character."""
        if not 0 <= start < end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) outside normalised text of length {len(self.text)}")
        original_end = self.offsets[end] if end < len(self.text) else self.original_length
        return self.offsets[start], original_end


@dataclass(frozen=True)
class NormalizationConfig:
    """What the AraBERT v0.2 preprocessor changes that matters for tagging; saved with the model."""

    strip_diacritics: bool = True
    strip_tatweel: bool = True
    fold_presentation_forms: bool = True  # NFKC on Arabic presentation forms (ﻻ -> لا)
    squeeze_repeats: bool = True  # a letter repeated 3+ times kept twice, as AraBERT does
    map_eastern_digits: bool = True  # ٠-٩ -> 0-9, as AraBERT v0.2 does (Persian ۰-۹ are left)
    slash_to_dash: bool = True  # "/" -> "-", as AraBERT v0.2 does
    web_placeholders: bool = True  # a URL or e-mail word -> [رابط], an @mention -> [مستخدم]

    #: settings added after the first saved models; a saved config without them keeps them off,
    #: so a model is always fed text normalised the way it was trained
    ADDED = ("map_eastern_digits", "slash_to_dash", "web_placeholders")

    @classmethod
    def from_saved(cls, saved: dict[str, bool]) -> "NormalizationConfig":
        """The settings saved with a model; those it predates are off (see ``ADDED``)."""
        return cls(**{**{name: False for name in cls.ADDED}, **saved})

    def to_dict(self) -> dict[str, bool]:
        """The JSON form saved with the model's feature config."""
        return dict(self.__dict__)


def nfc_chars(text: str) -> Iterator[tuple[int, str]]:
    """The NFC form of ``text`` as ``(original index, character)`` pairs: each base character
    and the combining marks after it are composed together, and every character they give maps
    to the index of that base character. ``أ`` typed as ``ا`` + U+0654 (NFD, as some keyboards
    and macOS file names produce it) becomes the one letter the tokenizer knows."""
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and unicodedata.combining(text[j]):
            j += 1
        cluster = text[i:j]
        if j - i > 1 or not cluster.isascii():
            cluster = unicodedata.normalize("NFC", cluster)
        for ch in cluster:
            yield i, ch
        i = j


def normalize(text: str, config: NormalizationConfig = NormalizationConfig()) -> NormalizedText:
    """AraBERT v0.2 normalisation that keeps an offset map back to the original text, after NFC
    (so text in NFD is read as the same letters)."""
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in nfc_chars(text):
        if config.strip_diacritics and ch in DIACRITICS:
            continue
        if config.strip_tatweel and ch == TATWEEL:
            continue
        pieces = ch
        if config.map_eastern_digits and "\u0660" <= ch <= "\u0669":
            pieces = chr(ord(ch) - 0x0660 + ord("0"))
        elif config.slash_to_dash and ch == "/":
            pieces = "-"
        elif config.fold_presentation_forms and ("\ufb50" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufeff"):
            pieces = unicodedata.normalize("NFKC", ch).replace(" ", "") or ch
        for piece in pieces:
            if (config.squeeze_repeats and not piece.isdigit() and len(out) >= 2
                    and out[-1] == piece and out[-2] == piece):
                continue
            out.append(piece)
            offsets.append(i)
    return NormalizedText("".join(out), tuple(offsets), len(text))


#: AraBERT v0.2's placeholders, which are tokens of its vocabulary (an e-mail address becomes
#: [رابط] there too: its URL pattern matches ``name@host.tld`` before the e-mail pattern runs)
URL_PLACEHOLDER, MENTION_PLACEHOLDER = "[رابط]", "[مستخدم]"


@functools.lru_cache(maxsize=1 << 18)
def normalize_word(word: str, config: NormalizationConfig = NormalizationConfig()) -> str:
    """The form of one word fed to the tokenizer; never empty, so word alignment never drops a
    word. Normalising word by word keeps every offset: a URL replaced by a placeholder still
    covers its own characters of the original text. Cached: words repeat (Zipf), and training
    and tagging normalise every word they read."""
    if config.web_placeholders and is_web_token(word):
        return MENTION_PLACEHOLDER if word.startswith("@") else URL_PLACEHOLDER
    return normalize(word, config).text or word


#: leading conjunction/preposition/article clitics, longest first
CLITICS = ("وال", "بال", "فال", "لل", "ال", "و", "ف", "ب", "ل")
#: the one-letter clitics, and ``ك``, that a tatweel may join to the next word across a quote
#: mark (``لـ«رويترز»``); ``strip_clitic`` leaves ``ك``, which begins many words, attached
_SPACED_PROCLITICS = frozenset(c for c in CLITICS if len(c) == 1) | {"ك"}


def strip_clitic(word: str) -> str:
    """The word without one leading conjunction/preposition/article clitic (و ف ب ل ال and
    their combinations), when enough of it is left to be a stem: ``بمصر`` and ``ومصر`` meet at
    ``مصر``."""
    for clitic in CLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= 2:
            return word[len(clitic):]
    return word


def word_shape(word: str) -> str:
    """Character classes, repeats collapsed: ``a`` Arabic letter, ``L`` Latin, ``d`` digit,
    ``p`` anything else."""
    out: list[str] = []
    for c in word:
        kind = ("d" if c.isdigit() else "a" if "\u0600" <= c <= "\u06ff" and c.isalpha()
                else "L" if c.isascii() and c.isalpha() else "p")
        if not out or out[-1] != kind:
            out.append(kind)
    return "".join(out)


_SENTENCE_END = re.compile(r"[.!?؟…]+[\"'»”)\]]*|[\n\u2029]+")


def _inside(spans: list[tuple[int, int]], k: int) -> bool:
    """Whether position ``k`` falls inside one of the sorted, disjoint ``spans``."""
    index = bisect.bisect_right(spans, (k, float("inf"))) - 1
    return index >= 0 and spans[index][0] <= k < spans[index][1]


def _single_letter_before(text: str, k: int) -> bool:
    """Whether the period at ``text[k]`` ends an abbreviation: the letters before it are one
    letter on its own or after a period or digit (``م.``, ``ق.م.``, ``2000ق.م.``). Looks back
    only over the spaces and two characters, so splitting stays linear in the text (slicing
    ``text[:k]`` at every period made splitting a long line quadratic)."""
    while k > 0 and text[k - 1].isspace():
        k -= 1
    return k > 0 and text[k - 1].isalpha() and (k == 1 or not text[k - 2].isalpha())


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans ``[start, end)`` of a document, ending after ``. ! ? ؟ …`` (and any closing
    quote) or at a line break. Punctuation inside a URL, an e-mail address or a mention does not
    end a sentence, nor does a period with a letter or digit right after it (``3.5``, ``1.200.000``,
    ``aljazeera.net``) or after an abbreviation-like single letter (``م.``): cutting there would
    separate a trigger from its arguments. Spans are trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    web = [(m.start(), m.end()) for m in WEB_TOKEN.finditer(text)]
    for m in _SENTENCE_END.finditer(text):
        cut = m.end()
        if m.group()[0] in "\n\u2029":
            spans.append((start, cut))
            start = cut
            continue
        if _inside(web, m.start()):
            continue
        if m.group().startswith(".") and len(m.group()) == 1:
            after = text[m.end(): m.end() + 1]
            if after.isalnum():
                continue
            if _single_letter_before(text, m.start()):
                continue
        spans.append((start, cut))
        start = cut
    spans.append((start, len(text)))
    trimmed = []
    for a, b in spans:
        while a < b and _is_space(text[a]):
            a += 1
        while b > a and _is_space(text[b - 1]):
            b -= 1
        if a < b:
            trimmed.append((a, b))
    return trimmed
