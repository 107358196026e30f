"""The most-frequent-label-per-word baseline, so a reader can see that a model learned more than
a lookup table: each (normalised) word gets the entity tag and the trigger tag it most often had
in training; each word near a predicted trigger gets the role tag it most often had for that
event type. Unknown words get ``O``."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, Sequence

from arabic_ie.data.features import record_to_word_example
from arabic_ie.data.records import Event, Record, Span
from arabic_ie.data.schema import OUTSIDE
from arabic_ie.data.text import normalize_word, split_words
from arabic_ie.model.decoding import decode_bio


class MajorityBaseline:
    """The most frequent entity and trigger label of each word in training: the floor a model
    must beat."""
    def __init__(self, train: Sequence[Record]):
        entity: dict[str, Counter[str]] = defaultdict(Counter)
        trigger: dict[str, Counter[str]] = defaultdict(Counter)
        role: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for record in train:
            example = record_to_word_example(record)
            words = [normalize_word(w) for w in example["words"]]
            for k, word in enumerate(words):
                entity[word][example["entity_tags"][k]] += 1
                if record.has_events:
                    trigger[word][example["trigger_tags"][k]] += 1
            for etype, tags in zip(example["event_types"], example["argument_tags"]):
                for word, tag in zip(words, tags):
                    role[(etype, word)][tag] += 1
        pick = lambda table: {k: c.most_common(1)[0][0] for k, c in table.items()}  # noqa: E731
        self.entity, self.trigger, self.role = pick(entity), pick(trigger), pick(role)

    def predict(self, record: Record) -> Record:
        """Records tagged with each word's majority labels (no arguments)."""
        words = split_words(record.text)
        forms = [normalize_word(w.text) for w in words]

        def spans(tags: list[str]) -> list[tuple[int, int, str, float]]:
            """Word spans of BIO tags, each scored 1.0 (a lookup table has no confidence)."""
            return decode_bio(tags, [1.0] * len(tags))

        def char_span(a: int, b: int, label: str) -> Span:
            """The character span of words ``[a, b)``, labelled ``label``."""
            return Span(words[a].start, words[b - 1].end, label)

        entities = [char_span(a, b, t) for a, b, t, _ in spans([self.entity.get(f, OUTSIDE) for f in forms])]
        events = []
        for a, b, etype, _ in spans([self.trigger.get(f, OUTSIDE) for f in forms]):
            roles = spans([self.role.get((etype, f), OUTSIDE) if not a <= k < b else OUTSIDE
                           for k, f in enumerate(forms)])
            events.append(Event(etype, char_span(a, b, ""), [char_span(x, y, r) for x, y, r, _ in roles]))
        return Record(record.id, record.text, entities, events if record.has_events else None)


def baseline_scores(train: Sequence[Record], records: Sequence[Record], crf: bool = True) -> dict[str, dict]:
    """Scores of the yardsticks on ``records``, trained on ``train``: the majority baseline, and
    the CRF baseline when sklearn-crfsuite is installed (``arabic-ie[crf]``; skipped with a
    warning when not)."""
    import logging

    from .metrics import score

    systems: dict[str, Any] = {"majority label per word": MajorityBaseline(train)}
    if crf:
        try:
            from .crf_baseline import CrfBaseline

            systems["CRF (word features)"] = CrfBaseline(train)
        except ImportError as err:
            logging.getLogger(__name__).warning("CRF baseline skipped: %s", err)
    return {name: score(records, [system.predict(r) for r in records]) for name, system in systems.items()}


def headline(scores: dict) -> dict[str, float]:
    """Entity F1, and trigger and argument classification F1 where the data has events."""
    out = {"entities": scores["entities"]["overall"]["f1"]}
    if scores["counts"].get("event_records", 0) > 0:
        out["triggers"] = scores["triggers"]["classification"]["f1"]
        out["arguments"] = scores["arguments"]["classification"]["f1"]
    return out


def format_comparison(systems: dict[str, dict]) -> str:
    """One line per system (baselines first, then the model): headline F1s in %, so every
    figure is printed beside its yardsticks."""
    rows = {name: headline(scores) for name, scores in systems.items()}
    columns = list(next(iter(rows.values())))
    width = max(len(name) for name in rows) + 2
    lines = [f"  {'':<{width}}" + "".join(f"{c:>11}" for c in columns)]
    lines += [f"  {name:<{width}}" + "".join(f"{100 * row.get(c, 0.0):>11.1f}" for c in columns)
              for name, row in rows.items()]
    return "\n".join(lines)
