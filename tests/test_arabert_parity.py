"""Parity of our normalisation with AraBERT's own ``ArabertPreprocessor`` (the ``arabert``
package, a test-only dependency), word by word on the shipped corpora and on web text.

We normalise each word on its own, so offsets stay exact; AraBERT works on whole strings and
also inserts spaces around punctuation and between digits and letters, which our word split
already does, so spaces are ignored in the comparison. The one deliberate difference (README,
"AraBERT normalisation"): characters AraBERT *deletes* (its rejected set: Arabic presentation
forms, emoji, Persian and Urdu letters, accented Latin, other scripts) are kept, presentation
forms folded with NFKC, because a word must never vanish (every word keeps a position and its
offsets) and those letters carry meaning. Words holding such a character are checked to stay
non-empty instead.
"""
from __future__ import annotations

import os
import re

import pytest

from arabic_ie.data.jsonl import read_jsonl
from arabic_ie.data.text import normalize_word, split_words

from conftest import SAMPLE

WEB_TEXT = [
    "🔥🔥 عاجل: انفجار في #بيروت 😢👍🏽 والضحايا بالعشرات #لبنان_ينتفض @AJArabic https://pic.twitter.com/Ab12Cd",
    "راسلونا على news@sana.sy أو www.sana.sy/ar/?p=123 ، ١٢ مارس ٢٠٢٤ — 3.5 مليار $ 24/7",
    "الســـــلام عليكم يا أهـــل بيـروت هههههه ﻻ ﷺ",
    "قَالَ الرَّئِيسُ عَبْدُ الفَتَّاحِ السِّيسِي إِنَّ مِصْرَ سَتَدْعَمُ غَزَّةَ",
    "گفت‌وگوی وزیر خارجه ایران با پژوهشگران در تهران برگزار شد",
]


@pytest.fixture(scope="module")
def arabert():
    try:
        from arabert.preprocess import ArabertPreprocessor
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("the arabert package (a test dependency) is missing under CI")
        pytest.skip("pip install arabert to check parity with AraBERT's preprocessor")
    return ArabertPreprocessor("bert-base-arabertv02")


def words_of_corpora_and_web_text() -> list[str]:
    texts = [r.text for split in ("train", "dev", "test") for r in read_jsonl(SAMPLE / f"{split}.jsonl")]
    return sorted({w.text for text in texts + WEB_TEXT for w in split_words(text)})


def test_word_normalisation_matches_arabert_v02(arabert):
    rejected = re.compile(arabert.REJECTED_CHARS_REGEX)
    words = words_of_corpora_and_web_text()
    differences, kept = [], 0
    for word in words:
        ours = normalize_word(word)
        theirs = arabert.preprocess(word).replace(" ", "")
        if rejected.search(word.translate(str.maketrans("٠١٢٣٤٥٦٧٨٩/", "0123456789-"))):  # its own mappings first
            kept += 1
            assert ours, word  # the deliberate difference: a word never vanishes
        elif ours != theirs:
            differences.append((word, ours, theirs))
    assert differences == []
    assert len(words) > 4000 and kept <= 10  # of 4,600 words: emoji, Persian words, ﻻ and ﷺ
