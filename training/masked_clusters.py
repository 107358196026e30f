"""The masked-cluster objective of ``arabic-ie pretrain`` (``objective: clusters``): mask whole
words and predict, from their context, each masked word's cluster at every level of the word-
cluster table learnt from the same text.

On a CPU a masked LM over the whole vocabulary stays long at the unigram plateau; clusters are
targets a small encoder's layers learn from context far sooner, and they are what a tagger needs
to know of an unseen word (a name, a place, a month). Masking follows BERT's
80 / 10 / 10 rule over all pieces of a chosen word, so the layers still keep a visible word's
identity. Draws come from torch's global generator, whose state ``accelerate`` checkpoints: a
resumed run masks exactly as an uninterrupted one.
"""
from __future__ import annotations

import functools

import torch
from transformers import BertForMaskedLM, PreTrainedTokenizerFast

from arabic_ie.data.word_clusters import WordClusters

CONTINUATION = "##"


def word_starts(tokens: list[str], special: set[str]) -> list[tuple[int, int]]:
    """``(start, end)`` token indices of the whole words of a packed sequence: a word is a piece
    and the ``##`` pieces after it. Special tokens and a word cut at the sequence's start (it
    begins with ``##``) are left out."""
    spans: list[tuple[int, int]] = []
    for index, token in enumerate(tokens):
        if token in special:
            continue
        if token.startswith(CONTINUATION):
            if spans and spans[-1][1] == index:
                spans[-1] = (spans[-1][0], index + 1)
            continue
        spans.append((index, index + 1))
    return spans


class ClusterTargets:
    """Each word of a packed sequence and its cluster id at every level; a word the table lacks
    gets one more class per level ("not in the table", itself a sign of a rare word or a name)."""

    def __init__(self, tokenizer: PreTrainedTokenizerFast, clusters: WordClusters):
        self.tokenizer = tokenizer
        self.special = set(tokenizer.all_special_tokens)
        self.unknown = tuple(clusters.levels)  # the extra class is the last of each level
        # bounded, so memory stays constant over any amount of text
        self._clusters_of = functools.lru_cache(maxsize=1 << 18)(lambda word: clusters.ids(word) or self.unknown)

    def of(self, ids: list[int]) -> list[tuple[int, int, tuple[int, ...]]]:
        """``(start, end, cluster ids)`` of every whole word in ``ids``."""
        tokens = self.tokenizer.convert_ids_to_tokens(ids)
        out = []
        for start, end in word_starts(tokens, self.special):
            word = self.tokenizer.convert_tokens_to_string(tokens[start:end])  # the WordPiece decoder joins ##pieces
            out.append((start, end, self._clusters_of(word)))
        return out


def masked_cluster_batch(sequences: list[list[int]], targets: ClusterTargets, probability: float) -> dict[str, torch.Tensor]:
    """Inputs with whole words masked (BERT's 80 / 10 / 10 over all their pieces), the
    ``(row, position)`` of each masked word's first piece, and its cluster ids per level."""
    tokenizer = targets.tokenizer
    input_ids = torch.tensor(sequences, dtype=torch.long)
    positions: list[tuple[int, int]] = []
    labels: list[tuple[int, ...]] = []
    for row, ids in enumerate(sequences):
        words = targets.of(ids)
        chosen = torch.rand(len(words)) < probability
        how = torch.rand(len(words))
        for (start, end, clusters), pick, draw in zip(words, chosen.tolist(), how.tolist()):
            if not pick:
                continue
            if draw < 0.8:
                input_ids[row, start:end] = tokenizer.mask_token_id
            elif draw < 0.9:
                input_ids[row, start:end] = torch.randint(len(tokenizer), (end - start,))
            positions.append((row, start))
            labels.append(clusters)
    if not positions:  # a batch with nothing masked: mask the first word of the first row
        start, end, clusters = targets.of(sequences[0])[0]
        input_ids[0, start:end] = tokenizer.mask_token_id
        positions, labels = [(0, start)], [clusters]
    return {"input_ids": input_ids, "positions": torch.tensor(positions, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long)}


class MaskedClusterModel(torch.nn.Module):
    """The encoder of a ``BertForMaskedLM`` (kept whole, so the saved folder is the same kind as
    the masked LM's) with one classifier per cluster level over the masked words' first pieces;
    the loss is the sum over levels. The classifiers are dropped when the encoder is saved."""

    def __init__(self, mlm: BertForMaskedLM, levels: tuple[int, ...]):
        super().__init__()
        self.mlm = mlm
        size = mlm.config.hidden_size
        self.transform = torch.nn.Sequential(torch.nn.Linear(size, size), torch.nn.GELU(),
                                             torch.nn.LayerNorm(size, eps=mlm.config.layer_norm_eps))
        self.heads = torch.nn.ModuleList(torch.nn.Linear(size, k + 1) for k in levels)
        tied = mlm.get_input_embeddings().weight
        for weight in mlm.cls.parameters():  # the token-prediction head gets no gradient here: so DDP expects none
            if weight is not tied:
                weight.requires_grad_(False)

    def forward(self, input_ids: torch.Tensor, positions: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, int]:
        """The summed cross-entropy of the masked words' clusters, and how many words it read."""
        hidden = self.mlm.bert(input_ids=input_ids).last_hidden_state
        states = self.transform(hidden[positions[:, 0], positions[:, 1]])
        loss = sum(torch.nn.functional.cross_entropy(head(states).float(), labels[:, level])
                   for level, head in enumerate(self.heads))
        return loss, len(positions)


def target_entropy(labels: torch.Tensor, levels: tuple[int, ...]) -> float:
    """The best loss without context (nats, summed over levels): the entropy of each level's
    targets. The held-out loss is read against it."""
    total = 0.0
    for level, k in enumerate(levels):
        share = torch.bincount(labels[:, level], minlength=k + 1).float() / len(labels)
        share = share[share > 0]
        total -= float((share * share.log()).sum())
    return total

