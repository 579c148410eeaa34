"""The error a model raises when it cannot be estimated on its data."""

from __future__ import annotations


class ModelError(RuntimeError):
    """A model that cannot be estimated (degenerate data); names the model and the reason."""

    def __init__(self, model: str, reason: str):
        self.model, self.reason = model, reason
        super().__init__(f"model '{model}': {reason}")
