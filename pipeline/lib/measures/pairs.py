"""Directed pairs of system members with capabilities and alliance ties (METHODS §4).

Every directed dyad-year (ccode1 -> ccode2) of COW system members, 1,912,350 rows for
1816-2016, with both CINC scores, the capability ratio and the alliance obligations from COW
(v4.1, to 2012) and, when its file is loaded, ATOP. Names say direction:
``cinc_ratio_2_over_1`` = CINC(ccode2) / CINC(ccode1), so in a junior -> senior row it is the
senior's advantage.

References
----------
Singer, Bremer & Stuckey (1972), CINC; Gibler, D. M. 2009. *International Military
Alliances, 1648-2008*. CQ Press (COW alliances v4.1). Leeds, B. A., et al. 2002. "Alliance
Treaty Obligations and Provisions, 1815-1944." *International Interactions* 28(3): 237-260.
Morrow, J. D. 1991. "Alliances and Asymmetry." *AJPS* 35(4): 904-933. doi:10.2307/2111499.
"""

from __future__ import annotations

import polars as pl

KEY = ["ccode1", "ccode2", "year"]
COW_FLAGS = ["cow_defense", "cow_neutral", "cow_nonagg", "cow_entente"]
RATIO = "cinc_ratio_2_over_1"


def alliance_level() -> pl.Expr:
    """Ordinal COW obligation: defense 3, neutrality or non-aggression 2, entente 1, none 0."""
    return (pl.when(pl.col("cow_defense") == 1).then(3)
            .when((pl.col("cow_neutral") == 1) | (pl.col("cow_nonagg") == 1)).then(2)
            .when(pl.col("cow_entente") == 1).then(1).otherwise(0)
            .cast(pl.Int8).alias("alliance_level"))


def alliance_depth() -> pl.Expr:
    """Number of COW obligation types the pair holds at once (0-4): defense, neutrality,
    non-aggression, entente. The flags co-occur (US-ROK: defense + entente every year), so
    depth separates a bare defense pledge from one wrapped in consultation and neutrality
    promises; used as the alliance-depth control (METHODS §4)."""
    return pl.sum_horizontal(COW_FLAGS).cast(pl.Int8).alias("alliance_depth")


def atop_level() -> pl.Expr:
    """ATOP ordinal obligation (svmiller/fpsim after Chiba et al. 2022; METHODS §4):
    3 defense or offense, 2 neutrality or consultation, 1 non-aggression only, 0 none."""
    return (pl.when((pl.col("defense") == 1) | (pl.col("offense") == 1)).then(3)
            .when((pl.col("neutral") == 1) | (pl.col("consul") == 1)).then(2)
            .when(pl.col("nonagg") == 1).then(1).otherwise(0).cast(pl.Int8))


def is_asymmetric(k: float, ratio: str = RATIO) -> pl.Expr:
    """ccode1 strictly weaker and CINC(ccode2) / CINC(ccode1) >= k (METHODS §4)."""
    return (pl.col("cinc1") < pl.col("cinc2")) & (pl.col(ratio) >= k)


def directed_pairs(system: pl.DataFrame, nmc: pl.DataFrame,
                   alliances: pl.DataFrame) -> pl.LazyFrame:
    """All directed dyad-years of system members with CINC, ratio and COW alliance flags.

    COW flags and ``alliance_level``/``alliance_depth`` are 0 for unallied pairs up to the last
    COW alliance year and NULL after it (``cov_alliance``).
    """
    sy = system.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32))
    cinc = nmc.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32), "cinc")
    covered = pl.col("year") <= int(alliances["year"].max())
    return (
        sy.rename({"ccode": "ccode1"}).join(sy.rename({"ccode": "ccode2"}), on="year")
        .filter(pl.col("ccode1") != pl.col("ccode2"))
        .join(cinc.rename({"ccode": "ccode1", "cinc": "cinc1"}), on=["ccode1", "year"], how="left")
        .join(cinc.rename({"ccode": "ccode2", "cinc": "cinc2"}), on=["ccode2", "year"], how="left")
        .with_columns((pl.col("cinc2") / pl.col("cinc1")).alias(RATIO))
        .join(alliances.lazy().select(pl.col(KEY).cast(pl.Int32), *COW_FLAGS), on=KEY,
              how="left")
        .with_columns(pl.when(covered).then(pl.col(f).fill_null(0)).alias(f) for f in COW_FLAGS)
        .with_columns(pl.when(covered).then(alliance_level()).alias("alliance_level"),
                      pl.when(covered).then(alliance_depth()).alias("alliance_depth"),
                      covered.alias("cov_alliance"))
    )


def with_atop(frame: pl.LazyFrame, atop: pl.DataFrame | None) -> pl.LazyFrame:
    """ATOP level and defense flag when the ATOP file is loaded; NULL (cov_atop false) if not."""
    if atop is None:
        return frame.with_columns(pl.lit(None, pl.Int8).alias("atop_level"),
                                  pl.lit(None, pl.Int8).alias("atop_defense"),
                                  pl.lit(False).alias("cov_atop"))
    lo, hi = int(atop["year"].min()), int(atop["year"].max())
    covered = pl.col("year").is_between(lo, hi)
    rows = atop.lazy().select(pl.col("stateA").cast(pl.Int32).alias("ccode1"),
                              pl.col("stateB").cast(pl.Int32).alias("ccode2"),
                              pl.col("year").cast(pl.Int32), atop_level().alias("atop_level"),
                              pl.col("defense").cast(pl.Int8).alias("atop_defense"))
    return (frame.join(rows, on=KEY, how="left")
            .with_columns(pl.when(covered).then(pl.col(c).fill_null(0)).alias(c)
                          for c in ("atop_level", "atop_defense"))
            .with_columns(covered.alias("cov_atop")))
