"""Is a sentence Arabic? Arabic news quotes other languages (a Persian tweet in an article on
Iran, an English statement), and a model trained on Arabic tags their words as names and events
(``در`` as PER, ``از`` as an attack). Such sentences are left untagged by default.

The test is on words, so an Arabic sentence that names ``Emmanuel Macron`` or ``OpenAI`` stays
Arabic: a sentence is not Arabic when fewer than half of its words with letters are in Arabic
script, or when at least two of its Arabic-script words, and a fifth of them, are Persian or
Urdu (letters Arabic does not use, ``پ چ ژ گ ک ی ٹ ڈ ڑ ں ے``, or Persian function words).
"""
from __future__ import annotations

from .text import is_arabic_script, is_latin, split_words

#: letters of Persian and Urdu that Arabic does not use (ی U+06CC and ک U+06A9, not ي and ك)
PERSIAN_URDU_LETTERS = frozenset("پچژگکیٹڈڑںےۀۓە")
#: frequent Persian words, not Arabic words, written without those letters
PERSIAN_WORDS = frozenset({"را", "است", "از", "در", "شد"})  # not هم: Arabic "they" too


def not_arabic_reason(text: str) -> str | None:
    """Why ``text`` (a sentence) is not Arabic, or None when it is (or has no letters)."""
    arabic = latin = other = persian = 0
    for word in split_words(text):
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
