"""``key=value`` settings on the ``train`` command line, told apart from file names before
argparse sees them.

``--test t.jsonl epochs=1`` used to hand ``epochs=1`` to ``--test`` as a second file (``nargs``
takes every following word), so the run trained its whole config and failed at the end. Here a
word shaped ``name=value`` is always a setting, never a file; the name must be a field of
:class:`~arabic_ie.training.config.TrainConfig` and the overrides must come after the files, so
both mistakes fail before any work.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Sequence

OVERRIDE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$", re.DOTALL)
#: options of ``train`` that take exactly one value: the word after them is that value, always
SINGLE_VALUE_OPTIONS = frozenset({"--config", "--model", "--output", "--epochs", "--seed", "--mixed-precision"})
#: options of ``train`` that take a list of files
MULTI_VALUE_OPTIONS = frozenset({"--train", "--dev", "--test"})
FLAGS = frozenset({"--resume", "--help"})


class OverrideError(ValueError):
    """An override the command line cannot take; the message names it."""


def split_overrides(argv: Sequence[str], known: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(the other words, the overrides)`` of a ``train`` command line; :class:`OverrideError`
    for an unknown name, or for a file that follows an override (``--train a epochs=1 b``:
    is ``b`` a training file?)."""
    rest: list[str] = []
    overrides: list[str] = []
    after_option = False
    for word in argv:
        # after an option argparse does not take here (--device), the next word is its business too
        value_of_option = after_option
        after_option = word in SINGLE_VALUE_OPTIONS or (word.startswith("--") and "=" not in word
                                                        and word not in MULTI_VALUE_OPTIONS | FLAGS)
        match = None if value_of_option else OVERRIDE.match(word)
        if value_of_option:  # `--output DIR` after a setting: DIR is the option's value, not a file
            rest.append(word)
        elif match:
            key = match.group(1).replace("-", "_")
            if key not in known:
                from arabic_ie.training.config import nearest

                raise OverrideError(f"unknown setting {key!r} in {word!r}{nearest(key, known)}; "
                                    f"known: {', '.join(sorted(known))}")
            overrides.append(word)
        elif overrides and not word.startswith("-"):
            raise OverrideError(f"{word!r} follows the setting {overrides[-1]!r}: put key=value settings "
                                "after all files (a word of the form key=value is never a file name)")
        else:
            rest.append(word)
    return rest, overrides


def train_config_fields() -> list[str]:
    """The names an override may set: the fields of ``TrainConfig`` (no torch import)."""
    from arabic_ie.training.config import TrainConfig

    return [f.name for f in dataclasses.fields(TrainConfig)]
