"""The training loop, through ``accelerate`` (CPU, one GPU, or several with ``accelerate launch``).

Checkpoints hold the model, optimizer, scheduler, RNG states and the loop's own position, so a
run killed mid-epoch and restarted with ``resume=True`` continues on the very batch it would
have run next and ends where an uninterrupted run ends. The best model by the chosen dev metric
is saved atomically with its metrics and model card.
"""
from __future__ import annotations

import json
import logging
import math
import shutil
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import torch
from accelerate import Accelerator
from accelerate.utils import DistributedDataParallelKwargs, broadcast_object_list, set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import AutoTokenizer, get_scheduler

from arabic_ie.data.corpus_card import read_corpus_card
from arabic_ie.data.features import FeatureBuilder, FeatureConfig
from arabic_ie.data.fileio import atomic_open, why_writing_failed
from arabic_ie.data.formats import detect_format, read_corpus
from arabic_ie.data.locks import exclusive_lock
from arabic_ie.data.overlaps import resolve_overlaps
from arabic_ie.data.records import Record
from arabic_ie.data.schema import LabelSchema
from arabic_ie.data.word_clusters import WORD_CLUSTERS_FILE, read_word_clusters
from arabic_ie.model.build import build_model
from arabic_ie.model.collate import collate_features
from arabic_ie.model.configuration import ArabicIEConfig
from arabic_ie.model.hub import save_model
from arabic_ie.model.modeling import ArabicIEModel
from arabic_ie.model.tagger import JointTagger
from arabic_ie.model.tiny import TinyConfig

from .checkpoints import CHECKPOINTS, latest_checkpoint, write_checkpoint
from .config import ConfigError, TrainConfig
from .metrics import format_table, score
from .report import write_report
from .sampler import LengthGroupedBatchSampler

logger = logging.getLogger(__name__)
SETUP = "setup"  # config + tokenizer of the run, written once, so resume rebuilds the same model
# The argument head only runs on batches with triggers: with several processes, DDP must be told
# that a parameter may go unused on one rank, or the ranks' gradient all-reduces fall out of step.
DDP_KWARGS = DistributedDataParallelKwargs(find_unused_parameters=True)


@dataclass
class LoopState:
    """Where the loop is; saved in every checkpoint with ``register_for_checkpointing``."""

    epoch: int = 0
    step_in_epoch: int = 0
    global_step: int = 0
    best_metric: float = -1.0
    best_epoch: int = -1
    epochs_without_improvement: int = 0
    model_saved: bool = False  # this run has written OUTPUT/model (a folder left by an earlier run is not it)
    history: list[dict[str, Any]] = field(default_factory=list)

    def state_dict(self) -> dict[str, Any]:
        """The loop position, for ``accelerate``'s checkpoint."""
        return dict(self.__dict__)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the loop position from a checkpoint (one written before ``model_saved``
        existed had saved the model once an epoch had ended)."""
        self.__dict__.update({"model_saved": state.get("epoch", 0) > 0, **state})


def start_epoch(loader: Any, sampler: LengthGroupedBatchSampler, epoch: int) -> None:
    """Give the epoch's batch order: with several processes accelerate wraps the batch sampler in
    a shard sampler that does not pass ``set_epoch`` on, and every epoch repeated the first one."""
    loader.set_epoch(epoch)
    sampler.set_epoch(epoch)


#: files an earlier run in the same folder left, removed when a fresh run starts
STALE_OUTPUTS = ("metrics.json", "report.md")


def load_records(files: list[str], config: TrainConfig) -> list[Record]:
    """Read the files; overlapping spans of one kind are resolved by the policy of
    :mod:`arabic_ie.data.overlaps` and every dropped span is reported."""
    records: list[Record] = []
    for path in files:
        format = config.data.format or detect_format(path)
        options = {"scheme": config.data.conll_scheme} if format == "conll" else {}
        for record in read_corpus(path, format, **options):
            record, dropped = resolve_overlaps(record)
            for message in dropped:
                logger.warning("%s: record %r: %s", path, record.id, message)
            records.append(record)
    return records


def check_labels(train: list[Record], dev: list[Record], train_files: list[str], dev_files: list[str]) -> None:
    """:class:`ConfigError` for a training corpus with no labels at all (a labelled file read as
    plain text, an export of unannotated tasks), and for dev labels training never shows, each
    named with where it is missing from."""
    schema = LabelSchema.from_records(train)
    if not schema.entity_types and not schema.event_types:
        raise ConfigError(f"{', '.join(train_files)}: the training data holds no entity or event labels, so there is "
                          "nothing to learn (was a labelled file read as plain text? `arabic-ie validate` says how "
                          "each file is read; give --format to choose)")
    missing: dict[str, list[str]] = {}
    for record in dev:
        for label in schema.unknown_labels(record):
            missing.setdefault(label, []).append(record.id)
    if missing:
        listed = "; ".join(f"{label} (dev record {ids[0]!r}" + (f" and {len(ids) - 1} more)" if len(ids) > 1 else ")")
                           for label, ids in sorted(missing.items()))
        raise ConfigError(f"labels of {', '.join(dev_files)} that {', '.join(train_files)} never shows, so the model "
                          f"cannot learn them: {listed}. Annotate examples of them in the training data, or leave "
                          "them out of dev")


def summarize_metric(scores: dict[str, Any]) -> dict[str, float]:
    """The headline F1s of a score dict, and their mean over the layers the data has."""
    out = {"entity_f1": scores["entities"]["overall"]["f1"]}
    has_events = scores["counts"].get("event_records", 0) > 0
    if has_events:
        out["trigger_f1"] = scores["triggers"]["classification"]["f1"]
        out["argument_f1"] = scores["arguments"]["classification"]["f1"]
    out["mean_f1"] = sum(out.values()) / len(out)
    return out


def evaluate_model(model: ArabicIEModel, tokenizer: Any, records: list[Record], batch_size: int) -> dict[str, Any]:
    """Predict ``records`` with the model as it is now, score against their gold annotations."""
    was_training = model.training
    tagger = JointTagger(model, tokenizer, next(model.parameters()).device)
    # every gold sentence is scored: the language filter would drop gold without a word
    predictions = tagger.predict(records, batch_size=batch_size, split_sentences=False, tag_all_languages=True)
    model.train(was_training)
    return score(records, predictions)


class TrainingWriteError(OSError):
    """Writing a checkpoint, the model or a report failed (a full disk, a file-size limit); the
    message says what, why, and which checkpoint ``--resume`` continues from."""


def _is_write_failure(err: BaseException) -> bool:
    """OSErrors, and the errors torch's C++ writer and safetensors raise when a write fails."""
    if isinstance(err, OSError):
        return True
    text = str(err)
    return any(mark in text for mark in ("inline_container", "PytorchStreamWriter", "file write failed",
                                         "I/O error", "os error"))


class Trainer:
    """The training loop of one run: data, model, optimizer and scheduler through ``accelerate``;
    checkpoints, resume, best-model saving and the final report."""
    def __init__(self, config: TrainConfig):
        self.config = config
        self.output = Path(config.output.output_dir)
        self.accelerator = Accelerator(gradient_accumulation_steps=config.training.gradient_accumulation_steps,
                                       mixed_precision=config.training.mixed_precision,
                                       log_with=config.output.report_to or None, project_dir=str(self.output),
                                       kwargs_handlers=[DDP_KWARGS])
        self.state = LoopState()

    # -- setup ----------------------------------------------------------------------------------
    def _model_and_tokenizer(self, train: list[Record], resume: bool) -> tuple[ArabicIEModel, Any]:
        setup = self.output / CHECKPOINTS / SETUP
        if resume and setup.exists():
            model = ArabicIEModel(ArabicIEConfig.from_pretrained(setup))
            model.word_clusters = read_word_clusters(setup)
            return model, AutoTokenizer.from_pretrained(setup)
        features = FeatureConfig(self.config.data.max_length, self.config.data.stride, self.config.data.label_all_subwords)
        schema = LabelSchema.from_records(train)
        model, tokenizer = build_model(self.config.model.encoder, schema, features, train,
                                       tiny=TinyConfig(**self.config.model.tiny), **self.config.model.layer_settings())
        if self.accelerator.is_main_process:
            model.config.save_pretrained(setup)
            tokenizer.save_pretrained(setup)
            if model.word_clusters is not None:
                model.word_clusters.write(setup / WORD_CLUSTERS_FILE)
        return model, tokenizer

    def _optimizer(self, model: ArabicIEModel) -> torch.optim.Optimizer:
        """AdamW with the encoder and the heads at their own learning rates; no weight decay on
        biases and LayerNorm weights."""
        groups: dict[tuple[bool, bool], list[torch.nn.Parameter]] = {}
        for name, param in model.named_parameters():
            is_encoder = name.startswith("encoder.")
            no_decay = param.ndim < 2
            groups.setdefault((is_encoder, no_decay), []).append(param)
        param_groups = [
            {"params": params, "lr": self.config.training.learning_rate if enc else self.config.training.head_learning_rate,
             "weight_decay": 0.0 if no_decay else self.config.training.weight_decay}
            for (enc, no_decay), params in sorted(groups.items())]
        try:  # the fused kernel: one pass over the weights instead of a loop of small ops
            return torch.optim.AdamW(param_groups, fused=True)
        except (RuntimeError, TypeError):
            return torch.optim.AdamW(param_groups)

    def _latest_checkpoint(self) -> Path | None:
        return latest_checkpoint(self.output)

    # -- the loop -------------------------------------------------------------------------------
    def train(self, resume: bool = False) -> dict[str, Any]:
        """Train, holding a lock on the output folder: a second run into the same folder fails at
        once (naming the holder) instead of mixing checkpoints with this one."""
        lock = nullcontext()
        created = not self.output.exists()
        if self.accelerator.is_main_process:
            self.output.mkdir(parents=True, exist_ok=True)
            lock = exclusive_lock(self.output, "training --output folder")
        try:
            with lock:
                return self._train(resume)
        except ConfigError:  # refused before any training: leave nothing behind
            if created and self.accelerator.is_main_process:
                shutil.rmtree(self.output, ignore_errors=True)
            raise

    def _train(self, resume: bool) -> dict[str, Any]:
        cfg, acc = self.config, self.accelerator
        set_seed(cfg.training.seed)
        started = time.time()
        if resume and self._latest_checkpoint() is None:
            raise ConfigError(f"--resume: {self.output / CHECKPOINTS} holds no complete checkpoint to continue from "
                              "(a mistyped --output, or a run killed before its first checkpoint); "
                              "run without --resume to start afresh")
        if not resume and acc.is_main_process:  # a fresh run: forget an earlier run's checkpoints and scores
            shutil.rmtree(self.output / CHECKPOINTS, ignore_errors=True)
            for stale in STALE_OUTPUTS:  # never read as this run's (the model folder is replaced when saved)
                (self.output / stale).unlink(missing_ok=True)
        # every input file is read (and so checked) now: a bad test file must not surface only
        # after hours of training
        train = load_records(cfg.data.train_files, cfg)
        dev = load_records(cfg.data.dev_files, cfg) if cfg.data.dev_files else []
        test = load_records(cfg.data.test_files, cfg) if cfg.data.test_files else []
        check_labels(train, dev, cfg.data.train_files, cfg.data.dev_files)  # fail now, not after hours of training
        model, tokenizer = self._model_and_tokenizer(train, resume)
        schema = model.config.label_schema
        builder = FeatureBuilder(tokenizer, schema, model.config.feature_config, model.word_clusters)
        rows = builder.build_dataset(train).to_list()
        sampler = LengthGroupedBatchSampler([len(r["input_ids"]) for r in rows], cfg.training.batch_size, cfg.training.seed)
        # The loader gets a generator of its own: building an iterator draws a seed from it, and
        # from torch's global generator without one, so the extra iterator a resumed run builds
        # mid-epoch (after the global state is restored) shifted every later dropout mask.
        # The batch order comes from the sampler (seed and epoch), not from this generator.
        loader = DataLoader(rows, batch_sampler=sampler, generator=torch.Generator().manual_seed(cfg.training.seed),
                            collate_fn=lambda b: collate_features(b, tokenizer.pad_token_id))
        optimizer = self._optimizer(model)
        # optimizer steps of each process: N processes share an epoch's batches between them
        batches_per_process = math.ceil(len(sampler) / acc.num_processes)
        steps_per_epoch = math.ceil(batches_per_process / cfg.training.gradient_accumulation_steps)
        # the schedule follows the steps that will run: epochs=1 over a max_steps of 1400 must
        # still warm up and decay within its one epoch
        total_steps = min(steps_per_epoch * cfg.training.epochs, cfg.training.max_steps or steps_per_epoch * cfg.training.epochs)
        # the prepared scheduler steps once per process at every optimizer step (as the
        # transformers examples count it), so step k of every process has the single-process rate
        scheduler = get_scheduler("linear", optimizer,
                                  num_warmup_steps=int(cfg.training.warmup_ratio * total_steps) * acc.num_processes,
                                  num_training_steps=total_steps * acc.num_processes)
        model, optimizer, loader, scheduler = acc.prepare(model, optimizer, loader, scheduler)
        acc.register_for_checkpointing(self.state)
        if cfg.output.report_to:
            acc.init_trackers("arabic-ie", config={k: v for k, v in cfg.flat().items() if isinstance(v, (int, float, str, bool))})

        checkpoint = self._latest_checkpoint() if resume else None
        if checkpoint is not None:
            acc.load_state(str(checkpoint))
            acc.print(f"Resuming from {checkpoint} (epoch {self.state.epoch + 1}, step {self.state.global_step})")

        progress = tqdm(total=total_steps, initial=self.state.global_step, disable=not acc.is_local_main_process,
                        desc="Training", dynamic_ncols=True)
        stop = bool(cfg.training.patience and self.state.epochs_without_improvement >= cfg.training.patience)  # resumed after stopping
        while self.state.epoch < cfg.training.epochs and not stop:
            epoch = self.state.epoch
            start_epoch(loader, sampler, epoch)
            batches = acc.skip_first_batches(loader, self.state.step_in_epoch) if self.state.step_in_epoch else loader
            model.train()
            for batch in batches:
                with acc.accumulate(model):
                    loss = model(**batch).loss
                    acc.backward(loss)
                    if acc.sync_gradients and cfg.training.max_grad_norm:
                        acc.clip_grad_norm_(model.parameters(), cfg.training.max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    optimizer.zero_grad()
                self.state.step_in_epoch += 1
                if not acc.sync_gradients:
                    continue
                self.state.global_step += 1
                progress.update(1)
                progress.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.4f}", lr=f"{scheduler.get_last_lr()[0]:.2e}")
                if cfg.output.report_to:
                    acc.log({"train/loss": loss.item(), "train/lr": scheduler.get_last_lr()[0]}, step=self.state.global_step)
                if cfg.output.checkpoint_every and self.state.global_step % cfg.output.checkpoint_every == 0:
                    self._save_checkpoint()
                if cfg.training.max_steps and self.state.global_step >= cfg.training.max_steps:
                    stop = True
                    break
            if not stop or self.state.step_in_epoch >= batches_per_process:
                stop = self._end_epoch(model, tokenizer, dev, scheduler.get_last_lr()[0]) or stop
            self._save_checkpoint()
        progress.close()
        final = self._finish(model, tokenizer, dev, test, time.time() - started)
        acc.end_training()
        return final

    def _end_epoch(self, model: ArabicIEModel, tokenizer: Any, dev: list[Record], learning_rate: float) -> bool:
        """Dev scores, best-model bookkeeping, early stopping; returns whether to stop."""
        cfg, acc, state = self.config, self.accelerator, self.state
        entry: dict[str, Any] = {"epoch": state.epoch + 1, "step": state.global_step,
                                 "learning_rate": learning_rate}
        state.epoch += 1
        state.step_in_epoch = 0
        improved = True
        if dev:  # scored on the main process only; the other ranks take its figures
            headline = None
            if acc.is_main_process:
                headline = summarize_metric(evaluate_model(acc.unwrap_model(model), tokenizer, dev, cfg.training.eval_batch_size))
            headline = broadcast_object_list([headline])[0]
            entry.update({f"dev_{k}": v for k, v in headline.items()})
            metric = headline.get(cfg.training.metric_for_best, headline["mean_f1"])
            improved = metric > state.best_metric
            acc.print(f"epoch {entry['epoch']}: " + "  ".join(f"dev {k} {100 * v:.1f}" for k, v in headline.items()))
            if improved:
                state.best_metric, state.best_epoch = metric, entry["epoch"]
                state.epochs_without_improvement = 0
            else:
                state.epochs_without_improvement += 1
            if cfg.output.report_to:
                acc.log({f"dev/{k}": v for k, v in headline.items()}, step=state.global_step)
        state.history.append(entry)
        if acc.is_main_process:
            with self._writing(str(self.output / "metrics.jsonl")), atomic_open(self.output / "metrics.jsonl") as log:
                log.writelines(json.dumps(e) + "\n" for e in state.history)
            if improved:
                with self._writing(f"the best model in {self.output / 'model'}"):
                    save_model(acc.unwrap_model(model), tokenizer, self.output / "model", training=self.card_info())
        state.model_saved = state.model_saved or improved  # the same on every process (checkpointed state)
        return bool(cfg.training.patience and state.epochs_without_improvement >= cfg.training.patience)

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """Turn a failed write into one line: the file or folder, why, and what is intact."""
        try:
            yield
        except Exception as err:
            if not _is_write_failure(err):
                raise
            last = self._latest_checkpoint()
            kept = (f"the last complete checkpoint, {last}, is intact" if last is not None
                    else "no checkpoint was complete yet")
            raise TrainingWriteError(f"cannot write {what}: {why_writing_failed(err, self.output)}; {kept}. "
                                     "Make room and run the same command with --resume") from None

    def _save_checkpoint(self) -> None:
        with self._writing(f"a checkpoint in {self.output / CHECKPOINTS}"):
            self._write_checkpoint()

    def _write_checkpoint(self) -> None:
        state = self.state
        write_checkpoint(self.accelerator, self.output, f"step-{state.global_step:09d}{state.epoch:03d}{state.step_in_epoch:06d}",
                         self.config.output.keep_checkpoints)

    def card_info(self) -> dict[str, Any]:
        """What the model card says of the training data: files, corpus names, their licences."""
        cards = {f: read_corpus_card(f) for f in self.config.data.train_files}
        licences = sorted({f"{c.name}: {c.license}" for c in cards.values() if c and c.license})
        return {"data_files": ["/".join(Path(f).parts[-2:]) for f in self.config.data.train_files],
                "datasets": sorted({c.name for c in cards.values() if c}),
                "data_licenses": licences, "model_name": f"arabic-ie ({self.config.model.encoder})"}

    def _finish(self, model: ArabicIEModel, tokenizer: Any, dev: list[Record], test: list[Record],
                seconds: float) -> dict[str, Any]:
        """Score the best model on dev and test files, write metrics.json and report.md, and
        refresh the model card with the evaluation table."""
        cfg, acc = self.config, self.accelerator
        model_dir = self.output / "model"
        # no epoch ended with a model saved (no dev set, or max_steps stopped mid-epoch): the last
        # model is the model; a model folder left by an earlier run in this folder is never it
        if not self.state.model_saved and acc.is_main_process:
            with self._writing(f"the model in {model_dir}"):
                save_model(acc.unwrap_model(model), tokenizer, model_dir, training=self.card_info())
        acc.wait_for_everyone()
        result: dict[str, Any] = {"best_epoch": self.state.best_epoch, "steps": self.state.global_step,
                                  "train_seconds": round(seconds, 1)}
        if not acc.is_main_process:
            return result
        best = JointTagger.from_pretrained(model_dir, device=acc.device)
        metrics: dict[str, Any] = {}
        for name, files in (("dev", cfg.data.dev_files), ("test", cfg.data.test_files)):
            if files:
                records = dev if name == "dev" else test
                metrics[name] = score(records, best.predict(records, batch_size=cfg.training.eval_batch_size, split_sentences=False,
                                                                      tag_all_languages=True))
                acc.print(f"\n{name} scores of the best model:\n{format_table(metrics[name])}")
        result["metrics"] = metrics
        with self._writing(f"the model card and report in {self.output}"):
            save_model(best.model, best.tokenizer, model_dir, metrics=metrics, training=self.card_info())
            write_report(self.output, cfg, result)
        return result

