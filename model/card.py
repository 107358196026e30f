"""The model card: ``model_card.md`` filled from the model config and its saved metrics, with
hub metadata (language, pipeline tag, datasets, metrics) through ``huggingface_hub``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard, ModelCardData

TEMPLATE = Path(__file__).with_name("model_card.md")


def evaluation_markdown(metrics: dict[str, Any] | None) -> str:
    """The card's evaluation section: a table set per scored split."""
    if not metrics:
        return "No evaluation results were saved with this model."
    from arabic_ie.data.score_tables import to_markdown

    parts = []
    for split, scores in metrics.items():
        if isinstance(scores, dict) and "entities" in scores:
            parts.append(f"### {split}\n\n" + to_markdown(scores, heading_level=4))
    return "\n\n".join(parts) or "No evaluation results were saved with this model."


#: what each offline base model is, for a reader of the card
BASE_MODELS = {
    "tiny": "none: a small BERT trained from scratch on the training data alone (`tiny`, its WordPiece "
            "vocabulary learnt from that data too)",
    "arwiki-small": "`arwiki-small`, a 7.4M-parameter BERT pretrained by `arabic-ie pretrain` on Arabic Wikipedia "
                    "(CC BY-SA 4.0) that ships with arabic-ie (its card: `model/pretrained/arwiki-small/README.md`)",
}
#: the licence of the encoder a base model name stands for, where the package knows it
BASE_MODEL_LICENSES = {"arwiki-small": "cc-by-sa-4.0"}


def describe_base_model(name: str) -> str:
    """The base model in words, with a link for a hub id."""
    if name in BASE_MODELS:
        return BASE_MODELS[name]
    if name.count("/") == 1 and not name.startswith((".", "/")):
        return f"[{name}](https://huggingface.co/{name})"
    return f"`{name}` (a local folder)" if name else "unknown"


def model_license(data_licenses: list[str], base_model: str) -> str:
    """The model's licence: share-alike terms of the training data or the base encoder carry to
    the model (a model trained on CC BY-SA data is shared under CC BY-SA); otherwise the one
    licence they agree on, else ``other``."""
    found = sorted({l.split(": ", 1)[-1].lower() for l in data_licenses}
                   | ({BASE_MODEL_LICENSES[base_model]} if base_model in BASE_MODEL_LICENSES else set()))
    share_alike = [l for l in found if "-sa" in l]
    if share_alike:
        return share_alike[0]
    return found[0] if len(found) == 1 else ("apache-2.0" if not found else "other")


def comparison_markdown(comparison: dict[str, dict[str, dict[str, Any]]]) -> str:
    """Per evaluation set, the model beside its yardsticks: entity F1, and trigger and argument
    classification F1 where the set has events, in %."""
    parts = []
    for set_name, systems in comparison.items():
        has_events = any(s["counts"].get("event_records", 0) for s in systems.values())
        header = "| system | entities | triggers | arguments |" if has_events else "| system | entities |"
        lines = [f"#### {set_name}", "", header, "|---|---|---|---|" if has_events else "|---|---|"]
        for name, s in systems.items():
            row = [100 * s["entities"]["overall"]["f1"]]
            if has_events:
                row += [100 * s["triggers"]["classification"]["f1"], 100 * s["arguments"]["classification"]["f1"]]
            lines.append(f"| {name} | " + " | ".join(f"{v:.1f}" for v in row) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def render_model_card(config: Any, metrics: dict[str, Any] | None = None,
                      training: dict[str, Any] | None = None,
                      comparison: dict[str, dict[str, dict[str, Any]]] | None = None) -> str:
    """The model card (README.md with hub metadata) of a model config, its metrics and training
    facts; ``comparison`` adds, per evaluation corpus, the model's F1 beside the baselines'."""
    schema = config.label_schema
    training = training or {}
    datasets = training.get("datasets") or []
    licence = model_license(training.get("data_licenses") or [], config.base_model)
    card_data = ModelCardData(
        language="ar", license=licence, library_name="arabic-ie",
        pipeline_tag="token-classification", tags=["arabic", "ner", "event-extraction", "arabic-ie"],
        datasets=datasets or None, metrics=["precision", "recall", "f1"],
        base_model=config.base_model if "/" in config.base_model else None,
    )
    card = ModelCard.from_template(
        card_data, template_path=str(TEMPLATE),
        model_name=training.get("model_name", "arabic-ie joint model"),
        base_model_name=describe_base_model(config.base_model), repo_id=training.get("repo_id", "ORG/NAME"),
        license=licence, comparison=comparison_markdown(comparison) if comparison else "",
        training_data=", ".join(training.get("data_files", [])) or "see the training report",
        data_licenses="; ".join(training.get("data_licenses", [])) or "not stated by the training corpora",
        entity_types=", ".join(schema.entity_types) or "-", event_types=", ".join(schema.event_types) or "-",
        roles=", ".join(schema.roles) or "-", allowed_roles=schema.allowed_roles,
        evaluation=evaluation_markdown(metrics),
    )
    return str(card)
