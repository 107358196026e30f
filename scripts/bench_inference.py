#!/usr/bin/env python
"""CPU inference speed and memory: arabic-ie's JointTagger (torch fp32, torch int8, and with
``--onnx`` ONNX Runtime fp32 and int8) vs transformers' token-classification pipeline, on the same
random-weight model of AraBERT-base's exact shape.

Texts (``--texts``): ``anercorp`` (ANERcorp's real news sentences of 8-60 words, about 48
subword pieces each: the real-length figure), ``sample`` (the shipped sample's sentences) or
``news`` (both, with the Wojood sample).

The model: BertConfig(vocab 64000, hidden 768, 12 layers, 12 heads, intermediate 3072), a
WordPiece tokenizer trained (deterministically) on the sample + ANERcorp + Wojood text, wrapped
as an ArabicIEModel whose schema has ANERcorp's entity types (and, unless --ner-only, the
sample's event types and roles, so the event heads are real-sized). The pipeline gets a
BertForTokenClassification that *shares* the encoder and uses our entity head as classifier.

Timing alternates the systems within each repetition (A, B, A, B ... with the order reversed
every other repetition), each repetition on a fresh slice of ``--sentences`` texts, and reports
medians over repetitions. Both systems run with torch's default threads.

Model FLOPs (useful work, padding excluded) of a sentence of T subword tokens, L layers, width d:
    FLOPs = T * 2 * W  +  L * 4 * T^2 * d
W = the weights of every Linear layer the entity path runs (Q, K, V, output, two FFN matrices
per layer, and the entity head); 2 * W is one multiply-add per weight and token. 4 * T^2 * d per
layer is Q.K^T and attention.V (2 * T * T * d each). Embeddings, LayerNorm, softmax and GELU are
left out (a few percent). The "fraction of matmul rate" divides the model's FLOP/s by the
GFLOP/s of a large fp32 matmul (``--matmul-size`` squared), timed just before each run (the
machine is shared, so its rate moves), median over repetitions. The same useful FLOPs are
counted for int8 systems, so their fraction can pass 1.

Peak memory: each system runs in its own child process (same model, same texts), which resets
VmHWM after building the model and reports the peak resident memory of the inference.

Entity agreement: on texts rebuilt from the words both sides see (our normalised words, split
further by the tokenizer's pre-tokenizer, joined by single spaces), ours vs the pipeline with
``aggregation_strategy="first"`` (word-level, first piece, as ours): the fraction of sentences
whose (start, end, type) entity sets are identical.
"""
from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import bench_common as bc  # sets the offline environment before transformers is imported

import torch  # noqa: E402
from torch import nn  # noqa: E402
from transformers import (AutoTokenizer, BertConfig, BertForTokenClassification,  # noqa: E402
                          pipeline)

from arabic_ie.data.features import FeatureConfig  # noqa: E402
from arabic_ie.data.schema import LabelSchema  # noqa: E402
from arabic_ie.data.text import split_words  # noqa: E402
from arabic_ie.model.decoding import BioDecoder  # noqa: E402
from arabic_ie.model.configuration import ArabicIEConfig  # noqa: E402
from arabic_ie.model.modeling import ArabicIEModel  # noqa: E402
from arabic_ie.model.tagger import JointTagger  # noqa: E402
from arabic_ie.model.tiny import train_wordpiece  # noqa: E402

VOCAB = 64000
OURS, PIPELINE, OURS_INT8 = "arabic-ie", "hf-pipeline", "arabic-ie-int8"
ONNX, ONNX_INT8 = "arabic-ie-onnx", "arabic-ie-onnx-int8"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared-data", help="folder holding ANERcorp/ and Wojood-sample/")
    parser.add_argument("--total", type=int, default=2000, help="news-length sentences in the pool")
    parser.add_argument("--sentences", type=int, default=48, help="sentences timed per system and repetition")
    parser.add_argument("--repeats", type=int, default=3, help="repetitions (each on a fresh slice)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--layers", type=int, default=12, help="encoder layers (12 = AraBERT-base)")
    parser.add_argument("--quantize", choices=("none", "int8"), default="none",
                        help="int8: also time our predictor with dynamic int8 quantisation")
    parser.add_argument("--onnx", action="store_true",
                        help="also time the ONNX Runtime backend, fp32 and int8 (needs arabic-ie[onnx])")
    parser.add_argument("--texts", choices=("anercorp", "sample", "news"), default="news",
                        help="where the timed sentences come from (8-60 words each)")
    parser.add_argument("--ner-only", action="store_true",
                        help="schema without event types (a NER-only model: no triggers, no argument head)")
    parser.add_argument("--check-sentences", type=int, default=200, help="sentences for the agreement check")
    parser.add_argument("--memory", action=argparse.BooleanOptionalAction, default=True,
                        help="peak RSS per system, each in a child process (largest batch size)")
    parser.add_argument("--matmul-size", type=int, default=2048)
    parser.add_argument("--output", default="outputs/bench_inference.json")
    parser.add_argument("--seed", type=int, default=0)
    # internal: the child process measuring one system's peak memory
    parser.add_argument("--probe", choices=(OURS, PIPELINE, OURS_INT8), help=argparse.SUPPRESS)
    parser.add_argument("--tokenizer-dir", help=argparse.SUPPRESS)
    parser.add_argument("--texts-file", help=argparse.SUPPRESS)
    parser.add_argument("--probe-batch-size", type=int, default=32, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --- building the two systems ----------------------------------------------------------------------

def build_schema(records: Sequence, ner_only: bool) -> LabelSchema:
    """ANERcorp's entity types; the sample's event types and roles unless ``ner_only``."""
    entities = sorted({e.label for r in records if r.id.startswith("ANERCorp") for e in r.entities})
    if ner_only:
        return LabelSchema(entities)
    events = LabelSchema.from_records(bc.sample_records())
    return LabelSchema(entities, events.event_types, events.roles, events.allowed_roles)


def build_model(schema: LabelSchema, layers: int, seed: int) -> ArabicIEModel:
    """A random-weight joint model of AraBERT-base's shape (``layers`` encoder layers)."""
    encoder = BertConfig(vocab_size=VOCAB, hidden_size=768, num_hidden_layers=layers, num_attention_heads=12,
                         intermediate_size=3072, max_position_embeddings=512)
    config = ArabicIEConfig(encoder=encoder.to_dict(), schema=schema.to_dict(),
                            features=FeatureConfig(max_length=256).to_dict(), base_model="random")
    torch.manual_seed(seed)
    return ArabicIEModel(config).eval()


def token_classifier(model: ArabicIEModel) -> BertForTokenClassification:
    """A BertForTokenClassification sharing our encoder, with our entity head as classifier."""
    labels = model.config.label_schema.entity_labels
    skip = ("model_type", "id2label", "label2id", "num_labels")
    config = BertConfig(**{k: v for k, v in model.config.encoder.items() if k not in skip},
                        id2label=dict(enumerate(labels)), label2id={l: i for i, l in enumerate(labels)})
    classifier = BertForTokenClassification(config)
    classifier.bert = model.encoder
    classifier.classifier = model.entity_head
    return classifier.eval()


def make_pipeline(model: ArabicIEModel, tokenizer: Any, aggregation: str = "simple"):
    return pipeline("token-classification", model=token_classifier(model), tokenizer=tokenizer,
                    aggregation_strategy=aggregation, device=-1)


def load_tokenizer(records: Sequence, folder: Path) -> Any:
    """The 64000-piece WordPiece tokenizer, trained once and kept in ``folder`` for the children."""
    if (folder / "tokenizer.json").is_file():
        return AutoTokenizer.from_pretrained(folder)
    tokenizer = train_wordpiece(records, VOCAB)
    tokenizer.save_pretrained(folder)
    return tokenizer


def int8_tagger(schema: LabelSchema, tokenizer: Any, args: argparse.Namespace) -> tuple[JointTagger, str]:
    """Our predictor with dynamic int8 quantisation, on the same schema when the installed model
    code can run quantised event heads, else on the NER-only schema (and says so)."""
    tagger = JointTagger(build_model(schema, args.layers, args.seed), tokenizer, "cpu", quantize="int8")
    if not schema.event_types:
        return tagger, "ner-only"
    try:
        tagger.model.allowed_argument_labels  # reads a Linear's .weight, a method once quantised
        return tagger, "with events"
    except AttributeError:
        print("warning: quantised event heads fail (ArabicIEModel.allowed_argument_labels); "
              "timing int8 on the NER-only schema", file=sys.stderr)
        ner_only = LabelSchema(schema.entity_types)
        return JointTagger(build_model(ner_only, args.layers, args.seed), tokenizer, "cpu", quantize="int8"), \
            "ner-only (fallback: quantised event heads fail)"


# --- measuring -------------------------------------------------------------------------------------

def runner(name: str, taggers: dict[str, JointTagger], pipe: Any) -> Callable[[list[str], int], Any]:
    if name == PIPELINE:
        return lambda texts, bs: pipe(texts, batch_size=bs)
    tagger = taggers[name]
    return lambda texts, bs: tagger.predict(texts, batch_size=bs, split_sentences=False)


def onnx_taggers(model: ArabicIEModel, tokenizer: Any, folder: Path) -> dict[str, JointTagger]:
    """ONNX Runtime taggers (fp32 and int8) on ``model``'s weights, exported into ``folder``."""
    from arabic_ie.model.onnx_export import export_onnx

    started = time.perf_counter()
    info = export_onnx(model, folder)
    print(f"ONNX export + optimisation + int8 in {time.perf_counter() - started:.0f} s; fused: "
          f"{info['fused_operators']}", file=sys.stderr)
    return {ONNX: JointTagger(model, tokenizer, "cpu", backend="onnx", onnx_dir=folder),
            ONNX_INT8: JointTagger(model, tokenizer, "cpu", quantize="int8", backend="onnx", onnx_dir=folder)}


def timed_texts(records: Sequence, which: str, count: int, seed: int) -> list[str]:
    """The sentences to time: ANERcorp's, the sample's, or all the news corpora's."""
    if which == "anercorp":
        records = [r for r in records if r.id.startswith("ANERCorp")]
    elif which == "sample":
        records = bc.sample_records()
    return bc.news_sentences(records, count, seed=seed)


def matmul_gflops(size: int, repeats: int = 3) -> float:
    """GFLOP/s of a ``size`` x ``size`` fp32 matmul (median of ``repeats``)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        times.append(time.perf_counter() - start)
    return 2 * size ** 3 / bc.median(times) / 1e9


def linear_weights(model: ArabicIEModel) -> int:
    """Weights of the Linear layers on the entity path (encoder + entity head)."""
    count = sum(m.weight.numel() for m in model.encoder.modules() if isinstance(m, nn.Linear))
    return count + model.entity_head.weight.numel()


def model_flops(lengths: Sequence[int], weights: int, layers: int, hidden: int) -> float:
    """FLOPs of the entity path on sentences of these token lengths (see the module docstring)."""
    return float(sum(t * 2 * weights + layers * 4 * t * t * hidden for t in lengths))


def token_lengths(tagger: JointTagger, texts: Sequence[str]) -> tuple[list[int], list[int]]:
    """Subword tokens per text (special tokens included) as ours sees it (normalised words) and
    as the pipeline sees it (the raw text through the tokenizer)."""
    ours = [sum(len(w.input_ids) for w in windows)
            for windows in tagger.builder.windows([[w.text for w in split_words(t)] for t in texts])]
    theirs = [len(ids) for ids in tagger.tokenizer(list(texts))["input_ids"]]
    return ours, theirs


def count_events(records: Sequence) -> float:
    return sum(len(r.events) for r in records) / max(1, len(records))


# --- agreement -------------------------------------------------------------------------------------

def shared_word_text(tagger: JointTagger, text: str) -> tuple[str, bool]:
    """The text rebuilt from words both systems agree on: our normalised words, each split by
    the tokenizer's pre-tokenizer, joined by single spaces; and whether our word splitter finds
    exactly those words in it (False for the rare symbol-and-letter mixtures it splits otherwise)."""
    pre = tagger.tokenizer.backend_tokenizer.pre_tokenizer
    words = tagger.builder.normalised([w.text for w in split_words(text)])
    pieces = [p for word in words for p, _ in pre.pre_tokenize_str(word)]
    joined = " ".join(pieces)
    return joined, [w.text for w in split_words(joined)] == pieces


def pipeline_word_probs(pipe: Any, text: str) -> torch.Tensor:
    """Per-word entity probabilities of the pipeline's own model on ``text`` (first piece of
    each pre-tokenized word): what its "first" aggregation takes the argmax of."""
    encoding = pipe.tokenizer(text, return_tensors="pt")
    with torch.inference_mode():
        probs = pipe.model(**encoding).logits[0].softmax(-1)
    word_ids = encoding.word_ids(0)
    firsts = [t for t, w in enumerate(word_ids) if w is not None and (t == 0 or word_ids[t - 1] != w)]
    return probs[firsts]


def span_set(spans: Any) -> set[tuple[int, int, str]]:
    return {(s.start, s.end, s.label) if hasattr(s, "label") else (s["start"], s["end"], s["entity_group"])
            for s in spans}


def agreement(tagger: JointTagger, first_pipe: Any, texts: Sequence[str]) -> dict[str, Any]:
    """Fraction of sentences with identical entity span sets: ours vs the pipeline ("first",
    argmax per word, lenient grouping), and ours vs the pipeline's own model probabilities
    decoded with our BIO-constrained decoder (isolates the forward pass from the decoding)."""
    prepared = [shared_word_text(tagger, t) for t in texts]
    usable = [p for p, same_words in prepared if same_words]
    ours = tagger.predict(usable, batch_size=32, split_sentences=False)
    theirs = first_pipe(usable, batch_size=32)
    decoder = BioDecoder(tagger.schema.entity_labels)
    same = same_decoded = 0
    examples = []
    for text, record, entities in zip(usable, ours, theirs):
        a, b = span_set(record.entities), span_set(entities)
        words = split_words(text)
        decoded = {(words[i].start, words[j - 1].end, label)
                   for i, j, label, _ in decoder(pipeline_word_probs(first_pipe, text).numpy())}
        same += a == b
        same_decoded += a == decoded
        if a != b and len(examples) < 3:
            examples.append({"text": text, "only_ours": sorted(a - b), "only_pipeline": sorted(b - a)})
    n = max(1, len(usable))
    return {"sentences": len(usable), "excluded_word_mismatch": len(texts) - len(usable),
            "identical": same, "agreement": same / n,
            "identical_with_same_decoder": same_decoded, "agreement_with_same_decoder": same_decoded / n,
            "entities_per_sentence": sum(len(r.entities) for r in ours) / n, "differences": examples}


# --- memory probe (child process) ------------------------------------------------------------------

def probe(args: argparse.Namespace) -> None:
    """Child: build the same model, reset the peak, run one system over the texts, print JSON."""
    schema = LabelSchema.from_dict(json.loads(Path(args.texts_file + ".schema").read_text()))
    texts = Path(args.texts_file).read_text(encoding="utf-8").splitlines()
    tokenizer = AutoTokenizer.from_pretrained(args.tokenizer_dir)
    taggers, pipe = {}, None
    if args.probe == OURS_INT8:
        taggers[OURS_INT8], _ = int8_tagger(schema, tokenizer, args)
    elif args.probe == OURS:
        taggers[OURS] = JointTagger(build_model(schema, args.layers, args.seed), tokenizer, "cpu")
    else:
        pipe = make_pipeline(build_model(schema, args.layers, args.seed), tokenizer)
    gc.collect()
    loaded = bc.rss_mb()
    reset = bc.reset_peak_rss()
    start = time.perf_counter()
    runner(args.probe, taggers, pipe)(texts, args.probe_batch_size)
    seconds = time.perf_counter() - start
    print(json.dumps({"system": args.probe, "rss_after_load_mb": round(loaded, 1),
                                    "peak_rss_mb": round(bc.peak_rss_mb(), 1), "peak_reset": reset,
                                    "seconds": round(seconds, 2), "batch_size": args.probe_batch_size}))


def memory_peaks(systems: Sequence[str], texts: Sequence[str], schema: LabelSchema, tok_dir: Path,
                 args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run each system's probe in a child process, one after the other."""
    texts_file = tok_dir / "texts.txt"
    texts_file.write_text("\n".join(texts), encoding="utf-8")
    (tok_dir / "texts.txt.schema").write_text(json.dumps(schema.to_dict()))
    results = []
    for system in systems:
        command = [sys.executable, __file__, "--probe", system, "--tokenizer-dir", str(tok_dir),
                   "--texts-file", str(texts_file), "--layers", str(args.layers), "--seed", str(args.seed),
                   "--probe-batch-size", str(max(args.batch_sizes))]
        done = subprocess.run(command, capture_output=True, text=True, check=True)
        results.append(bc.child_json(done.stdout))
    return results


# --- the run ---------------------------------------------------------------------------------------

def time_all(systems: Sequence[str], taggers: dict[str, JointTagger], pipe: Any, pool: Sequence[str],
             args: argparse.Namespace, flops: Callable[[Sequence[str]], tuple[list[int], list[int]]]) -> dict:
    """Alternate the systems per batch size and repetition; collect per-run figures."""
    runs: dict[tuple[str, int], list[dict[str, float]]] = {(s, b): [] for s in systems for b in args.batch_sizes}
    matmul = []
    n = args.sentences
    for rep in range(args.repeats):
        texts = [pool[(rep * n + k) % len(pool)] for k in range(n)]
        ours_len, pipe_len = flops(texts)
        order = list(systems) if rep % 2 == 0 else list(reversed(systems))
        for bs in args.batch_sizes:
            for system in order:
                gc.collect()
                matmul.append(matmul_gflops(args.matmul_size))  # next to each run: the load changes
                start = time.perf_counter()
                out = runner(system, taggers, pipe)(texts, bs)
                seconds = time.perf_counter() - start
                lengths = pipe_len if system == PIPELINE else ours_len
                run = {"seconds": seconds, "sentences": n, "tokens": sum(lengths),
                       "flops": model_flops(lengths, args.weights, args.layers, 768), "matmul_gflops": matmul[-1]}
                if system != PIPELINE:
                    run["events_per_sentence"] = count_events(out)
                runs[(system, bs)].append(run)
                print(f"rep {rep + 1} bs {bs:>2} {system:<15} {n / seconds:7.2f} sent/s", file=sys.stderr)
    return {"runs": runs, "matmul_gflops": matmul}


def summarise(timed: dict, systems: Sequence[str], batch_sizes: Sequence[int]) -> list[dict[str, Any]]:
    """Median figures per (system, batch size). The speed ratio to the pipeline is the median of
    each repetition's own ratio (the two runs sit side by side, so a load change between
    repetitions cancels out)."""
    rows = []
    for bs in batch_sizes:
        base = [r["sentences"] / r["seconds"] for r in timed["runs"][(PIPELINE, bs)]]
        for system in systems:
            runs = timed["runs"][(system, bs)]
            speed = bc.median(r["sentences"] / r["seconds"] for r in runs)
            gflops = bc.median(r["flops"] / r["seconds"] / 1e9 for r in runs)
            row = {"system": system, "batch_size": bs, "sentences_per_s": speed,
                   "tokens_per_s": bc.median(r["tokens"] / r["seconds"] for r in runs),
                   "ratio_vs_pipeline": bc.median(r["sentences"] / r["seconds"] / b for r, b in zip(runs, base)),
                   "model_gflops": gflops,
                   "fraction_of_matmul": bc.median(r["flops"] / r["seconds"] / 1e9 / r["matmul_gflops"] for r in runs)}
            if "events_per_sentence" in runs[0]:
                row["events_per_sentence"] = bc.median(r["events_per_sentence"] for r in runs)
            rows.append(row)
    return rows


def main(args: argparse.Namespace) -> int:
    if args.probe:
        probe(args)
        return 0
    started = time.time()
    records = bc.corpus_records(bc.shared_data_dir(args.shared_data))
    pool = timed_texts(records, args.texts, args.total, args.seed)
    schema = build_schema(records, args.ner_only)
    with tempfile.TemporaryDirectory(prefix="bench-inference-") as tmp:
        tok_dir = Path(tmp)
        tokenizer = load_tokenizer(records, tok_dir)
        del records
        model = build_model(schema, args.layers, args.seed)
        args.weights = linear_weights(model)
        taggers = {OURS: JointTagger(model, tokenizer, "cpu")}
        if args.quantize == "int8":
            taggers[OURS_INT8], args.int8_schema = int8_tagger(schema, tokenizer, args)
        if args.onnx:
            taggers.update(onnx_taggers(model, tokenizer, tok_dir / "onnx"))
        pipe = make_pipeline(model, tokenizer)
        systems = [OURS, PIPELINE] + [s for s in (OURS_INT8, ONNX, ONNX_INT8) if s in taggers]
        timed = time_all(systems, taggers, pipe, pool, args, lambda t: token_lengths(taggers[OURS], t))
        rows = summarise(timed, systems, args.batch_sizes)
        agree = agreement(taggers[OURS], make_pipeline(model, tokenizer, "first"), pool[:args.check_sentences])
        del taggers, pipe, model
        gc.collect()
        probed = [s for s in systems if s in (OURS, PIPELINE, OURS_INT8)]  # ONNX: not probed (yet)
        memory = memory_peaks(probed, pool[:args.sentences], schema, tok_dir, args) if args.memory else []
    for row in rows:
        peak = next((m["peak_rss_mb"] for m in memory if m["system"] == row["system"]), None)
        row["peak_rss_mb"] = peak if row["batch_size"] == max(args.batch_sizes) else None
    result = {"settings": {k: v for k, v in vars(args).items() if k not in ("probe", "texts_file", "tokenizer_dir")},
              "machine": bc.machine_info(), "model": {"layers": args.layers, "hidden": 768, "vocab": VOCAB,
                                                     "linear_weights": args.weights,
                                                     "entity_types": schema.entity_types,
                                                     "event_types": schema.event_types},
              "matmul_gflops_median": bc.median(timed["matmul_gflops"]), "results": rows,
              "memory": memory, "agreement": agree, "raw_runs": {f"{s}@{b}": v for (s, b), v in timed["runs"].items()},
              "wall_seconds": round(time.time() - started, 1)}
    print(bc.format_rows(rows, ["system", "batch_size", "sentences_per_s", "tokens_per_s", "ratio_vs_pipeline",
                                "model_gflops", "fraction_of_matmul", "events_per_sentence", "peak_rss_mb"]))
    print(f"\nfp32 matmul {args.matmul_size}^3: {result['matmul_gflops_median']:.1f} GFLOP/s (median); "
          f"load average {result['machine']['load_average_1m']:.2f} on {result['machine']['cpus']} CPUs")
    print(f"entity agreement (pipeline aggregation 'first', shared words): {agree['identical']}/"
          f"{agree['sentences']} sentences identical ({agree['excluded_word_mismatch']} excluded: words differ); "
          f"with our BIO decoder on the pipeline model's probabilities: {agree['identical_with_same_decoder']}/"
          f"{agree['sentences']}")
    print(f"wrote {bc.write_json(args.output, result)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
