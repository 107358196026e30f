"""Pretraining an encoder from plain Arabic text: a WordPiece tokenizer, then a small BERT
trained as a masked-language model (``objective: mlm``) or to predict masked words' clusters
(``objective: clusters``, :mod:`.masked_clusters`), through ``accelerate`` (CPU, or a GPU when
there is one; same command).

The text goes through the very word splitting and AraBERT normalisation that fine-tuning and
inference apply (:func:`arabic_ie.data.text.normalize_word`), so the encoder learns the input it
will later be fed. The output folder is a standard Hugging Face folder (``config.json``,
``model.safetensors``, tokenizer) that ``AutoModel.from_pretrained`` loads and ``arabic-ie train
--model DIR`` fine-tunes exactly as it fine-tunes AraBERT.

Input is streamed: lines are read, normalised, tokenised and packed into fixed-length sequences
as the loop needs them, through a seeded shuffle buffer, so memory stays constant on any amount
of text. Checkpoints hold the model, optimizer, scheduler, RNG states and the stream's position
(file, line, the tokens carried over and the shuffle buffer), so a run killed with ``kill -9``
and restarted with ``resume=True`` trains on the very batches it would have seen.
"""
from __future__ import annotations

import copy
import gzip
import json
import logging
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from tqdm.auto import tqdm
from transformers import BertConfig, BertForMaskedLM, DataCollatorForLanguageModeling, PreTrainedTokenizerFast, get_scheduler

from arabic_ie.data.fileio import install_folder
from arabic_ie.data.locks import exclusive_lock
from arabic_ie.data.text import NormalizationConfig, normalize_word, split_words
from arabic_ie.data.word_clusters import WORD_CLUSTERS_FILE, WordClusters
from arabic_ie.model.tiny import SPECIAL_TOKENS

from .checkpoints import CHECKPOINTS, latest_checkpoint, write_checkpoint
from .config import ConfigError
from .masked_clusters import ClusterTargets, MaskedClusterModel, masked_cluster_batch, target_entropy
from .pretrain_config import PretrainConfig

logger = logging.getLogger(__name__)
TOKENIZER = "tokenizer"
PRETRAINING_FILE = "pretraining.json"


# -- text -------------------------------------------------------------------------------------
def read_lines(path: str | Path) -> Iterator[str]:
    """The non-empty paragraphs of one text file: plain or gzip text one paragraph a line, or
    JSON lines whose ``text`` field is taken (the unlabelled side of an annotated corpus)."""
    path = str(path)
    opener = gzip.open if path.endswith(".gz") else open
    json_lines = path.endswith((".jsonl", ".jsonl.gz"))
    with opener(path, "rt", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if json_lines:
                try:
                    line = json.loads(line)["text"] if line.strip() else ""
                except (ValueError, KeyError, TypeError) as err:
                    raise ConfigError(f"{path}, line {number}: not a JSON record with a 'text' field ({err})") from None
            line = line.strip()
            if line:
                yield line


def normalised_text(line: str, normalization: NormalizationConfig = NormalizationConfig()) -> str:
    """A paragraph as fine-tuning and inference feed it to the tokenizer: split into words,
    each word normalised as AraBERT v0.2 does."""
    return " ".join(normalize_word(w.text, normalization) for w in split_words(line))


def train_tokenizer(files: Iterable[str], vocab_size: int, min_frequency: int = 3) -> PreTrainedTokenizerFast:
    """A BERT WordPiece tokenizer learnt by ``tokenizers``' trainer from the normalised text of
    ``files``, streamed. Its normaliser and pre-tokeniser are those of the ``tiny`` tokenizer
    (no lowercasing or accent stripping: hamza forms stay apart)."""
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=False, strip_accents=False)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=SPECIAL_TOKENS, show_progress=False)
    tokenizer.train_from_iterator((normalised_text(line) for path in files for line in read_lines(path)), trainer)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")


@dataclass
class StreamState:
    """Where the packed-sequence stream is: saved in every checkpoint, so resume goes on at the
    same line with the same carried-over tokens and the same shuffle buffer."""

    passes: int = 0  # completed passes over all the files
    file_index: int = 0
    line_index: int = 0  # lines of that file already read
    carry: list[int] = field(default_factory=list)  # tokens read but not yet in a sequence
    buffer: list[list[int]] = field(default_factory=list)
    rng_state: Any = None

    def state_dict(self) -> dict[str, Any]:
        """The stream position, for ``accelerate``'s checkpoint."""
        return asdict(self)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the stream position from a checkpoint."""
        self.__dict__.update(state)


class SequenceStream:
    """Packed token sequences from text files, endlessly (pass after pass), through a seeded
    shuffle buffer. Paragraphs follow each other in a sequence, so an article's context carries
    across paragraph breaks; each sequence is ``[CLS] tokens [SEP]``."""

    def __init__(self, files: list[str], tokenizer: PreTrainedTokenizerFast, max_length: int,
                 buffer_size: int, seed: int, state: StreamState | None = None):
        self.files, self.tokenizer, self.buffer_size = files, tokenizer, buffer_size
        self.body = max_length - 2
        self.state = state or StreamState()
        if self.state.rng_state is None:
            self.state.rng_state = random.Random(seed).getstate()

    def _sequences(self) -> Iterator[list[int]]:
        """Unshuffled sequences from where the state says, advancing it line by line."""
        state = self.state
        while True:
            path = self.files[state.file_index]
            for number, line in enumerate(read_lines(path)):
                if number < state.line_index:
                    continue
                state.line_index = number + 1
                state.carry.extend(self.tokenizer.backend_tokenizer.encode(normalised_text(line), add_special_tokens=False).ids)
                while len(state.carry) >= self.body:
                    piece, state.carry = state.carry[: self.body], state.carry[self.body:]
                    yield [self.tokenizer.cls_token_id, *piece, self.tokenizer.sep_token_id]
            state.file_index, state.line_index = state.file_index + 1, 0
            if state.file_index == len(self.files):
                state.file_index, state.passes = 0, state.passes + 1

    def __iter__(self) -> Iterator[list[int]]:
        source = self._sequences()
        rng = random.Random()
        rng.setstate(_as_random_state(self.state.rng_state))
        while True:
            while len(self.state.buffer) < self.buffer_size:
                self.state.buffer.append(next(source))
            pick = rng.randrange(len(self.state.buffer))
            self.state.buffer[pick], self.state.buffer[-1] = self.state.buffer[-1], self.state.buffer[pick]
            self.state.rng_state = rng.getstate()
            yield self.state.buffer.pop()


def _as_random_state(state: Any) -> tuple:
    """``random.Random`` state back from its JSON-ish checkpoint form (lists for tuples)."""
    version, internal, gauss = state
    return version, tuple(internal), gauss


def heldout_sequences(files: list[str], tokenizer: PreTrainedTokenizerFast, max_length: int, count: int) -> list[list[int]]:
    """The first ``count`` packed sequences of the held-out files, unshuffled."""
    stream = SequenceStream(files, tokenizer, max_length, buffer_size=1, seed=0)
    out: list[list[int]] = []
    for sequence in stream._sequences():
        out.append(sequence)
        if len(out) == count or stream.state.passes:
            break
    return out


def _skipgram(lines: Iterable[str], work: Path, name: str, size: int, window: int, min_count: int,
              epochs: int, seed: int) -> Any:
    """Skip-gram word2vec (gensim) over space-separated ``lines``, written once to ``work``
    (streamed, then removed): gensim's file reader trains on all cores without holding the text."""
    try:
        from gensim.models import Word2Vec
    except ImportError as err:
        raise ConfigError("word2vec embeddings and word clusters need gensim: pip install 'arabic-ie[pretrain]'") from err
    corpus = work / f"{name}.txt"
    try:
        with open(corpus, "w", encoding="utf-8") as out:
            for line in lines:
                out.write(line + "\n")
        return Word2Vec(corpus_file=str(corpus), vector_size=size, window=window, min_count=min_count, sg=1,
                        negative=5, workers=max(1, torch.get_num_threads()), epochs=epochs, seed=seed).wv
    finally:
        corpus.unlink(missing_ok=True)


def word2vec_vectors(files: list[str], tokenizer: PreTrainedTokenizerFast, size: int, epochs: int, seed: int,
                     work: Path) -> dict[str, Any]:
    """Skip-gram vectors of the WordPiece tokens of ``files``: static knowledge of which tokens
    occur in like contexts, learnt in minutes on a CPU where a masked LM needs far more text and time."""
    backend = tokenizer.backend_tokenizer
    lines = (" ".join(backend.encode(normalised_text(line), add_special_tokens=False).tokens)
             for path in files for line in read_lines(path))
    vectors = _skipgram(lines, work, "word2vec-tokens", size, 5, 1, epochs, seed)
    return {token: vectors[token] for token in vectors.index_to_key}


def kmeans(points: torch.Tensor, k: int, seed: int, iterations: int = 25) -> tuple[torch.Tensor, torch.Tensor]:
    """Spherical k-means of unit ``points``: (centroids, each point's cluster). Starts from ``k``
    points drawn with ``seed``; an emptied cluster keeps its centroid."""
    generator = torch.Generator().manual_seed(seed)
    centroids = points[torch.randperm(len(points), generator=generator)[:k]].clone()
    for _ in range(iterations):
        assign = torch.cat([(chunk @ centroids.T).argmax(1) for chunk in points.split(8192)])
        sums = torch.zeros_like(centroids).index_add_(0, assign, points)
        counts = torch.bincount(assign, minlength=k).unsqueeze(1)
        centroids = torch.nn.functional.normalize(torch.where(counts > 0, sums, centroids), dim=1)
    return centroids, assign


def word_clusters(files: list[str], levels: list[int], max_words: int, epochs: int, seed: int,
                  work: Path) -> WordClusters:
    """Clusters of the ``max_words`` most frequent normalised words of ``files`` (seen 3 times at
    least): skip-gram vectors with a narrow window (3 words, so a cluster gathers words of one
    kind: names, places, months, offices), spherical k-means into ``levels[-1]`` clusters, and
    the coarser levels by k-means of those clusters' centroids (a hierarchy, as Brown clusters' prefixes are)."""
    lines = (normalised_text(line) for path in files for line in read_lines(path))
    vectors = _skipgram(lines, work, "word2vec-words", 100, 3, 3, epochs, seed)
    words = vectors.index_to_key[:max_words]
    if len(words) < levels[-1]:
        raise ConfigError(f"cluster_levels: {levels[-1]} clusters of {len(words)} words (the text is too small)")
    points = torch.nn.functional.normalize(torch.as_tensor(vectors.vectors[:len(words)]).float(), dim=1)
    finest, assign = kmeans(points, levels[-1], seed)
    per_level = [kmeans(finest, k, seed)[1][assign] for k in levels[:-1]] + [assign]
    ids = torch.stack(per_level, dim=1).tolist()
    return WordClusters(tuple(levels), {word: tuple(row) for word, row in zip(words, ids)})


def set_embeddings(model: BertForMaskedLM, tokenizer: PreTrainedTokenizerFast, vectors: dict[str, Any]) -> int:
    """Token embeddings from ``vectors`` (rescaled to the spread of BERT's own initialisation, so
    they sit beside the position embeddings as trained ones would); returns how many were set."""
    import numpy as np

    found = {tokenizer.convert_tokens_to_ids(t): v for t, v in vectors.items() if t in tokenizer.get_vocab()}
    if not found:
        return 0
    scale = 2.5 * model.config.initializer_range / float(np.stack(list(found.values())).std())
    weight = model.get_input_embeddings().weight
    with torch.no_grad():
        for index, vector in found.items():
            weight[index] = torch.as_tensor(vector * scale, dtype=weight.dtype)
    return len(found)


# -- model ------------------------------------------------------------------------------------
def masked_lm_loss(model: BertForMaskedLM, input_ids: torch.Tensor, labels: torch.Tensor,
                   attention_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, int]:
    """Cross-entropy over the masked positions only. ``BertForMaskedLM.forward`` projects every
    position onto the vocabulary; with 15% of positions masked, projecting only those saves most
    of the work of the output layer, the largest matrix product of a small encoder."""
    hidden = model.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
    masked = labels != -100
    logits = model.cls(hidden[masked])
    return torch.nn.functional.cross_entropy(logits.float(), labels[masked]), int(masked.sum())


class MaskedPositionsLM(torch.nn.Module):
    """A ``BertForMaskedLM`` whose forward is :func:`masked_lm_loss`: the module ``accelerate``
    wraps, so that with several processes the gradients are synchronised through its forward."""

    def __init__(self, mlm: BertForMaskedLM):
        super().__init__()
        self.mlm = mlm

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, int]:
        """The masked-position loss and how many positions it read."""
        return masked_lm_loss(self.mlm, input_ids, labels)


def flops_per_token(config: BertConfig, mlm_probability: float, outputs: int | None = None) -> float:
    """Training FLOPs per input token (forward and backward, 3x the forward): the encoder's
    matrix products, attention over the sequence, and the output layer (``outputs`` classes, the
    vocabulary by default) over the masked share of tokens."""
    h, i, n = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    per_layer = 2 * (4 * h * h + 2 * h * i) + 2 * 2 * config.max_position_embeddings * h
    head = 2 * (h * h + h * (outputs or config.vocab_size)) * mlm_probability
    return 3 * (n * per_layer + head)


def matmul_rate(seconds: float = 1.0, size: int = 1024) -> float:
    """This machine's fp32 matrix-product rate in FLOP/s, measured now: the ceiling that a
    tokens-per-second figure is read against."""
    generator = torch.Generator().manual_seed(0)  # never the global one: a resumed run's masks depend on it
    a, b = torch.randn(size, size, generator=generator), torch.randn(size, size, generator=generator)
    a @ b  # warm-up
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        done += 1
    return done * 2 * size ** 3 / (time.perf_counter() - start)


def rebuild_command(config: dict[str, Any]) -> str:
    """The ``arabic-ie pretrain`` command line that gives this run's settings."""
    default = asdict(PretrainConfig(text_files=config["text_files"]))
    words = ["arabic-ie pretrain"]
    for key, value in config.items():
        if key in ("text_files", "heldout_files") or (value != default.get(key) and value is not None):
            option = "--" + key.replace("_", "-")
            words.append(f"{option} {' '.join(map(str, value))}" if isinstance(value, list) else f"{option} {value}")
    return " \\\n    ".join(words)


def heldout_figure(result: dict[str, Any], held: str, vocab_size: int) -> str:
    """The card's line on held-out text: the masked-token perplexity, or the masked words' cluster loss."""
    if result.get("heldout_cluster_loss") is not None:
        return (f"masked words' cluster loss {result['heldout_cluster_loss']:.2f} nats, summed over the levels, on {held} "
                f"(the best guess without context: {result['heldout_cluster_entropy']:.2f})")
    if result["heldout_perplexity"]:
        return f"perplexity {result['heldout_perplexity']:.1f} (masked tokens of {held}; a uniform guess scores {vocab_size:,})"
    return "not measured: no training step ran, so the prediction head is untrained"


def encoder_card(result: dict[str, Any], config: BertConfig) -> str:
    """The encoder's card: what it is, what text it read and how long, how well it predicts held-out
    text, its licence, and the command that rebuilds it."""
    cfg = result["config"]
    params = result["parameters"]
    files = ", ".join(f"`{'/'.join(Path(f).parts[-2:])}`" for f in cfg["text_files"])
    held = ", ".join(f"`{'/'.join(Path(f).parts[-2:])}`" for f in cfg["heldout_files"]) or "none"
    embeddings = (f"skip-gram word2vec vectors of the WordPiece tokens (gensim, {cfg['word2vec_epochs']} epochs, "
                  f"{result['word2vec_seconds'] / 60:.0f} min)" if cfg.get("embeddings") == "word2vec" else "random initialisation")
    task = ("whole words masked and their clusters predicted at every level" if cfg.get("objective") == "clusters"
            else "masked tokens predicted")
    steps = (f"{result['steps']:,} of {cfg['batch_size']} sequences x {cfg['max_length']} tokens, {task} (learning rate "
             f"{cfg['learning_rate']}): {result['tokens']:,} tokens, {result['passes']} full passes over the text"
             if result["steps"] else "none: the transformer layers keep their random initialisation, and the knowledge "
             "of unlabelled text is in the token embeddings")
    clusters = (f"the {cfg['cluster_words']:,} most frequent words in {' / '.join(map(str, cfg['cluster_levels']))} clusters "
                f"(`{WORD_CLUSTERS_FILE}`: skip-gram word vectors, window 3, spherical k-means; "
                f"{result.get('cluster_seconds', 0) / 60:.0f} min)" if cfg.get("cluster_levels") else "none")
    rate = (f", {result['tokens_per_second']:,} tokens/s, {100 * result['matmul_share']:.0f}% of the machine's matmul rate"
            if result["steps"] else "")
    return f"""---
license: {cfg['license']}
language:
- ar
library_name: transformers
pipeline_tag: fill-mask
tags:
- arabic
- bert
- arabic-ie
---

# {cfg['name']}

A small BERT ({config.num_hidden_layers} layers, hidden size {config.hidden_size}, {config.num_attention_heads} heads, about
{params / 1e6:.1f}M parameters, {config.vocab_size:,} WordPiece tokens, sequences of {config.max_position_embeddings}) built by
`arabic-ie pretrain` from unlabelled Arabic text (how: the table), to be fine-tuned with
`arabic-ie train --model {cfg['name']}` (or this folder's path). The text was normalised as fine-tuning and inference normalise it (AraBERT v0.2:
diacritics and tatweel removed, digits mapped, URLs and mentions as placeholders). Weights are stored
in float16; `AutoModel.from_pretrained` loads them as float32.

| | |
|---|---|
| text | {files} |
| token embeddings | {embeddings} |
| word clusters | {clusters} |
| training steps | {steps} |
| time | {(result['train_seconds'] + result.get('word2vec_seconds', 0) + result.get('cluster_seconds', 0)) / 60:.0f} min on {result['device']} ({result['processes']} process){rate} |
| held-out | {heldout_figure(result, held, config.vocab_size)} |

## Licence

{cfg['license']}: the licence of the text it was trained on; a share-alike licence carries to
the weights and to models fine-tuned from them.

## Rebuild

```bash
{rebuild_command(cfg)}
```

The tokenizer's trainer breaks ties between equally frequent merges in hash order, so a rebuild
may differ in a few vocabulary entries; resuming a killed run (`--resume`) gives exactly the
weights of an uninterrupted one.
"""


class PretrainState:
    """The loop's position and running figures; saved in every checkpoint."""

    def __init__(self) -> None:
        self.step = 0
        self.tokens = 0
        self.seconds = 0.0

    def state_dict(self) -> dict[str, Any]:
        """The loop position, for ``accelerate``'s checkpoint."""
        return dict(self.__dict__)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the loop position from a checkpoint."""
        self.__dict__.update(state)


class Pretrainer:
    """One pretraining run: tokenizer (trained once and kept in the output folder), then the
    training loop, checkpoints, the held-out figures and the final folder."""

    def __init__(self, config: PretrainConfig):
        self.config = config
        self.output = Path(config.output_dir)
        self.accelerator = Accelerator(mixed_precision=config.mixed_precision)
        self.state = PretrainState()
        self.stream_state = StreamState()

    def run(self, resume: bool = False) -> dict[str, Any]:
        """Pretrain, holding a lock on the output folder (a second run into it fails at once)."""
        self.output.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.output, "pretraining --output folder"):
            return self._run(resume)

    def _latest_checkpoint(self) -> Path | None:
        return latest_checkpoint(self.output)

    def _tokenizer(self, resume: bool) -> PreTrainedTokenizerFast:
        folder = self.output / TOKENIZER
        if resume and (folder / "tokenizer.json").exists():
            return PreTrainedTokenizerFast.from_pretrained(folder)
        started = time.time()
        if self.config.tokenizer:
            tokenizer = PreTrainedTokenizerFast.from_pretrained(self.config.tokenizer)
        else:  # tokenizers' trainer breaks ties by hash order: two trainings may differ in a few tokens
            tokenizer = train_tokenizer(self.config.text_files, self.config.vocab_size, self.config.min_frequency)
        tokenizer.model_max_length = self.config.max_length
        tmp = folder.with_name(f".{folder.name}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tokenizer.save_pretrained(tmp)
        install_folder(tmp, folder)
        self.accelerator.print(f"tokenizer: {len(tokenizer)} WordPiece tokens ({self.config.tokenizer or f'learnt in {time.time() - started:.0f} s'})")
        return tokenizer

    def _run(self, resume: bool) -> dict[str, Any]:
        cfg, acc = self.config, self.accelerator
        if resume and self._latest_checkpoint() is None:
            raise ConfigError(f"--resume: {self.output / CHECKPOINTS} holds no complete checkpoint to resume from; "
                              "run without --resume to start afresh")
        if not resume:
            shutil.rmtree(self.output / CHECKPOINTS, ignore_errors=True)
        set_seed(cfg.seed)
        tokenizer = self._tokenizer(resume)
        encoder_config = BertConfig(vocab_size=len(tokenizer), hidden_size=cfg.hidden_size,
                                    num_hidden_layers=cfg.num_hidden_layers, num_attention_heads=cfg.num_attention_heads,
                                    intermediate_size=cfg.intermediate_size, max_position_embeddings=cfg.max_length,
                                    pad_token_id=tokenizer.pad_token_id)
        model = BertForMaskedLM(encoder_config)
        self._word_clusters()
        self.word2vec_seconds = 0.0
        if cfg.embeddings == "word2vec" and self._latest_checkpoint() is None:
            started = time.time()
            vectors = word2vec_vectors(cfg.text_files, tokenizer, cfg.hidden_size, cfg.word2vec_epochs, cfg.seed, self.output)
            acc.print(f"word2vec: {set_embeddings(model, tokenizer, vectors)} of {len(tokenizer)} token embeddings "
                      f"set in {time.time() - started:.0f} s")
            self.word2vec_seconds = time.time() - started
        trained, make_batch, outputs = self._objective(model, tokenizer)
        decay = [p for p in trained.parameters() if p.ndim >= 2]
        no_decay = [p for p in trained.parameters() if p.ndim < 2]
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                                       {"params": no_decay, "weight_decay": 0.0}],
                                      lr=cfg.learning_rate, betas=(0.9, 0.98), eps=1e-6)
        scheduler = get_scheduler("linear", optimizer, num_warmup_steps=cfg.warmup_steps, num_training_steps=cfg.max_steps)
        trained, optimizer, scheduler = acc.prepare(trained, optimizer, scheduler)
        acc.register_for_checkpointing(self.state, self.stream_state)
        checkpoint = self._latest_checkpoint() if resume else None
        if checkpoint is not None:
            acc.load_state(str(checkpoint))
            acc.print(f"Resuming from {checkpoint} (step {self.state.step})")
        stream = iter(SequenceStream(cfg.text_files, tokenizer, cfg.max_length, cfg.shuffle_buffer, cfg.seed,
                                     self.stream_state))
        per_token = flops_per_token(encoder_config, cfg.mlm_probability, outputs)
        peak = matmul_rate()
        acc.print(f"encoder: {sum(p.numel() for p in trained.parameters()) / 1e6:.1f}M parameters, "
                  f"{per_token / 1e6:.0f} MFLOP per training token; this machine's matmul rate {peak / 1e9:.0f} GFLOP/s")
        progress = tqdm(total=cfg.max_steps, initial=self.state.step, desc="Pretraining", dynamic_ncols=True,
                        disable=not acc.is_local_main_process)
        trained.train()
        while self.state.step < cfg.max_steps:
            started = time.perf_counter()
            # each process takes its own share of every global batch, so the stream advances alike on all
            sequences = [next(stream) for _ in range(cfg.batch_size * acc.num_processes)][acc.process_index::acc.num_processes]
            loss, _ = trained(**{k: v.to(acc.device) for k, v in make_batch(sequences).items()})
            acc.backward(loss)
            acc.clip_grad_norm_(trained.parameters(), cfg.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            tokens = sum(len(s) for s in sequences) * acc.num_processes
            elapsed = time.perf_counter() - started
            self.state.step += 1
            self.state.tokens += tokens
            self.state.seconds += elapsed
            rate = tokens / elapsed
            progress.update(1)
            progress.set_postfix(loss=f"{loss.item():.3f}", tok_s=f"{rate:.0f}",
                                 matmul=f"{100 * rate * per_token / acc.num_processes / peak:.0f}%")
            if self.state.step % cfg.checkpoint_every == 0 or self.state.step == cfg.max_steps:
                self._save_checkpoint()
        progress.close()
        return self._finish(acc.unwrap_model(trained), make_batch, per_token, peak, tokenizer)

    def _objective(self, model: BertForMaskedLM, tokenizer: PreTrainedTokenizerFast) -> tuple[torch.nn.Module, Any, int]:
        """The trained module, the function that makes its batch from packed sequences, and its
        output classes: the vocabulary (mlm) or the clusters of every level (clusters)."""
        cfg = self.config
        if cfg.objective == "clusters":
            clusters = WordClusters.read(self.output / WORD_CLUSTERS_FILE)
            targets = ClusterTargets(tokenizer, clusters)
            return (MaskedClusterModel(model, clusters.levels),
                    lambda sequences: masked_cluster_batch(sequences, targets, cfg.mlm_probability),
                    sum(k + 1 for k in clusters.levels))
        collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=cfg.mlm_probability)

        def mlm_batch(sequences: list[list[int]]) -> dict[str, torch.Tensor]:
            batch = collator([{"input_ids": s} for s in sequences])
            return {"input_ids": batch["input_ids"], "labels": batch["labels"]}
        return MaskedPositionsLM(model), mlm_batch, len(tokenizer)

    def _word_clusters(self) -> None:
        """Learn the word-cluster table into the output folder (kept there: a resumed run reuses it)."""
        cfg, path = self.config, self.output / WORD_CLUSTERS_FILE
        self.cluster_seconds = 0.0
        if not cfg.cluster_levels or path.is_file():
            return
        started = time.time()
        clusters = word_clusters(cfg.text_files, cfg.cluster_levels, cfg.cluster_words, cfg.word2vec_epochs, cfg.seed,
                                 self.output)
        if self.accelerator.is_main_process:
            clusters.write(path.with_name(path.name + ".tmp"))
            path.with_name(path.name + ".tmp").replace(path)
        self.cluster_seconds = time.time() - started
        self.accelerator.print(f"word clusters: {len(clusters.table):,} words in {'/'.join(map(str, cfg.cluster_levels))} "
                               f"clusters, learnt in {self.cluster_seconds:.0f} s")

    def _save_checkpoint(self) -> None:
        write_checkpoint(self.accelerator, self.output, f"step-{self.state.step:09d}", self.config.keep_checkpoints)

    @torch.no_grad()
    def heldout(self, trained: torch.nn.Module, make_batch: Any, tokenizer: PreTrainedTokenizerFast) -> dict[str, Any]:
        """How well the trained module predicts the held-out files, with masks drawn from a fixed
        seed so two models are compared on the same positions: the masked-token perplexity (mlm),
        or the masked words' cluster loss beside the best loss without context (clusters)."""
        figures: dict[str, Any] = {"heldout_perplexity": None}
        if not self.config.heldout_files or self.state.step == 0:  # no step: the prediction head is untrained
            return figures
        sequences = heldout_sequences(self.config.heldout_files, tokenizer, self.config.max_length,
                                      self.config.heldout_sequences)
        was_training, total, count, labels = trained.training, 0.0, 0, []
        trained.eval()
        rng_state = torch.get_rng_state()
        torch.manual_seed(1234)
        for start in range(0, len(sequences), self.config.batch_size):
            batch = make_batch(sequences[start:start + self.config.batch_size])
            loss, masked = trained(**{k: v.to(self.accelerator.device) for k, v in batch.items()})
            total, count = total + loss.item() * masked, count + masked
            labels.append(batch["labels"])
        torch.set_rng_state(rng_state)
        trained.train(was_training)
        if self.config.objective == "clusters":
            levels = tuple(head.out_features - 1 for head in trained.heads)
            return {**figures, "heldout_cluster_loss": round(total / max(count, 1), 3),
                    "heldout_cluster_entropy": round(target_entropy(torch.cat(labels), levels), 3)}
        return {**figures, "heldout_perplexity": math.exp(total / max(count, 1))}

    def _finish(self, trained: torch.nn.Module, make_batch: Any, per_token: float, peak: float,
                tokenizer: PreTrainedTokenizerFast) -> dict[str, Any]:
        """Held-out figures, then the encoder folder written atomically (``OUTPUT/encoder``)."""
        acc, cfg, model = self.accelerator, self.config, trained.mlm
        result = {"steps": self.state.step, "tokens": self.state.tokens, "embeddings": cfg.embeddings,
                  "parameters": sum(p.numel() for p in model.parameters()),
                  "word2vec_seconds": round(self.word2vec_seconds, 1),
                  "cluster_seconds": round(self.cluster_seconds, 1),
                  "train_seconds": round(self.state.seconds, 1),
                  "tokens_per_second": round(self.state.tokens / max(self.state.seconds, 1e-9)),
                  "matmul_share": round(self.state.tokens / max(self.state.seconds, 1e-9) * per_token
                                        / acc.num_processes / peak, 3),
                  **self.heldout(trained, make_batch, tokenizer),
                  "passes": self.stream_state.passes, "config": asdict(cfg),
                  "device": str(acc.device), "processes": acc.num_processes}
        if not acc.is_main_process:
            return result
        target = self.output / "encoder"
        tmp = target.with_name(".encoder.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        # a copy is cast, never the caller's model; the copy keeps the decoder tied to the embeddings
        saved = copy.deepcopy(model).to(torch.float16) if cfg.save_dtype == "float16" else model
        saved.save_pretrained(tmp, safe_serialization=True)
        # fp16 on disk halves the folder; the config says float32 so AutoModel upcasts on loading,
        # ready to fine-tune on a CPU
        settings = json.loads((tmp / "config.json").read_text(encoding="utf-8"))
        (tmp / "config.json").write_text(json.dumps({**settings, "dtype": "float32"}, indent=2) + "\n", encoding="utf-8")
        tokenizer.save_pretrained(tmp)
        if cfg.cluster_levels:
            shutil.copyfile(self.output / WORD_CLUSTERS_FILE, tmp / WORD_CLUSTERS_FILE)
        (tmp / PRETRAINING_FILE).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(encoder_card(result, saved.config), encoding="utf-8")
        install_folder(tmp, target)
        acc.print(f"held-out: {heldout_figure(result, ', '.join(cfg.heldout_files), saved.config.vocab_size)}; "
                  f"encoder saved to {target}")
        return result
