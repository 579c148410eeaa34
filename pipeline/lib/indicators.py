"""Assemble the derived tables from the raw ones (METHODS §2-§6).

``build_state_year``: one row per COW system member and year with capabilities, major-power
status, recognition (Diplomatic Exchange network, IGO memberships and network) and status
inconsistency. ``build_dyad_year``: every directed dyad-year of system members with
capability ratio, alliance, UN cohesion, event, ICEWS-count and COPDAB measures.
``build_panel``: the junior→senior alliance panel. Each source is NULL outside its coverage.
"""

from __future__ import annotations

import polars as pl

from pipeline.lib import network, panel, status
from pipeline.lib.sources.cow_dipex import ties

DE_VALUES = ["indegree", "share", "weighted_indegree", "pagerank", "pagerank_n", "eigenvector"]
DE_COLS = [f"de_{c}" for c in DE_VALUES]
IGO_COLS = ["igo_full", "igo_strength", "igo_eigenvector", "igo_pagerank"]
SI_MEASURES = ["de_indegree", "de_pagerank", "igo_full", "igo_pagerank"]
DE_COMPLETE_SHARE = 0.8  # senders / system members in a wave, below which DE is an excerpt


def dipex_status(dipex: pl.DataFrame | None, system: pl.DataFrame) -> dict:
    """Whether the Diplomatic Exchange table is complete enough to measure recognition.

    The shipped excerpt holds only US rows; measures on it would be artefacts. The table counts
    as complete when, in its best-covered wave, at least 80% of system members send ties.
    """
    if dipex is None or dipex.height == 0:
        return {"available": False, "reason": "Diplomatic Exchange table not loaded"}
    cover = (dipex.group_by("year").agg(pl.col("ccode1").n_unique().alias("senders"))
             .join(system.group_by("year").len("members"), on="year")
             .with_columns((pl.col("senders") / pl.col("members")).alias("share")))
    best = float(cover["share"].max()) if cover.height else 0.0
    ok = best >= DE_COMPLETE_SHARE
    return {"available": ok, "best_wave_sender_share": round(best, 3),
            "reason": "complete" if ok else
            f"only {best:.1%} of system members send ties in the best-covered wave "
            f"(excerpt?); DE measures are NULL until the full file is added"}


def _de_measures(dipex: pl.DataFrame, system: pl.DataFrame) -> pl.DataFrame:
    waves = network.dipex_wave_measures(ties(dipex), system)
    years = system.select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32))
    annual = network.annualise(waves, years, DE_VALUES, ["community"])
    return annual.select("ccode", "year", pl.col("is_wave").alias("de_is_wave"),
                         *[pl.col(c).alias(f"de_{c}") for c in DE_VALUES],
                         pl.col("community").alias("de_community"))


def build_state_year(system: pl.DataFrame, nmc: pl.DataFrame, majors: pl.DataFrame,
                     igo_sy: pl.DataFrame, igo_dyadic: pl.DataFrame,
                     dipex: pl.DataFrame | None) -> tuple[pl.DataFrame, dict]:
    """State-year status table and a report of which recognition measures were available."""
    de = dipex_status(dipex, system)
    base = (system.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32))
            .join(nmc.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32),
                                    "cinc"), on=["ccode", "year"], how="left"))
    major = (base.join(majors.lazy().select(pl.col("ccode").cast(pl.Int32), "styear", "endyear"),
                       on="ccode", how="inner")
             .filter(pl.col("year").is_between("styear", "endyear"))
             .select("ccode", "year").unique().with_columns(pl.lit(True).alias("major_power")))
    igo_net = network.igo_network_measures(igo_dyadic, system).lazy().select(
        "ccode", "year", pl.col("strength").alias("igo_strength"),
        pl.col("eigenvector").alias("igo_eigenvector"), pl.col("pagerank").alias("igo_pagerank"))
    frame = (
        status.capability_ranks(base)
        .join(major, on=["ccode", "year"], how="left")
        .with_columns(pl.col("major_power").fill_null(False))
        .join(igo_sy.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32),
                                   pl.col("sum_igo_full").cast(pl.Float64).alias("igo_full")),
              on=["ccode", "year"], how="left")
        .join(igo_net, on=["ccode", "year"], how="left")
    )
    if de["available"]:
        frame = frame.join(_de_measures(dipex, system).lazy(), on=["ccode", "year"], how="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.Boolean).alias("de_is_wave"),
                                   *[pl.lit(None, pl.Float64).alias(c) for c in DE_COLS],
                                   pl.lit(None, pl.Int32).alias("de_community"))
    frame = frame.with_columns(status.region(pl.col("ccode")).alias("region"),
                               pl.col("de_community").alias("community"))
    si = status.status_inconsistency(frame, SI_MEASURES)
    out = (frame.join(si, on=["ccode", "year"], how="left").drop("community")
           .sort("ccode", "year").collect())
    return out, {"dipex": de, "si_measures": SI_MEASURES}


def _directed_pairs(system: pl.DataFrame, nmc: pl.DataFrame, alliances: pl.DataFrame,
                    alliance_years: tuple[int, int]) -> pl.LazyFrame:
    sy = system.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32))
    cinc = nmc.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32), "cinc")
    flags = panel.COW_FLAGS
    covered = pl.col("year").is_between(*alliance_years)
    return (
        sy.rename({"ccode": "junior"}).join(sy.rename({"ccode": "senior"}), on="year")
        .filter(pl.col("junior") != pl.col("senior"))
        .join(cinc.rename({"ccode": "junior", "cinc": "cinc_junior"}), on=["junior", "year"],
              how="left")
        .join(cinc.rename({"ccode": "senior", "cinc": "cinc_senior"}), on=["senior", "year"],
              how="left")
        .with_columns((pl.col("cinc_senior") / pl.col("cinc_junior")).alias("cinc_ratio"))
        .join(alliances.lazy().select(pl.col("ccode1").cast(pl.Int32).alias("junior"),
                                      pl.col("ccode2").cast(pl.Int32).alias("senior"),
                                      pl.col("year").cast(pl.Int32), *flags),
              on=["junior", "senior", "year"], how="left")
        .with_columns(pl.when(covered).then(pl.col(f).fill_null(0)).alias(f) for f in flags)
        .with_columns(pl.when(covered).then(panel.alliance_level()).alias("alliance_level"),
                      covered.alias("cov_alliance"))
    )


def atop_level() -> pl.Expr:
    """ATOP ordinal obligation (svmiller/fpsim after Chiba et al. 2022; METHODS §4):
    3 defense or offense, 2 neutrality or consultation, 1 non-aggression only, 0 none."""
    return (pl.when((pl.col("defense") == 1) | (pl.col("offense") == 1)).then(3)
            .when((pl.col("neutral") == 1) | (pl.col("consul") == 1)).then(2)
            .when(pl.col("nonagg") == 1).then(1).otherwise(0).cast(pl.Int8))


def _with_atop(frame: pl.LazyFrame, atop: pl.DataFrame | None) -> pl.LazyFrame:
    """ATOP level and defense flag when the ATOP file is loaded; NULL (cov_atop false) if not."""
    if atop is None:
        return frame.with_columns(pl.lit(None, pl.Int8).alias("atop_level"),
                                  pl.lit(None, pl.Int8).alias("atop_defense"),
                                  pl.lit(False).alias("cov_atop"))
    lo, hi = int(atop["year"].min()), int(atop["year"].max())
    covered = pl.col("year").is_between(lo, hi)
    rows = atop.lazy().select(pl.col("stateA").alias("junior"), pl.col("stateB").alias("senior"),
                              "year", atop_level().alias("atop_level"),
                              pl.col("defense").alias("atop_defense"))
    return (frame.join(rows, on=["junior", "senior", "year"], how="left")
            .with_columns(pl.when(covered).then(pl.col(c).fill_null(0)).alias(c)
                          for c in ("atop_level", "atop_defense"))
            .with_columns(covered.alias("cov_atop")))


def build_dyad_year(system: pl.DataFrame, nmc: pl.DataFrame, alliances: pl.DataFrame,
                    un_agreement: pl.DataFrame, event_dy: pl.DataFrame, copdab_year: pl.DataFrame,
                    mids: pl.DataFrame, netify: pl.DataFrame | None,
                    atop: pl.DataFrame | None = None) -> pl.DataFrame:
    """Directed dyad-years (ccode1 → ccode2) of system members, 1816-2016.

    ``cinc_ratio`` is CINC(ccode2) / CINC(ccode1), the panel's senior/junior convention.
    Alliance flags are 0 for unallied dyads up to the last COW alliance year and NULL after;
    ATOP columns are filled when the ATOP file is loaded.
    """
    last = int(alliances["year"].max())
    pairs = _with_atop(_directed_pairs(system, nmc, alliances, (int(system["year"].min()), last)),
                       atop)
    out = panel.build_alliance_panel(
        pairs, pl.LazyFrame(schema={"ccode": pl.Int32, "year": pl.Int32}), un_agreement.lazy(),
        event_dy.lazy(), copdab_year.lazy(), mids.lazy(), si_cols=[], lag_cols=[],
        netify=None if netify is None else netify.lazy())
    return out.rename({"junior": "ccode1", "senior": "ccode2", "cinc_junior": "cinc1",
                       "cinc_senior": "cinc2"}).collect()


def build_panel(dyad_year: pl.DataFrame, state_year: pl.DataFrame, k: float,
                si_cols: list[str], min_level: int = 3) -> pl.DataFrame:
    """The junior → senior panel: allied dyad-years whose ccode1 has the lower CINC and
    ``cinc_ratio >= k``, with the junior's status measures and their t−1 lags.

    ``min_level`` 3 keeps COW defense pacts (and ATOP defense/offense pledges when ATOP is
    loaded); 1 keeps any COW alliance including ententes.
    """
    allied = ((pl.col("alliance_level").fill_null(0) >= min_level)
              | (pl.col("atop_level").fill_null(0) >= min_level))
    sy = state_year.lazy().select(pl.col("ccode").alias("junior"), "year", *si_cols)
    lag_cols = [*si_cols, "cinc_ratio"]
    return (
        dyad_year.lazy()
        .rename({"ccode1": "junior", "ccode2": "senior", "cinc1": "cinc_junior",
                 "cinc2": "cinc_senior"})
        .filter(allied, panel.is_asymmetric(k))
        .with_columns(pl.lit(True).alias("asymmetric"))
        .join(sy, on=["junior", "year"], how="left")
        .sort(panel.KEY)
        .with_columns(panel.lag1(c) for c in lag_cols)
        .collect()
    )


UN_MEASURES = ["n_common", "n_yes_no", "agree", "agree_voeten", "s_abs", "s_sq", "kappa", "pi",
               "oppose_share"]


def build_un_agreement(votes: pl.DataFrame, rollcalls: pl.DataFrame) -> pl.DataFrame:
    """Undirected UN agreement per pair-year on all roll calls and on important votes
    (``_imp``; sessions ≥ 39, METHODS §6.2)."""
    from pipeline.lib import cohesion

    key = ["ccode_a", "ccode_b", "year"]
    v, r = votes.lazy(), rollcalls.lazy()
    every = cohesion.agreement_measures(cohesion.vote_pair_counts(v, r)).select(*key, *UN_MEASURES)
    imp = (cohesion.agreement_measures(cohesion.vote_pair_counts(v, r, important_only=True))
           .select(*key, *[pl.col(c).alias(f"{c}_imp") for c in UN_MEASURES]))
    return (every.join(imp, on=key, how="left").with_columns(pl.col("year").cast(pl.Int32))
            .sort(key).collect())
