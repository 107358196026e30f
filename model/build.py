"""Building a fresh joint model for training: from any hub encoder or local folder, from the
encoder pretrained on Arabic Wikipedia that ships with the package (``arwiki-small``), or from
``tiny``, a random encoder (offline, from scratch)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Sequence

import torch
from transformers import AutoModel, AutoTokenizer

from arabic_ie.data.chars import char_vocabulary
from arabic_ie.data.features import FeatureConfig
from arabic_ie.data.records import Record
from arabic_ie.data.schema import LabelSchema
from arabic_ie.data.text import normalize_word, split_words
from arabic_ie.data.word_clusters import WORD_CLUSTERS_FILE, WordClusters, read_word_clusters

from .configuration import ArabicIEConfig
from .modeling import ArabicIEModel
from .tiny import TinyConfig, tiny_encoder_config, train_wordpiece

TINY = "tiny"
#: the encoder ``arabic-ie pretrain`` built from Arabic Wikipedia, shipped in the package (its card: README.md there)
SHIPPED_ENCODER = "arwiki-small"
SHIPPED_ENCODER_DIR = Path(__file__).resolve().parent / "pretrained" / SHIPPED_ENCODER
logger = logging.getLogger(__name__)
ATTRIBUTE_BUCKETS = 1 << 15  # hash rows for word forms: ANERcorp's training words have 19k distinct stems, 33k forms in all


#: encoders whose position ids start at ``pad_token_id + 1``, so that many positions are unusable
OFFSET_POSITION_MODELS = frozenset({"roberta", "xlm-roberta", "camembert", "data2vec-text", "longformer",
                                    "xlm-roberta-xl", "roberta-prelayernorm"})


def resolve_base_model(base_model: str) -> str:
    """The hub id or folder to load for ``base_model``: the shipped encoder's folder for its
    name; ``tiny`` (from scratch, with a warning that says so) when that folder is missing."""
    if base_model != SHIPPED_ENCODER:
        return base_model
    if (SHIPPED_ENCODER_DIR / "config.json").is_file():
        return str(SHIPPED_ENCODER_DIR)
    logger.warning("no pretrained encoder at %s: training the 'tiny' encoder from scratch instead, which reads "
                   "text it has not seen far worse (rebuild it with the `arabic-ie pretrain` command in the README)",
                   SHIPPED_ENCODER_DIR)
    return TINY


def word_clusters_for(source: str) -> WordClusters | None:
    """The word clusters a model on ``source`` reads: the encoder folder's own (``arabic-ie pretrain``
    writes them); for any other encoder (``tiny``, a hub id) the shipped encoder's, since clusters
    are of words, not of one vocabulary; none, with a warning, when those are missing too (the job still runs)."""
    own = read_word_clusters(source) if source != TINY else None  # None for a hub id or a folder without one
    if own is not None:
        return own
    clusters = read_word_clusters(SHIPPED_ENCODER_DIR)
    if clusters is None:
        logger.warning("word_clusters: neither %s nor %s holds %s; training without word clusters", source,
                       SHIPPED_ENCODER_DIR, WORD_CLUSTERS_FILE)
    elif source != TINY:
        logger.info("word_clusters: %s has no %s; reading the shipped encoder's", source, WORD_CLUSTERS_FILE)
    return clusters


def build_model(base_model: str, schema: LabelSchema, features: FeatureConfig,
                train_records: Sequence[Record], tiny: TinyConfig | None = None,
                **head_settings: Any) -> tuple[ArabicIEModel, Any]:
    """A joint model with fresh heads on ``base_model``'s pretrained encoder (a hub id or a local
    folder of a BERT/ELECTRA/RoBERTa-family model), or on a random ``tiny`` BERT whose tokenizer
    is trained on ``train_records``. With ``char_features=True`` the character vocabulary is
    learnt from ``train_records`` too, and ``word_attributes=True`` adds hashed form ids to each
    word's row. Returns the model and its tokenizer."""
    source = resolve_base_model(base_model)
    if source == TINY:
        base_model = TINY
        tokenizer = train_wordpiece(train_records, (tiny or TinyConfig()).vocab_size, features.normalization)
        encoder_config, pretrained = tiny_encoder_config(len(tokenizer), tiny or TinyConfig()), None
    else:
        tokenizer = AutoTokenizer.from_pretrained(source)
        if getattr(tokenizer, "add_prefix_space", None) is False:  # byte-level BPE (RoBERTa) on pre-split words
            tokenizer = AutoTokenizer.from_pretrained(source, add_prefix_space=True)
        if not getattr(tokenizer, "is_fast", False):
            raise ValueError(f"{base_model}: arabic-ie needs a fast tokenizer (tokenizer.json) for word alignment")
        # weights saved in half precision (the shipped encoder, many hub checkpoints) are trained in
        # float32: a config saying float16 would build fp16 layers under the fp32 heads
        pretrained = AutoModel.from_pretrained(source, dtype=torch.float32)
        encoder_config = pretrained.config
        encoder_config.dtype = "float32"
    limit = min(int(getattr(encoder_config, "max_position_embeddings", 512)), int(tokenizer.model_max_length or 512))
    if getattr(encoder_config, "model_type", "") in OFFSET_POSITION_MODELS:  # positions start after the padding index
        limit = min(limit, int(encoder_config.max_position_embeddings) - int(encoder_config.pad_token_id or 0) - 1)
    if features.max_length > limit:  # windows never exceed what the encoder's positions allow
        features.max_length = limit
        features.stride = min(features.stride, limit // 4)
    if head_settings.get("char_features") and not features.char_vocab:
        features.char_vocab = char_vocabulary(normalize_word(w.text, features.normalization)
                                              for r in train_records for w in split_words(r.text))
    if head_settings.get("word_attributes") and not features.attribute_buckets:
        features.attribute_buckets = ATTRIBUTE_BUCKETS
    clusters = word_clusters_for(source) if head_settings.get("word_clusters") else None
    if clusters is not None:
        features.cluster_levels = len(clusters.levels)
    config = ArabicIEConfig(encoder=encoder_config.to_dict(), schema=schema.to_dict(), features=features.to_dict(),
                            base_model=base_model, **head_settings)
    model = ArabicIEModel(config)
    model.word_clusters = clusters
    if pretrained is not None:
        missing, unexpected = model.encoder.load_state_dict(pretrained.state_dict(), strict=False)
        if missing:
            raise ValueError(f"{base_model}: encoder weights missing after loading: {missing[:5]}")
    return model, tokenizer
