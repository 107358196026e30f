"""Uncertainty sampling: from a pool of unlabelled text, the K sentences a model is least sure
of, so that each hour of annotation corrects the model where it is weakest.

A sentence's uncertainty is the mean, over its words, of the per-word uncertainty of the entity
head and of the trigger head (averaged over the two heads), read at each word's first piece:

* ``entropy``: the entropy of the word's label distribution divided by its maximum (the log of
  the number of labels), so both heads count alike whatever their label counts; in ``[0, 1]``;
* ``margin``: one minus the gap between the two most probable labels; in ``[0, 1]``.

The mean (not the sum) keeps long sentences from winning for their length alone. A diversity
guard then walks the ranking and skips a sentence whose word set overlaps one already chosen by
``max_similarity`` or more (Jaccard), so K near-copies of one wire story are not all picked.
Ties break on pool order, so a given model and pool always give the same selection.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from arabic_ie.data.records import Record
from arabic_ie.data.text import is_arabic_script, normalize_word, split_sentences, split_words

from arabic_ie.model.tagger import JointTagger, owner_windows

STRATEGIES = ("entropy", "margin")


@dataclass
class SelectConfig:
    """How to pick: ``k`` sentences by ``strategy``, skipping near-duplicates above ``max_similarity``."""

    k: int = 50
    strategy: str = "entropy"
    max_similarity: float = 0.7
    batch_size: int = 32

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}; use one of {', '.join(STRATEGIES)}")
        if self.k < 1:
            raise ValueError(f"k must be at least 1, got {self.k}")
        if not 0.0 < self.max_similarity <= 1.0:
            raise ValueError(f"max_similarity must be in (0, 1], got {self.max_similarity}")


@dataclass
class Candidate:
    """A pool sentence with its uncertainty; ``rank`` is 1 for the least certain one chosen."""

    record: Record
    uncertainty: float
    rank: int = 0


def word_uncertainty(probs: np.ndarray, strategy: str) -> np.ndarray:
    """Per-word uncertainty in ``[0, 1]`` from a (words, labels) probability matrix."""
    if strategy == "entropy":
        p = np.clip(probs, 1e-12, 1.0)
        return -(p * np.log(p)).sum(-1) / np.log(probs.shape[-1])
    if strategy == "margin":
        top = np.sort(probs, axis=-1)[:, -2:]
        return 1.0 - (top[:, 1] - top[:, 0])
    raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)}")


#: a pool sentence with fewer Arabic words ("." or "500 ." left by the splitter, a link, a line of
#: hashtags) teaches an annotator nothing, yet is one of the least certain: never offered
MIN_ARABIC_WORDS = 3
HASHTAG = re.compile(r"#[\w_]+")


def arabic_word_count(text: str) -> int:
    """Words with Arabic-script letters, outside hashtags."""
    return sum(any(is_arabic_script(ch) for ch in w.text) for w in split_words(HASHTAG.sub(" ", text)))


def pool_sentences(records: Sequence[Record], min_arabic_words: int = MIN_ARABIC_WORDS) -> list[Record]:
    """Every sentence of the pool's documents as a record of its own (id ``DOC-sN``, the document
    and the sentence's character offset in ``metadata``); sentences with fewer than
    ``min_arabic_words`` Arabic words (bare punctuation, numbers, links, hashtags) are left out."""
    out = []
    for record in records:
        for n, (a, b) in enumerate(split_sentences(record.text), 1):
            text = record.text[a:b]
            if arabic_word_count(text) >= min_arabic_words:
                out.append(Record(f"{record.id}-s{n}", text, [], [],
                                  {**record.metadata, "document": record.id, "offset": a}))
    return out


@torch.inference_mode()
def sentence_uncertainties(tagger: JointTagger, sentences: Sequence[Record], strategy: str = "entropy",
                           batch_size: int = 32) -> list[float]:
    """The uncertainty of each sentence (see the module docstring), from one encoder pass."""
    units = tagger.units(sentences, split=False)
    flat = [(u, k) for u, unit in enumerate(units) for k in range(len(unit.windows))]
    per_window: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for i in range(0, len(flat), batch_size):
        chunk = flat[i:i + batch_size]
        windows = [units[u].windows[k] for u, k in chunk]
        scored = tagger.score_windows(windows)
        for row, (key, window) in enumerate(zip(chunk, windows)):
            firsts = [t for t, first in enumerate(window.first_piece) if first]
            per_window[key] = (word_uncertainty(scored.entity_probs[row, firsts], strategy),
                               word_uncertainty(scored.trigger_probs[row, firsts], strategy))
    scores = [0.0] * len(sentences)
    for u, unit in enumerate(units):
        owners = owner_windows(unit.windows, len(unit.words))
        heads = [np.array([per_window[(u, k)][h][w - unit.windows[k].word_start] for w, k in enumerate(owners)])
                 for h in (0, 1)]
        scores[unit.source] = float((heads[0].mean() + heads[1].mean()) / 2)
    return scores


def _word_set(text: str) -> frozenset[str]:
    return frozenset(normalize_word(w.text) for w in split_words(text))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Word-set similarity: shared words over all words (1.0 for two empty sets)."""
    return len(a & b) / len(a | b) if a or b else 1.0


def select_uncertain(tagger: JointTagger, sentences: Sequence[Record], config: SelectConfig) -> list[Candidate]:
    """The ``config.k`` least certain sentences, most uncertain first, near-duplicates skipped."""
    scores = sentence_uncertainties(tagger, sentences, config.strategy, config.batch_size)
    order = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))
    chosen: list[Candidate] = []
    kept_words: list[frozenset[str]] = []
    for i in order:
        words = _word_set(sentences[i].text)
        if any(jaccard(words, other) >= config.max_similarity for other in kept_words):
            continue
        kept_words.append(words)
        chosen.append(Candidate(sentences[i], scores[i], rank=len(chosen) + 1))
        if len(chosen) == config.k:
            break
    return chosen
