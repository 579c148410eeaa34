"""UN General Assembly voting cohesion per dyad-year (METHODS §5.1, §6.2).

All measures come from one table: for every unordered pair of states (``ccode_a < ccode_b``)
and year, the counts ``n_<va><vb>`` of roll calls on which a voted ``va`` and b voted ``vb``
(1 yes, 2 abstain, 3 no). Absences (8) and non-membership (9) drop the roll call for the pair.
Every measure is then a closed-form expression of those nine counts.

References
----------
Signorino, Curtis S., and Jeffrey M. Ritter. 1999. "Tau-b or Not Tau-b: Measuring the
Similarity of Foreign Policy Positions." *International Studies Quarterly* 43(1): 115-144.
doi:10.1111/0020-8833.00113
Häge, Frank M. 2011. "Choice or Circumstance? Adjusting Measures of Foreign Policy Similarity
for Chance Agreement." *Political Analysis* 19(3): 287-305. doi:10.1093/pan/mpr023
Bailey, Michael A., Anton Strezhnev, and Erik Voeten. 2017. "Estimating Dynamic State
Preferences from United Nations Voting Data." *Journal of Conflict Resolution* 61(2): 430-456.
doi:10.1177/0022002715595700
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.ingest.sources.unvotes import CAST

YES, ABSTAIN, NO = CAST
DELTA = 2                       # width of the 1-3 vote scale (Signorino & Ritter's Delta)
IMPORTANT_FROM_SESSION = 39     # dgrtwo/unvotes: important-vote flags begin with session 39
CELLS = [(i, j) for i in CAST for j in CAST]
COUNT_COLS = [f"n_{i}{j}" for i, j in CELLS]
KEY = ["ccode_a", "ccode_b", "year"]


def _n(i: int, j: int) -> pl.Expr:
    return pl.col(f"n_{i}{j}")


def vote_pair_counts(votes: pl.LazyFrame, rollcalls: pl.LazyFrame, important_only: bool = False,
                     important_from_session: int = IMPORTANT_FROM_SESSION,
                     anchor: int | None = None) -> pl.LazyFrame:
    """Joint vote counts per unordered dyad and year.

    The cast votes (1-3) are self-joined on ``rcid``, kept where ``ccode_a < ccode_b`` and
    counted per (a, b, year) and vote combination. On the full 1946-2015 file this builds
    about 100M pair-rows and takes a few seconds (polars' lazy join + group-by measured
    faster and leaner than the same query in DuckDB).

    Parameters
    ----------
    votes : ``raw.un_votes`` (``rcid, ccode, vote``); a ``year`` column there is ignored.
    rollcalls : ``raw.un_rollcalls`` (``rcid, year``, and ``session, importantvote`` when
        ``important_only``); ``year`` is the session's opening year.
    important_only : keep only roll calls flagged ``importantvote = 1`` from session
        ``important_from_session`` on (METHODS §6.2: default 39; 38 is the sensitivity check).
    anchor : only the pairs that include this state (e.g. the USA for its important votes):
        its votes are joined to everyone's instead of every state's to every state's.

    Returns
    -------
    ``ccode_a, ccode_b`` (Int32), ``year`` (as in ``rollcalls``) and the nine Int32 counts
    ``n_11 ... n_33`` (``n_13`` = a yes, b no). Pairs with no common cast vote are absent.
    """
    rc = rollcalls
    if important_only:
        rc = rc.filter((pl.col("importantvote") == 1)
                       & (pl.col("session") >= important_from_session))
    cast = (
        votes
        .select("rcid", "ccode", "vote")
        .filter(pl.col("vote").is_in(list(CAST)))
        .join(rc.select("rcid", "year"), on="rcid", how="inner")
    )
    cell = (pl.col("va") - 1) * len(CAST) + (pl.col("vb") - 1)
    left = cast if anchor is None else cast.filter(pl.col("ccode") == anchor)
    pairs = (left.select("rcid", "year", pl.col("ccode").alias("ccode_a"),
                         pl.col("vote").alias("va"))
             .join(cast.select("rcid", pl.col("ccode").alias("ccode_b"),
                               pl.col("vote").alias("vb")), on="rcid", how="inner"))
    if anchor is None:
        pairs = pairs.filter(pl.col("ccode_a") < pl.col("ccode_b"))
    else:  # put the pair in (lower, higher) order, its votes with it
        low = pl.col("ccode_a") < pl.col("ccode_b")
        pairs = (pairs.filter(pl.col("ccode_a") != pl.col("ccode_b"))
                 .select("rcid", "year",
                         pl.min_horizontal("ccode_a", "ccode_b").alias("ccode_a"),
                         pl.max_horizontal("ccode_a", "ccode_b").alias("ccode_b"),
                         pl.when(low).then(pl.col("va")).otherwise(pl.col("vb")).alias("va"),
                         pl.when(low).then(pl.col("vb")).otherwise(pl.col("va")).alias("vb")))
    return (
        pairs
        .with_columns(cell.alias("_cell"))
        .group_by(KEY)
        .agg((pl.col("_cell") == k).sum().cast(pl.Int32).alias(c)
             for k, c in enumerate(COUNT_COLS))
    )


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den, NULL (not NaN or inf) where den is zero."""
    return pl.when(den != 0).then(num / den)


def _chance_corrected(p_o: pl.Expr, p_e: pl.Expr) -> pl.Expr:
    """(p_o - p_e) / (1 - p_e); NULL when chance agreement is certain (p_e = 1)."""
    return pl.when(p_e < 1).then((p_o - p_e) / (1 - p_e))


def agreement_measures(counts: pl.LazyFrame) -> pl.LazyFrame:
    """Similarity of two states' votes from the nine joint counts (METHODS §5.1, §6.2).

    With n common roll calls, d_ij = |i - j| and the scale width Delta = 2:

    - ``agree`` = (n_11 + n_22 + n_33) / n, the share of identical votes;
    - ``agree_voeten`` = 1 - sum n_ij d_ij / (2n) (Voeten's index: abstain vs yes/no 0.5);
    - ``s_abs`` = 1 - 2 sum n_ij d_ij / (n Delta), ``s_sq`` = 1 - 2 sum n_ij d_ij^2 /
      (n Delta^2) (Signorino & Ritter 1999; Delta from the scale, not the observed values);
    - ``kappa`` (Cohen): p_e = sum_c p_ac p_bc from each state's own marginals;
    - ``pi`` (Scott): p_e = sum_c ((n_ac + n_bc) / 2n)^2 from pooled marginals;
      both use the full category set {1, 2, 3} (the marginals are read from fixed cells, so an
      unobserved category can never misalign them) and are NULL when p_e = 1;
    - ``kappa_w`` (Cohen's weighted kappa, quadratic weights): 1 - sum u_ij o_ij / sum u_ij
      e_ij with u_ij = (|i - j| / Delta)^2, o_ij = n_ij / n the observed and e_ij = p_ai p_bj
      the chance joint shares (svmiller/fpsim ``R/cohenk.R``; the weighted kappa published
      for the ROK); NULL when no disagreement is expected by chance;
    - ``n_yes_no`` = n_11 + n_33 + n_13 + n_31 and ``oppose_share`` = (n_13 + n_31) /
      n_yes_no, i.e. 1 - coincidence with abstentions excluded (the State Department's
      "Voting Practices in the United Nations" convention; unverified).

    Parameters
    ----------
    counts : output of :func:`vote_pair_counts` (any key columns pass through).

    Returns
    -------
    The input plus ``n_common, n_yes_no`` (Int32) and ``agree, agree_voeten, s_abs, s_sq,
    kappa, kappa_w, pi, oppose_share`` (Float64).

    References
    ----------
    Signorino & Ritter (1999), doi:10.1111/0020-8833.00113; Häge (2011),
    doi:10.1093/pan/mpr023; svmiller/fpsim ``R/srs.R``, ``R/cohenk.R``, ``R/spi.R``.
    """
    n = pl.col("n_common")
    same = pl.sum_horizontal(_n(c, c) for c in CAST)
    dist = pl.sum_horizontal(_n(i, j) * abs(i - j) for i, j in CELLS if i != j)
    dist_sq = pl.sum_horizontal(_n(i, j) * (i - j) ** 2 for i, j in CELLS if i != j)
    row = {c: pl.sum_horizontal(_n(c, j) for j in CAST) for c in CAST}
    col = {c: pl.sum_horizontal(_n(i, c) for i in CAST) for c in CAST}
    p_e_kappa = pl.sum_horizontal(row[c] * col[c] for c in CAST) / (n * n)
    p_e_pi = pl.sum_horizontal((row[c] + col[c]) ** 2 for c in CAST) / (4 * n * n)
    u = {(i, j): (abs(i - j) / DELTA) ** 2 for i, j in CELLS}
    observed_w = pl.sum_horizontal(_n(i, j) * u[i, j] for i, j in CELLS if i != j) / n
    expected_w = pl.sum_horizontal(row[i] * col[j] * u[i, j] for i, j in CELLS if i != j) / (n * n)
    opposed = _n(YES, NO) + _n(NO, YES)
    yes_no = _n(YES, YES) + _n(NO, NO) + opposed
    return (
        counts
        .with_columns(pl.sum_horizontal(COUNT_COLS).cast(pl.Int32).alias("n_common"),
                      yes_no.cast(pl.Int32).alias("n_yes_no"))
        .with_columns(
            _ratio(same, n).alias("agree"),
            (1 - _ratio(dist, 2 * n)).alias("agree_voeten"),
            (1 - _ratio(2 * dist, n * DELTA)).alias("s_abs"),
            (1 - _ratio(2 * dist_sq, n * DELTA**2)).alias("s_sq"),
            _chance_corrected(_ratio(same, n), p_e_kappa).alias("kappa"),
            _chance_corrected(_ratio(same, n), p_e_pi).alias("pi"),
            pl.when(expected_w > 0).then(1 - observed_w / expected_w).alias("kappa_w"),
            _ratio(opposed, pl.col("n_yes_no")).alias("oppose_share"),
        )
    )


UN_MEASURES = ["n_common", "n_yes_no", "agree", "agree_voeten", "s_abs", "s_sq", "kappa",
               "kappa_w", "pi", "oppose_share"]
EXCLUDED_YEARS = (1964,)   # one roll call in the whole session (METHODS §5.1)
IMPORTANT_LIST_OWNER = 2   # the State Department's list: only pairs with the USA (METHODS §6.2)


def build_un_agreement(votes: pl.DataFrame, rollcalls: pl.DataFrame) -> pl.DataFrame:
    """Undirected UN agreement per pair and **session year**, all roll calls and important votes.

    Aggregation is by General Assembly session: ``year`` is the session's opening year
    (session + 1945), so a vote cast in January belongs to the previous year's session
    (METHODS §5.1). 1964 (session 19, a single roll call) is excluded. Important-vote
    measures (``_imp``) use the US State Department's list from session 39 (METHODS §6.2): the
    US's list, so they are computed for the pairs with the USA only.
    """
    v, r = votes.lazy(), rollcalls.lazy().filter(~pl.col("year").is_in(list(EXCLUDED_YEARS)))
    every = agreement_measures(vote_pair_counts(v, r)).select(*KEY, *UN_MEASURES)
    imp = (agreement_measures(vote_pair_counts(v, r, important_only=True,
                                               anchor=IMPORTANT_LIST_OWNER))
           .select(*KEY, *[pl.col(c).alias(f"{c}_imp") for c in UN_MEASURES]))
    return (every.join(imp, on=KEY, how="left").with_columns(pl.col("year").cast(pl.Int32))
            .sort(KEY).collect())
