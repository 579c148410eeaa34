"""Regression tables from tidy estimates: LaTeX, HTML, Markdown and the canonical tidy CSV.

Layout follows METHODS §8: one column per model, (1)…(k), headed by the model's short name under
a dependent-variable header; each coefficient carries significance stars and its standard error
in parentheses beneath (and, when the estimator supplied one, the bootstrap p-value in
brackets); the constant comes last. Numbers keep three significant digits on the row's largest
estimate, with the same decimals across the row; a row of tiny coefficients is rescaled (its
label says "×10⁻³"). The bottom block lists estimator, N, clusters per dimension, one
"<X> FE" Yes/No row per fixed effect, the estimation years, SE type, log-likelihood, AIC, BIC,
R² (within R² for fixed-effects models) or pseudo-R², and the key term's raw and Romano-Wolf
p-values when a robustness family adjusted them. Notes state the star thresholds, SE types,
sample and weights once (grouped by column where they differ); a provenance line gives data
versions (short sha256), code version and date. Rendering: :mod:`pipeline.lib.outputs.table_render`.

Input contract (``pipeline.lib.regressions``):

- ``coefs``: model, term, label, estimate, std_error, statistic, p_value, conf_low, conf_high,
  p_value_wild, and optionally is_key, p_value_rw (nullable);
- ``stats``: long (model, stat, value as text) with nobs, n_clusters or ``clusters:<name>``,
  r2, r2_within or pseudo_r2, loglik, aic, bic, se_type, fixed_effects ("Dyad; Year"),
  estimator, dependent, short, years, sample, weights;
- ``provenance``: ``{"data": {source: short sha256}, "code": version, "date": "YYYY-MM-DD"}``.

References
----------
Hlavac, Marek. 2022. *stargazer: Well-Formatted Regression and Summary Statistics Tables*.
R package 5.2.3. https://CRAN.R-project.org/package=stargazer
Fear, Simon. 2020. *booktabs: Publication quality tables in LaTeX*. CTAN.
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.outputs.cells import (
    SUPERSCRIPT,
    column_ranges,
    fe_list,
    fixed,
    missing,
    row_format,
    se_cell,
    stars_for,
    stat_cell,
)
from pipeline.lib.outputs.table_render import (
    STARS,
    RegressionTable,
    latex_escape,
    provenance_line,
    star_note,
)

__all__ = ["ESTIMATOR_LABELS", "RegressionTable", "latex_escape", "provenance_line",
           "regression_table", "star_note"]

COEF_COLUMNS = ("model", "term", "estimate", "std_error", "p_value")
INTERCEPTS = ("(Intercept)", "Intercept")
# the estimator codes of models/*.toml as a paper prints them (other text passes through)
_BASE_LABELS = {"ols": "OLS", "logit": "Logit", "poisson": "Poisson",
                "negbin": "Negative binomial", "fractional_logit": "Fractional logit",
                "fe_ols": "OLS (within)", "fe_poisson": "Poisson (FE)",
                "fe_fractional_logit": "Fractional logit (FE)"}
_WEIGHTED = {"ols": "Weighted least squares", "fe_ols": "Weighted least squares (within)",
             "fractional_logit": "Fractional logit, weighted",
             "fe_fractional_logit": "Fractional logit (FE), weighted"}
ESTIMATOR_LABELS = {**_BASE_LABELS, **{f"{k}_weighted": v for k, v in _WEIGHTED.items()}}
STAT_ROWS = (("loglik", "Log-likelihood", "float"), ("aic", "AIC", "float"),
             ("bic", "BIC", "float"), ("r2", "R²", "r2"), ("r2_within", "Within R²", "r2"),
             ("pseudo_r2", "Pseudo R²", "r2"), ("alpha", "NB dispersion α", "r2"))


def grouped(values: dict[str, str], models: list[str]) -> str:
    """One text if all columns share it, else each distinct text once with its columns."""
    texts = list(dict.fromkeys(v for m in models if (v := values.get(m))))
    if not texts:
        return ""
    if len(texts) == 1 and all(values.get(m) for m in models):
        return texts[0]
    return "; ".join(f"{column_ranges([i for i, m in enumerate(models) if values.get(m) == t])}: {t}"
                     for t in texts)


def _tidy(coefs: pl.DataFrame, stats: pl.DataFrame, models: list[str], dependents: list[str],
          provenance: dict | None, stars: tuple[float, ...]) -> pl.DataFrame:
    """Coefficients, statistics and provenance stacked in one long frame (the canonical CSV)."""
    cols = pl.DataFrame({"model": models, "column": [f"({i + 1})" for i in range(len(models))],
                         "dependent": dependents})
    p = pl.col("p_value")
    n_stars = pl.sum_horizontal([(p < t).cast(pl.Int32) for t in stars])
    coef = (coefs.join(cols, on="model")
            .with_columns(pl.lit("coefficient").alias("section"), pl.col("term").alias("name"),
                          pl.when(p.is_null()).then(pl.lit("")).otherwise(
                              pl.lit("*").repeat_by(n_stars).list.join("")).alias("stars")))
    stat = (stats.join(cols, on="model")
            .with_columns(pl.lit("statistic").alias("section"), pl.col("stat").alias("name"),
                          pl.col("value").cast(pl.Utf8)))
    prov = dict(provenance or {})
    data = prov.pop("data", None) or prov.pop("data_versions", None) or {}
    entries = [(f"data:{k}", str(v)) for k, v in data.items()]
    entries += [(k, str(v)) for k, v in prov.items() if v is not None and not isinstance(v, dict)]
    prov_df = pl.DataFrame({"section": ["provenance"] * len(entries),
                            "name": [n for n, _ in entries], "value": [v for _, v in entries]},
                           schema={"section": pl.Utf8, "name": pl.Utf8, "value": pl.Utf8})
    order = ["section", "model", "column", "dependent", "name", "label", "is_key", "estimate",
             "std_error", "statistic", "p_value", "p_value_wild", "p_value_boot", "p_value_rw",
             "conf_low", "conf_high", "std_effect", "std_effect_low", "std_effect_high",
             "stars", "value"]
    out = pl.concat([coef, stat, prov_df], how="diagonal_relaxed")
    return out.select([c for c in order if c in out.columns])


def _coef_rows(coefs: pl.DataFrame, models: list[str], terms: list[str],
               stars: tuple[float, ...]) -> tuple[list, bool]:
    by_cell = {(r["model"], r["term"]): r for r in coefs.to_dicts()}
    rows, scaled = [], False
    for term in terms:
        cells = [by_cell.get((m, term)) for m in models]
        label = next((c["label"] for c in cells if c and c["label"]), term)
        power, dec = row_format([max(abs(c["estimate"]), abs(c["std_error"] or 0)) for c in cells
                                 if c and not missing(c["estimate"])])
        if power:
            label, scaled = f"{label} (×10{SUPERSCRIPT[power]})", True
        ests = [(fixed(c["estimate"], power, dec), stars_for(c["p_value"], stars)) if c
                else ("", "") for c in cells]
        ses = [f"({fixed(c['std_error'], power, dec)})" if c and not missing(c["std_error"])
               else "" for c in cells]
        wild = [f"[{c['p_value_wild']:.3f}]" if c and not missing(c["p_value_wild"]) else ""
                for c in cells]
        rows.append((label, ests, ses, wild if any(wild) else None))
    return rows, scaled


def _stat_rows(value: dict, models: list[str], coefs: pl.DataFrame) -> list:
    cell = {m: {s: v for (mm, s), v in value.items() if mm == m} for m in models}
    rows = [("Estimator", [ESTIMATOR_LABELS.get(c, c) for c in
                           (stat_cell(cell[m].get("estimator"), "text") for m in models)]),
            ("Observations", [stat_cell(cell[m].get("nobs"), "int") for m in models])]
    dims = list(dict.fromkeys(s for m in models for s in cell[m] if s.startswith("clusters:")))
    rows += [(f"Clusters ({d.split(':', 1)[1].strip().lower()})",
              [stat_cell(cell[m].get(d), "int") for m in models]) for d in dims]
    if not dims:
        rows.append(("Clusters", [stat_cell(cell[m].get("n_clusters"), "int") for m in models]))
    fes = {m: fe_list(cell[m].get("fixed_effects")) for m in models}
    rows += [(f"{f} FE", ["Yes" if f in fes[m] else "No" for m in models])
             for f in dict.fromkeys(f for m in models for f in fes[m])]
    rows += [("Years", [stat_cell(cell[m].get("years"), "raw") for m in models]),
             ("SE type", [se_cell(cell[m].get("se_type")) for m in models])]
    for stat, label, kind in STAT_ROWS:
        cells = [stat_cell(cell[m].get(stat), kind) for m in models]
        if stat == "r2":  # a fixed-effects model reports its within R² instead
            cells = ["" if fes[m] and cell[m].get("r2_within") else c
                     for m, c in zip(models, cells)]
        rows.append((label, cells))
    if "p_value_rw" in coefs.columns and coefs["p_value_rw"].is_not_null().any():
        key = {r["model"]: r for r in coefs.filter(pl.col("is_key")).to_dicts()}
        for col, label in (("p_value", "p, key term"), ("p_value_rw", "Romano–Wolf p")):
            rows.append((label, [f"{key[m][col]:.3f}" if m in key and not missing(key[m][col])
                                 else "" for m in models]))
    return [(lab, cells) for lab, cells in rows if any(cells)]


def regression_table(coefs: pl.DataFrame, stats: pl.DataFrame, models: list[str] | None,
                     provenance: dict | None, title: str, stars: tuple[float, ...] = STARS,
                     term_order: list[str] | None = None) -> RegressionTable:
    """Assemble a METHODS §8 regression table from tidy estimates and fit statistics.

    Parameters
    ----------
    coefs, stats
        Tidy coefficients and long fit statistics (see the module docstring).
    models
        Model ids in column order; ``None`` keeps their order of appearance in ``coefs``.
    provenance
        ``{"data": {source: sha256}, "code": version, "date": date}``.
    title
        Table caption (the spec files' ``title``).
    stars
        p-value thresholds; a coefficient gets one star per threshold its p-value is below.
    term_order
        Terms shown first, in this order; other terms follow in order of appearance, and the
        constant comes last.

    Returns
    -------
    RegressionTable
        Render with ``to_latex``, ``to_html``, ``to_markdown``, ``to_csv`` or ``write_all``.
    """
    missing = [c for c in COEF_COLUMNS if c not in coefs.columns]
    if missing:
        raise ValueError(f"coefs lacks columns {missing}")
    for col, dtype in (("label", pl.Utf8), ("p_value_wild", pl.Float64), ("is_key", pl.Boolean)):
        if col not in coefs.columns:
            coefs = coefs.with_columns(pl.lit(None, dtype).alias(col))
    models = list(models if models is not None else coefs["model"].unique(maintain_order=True))
    unknown = set(models) - set(coefs["model"].unique())
    if unknown:
        raise ValueError(f"models not in coefs: {sorted(unknown)}")
    stars = tuple(sorted(stars, reverse=True))
    coefs = coefs.filter(pl.col("model").is_in(models))
    stats = stats.filter(pl.col("model").is_in(models)).with_columns(pl.col("value").cast(pl.Utf8))
    value = {(r["model"], r["stat"]): r["value"] for r in stats.to_dicts()}
    dependents = [value.get((m, "dependent")) or "" for m in models]
    shorts = [value.get((m, "short")) or "" for m in models]

    terms = coefs["term"].unique(maintain_order=True).to_list()
    first = [t for t in (term_order or []) if t in terms]
    terms = first + [t for t in terms if t not in first and t not in INTERCEPTS] + [
        t for t in terms if t in INTERCEPTS and t not in first]
    coef_rows, scaled = _coef_rows(coefs, models, terms, stars)
    stat_rows = _stat_rows(value, models, coefs)

    def per_model(stat: str) -> dict[str, str]:
        return {m: value.get((m, stat)) or "" for m in models}

    notes = [star_note(stars) + "."]
    se_text = {m: t[:1].lower() + t[1:] for m, t in per_model("se_type").items() if t}
    if se := grouped(se_text, models):
        notes.append(f"Standard errors in parentheses{':' if se.startswith('(') else ','} {se}.")
    if coefs["p_value_wild"].is_not_null().any():
        notes.append("Bootstrap p-values in brackets.")
    if any(lab == "Romano–Wolf p" for lab, _ in stat_rows):
        notes.append("Romano–Wolf p: the key term's step-down p-value adjusted across its "
                     "robustness family (cluster score bootstrap shared by the family).")
    if scaled:
        notes.append("Rows marked ×10⁻ᵏ show coefficients and standard errors times 10ᵏ.")
    if sample := grouped(per_model("sample"), models):
        notes.append(f"Sample: {sample}.")
    if weights := grouped(per_model("weights"), models):
        notes.append(f"Weighted by: {weights}.")
    if dropped := grouped(per_model("dropped_controls"), models):
        notes.append(f"Dropped as absorbed by the fixed effects (no within variation): "
                     f"{dropped}.")
    return RegressionTable(title=title, models=models, dependents=dependents, shorts=shorts,
                           coef_rows=coef_rows, stat_rows=stat_rows, notes=notes,
                           provenance=provenance_line(provenance),
                           tidy=_tidy(coefs, stats, models, dependents, provenance, stars),
                           stars=stars)
