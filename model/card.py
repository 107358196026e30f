"""The model card: ``model_card.md`` filled from the model config and its saved metrics, with
hub metadata (language, pipeline tag, datasets, metrics) through ``huggingface_hub``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard, ModelCardData

TEMPLATE = Path(__file__).with_name("model_card.md")


def evaluation_markdown(metrics: dict[str, Any] | None) -> str:
    if not metrics:
        return "No evaluation results were saved with this model."
    from arabic_ie.training.metrics import to_markdown

    parts = []
    for split, scores in metrics.items():
        if isinstance(scores, dict) and "entities" in scores:
            parts.append(f"### {split}\n\n" + to_markdown(scores, heading_level=4))
    return "\n\n".join(parts) or "No evaluation results were saved with this model."


def render_model_card(config: Any, metrics: dict[str, Any] | None = None,
                      training: dict[str, Any] | None = None) -> str:
    schema = config.label_schema
    training = training or {}
    datasets = training.get("datasets") or []
    card_data = ModelCardData(
        language="ar", license=training.get("license", "apache-2.0"), library_name="arabic-ie",
        pipeline_tag="token-classification", tags=["arabic", "ner", "event-extraction", "arabic-ie"],
        datasets=datasets or None, metrics=["precision", "recall", "f1"],
        base_model=config.base_model if "/" in config.base_model else None,
    )
    card = ModelCard.from_template(
        card_data, template_path=str(TEMPLATE),
        model_name=training.get("model_name", "arabic-ie joint model"),
        base_model_name=config.base_model or "unknown", repo_id=training.get("repo_id", "ORG/NAME"),
        training_data=", ".join(training.get("data_files", [])) or "see the training report",
        data_licenses="; ".join(training.get("data_licenses", [])) or "not stated by the training corpora",
        entity_types=", ".join(schema.entity_types) or "-", event_types=", ".join(schema.event_types) or "-",
        roles=", ".join(schema.roles) or "-", allowed_roles=schema.allowed_roles,
        evaluation=evaluation_markdown(metrics),
    )
    return str(card)
