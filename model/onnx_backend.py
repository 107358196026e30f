"""The ONNX Runtime backend: the encoder and the entity and trigger heads as one ONNX graph.

``JointTagger(..., backend="onnx")`` runs windows through an :class:`OnnxEncoder` instead of the
torch encoder; the argument head (a small share of the time, and only for windows with
triggers) stays in torch on the hidden states the graph returns. The graph files are written by
:func:`arabic_ie.model.onnx_export.export_onnx` (``arabic-ie export``) into ``MODEL/onnx/``:

- ``model.onnx``: fp32, graph-optimised for BERT (fused attention, GELU, LayerNorm);
- ``model_int8.onnx``: the same with dynamic int8 quantisation of the matrix products;
- ``export.json``: how they were made and the labels they output (checked on load).

onnxruntime is an optional dependency: ``pip install "arabic-ie[onnx]"``.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from arabic_ie.data.errors import first_line

logger = logging.getLogger(__name__)

EXTRA_HINT = 'install the ONNX extra: pip install "arabic-ie[onnx]"'
ONNX_DIR = "onnx"
EXPORT_INFO = "export.json"
FILES = {"fp32": "model.onnx", "int8": "model_int8.onnx"}
INPUTS = ("input_ids", "attention_mask")
CHAR_INPUT = "char_ids"  # (batch, tokens, letters): only in graphs of models with a char CNN
OUTPUTS = ("hidden", "entity_probs", "trigger_probs")


class OnnxBackendError(OSError):
    """ONNX files are missing, stale, or onnxruntime is not installed; the message says what to do."""


def require(module: str = "onnxruntime") -> Any:
    """Import an ONNX dependency, or fail with a message that names the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise OnnxBackendError(f"the ONNX backend needs {module!r}, which is not installed: {EXTRA_HINT}") from err


def precision(quantize: str | None) -> str:
    """The file variant for a ``quantize`` setting: ``fp32`` (None/"none") or ``int8``."""
    if quantize in (None, "none", "fp32"):
        return "fp32"
    if quantize == "int8":
        return "int8"
    raise ValueError(f"unknown quantization {quantize!r}; supported: none, int8")


def locate_onnx_dir(name_or_path: str | Path, revision: str | None = None, **hub_kwargs: Any) -> Path:
    """``MODEL/onnx`` of a local model folder, or of a hub repo's snapshot (its ``onnx/`` files
    downloaded and cached; the folder may not exist when the repo carries none)."""
    if Path(name_or_path).is_dir():
        return Path(name_or_path) / ONNX_DIR
    from huggingface_hub import snapshot_download

    keys = ("cache_dir", "token", "local_files_only", "force_download")
    snapshot = snapshot_download(str(name_or_path), revision=revision, allow_patterns=[f"{ONNX_DIR}/*"],
                                 **{k: v for k, v in hub_kwargs.items() if k in keys})
    return Path(snapshot) / ONNX_DIR


@dataclass
class OnnxEncoder:
    """An ONNX Runtime session over the exported graph: (input ids, mask) -> hidden states and
    entity and trigger probabilities, all as numpy arrays."""

    session: Any
    path: Path

    @classmethod
    def load(cls, onnx_dir: str | Path, quantize: str | None, entity_labels: list[str],
             trigger_labels: list[str], threads: int | None = None, weights: str | None = None) -> "OnnxEncoder":
        """Open ``onnx_dir``'s fp32 or int8 graph, after checking it was exported for these labels
        and, given ``weights`` (:func:`.fingerprint.weights_fingerprint`), from these weights."""
        ort = require("onnxruntime")
        onnx_dir = Path(onnx_dir)
        path = onnx_dir / FILES[precision(quantize)]
        info_file = onnx_dir / EXPORT_INFO
        again = "export it again with `arabic-ie export --model MODEL`"
        if not path.is_file() or not info_file.is_file():
            raise OnnxBackendError(f"no {path.name} (with {EXPORT_INFO}) in {onnx_dir}: "
                                   "write it with `arabic-ie export --model MODEL`")
        try:
            info = json.loads(info_file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise OnnxBackendError(f"{info_file} is not valid JSON ({err}): {again}") from None
        if info.get("entity_labels") != entity_labels or info.get("trigger_labels") != trigger_labels:
            raise OnnxBackendError(f"{onnx_dir} was exported from a model with other labels: {again}")
        if weights is not None and info.get("weights") != weights:
            found = f"weights {info['weights']}" if info.get("weights") else "no weights fingerprint (an older export)"
            raise OnnxBackendError(f"{onnx_dir} was exported from other weights than this model's ({found}, "
                                   f"this model {weights}): {again}")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            options.intra_op_num_threads = threads
        try:
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own classes (Fail, InvalidGraph, ...) for a bad file
            raise OnnxBackendError(f"{path} cannot be loaded by ONNX Runtime ({first_line(err, 200)}): {again}") from None
        inputs = [i.name for i in session.get_inputs()]
        outputs = [o.name for o in session.get_outputs()]
        if not set(INPUTS) <= set(inputs) <= {*INPUTS, CHAR_INPUT} or outputs != list(OUTPUTS):
            raise OnnxBackendError(f"{path} is not an arabic-ie graph (inputs {inputs}, outputs {outputs}): {again}")
        return cls(session, path)

    def __call__(self, batch: dict[str, np.ndarray]) -> tuple[np.ndarray, ...]:
        """Hidden states, entity and trigger probabilities for a collated batch (the graph takes
        the inputs it was exported with: ``char_ids`` only when the model has a char CNN)."""
        feeds = {i.name: batch[i.name].astype(np.int64) for i in self.session.get_inputs()}
        hidden, entity_probs, trigger_probs = self.session.run(list(OUTPUTS), feeds)
        return hidden, entity_probs, trigger_probs


def open_encoder(model: Any, onnx_dir: str | Path | None, quantize: str | None,
                 threads: int | None = None, weights: str | None = None) -> OnnxEncoder:
    """The model's graph from ``onnx_dir``; when that holds none (or no folder is given), the
    model is exported into a temporary folder first (ONNX Runtime reads the file once, so the
    folder goes right after). Exporting takes seconds to a minute: ``arabic-ie export`` keeps
    the files with the model instead."""
    import tempfile

    from .fingerprint import weights_fingerprint

    schema = model.config.label_schema
    labels = (schema.entity_labels, schema.trigger_labels)
    variant = precision(quantize)
    if onnx_dir is not None and (Path(onnx_dir) / FILES[variant]).is_file():
        return OnnxEncoder.load(onnx_dir, variant, *labels, threads=threads,
                                weights=weights or weights_fingerprint(model))
    require("onnxruntime")
    from .onnx_export import export_onnx

    logger.warning("no ONNX %s graph%s: exporting one now (keep it with `arabic-ie export --model MODEL`)",
                   variant, f" in {onnx_dir}" if onnx_dir is not None else "")
    with tempfile.TemporaryDirectory(prefix="arabic-ie-onnx-") as tmp:
        export_onnx(model, tmp, int8=variant == "int8")
        return OnnxEncoder.load(tmp, variant, *labels, threads=threads)
