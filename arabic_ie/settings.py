"""Training settings from a YAML recipe, ``key=value`` words and ``--key value`` options, typed by
one parser: transformers' ``HfArgumentParser`` over the four groups of
:class:`~arabic_ie.training.config.TrainConfig`. Every source becomes command-line words for it,
so a value is typed the same way wherever it comes from (YAML 1.1 reads ``1e-2`` as a string;
here it arrives as the float users mean)."""
from __future__ import annotations

import argparse
import json
import typing
from pathlib import Path
from typing import Any, Callable

import yaml

from arabic_ie.training.config import (GROUPS, ConfigError, LossWeights, TrainConfig, list_settings, nearest,
                                       setting_options, setting_types)

KINDS = {int: "a whole number", float: "a number", str: "text"}


def _type_message(name: str, kind: Any, value: Any) -> str:
    """``name must be a number, got 'lots'``."""
    kind = next((a for a in typing.get_args(kind) if a is not type(None)), kind)
    words = "true or false" if kind is bool else KINDS.get(kind, getattr(kind, "__name__", str(kind)))
    return f"{name} must be {words}, got {value!r}"


def _word(value: Any) -> str:
    """One value as the command line spells it (mappings as JSON, which YAML reads)."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)


def tiny_settings() -> type:
    """The dataclass of the ``tiny`` encoder's size (imported when a recipe gives one: the model
    package pulls torch, and ``train --help`` should not)."""
    from arabic_ie.model.tiny import TinyConfig

    return TinyConfig


def mapping_reader(name: str, settings: Callable[[], type]):
    """The type function of a mapping setting (``tiny``, ``loss_weights``): YAML text (or a
    mapping) whose keys are fields of the dataclass ``settings()``, each typed by a parser of
    that dataclass; only the keys given are kept. A key that is no field is passed on as it is,
    for :class:`~arabic_ie.training.config.ModelSettings` to name with the nearest field."""

    def read(text: Any) -> dict[str, Any]:
        from transformers import HfArgumentParser

        hints = typing.get_type_hints(settings())
        values = yaml.safe_load(text) if isinstance(text, str) else text
        if not isinstance(values, dict):
            raise argparse.ArgumentTypeError(f"{name} must be a mapping of name: value, got {text!r}")
        known = {k: v for k, v in values.items() if k in hints}
        parser = HfArgumentParser(settings(), exit_on_error=False, allow_abbrev=False)
        try:
            [parsed] = parser.parse_args_into_dataclasses([w for k, v in known.items() for w in (f"--{k}", _word(v))])
        except argparse.ArgumentError as err:
            key = err.argument_name.split("/")[0].lstrip("-")
            raise argparse.ArgumentTypeError(_type_message(f"{name}.{key}", hints[key], values[key])) from None
        return {key: getattr(parsed, key) if key in known else value for key, value in values.items()}

    read.__name__ = name  # argparse names the type in its messages
    return read


def settings_parser(**kwargs: Any):
    """The one parser of every training setting: an ``HfArgumentParser`` of the four groups,
    its mapping settings read by :func:`mapping_reader`."""
    from transformers import HfArgumentParser

    parser = HfArgumentParser(list(GROUPS.values()), **kwargs)
    readers = {"tiny": mapping_reader("tiny", tiny_settings), "loss_weights": mapping_reader("loss_weights", lambda: LossWeights)}
    for action in parser._actions:  # HfArgumentParser types a dict field as dict(text); argparse has no setter
        if action.dest in readers:
            action.type = readers[action.dest]
    return parser


def read_config(path: str | Path | None = None, overrides: list[str] | None = None, **values: Any) -> TrainConfig:
    """A :class:`TrainConfig` from a YAML file, then ``key=value`` overrides (values read as
    YAML), then keyword values (``None`` ones ignored), parsed together by :func:`settings_parser`.
    Relative file paths in the YAML are resolved against the current folder."""
    settings: dict[str, Any] = {}
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(f"{path}: cannot read config: {err}") from None
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: a config must be a mapping of option: value")
        settings.update(loaded)
    for item in overrides or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"override {item!r} must look like key=value")
        settings[key.strip()] = yaml.safe_load(value)
    settings.update({k: v for k, v in values.items() if v is not None})
    try:
        return parse_settings(settings)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}" if path else str(err)) from None


def parse_settings(settings: dict[str, Any]) -> TrainConfig:
    """One mapping of setting names (or their aliases) to values, through the settings parser."""
    names = setting_options()
    by_field: dict[str, Any] = {}
    unknown = []
    for key, value in settings.items():
        name = names.get(str(key).replace("-", "_"))
        if name is None:
            unknown.append(str(key))
        else:
            by_field[name] = value
    if unknown:
        raise ConfigError("unknown option(s) " + ", ".join(f"{k!r}{nearest(k, names)}" for k in unknown)
                          + f"; known: {', '.join(sorted(names))}")
    hints, lists = setting_types(), list_settings()
    words: list[str] = []
    for name, value in by_field.items():
        if value is None:  # back to the default: None, or no files
            if type(None) not in typing.get_args(hints[name]) and name not in lists:
                raise ConfigError(_type_message(name, hints[name], value))
            continue
        items = value if isinstance(value, (list, tuple)) else [value]
        if items or name not in lists:
            words += [f"--{name}", *(_word(v) for v in items)]
    parser = settings_parser(exit_on_error=False, allow_abbrev=False)
    try:
        groups = parser.parse_args_into_dataclasses(words, return_remaining_strings=True)[:len(GROUPS)]
    except argparse.ArgumentError as err:
        name = err.argument_name.split("/")[0].lstrip("-")
        own_words = typing.get_origin(hints[name]) is dict  # a mapping's reader names the key itself
        raise ConfigError(err.message if own_words else _type_message(name, hints[name], by_field[name])) from None
    return TrainConfig(*groups)


def train_options_parser() -> argparse.ArgumentParser:
    """Every training setting as an option of ``train`` (``--learning_rate``/``--learning-rate``,
    ``--model``, ``--train``...); an option not given stays out of the namespace, so the YAML
    file's value stands."""
    parser = settings_parser(add_help=False)
    names = set(setting_types())
    for action in parser._actions:  # argparse has no public setter that leaves a default out entirely
        if action.dest in names:
            action.default = argparse.SUPPRESS
    return parser


def given_options(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as options on the command line (those not given are absent)."""
    return {name: getattr(args, name) for name in setting_types() if hasattr(args, name)}
