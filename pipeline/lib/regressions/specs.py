"""Declarative regression specifications: TOML files in ``models/`` -> :class:`ModelSpec`.

A file holds either one model (keys at top level) or several ``[[model]]`` tables; an optional
``[defaults]`` table is merged into each model (tables such as ``labels`` merge key by key). The
format is documented in ``models/README.md`` (METHODS §7; STYLE §3.11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ESTIMATORS = ("ols", "logit", "poisson", "negbin", "fe_ols", "fe_poisson")
COUNT_ESTIMATORS = ("poisson", "negbin", "fe_poisson")
PANELS = {
    "derived.alliance_panel": ("junior", "senior", "year"),
    "derived.dyad_year": ("ccode1", "ccode2", "year"),
}
JOIN_TABLES = ("derived.state_year",)
DERIVE_FNS = ("log", "log1p", "gt0", "above_dyad_median")
ALLIANCE_TYPES = {
    "defense": "cow_defense",
    "neutrality": "cow_neutral",
    "nonaggression": "cow_nonagg",
    "entente": "cow_entente",
}

_STR, _STRS, _INT, _NUM, _TABLE = "string", "list of strings", "integer", "number", "table"
_MODEL_KEYS: dict[str, str] = {
    "name": _STR,
    "label": _STR,
    "comment": _STR,
    "panel": _STR,
    "dependent": _STR,
    "explanatory": _STRS,
    "controls": _STRS,
    "fixed_effects": _STRS,
    "estimator": _STR,
    "cluster": _STR,
    "exposure": _STR,
    "lags": _STRS,
    "derive": _TABLE,
    "time_since": _STR,
    "sample": _TABLE,
    "labels": _TABLE,
    "join": _TABLE,
    "bootstrap_reps": _INT,
}
_REQUIRED = ("name", "panel", "dependent", "explanatory", "estimator")
_SAMPLE_KEYS = {
    "years": "list",
    "cases": "list",
    "alliance": _STR,
    "require": _STRS,
    "k": _NUM,
    "min": _TABLE,
}
_JOIN_KEYS = {"table": _STR, "left": _STR, "right": _STR, "columns": _STRS}


class SpecError(ValueError):
    """A malformed model specification; names the file and the offending field."""

    def __init__(self, file: Path | str, field: str, problem: str, model: str | None = None):
        self.file, self.field, self.model = Path(file), field, model
        where = f" model '{model}'" if model else ""
        super().__init__(f"{Path(file).name}:{where} field '{field}': {problem}")


@dataclass(frozen=True)
class Sample:
    """Sample filter applied after lags are built (years inclusive; cases as undirected dyads)."""

    years: tuple[int, int] | None = None
    cases: tuple[tuple[int, int], ...] = ()
    alliance: str | None = None
    require: tuple[str, ...] = ()
    k: float | None = None
    min: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [f"years {self.years[0]}-{self.years[1]}"] if self.years else ["all years"]
        if self.cases:
            parts.append("cases " + ", ".join(f"{a}-{b}" for a, b in self.cases))
        if self.alliance:
            parts.append(f"{self.alliance} pacts")
        if self.k is not None:
            parts.append(f"CINC ratio >= {self.k:g}")
        parts += [f"{flag}" for flag in self.require]
        parts += [f"{col} >= {v:g}" for col, v in self.min.items()]
        return "; ".join(parts)


@dataclass(frozen=True)
class ModelSpec:
    """One regression, as declared in a TOML file (see ``models/README.md``)."""

    name: str
    panel: str
    dependent: str
    explanatory: tuple[str, ...]
    estimator: str
    label: str = ""
    comment: str = ""
    controls: tuple[str, ...] = ()
    fixed_effects: tuple[str, ...] = ()
    cluster: str | None = None
    exposure: str | None = None
    lags: tuple[str, ...] = ()
    derive: dict[str, tuple[str, str]] = field(default_factory=dict)
    time_since: str | None = None
    sample: Sample = field(default_factory=Sample)
    labels: dict[str, str] = field(default_factory=dict)
    join: dict[str, Any] | None = None
    bootstrap_reps: int = 9999
    source: Path | None = None

    @property
    def keys(self) -> tuple[str, str, str]:
        return PANELS[self.panel]

    @property
    def time_terms(self) -> tuple[str, ...]:
        return ("t_since", "t_since2", "t_since3") if self.time_since == "cubic" else ()

    @property
    def regressors(self) -> tuple[str, ...]:
        return self.explanatory + self.controls + self.time_terms
