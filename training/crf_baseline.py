"""A linear-chain CRF baseline (sklearn-crfsuite), the 2007-style yardstick a neural model on
little data has to beat: per-word features only (the word, its 1-3 letter prefixes and
suffixes, the word with a leading clitic stripped, shape and length, and the same for two words
on each side), L-BFGS with elastic-net penalties.

One CRF tags entities, one tags triggers (joint corpora only), and one tags arguments: for each
trigger, the sentence again, with the event type and each word's distance to the trigger added
to its features. A measuring stick, not a product path: install it with ``pip install
arabic-ie[crf]``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from arabic_ie.data.features import record_to_word_example
from arabic_ie.data.records import Event, Record, Span
from arabic_ie.data.text import normalize_word, split_words, strip_clitic, word_shape
from arabic_ie.model.decoding import decode_bio


@dataclass
class CrfSettings:
    """CRF training settings: L1 (c1) and L2 (c2) penalties, L-BFGS iterations, feature window."""
    c1: float = 0.1
    c2: float = 0.05
    max_iterations: int = 100
    window: int = 2  # words on each side whose features a word sees


def _crf_class() -> Any:
    try:
        import sklearn_crfsuite
    except ImportError:
        raise ImportError("the CRF baseline needs sklearn-crfsuite: pip install 'arabic-ie[crf]'") from None
    return sklearn_crfsuite.CRF


def word_features(word: str) -> dict[str, Any]:
    """One word's own features: form, stem, shape, capped length, 1-3 letter prefixes and suffixes."""
    feats: dict[str, Any] = {"w": word, "stem": strip_clitic(word), "shape": word_shape(word),
                             "len": str(min(len(word), 10))}
    for k in (1, 2, 3):
        feats[f"p{k}"] = word[:k]
        feats[f"s{k}"] = word[-k:]
    return feats


def sentence_features(words: Sequence[str], window: int = 2) -> list[dict[str, Any]]:
    """Features of each word: its own, and its neighbours' prefixed with their offset."""
    own = [word_features(w) for w in words]
    rows = []
    for i in range(len(words)):
        row: dict[str, Any] = {"bias": 1.0, **own[i]}
        for d in range(-window, window + 1):
            if d == 0:
                continue
            j = i + d
            if 0 <= j < len(words):
                row.update({f"{d}:{k}": v for k, v in own[j].items()})
            else:
                row[f"{d}:edge"] = True
        rows.append(row)
    return rows


def argument_features(base: list[dict[str, Any]], words: Sequence[str], event_type: str,
                      trigger: tuple[int, int]) -> list[dict[str, Any]]:
    """Sentence features plus the event type, conjoined with the word and with its distance
    bucket to the trigger, so one CRF learns the roles of every event type."""
    rows = []
    a, b = trigger
    for i, row in enumerate(base):
        dist = 0 if a <= i < b else (i - a if i < a else i - b + 1)
        bucket = str(max(-6, min(6, dist)))
        rows.append({**row, "type": event_type, "type|w": f"{event_type}|{words[i]}",
                     "type|stem": f"{event_type}|{row['stem']}", "type|dist": f"{event_type}|{bucket}",
                     "dist": bucket, "in_trigger": a <= i < b})
    return rows


class CrfBaseline:
    """Train on records (NER-only or joint); ``predict`` a record like a model would."""

    def __init__(self, train: Sequence[Record], settings: CrfSettings = CrfSettings()):
        self.settings = settings
        entity_x, entity_y, trigger_x, trigger_y, arg_x, arg_y = [], [], [], [], [], []
        for record in train:
            example = record_to_word_example(record)
            if not example["words"]:
                continue
            words = [normalize_word(w) for w in example["words"]]
            feats = sentence_features(words, settings.window)
            entity_x.append(feats)
            entity_y.append(example["entity_tags"])
            if record.has_events:
                trigger_x.append(feats)
                trigger_y.append(example["trigger_tags"])
                for span, etype, tags in zip(example["event_trigger_words"], example["event_types"],
                                             example["argument_tags"]):
                    arg_x.append(argument_features(feats, words, etype, tuple(span)))
                    arg_y.append(tags)
        self.entity = self._fit(entity_x, entity_y)
        self.trigger = self._fit(trigger_x, trigger_y) if trigger_y else None
        self.argument = self._fit(arg_x, arg_y) if arg_y else None

    def _fit(self, x: list, y: list) -> Any:
        s = self.settings
        crf = _crf_class()(algorithm="lbfgs", c1=s.c1, c2=s.c2, max_iterations=s.max_iterations,
                           all_possible_transitions=True)
        crf.fit(x, y)
        return crf

    def predict(self, record: Record) -> Record:
        """The record tagged by the CRFs: entities, and for a joint record triggers with their arguments."""
        words = split_words(record.text)
        if not words:
            return Record(record.id, record.text, [], [] if record.has_events else None)
        forms = [normalize_word(w.text) for w in words]
        feats = sentence_features(forms, self.settings.window)

        def spans(tags: list[str]) -> list[tuple[int, int, str, float]]:
            """Word spans of BIO tags, each scored 1.0 (the CRF's labels are taken without marginals)."""
            return decode_bio(tags, [1.0] * len(tags))

        def char_span(a: int, b: int, label: str) -> Span:
            """The character span of words ``[a, b)``, labelled ``label``."""
            return Span(words[a].start, words[b - 1].end, label)

        entities = [char_span(a, b, t) for a, b, t, _ in spans(self.entity.predict_single(feats))]
        events = []
        if self.trigger is not None:
            for a, b, etype, _ in spans(self.trigger.predict_single(feats)):
                roles = []
                if self.argument is not None:
                    tags = self.argument.predict_single(argument_features(feats, forms, etype, (a, b)))
                    roles = [char_span(x, y, r) for x, y, r, _ in spans(tags) if y <= a or x >= b]
                events.append(Event(etype, char_span(a, b, ""), roles))
        return Record(record.id, record.text, entities, events if record.has_events else None)
