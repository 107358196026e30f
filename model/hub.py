"""Saving a model folder (weights, tokenizer, filled model card) and loading one from a local
folder or the Hugging Face hub, with errors that say what went wrong."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from transformers import AutoTokenizer

from .card import render_model_card
from .modeling import ArabicIEModel

METRICS_FILE = "metrics.json"


class ModelLoadError(OSError):
    """A model could not be found or loaded; the message names the repo/folder and revision."""


def save_model(model: ArabicIEModel, tokenizer: Any, path: str | Path,
               metrics: dict[str, Any] | None = None, training: dict[str, Any] | None = None) -> Path:
    """Write the model folder atomically: everything goes to a temporary sibling folder that is
    renamed into place at the end, so a killed run never leaves a half-written folder that loads.
    ``metrics`` (evaluation results) and ``training`` (data and settings) feed the model card."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        if metrics is None and (path / METRICS_FILE).exists():
            metrics = json.loads((path / METRICS_FILE).read_text(encoding="utf-8"))
        if metrics is not None:
            (tmp / METRICS_FILE).write_text(json.dumps(metrics, indent=2, ensure_ascii=False), encoding="utf-8")
        (tmp / "README.md").write_text(render_model_card(model.config, metrics, training), encoding="utf-8")
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def load_model_and_tokenizer(name_or_path: str, revision: str | None = None,
                             **hub_kwargs: Any) -> tuple[ArabicIEModel, Any]:
    """Load from a local folder, or download (and cache) from the hub; offline mode reads the cache."""
    from huggingface_hub.errors import (EntryNotFoundError, GatedRepoError, LocalEntryNotFoundError,
                                        RepositoryNotFoundError, RevisionNotFoundError)

    where = f"{name_or_path!r}" + (f" at revision {revision!r}" if revision else "")
    if not Path(name_or_path).exists() and ("/" not in name_or_path or name_or_path.startswith((".", "/"))):
        raise ModelLoadError(f"model {where}: no such folder, and not a hub repo id (ORG/NAME)")
    try:
        model = ArabicIEModel.from_pretrained(name_or_path, revision=revision, **hub_kwargs)
        tokenizer = AutoTokenizer.from_pretrained(name_or_path, revision=revision, **hub_kwargs)
    except RevisionNotFoundError:
        raise ModelLoadError(f"model {where}: the revision does not exist in that repo") from None
    except (RepositoryNotFoundError, GatedRepoError):
        raise ModelLoadError(f"model {where}: no such repo on the hub (or it is private/gated)") from None
    except (LocalEntryNotFoundError, EntryNotFoundError) as err:
        raise ModelLoadError(f"model {where}: files not found ({err.__class__.__name__}); offline "
                             "without a cached copy, or not an arabic-ie model folder") from None
    except OSError as err:
        message = str(err)
        if "revision" in message.lower() or "is not a valid git identifier" in message:
            raise ModelLoadError(f"model {where}: the revision does not exist in that repo") from None
        if "not a valid model identifier" in message or "Repository Not Found" in message or "404" in message:
            raise ModelLoadError(f"model {where}: no such repo on the hub or local folder") from None
        raise ModelLoadError(f"model {where}: {message.splitlines()[0]}") from None
    return model, tokenizer
