"""A small random BERT with a WordPiece tokenizer trained on the training corpus.

The offline path: the hub cannot be reached everywhere (CI, air-gapped machines), and the demo
and the tests need a real, working model. Its tokenizer is trained with ``tokenizers`` on the
normalised words of the corpus, so it sees the same input as the model will at inference.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertConfig, PreTrainedTokenizerFast

from arabic_ie.data.records import Record
from arabic_ie.data.text import NormalizationConfig, normalize_word, split_words

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


@dataclass
class TinyConfig:
    vocab_size: int = 6000
    hidden_size: int = 128
    num_hidden_layers: int = 2
    num_attention_heads: int = 4
    intermediate_size: int = 256
    max_position_embeddings: int = 512


def train_wordpiece(records: Iterable[Record], vocab_size: int,
                    normalization: NormalizationConfig = NormalizationConfig()) -> PreTrainedTokenizerFast:
    """A BERT-style WordPiece tokenizer trained on the words of ``records``."""
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    corpus = (" ".join(normalize_word(w.text, normalization) for w in split_words(r.text)) for r in records)
    tokenizer.train_from_iterator(corpus, trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS))
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                   model_max_length=512)


def tiny_encoder_config(vocab_size: int, config: TinyConfig = TinyConfig()) -> BertConfig:
    return BertConfig(vocab_size=vocab_size, hidden_size=config.hidden_size,
                      num_hidden_layers=config.num_hidden_layers, num_attention_heads=config.num_attention_heads,
                      intermediate_size=config.intermediate_size,
                      max_position_embeddings=config.max_position_embeddings)
