"""The shipped real-news corpus (ANERcorp's training part with the project's entity and event
annotation) validates against the guidelines, holds the counts its README states, and maps back
to ANERcorp's own token lines."""
from __future__ import annotations

from pathlib import Path

import pytest

from arabic_ie.data.conll import read_conll, write_conll
from arabic_ie.data.jsonl import read_jsonl
from arabic_ie.data.stats import corpus_stats, stats_markdown
from arabic_ie.data.validate import GUIDELINES_SCHEMA, validate_file

CORPUS = Path(__file__).resolve().parents[1] / "data" / "anercorp"
SPLITS = ("train", "dev")


@pytest.fixture(scope="module")
def corpus():
    return {split: list(read_jsonl(CORPUS / f"{split}.jsonl")) for split in SPLITS}


def anercorp_tokens(shared_data: Path) -> list[list[str]]:
    sentences, current = [], []
    for line in (shared_data / "ANERcorp" / "ANERCorp_CAMeLrecon_train.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            current.append(line.rsplit(" ", 1)[0])
        elif current:
            sentences.append(current)
            current = []
    return sentences + ([current] if current else [])


def test_the_corpus_validates_against_the_guidelines():
    for split in SPLITS:
        assert validate_file(CORPUS / f"{split}.jsonl", schema=GUIDELINES_SCHEMA) == []


def test_the_readme_states_the_corpus_counts(corpus):
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    table = stats_markdown({split: corpus_stats(records) for split, records in corpus.items()})
    assert table in readme, "data/anercorp/README.md does not hold the counts of the shipped files"
    stats = corpus_stats(corpus["train"] + corpus["dev"])
    assert stats.records == 3963
    assert set(stats.entities) == set(GUIDELINES_SCHEMA.entity_types)
    assert sum(stats.events.values()) > 1000  # an event layer over the whole file, not a corner of it


def test_record_ids_keep_anercorp_order_and_dev_is_the_last_block(corpus):
    ids = [r.id for split in SPLITS for r in corpus[split]]
    assert ids == [f"anercorp-{i:04d}" for i in range(3963)]
    assert len(corpus["dev"]) == 396


def test_conll_export_of_the_entity_layer_gives_back_anercorp_tokens(corpus, shared_data, tmp_path):
    records = corpus["train"] + corpus["dev"]
    path = tmp_path / "entities.conll"
    assert write_conll(records, path, tokenize="whitespace") == 3963
    exported = [line.split(" ")[0] for line in path.read_text(encoding="utf-8").splitlines() if line]
    assert exported == [token for sentence in anercorp_tokens(shared_data) for token in sentence]
    again = tmp_path / "again.conll"
    write_conll(read_conll(path), again, tokenize="whitespace")
    assert again.read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_the_shipped_files_are_built_from_the_annotation_files(shared_data, tmp_path):
    """train/dev.jsonl are exactly what the token-index annotation (parts + adjudication) builds."""
    import os
    import subprocess
    import sys

    script = CORPUS.parents[1] / "scripts" / "anercorp_annotation.py"
    env = {**os.environ, "ARABIC_IE_SHARED_DATA": str(shared_data)}
    subprocess.run([sys.executable, str(script), "build", "--out", str(tmp_path)], check=True, env=env,
                   capture_output=True)
    for split in SPLITS:
        assert (tmp_path / f"{split}.jsonl").read_bytes() == (CORPUS / f"{split}.jsonl").read_bytes(), split


def test_no_gold_span_of_a_shipped_corpus_is_only_latin_script(corpus, sample_records):
    """The guidelines' decision on English glosses: the corpora follow the rule the tagger applies."""
    from arabic_ie.data.text import is_latin_run, split_words

    records = [r for split in corpus.values() for r in split] + [r for s in sample_records.values() for r in s]
    spans = [(r, s) for r in records for s in [*r.entities, *(a for e in r.events or [] for a in e.arguments)]]
    latin = [r.text[s.start:s.end] for r, s in spans if is_latin_run([w.text for w in split_words(r.text[s.start:s.end])])]
    assert latin == []
    assert any("CNN" in r.text[s.start:s.end] for r, s in spans)  # a name that mixes scripts is kept


def test_the_card_says_the_annotation_is_machine_annotation_with_its_audit():
    readme = (CORPUS / "README.md").read_text(encoding="utf-8")
    front = readme.split("---")[1]
    assert "machine-generated" in front
    assert "**The annotation is machine annotation.**" in readme and "large language model" in readme
    for figure in ("0.96", "0.91", "0.77", "recall 0.69", "0.956", "0.941", "0.818"):
        assert figure in readme
