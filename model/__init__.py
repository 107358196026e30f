"""The joint encoder model, its config, decoding and the inference API."""
