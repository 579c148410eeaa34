"""Human-readable names: one label per variable across all model files, and the sample in words.

Labels come from the ``labels`` tables of ``models/*.toml`` merged into one vocabulary by
:func:`pipeline.lib.regressions.parse.load_specs` (a variable labelled differently in two files
is an error), over the built-in labels below for the variables the code itself builds.
"""

from __future__ import annotations

from pipeline.lib.regressions.specs import ModelSpec

INTERCEPT = "(Intercept)"
BUILTIN_LABELS = {
    INTERCEPT: "Constant",
    "dyad": "Dyad",
    "year": "Year",
    "junior": "Junior ally",
    "senior": "Senior ally",
    "ccode1": "State 1",
    "ccode2": "State 2",
    "t_since": "Years since last defiance (t)",
    "t_since2": "t²",
    "t_since3": "t³",
}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def term_label(term: str, labels: dict[str, str]) -> str:
    """Label of a coefficient; an interaction ``x:z`` reads "label(x) × label(z)"."""
    vocab = {**BUILTIN_LABELS, **labels}
    if ":" in term:
        return " × ".join(vocab.get(p, p) for p in term.split(":"))
    return vocab.get(term, term)


def fe_name(fe: str, labels: dict[str, str]) -> str:
    """Name of a fixed effect: ``senior^year`` -> "Senior ally × year"."""
    vocab = {**BUILTIN_LABELS, **labels}
    parts = [vocab.get(p, p) for p in fe.split("^")]
    return " × ".join([parts[0], *map(_lower_first, parts[1:])])


def required_labels(spec: ModelSpec) -> list[str]:
    """Variables a table or note names for this model: each needs a label."""
    fes = [p for fe in spec.fixed_effects for p in fe.split("^")]
    names = [spec.dependent, *spec.explanatory, *spec.controls, *fes, *spec.cluster,
             *(v for v in (spec.weights, spec.exposure) if v), *spec.sample.require,
             *spec.sample.min]
    return [n for n in dict.fromkeys(names) if n not in BUILTIN_LABELS]


def describe_sample(spec: ModelSpec, labels: dict[str, str]) -> str:
    """The sample filter in words (years excluded: they come from the estimation sample)."""
    vocab = {**BUILTIN_LABELS, **labels}
    s, parts = spec.sample, []
    if s.k is not None:
        parts.append(f"asymmetric dyads (CINC ratio ≥ {s.k:g})")
    if s.alliance:
        parts.append("any alliance" if s.alliance == "any" else f"{s.alliance} pacts")
    if s.cases:
        parts.append("dyads " + ", ".join(f"{a}–{b}" for a, b in s.cases))
    parts += [_lower_first(vocab.get(flag, flag)) for flag in s.require]
    parts += [f"{_lower_first(vocab.get(c, c))} ≥ {v:g}" for c, v in s.min.items()]
    text = "; ".join(parts) or "all observations"
    return text[:1].upper() + text[1:]
