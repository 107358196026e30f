"""Training through accelerate, and evaluation."""
