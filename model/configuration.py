"""The joint model's config: the base encoder's config, the label schema and the feature
settings, so a saved model folder alone says how to tokenise, normalise and decode."""
from __future__ import annotations

from typing import Any

from transformers import AutoConfig, PretrainedConfig

from arabic_ie.data.features import FeatureConfig
from arabic_ie.data.schema import LabelSchema


class ArabicIEConfig(PretrainedConfig):
    """Config of a joint model: the encoder's own config, the label schema, the feature settings
    and the head sizes, so a saved folder alone rebuilds the model and its preprocessing."""

    model_type = "arabic-ie"

    def __init__(
        self,
        encoder: dict[str, Any] | None = None,
        schema: dict[str, Any] | None = None,
        features: dict[str, Any] | None = None,
        base_model: str = "",
        argument_hidden_size: int = 256,
        event_type_embedding_size: int = 64,
        argument_max_distance: int = 32,
        classifier_dropout: float = 0.1,
        loss_weights: dict[str, float] | None = None,
        char_features: bool = False,
        char_embedding_size: int = 32,
        char_filters: int = 64,
        char_kernel_sizes: list[int] | None = None,
        char_to_output: bool = False,
        crf: bool = False,
        word_dropout: float = 0.0,
        lstm_layers: int = 0,
        word_attributes: bool = False,
        attribute_embedding_size: int = 64,
        word_clusters: bool = False,
        neighbour_features: bool = False,
        argument_entity_input: bool = False,
        argument_o_weight: float = 1.0,
        argument_type_distance: bool = False,
        snap_arguments_to_entities: bool = True,
        neighbour_window: int = 2,
        neighbour_buckets: int = 1 << 16,
        neighbour_embedding_size: int = 32,
        **kwargs: Any,
    ):
        """``char_features``: a character CNN over each word added to its subword embeddings (the
        character vocabulary is ``features["char_vocab"]``); ``crf``: linear-chain CRF layers over
        the entity and trigger heads; ``char_to_output``: the character vector is also added to the
        encoder's output states (the heads read the letters directly); ``word_dropout``: in training, the share of subword
        embeddings zeroed (the word's letters stay), so the model learns to read unseen words;
        ``lstm_layers``: bidirectional LSTM layers over the encoder's states, their output added
        to those states, under the heads; ``word_attributes``: embeddings of each word's hashed
        stem, affixes and shape (ids after its letters, ``features["attribute_buckets"]`` rows),
        added to its character vector; ``word_clusters`` (with ``word_attributes``): the hashed ids of
        each word's clusters learnt from unlabelled text (``features["cluster_levels"]`` of them, the
        table saved beside the model), added likewise; ``neighbour_features`` (with ``word_attributes``): the
        token ids and hashed forms of the ``neighbour_window`` tokens on each side (never the
        token itself), hashed into ``neighbour_buckets`` rows and added to the output states;
        ``argument_type_distance``: the argument head also reads an embedding of each (event type,
        distance to the trigger) pair, the conjunction a CRF's argument features spell out."""
        self.encoder = encoder or {}
        self.schema = schema or LabelSchema().to_dict()
        self.features = features or FeatureConfig().to_dict()
        self.base_model = base_model
        self.argument_hidden_size = argument_hidden_size
        self.event_type_embedding_size = event_type_embedding_size
        self.argument_max_distance = argument_max_distance
        self.classifier_dropout = classifier_dropout
        self.loss_weights = {"entity": 1.0, "trigger": 1.0, "argument": 1.0, **(loss_weights or {})}
        self.char_features = char_features
        self.char_embedding_size = char_embedding_size
        self.char_filters = char_filters
        self.char_kernel_sizes = list(char_kernel_sizes or [2, 3, 4])
        self.char_to_output = char_to_output
        self.crf = crf
        self.word_dropout = word_dropout
        self.lstm_layers = lstm_layers
        self.word_attributes = word_attributes
        self.attribute_embedding_size = attribute_embedding_size
        self.word_clusters = word_clusters
        self.neighbour_features = neighbour_features
        self.argument_entity_input = argument_entity_input
        self.argument_o_weight = argument_o_weight
        self.argument_type_distance = argument_type_distance
        self.snap_arguments_to_entities = snap_arguments_to_entities
        self.neighbour_window = neighbour_window
        self.neighbour_buckets = neighbour_buckets
        self.neighbour_embedding_size = neighbour_embedding_size
        super().__init__(**kwargs)

    @property
    def label_schema(self) -> LabelSchema:
        """The label schema the heads were built for."""
        return LabelSchema.from_dict(self.schema)

    @property
    def feature_config(self) -> FeatureConfig:
        """How text becomes model windows (length, stride, normalisation)."""
        return FeatureConfig(**self.features)

    def encoder_config(self) -> PretrainedConfig:
        """The base encoder's config, rebuilt from its saved form."""
        settings = dict(self.encoder)
        return AutoConfig.for_model(settings.pop("model_type"), **settings)

    @property
    def hidden_size(self) -> int:
        """The encoder's hidden size, the width every head reads."""
        return int(self.encoder["hidden_size"])
