"""arabic-ie: joint Arabic named-entity recognition and event-argument extraction.

    from arabic_ie import JointTagger
    tagger = JointTagger.from_pretrained("org/model")
    tagger.predict("...")  # -> Record with entities and events

Heavy classes (torch, transformers) load on first use, so ``import arabic_ie`` stays quick.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

from arabic_ie.data.records import Event, Record, Span

__version__ = "0.1.0"

_LAZY = {
    "JointTagger": "arabic_ie.model.tagger",
    "ArabicIEConfig": "arabic_ie.model.configuration",
    "ArabicIEModel": "arabic_ie.model.modeling",
    "LabelSchema": "arabic_ie.data.schema",
    "TrainConfig": "arabic_ie.training.config",
    "read_config": "arabic_ie.settings",
    "Trainer": "arabic_ie.training.trainer",
    "read_corpus": "arabic_ie.data.formats",
    "write_corpus": "arabic_ie.data.formats",
    "score": "arabic_ie.training.metrics",
}
__all__ = ["Event", "Record", "Span", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        if name in ("ArabicIEConfig", "ArabicIEModel", "JointTagger"):
            import_module("arabic_ie.model")  # registers the Auto classes
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'arabic_ie' has no attribute {name!r}")
