"""The main job on the shipped sample: train ``tiny``, score it on the test split beside the
majority baseline, and tag an unseen example article."""
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


SAMPLE = Path(arabic_ie.data.__file__).resolve().parent / "sample"  # data/sample, shipped in arabic_ie.data


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


def run_demo(output: str = "outputs/demo", epochs: int | None = None) -> int:
    """Train ``tiny`` on the sample, score it beside the majority baseline, and tag an article."""
    from arabic_ie.data.jsonl import read_jsonl
    from arabic_ie.model.tagger import JointTagger
    from arabic_ie.training.baseline import baseline_scores, format_comparison
    from arabic_ie.training.config import TrainConfig
    from arabic_ie.training.trainer import Trainer

    config_file = SAMPLE / "sample-tiny.yaml"  # configs/sample-tiny.yaml, shipped with the sample
    config = TrainConfig.from_yaml(config_file, output_dir=output, epochs=epochs,
                                   train_files=[str(sample_path("train"))], dev_files=[str(sample_path("dev"))],
                                   test_files=[str(sample_path("test"))])
    started = time.time()
    result = Trainer(config).train()
    train, test = list(read_jsonl(sample_path("train"))), list(read_jsonl(sample_path("test")))
    systems = {**baseline_scores(train, test), "arabic-ie tiny (joint)": result["metrics"]["test"]}
    print("\nTest split of the shipped sample (F1, %):")
    print(format_comparison(systems))
    tagger = JointTagger.from_pretrained(Path(output) / "model")
    print("\nAn unseen article:\n" + EXAMPLE_ARTICLE + "\n")
    example = tagger.predict(EXAMPLE_ARTICLE)
    print(describe(example))
    from arabic_ie.data.render_page import write_render

    print(f"\nHTML view of the article: {write_render([example], Path(output) / 'example.html', title='arabic-ie demo')}")
    print(f"\nDone in {time.time() - started:.0f} s. Model: {Path(output) / 'model'}; report: {Path(output) / 'report.md'}")
    return 0
