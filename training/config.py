"""Training settings: a dataclass, read from YAML and overridden from the command line."""
from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

METRICS = ("entity_f1", "trigger_f1", "argument_f1", "mean_f1")
#: TrainConfig fields passed as they are to the model's config (the little-data layers and the loss weights)
MODEL_SETTINGS = ("loss_weights", "char_features", "char_to_output", "crf", "word_dropout", "lstm_layers",
                  "classifier_dropout", "word_attributes", "neighbour_features", "argument_entity_input",
                  "argument_o_weight")


class ConfigError(ValueError):
    """A bad training config: the message names the file or option and the problem."""


def nearest(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a misspelt name, or nothing when no known name is close."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


BOOLEAN_WORDS = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def typed_value(name: str, value: Any, hint: Any) -> Any:
    """``value`` as the type ``hint`` says (YAML 1.1 reads ``1e-2`` as a string: it becomes the
    number users mean), or :class:`ConfigError` naming the setting, the type and the value."""
    args = typing.get_args(hint)
    if type(None) in args:  # X | None
        if value is None:
            return None
        hint = next(a for a in args if a is not type(None))
    origin = typing.get_origin(hint)
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in BOOLEAN_WORDS:
            return BOOLEAN_WORDS[value.strip().lower()]
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        raise ConfigError(f"{name} must be a whole number, got {value!r}")
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{name} must be a number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{name} must be text, got {value!r}")
    if origin is list:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise ConfigError(f"{name} must be a list, got {value!r}")
        return [typed_value(name, v, args[0]) for v in value]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{name} must be a mapping of name: value, got {value!r}")
        return {str(k): typed_value(f"{name}.{k}", v, args[1]) for k, v in value.items()}
    return value


@dataclass
class TrainConfig:
    """Every setting of a training run, checked when built; read from YAML with ``key=value``
    overrides (:meth:`from_yaml`)."""

    model: str = "aubmindlab/bert-base-arabertv02"  # hub id, local folder, or "tiny"
    train_files: list[str] = field(default_factory=list)
    dev_files: list[str] = field(default_factory=list)
    test_files: list[str] = field(default_factory=list)
    format: str | None = None  # None: from each file's extension
    output_dir: str = "outputs/run"
    epochs: int = 3
    max_steps: int | None = None  # stop after this many optimizer steps (benchmarks, smoke runs)
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = 5e-5  # encoder
    head_learning_rate: float = 1e-3
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    gradient_accumulation_steps: int = 1
    max_grad_norm: float = 1.0
    max_length: int = 256
    stride: int = 32
    label_all_subwords: bool = False
    seed: int = 42
    loss_weights: dict[str, float] = field(default_factory=lambda: {"entity": 1.0, "trigger": 1.0, "argument": 1.0})
    metric_for_best: str = "mean_f1"
    patience: int | None = None  # epochs without improvement before stopping
    checkpoint_every: int = 0  # optimizer steps between checkpoints; 0 = only at each epoch's end
    keep_checkpoints: int = 1
    mixed_precision: str = "no"  # no | fp16 | bf16
    report_to: list[str] = field(default_factory=list)  # accelerate trackers, e.g. ["tensorboard"]
    tiny: dict[str, Any] = field(default_factory=dict)  # TinyConfig overrides for model "tiny" (typed there)
    char_features: bool = False  # character CNN over each word, added to its subword embeddings
    char_to_output: bool = False  # the character vector is also added to the encoder's output states
    crf: bool = False  # linear-chain CRF layers over the entity and trigger heads
    word_dropout: float = 0.0  # share of subword embeddings zeroed in training
    lstm_layers: int = 0  # bidirectional LSTM layers over the encoder's states, their output added to them
    word_attributes: bool = False  # hashed stem/affix/shape embeddings added to each word's character vector
    neighbour_features: bool = False  # the neighbours' token ids and hashed forms, added to the output states
    argument_entity_input: bool = False  # the argument head reads each token's entity label probabilities too
    argument_o_weight: float = 1.0  # the weight of O in the argument loss (below 1: fewer arguments missed)
    classifier_dropout: float = 0.1
    conll_scheme: str = "BIO"

    def __post_init__(self) -> None:
        hints = typing.get_type_hints(type(self))
        for f in dataclasses.fields(self):
            setattr(self, f.name, typed_value(f.name, getattr(self, f.name), hints[f.name]))
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first setting out of range."""
        def need(cond: bool, message: str) -> None:
            """Raise ConfigError(message) unless cond holds."""
            if not cond:
                raise ConfigError(message)

        need(bool(self.train_files), "train_files: at least one training file is needed")
        need(self.max_steps is None or self.max_steps > 0, f"max_steps must be a positive integer, got {self.max_steps!r}")
        from arabic_ie.model.tiny import TinyConfig

        tiny_types = typing.get_type_hints(TinyConfig)
        for key, value in self.tiny.items():
            need(key in tiny_types, f"tiny: unknown setting {key!r}{nearest(key, tiny_types)}; "
                                    f"known: {', '.join(tiny_types)}")
            self.tiny[key] = typed_value(f"tiny.{key}", value, tiny_types[key])
        for name in ("epochs", "batch_size", "eval_batch_size", "gradient_accumulation_steps", "max_length"):
            need(isinstance(getattr(self, name), int) and getattr(self, name) > 0, f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("learning_rate", "head_learning_rate"):
            need(isinstance(getattr(self, name), (int, float)) and getattr(self, name) > 0, f"{name} must be a positive number, got {getattr(self, name)!r}")
        need(0 < self.argument_o_weight <= 1, f"argument_o_weight must be in (0, 1], got {self.argument_o_weight}")
        need(0 <= self.warmup_ratio < 1, f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        need(self.metric_for_best in METRICS, f"metric_for_best must be one of {', '.join(METRICS)}, got {self.metric_for_best!r}")
        need(self.mixed_precision in ("no", "fp16", "bf16"), f"mixed_precision must be no, fp16 or bf16, got {self.mixed_precision!r}")
        unknown = set(self.loss_weights) - {"entity", "trigger", "argument"}
        need(not unknown, f"loss_weights: unknown heads {sorted(unknown)} (entity, trigger, argument)")
        need(self.patience is None or self.patience > 0, "patience must be a positive number of epochs")
        need(0 <= self.word_dropout < 1, f"word_dropout must be in [0, 1), got {self.word_dropout}")
        need(isinstance(self.lstm_layers, int) and self.lstm_layers >= 0,
             f"lstm_layers must be a whole number >= 0, got {self.lstm_layers!r}")
        need(not (self.crf and self.label_all_subwords),
             "crf cannot be combined with label_all_subwords: the CRF reads one tag per word (its first piece)")
        need(not self.word_attributes or self.char_features,
             "word_attributes needs char_features: the form hashes ride in each word's character row")
        need(not self.neighbour_features or self.word_attributes,
             "neighbour_features needs word_attributes: it reads the neighbours' hashed forms")

    @classmethod
    def from_yaml(cls, path: str | Path | None = None, overrides: list[str] | None = None,
                  **values: Any) -> "TrainConfig":
        """Settings from a YAML file, then ``key=value`` overrides (values parsed as YAML), then
        keyword values; relative file paths in the YAML are resolved against the current folder."""
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
            settings[key.strip().replace("-", "_")] = yaml.safe_load(value)
        settings.update({k: v for k, v in values.items() if v is not None})
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            where = f"{path}: " if path else ""
            raise ConfigError(f"{where}unknown option(s) " + ", ".join(f"{k!r}{nearest(k, known)}" for k in unknown)
                              + f"; known: {', '.join(sorted(known))}")
        try:
            return cls(**settings)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}" if path else str(err)) from None
        except TypeError as err:
            raise ConfigError(f"{path or 'config'}: {err}") from None

    def model_settings(self) -> dict[str, Any]:
        """The settings that shape the model (``ArabicIEConfig`` keyword arguments), named once here."""
        return {name: getattr(self, name) for name in MODEL_SETTINGS}

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data (for reports and trackers)."""
        return dataclasses.asdict(self)
