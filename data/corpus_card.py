"""What a corpus says about itself: the dataset card (``README.md`` with YAML front matter, the
Hugging Face datasets convention) beside a corpus file. Training reads it so that a model card
can name its training data and state the data's licence (share-alike data must say so)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class CorpusCard:
    """The fields of a dataset card that a model card repeats."""

    name: str
    license: str | None = None


def read_corpus_card(corpus_file: str | Path) -> CorpusCard | None:
    """The card of the folder holding ``corpus_file``, or None when it has no front matter."""
    readme = Path(corpus_file).resolve().parent / "README.md"
    if not readme.is_file():
        return None
    text = readme.read_text(encoding="utf-8")
    if not text.startswith("---\n") or "\n---" not in text[4:]:
        return None
    meta = yaml.safe_load(text[4:text.index("\n---", 4)]) or {}
    if not isinstance(meta, dict):
        return None
    name = str(meta.get("pretty_name") or readme.parent.name)
    license = meta.get("license")
    return CorpusCard(name, str(license) if license else None)
