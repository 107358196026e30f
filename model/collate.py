"""Dynamic padding of window features into tensors: each batch is padded to its own longest
window and its own largest number of events, never to the model's maximum."""
from __future__ import annotations

from typing import Any, Sequence

import torch

from arabic_ie.data.features import IGNORE_INDEX


def collate_features(rows: Sequence[dict[str, Any]], pad_token_id: int,
                     pad_to_multiple_of: int = 1) -> dict[str, torch.Tensor]:
    """Pad to the batch's longest window, rounded up to ``pad_to_multiple_of`` (fewer distinct
    tensor shapes keep the allocator's memory flat over a long inference run)."""
    length = max(len(r["input_ids"]) for r in rows)
    length = -(-length // pad_to_multiple_of) * pad_to_multiple_of
    n_events = max(len(r.get("event_type_ids", [])) for r in rows)

    def pad(seq: Sequence[int], value: int, size: int = length) -> list[int]:
        """``seq`` right-padded with ``value`` to ``size`` (the batch's padded length by default)."""
        return list(seq) + [value] * (size - len(seq))

    batch = {
        "input_ids": torch.tensor([pad(r["input_ids"], pad_token_id) for r in rows]),
        "attention_mask": torch.tensor([pad(r["attention_mask"], 0) for r in rows]),
    }
    if rows[0].get("char_ids") is not None:
        width = len(rows[0]["char_ids"][0]) if rows[0]["char_ids"] else 1
        chars = torch.zeros((len(rows), length, width), dtype=torch.long)
        for i, r in enumerate(rows):
            if r["char_ids"]:
                chars[i, : len(r["char_ids"])] = torch.tensor(r["char_ids"])
        batch["char_ids"] = chars
    if "entity_labels" in rows[0]:
        batch["entity_labels"] = torch.tensor([pad(r["entity_labels"], IGNORE_INDEX) for r in rows])
        batch["trigger_labels"] = torch.tensor([pad(r["trigger_labels"], IGNORE_INDEX) for r in rows])
        spans = torch.full((len(rows), n_events, 2), -1, dtype=torch.long)
        types = torch.full((len(rows), n_events), -1, dtype=torch.long)
        args = torch.full((len(rows), n_events, length), IGNORE_INDEX, dtype=torch.long)
        for i, r in enumerate(rows):
            for e, (span, etype, labels) in enumerate(zip(r["event_token_spans"], r["event_type_ids"],
                                                          r["argument_labels"])):
                spans[i, e] = torch.tensor(span)
                types[i, e] = etype
                args[i, e, : len(labels)] = torch.tensor(labels)
        batch.update(event_token_spans=spans, event_type_ids=types, argument_labels=args)
    return batch
