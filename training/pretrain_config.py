"""Settings of ``arabic-ie pretrain`` (:mod:`arabic_ie.training.pretrain`), kept free of torch so
the command line builds its options from these fields without importing it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .config import ConfigError


@dataclass
class PretrainConfig:
    """Every setting of a pretraining run. The encoder's shape sets its size on disk: the
    default, saved in fp16, stays under the 16 MB the repository allows for a shipped encoder."""

    text_files: list[str] = field(default_factory=list)  # plain text (.txt, .txt.gz, one paragraph a line) or .jsonl ("text")
    heldout_files: list[str] = field(default_factory=list)  # for the perplexity at the end; never trained on
    output_dir: str = "outputs/pretrain"
    tokenizer: str | None = None  # a tokenizer folder to use as it is (else one is learnt from text_files)
    vocab_size: int = 16000
    min_frequency: int = 3
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    max_length: int = 128  # tokens per sequence, [CLS] and [SEP] included; also the encoder's positions
    batch_size: int = 64
    max_steps: int = 2000  # training steps; 0: none (the encoder keeps its initial, e.g. word2vec, embeddings)
    objective: str = "mlm"  # mlm: predict masked tokens | clusters: predict masked words' word clusters (cluster_levels)
    embeddings: str = "random"  # random | word2vec: skip-gram vectors of the WordPiece tokens start the embeddings
    word2vec_epochs: int = 3  # also of the word vectors the word clusters are learnt from
    cluster_levels: list[int] = field(default_factory=lambda: [16, 128, 1024])  # word clusters, coarse to fine; [] = none
    cluster_words: int = 60000  # the most frequent words that get clusters
    learning_rate: float = 1e-3
    warmup_steps: int = 200
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    mlm_probability: float = 0.15  # the share of tokens (mlm) or of whole words (clusters) masked
    shuffle_buffer: int = 2048  # sequences; a batch mixes this many articles' worth of text
    heldout_sequences: int = 512
    checkpoint_every: int = 100
    keep_checkpoints: int = 2
    save_dtype: str = "float16"  # the saved weights: float16 halves the folder, float32 keeps them as trained
    seed: int = 42
    mixed_precision: str = "no"  # no | fp16 | bf16 (a GPU)
    license: str = "cc-by-sa-4.0"  # the text's licence, stated on the encoder's card (share-alike text: it carries)
    name: str = "arwiki-small"  # the encoder's name on its card

    def __post_init__(self) -> None:
        if not self.text_files:
            raise ConfigError("text_files: at least one text file is needed")
        for name in ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size",
                     "batch_size", "checkpoint_every", "keep_checkpoints", "shuffle_buffer", "word2vec_epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int) or self.max_steps < 0:
            raise ConfigError(f"max_steps must be a whole number >= 0, got {self.max_steps!r}")
        if self.cluster_levels and (any(isinstance(k, bool) or not isinstance(k, int) or k < 2 for k in self.cluster_levels)
                                    or list(self.cluster_levels) != sorted(set(self.cluster_levels))):
            raise ConfigError(f"cluster_levels must be cluster counts >= 2, coarse to fine (rising), got {self.cluster_levels}")
        if isinstance(self.cluster_words, bool) or not isinstance(self.cluster_words, int) or self.cluster_words < 1:
            raise ConfigError(f"cluster_words must be a positive integer, got {self.cluster_words!r}")
        if self.embeddings not in ("random", "word2vec"):
            raise ConfigError(f"embeddings must be random or word2vec, got {self.embeddings!r}")
        if self.objective not in ("mlm", "clusters"):
            raise ConfigError(f"objective must be mlm or clusters, got {self.objective!r}")
        if self.objective == "clusters" and not self.cluster_levels:
            raise ConfigError("objective clusters predicts word clusters: cluster_levels must not be empty")
        if self.max_length < 8:
            raise ConfigError(f"max_length must be at least 8, got {self.max_length}")
        if self.hidden_size % self.num_attention_heads:
            raise ConfigError(f"hidden_size ({self.hidden_size}) must be a multiple of num_attention_heads "
                              f"({self.num_attention_heads})")
        if not 0 < self.mlm_probability < 1:
            raise ConfigError(f"mlm_probability must be in (0, 1), got {self.mlm_probability}")
        if self.save_dtype not in ("float16", "float32"):
            raise ConfigError(f"save_dtype must be float16 or float32, got {self.save_dtype!r}")
        if self.tokenizer is not None and not (Path(self.tokenizer) / "tokenizer.json").is_file():
            raise ConfigError(f"tokenizer: {self.tokenizer} holds no tokenizer.json")
        for path in [*self.text_files, *self.heldout_files]:
            if not Path(path).is_file():
                raise ConfigError(f"{path}: no such text file")
