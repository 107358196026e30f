"""Export a joint model's encoder and entity/trigger heads to ONNX, optimise the graph for BERT
and quantise it to int8: the files :mod:`arabic_ie.model.onnx_backend` runs.

Three steps, each done by the library that owns it:

1. ``torch.onnx.export`` (the TorchScript exporter, with eager attention) traces encoder + heads
   with dynamic batch and length axes; the graph returns the hidden states too, for the argument
   head that stays in torch.
2. ``onnxruntime.transformers.optimizer`` fuses the BERT patterns (embeddings + LayerNorm,
   multi-head attention, bias + GELU, residual + LayerNorm), so a layer is a few large kernels.
3. ``onnxruntime.quantization.quantize_dynamic`` stores the matrix-product weights as int8 and
   quantises activations on the fly (no calibration data needed).

The eager attention and the TorchScript exporter are chosen because ONNX Runtime's BERT fusions
recognise the graph they produce (the dynamo exporter's SDPA graph is not fused into Attention).
"""
from __future__ import annotations

import copy
import json
import logging
import warnings
from collections import Counter
from pathlib import Path

import torch
from torch import nn

from .fingerprint import weights_fingerprint
from .modeling import ArabicIEModel
from arabic_ie.data.chars import PAD, RESERVED, char_row_width

from .onnx_backend import CHAR_INPUT, EXPORT_INFO, FILES, INPUTS, OUTPUTS, require

logger = logging.getLogger(__name__)
OPSET = 17


class EncoderWithHeads(nn.Module):
    """What the ONNX graph computes: hidden states and softmaxed entity and trigger labels."""

    def __init__(self, model: ArabicIEModel):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                char_ids: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        """The torch path's ``encode`` and head softmaxes, as one traceable call."""
        hidden = self.model.encode(input_ids, attention_mask, char_ids=char_ids)
        return hidden, self.model.entity_head(hidden).softmax(-1), self.model.trigger_head(hidden).softmax(-1)


def graph_inputs(model: ArabicIEModel) -> tuple[str, ...]:
    """The graph's inputs: ids and mask, and each token's word letters when the model has a char CNN."""
    return INPUTS + (CHAR_INPUT,) if model.char_cnn is not None else INPUTS


def _trace(model: ArabicIEModel, path: Path) -> None:
    """Step 1: the raw fp32 graph, traced on a small padded batch with dynamic axes. A copy is
    traced, so the caller's model keeps its device, dtype, mode and attention implementation."""
    model = copy.deepcopy(model).float().cpu().eval()
    model.encoder.set_attn_implementation("eager")  # the graph ONNX Runtime's attention fusion matches
    wrapper = EncoderWithHeads(model).eval()
    input_ids = torch.full((2, 16), 5, dtype=torch.long)
    attention_mask = torch.ones_like(input_ids)
    attention_mask[1, 9:] = 0  # a padded row, so the mask path is traced as a real computation
    inputs = graph_inputs(model)
    example: tuple[torch.Tensor, ...] = (input_ids, attention_mask)
    dynamic = {name: {0: "batch", 1: "tokens"} for name in (*inputs, *OUTPUTS)}
    if CHAR_INPUT in inputs:
        features = model.config.feature_config
        width = char_row_width(features.max_word_chars, features.attribute_buckets, features.cluster_levels)
        chars = torch.full((2, 16, width), RESERVED, dtype=torch.long)  # any id: the graph is traced, not evaluated
        chars[:, 0] = chars[1, 9:] = PAD  # special tokens and padding have no word
        example += (chars,)
        dynamic[CHAR_INPUT][2] = "letters"
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings on shape checks that stay constant
        torch.onnx.export(wrapper, example, str(path), input_names=list(inputs),
                          output_names=list(OUTPUTS), dynamic_axes=dynamic, opset_version=OPSET,
                          do_constant_folding=True, dynamo=False)


def _optimize(raw: Path, path: Path, model: ArabicIEModel) -> dict[str, int]:
    """Step 2: fuse the BERT patterns; returns how many of each fused operator the graph has."""
    from onnxruntime.transformers.optimizer import optimize_model

    encoder = model.config.encoder
    optimized = optimize_model(str(raw), model_type="bert", num_heads=int(encoder["num_attention_heads"]),
                               hidden_size=int(encoder["hidden_size"]), opt_level=1)
    optimized.save_model_to_file(str(path))
    return {op: n for op, n in optimized.get_fused_operator_statistics().items() if n}


def _quantize(source: Path, path: Path) -> None:
    """Step 3: dynamic int8 of the encoder's matrix products and attention (weights int8 per
    output channel, activations quantised per batch). The embeddings and the two classifier
    heads stay fp32: they are a sliver of the time, and rounding them moved entity F1 most."""
    onnx = require("onnx")
    from onnxruntime.quantization import QuantType, quantize_dynamic

    graph = onnx.load(str(source), load_external_data=False).graph
    heads = [node.name for node in graph.node if node.name.startswith(("/entity_head/", "/trigger_head/"))]

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its "consider pre-processing" advice is for static (calibrated) quantisation
    try:
        quantize_dynamic(str(source), str(path), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul", "Attention"], nodes_to_exclude=heads,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})  # fused ops lack shape inference
    finally:
        root.setLevel(level)


def op_counts(path: Path) -> dict[str, int]:
    """Node types of an ONNX file, most frequent first (what the export report shows)."""
    onnx = require("onnx")
    return dict(Counter(node.op_type for node in onnx.load(str(path), load_external_data=False).graph.node).most_common())


def export_onnx(model: ArabicIEModel, output_dir: str | Path, int8: bool = True) -> dict[str, object]:
    """Write ``model.onnx`` (fp32, optimised), ``model_int8.onnx`` (unless ``int8=False``) and
    ``export.json`` into ``output_dir``; returns what ``export.json`` says."""
    require("onnxruntime")
    require("onnx")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    raw = output_dir / "model_raw.onnx"
    try:
        _trace(model, raw)
        fused = _optimize(raw, output_dir / FILES["fp32"], model)
    finally:
        raw.unlink(missing_ok=True)
    files = {"fp32": FILES["fp32"]}
    if int8:
        _quantize(output_dir / FILES["fp32"], output_dir / FILES["int8"])
        files["int8"] = FILES["int8"]
    import onnxruntime

    schema = model.config.label_schema
    info: dict[str, object] = {
        "files": files, "inputs": list(graph_inputs(model)), "outputs": list(OUTPUTS), "opset": OPSET,
        "fused_operators": fused, "entity_labels": schema.entity_labels, "trigger_labels": schema.trigger_labels,
        "weights": weights_fingerprint(model),
        "torch": torch.__version__, "onnxruntime": onnxruntime.__version__,
        "note": "encoder + entity and trigger heads; the argument head runs in torch on `hidden`",
    }
    (output_dir / EXPORT_INFO).write_text(json.dumps(info, indent=2, ensure_ascii=False), encoding="utf-8")
    logger.info("exported ONNX files to %s (fused: %s)", output_dir, fused)
    return info


def export_model(name_or_path: str | Path, output_dir: str | Path | None = None, revision: str | None = None,
                 int8: bool = True) -> Path:
    """``arabic-ie export``: load a trained model (folder or hub repo id) and write its ONNX files
    into ``output_dir``, by default the folder's own ``onnx/`` (where ``backend="onnx"`` and a hub
    upload of the folder find them). Returns the folder written."""
    from .hub import load_model_and_tokenizer
    from .onnx_backend import ONNX_DIR

    if output_dir is None:
        if not Path(name_or_path).is_dir():
            raise ValueError(f"{name_or_path} is not a local folder: give --output for its ONNX files")
        output_dir = Path(name_or_path) / ONNX_DIR
    model, _ = load_model_and_tokenizer(str(name_or_path), revision=revision)
    export_onnx(model, output_dir, int8=int8)
    return Path(output_dir)
