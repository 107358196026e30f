"""A small random BERT with a WordPiece tokenizer trained on the training corpus.

The offline path: the hub cannot be reached everywhere (CI, air-gapped machines), and the demo
and the tests need a real, working model. Its tokenizer is trained with ``tokenizers`` on the
normalised words of the corpus, so it sees the same input as the model will at inference.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Iterable

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, PreTrainedTokenizerFast

from arabic_ie.data.records import Record
from arabic_ie.data.text import NormalizationConfig, normalize_word, split_words

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@dataclass
class TinyConfig:
    """Size of the offline ``tiny`` encoder, a small random BERT whose WordPiece vocabulary is
    learnt from the training data."""

    vocab_size: int = 6000
    hidden_size: int = 128
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    intermediate_size: int = 256
    max_position_embeddings: int = 512
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1


def wordpiece_vocab(word_counts: Counter[str], vocab_size: int) -> list[str]:
    """A WordPiece vocabulary learnt from word counts, deterministically: every character (as a
    word start and as a ``##`` continuation) so no word is ever unknown, then the most frequent
    whole words, word beginnings and ``##`` endings. Ties break on length, then on the string,
    so the same corpus always gives the same vocabulary (``tokenizers``' own trainer breaks ties
    by hash order, which differs between processes and would break reproducible runs)."""
    chars = sorted({c for w in word_counts for c in w})
    vocab = SPECIAL_TOKENS + chars + [f"##{c}" for c in chars]
    candidates: Counter[str] = Counter()
    for word, count in word_counts.items():
        candidates[word] += count
        for k in range(2, len(word)):
            candidates[word[:k]] += count
        for k in range(1, len(word) - 1):
            candidates[f"##{word[k:]}"] += count
    known = set(vocab)
    ranked = sorted((t for t in candidates if t not in known), key=lambda t: (-candidates[t], -len(t), t))
    return vocab + ranked[: max(0, vocab_size - len(vocab))]


def train_wordpiece(records: Iterable[Record], vocab_size: int,
                    normalization: NormalizationConfig = NormalizationConfig()) -> PreTrainedTokenizerFast:
    """A BERT-style WordPiece tokenizer (``tokenizers``' normaliser, pre-tokeniser and WordPiece
    model) whose vocabulary is learnt from the normalised words of ``records``."""
    normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    counts: Counter[str] = Counter()
    for record in records:
        text = " ".join(normalize_word(w.text, normalization) for w in split_words(record.text))
        counts.update(piece for piece, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(text)))
    vocab = wordpiece_vocab(counts, vocab_size)
    tokenizer = Tokenizer(models.WordPiece({t: i for i, t in enumerate(vocab)}, unk_token="[UNK]",
                                           max_input_chars_per_word=100))
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.WordPiece()
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                   model_max_length=512)


def tiny_encoder_config(vocab_size: int, config: TinyConfig = TinyConfig()) -> BertConfig:
    """The BertConfig of a tiny encoder for a tokenizer of that vocabulary."""
    return BertConfig(vocab_size=vocab_size, hidden_size=config.hidden_size,
                      num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
                      intermediate_size=config.intermediate_size,
                      max_position_embeddings=config.max_position_embeddings,
                      hidden_dropout_prob=config.hidden_dropout_prob,
                      attention_probs_dropout_prob=config.attention_probs_dropout_prob)
