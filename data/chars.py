"""Character ids of words, and hashed ids of their forms, for the model's character-level word
representations.

A from-scratch encoder on a small corpus never sees most names twice; the letters of a word
(clitics, affixes, name shapes) are what it can still read. The character vocabulary is learnt
from the training corpus and saved with the model's feature settings (a plain string), so
inference maps characters exactly as training did. Optionally each word's row also carries
hashed ids of the forms a feature-based tagger reads (its stem without clitics, 1-3 letter
prefixes and suffixes, its shape; spaCy's hash embeddings of NORM/PREFIX/SUFFIX/SHAPE): a hash
needs no vocabulary to save, and the same hash at inference maps the same form to the same row.
Lists of ints only: no tensors here.
"""
from __future__ import annotations

import zlib
from collections import Counter
from functools import lru_cache
from typing import Iterable

from .text import strip_clitic, word_shape
from .word_clusters import WordClusters

PAD, UNK, BOW, EOW = 0, 1, 2, 3  # padding, unknown character, word start and end markers
RESERVED = 4
#: the forms of a word whose hashes follow its letters, in this order (the model splits them by it)
WORD_ATTRIBUTES = ("stem", "prefix1", "prefix2", "prefix3", "suffix1", "suffix2", "suffix3", "shape")
HASH_SEEDS = 2  # each form hashes to two rows, whose embeddings are summed: two forms rarely share both


def char_vocabulary(words: Iterable[str], min_count: int = 2) -> str:
    """Characters seen at least ``min_count`` times, most frequent first (ties by code point),
    as one string: the id of ``vocab[k]`` is ``k + RESERVED``."""
    counts: Counter[str] = Counter()
    for word in words:
        counts.update(word)
    ranked = sorted((c for c, n in counts.items() if n >= min_count), key=lambda c: (-counts[c], c))
    return "".join(ranked)


def word_attributes(word: str) -> list[str]:
    """The forms of :data:`WORD_ATTRIBUTES` of one (normalised) word."""
    return [strip_clitic(word), word[:1], word[:2], word[:3], word[-1:], word[-2:], word[-3:], word_shape(word)]


def attribute_ids(word: str, buckets: int) -> list[int]:
    """``len(WORD_ATTRIBUTES) * HASH_SEEDS`` ids in ``[1, buckets)`` (0 is padding): CRC-32 of
    seed, attribute name and form, the same on every machine and Python run."""
    return list(_hashed_forms(word, buckets))


@lru_cache(maxsize=1 << 16)
def _hashed_forms(word: str, buckets: int) -> tuple[int, ...]:
    """The hashing behind :func:`attribute_ids`, cached: news repeats its words, and hashing
    16 forms costs five times a word's letter ids (bounded, so memory stays flat on a stream)."""
    return tuple(1 + zlib.crc32(f"{seed}|{name}|{form}".encode("utf-8")) % (buckets - 1)
                 for name, form in zip(WORD_ATTRIBUTES, word_attributes(word)) for seed in range(HASH_SEEDS))


def cluster_ids(forms: list[str], buckets: int) -> list[int]:
    """Hashed ids of a word's cluster forms (:meth:`WordClusters.forms`), in the rows its other
    forms hash to."""
    return list(_hashed_clusters(tuple(forms), buckets))


@lru_cache(maxsize=1 << 16)
def _hashed_clusters(forms: tuple[str, ...], buckets: int) -> tuple[int, ...]:
    return tuple(1 + zlib.crc32(f"{seed}|cluster|{form}".encode("utf-8")) % (buckets - 1)
                 for form in forms for seed in range(HASH_SEEDS))


def char_row_width(max_chars: int, attribute_buckets: int = 0, cluster_levels: int = 0) -> int:
    """Ids in one word's row: its letters, then its forms' hashes, then its clusters' hashes."""
    return max_chars + ((len(WORD_ATTRIBUTES) + cluster_levels) * HASH_SEEDS if attribute_buckets else 0)


class CharEncoder:
    """Maps a (normalised) word to one row of ids: ``max_chars`` letter ids (word-start marker,
    its letters, word-end marker, padded; a longer word keeps its first and last letters, where
    clitics and suffixes sit, and drops the middle), then, with ``attribute_buckets``, the hashed
    ids of its forms (:func:`attribute_ids`) and, with ``clusters``, of its word clusters."""

    def __init__(self, vocab: str, max_chars: int = 16, attribute_buckets: int = 0,
                 clusters: WordClusters | None = None):
        if max_chars < 4:
            raise ValueError(f"max_chars must be at least 4, got {max_chars}")
        if attribute_buckets and attribute_buckets < 2:
            raise ValueError(f"attribute_buckets must be 0 (none) or at least 2, got {attribute_buckets}")
        if clusters is not None and not attribute_buckets:
            raise ValueError("word clusters need attribute_buckets: their ids are hashed into the same rows")
        self.index = {c: k + RESERVED for k, c in enumerate(vocab)}
        self.size = len(vocab) + RESERVED
        self.max_chars = max_chars
        self.attribute_buckets = attribute_buckets
        self.clusters = clusters
        self.width = char_row_width(max_chars, attribute_buckets, len(clusters.levels) if clusters else 0)

    def __call__(self, word: str) -> list[int]:
        room = self.max_chars - 2
        letters = word
        if len(letters) > room:
            head = (room + 1) // 2
            letters = letters[:head] + letters[len(letters) - (room - head):]
        ids = [BOW] + [self.index.get(c, UNK) for c in letters] + [EOW]
        ids += [PAD] * (self.max_chars - len(ids))
        if self.attribute_buckets:
            ids += attribute_ids(word, self.attribute_buckets)
        if self.clusters is not None:
            ids += cluster_ids(self.clusters.forms(word), self.attribute_buckets)
        return ids
