"""The inference API: ``JointTagger.from_pretrained(...).predict(texts)`` returns plain records.

Documents are split into sentences and words on the original text, windows are built for the
rare sentence longer than the model's limit, all windows of a call are sorted by length and run
in dynamically padded batches under ``torch.inference_mode``. Entity and trigger heads are read
for every window, then the argument head runs on the same encoder states for the triggers found,
so one encoder pass per window gives entities, events and their arguments.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from .collate import collate_features
from arabic_ie.data.errors import first_line
from arabic_ie.data.features import FeatureBuilder, Window
from arabic_ie.data.language import judge_sentence
from arabic_ie.data.records import Event, Record, Span
from arabic_ie.data.text import Word, span_pieces, split_sentences, split_words, widen_spans

from .decoding import BioDecoder, snap_to_entities
from .fingerprint import weights_fingerprint
from .modeling import ArabicIEModel


BACKENDS = ("torch", "onnx")


@dataclass
class _Unit:
    """A sentence (or a whole text) to tag: which input it belongs to, its words, and the
    character ranges in it that get no span (quotations that are not Arabic)."""

    source: int
    words: list[Word]
    windows: list[Window] = field(default_factory=list)
    untagged: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class WindowScores:
    """What :meth:`JointTagger.score_windows` reads off a batch of windows: the encoder's states
    (for the argument head) and the entity and trigger label probabilities, per token."""

    hidden: torch.Tensor  # (windows, tokens, hidden)
    entity_probs: np.ndarray  # (windows, tokens, entity labels)
    trigger_probs: np.ndarray  # (windows, tokens, trigger labels)


@dataclass
class _WindowResult:
    entity_probs: np.ndarray  # (words of the window, entity labels)
    events: list[tuple[int, int, str, float, list[tuple[int, int, str, float]]]]  # window-word offsets


def resolve_device(device: str | torch.device | None) -> torch.device:
    """The device to run on: ``device``, or CUDA when there is one. ValueError (one line, with
    the fix) for a name torch does not know or a GPU this machine does not have."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"--device {device}: not a device name ({first_line(err)})") from None
    if resolved.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {device}: this machine has no CUDA GPU that torch can use (torch "
                             f"{torch.__version__}); use --device cpu, or leave --device out to use a GPU when there is one")
        if resolved.index is not None and resolved.index >= torch.cuda.device_count():
            raise ValueError(f"--device {device}: there are only {torch.cuda.device_count()} CUDA device(s) "
                             f"(cuda:0 to cuda:{torch.cuda.device_count() - 1})")
    return resolved


def quantize_model(model: ArabicIEModel, scheme: str) -> ArabicIEModel:
    """Dynamic int8 quantization of every Linear layer (weights int8, activations quantized on
    the fly): about twice the fp32 speed on CPUs, for a small loss in accuracy. The model is
    moved to the CPU, the only device these kernels run on."""
    if scheme != "int8":
        raise ValueError(f"unknown quantization {scheme!r}; supported: int8")
    import warnings

    with warnings.catch_warnings():  # torch.ao's eager API is deprecated but still the simplest path
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model.cpu(), {torch.nn.Linear}, dtype=torch.qint8)


def owner_windows(windows: Sequence[Window], n_words: int) -> list[int]:
    """For each word, the window where it sits farthest from an edge (best context)."""
    owners = [0] * n_words
    best = [-1] * n_words
    for k, win in enumerate(windows):  # each window visits its own words: linear, not words x windows
        for w in range(win.word_start, min(win.word_end, n_words)):
            margin = min(w - win.word_start, win.word_end - 1 - w)
            if margin > best[w]:
                best[w], owners[w] = margin, k
    return owners


class JointTagger:
    """Tags Arabic text with entities and events using a trained arabic-ie model."""

    def __init__(self, model: ArabicIEModel, tokenizer: Any, device: str | torch.device | None = None,
                 quantize: str | None = None, backend: str = "torch", onnx_dir: str | Path | None = None):
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r}; supported: {', '.join(BACKENDS)}")
        if backend == "onnx" and device not in (None, "cpu"):
            raise ValueError("the ONNX backend runs on the CPU (device='cpu')")
        self.backend = backend
        self._onnx = None  # the ONNX Runtime encoder + entity/trigger heads (onnx_backend.py)
        # dynamic int8 (torch) and ONNX Runtime run on the CPU only: the device must say so
        self.quantized = quantize not in (None, "none") and backend == "torch"
        on_cpu = self.quantized or backend == "onnx"
        self.device = torch.device("cpu") if on_cpu else resolve_device(device)
        # the fingerprint of the weights as trained: int8 quantisation rounds them, ONNX needs it at once
        self._weights = weights_fingerprint(model) if self.quantized or backend == "onnx" else None
        if self.quantized:
            self.model = quantize_model(model.eval(), quantize)
        else:
            self.model = model.to(self.device).eval()
        if backend == "onnx":  # quantize picks the graph; the argument head stays fp32 torch
            from .onnx_backend import open_encoder

            self._onnx = open_encoder(self.model, onnx_dir, quantize, weights=self._weights)
        self.tokenizer = tokenizer
        self.schema = model.config.label_schema
        self.builder = FeatureBuilder(tokenizer, self.schema, model.config.feature_config, model.word_clusters)
        self._entities = BioDecoder(self.schema.entity_labels, **self.model.decoding_scores("entity"))
        self._triggers = BioDecoder(self.schema.trigger_labels, **self.model.decoding_scores("trigger"))
        self._arguments = BioDecoder(self.schema.argument_labels)

    @property
    def weights_fingerprint(self) -> str:
        """A short fingerprint of the model's weights (:func:`.fingerprint.weights_fingerprint`):
        what an output's resume state and an ONNX export record of the model."""
        if self._weights is None:
            self._weights = weights_fingerprint(self.model)
        return self._weights

    @classmethod
    def from_pretrained(cls, name_or_path: str | Path, revision: str | None = None,
                        device: str | torch.device | None = None, dtype: str | torch.dtype | None = None,
                        quantize: str | None = None, backend: str = "torch", onnx_dir: str | Path | None = None,
                        **hub_kwargs: Any) -> "JointTagger":
        """Load a trained model from a local folder or a hub repo id (cached; honours
        ``HF_HUB_OFFLINE``). ``dtype="float16"`` halves memory on a GPU; ``quantize="int8"``
        (CPU) runs the Linear layers with dynamic int8 quantization. ``backend="onnx"`` runs the
        encoder and the entity and trigger heads in ONNX Runtime, from the model's ``onnx/``
        folder (``arabic-ie export``; or ``onnx_dir``), exported on the fly when it has none."""
        from .hub import load_model_and_tokenizer

        model, tokenizer = load_model_and_tokenizer(str(name_or_path), revision=revision, **hub_kwargs)
        if dtype is not None:
            model = model.to(getattr(torch, dtype) if isinstance(dtype, str) else dtype)
        if backend == "onnx" and onnx_dir is None:
            from .onnx_backend import locate_onnx_dir

            onnx_dir = locate_onnx_dir(name_or_path, revision, **hub_kwargs)
        return cls(model, tokenizer, device, quantize=quantize, backend=backend, onnx_dir=onnx_dir)

    def save_pretrained(self, path: str | Path) -> None:
        """Write the model folder (weights, tokenizer, config, card) that ``from_pretrained`` reads."""
        from .hub import save_model

        if self.quantized:
            raise ValueError("a quantized tagger cannot be saved (its int8 layers are not a model folder): save the "
                             "model it was loaded from, and quantize again when loading (quantize='int8')")
        save_model(self.model, self.tokenizer, path)

    def push_to_hub(self, repo_id: str, private: bool = False, revision: str | None = None,
                    commit_message: str = "Upload arabic-ie model", token: str | None = None) -> str:
        """Upload the folder :meth:`save_pretrained` writes (card and tokenizer included) to the
        hub repo ``repo_id``; :meth:`from_pretrained` loads the result. Returns the repo URL."""
        from .hub import push_saved

        if self.quantized:
            raise ValueError("a quantized tagger cannot be pushed: push the model it was loaded from")
        return push_saved(self.model, self.tokenizer, repo_id, private=private, revision=revision,
                          commit_message=commit_message, token=token)

    # -- public prediction ---------------------------------------------------------------------
    def predict(self, texts: str | Sequence[str] | Sequence[Record], batch_size: int = 32,
                split_sentences: bool = True, tag_all_languages: bool = False) -> Record | list[Record]:
        """Tag one text or many. Each input may be a document (split into sentences unless
        ``split_sentences=False``, e.g. for text already one sentence per item) or a
        :class:`Record` whose id and text are used. Returns records with character offsets
        into each original text and a ``score`` per entity, trigger and argument.
        ``batch_size`` is the most windows (sentences, or parts of long ones) per model call,
        not documents: windows of all inputs are sorted by length and batched together.

        Sentences that are not Arabic (Persian, Urdu, mostly Latin script; see
        :mod:`arabic_ie.data.language`), and quotations in Arabic sentences that are not, are left
        untagged and listed in the record's ``metadata["not_tagged"]`` with the reason;
        ``tag_all_languages=True`` tags them too."""
        single = isinstance(texts, (str, Record))
        items = [texts] if single else list(texts)
        records = [item if isinstance(item, Record) else Record(str(k), item) for k, item in enumerate(items)]
        results = self._predict_records(records, batch_size, split_sentences, tag_all_languages)
        return results[0] if single else results

    # -- internals -----------------------------------------------------------------------------
    def units(self, records: Sequence[Record], split: bool, tag_all_languages: bool = True,
              skipped: dict[int, list[dict[str, Any]]] | None = None) -> list[_Unit]:
        """The sentences (or whole texts) of ``records`` to tag, with their words and model
        windows; sentences the language filter skips are listed in ``skipped`` by input."""
        units = []
        for k, record in enumerate(records):
            if not isinstance(record.text, str):
                raise TypeError(f"input {k} is {type(record.text).__name__}, expected text")
            spans = split_sentences(record.text) if split else [(0, len(record.text))]
            for a, b in spans:
                sentence = record.text[a:b]
                local = split_words(sentence)
                reason, quotes = (None, []) if tag_all_languages else judge_sentence(sentence, local)
                untagged = [(a, b, reason)] if reason is not None else [(a + x, a + y, why) for x, y, why in quotes]
                if untagged and skipped is not None:
                    skipped.setdefault(k, []).extend({"start": x, "end": y, "reason": why} for x, y, why in untagged)
                if reason is None and local:
                    words = [Word(w.start + a, w.end + a, w.text) for w in local]
                    units.append(_Unit(k, words, untagged=[(x, y) for x, y, _ in untagged]))
        windows = self.builder.windows([[w.text for w in u.words] for u in units]) if units else []
        for unit, unit_windows in zip(units, windows):
            unit.windows = unit_windows
        return units

    def _predict_records(self, records: Sequence[Record], batch_size: int, split: bool,
                         tag_all_languages: bool = False) -> list[Record]:
        skipped: dict[int, list[dict[str, Any]]] = {}
        units = self.units(records, split, tag_all_languages, skipped)
        flat = [(u, k) for u, unit in enumerate(units) for k in range(len(unit.windows))]
        flat.sort(key=lambda uk: len(units[uk[0]].windows[uk[1]].input_ids), reverse=True)
        results: dict[tuple[int, int], _WindowResult] = {}
        for i in range(0, len(flat), batch_size):
            chunk = flat[i:i + batch_size]
            windows = [units[u].windows[k] for u, k in chunk]
            for key, result in zip(chunk, self._run_windows(windows)):
                results[key] = result
        out = [Record(r.id, r.text, [], [], dict(r.metadata)) for r in records]
        for k, sentences in skipped.items():
            out[k].metadata["not_tagged"] = sentences
        for u, unit in enumerate(units):
            self._merge_unit(unit, [results[(u, k)] for k in range(len(unit.windows))], out[unit.source])
        return out

    @torch.inference_mode()
    def score_windows(self, windows: Sequence[Window]) -> WindowScores:
        """The one scoring core: model inputs built from tokenised windows (ids, mask, and the
        character rows for models with character features), run through the backend (torch or
        ONNX Runtime), read as per-token label probabilities of the entity and trigger heads.
        Prediction, uncertainty sampling and every other path that runs the model call this."""
        longest = max(len(w.input_ids) for w in windows)
        # a multiple of 8 is faster, but never longer than the encoder's positions allow
        multiple = 8 if -(-longest // 8) * 8 <= self.builder.config.max_length else 1
        batch = collate_features([{"input_ids": w.input_ids, "attention_mask": [1] * len(w.input_ids),
                                   "char_ids": w.char_ids} for w in windows], self.tokenizer.pad_token_id, pad_to_multiple_of=multiple)
        if self._onnx is not None:
            hidden, entity_probs, trigger_probs = self._onnx({k: v.numpy() for k, v in batch.items()})
            return WindowScores(torch.from_numpy(hidden), entity_probs, trigger_probs)
        batch = {k: v.to(self.device) for k, v in batch.items()}
        hidden = self.model.encode(batch["input_ids"], batch["attention_mask"], char_ids=batch.get("char_ids"))
        return WindowScores(hidden, self.model.entity_head(hidden).float().softmax(-1).cpu().numpy(),
                            self.model.trigger_head(hidden).float().softmax(-1).cpu().numpy())

    @torch.inference_mode()
    def _run_windows(self, windows: Sequence[Window]) -> list[_WindowResult]:
        scores = self.score_windows(windows)
        hidden, entity_probs, trigger_probs = scores.hidden, scores.entity_probs, scores.trigger_probs
        per_window, pending = [], []  # pending: (window row, trigger token span, type id, argument list, firsts)
        for row, window in enumerate(windows):
            firsts = [t for t, f in enumerate(window.first_piece) if f]
            events = []
            for a, b, etype, score in self._triggers(trigger_probs[row, firsts]):
                events.append((a, b, etype, score, []))
                span = (firsts[a], window.token_range(window.word_start + a, window.word_start + b)[1])
                pending.append((row, span, self.schema.event_types.index(etype), events[-1][4], firsts))
            per_window.append(_WindowResult(entity_probs[row, firsts], events))
        if pending:
            self._fill_arguments(hidden, pending, entity_probs)
        return per_window

    def _fill_arguments(self, hidden: torch.Tensor, pending: list, entity_probs: np.ndarray) -> None:
        """Run the argument head once for the batch, every window with its own triggers (the
        token projections are computed once per window, not once per trigger), with the roles
        an event type does not allow masked out."""
        rows = [p[0] for p in pending]
        slots = max(rows.count(r) for r in set(rows))
        spans = torch.full((hidden.shape[0], slots, 2), -1, dtype=torch.long)
        types = torch.zeros((hidden.shape[0], slots), dtype=torch.long)
        where = []
        used = [0] * hidden.shape[0]
        for row, span, type_id, _, _ in pending:
            spans[row, used[row]] = torch.tensor(span)
            types[row, used[row]] = type_id
            where.append((row, used[row]))
            used[row] += 1
        entity_input = torch.from_numpy(entity_probs).to(hidden.device) if self.model.argument_entity is not None else None
        logits = self.model.argument_logits(hidden, spans.to(hidden.device), types.to(hidden.device), entity_input).float()
        allowed = self.model.allowed_argument_labels[types.to(hidden.device)]  # (B, E, labels)
        probs = logits.masked_fill(~allowed.unsqueeze(2), float("-inf")).softmax(-1).cpu().numpy()
        for (row, slot), (_, _, _, arguments, firsts) in zip(where, pending):
            arguments.extend(self._arguments(probs[row, slot, firsts]))

    def _merge_unit(self, unit: _Unit, results: Sequence[_WindowResult], record: Record) -> None:
        """Join a unit's windows (each word taken from the window where it has most context)
        and turn word spans into character spans of the original text."""
        words = unit.words
        owners = owner_windows(unit.windows, len(words))
        probs = np.stack([results[k].entity_probs[w - unit.windows[k].word_start] for w, k in enumerate(owners)])

        def char_spans(a: int, b: int, label: str, score: float) -> list[Span]:
            """Character spans of a decoded word span, fit to be spans (see ``span_pieces``), none
            of them touching a range left untagged."""
            spans = [Span(words[x].start, words[y - 1].end, label, score) for x, y in span_pieces(words, a, b)]
            return [s for s in spans if not any(s.start < y and x < s.end for x, y in unit.untagged)]

        entities = [span for entity in widen_spans(words, self._entities(probs)) for span in char_spans(*entity)]
        record.entities.extend(entities)
        snap = getattr(self.model.config, "snap_arguments_to_entities", True)
        for k, (window, result) in enumerate(zip(unit.windows, results)):
            base = window.word_start
            for a, b, etype, score, arguments in result.events:
                if owners[base + a] != k:
                    continue
                triggers = char_spans(base + a, base + b, "", score)
                if not triggers:  # a "trigger" of punctuation or a URL: no event
                    continue
                trigger = max(triggers, key=lambda t: t.end - t.start)
                widened = widen_spans(words, [(base + x, base + y, role, s) for x, y, role, s in arguments])
                spans = [span for argument in widened for span in char_spans(*argument)]
                record.events.append(Event(etype, trigger, snap_to_entities(spans, entities) if snap else spans))
