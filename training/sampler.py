"""Length-grouped batches: shuffle, then sort within large chunks so each batch holds windows of
similar length (less padding), with an order that depends only on the seed and the epoch, so an
interrupted run resumes on exactly the batches it would have seen."""
from __future__ import annotations

import random
from typing import Iterator, Sequence


class LengthGroupedBatchSampler:
    """Batches of windows of similar length, in an order fixed by the seed and the epoch (see the
    module docstring)."""
    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int, group_factor: int = 50):
        self.lengths, self.batch_size, self.seed, self.group_factor = list(lengths), batch_size, seed, group_factor
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose batch order to give next."""
        self.epoch = epoch

    def batches(self) -> list[list[int]]:
        """This epoch's batches: shuffled, sorted by length within large chunks, the batches
        shuffled again, a short last batch kept last."""
        rng = random.Random(self.seed * 100_003 + self.epoch)
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        chunk = self.batch_size * self.group_factor
        ordered: list[int] = []
        for i in range(0, len(order), chunk):
            ordered += sorted(order[i:i + chunk], key=lambda k: self.lengths[k], reverse=True)
        # cut the whole order at once: one short batch at most, and it comes last (a short batch
        # mid-epoch gives a step with a noisier gradient and, across processes, uneven batches)
        batches = [ordered[j:j + self.batch_size] for j in range(0, len(ordered), self.batch_size)]
        short = [batches.pop()] if batches and len(batches[-1]) < self.batch_size else []
        rng.shuffle(batches)
        return batches + short

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches())

    def __len__(self) -> int:
        return (len(self.lengths) + self.batch_size - 1) // self.batch_size
