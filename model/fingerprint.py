"""A short fingerprint of a model's weights, so files made from one model (an ONNX graph, a
half-written batch output) are never used with another model that has the same labels."""
from __future__ import annotations

import hashlib

import torch
from torch import nn


def weights_fingerprint(model: nn.Module) -> str:
    """16 hex digits of a SHA-256 over every tensor's name, shape and bytes, in name order.
    Floating tensors are read as float32, so a model loaded in float16 keeps its fingerprint."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        if not isinstance(tensor, torch.Tensor):
            continue  # quantised modules keep packed parameters; fingerprint a model before quantising
        data = tensor.detach().to("cpu")
        data = (data.float() if data.is_floating_point() else data).contiguous().reshape(-1)
        digest.update(f"{name}:{data.dtype}:{tuple(tensor.shape)};".encode())
        digest.update(data.view(torch.uint8).numpy())
    return digest.hexdigest()[:16]
