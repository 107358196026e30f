"""One encoder, three token-classification heads.

- entity head: BIO over entity types, per token;
- trigger head: BIO over event types, per token;
- optional, for models trained from little data: character-level word representations
  (:mod:`.char_cnn`, with hashed stem/affix/shape embeddings from :mod:`.word_attributes`) added
  to the subword embeddings, linear-chain CRF layers (:mod:`.crf`) over
  the entity and trigger heads, word dropout, a BiLSTM (:mod:`.bilstm`) whose output is added
  to the encoder's states, and the neighbours' ids and forms (:mod:`.neighbour_features`) added
  to them too; config flags, on any encoder.
- argument head: for each trigger of a sentence, BIO over roles for every token relative to that
  trigger, from the token's state combined with the trigger's (mean-pooled) state, an
  embedding of the event type and an embedding of the token's distance to the trigger. Several events in a sentence get their own arguments from one
  encoder pass. Roles an event type never had in training are masked out at decoding.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import AutoModel, PreTrainedModel
from transformers.utils import ModelOutput

from arabic_ie.data.chars import RESERVED
from arabic_ie.data.features import IGNORE_INDEX
from arabic_ie.data.word_clusters import WORD_CLUSTERS_FILE, WordClusters, read_word_clusters

from .bilstm import BiLSTM
from .char_cnn import CharCNN
from .configuration import ArabicIEConfig
from .crf import LinearChainCRF, crf_loss
from .neighbour_features import NeighbourFeatures
from .word_attributes import AttributeEmbedding


@dataclass
class JointOutput(ModelOutput):
    """The model's output: the total loss, each head's logits and each head's loss."""

    loss: torch.Tensor | None = None
    entity_logits: torch.Tensor | None = None
    trigger_logits: torch.Tensor | None = None
    argument_logits: torch.Tensor | None = None
    losses: dict[str, torch.Tensor] | None = None


def _masked_cross_entropy(logits: torch.Tensor, labels: torch.Tensor,
                          weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean cross-entropy over labelled positions (weighted per label with ``weight``); zero
    (not NaN) when a batch has none, as when a NER-only batch meets the event heads."""
    flat_labels = labels.reshape(-1)
    valid = flat_labels != IGNORE_INDEX
    if not valid.any():
        return logits.sum() * 0.0
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1])[valid], flat_labels[valid],
                                       weight=None if weight is None else weight.to(logits.dtype))


class ArabicIEModel(PreTrainedModel):
    """An encoder with three token-classification heads: entities, event triggers, and the
    arguments of each trigger (read from the trigger's span, the event type and the distance
    to it), trained jointly."""

    config_class = ArabicIEConfig
    base_model_prefix = "encoder"
    supports_gradient_checkpointing = True

    def __init__(self, config: ArabicIEConfig):
        super().__init__(config)
        #: the word-cluster table the features read (``word_clusters``): data, not weights, so it is
        #: saved beside them (``word_clusters.tsv.gz``) and read back by :meth:`from_pretrained`
        self.word_clusters: WordClusters | None = None
        schema = config.label_schema
        encoder_config = config.encoder_config()
        try:
            self.encoder = AutoModel.from_config(encoder_config, add_pooling_layer=False)
        except TypeError:  # encoders without a pooler option (ELECTRA, ...)
            self.encoder = AutoModel.from_config(encoder_config)
        hidden = config.hidden_size
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.entity_head = nn.Linear(hidden, len(schema.entity_labels))
        self.trigger_head = nn.Linear(hidden, len(schema.trigger_labels))
        n_types = max(1, len(schema.event_types))
        self.event_type_embedding = nn.Embedding(n_types, config.event_type_embedding_size)
        self.argument_token = nn.Linear(hidden, config.argument_hidden_size)
        self.argument_trigger = nn.Linear(hidden + config.event_type_embedding_size, config.argument_hidden_size)
        self.argument_distance = nn.Embedding(2 * config.argument_max_distance + 1, config.argument_hidden_size)
        self.argument_head = nn.Linear(config.argument_hidden_size, len(schema.argument_labels))
        # nearly every (trigger, token) pair is O: weighing O down keeps the head from learning to
        # say O everywhere (a buffer, so it moves with the model and is not a parameter)
        label_weights = torch.ones(len(schema.argument_labels))
        label_weights[schema.argument_labels.index("O")] = float(getattr(config, "argument_o_weight", 1.0))
        self.register_buffer("argument_label_weights", label_weights, persistent=False)
        # most arguments are entity or TIME spans: the entity head's label probabilities as input
        self.argument_entity = (nn.Linear(len(schema.entity_labels), config.argument_hidden_size)
                                if getattr(config, "argument_entity_input", False) else None)
        # where a role's filler sits depends on the event type (a killing's victim follows it, its
        # place further on): one embedding per (type, distance) pair
        spread = 2 * config.argument_max_distance + 1
        self.argument_type_distance = (nn.Embedding(n_types * spread, config.argument_hidden_size)
                                       if getattr(config, "argument_type_distance", False) else None)
        self.char_cnn = None
        if config.char_features:
            char_vocab = config.feature_config.char_vocab
            if not char_vocab:
                raise ValueError("char_features needs a character vocabulary in features['char_vocab']")
            width = self.encoder.get_input_embeddings().embedding_dim  # ELECTRA's may differ from hidden
            self.char_cnn = CharCNN(len(char_vocab) + RESERVED, width, config.char_embedding_size,
                                    config.char_filters, config.char_kernel_sizes)
        self.char_row_letters = config.feature_config.max_word_chars  # read once, not rebuilt on every forward
        self.attributes = None
        if config.word_attributes:
            buckets = config.feature_config.attribute_buckets
            if self.char_cnn is None or not buckets:
                raise ValueError("word_attributes needs char_features and features['attribute_buckets']")
            self.attributes = AttributeEmbedding(buckets, self.char_cnn.projection.out_features,
                                                 config.attribute_embedding_size, config.feature_config.cluster_levels)
        self.char_output = (nn.Linear(self.char_cnn.projection.out_features, hidden)
                            if self.char_cnn is not None and config.char_to_output else None)
        self.lstm = BiLSTM(hidden, config.lstm_layers, config.classifier_dropout) if config.lstm_layers else None
        self.neighbours = None
        if config.neighbour_features:
            if self.attributes is None:
                raise ValueError("neighbour_features needs word_attributes: it reads the neighbours' hashed forms")
            self.neighbours = NeighbourFeatures(hidden, config.neighbour_buckets, config.neighbour_embedding_size,
                                                config.neighbour_window)
        self.entity_crf = LinearChainCRF(schema.entity_labels) if config.crf else None
        self.trigger_crf = LinearChainCRF(schema.trigger_labels) if config.crf else None
        self._allowed_mask: torch.Tensor | None = None
        self.post_init()

    @property
    def allowed_argument_labels(self) -> torch.Tensor:
        """(event types x argument labels) mask: O always, B-/I-role only for the type's roles.
        Built from the config on first use (not a buffer: ``from_pretrained`` builds modules on
        the meta device and would leave a buffer that is not in the weights file undefined)."""
        device = self.event_type_embedding.weight.device  # not a Linear: int8 quantization replaces those
        if self._allowed_mask is None or self._allowed_mask.device != device:
            self._allowed_mask = self._allowed_label_mask(self.config).to(device)
        return self._allowed_mask

    @staticmethod
    def _allowed_label_mask(config: ArabicIEConfig) -> torch.Tensor:
        schema = config.label_schema
        labels = schema.argument_labels
        mask = torch.zeros(max(1, len(schema.event_types)), len(labels), dtype=torch.bool)
        mask[:, 0] = True
        for t, event_type in enumerate(schema.event_types):
            for k, label in enumerate(labels[1:], 1):
                mask[t, k] = label[2:] in schema.allowed_roles.get(event_type, [])
        return mask

    def save_pretrained(self, save_directory: str | os.PathLike, *args: Any, **kwargs: Any) -> None:
        """``PreTrainedModel.save_pretrained``, plus the filled model card (README.md with hub
        metadata, the label schema and the evaluation table of a ``metrics.json`` beside it), so
        every saved model folder carries its card."""
        super().save_pretrained(save_directory, *args, **kwargs)
        from .card import render_model_card

        folder = Path(save_directory)
        if self.word_clusters is not None:
            self.word_clusters.write(folder / WORD_CLUSTERS_FILE)
        metrics_file = folder / "metrics.json"
        metrics = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.exists() else None
        (folder / "README.md").write_text(render_model_card(self.config, metrics), encoding="utf-8")

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: str | os.PathLike, *args: Any, **kwargs: Any) -> Any:
        """``PreTrainedModel.from_pretrained`` from a local folder, plus the word-cluster table
        saved beside the weights when the config reads one."""
        loaded = super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)
        model = loaded[0] if isinstance(loaded, tuple) else loaded
        if model.config.feature_config.cluster_levels:
            model.word_clusters = read_word_clusters(pretrained_model_name_or_path)
        return loaded

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, std=0.02)
        elif isinstance(module, nn.LayerNorm):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
               token_type_ids: torch.Tensor | None = None, char_ids: torch.Tensor | None = None) -> torch.Tensor:
        """Token states of the shared encoder (batch, tokens, hidden). With character features or
        word dropout the encoder reads embeddings: each piece's subword embedding (zeroed for
        dropped words in training) plus the character vector of its word (and, with
        ``word_attributes``, of its hashed forms; a dropped word's stem is hidden too). With ``lstm_layers``
        the BiLSTM's output is added to the states (a residual: the BiLSTM alone in their place
        learnt far slower; docs/experiments.md). With
        ``neighbour_features`` the neighbours' token ids and forms are added last, a linear path
        to the heads."""
        states = self._encoder_states(input_ids, attention_mask, token_type_ids, char_ids)
        if self.lstm is not None:
            states = states + self.lstm(states, attention_mask)
        if self.neighbours is not None and char_ids is not None:
            states = states + self.neighbours(input_ids, char_ids[..., self.char_row_letters:], attention_mask)
        return states

    def _encoder_states(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                        token_type_ids: torch.Tensor | None, char_ids: torch.Tensor | None) -> torch.Tensor:
        kwargs = {"token_type_ids": token_type_ids} if token_type_ids is not None else {}
        use_chars = self.char_cnn is not None and char_ids is not None
        drop = self.config.word_dropout if self.training else 0.0
        if not use_chars and not drop:
            return self.encoder(input_ids=input_ids, attention_mask=attention_mask, **kwargs).last_hidden_state
        embeds = self.encoder.get_input_embeddings()(input_ids)
        keep = torch.rand(input_ids.shape, device=input_ids.device) >= drop if drop else None
        if keep is not None:
            embeds = embeds * keep.unsqueeze(-1).to(embeds.dtype)
        chars = None
        if use_chars:
            letters = self.char_row_letters  # the row: letters, then form hashes
            chars = self.char_cnn(char_ids[..., :letters])
            if self.attributes is not None:
                chars = chars + self.attributes(char_ids[..., letters:], None if keep is None else ~keep)
            chars = chars.to(embeds.dtype)
            embeds = embeds + chars
        states = self.encoder(inputs_embeds=embeds, attention_mask=attention_mask, **kwargs).last_hidden_state
        if chars is not None and self.char_output is not None:
            states = states + self.char_output(chars)
        return states

    def decoding_scores(self, head: str) -> dict[str, Any]:
        """The learned CRF scores of the ``entity`` or ``trigger`` head for
        :class:`~arabic_ie.model.decoding.BioDecoder`; empty without a CRF layer."""
        crf = getattr(self, f"{head}_crf", None)
        return crf.decoding_scores() if crf is not None else {}

    def argument_logits(self, hidden: torch.Tensor, event_token_spans: torch.Tensor,
                        event_type_ids: torch.Tensor, entity_probs: torch.Tensor | None = None) -> torch.Tensor:
        """(batch, events, tokens, argument labels) for triggers given as token ranges
        ``[start, end)``; padded events have ``start == -1`` and produce ignored logits. With
        ``argument_entity_input`` each token's entity label probabilities (``entity_probs``, from
        the entity head when not given) are an input too, never trained through."""
        batch, n_tokens, _ = hidden.shape
        positions = torch.arange(n_tokens, device=hidden.device)
        starts, ends = event_token_spans[..., 0:1], event_token_spans[..., 1:2]
        in_trigger = ((positions >= starts) & (positions < ends)).to(hidden.dtype)  # (B, E, T)
        pooled = in_trigger @ hidden / in_trigger.sum(-1, keepdim=True).clamp(min=1.0)  # (B, E, H)
        types = self.event_type_embedding(event_type_ids.clamp(min=0))
        trigger_part = self.argument_trigger(torch.cat([pooled, types], dim=-1))  # (B, E, A)
        token_part = self.argument_token(hidden)  # (B, T, A)
        if self.argument_entity is not None:
            if entity_probs is None:
                entity_probs = self.entity_head(hidden).float().softmax(-1)
            token_part = token_part + self.argument_entity(entity_probs.detach().to(hidden.dtype))
        limit = self.config.argument_max_distance
        distance = (positions.view(1, 1, -1) - starts).clamp(-limit, limit) + limit  # (B, E, T)
        pair = token_part.unsqueeze(1) + trigger_part.unsqueeze(2) + self.argument_distance(distance)
        if self.argument_type_distance is not None:
            type_ids = event_type_ids.clamp(min=0).unsqueeze(-1)  # (B, E, 1)
            pair = pair + self.argument_type_distance(type_ids * (2 * limit + 1) + distance)
        pair = nn.functional.gelu(pair)
        return self.argument_head(self.dropout(pair))

    def push_to_hub(self, repo_id: str, *args: Any, tokenizer: Any = None, private: bool = False,
                    revision: str | None = None, commit_message: str = "Upload arabic-ie model",
                    token: str | None = None, **kwargs: Any) -> str:
        """Upload the model with its tokenizer and card, as ``save_model`` writes them (see
        :func:`arabic_ie.model.hub.push_saved`); without a tokenizer the repo could not be
        loaded, so one is required (or push a ``JointTagger``)."""
        from .hub import push_saved

        if tokenizer is None:
            raise ValueError("pass tokenizer=: a model repo without its tokenizer cannot be loaded "
                             "(or push the tagger: JointTagger.push_to_hub)")
        return push_saved(self, tokenizer, repo_id, private=private, revision=revision,
                          commit_message=commit_message, token=token)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        entity_labels: torch.Tensor | None = None,
        trigger_labels: torch.Tensor | None = None,
        event_token_spans: torch.Tensor | None = None,
        event_type_ids: torch.Tensor | None = None,
        argument_labels: torch.Tensor | None = None,
        char_ids: torch.Tensor | None = None,
        **unused: object,
    ) -> JointOutput:
        """Logits of every head and, with labels, the weighted sum of the heads' losses (masked
        where a record has no event layer)."""
        hidden = self.dropout(self.encode(input_ids, attention_mask, token_type_ids, char_ids))
        entity_logits = self.entity_head(hidden)
        trigger_logits = self.trigger_head(hidden)
        arg_logits = None
        if event_token_spans is not None and event_token_spans.shape[1] > 0:
            arg_logits = self.argument_logits(hidden, event_token_spans, event_type_ids,
                                              entity_logits.softmax(-1) if self.argument_entity is not None else None)
        losses: dict[str, torch.Tensor] = {}
        if entity_labels is not None:
            losses["entity"] = (crf_loss(self.entity_crf, entity_logits, entity_labels) if self.entity_crf is not None
                                else _masked_cross_entropy(entity_logits, entity_labels))
        if trigger_labels is not None:
            losses["trigger"] = (crf_loss(self.trigger_crf, trigger_logits, trigger_labels) if self.trigger_crf is not None
                                 else _masked_cross_entropy(trigger_logits, trigger_labels))
        if argument_labels is not None and arg_logits is not None:
            losses["argument"] = _masked_cross_entropy(arg_logits, argument_labels, self.argument_label_weights)
        loss = None
        if losses:
            weights = self.config.loss_weights
            loss = sum(weights.get(name, 1.0) * value for name, value in losses.items())
        return JointOutput(loss=loss, entity_logits=entity_logits, trigger_logits=trigger_logits,
                           argument_logits=arg_logits, losses=losses or None)
