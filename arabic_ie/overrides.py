"""``key=value`` settings on the ``train`` command line, told apart from file names before
argparse sees them.

``--test t.jsonl epochs=1`` used to hand ``epochs=1`` to ``--test`` as a second file (``nargs``
takes every following word), so the run trained its whole config and failed at the end. Here a
word shaped ``name=value`` is always a setting, never a file; the name must be a
setting of :class:`~arabic_ie.training.config.TrainConfig` and the overrides must come after the files,
so both mistakes fail before any work.
"""
from __future__ import annotations

import re
from typing import Sequence

OVERRIDE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)=(.*)$", re.DOTALL)
FLAGS = frozenset({"--resume", "--help", "-h"})
#: the options of ``train`` besides the settings
COMMAND_OPTIONS = frozenset({"--config", *FLAGS})
BOOLEAN_WORDS = frozenset({"true", "false", "yes", "no", "t", "f", "y", "n", "1", "0"})


class OverrideError(ValueError):
    """An override the command line cannot take; the message names it."""


def option_kinds() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """``(every option, the options that take a list of values, the switches)`` of ``train``,
    spelt every way the settings parser accepts (``--train``, ``--train_files``, ``--train-files``)."""
    from arabic_ie.training.config import bool_settings, list_settings, setting_options

    spellings = {f"--{name}": field for name, field in setting_options().items()}
    spellings.update({f"--{name.replace('_', '-')}": field for name, field in setting_options().items()})
    lists, switches = list_settings(), bool_settings()
    return (frozenset(spellings) | COMMAND_OPTIONS, frozenset(o for o, f in spellings.items() if f in lists),
            frozenset(o for o, f in spellings.items() if f in switches))


def split_overrides(argv: Sequence[str], known: Sequence[str] | None = None) -> tuple[list[str], list[str]]:
    """``(the other words, the overrides)`` of a ``train`` command line; :class:`OverrideError`
    for an unknown name, or for a file that follows an override (``--train a epochs=1 b``:
    is ``b`` a training file?)."""
    from arabic_ie.training.config import nearest, setting_options

    known = list(setting_options()) if known is None else known
    options, multi_value, switches = option_kinds()
    rest: list[str] = []
    overrides: list[str] = []
    previous = ""  # the option before this word, if it takes one value or is a switch
    for word in argv:
        # the word after an option that takes one value (--output DIR, --device cuda) is that value;
        # after a switch (--crf) only a true/false word is
        value_of_option = previous == "one value" or (previous == "switch" and word.lower() in BOOLEAN_WORDS)
        if value_of_option:  # a value, never an option itself (--max_steps -5)
            previous = ""
        elif word in switches:
            previous = "switch"
        elif word.startswith("-") and "=" not in word and word not in multi_value | FLAGS:
            previous = "one value"
        else:
            previous = ""
        match = None if value_of_option else OVERRIDE.match(word)
        if value_of_option:  # `--output DIR` after a setting: DIR is the option's value, not a file
            rest.append(word)
        elif word.startswith("--") and word.partition("=")[0] not in options:
            name = word.partition("=")[0]
            raise OverrideError(f"unrecognized arguments: {name}{nearest(name, options)}")
        elif match:
            key = match.group(1).replace("-", "_")
            if key not in known:
                raise OverrideError(f"unknown setting {key!r} in {word!r}{nearest(key, known)}; "
                                    f"known: {', '.join(sorted(known))}")
            overrides.append(word)
        elif overrides and not word.startswith("-"):
            raise OverrideError(f"{word!r} follows the setting {overrides[-1]!r}: put key=value settings "
                                "after all files (a word of the form key=value is never a file name)")
        else:
            rest.append(word)
    return rest, overrides
