"""Character ids of words, for the model's character-level word representations.

A from-scratch encoder on a small corpus never sees most names twice; the letters of a word
(clitics, affixes, name shapes) are what it can still read. The character vocabulary is learnt
from the training corpus and saved with the model's feature settings (a plain string), so
inference maps characters exactly as training did. Lists of ints only: no tensors here.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

PAD, UNK, BOW, EOW = 0, 1, 2, 3  # padding, unknown character, word start and end markers
RESERVED = 4


def char_vocabulary(words: Iterable[str], min_count: int = 2) -> str:
    """Characters seen at least ``min_count`` times, most frequent first (ties by code point),
    as one string: the id of ``vocab[k]`` is ``k + RESERVED``."""
    counts: Counter[str] = Counter()
    for word in words:
        counts.update(word)
    ranked = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
    return "".join(ranked)


class CharEncoder:
    """Maps a (normalised) word to ``max_chars`` ids: word-start marker, its letters, word-end
    marker, padded; a longer word keeps its first and last letters (where clitics and suffixes
    sit) and drops the middle."""

    def __init__(self, vocab: str, max_chars: int = 16):
        if max_chars < 4:
            raise ValueError(f"max_chars must be at least 4, got {max_chars}")
        self.index = {c: k + RESERVED for k, c in enumerate(vocab)}
        self.size = len(vocab) + RESERVED
        self.max_chars = max_chars

    def __call__(self, word: str) -> list[int]:
        room = self.max_chars - 2
        if len(word) > room:
            head = (room + 1) // 2
            word = word[:head] + word[len(word) - (room - head):]
        ids = [BOW] + [self.index.get(c, UNK) for c in word] + [EOW]
        return ids + [PAD] * (self.max_chars - len(ids))
