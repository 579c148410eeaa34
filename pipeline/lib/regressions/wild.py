"""Bootstrap p-values when a clustering dimension has fewer than 42 clusters (METHODS §7).

Linear models whose fixed effects are all nested in the bootstrap cluster (e.g. dyad and
senior × year effects when bootstrapping by senior): the wild cluster bootstrap WCR11
(Rademacher weights, null imposed) of the ``wildboottest`` package on the design with the
fixed effects partialled out (weighted) and scaled by √weights, so weighted least squares is
ordinary least squares. With nested effects the partialled bootstrap equals the full one, and
it avoids a dense dummy design of thousands of columns; pyfixest's own wrapper refuses
weights and multiway clustering and builds that dense design. Other models (GLMs, or fixed
effects that cross the clusters): the unrestricted wild/score bootstrap of :mod:`.bootstrap`
(Kline & Santos 2012), studentised per replicate. With two-way clustering the bootstrap
clusters on the dimension with fewer clusters (MacKinnon, Nielsen & Webb 2021).

References
----------
Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2008). Bootstrap-based improvements for
inference with clustered errors. Review of Economics and Statistics 90(3): 414-427.
doi:10.1162/rest.90.3.414
MacKinnon, J. G., Nielsen, M. Ø. & Webb, M. D. (2021). Wild bootstrap and asymptotic inference
with multiway clustering. Journal of Business & Economic Statistics 39(2): 505-519.
doi:10.1080/07350015.2019.1677473
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import statsmodels.api as sm

from pipeline.lib.regressions.bootstrap import boot_input, multipliers
from pipeline.lib.regressions.inference import cluster_codes, nested
from pipeline.lib.regressions.specs import LINEAR_ESTIMATORS, ModelSpec
from pipeline.lib.regressions.validate import demean
from pipeline.lib.regressions.working import Working, work_terms

WILD_CLUSTER_THRESHOLD = 42  # wild bootstrap p-values when clusters < 42 (METHODS §7)
WILD_SEED = 20_240_601  # documented seed for every bootstrap of this module


def wild_terms(spec: ModelSpec) -> tuple[str, ...]:
    """The hypothesis terms bootstrapped: explanatory variables and their interactions."""
    return spec.explanatory + spec.interaction_terms


def bootstrap_cluster(spec: ModelSpec, df: pl.DataFrame) -> str | None:
    """The clustering variable to bootstrap on, if any dimension has < 42 clusters."""
    if not spec.cluster:
        return None
    counts = {c: df[c].n_unique() for c in spec.cluster}
    coarse = min(counts, key=counts.get)
    return coarse if counts[coarse] < WILD_CLUSTER_THRESHOLD else None


def uses_wcr(spec: ModelSpec, df: pl.DataFrame, cluster: str) -> bool:
    """WCR via ``wildboottest`` (linear, fixed effects nested in the cluster), else score."""
    return spec.estimator in LINEAR_ESTIMATORS and all(
        nested(df, fe, cluster) for fe in spec.fe_columns)


def wild_pvalues(spec: ModelSpec, df: pl.DataFrame, work: Working, cluster: str, k: int,
                 reps: int, seed: int = WILD_SEED) -> dict[str, float]:
    """Bootstrap p-values of :func:`wild_terms`, clustered by ``cluster``."""
    if uses_wcr(spec, df, cluster):
        return _wcr(spec, df, work, cluster, reps, seed)
    out = {}
    for term in wild_terms(spec):
        inp = boot_input(work, term, cluster, k)
        t_star = inp.t_star(multipliers(list(inp.clusters), reps, seed))
        out[term] = float((1 + np.sum(np.abs(t_star) >= abs(inp.t))) / (reps + 1))
    return out


def _wcr(spec: ModelSpec, df: pl.DataFrame, work: Working, cluster: str, reps: int,
         seed: int) -> dict[str, float]:
    from wildboottest.wildboottest import wildboottest

    w = work.omega  # the prior weights, for a linear model
    yx = np.column_stack([df[spec.dependent].to_numpy().astype(float), work.x])
    if spec.fixed_effects:
        yx = demean(yx, df, spec.fe_columns, w)
    yx = yx * np.sqrt(w)[:, None]
    y, x = pd.Series(yx[:, 0]), pd.DataFrame(yx[:, 1:], columns=list(work_terms(spec)))
    groups = cluster_codes(df, cluster)
    out = {}
    for term in wild_terms(spec):
        table = wildboottest(sm.OLS(y, x), B=reps, cluster=groups, param=term, seed=seed,
                             show=False, parallel=False)
        out[term] = float(table["p-value"].iloc[0])
    return out
