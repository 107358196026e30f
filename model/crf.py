"""A linear-chain CRF over a BIO head: learned label-to-label transition scores on top of the
head's per-word scores, trained by the sequence log-likelihood (forward algorithm).

Transitions that BIO forbids (``O`` -> ``I-X``, ``B-X`` -> ``I-Y``) are masked out in training
and decoding alike, so probability mass is never spent on them and the decoder
(:class:`arabic_ie.model.decoding.BioDecoder` with :meth:`LinearChainCRF.decoding_scores`) can
never emit them. The mask is built from the label names on use, not stored as a buffer.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import nn

from arabic_ie.data.features import IGNORE_INDEX

from .decoding import allowed_transitions, start_allowed

FORBIDDEN = -1e4  # finite in training (no NaN from inf - inf); -inf at decoding


class LinearChainCRF(nn.Module):
    """Learned transition, start and end scores for one BIO head's labels, BIO-forbidden moves masked."""
    def __init__(self, labels: Sequence[str]):
        super().__init__()
        self.labels = list(labels)
        n = len(self.labels)
        self.transitions = nn.Parameter(torch.zeros(n, n))
        self.start_scores = nn.Parameter(torch.zeros(n))
        self.end_scores = nn.Parameter(torch.zeros(n))
        self._rules: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def _bio_rules(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(allowed transitions (n, n), allowed starts (n), the ``B-`` id of every label)."""
        if self._rules is None or self._rules[0].device != device:
            allowed = torch.from_numpy(np.isfinite(allowed_transitions(self.labels)))
            start = torch.from_numpy(np.isfinite(start_allowed(self.labels)))
            index = {label: k for k, label in enumerate(self.labels)}
            begin = torch.tensor([index.get("B-" + l[2:], k) if l.startswith("I-") else k
                                  for k, l in enumerate(self.labels)])
            self._rules = (allowed.to(device), start.to(device), begin.to(device))
        return self._rules

    def _repair(self, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Gold ``I-X`` that does not continue an ``X`` (a window cut inside a name, overlapping
        gold spans) becomes ``B-X``, so every gold path is one the CRF allows."""
        allowed, start, begin = self._bio_rules(tags.device)
        ok = torch.ones_like(mask)
        ok[:, 0] = start[tags[:, 0]]
        ok[:, 1:] = allowed[tags[:, :-1], tags[:, 1:]]
        return torch.where(ok | ~mask, tags, begin[tags])

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor]:
        allowed, start, _ = self._bio_rules(self.transitions.device)
        return (self.transitions.masked_fill(~allowed, FORBIDDEN), self.start_scores.masked_fill(~start, FORBIDDEN))

    def neg_log_likelihood(self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Summed negative log-likelihood of ``tags`` (batch, words) under ``emissions``
        (batch, words, labels); ``mask`` marks real words, which come first in each row."""
        emissions = emissions.float()
        tags = self._repair(tags, mask)
        transitions, start = self._scores()
        batch = torch.arange(tags.shape[0], device=tags.device)
        gold = start[tags[:, 0]] + emissions[batch, 0, tags[:, 0]]
        log_z = start + emissions[:, 0]
        for t in range(1, tags.shape[1]):
            step = mask[:, t]
            gold = gold + step * (transitions[tags[:, t - 1], tags[:, t]] + emissions[batch, t, tags[:, t]])
            nxt = torch.logsumexp(log_z.unsqueeze(2) + transitions + emissions[:, t].unsqueeze(1), dim=1)
            log_z = torch.where(step.unsqueeze(1), nxt, log_z)
        last = tags.gather(1, (mask.sum(1, keepdim=True) - 1).clamp(min=0)).squeeze(1)
        gold = gold + self.end_scores[last]
        log_z = torch.logsumexp(log_z + self.end_scores, dim=1)
        return (log_z - gold).sum()

    def decoding_scores(self) -> dict[str, np.ndarray]:
        """Transition, start and end scores for the Viterbi decoder, forbidden moves at -inf."""
        allowed, start, _ = self._bio_rules(self.transitions.device)
        with torch.no_grad():
            transitions = self.transitions.float().masked_fill(~allowed, float("-inf"))
            starts = self.start_scores.float().masked_fill(~start, float("-inf"))
        return {"transitions": transitions.cpu().numpy().astype(np.float64),
                "start": starts.cpu().numpy().astype(np.float64),
                "end": self.end_scores.detach().float().cpu().numpy().astype(np.float64)}


def labelled_positions(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per-word sequences from token rows: the positions that carry a label (the first piece of
    each word), moved to the front of each row in order. Returns emissions (rows, words, labels),
    tags and mask, keeping only rows with at least one labelled word (a NER-only record's
    trigger labels are all ignored)."""
    mask = labels != IGNORE_INDEX
    lengths = mask.sum(1)
    keep = lengths > 0
    if not keep.any():
        empty = logits.new_zeros((0, 1, logits.shape[-1]))
        return empty, labels.new_zeros((0, 1)), mask.new_zeros((0, 1))
    order = torch.sort((~mask).to(torch.int8), dim=1, stable=True).indices[:, : int(lengths.max())]
    emissions = logits.gather(1, order.unsqueeze(-1).expand(-1, -1, logits.shape[-1]))
    word_mask = torch.arange(order.shape[1], device=labels.device) < lengths.unsqueeze(1)
    tags = labels.gather(1, order).masked_fill(~word_mask, 0)
    return emissions[keep], tags[keep], word_mask[keep]


def crf_loss(crf: LinearChainCRF, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Sequence NLL per labelled word (comparable in size with a per-token cross-entropy); zero,
    not NaN, when the batch has no labelled word for this head."""
    emissions, tags, mask = labelled_positions(logits, labels)
    if emissions.shape[0] == 0:
        return logits.sum() * 0.0
    return crf.neg_log_likelihood(emissions, tags, mask) / mask.sum()
