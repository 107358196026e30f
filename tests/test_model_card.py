"""The model card a saved model folder carries (README.md): hub metadata in the YAML front matter,
the label schema, the evaluation tables and how to load the model."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from huggingface_hub import ModelCard

from arabic_ie.model.hub import load_model_and_tokenizer, save_model
from arabic_ie.training.metrics import score

TRAINING = {"datasets": ["arabic-ie/wojood-sample"], "repo_id": "my-org/arabic-ie-tiny",
            "model_name": "arabic-ie tiny test model", "data_files": ["data/sample/train.jsonl"]}


@pytest.fixture(scope="module")
def plain_card(tiny_model_dir: Path) -> ModelCard:
    """The card of a folder saved without metrics or training details."""
    return ModelCard.load(tiny_model_dir / "README.md")


@pytest.fixture(scope="module")
def metrics(sample_records) -> dict:
    dev = sample_records["dev"]
    return {"dev": score(dev, dev), "test": score(sample_records["test"], sample_records["test"])}


@pytest.fixture(scope="module")
def saved_with_metrics(tiny_model_dir: Path, metrics: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    model, tokenizer = load_model_and_tokenizer(str(tiny_model_dir))
    return save_model(model, tokenizer, tmp_path_factory.mktemp("card") / "model", metrics=metrics, training=TRAINING)


@pytest.fixture(scope="module")
def full_card(saved_with_metrics: Path) -> ModelCard:
    return ModelCard.load(saved_with_metrics / "README.md")


def test_front_matter_has_the_hub_metadata(plain_card: ModelCard) -> None:
    data = plain_card.data
    assert data.language == "ar"
    assert data.pipeline_tag == "token-classification"
    assert data.library_name == "arabic-ie"
    assert data.license == "apache-2.0"
    assert set(data.metrics) == {"precision", "recall", "f1"}
    assert {"arabic", "ner", "event-extraction"} <= set(data.tags)
    assert data.datasets is None  # none given
    assert plain_card.content.startswith("---\n")


def test_front_matter_lists_the_datasets_when_given(full_card: ModelCard) -> None:
    assert full_card.data.datasets == TRAINING["datasets"]
    assert full_card.data.language == "ar"


def test_label_schema_tables(plain_card: ModelCard, tiny_model_dir: Path) -> None:
    schema = json.loads((tiny_model_dir / "config.json").read_text(encoding="utf-8"))["schema"]
    text = plain_card.text
    assert "## Label schema" in text
    for layer, key in (("entity types", "entity_types"), ("event types", "event_types"), ("roles", "roles")):
        assert f"| {layer} | {', '.join(schema[key]) or '-'} |" in text
    for event_type, roles in schema["allowed_roles"].items():
        assert f"| {event_type} | {', '.join(roles)} |" in text


def test_no_evaluation_without_metrics(plain_card: ModelCard) -> None:
    assert "No evaluation results were saved with this model." in plain_card.text


def test_evaluation_tables_from_metrics(full_card: ModelCard, saved_with_metrics: Path, metrics: dict) -> None:
    text = full_card.text
    evaluation = text[text.index("## Evaluation"):text.index("## How to use")]
    for split in ("dev", "test"):
        assert f"### {split}" in evaluation
    assert "#### Entities" in evaluation and "| overall (micro) | 100.0 | 100.0 | 100.0 |" in evaluation
    if metrics["dev"]["counts"]["event_records"]:
        assert "#### Triggers" in evaluation and "#### Arguments" in evaluation
    saved = json.loads((saved_with_metrics / "metrics.json").read_text(encoding="utf-8"))
    assert saved["dev"]["counts"] == metrics["dev"]["counts"]


def test_how_to_load_snippet(plain_card: ModelCard, full_card: ModelCard) -> None:
    assert 'JointTagger.from_pretrained("ORG/NAME")' in plain_card.text  # filled in by push_model
    assert 'JointTagger.from_pretrained("my-org/arabic-ie-tiny")' in full_card.text
    assert "arabic-ie predict --model my-org/arabic-ie-tiny" in full_card.text
    assert "# arabic-ie tiny test model" in full_card.text
    assert "data/sample/train.jsonl" in full_card.text


def test_resaving_keeps_the_metrics(saved_with_metrics: Path, tmp_path: Path) -> None:
    """save_model over an existing folder, without metrics, keeps the folder's metrics.json in the card."""
    folder = shutil.copytree(saved_with_metrics, tmp_path / "model")
    model, tokenizer = load_model_and_tokenizer(str(folder))
    save_model(model, tokenizer, folder)
    card = ModelCard.load(folder / "README.md")
    assert "#### Entities" in card.text


def test_plain_save_pretrained_writes_the_card_too(tiny_model_dir, tmp_path):
    from arabic_ie.model.hub import load_model_and_tokenizer

    model, _ = load_model_and_tokenizer(str(tiny_model_dir))
    model.save_pretrained(tmp_path / "plain")
    card = (tmp_path / "plain" / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---") and "pipeline_tag: token-classification" in card
    assert "| entity types |" in card


def test_a_corpus_card_gives_its_licence_and_the_model_card_states_it(tmp_path, tiny_model_dir):
    from arabic_ie.data.corpus_card import read_corpus_card

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "README.md").write_text("---\nlicense: cc-by-sa-4.0\npretty_name: News EE\n---\n# News\n", encoding="utf-8")
    card = read_corpus_card(corpus / "train.jsonl")
    assert (card.name, card.license) == ("News EE", "cc-by-sa-4.0")
    (tmp_path / "README.md").write_text("# no front matter\n", encoding="utf-8")
    assert read_corpus_card(tmp_path / "other.jsonl") is None

    model, tokenizer = load_model_and_tokenizer(str(tiny_model_dir))
    training = {**TRAINING, "data_licenses": ["News EE: cc-by-sa-4.0"]}
    saved = save_model(model, tokenizer, tmp_path / "model", training=training)
    assert "**Training data licence:** News EE: cc-by-sa-4.0" in (saved / "README.md").read_text(encoding="utf-8")
    assert ModelCard.load(saved / "README.md").data.license == "cc-by-sa-4.0"  # share-alike carries to the model


def test_the_card_names_the_base_model_and_sets_the_model_beside_the_baselines(tiny_model_dir, tmp_path, sample_records):
    from arabic_ie.model.card import describe_base_model, model_license, render_model_card
    from arabic_ie.training.metrics import score

    model, _ = load_model_and_tokenizer(str(tiny_model_dir))
    assert model_license([], "arwiki-small") == "cc-by-sa-4.0"  # the shipped encoder is CC BY-SA
    assert model_license(["A: mit", "B: cc-by-sa-4.0"], "tiny") == "cc-by-sa-4.0"
    assert model_license(["A: mit"], "tiny") == "mit" and model_license(["A: mit", "B: apache-2.0"], "x/y") == "other"
    assert "[org/bert](https://huggingface.co/org/bert)" == describe_base_model("org/bert")
    assert "from scratch" in describe_base_model("tiny") and "Wikipedia" in describe_base_model("arwiki-small")
    gold = sample_records["test"]
    empty = [type(r)(r.id, r.text, [], [] if r.events is not None else None) for r in gold]
    comparison = {"sample test": {"majority": score(gold, empty), "the model": score(gold, gold)}}
    text = render_model_card(model.config, training=TRAINING, comparison=comparison)
    assert "#### sample test" in text and "| the model | 100.0 | 100.0 | 100.0 |" in text
    assert "| majority | 0.0 | 0.0 | 0.0 |" in text
    assert "from scratch" in text  # the tiny base model, explained
