"""Declarative regression specifications: the pydantic models behind ``models/*.toml``.

Every table is strict (``extra="forbid"``; no string-to-number coercion), so a typo or a wrong
type is an error naming the field; cross-field rules raise :class:`FieldProblem` with the field
they concern. The file format is documented in ``models/README.md`` (METHODS §7; STYLE §3.11).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)

from pipeline.lib.regressions.errors import FieldProblem, SpecError

__all__ = ["ModelSpec", "Sample", "SpecError", "fe_column"]

ESTIMATORS = ("ols", "logit", "poisson", "negbin", "fractional_logit",
              "fe_ols", "fe_poisson", "fe_fractional_logit")
COUNT_ESTIMATORS = ("poisson", "negbin", "fe_poisson")
LINEAR_ESTIMATORS = ("ols", "fe_ols")
WEIGHTED_ESTIMATORS = ("ols", "fe_ols", "fractional_logit", "fe_fractional_logit")
LINKS = {"ols": "identity", "fe_ols": "identity", "logit": "logit", "fractional_logit": "logit",
         "fe_fractional_logit": "logit", "poisson": "log", "negbin": "log", "fe_poisson": "log"}
PANELS = {
    "derived.alliance_panel": ("junior", "senior", "year"),
    "derived.dyad_year": ("ccode1", "ccode2", "year"),
}
JOIN_TABLES = ("derived.state_year",)
DERIVE_FNS = ("log", "log1p", "gt0", "not")
ALLIANCE_TYPES = {
    "defense": "cow_defense",
    "neutrality": "cow_neutral",
    "nonaggression": "cow_nonagg",
    "entente": "cow_entente",
}
Name = Annotated[StrictStr, Field(min_length=1)]
Number = StrictInt | StrictFloat


def fe_column(fe: str) -> str:
    """Column that holds a fixed effect: ``senior^year`` (a product) -> ``senior_by_year``."""
    return fe.replace("^", "_by_")


def _as_tuple(value):
    return (value,) if isinstance(value, str) else value


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sample(_Table):
    """Sample filter applied after lags are built (years inclusive; cases as undirected dyads)."""

    years: tuple[StrictInt, StrictInt] | None = None
    cases: tuple[tuple[StrictInt, StrictInt], ...] = ()
    alliance: Literal["any", "defense", "neutrality", "nonaggression", "entente"] | None = None
    require: tuple[Name, ...] = ()
    k: Number | None = None
    min: dict[str, Number] = Field(default_factory=dict)

    @field_validator("years")
    @classmethod
    def _ordered(cls, years):
        if years is not None and years[0] > years[1]:
            raise ValueError("expected [first, last] with first <= last")
        return years

    @field_validator("cases")
    @classmethod
    def _undirected(cls, cases):
        return tuple((min(a, b), max(a, b)) for a, b in cases)


class Derive(_Table):
    """A derived variable: ``fn`` applied to the column ``of``."""

    fn: Literal["log", "log1p", "gt0", "not"]
    of: Name


class Join(_Table):
    """Monadic columns of ``table`` joined on ``left`` = ``right`` and year."""

    table: Literal["derived.state_year"]
    left: Name
    right: Name
    columns: tuple[Name, ...] = Field(min_length=1)


class ModelSpec(_Table):
    """One regression, as declared in a TOML file (see ``models/README.md``)."""

    name: Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9_]+$")]
    title: Name
    short: Annotated[StrictStr, Field(min_length=1, max_length=32)]
    panel: Literal["derived.alliance_panel", "derived.dyad_year"]
    dependent: Name
    explanatory: tuple[Name, ...] = Field(min_length=1)
    estimator: Literal["ols", "logit", "poisson", "negbin", "fractional_logit",
                       "fe_ols", "fe_poisson", "fe_fractional_logit"]
    label: StrictStr = ""
    comment: StrictStr = ""
    interactions: tuple[tuple[Name, Name], ...] = ()
    controls: tuple[Name, ...] = ()
    fixed_effects: tuple[Name, ...] = ()
    cluster: Annotated[tuple[Name, ...], BeforeValidator(_as_tuple), Field(max_length=2)] = ()
    weights: Name | None = None
    exposure: Name | None = None
    lags: tuple[Name, ...] = ()
    derive: dict[str, Derive] = Field(default_factory=dict)
    time_since: Literal["cubic"] | None = None
    sample: Sample = Field(default_factory=Sample)
    labels: dict[str, StrictStr] = Field(default_factory=dict)
    join: Join | None = None
    bootstrap_reps: Annotated[StrictInt, Field(ge=99)] = 9999
    family: StrictStr = ""
    robustness_family: Name | None = None
    primary: StrictBool = False
    key: Name | None = None
    source: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> ModelSpec:
        est = self.estimator
        if self.time_since and est != "logit":
            raise FieldProblem("time_since", "only 'cubic', and only with estimator logit")
        if self.exposure and est not in COUNT_ESTIMATORS:
            raise FieldProblem("exposure", "exposure needs a count estimator")
        if self.weights and est not in WEIGHTED_ESTIMATORS:
            raise FieldProblem("weights", f"weights need one of {WEIGHTED_ESTIMATORS}")
        if est.startswith("fe_") and not self.fixed_effects:
            raise FieldProblem("fixed_effects", "fe_ estimators need fixed effects")
        if not est.startswith("fe_") and len(self.fixed_effects) > 2:
            raise FieldProblem("fixed_effects", "at most two fixed effects as dummies; absorb "
                               "more with an fe_ estimator")
        if est == "negbin" and len(self.cluster) == 2:
            raise FieldProblem("cluster", "two-way clustering is not available for negbin")
        if len(set(self.cluster)) != len(self.cluster):
            raise FieldProblem("cluster", "the two clustering variables must differ")
        for fe in self.fixed_effects:
            if not all(fe.split("^")) or len(fe.split("^")) > 3:
                raise FieldProblem("fixed_effects", f"{fe!r}: a column or a product a^b[^c]")
        mains = set(self.explanatory) | set(self.controls)
        for pair in self.interactions:
            if pair[0] == pair[1] or not set(pair) <= mains:
                raise FieldProblem("interactions", f"{list(pair)}: two different variables, "
                                   "each also a main effect in explanatory or controls")
        if self.key is not None and self.key not in (*self.explanatory, *self.interaction_terms):
            raise FieldProblem("key", f"{self.key!r} is not an explanatory or interaction term")
        if self.robustness_family and est == "negbin":
            raise FieldProblem("robustness_family", "negbin has no score bootstrap here; use "
                               "poisson or fe_poisson in a robustness family")
        if (self.primary or self.robustness_family) and not self.cluster:
            raise FieldProblem("cluster", "family models are bootstrapped by cluster: set one")
        return self

    @property
    def keys(self) -> tuple[str, str, str]:
        return PANELS[self.panel]

    @property
    def time_terms(self) -> tuple[str, ...]:
        return ("t_since", "t_since2", "t_since3") if self.time_since == "cubic" else ()

    @property
    def interaction_terms(self) -> tuple[str, ...]:
        return tuple(f"{a}:{b}" for a, b in self.interactions)

    @property
    def regressors(self) -> tuple[str, ...]:
        return self.explanatory + self.interaction_terms + self.controls + self.time_terms

    @property
    def key_term(self) -> str:
        """The hypothesis term: ``key``, or the first explanatory variable."""
        return self.key or self.explanatory[0]

    @property
    def fe_columns(self) -> tuple[str, ...]:
        return tuple(fe_column(fe) for fe in self.fixed_effects)

    @property
    def absorbs(self) -> bool:
        """True when fixed effects are absorbed (``fe_*``) rather than entered as dummies."""
        return self.estimator.startswith("fe_")

    @property
    def link(self) -> str:
        return LINKS[self.estimator]
