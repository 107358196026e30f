"""From per-word label predictions back to spans."""
from __future__ import annotations

from typing import Sequence

from arabic_ie.data.schema import OUTSIDE


def decode_bio(labels: Sequence[str], scores: Sequence[float]) -> list[tuple[int, int, str, float]]:
    """Word spans ``(start, end, type, score)`` from BIO labels; the score is the mean probability
    of the span's labels. An ``I-X`` that does not continue an ``X`` span opens one (lenient, as
    a model may not respect BIO order)."""
    spans: list[tuple[int, int, str, float]] = []
    start, kind, total = None, "", 0.0

    def close(end: int) -> None:
        if start is not None:
            spans.append((start, end, kind, total / (end - start)))

    for k, label in enumerate(labels):
        if label == OUTSIDE or label.startswith("B-") or label[2:] != kind or start is None:
            close(k)
            start, kind, total = (None, "", 0.0) if label == OUTSIDE else (k, label[2:], 0.0)
        if start is not None:
            total += scores[k]
    close(len(labels))
    return spans
