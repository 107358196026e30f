"""From per-word label scores back to spans.

Labels are decoded with BIO constraints (Viterbi over log-probabilities, where ``I-X`` may only
follow ``B-X`` or ``I-X``), so a multi-word name comes out as one span of one type rather than a
patchwork of the per-word argmax. A model with a CRF layer adds its learned transition, start and
end scores to those constraints (:meth:`arabic_ie.model.crf.LinearChainCRF.decoding_scores`);
forbidden moves stay at ``-inf``, so no decoder ever emits an invalid BIO sequence."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from arabic_ie.data.records import Span
from arabic_ie.data.schema import OUTSIDE


def allowed_transitions(labels: Sequence[str]) -> np.ndarray:
    """(previous, next) matrix: 0 where the BIO scheme allows the transition, -inf where not."""
    n = len(labels)
    allowed = np.zeros((n, n))
    for j, label in enumerate(labels):
        if label.startswith("I-"):
            for i, prev in enumerate(labels):
                if prev[2:] != label[2:] or prev == OUTSIDE:
                    allowed[i, j] = -np.inf
    return allowed


def start_allowed(labels: Sequence[str]) -> np.ndarray:
    """Scores of the first label of a sequence: 0, or -inf for an ``I-`` label (BIO cannot start
    with one)."""
    return np.array([-np.inf if label.startswith("I-") else 0.0 for label in labels])


def viterbi(log_probs: np.ndarray, transitions: np.ndarray, start: np.ndarray,
            end: np.ndarray | None = None) -> list[int]:
    """Best label path under the transition scores (``log_probs``: words x labels)."""
    n = log_probs.shape[0]
    if n == 0:
        return []
    score = log_probs[0] + start
    back = np.zeros(log_probs.shape, dtype=np.int64)
    for k in range(1, n):
        candidates = score[:, None] + transitions
        back[k] = candidates.argmax(0)
        score = candidates.max(0) + log_probs[k]
    if end is not None:
        score = score + end
    path = [int(score.argmax())]
    for k in range(n - 1, 0, -1):
        path.append(int(back[k, path[-1]]))
    return path[::-1]


def logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    """log(sum(exp(x))) along ``axis``, -inf where every term is -inf."""
    top = x.max(axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.squeeze(top + np.log(np.exp(x - top).sum(axis=axis, keepdims=True)), axis=axis)


def marginals(log_probs: np.ndarray, transitions: np.ndarray, start: np.ndarray,
              end: np.ndarray | None = None) -> np.ndarray:
    """Per-word label marginals of the linear chain (forward-backward in log space): under a CRF
    the per-word softmax of the emissions says little about a label the transitions chose."""
    n, _ = log_probs.shape
    alpha = np.empty_like(log_probs)
    beta = np.zeros_like(log_probs)
    alpha[0] = log_probs[0] + start
    for k in range(1, n):
        alpha[k] = logsumexp(alpha[k - 1][:, None] + transitions, axis=0) + log_probs[k]
    beta[-1] = 0.0 if end is None else end
    for k in range(n - 2, -1, -1):
        beta[k] = logsumexp(transitions + (log_probs[k + 1] + beta[k + 1])[None, :], axis=1)
    joint = alpha + beta
    return np.exp(joint - logsumexp(joint[-1], axis=0))


class BioDecoder:
    """Decodes per-word probability rows over one head's BIO labels into scored word spans."""

    def __init__(self, labels: Sequence[str], transitions: np.ndarray | None = None,
                 start: np.ndarray | None = None, end: np.ndarray | None = None):
        """``transitions``/``start``/``end``: learned CRF scores (default: BIO constraints only)."""
        self.labels = list(labels)
        self.transitions = allowed_transitions(self.labels) + (0.0 if transitions is None else transitions)
        self.start = start_allowed(self.labels) + (0.0 if start is None else start)
        self.end = end
        self.learned = transitions is not None

    def __call__(self, probs: np.ndarray) -> list[tuple[int, int, str, float]]:
        if probs.shape[0] == 0:
            return []
        log_probs = np.log(np.clip(probs, 1e-12, None))
        path = viterbi(log_probs, self.transitions, self.start, self.end)
        if self.learned:  # scores from the chain's marginals, not the emissions alone
            probs = marginals(log_probs, self.transitions, self.start, self.end)
        return decode_bio([self.labels[i] for i in path], [float(probs[k, i]) for k, i in enumerate(path)])


def decode_bio(labels: Sequence[str], scores: Sequence[float]) -> list[tuple[int, int, str, float]]:
    """Word spans ``(start, end, type, score)`` from BIO labels; the score is the mean probability
    of the span's labels. An ``I-X`` that does not continue an ``X`` span opens one (lenient)."""
    spans: list[tuple[int, int, str, float]] = []
    start, kind, total = None, "", 0.0

    def close(end: int) -> None:
        """Emit the open span, if any, as ending before word ``end``, scored by its mean label probability."""
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


def snap_to_entities(arguments: Sequence[Span], entities: Sequence[Span]) -> list[Span]:
    """An event's arguments as the guidelines draw them: an argument that is a named entity is
    exactly that entity's span. An argument that lies inside one predicted entity, or crosses its
    boundary, takes the entity's span (the argument head reads tokens one by one and stops a word
    short or runs across a boundary, while the entity head learnt boundaries from every
    sentence). One that holds a whole entity and more words is kept (``وفد الأمم المتحدة``: a
    descriptor with a name, as the corpora annotate 4% of their arguments), and so is one that
    overlaps no entity or several. Arguments never come to overlap: taken by score, one whose
    entity span would overlap an argument already kept keeps its own span, and one that would
    still overlap is left out (it lay inside a better-scored argument)."""
    kept: list[Span] = []
    for argument in sorted(arguments, key=lambda span: -(span.score or 0.0)):
        candidates = [argument]
        overlapping = [e for e in entities if e.overlaps(argument)]
        if len(overlapping) == 1:
            entity = overlapping[0]
            if not (argument.start <= entity.start and entity.end <= argument.end):  # not holding it
                candidates.insert(0, Span(entity.start, entity.end, argument.label, argument.score))
        for candidate in candidates:
            if not any(k.overlaps(candidate) for k in kept):
                kept.append(candidate)
                break
    return sorted(kept, key=lambda span: (span.start, span.end))
