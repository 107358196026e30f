"""The main job: fine-tune the shipped pretrained encoder (``arwiki-small``; ``model="tiny"``
trains from scratch) on the real-news corpus (ANERcorp-EE) and the hand-written sample together, score it on each corpus's held-out splits beside the majority and
CRF baselines, and tag an unseen example article."""
from __future__ import annotations

import time
from pathlib import Path

import arabic_ie.data

EXAMPLE_ARTICLE = (
    "القاهرة (أ ش أ) - التقى وزير الخارجية المصري بدر عبد العاطي نظيره الأردني أيمن الصفدي "
    "في عمّان صباح الأحد، وبحث الجانبان تطورات الأوضاع في قطاع غزة. "
    "وفي وقت لاحق، أعلنت وزارة الداخلية اعتقال ثلاثة أشخاص في الإسكندرية بتهمة تهريب أسلحة. "
    "من جهة أخرى، قُتل خمسة مدنيين وأصيب عشرة آخرون في قصف استهدف مدينة حلب فجر الإثنين."
)

DATA = Path(arabic_ie.data.__file__).resolve().parent  # data/, shipped as arabic_ie.data
SAMPLE = DATA / "sample"
ANERCORP = DATA / "anercorp"
DEMO_CONFIG = DATA / "demo.yaml"  # the recipe (packaged with the data, so a wheel has it)
DEMO_TINY_CONFIG = DATA / "demo-tiny.yaml"  # --model tiny: the from-scratch recipe
#: The held-out splits the demo scores, by the name it prints.
EVAL_SETS = {"ANERcorp-EE dev (real news)": ANERCORP / "dev.jsonl",
             "sample dev": SAMPLE / "dev.jsonl", "sample test": SAMPLE / "test.jsonl"}


def sample_path(split: str) -> Path:
    """A split of the shipped sample, found through the installed package (works from a wheel)."""
    return SAMPLE / f"{split}.jsonl"


def describe(record) -> str:
    """A readable listing of what was found in one text."""
    text = record.text
    lines = ["Entities:"]
    lines += [f"  {e.label:<5} {text[e.start:e.end]}  [{e.start}:{e.end}]  ({e.score:.2f})" for e in record.entities] or ["  (none)"]
    lines.append("Events:")
    for event in record.events or []:
        t = event.trigger
        lines.append(f"  {event.type}: «{text[t.start:t.end]}» [{t.start}:{t.end}] ({t.score:.2f})")
        lines += [f"      {a.label:<11} {text[a.start:a.end]}" for a in event.arguments]
    if not record.events:
        lines.append("  (none)")
    return "\n".join(lines)


def baselines(train: list, crf: bool = True) -> dict:
    """The yardsticks: the majority label per word, and the CRF where its extra is installed
    (``crf=False``: not trained, it takes minutes on the demo's corpora)."""
    from arabic_ie.training.baseline import MajorityBaseline

    systems = {"majority label per word": MajorityBaseline(train)}
    if not crf:
        return systems
    try:
        from arabic_ie.training.crf_baseline import CrfBaseline

        systems["CRF, per-word features"] = CrfBaseline(train)
    except ImportError as e:
        print(f"(no CRF baseline: {e})")
    return systems


def score_table(rows: dict[str, dict]) -> str:
    """Rows of entity / trigger / argument classification F1, in %."""
    from arabic_ie.training.trainer import summarize_metric

    lines = [f"  {'':<28}{'entities':>10}{'triggers':>10}{'arguments':>11}"]
    for name, metrics in rows.items():
        s = summarize_metric(metrics)
        lines.append(f"  {name:<28}{100 * s['entity_f1']:>10.1f}{100 * s['trigger_f1']:>10.1f}{100 * s['argument_f1']:>11.1f}")
    return "\n".join(lines)


def run_demo(output: str = "outputs/demo", epochs: int | None = None, model: str | None = None,
             card: str | Path | None = None, max_steps: int | None = None, crf: bool = True) -> int:
    """Fine-tune the recipe's encoder (or ``model``) on both corpora, score each held-out split
    beside the baselines, tag an article; the model card (with those scores) is also written to
    ``card`` when given. ``max_steps`` and ``crf=False`` make a quick run (a smoke check)."""
    from arabic_ie.data.jsonl import read_jsonl
    from arabic_ie.model.tagger import JointTagger
    from arabic_ie.settings import read_config
    from arabic_ie.training.metrics import score
    from arabic_ie.training.trainer import Trainer

    train_files = [ANERCORP / "train.jsonl", sample_path("train")]
    recipe = DEMO_TINY_CONFIG if model == "tiny" else DEMO_CONFIG
    config = read_config(recipe, output_dir=output, epochs=epochs, model=model, max_steps=max_steps,
                         train_files=[str(f) for f in train_files],
                         dev_files=[str(ANERCORP / "dev.jsonl"), str(sample_path("dev"))],
                         test_files=[str(sample_path("test"))])
    started = time.time()
    trainer = Trainer(config)
    trainer.train()
    trained = time.time()
    train = [r for f in train_files for r in read_jsonl(f)]
    systems = baselines(train, crf=crf)
    model_dir = Path(output) / "model"
    tagger = JointTagger.from_pretrained(model_dir)
    comparison = {}
    for name, path in EVAL_SETS.items():
        gold = list(read_jsonl(path))
        rows = {system: score(gold, [baseline.predict(r) for r in gold]) for system, baseline in systems.items()}
        rows[f"arabic-ie ({tagger.model.config.base_model})"] = score(gold, tagger.predict(gold, split_sentences=False, tag_all_languages=True))
        comparison[f"{name}, {len(gold)} sentences"] = rows
        print(f"\n{name}, {len(gold)} sentences (F1, %: entities; trigger and argument classification):")
        print(score_table(rows))
    from arabic_ie.model.hub import save_model

    save_model(tagger.model, tagger.tokenizer, model_dir, training=trainer.card_info(), comparison=comparison)
    if card:  # the card of the model the demo trains, readable on its own
        Path(card).write_text((model_dir / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    print("\nAn unseen article:\n" + EXAMPLE_ARTICLE + "\n")
    example = tagger.predict(EXAMPLE_ARTICLE)
    print(describe(example))
    from arabic_ie.data.render_page import write_render

    print(f"\nHTML view of the article: {write_render([example], Path(output) / 'example.html', title='arabic-ie demo')}")
    print(f"\nTrained in {trained - started:.0f} s; done in {time.time() - started:.0f} s. "
          f"Model: {model_dir}; report: {Path(output) / 'report.md'}; card: {card or model_dir / 'README.md'}")
    return 0
