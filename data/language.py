"""Is a sentence Arabic? Arabic news quotes other languages (a Persian tweet in an article on
Iran, an English statement), and a model trained on Arabic tags their words as names and events
(``در`` as PER, ``از`` as an attack). Such sentences are left untagged by default.

The test is on words, so an Arabic sentence that names ``Emmanuel Macron`` or ``OpenAI`` stays
Arabic: a sentence is not Arabic when fewer than half of its words with letters are in Arabic
script, or when at least two of its Arabic-script words, and a fifth of them, are Persian or
Urdu (letters Arabic does not use, ``پ چ ژ گ ک ی ٹ ڈ ڑ ں ے``, or Persian function words).
A quotation (in ``« »``, ``“ ”`` or ``" "``) is judged on its own: an Arabic sentence that quotes a
Persian tweet is Arabic, and only the quotation is left untagged.
"""
from __future__ import annotations

from collections.abc import Sequence

from .text import Word, is_arabic_script, is_latin, split_words

#: letters of Persian and Urdu that Arabic does not use (ی U+06CC and ک U+06A9, not ي and ك)
PERSIAN_URDU_LETTERS = frozenset("پچژگکیٹڈڑںےۀۓە")
#: frequent Persian words, not Arabic words, written without those letters
PERSIAN_WORDS = frozenset({"را", "است", "از", "در", "شد"})  # not هم: Arabic "they" too


#: quotation marks, opening to closing
QUOTES = {"«": "»", "“": "”", '"': '"'}


def quotations(text: str) -> list[tuple[int, int]]:
    """The insides of the closed quotations of ``text``, as character ranges (an unclosed mark
    opens nothing; a quotation inside another is part of it)."""
    found, i, missing = [], 0, set()  # closing marks not found ahead: never searched for again
    while i < len(text):
        close = QUOTES.get(text[i])
        end = text.find(close, i + 1) if close and close not in missing else -1
        if end > i:
            found.append((i + 1, end))
            i = end
        elif close:
            missing.add(close)
        i += 1
    return found


def judge_sentence(text: str, words: Sequence[Word] | None = None) -> tuple[str | None, list[tuple[int, int, str]]]:
    """Why ``text`` (a sentence; ``words``: its :func:`split_words`, when the caller has them) is
    not Arabic, None when it is; and, when it is, its quotations that are not, with why (ranges to
    leave untagged; none for most sentences). Words in such quotations do not count: the sentence
    around them decides."""
    words = split_words(text) if words is None else words
    foreign, outside = [], list(words)
    for a, b in quotations(text):
        inside = [w for w in outside if a <= w.start and w.end <= b]
        reason = _words_reason(inside)
        if reason is not None:
            foreign.append((a, b, reason))
            outside = [w for w in outside if not (a <= w.start and w.end <= b)]
    if foreign and not any(ch.isalpha() for w in outside for ch in w.text):
        return foreign[0][2], []  # nothing but the quotation
    reason = _words_reason(outside)
    return (reason, []) if reason is not None else (None, foreign)


def not_arabic_reason(text: str) -> str | None:
    """Why ``text`` (a sentence) is not Arabic, or None when it is (or has no letters)."""
    return judge_sentence(text)[0]


def _words_reason(words: Sequence[Word]) -> str | None:
    arabic = latin = other = persian = 0
    for word in words:
        letters = [ch for ch in word.text if ch.isalpha()]
        if not letters:
            continue
        if any(is_arabic_script(ch) for ch in letters):
            arabic += 1
            persian += any(ch in PERSIAN_URDU_LETTERS for ch in letters) or word.text in PERSIAN_WORDS
        elif all(is_latin(ch) for ch in letters):
            latin += 1
        else:
            other += 1
    total = arabic + latin + other
    if total == 0:
        return None
    if arabic * 2 < total:
        script = "Latin" if latin >= other else "another"
        return f"not Arabic: most words are in {script} script"
    if persian >= 2 and persian * 5 >= arabic:
        return "not Arabic: Persian or Urdu (letters such as پ چ ژ گ ک ی)"
    return None
