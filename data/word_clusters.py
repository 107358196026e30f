"""Word clusters learnt from unlabelled Arabic text: for each frequent (normalised) word, the
ids of its cluster at a few granularities, coarse to fine.

A name the labelled corpus never shows still shares a cluster with the names it does show
(``طنطا`` with ``القاهرة``, ``خالد`` with ``محمد``): the knowledge Brown clusters gave the
feature-based taggers of the 2000s, and the cheapest kind a CPU can learn from millions of
words. ``arabic-ie pretrain`` builds the table (:mod:`arabic_ie.training.pretrain`); this module
reads, writes and looks it up. Plain strings and ints: no tensors here.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError
from .text import strip_clitic

#: the table's file in an encoder or model folder (gzip text: a header, then ``word<TAB>id id id``)
WORD_CLUSTERS_FILE = "word_clusters.tsv.gz"
HEADER = "# arabic-ie word clusters; levels:"


@dataclass
class WordClusters:
    """``levels``: the number of clusters at each granularity, coarse to fine; ``table``: each
    word's cluster id at every level."""

    levels: tuple[int, ...]
    table: dict[str, tuple[int, ...]]

    def __post_init__(self) -> None:
        self.levels = tuple(self.levels)
        if not self.levels:
            raise ValueError("word clusters need at least one level")

    def forms(self, word: str) -> list[str]:
        """One form per level: ``c<level>:<id>`` of the word, else of its stem without a leading
        clitic, bare or with the article (``بمصر`` -> ``مصر``, ``والقاهرة`` -> ``القاهرة``);
        ``c<level>:-`` for a word the text never showed often enough (rare words are themselves a
        signal: many of them are names)."""
        ids = self.ids(word)
        if ids is None:
            return [f"c{k}:-" for k in range(len(self.levels))]
        return [f"c{k}:{i}" for k, i in enumerate(ids)]

    def ids(self, word: str) -> tuple[int, ...] | None:
        """The word's cluster ids, else its stem's without a leading clitic, bare or with the
        article; None for a word the text never showed often enough."""
        stem = strip_clitic(word)
        return self.table.get(word) or self.table.get(stem) or self.table.get("ال" + stem)

    def write(self, path: str | Path) -> None:
        """Gzip text, words in sorted order (neighbours share prefixes, so it packs smaller than in
        frequency order); byte-identical for the same table (no time or file name in the header)."""
        lines = [f"{HEADER} {' '.join(map(str, self.levels))}"]
        lines += [f"{word}\t{' '.join(map(str, self.table[word]))}" for word in sorted(self.table)]
        with open(path, "wb") as raw, gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as packed:
            packed.write(("\n".join(lines) + "\n").encode("utf-8"))

    @classmethod
    def read(cls, path: str | Path) -> "WordClusters":
        """The table :meth:`write` wrote; a damaged file is a :class:`CorpusError` naming its line."""
        with gzip.open(path, "rt", encoding="utf-8") as f:
            header = f.readline().rstrip("\n")
            if not header.startswith(HEADER):
                raise CorpusError(path, 1, f"not an arabic-ie word-cluster table (expected {HEADER!r} ...)")
            try:
                levels = tuple(int(n) for n in header[len(HEADER):].split())
            except ValueError:
                raise CorpusError(path, 1, f"the levels are not whole numbers: {header!r}") from None
            table: dict[str, tuple[int, ...]] = {}
            for number, line in enumerate(f, 2):
                word, _, ids = line.rstrip("\n").partition("\t")
                values = ids.split()
                if not word or len(values) != len(levels) or not all(v.isdigit() for v in values):
                    raise CorpusError(path, number, f"expected a word, a tab and {len(levels)} cluster ids, "
                                                    f"got {line.rstrip()!r}")
                table[word] = tuple(int(v) for v in values)
        return cls(levels, table)


def read_word_clusters(folder: str | Path) -> WordClusters | None:
    """The table of an encoder or model folder, or None when it has none."""
    path = Path(folder) / WORD_CLUSTERS_FILE
    return WordClusters.read(path) if path.is_file() else None
