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
        **kwargs: Any,
    ):
        self.encoder = encoder or {}
        self.schema = schema or LabelSchema().to_dict()
        self.features = features or FeatureConfig().to_dict()
        self.base_model = base_model
        self.argument_hidden_size = argument_hidden_size
        self.event_type_embedding_size = event_type_embedding_size
        self.argument_max_distance = argument_max_distance
        self.classifier_dropout = classifier_dropout
        self.loss_weights = {"entity": 1.0, "trigger": 1.0, "argument": 1.0, **(loss_weights or {})}
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
