"""Records to aligned token-classification features, and back from token positions to words.

Each record is split into words on the original text (:func:`text.split_words`), each word is
normalised on its own (so word offsets stay those of the original text) and handed to the fast
tokenizer as a pre-split sequence; ``word_ids()`` aligns subwords to words. The first piece of a
word carries its label (or every piece, with ``label_all_subwords``). Sequences longer than the
model's limit become overlapping windows of whole words, so no word is lost. One thing is cut:
a single word with more subword pieces than a window holds keeps only its first pieces (its
label sits on the first, so it is still tagged).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .overlaps import keep_outermost, resolve_overlaps
from .chars import CharEncoder
from .records import Record, Span
from .schema import OUTSIDE, LabelSchema
from .text import NormalizationConfig, Word, normalize_word, split_words
from .word_clusters import WORD_CLUSTERS_FILE, WordClusters

IGNORE_INDEX = -100


@dataclass
class FeatureConfig:
    """How records become model inputs; saved with the model so inference does the same."""

    max_length: int = 256  # subword tokens per window, special tokens included
    stride: int = 32  # subword tokens shared by consecutive windows
    label_all_subwords: bool = False
    normalization: NormalizationConfig = field(default_factory=NormalizationConfig)
    char_vocab: str = ""  # characters for the model's character features ("" = none); data/chars.py
    max_word_chars: int = 16
    attribute_buckets: int = 0  # hash rows for each word's stem/affix/shape ids after its letters (0 = none)
    cluster_levels: int = 0  # word-cluster ids after the form ids, one per level (0 = none); data/word_clusters.py

    def __post_init__(self) -> None:
        if isinstance(self.normalization, dict):  # as saved with a model
            self.normalization = NormalizationConfig.from_saved(self.normalization)
        if self.max_length < 8:
            raise ValueError(f"max_length must be at least 8, got {self.max_length}")
        if not 0 <= self.stride < self.max_length // 2:
            raise ValueError(f"stride must be in [0, max_length/2), got {self.stride}")

    def to_dict(self) -> dict[str, Any]:
        """The JSON form saved in the model config."""
        return {"max_length": self.max_length, "stride": self.stride,
                "label_all_subwords": self.label_all_subwords, "normalization": self.normalization.to_dict(),
                "char_vocab": self.char_vocab, "max_word_chars": self.max_word_chars,
                "attribute_buckets": self.attribute_buckets, "cluster_levels": self.cluster_levels}


@dataclass
class Window:
    """One model input: token ids for the words ``[word_start, word_end)`` of a sequence, and for
    each token the (sequence-level) index of its word, ``None`` for special tokens."""

    input_ids: list[int]
    word_ids: list[int | None]
    first_piece: list[bool]
    word_start: int
    word_end: int
    char_ids: list[list[int]] | None = None  # per token, its word's letters (and form hashes): data/chars.py

    def token_range(self, first_word: int, end_word: int) -> tuple[int, int]:
        """Token positions ``[start, end)`` covering words ``[first_word, end_word)``."""
        positions = [t for t, w in enumerate(self.word_ids) if w is not None and first_word <= w < end_word]
        return positions[0], positions[-1] + 1


def word_windows(piece_counts: Sequence[int], max_pieces: int, stride: int) -> list[tuple[int, int]]:
    """Cut a word sequence into windows of whole words holding at most ``max_pieces`` subwords,
    each window starting about ``stride`` pieces before the previous one ended."""
    windows, start, n = [], 0, len(piece_counts)
    while True:
        end, used = start, 0
        while end < n and (used + piece_counts[end] <= max_pieces or end == start):
            used += piece_counts[end]
            end += 1
        windows.append((start, end))
        if end >= n:
            return windows
        back, overlap = end, 0
        while back - 1 > start and overlap + piece_counts[back - 1] <= stride:
            back -= 1
            overlap += piece_counts[back]
        start = back


def special_affixes(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The special tokens a tokenizer puts before and after a single sequence ([CLS] / [SEP],
    <s> / </s>), read off an encoding of one word so any model family works."""
    body = tokenizer("x", add_special_tokens=False)["input_ids"]
    full = tokenizer("x", add_special_tokens=True)["input_ids"]
    for k in range(len(full) - len(body) + 1):
        if full[k:k + len(body)] == body:
            return full[:k], full[k + len(body):]
    raise ValueError("cannot locate the special tokens of this tokenizer")


def encode_word_sequences(tokenizer: Any, sequences: Sequence[Sequence[str]], max_length: int,
                          stride: int, affixes: tuple[list[int], list[int]] | None = None) -> list[list[Window]]:
    """Tokenise pre-split, normalised word sequences in one batched call and cut each into windows.

    A word the tokenizer turns into no token at all (a stray control character) is replaced by
    the unknown token, so every word keeps a position.
    """
    sequences = [list(words) for words in sequences]
    affixes = affixes or special_affixes(tokenizer)
    encoding = tokenizer(sequences, is_split_into_words=True, add_special_tokens=False, verbose=False)
    results = []
    for i, words in enumerate(sequences):
        word_ids = encoding.word_ids(i)
        if len(set(w for w in word_ids if w is not None)) < len(words):
            present = set(word_ids)
            repaired = [w if k in present else tokenizer.unk_token for k, w in enumerate(words)]
            single = tokenizer([repaired], is_split_into_words=True, add_special_tokens=False, verbose=False)
            ids, word_ids = single["input_ids"][0], single.word_ids(0)
        else:
            ids = encoding["input_ids"][i]
        results.append(_windows(affixes, ids, word_ids, len(words), max_length, stride))
    return results


def _windows(affixes: tuple[list[int], list[int]], ids: list[int], word_ids: list[int | None], n_words: int,
             max_length: int, stride: int) -> list[Window]:
    prefix, suffix = affixes
    specials = len(prefix) + len(suffix)
    counts = [0] * n_words
    first_token = [0] * n_words
    for t, w in enumerate(word_ids):
        if counts[w] == 0:
            first_token[w] = t
        counts[w] += 1
    windows = []
    for a, b in word_windows(counts, max_length - specials, stride) if n_words else [(0, 0)]:
        t0 = first_token[a] if a < n_words else 0
        t1 = first_token[b - 1] + counts[b - 1] if b > a else 0
        body_ids, body_words = ids[t0:t1][: max_length - specials], word_ids[t0:t1][: max_length - specials]
        full_ids = prefix + body_ids + suffix
        full_words = [None] * len(prefix) + body_words + [None] * len(suffix)
        first = [w is not None and (k == 0 or full_words[k - 1] != w) for k, w in enumerate(full_words)]
        windows.append(Window(full_ids, full_words, first, a, b))
    return windows


def span_to_words(words: Sequence[Word], span: Span) -> tuple[int, int] | None:
    """Word range ``[i, j)`` of the words a character span touches (None if it touches none)."""
    inside = [k for k, w in enumerate(words) if w.start < span.end and w.end > span.start]
    return (inside[0], inside[-1] + 1) if inside else None


def bio_tags(n_words: int, spans: Iterable[tuple[int, int, str]]) -> list[str]:
    """BIO tags of ``n_words`` words from word spans ``(start, end, type)`` that do not overlap."""
    tags = [OUTSIDE] * n_words
    for i, j, label in spans:
        tags[i] = f"B-{label}"
        for k in range(i + 1, j):
            tags[k] = f"I-{label}"
    return tags


def record_to_word_example(record: Record) -> dict[str, Any]:
    """Word-level view of a record: word texts and offsets, BIO tags per head, and per event its
    trigger's word range, type and argument tags. The row format of the training datasets."""
    record, _ = resolve_overlaps(record)  # BIO cannot hold overlapping spans (see .overlaps)
    words = split_words(record.text)

    def ranges(spans: Iterable[Span]) -> list[tuple[int, int, str]]:
        """Word ranges ``(start, end, label)`` of the spans that touch a word, the outermost of overlapping ones."""
        out = []
        for s in spans:
            r = span_to_words(words, s)
            if r:
                out.append((r[0], r[1], s.label))
        return keep_outermost(out, lambda x: (x[0], x[1]))[0]  # spans that share a word

    events = record.events or []
    triggers = [span_to_words(words, ev.trigger) for ev in events]
    kept = [(ev, r) for ev, r in zip(events, triggers) if r]
    return {
        "id": record.id,
        "words": [w.text for w in words],
        "entity_tags": bio_tags(len(words), ranges(record.entities)),
        "trigger_tags": bio_tags(len(words), [(r[0], r[1], ev.type) for ev, r in kept]),
        "event_trigger_words": [list(r) for _, r in kept],
        "event_types": [ev.type for ev, _ in kept],
        "argument_tags": [bio_tags(len(words), ranges(ev.arguments)) for ev, _ in kept],
        "has_events": record.has_events,
    }


class FeatureBuilder:
    """Turns word-level examples into padded-later model features for one tokenizer and schema."""

    def __init__(self, tokenizer: Any, schema: LabelSchema, config: FeatureConfig,
                 clusters: WordClusters | None = None):
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError("arabic-ie needs a fast (Rust) tokenizer for word alignment")
        if config.cluster_levels != (len(clusters.levels) if clusters else 0):
            raise ValueError(f"the model reads {config.cluster_levels} word-cluster levels, but "
                             + (f"the table has {len(clusters.levels)}" if clusters else
                                f"no word-cluster table ({WORD_CLUSTERS_FILE}) came with it"))
        self.tokenizer, self.schema, self.config = tokenizer, schema, config
        self.entity_ids = {l: i for i, l in enumerate(schema.entity_labels)}
        self.trigger_ids = {l: i for i, l in enumerate(schema.trigger_labels)}
        self.argument_ids = {l: i for i, l in enumerate(schema.argument_labels)}
        self.event_type_ids = {t: i for i, t in enumerate(schema.event_types)}
        self.affixes = special_affixes(tokenizer)
        self.chars = (CharEncoder(config.char_vocab, config.max_word_chars, config.attribute_buckets, clusters)
                      if config.char_vocab else None)

    def normalised(self, words: Sequence[str]) -> list[str]:
        """The words as the tokenizer sees them (AraBERT normalisation, never empty)."""
        return [normalize_word(w, self.config.normalization) for w in words]

    def windows(self, word_sequences: Sequence[Sequence[str]]) -> list[list[Window]]:
        """Model windows for each word sequence (see :func:`encode_word_sequences`)."""
        normalised = [self.normalised(ws) for ws in word_sequences]
        windows = encode_word_sequences(self.tokenizer, normalised, self.config.max_length, self.config.stride,
                                        self.affixes)
        if self.chars is not None:
            empty = [0] * self.chars.width
            for words, sequence_windows in zip(normalised, windows):
                ids = [self.chars(w) for w in words]
                for window in sequence_windows:
                    window.char_ids = [empty if w is None else ids[w] for w in window.word_ids]
        return windows

    def _token_labels(self, window: Window, tags: Sequence[str], ids: dict[str, int]) -> list[int]:
        labels = []
        for w, first in zip(window.word_ids, window.first_piece):
            if w is None or not (first or self.config.label_all_subwords):
                labels.append(IGNORE_INDEX)
            else:
                tag = tags[w] if first else tags[w].replace("B-", "I-", 1)
                labels.append(ids[tag])
        return labels

    def encode_batch(self, batch: dict[str, list]) -> dict[str, list]:
        """``datasets.map(batched=True)`` function: word examples in, one row per window out."""
        out: dict[str, list] = {k: [] for k in ("example_id", "input_ids", "attention_mask", "entity_labels",
                                                "trigger_labels", "event_token_spans", "event_type_ids",
                                                "argument_labels", "has_events", "word_start")}
        if self.chars is not None:
            out["char_ids"] = []
        for i, windows in enumerate(self.windows(batch["words"])):
            for window in windows:
                events = [(span, etype, tags) for span, etype, tags in
                          zip(batch["event_trigger_words"][i], batch["event_types"][i], batch["argument_tags"][i])
                          if window.word_start <= span[0] and span[1] <= window.word_end]
                out["example_id"].append(batch["id"][i])
                out["input_ids"].append(window.input_ids)
                out["attention_mask"].append([1] * len(window.input_ids))
                out["entity_labels"].append(self._token_labels(window, batch["entity_tags"][i], self.entity_ids))
                has_events = bool(batch["has_events"][i])
                out["trigger_labels"].append(self._token_labels(window, batch["trigger_tags"][i], self.trigger_ids)
                                             if has_events else [IGNORE_INDEX] * len(window.input_ids))
                out["event_token_spans"].append([list(window.token_range(*span)) for span, _, _ in events])
                out["event_type_ids"].append([self.event_type_ids[t] for _, t, _ in events])
                out["argument_labels"].append([self._token_labels(window, tags, self.argument_ids)
                                               for _, _, tags in events])
                out["has_events"].append(int(has_events))
                out["word_start"].append(window.word_start)
                if self.chars is not None:
                    out["char_ids"].append(window.char_ids)
        return out

    def build_dataset(self, records: Sequence[Record], num_proc: int | None = None):
        """A ``datasets.Dataset`` of window features; raises ``ValueError`` naming the record and
        the label when a record uses a type or role the schema does not know."""
        import datasets

        for record in records:
            unknown = self.schema.unknown_labels(record)
            if unknown:
                raise ValueError(f"record {record.id!r} uses labels the model's schema does not know: "
                                 + ", ".join(sorted(set(unknown))))
        examples = datasets.Dataset.from_list([record_to_word_example(r) for r in records],
                                              features=word_example_features())
        return examples.map(self.encode_batch, batched=True, remove_columns=examples.column_names,
                            num_proc=num_proc, desc="Aligning subwords")


def word_example_features():
    """Arrow schema of word examples, explicit so that records with no events type-check."""
    import datasets

    seq = datasets.Sequence
    return datasets.Features({
        "id": datasets.Value("string"), "words": seq(datasets.Value("string")),
        "entity_tags": seq(datasets.Value("string")), "trigger_tags": seq(datasets.Value("string")),
        "event_trigger_words": seq(seq(datasets.Value("int32"))), "event_types": seq(datasets.Value("string")),
        "argument_tags": seq(seq(datasets.Value("string"))), "has_events": datasets.Value("bool"),
    })
