"""A bidirectional LSTM over the encoder's token states, for models trained from little data:
the recurrence gives every token its left and right neighbours in order, a locality that a small
transformer trained from nothing learns slowly on a hundred thousand words.

Each direction is a plain one-directional ``nn.LSTM``; the backward one reads each row's real
tokens reversed (padding stays at the end), so neither direction ever reads padding before a real
token. A window's states are therefore the same whatever it is batched with, and the layer
exports to ONNX as LSTM and Gather nodes (no packed sequences)."""
from __future__ import annotations

import torch
from torch import nn


def reversed_positions(attention_mask: torch.Tensor) -> torch.Tensor:
    """(batch, tokens) indices that reverse each row's real tokens and leave its padding in place;
    applying them twice gives the identity. Padding must be on the right, as the collator puts it."""
    lengths = attention_mask.sum(-1, keepdim=True)
    positions = torch.arange(attention_mask.shape[-1], device=attention_mask.device).unsqueeze(0)
    return torch.where(positions < lengths, lengths - 1 - positions, positions)


class BiLSTM(nn.Module):
    """``layers`` bidirectional LSTM layers of width ``size`` (``size // 2`` per direction), each
    reading the previous layer's two directions, with dropout between layers."""

    def __init__(self, size: int, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        if size % 2:
            raise ValueError(f"a BiLSTM of width {size} needs an even width (half per direction)")
        half = size // 2
        self.forward_layers = nn.ModuleList(nn.LSTM(size, half, batch_first=True) for _ in range(layers))
        self.backward_layers = nn.ModuleList(nn.LSTM(size, half, batch_first=True) for _ in range(layers))
        self.dropout = nn.Dropout(dropout)

    def forward(self, states: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """(batch, tokens, size) -> (batch, tokens, size); padded positions hold values that no
        real position depends on."""
        index = reversed_positions(attention_mask).unsqueeze(-1)  # (batch, tokens, 1), expanded per use
        for i, (forward_lstm, backward_lstm) in enumerate(zip(self.forward_layers, self.backward_layers)):
            if i:
                states = self.dropout(states)
            ahead, _ = forward_lstm(states)
            behind, _ = backward_lstm(states.gather(1, index.expand_as(states)))
            states = torch.cat([ahead, behind.gather(1, index.expand_as(behind))], dim=-1)
        return states
