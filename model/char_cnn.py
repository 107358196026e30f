"""Character-level word representations: a small CNN over each word's letters, max-pooled,
projected to the encoder's width and added to the word's subword embeddings. Clitics
(و ف ب ل ال), affixes and name shapes become visible to an encoder that has seen too little text
to learn them from subword ids. Input ids come from :mod:`arabic_ie.data.chars`."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from arabic_ie.data.chars import PAD


class CharCNN(nn.Module):
    """Word vectors from letters: char embeddings, convolutions of several widths, max-pool, projection."""
    def __init__(self, n_chars: int, out_size: int, embedding_size: int = 32, filters: int = 64,
                 kernel_sizes: Sequence[int] = (2, 3, 4)):
        super().__init__()
        self.embedding = nn.Embedding(n_chars, embedding_size, padding_idx=PAD)
        self.convs = nn.ModuleList(nn.Conv1d(embedding_size, filters, k, padding=k - 1) for k in kernel_sizes)
        self.projection = nn.Linear(filters * len(kernel_sizes), out_size)

    def forward(self, char_ids: torch.Tensor) -> torch.Tensor:
        """(batch, tokens, chars) ids -> (batch, tokens, out_size); zero for tokens without a word
        (special tokens, padding)."""
        batch, tokens, chars = char_ids.shape
        flat = char_ids.reshape(batch * tokens, chars)
        x = self.embedding(flat).transpose(1, 2)  # (words, embedding, chars)
        pooled = [conv(x).amax(-1) for conv in self.convs]  # max over positions, per filter
        out = self.projection(torch.relu(torch.cat(pooled, dim=-1)))
        has_word = (flat != PAD).any(-1, keepdim=True)
        return (out * has_word).reshape(batch, tokens, -1)
