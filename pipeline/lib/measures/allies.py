"""Measures relative to a senior's other allies (METHODS §6.2, §6.5).

Every dyadic UN measure is symmetric, so J's opposition to P cannot tell J defying P from P
moving away from everyone. Comparing J with **P's other allies in the same year** gives it a
direction; the same comparison turns event attention and diplomatic representation into
"respect received": how J ranks among P's allies by what P gives it, against how it ranks by
capability.

All functions take directed dyad-years ``ccode1 (J), ccode2 (P), year`` with the alliance
columns ``alliance_level`` (COW) and ``atop_level`` (NULL without ATOP). P's allies in year t
are the states with any alliance with P that year (either source).
"""

from __future__ import annotations

import polars as pl

KEY = ["ccode1", "ccode2", "year"]
BY_SENIOR = ["ccode2", "year"]


def allied() -> pl.Expr:
    """Any COW or ATOP alliance between ccode1 and ccode2 in the year."""
    return (pl.col("alliance_level").fill_null(0) >= 1) | (pl.col("atop_level").fill_null(0) >= 1)


def defense_pact() -> pl.Expr:
    """A defense pledge: COW defense pact, or ATOP defense/offense when ATOP is loaded."""
    return (pl.col("alliance_level").fill_null(0) >= 3) | (pl.col("atop_level").fill_null(0) >= 3)


def relative_to_allies(col: str, name: str | None = None) -> pl.Expr:
    """``col`` of (J, P) minus the mean of ``col`` over P's *other* allies that year.

    NULL when the pair is not allied, when ``col`` is NULL, or when no other ally of P has a
    value. Positive = J is further from P than P's other allies are.
    """
    ok = allied() & pl.col(col).is_not_null()
    total = pl.col(col).filter(ok).sum().over(BY_SENIOR)
    count = pl.col(col).filter(ok).count().over(BY_SENIOR)
    others = (total - pl.col(col)) / (count - 1)
    return (pl.when(ok & (count > 1)).then(pl.col(col) - others)
            .alias(name or f"{col}_rel"))


def _rank_within(col: str, ok: pl.Expr) -> pl.Expr:
    """Descending rank (1 = most) of ``col`` among P's rows where ``ok`` (ties share)."""
    return (pl.when(ok).then(pl.col(col)).rank("min", descending=True).over(BY_SENIOR)
            .cast(pl.Int32))


def respect_received(frame: pl.LazyFrame, attention_cols: dict[str, str],
                     de_level: str | None = "de_level_21") -> pl.LazyFrame:
    """Alliance-internal status inconsistency of J towards P (METHODS §6.5).

    Parameters
    ----------
    frame : directed dyad-years with ``cinc1`` (J's CINC), the alliance columns and, per event
        dataset, the count of P's cooperative-attention events toward J (a column of the
        (J, P) row holding the *reverse* direction's count, NULL outside coverage).
    attention_cols : dataset -> that column.
    de_level : column with P's Diplomatic Exchange representation level at J (0 none, 1
        chargé, 2 minister, 3 ambassador; code 9 and missing waves NULL), or None.

    Returns
    -------
    The frame plus ``n_allies_2`` (P's allies that year with a CINC, J included),
    ``respect_cap_rank`` (J's CINC rank among them, 1 = strongest) and per dataset
    ``respect_<d>_gap`` = (rank by P's attention share - capability rank) / (m - 1), both
    ranks taken among the m allies the dataset observes: positive = P pays J less attention
    than its capability rank among P's allies would claim. NULL when P directed no attention
    to any ally that year or the dataset does not cover it. With ``de_level``: ``respect_de_gap`` = mean
    level of P's representation at its other allies minus its level at J (positive = J gets
    less than P's other allies).
    """
    known = allied() & pl.col("cinc1").is_not_null()
    n = known.sum().over(BY_SENIOR).cast(pl.Int32)
    out = frame.with_columns(pl.when(known).then(n).alias("n_allies_2"),
                             _rank_within("cinc1", known).alias("respect_cap_rank"))
    for d, col in attention_cols.items():
        # Both ranks among the allies the dataset observes (a state missing from it, e.g.
        # Turkey in the netify panel, is ranked neither by attention nor by capability).
        ok = known & pl.col(col).is_not_null()
        total = pl.col(col).filter(ok).sum().over(BY_SENIOR)
        m = ok.sum().over(BY_SENIOR)
        share = pl.when(ok & (total > 0)).then(pl.col(col) / total)
        gap = ((_rank_within("_share", ok & (total > 0)) - _rank_within("cinc1", ok))
               / (m - 1).replace(0, None))
        out = (out.with_columns(share.alias("_share"))
               .with_columns(gap.alias(f"respect_{d}_gap"))
               .drop("_share"))
    if de_level is not None:
        out = out.with_columns((-relative_to_allies(de_level)).alias("respect_de_gap"))
    return out


def principal_patron(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Flag J's principal patron: its strongest defense-pact ally that year (by CINC).

    Adds ``principal_patron`` (Boolean; False for other allies, NULL for unallied pairs) and
    ``n_patrons`` (J's defense-pact allies stronger than J that year).
    """
    pact = defense_pact() & pl.col("cinc2").is_not_null()
    strongest = pl.col("cinc2").filter(pact).max().over("ccode1", "year")
    stronger = (pact & (pl.col("cinc2") > pl.col("cinc1"))).sum().over("ccode1", "year")
    return frame.with_columns(
        pl.when(pact).then(pl.col("cinc2") == strongest).alias("principal_patron"),
        pl.when(pact).then(stronger.cast(pl.Int32)).alias("n_patrons"))
