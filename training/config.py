"""Training settings: four dataclasses (data, model, training, output) under one
:class:`TrainConfig`, each checked when built. Reading them from YAML, ``key=value`` settings and
``--key value`` options is the Face's job (:mod:`arabic_ie.settings`, one parser for all three);
here are the settings, their types and their ranges."""
from __future__ import annotations

import dataclasses
import difflib
import typing
from dataclasses import dataclass, field
from typing import Any, Iterable

METRICS = ("entity_f1", "trigger_f1", "argument_f1", "mean_f1")


class ConfigError(ValueError):
    """A bad training config: the message names the file or option and the problem."""


def nearest(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a misspelt name, or nothing when no known name is close."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass
class LossWeights:
    """The joint loss's weight per head (a recipe gives them as a mapping, ``{trigger: 2.0}``)."""

    entity: float = 1.0
    trigger: float = 1.0
    argument: float = 1.0


@dataclass
class DataSettings:
    """What to read, and how its words become windows of model inputs."""

    _argument_group_name = "data settings"  # the heading of their options in `train --help`

    train_files: list[str] = field(default_factory=list, metadata={"aliases": ["--train"]})
    dev_files: list[str] = field(default_factory=list, metadata={"aliases": ["--dev"]})
    test_files: list[str] = field(default_factory=list, metadata={"aliases": ["--test"]})
    format: str | None = field(default=None, metadata={"help": "input format; default: each file's extension"})
    conll_scheme: str = "BIO"
    max_length: int = 256
    stride: int = 32
    label_all_subwords: bool = False

    def __post_init__(self) -> None:
        _need(self.max_length >= 8, f"max_length must be at least 8 tokens, got {self.max_length!r}")
        _need(0 <= self.stride < self.max_length // 2,
              f"stride must be in [0, max_length / 2), got {self.stride} with max_length {self.max_length}")


@dataclass
class ModelSettings:
    """The encoder to fine-tune and the layers and heads over it (saved in the model's config)."""

    _argument_group_name = "model settings"  # the heading of their options in `train --help`

    encoder: str = field(default="aubmindlab/bert-base-arabertv02", metadata={
        "aliases": ["--model"], "help": "hub id, local folder, 'arwiki-small' (shipped, pretrained) or 'tiny' (from scratch)"})
    tiny: dict[str, Any] = field(default_factory=dict, metadata={
        "help": "size of 'tiny' (TinyConfig fields), e.g. '{hidden_size: 192}'"})
    char_features: bool = field(default=False, metadata={"help": "character CNN over each word, added to its subword embeddings"})
    char_to_output: bool = field(default=False, metadata={"help": "the character vector also added to the output states"})
    crf: bool = field(default=False, metadata={"help": "linear-chain CRF layers over the entity and trigger heads"})
    word_dropout: float = field(default=0.0, metadata={"help": "share of subword embeddings zeroed in training"})
    lstm_layers: int = field(default=0, metadata={"help": "BiLSTM layers over the encoder's states"})
    word_attributes: bool = field(default=False, metadata={"help": "hashed stem/affix/shape embeddings of each word"})
    word_clusters: bool = field(default=False, metadata={
        "help": "each word's clusters, learnt from unlabelled text (the encoder folder's word_clusters.tsv.gz, else the shipped encoder's)"})
    neighbour_features: bool = field(default=False, metadata={"help": "the neighbours' token ids and hashed forms"})
    argument_entity_input: bool = field(default=False, metadata={"help": "the argument head reads the entity probabilities"})
    argument_o_weight: float = field(default=1.0, metadata={"help": "weight of O in the argument loss, in (0, 1]"})
    argument_type_distance: bool = field(default=False, metadata={
        "help": "the argument head reads an embedding of each (event type, distance) pair"})
    snap_arguments_to_entities: bool = field(default=True, metadata={
        "help": "an argument inside or across one predicted entity takes its span (the guidelines' rule)"})
    classifier_dropout: float = 0.1
    loss_weights: dict[str, float] = field(default_factory=lambda: dataclasses.asdict(LossWeights()),
                                           metadata={"help": "weight per head, e.g. '{trigger: 2.0}'"})
    # the sizes of those layers (the defaults are the recipes')
    argument_hidden_size: int = 256
    event_type_embedding_size: int = 64
    argument_max_distance: int = field(default=32, metadata={"help": "tokens; farther ones share a distance bucket"})
    char_embedding_size: int = 32
    char_filters: int = 64
    char_kernel_sizes: list[int] = field(default_factory=lambda: [2, 3, 4])
    attribute_embedding_size: int = 64
    neighbour_window: int = field(default=2, metadata={"help": "tokens on each side"})
    neighbour_buckets: int = 1 << 16
    neighbour_embedding_size: int = 32

    def __post_init__(self) -> None:
        from arabic_ie.model.tiny import TinyConfig

        for name, mapping, known in (("tiny", self.tiny, TinyConfig), ("loss_weights", self.loss_weights, LossWeights)):
            fields = [f.name for f in dataclasses.fields(known)]
            for key in mapping:
                _need(key in fields, f"{name}: unknown setting {key!r}{nearest(key, fields)}; known: {', '.join(fields)}")
        _need(0 < self.argument_o_weight <= 1, f"argument_o_weight must be in (0, 1], got {self.argument_o_weight}")
        _need(0 <= self.word_dropout < 1, f"word_dropout must be in [0, 1), got {self.word_dropout}")
        _need(self.lstm_layers >= 0, f"lstm_layers must be a whole number >= 0, got {self.lstm_layers!r}")
        for name in ("argument_hidden_size", "event_type_embedding_size", "argument_max_distance", "char_embedding_size",
                     "char_filters", "attribute_embedding_size", "neighbour_window", "neighbour_buckets",
                     "neighbour_embedding_size"):
            _need(getattr(self, name) > 0, f"{name} must be a positive integer, got {getattr(self, name)!r}")
        _need(bool(self.char_kernel_sizes) and min(self.char_kernel_sizes) > 0,
              f"char_kernel_sizes must be positive widths, got {self.char_kernel_sizes}")
        _need(not self.word_attributes or self.char_features,
              "word_attributes needs char_features: the form hashes ride in each word's character row")
        _need(not self.neighbour_features or self.word_attributes,
              "neighbour_features needs word_attributes: it reads the neighbours' hashed forms")
        _need(not self.word_clusters or self.word_attributes,
              "word_clusters needs word_attributes: the cluster ids are hashed beside the word's forms")

    def layer_settings(self) -> dict[str, Any]:
        """The settings the model's config takes as they are (``ArabicIEConfig`` keyword arguments)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("encoder", "tiny")}


@dataclass
class TrainingSettings:
    """How long and how fast to train, and what to keep as best."""

    _argument_group_name = "training settings"  # the heading of their options in `train --help`

    epochs: int = 3
    max_steps: int | None = field(default=None, metadata={"help": "stop after this many optimizer steps"})
    batch_size: int = 16
    eval_batch_size: int = 64
    learning_rate: float = field(default=5e-5, metadata={"help": "the encoder's"})
    head_learning_rate: float = field(default=1e-3, metadata={"help": "the layers and heads over the encoder"})
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    gradient_accumulation_steps: int = 1
    max_grad_norm: float = 1.0
    seed: int = 42
    metric_for_best: str = field(default="mean_f1", metadata={"help": " | ".join(METRICS)})
    patience: int | None = field(default=None, metadata={"help": "epochs without improvement before stopping"})
    mixed_precision: str = field(default="no", metadata={"help": "no | fp16 | bf16"})

    def __post_init__(self) -> None:
        _need(self.max_steps is None or self.max_steps > 0, f"max_steps must be a positive integer, got {self.max_steps!r}")
        for name in ("epochs", "batch_size", "eval_batch_size", "gradient_accumulation_steps"):
            _need(getattr(self, name) > 0, f"{name} must be a positive integer, got {getattr(self, name)!r}")
        for name in ("learning_rate", "head_learning_rate"):
            _need(getattr(self, name) > 0, f"{name} must be a positive number, got {getattr(self, name)!r}")
        _need(0 <= self.warmup_ratio < 1, f"warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        _need(self.metric_for_best in METRICS,
              f"metric_for_best must be one of {', '.join(METRICS)}, got {self.metric_for_best!r}")
        _need(self.mixed_precision in ("no", "fp16", "bf16"),
              f"mixed_precision must be no, fp16 or bf16, got {self.mixed_precision!r}")
        _need(self.patience is None or self.patience > 0, "patience must be a positive number of epochs")


@dataclass
class OutputSettings:
    """Where the run writes, and what it keeps on the way."""

    _argument_group_name = "output settings"  # the heading of their options in `train --help`

    output_dir: str = field(default="outputs/run", metadata={"aliases": ["--output"]})
    checkpoint_every: int = field(default=0, metadata={"help": "optimizer steps between checkpoints; 0: each epoch's end"})
    keep_checkpoints: int = 1
    report_to: list[str] = field(default_factory=list, metadata={"help": "accelerate trackers, e.g. tensorboard"})


GROUPS = {"data": DataSettings, "model": ModelSettings, "training": TrainingSettings, "output": OutputSettings}


def _need(condition: bool, message: str) -> None:
    """Raise ConfigError(message) unless condition holds."""
    if not condition:
        raise ConfigError(message)


def setting_types() -> dict[str, Any]:
    """Every setting's field name -> its type, over the four groups."""
    return {name: hint for group in GROUPS.values() for name, hint in typing.get_type_hints(group).items()}


def setting_options() -> dict[str, str]:
    """Every name a setting goes by (field names and their short aliases: ``model``, ``train``,
    ``output``...) -> its field name."""
    names = {}
    for group in GROUPS.values():
        for f in dataclasses.fields(group):
            names[f.name] = f.name
            names.update({alias.lstrip("-"): f.name for alias in f.metadata.get("aliases", [])})
    return names


def list_settings() -> set[str]:
    """The field names that take several values (``--train a.jsonl b.jsonl``)."""
    return {name for name, hint in setting_types().items() if typing.get_origin(hint) is list}


def bool_settings() -> set[str]:
    """The field names that are switches (``--crf`` alone means true)."""
    return {name for name, hint in setting_types().items() if hint is bool}


@dataclass
class TrainConfig:
    """Every setting of a training run, in four groups, checked when built. From a YAML recipe,
    ``key=value`` settings or keyword values: :func:`arabic_ie.settings.read_config`."""

    data: DataSettings = field(default_factory=DataSettings)
    model: ModelSettings = field(default_factory=ModelSettings)
    training: TrainingSettings = field(default_factory=TrainingSettings)
    output: OutputSettings = field(default_factory=OutputSettings)

    def __post_init__(self) -> None:
        _need(bool(self.data.train_files), "train_files: at least one training file is needed")
        _need(not (self.model.crf and self.data.label_all_subwords),
              "crf cannot be combined with label_all_subwords: the CRF reads one tag per word (its first piece)")

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain data, a mapping per group (for reports and trackers)."""
        return dataclasses.asdict(self)

    def flat(self) -> dict[str, Any]:
        """Every setting by its field name, as a YAML recipe writes them."""
        return {k: v for group in self.to_dict().values() for k, v in group.items()}
