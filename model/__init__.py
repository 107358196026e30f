"""The joint encoder model, its config, decoding and the inference API."""
from transformers import AutoConfig, AutoModel

from .configuration import ArabicIEConfig
from .modeling import ArabicIEModel

AutoConfig.register(ArabicIEConfig.model_type, ArabicIEConfig, exist_ok=True)
AutoModel.register(ArabicIEConfig, ArabicIEModel, exist_ok=True)

__all__ = ["ArabicIEConfig", "ArabicIEModel"]
