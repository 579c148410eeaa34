"""The errors of the regression layer: a malformed spec file, and a model its data cannot fit."""

from __future__ import annotations

from pathlib import Path


class ModelError(RuntimeError):
    """A model that cannot be estimated (degenerate data); names the model and the reason."""

    def __init__(self, model: str, reason: str):
        self.model, self.reason = model, reason
        super().__init__(f"model '{model}': {reason}")


class AbsorbedControls(ModelError):
    """Controls with no variation left once the fixed effects are removed (e.g. a treaty
    attribute constant within every dyad of the sample); :func:`fit` drops them and says so."""

    def __init__(self, model: str, terms: list[str]):
        self.terms = terms
        super().__init__(model, f"{terms} absorbed by the fixed effects (collinear)")


class SpecError(ValueError):
    """A malformed model specification; names the file, the offending field and the model."""

    def __init__(self, file: Path | str, field: str, problem: str, model: str | None = None):
        self.file, self.field, self.model, self.problem = Path(file), field, model, problem
        where = f" model '{model}'" if model else ""
        super().__init__(f"{Path(file).name}:{where} field '{field}': {problem}")


class FieldProblem(ValueError):
    """Raised inside a pydantic validator to name the field a cross-field rule is about; the
    parser turns it into a :class:`SpecError` with that field."""

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem
        super().__init__(problem)
