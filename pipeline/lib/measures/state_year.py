"""The state-year table: capability, recognition and status inconsistency (METHODS §2-§3, §6.5).

One row per COW system member and year. Recognition comes first from the **Diplomatic
Exchange** (recognition *by others*: who keeps a mission in the state's capital), carried
forward from the latest wave (no look-ahead, METHODS §2.4); IGO memberships measure a state's
own *participation* and stay as a labelled robustness alternative (METHODS §2.5).

References
----------
Bayer, R. 2006. Diplomatic Exchange v2006.1, Correlates of War Project.
Renshon, J. 2016. "Status Deficits and War." *International Organization* 70(3): 513-550.
doi:10.1017/S0020818316000163.
Maoz, Z. 2010. *Networks of Nations*. Cambridge University Press (regional powers).
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.ingest.sources.cow_dipex import ties
from pipeline.lib.measures import network, status, waves

DE_VALUES = ["indegree", "share", "weighted_indegree", "pagerank", "pagerank_n", "eigenvector"]
DE_COLS = [f"de_{c}" for c in DE_VALUES]
# Recognition measures whose status inconsistency is computed in every field (global, region,
# DE community); the interpolated DE in-degree is the look-ahead variant, global field only.
SI_MEASURES = ["de_indegree", "de_pagerank", "igo_full", "igo_pagerank"]
SI_VARIANTS = ["de_indegree_interp"]
PRIMARY_SI = "si_pct_de_indegree_global"
DE_COMPLETE_SHARE = 0.8  # senders / system members in a wave, below which DE is an excerpt
MIDDLE_BAND = (6, 30)    # CINC ranks of a middle power (METHODS §6.5)


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


def de_measures(dipex: pl.DataFrame, system: pl.DataFrame) -> pl.DataFrame:
    """Diplomatic Exchange recognition per state-year, carried forward from the latest wave.

    Returns ``ccode, year, de_is_wave, de_wave_year, de_years_since_wave`` plus ``de_<m>`` for
    each wave measure (see :func:`pipeline.lib.measures.network.dipex_wave_measures`), the carried
    ``de_community`` label, and ``de_indegree_interp``: the in-degree interpolated between
    waves, the look-ahead robustness variant (METHODS §2.4).
    """
    wave = network.dipex_wave_measures(ties(dipex), system)
    grid = system.select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32))
    carried = waves.carry_forward(wave, grid, ["ccode"], [*DE_VALUES, "community"])
    interp = waves.interpolate(wave, grid, ["indegree"])
    return (
        carried.select("ccode", "year", pl.col("is_wave").alias("de_is_wave"),
                       pl.col("wave_year").alias("de_wave_year"),
                       pl.col("years_since_wave").alias("de_years_since_wave"),
                       *[pl.col(c).cast(pl.Float64).alias(f"de_{c}") for c in DE_VALUES],
                       pl.col("community").alias("de_community"))
        .join(interp.select("ccode", "year", pl.col("indegree").alias("de_indegree_interp")),
              on=["ccode", "year"], how="left")
    )


def _de_null() -> list[pl.Expr]:
    return [pl.lit(None, pl.Boolean).alias("de_is_wave"),
            *[pl.lit(None, pl.Int32).alias(c) for c in ("de_wave_year", "de_years_since_wave")],
            *[pl.lit(None, pl.Float64).alias(c) for c in [*DE_COLS, "de_indegree_interp"]],
            pl.lit(None, pl.Int32).alias("de_community")]


def power_flags(frame: pl.LazyFrame, powers: pl.DataFrame | None) -> pl.LazyFrame:
    """Add ``middle_power`` and, when Maoz's list is loaded, ``regional_power``.

    ``middle_power``: not a COW major power and CINC rank within :data:`MIDDLE_BAND` of the
    system that year (METHODS §6.5). ``regional_power`` / ``global_power_maoz``: Maoz (2010)
    spells, any day of the year counting (NULL when the file is not loaded).
    """
    lo, hi = MIDDLE_BAND
    frame = frame.with_columns(
        (~pl.col("major_power") & pl.col("cap_rank").is_between(lo, hi)).alias("middle_power"))
    if powers is None:
        return frame.with_columns(pl.lit(None, pl.Boolean).alias("regional_power"),
                                  pl.lit(None, pl.Boolean).alias("global_power_maoz"))
    flags = powers.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32),
                                 "regional_power", pl.col("global_power").alias(
                                     "global_power_maoz"))
    return (frame.join(flags, on=["ccode", "year"], how="left")
            .with_columns(pl.col("regional_power", "global_power_maoz").fill_null(False)))


def country_names(names: pl.DataFrame | None) -> pl.LazyFrame:
    """``ccode, country`` from the COW country list (``statenme``), one name per code."""
    if names is None:
        return pl.LazyFrame(schema={"ccode": pl.Int32, "country": pl.Utf8})
    return (names.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("statenme").alias(
        "country")).unique("ccode", keep="first"))


def deficit_capability_correlations(frame: pl.DataFrame) -> dict[str, float]:
    """corr(deficit, capability rank) over all state-years, per global-field deficit.

    The bounded-rank artefact (METHODS §3.1): the top state can only show a deficit <= 0,
    so rank gaps correlate with capability rank; the residual should not.
    """
    cols = [c for c in frame.columns
            if c.startswith(("si_pct_", "si_rank_", "si_resid_"))
            and (c.endswith("_global") or c.startswith("si_resid_"))]
    row = frame.select(pl.corr(pl.col(c).cast(pl.Float64), pl.col("cap_rank").cast(pl.Float64))
                       .alias(c) for c in cols).row(0, named=True)
    return {k: round(v, 3) for k, v in row.items() if v is not None}


def years_outside_system(system: pl.DataFrame, inputs: dict[str, pl.DataFrame | None],
                         year_col: str = "year") -> dict[str, str]:
    """The years of each input that fall outside the state system's span, which the
    state-year and dyad-year grids (system members only) cannot hold: ``{"cow_nmc": "2017-2022
    (6 years with rows) after the state system's last year, 2016"}``. Empty when every input fits."""
    first, last = int(system["year"].min()), int(system["year"].max())
    out = {}
    for name, frame in inputs.items():
        if frame is None or year_col not in frame.columns or frame.is_empty():
            continue
        years = frame[year_col].drop_nulls().unique().sort()
        before, after = years.filter(years < first), years.filter(years > last)
        parts = [f"{int(y.min())}-{int(y.max())} ({y.len()} years with rows) {side} the state system's "
                 f"{edge} year, {bound}"
                 for y, side, edge, bound in ((before, "before", "first", first),
                                             (after, "after", "last", last)) if y.len()]
        if parts:
            out[name] = "; ".join(parts)
    return out


def build_state_year(system: pl.DataFrame, nmc: pl.DataFrame, majors: pl.DataFrame,
                     igo_sy: pl.DataFrame, igo_dyadic: pl.DataFrame,
                     dipex: pl.DataFrame | None, powers: pl.DataFrame | None = None,
                     idealpoints: pl.DataFrame | None = None,
                     names: pl.DataFrame | None = None) -> tuple[pl.DataFrame, dict]:
    """State-year status table and a report of which recognition measures were available.

    ``powers`` is Maoz's regional/global power years (``ccode, year, regional_power,
    global_power``); ``idealpoints`` the UN ideal points (``ccode, year, idealpoint``);
    ``names`` the COW country list (``ccode, statenme``) for the ``country`` column.
    """
    de = dipex_status(dipex, system)
    key = ["ccode", "year"]
    base = (system.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32))
            .join(nmc.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32),
                                    "cinc"), on=key, how="left"))
    major = (base.join(majors.lazy().select(pl.col("ccode").cast(pl.Int32), "styear", "endyear"),
                       on="ccode", how="inner")
             .filter(pl.col("year").is_between("styear", "endyear"))
             .select(key).unique().with_columns(pl.lit(True).alias("major_power")))
    igo_net = network.igo_network_measures(igo_dyadic, system).lazy().select(
        "ccode", "year", pl.col("strength").alias("igo_strength"),
        pl.col("eigenvector").alias("igo_eigenvector"), pl.col("pagerank").alias("igo_pagerank"))
    frame = (
        status.capability_ranks(base)
        .join(major, on=key, how="left")
        .with_columns(pl.col("major_power").fill_null(False))
        .join(igo_sy.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32),
                                   pl.col("sum_igo_full").cast(pl.Float64).alias("igo_full")),
              on=key, how="left")
        .join(igo_net, on=key, how="left")
    )
    frame = power_flags(frame, powers)
    if de["available"]:
        frame = frame.join(de_measures(dipex, system).lazy(), on=key, how="left")
    else:
        frame = frame.with_columns(_de_null())
    if idealpoints is not None:
        frame = frame.join(idealpoints.lazy().select(
            pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32), "idealpoint"),
            on=key, how="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("idealpoint"))
    frame = frame.join(country_names(names), on="ccode", how="left")
    frame = frame.with_columns(status.region(pl.col("ccode")).alias("region"),
                               pl.col("de_community").alias("community"))
    si = status.status_inconsistency(frame, SI_MEASURES).join(
        status.status_inconsistency(frame, SI_VARIANTS, fields=("global",)), on=key)
    out = frame.join(si, on=key, how="left").drop("community").sort(key).collect()
    return out, {"dipex": de, "si_measures": SI_MEASURES + SI_VARIANTS,
                 "primary_si": PRIMARY_SI,
                 "corr_deficit_cap_rank": deficit_capability_correlations(out)}
