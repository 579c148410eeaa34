"""The directed dyad-year table: every pair of system members and what each source says of it.

``ccode1 -> ccode2`` rows (1,912,350 for 1816-2016) with capability ratio and alliances
(:mod:`pipeline.lib.measures.pairs`), UN cohesion and ideal-point distance, event measures per dataset
(never pooled), ICEWS counts (netify), COPDAB, Diplomatic Exchange representation levels,
shared threat (:mod:`pipeline.lib.measures.threat`) and the measures relative to ccode2's other allies
(:mod:`pipeline.lib.measures.allies`). Every source is NULL outside its coverage (flag ``cov_<source>``),
never 0. Suffix ``_12`` is ccode1 toward ccode2, ``_21`` the reverse.
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.events.registry import DATASETS
from pipeline.lib.ingest.sources.cow_dipex import ties
from pipeline.lib.measures import allies, pairs, threat, waves
from pipeline.lib.measures.cohesion import UN_MEASURES
from pipeline.lib.measures.event_measures import COPDAB_YEARS

KEY = pairs.KEY
USA = 2
EVENT_DATASETS = (*DATASETS, "weis")
EVENT_MEASURES = ("n", "n_all", "defy_count", "defy_share", "protest_count", "attention_count",
                  "goldstein_sum")
_ZERO_IF_COVERED = ("n", "n_all", "defy_count", "protest_count", "attention_count",
                    "goldstein_sum")
NETIFY_QUADS = ("verbCoop", "matlCoop", "verbConf", "matlConf")
RELATIVE = {"un_oppose_share": "un_oppose_rel", "un_disagree_voeten": "un_disagree_voeten_rel",
            "un_oppose_share_imp": "un_oppose_imp_rel", "idealpoint_dist": "idealpoint_dist_rel"}


def _lo_hi() -> list[pl.Expr]:
    return [pl.min_horizontal("ccode1", "ccode2").alias("lo"),
            pl.max_horizontal("ccode1", "ccode2").alias("hi")]


def join_un(frame: pl.LazyFrame, un: pl.DataFrame) -> pl.LazyFrame:
    """UN measures of the unordered pair as ``un_<m>`` (+ ``un_disagree_voeten`` = 1 - Voeten
    index) and ``cov_un``; important-vote measures only for pairs with the USA."""
    cols = [*UN_MEASURES, *[f"{m}_imp" for m in UN_MEASURES]]
    rows = (un.lazy().select(pl.col("ccode_a").cast(pl.Int32).alias("lo"),
                             pl.col("ccode_b").cast(pl.Int32).alias("hi"),
                             pl.col("year").cast(pl.Int32), *[pl.col(c).alias(f"un_{c}")
                                                              for c in cols])
            .with_columns(pl.lit(True).alias("cov_un")))
    with_usa = (pl.col("ccode1") == USA) | (pl.col("ccode2") == USA)
    return (frame.with_columns(_lo_hi()).join(rows, on=["lo", "hi", "year"], how="left")
            .drop("lo", "hi")
            .with_columns(pl.col("cov_un").fill_null(False),
                          *[pl.when(with_usa).then(pl.col(f"un_{m}_imp")).alias(f"un_{m}_imp")
                            for m in UN_MEASURES])
            .with_columns((1 - pl.col("un_agree_voeten")).alias("un_disagree_voeten"),
                          (1 - pl.col("un_agree_voeten_imp")).alias("un_disagree_voeten_imp")))


def join_idealpoints(frame: pl.LazyFrame, ideal: pl.DataFrame | None) -> pl.LazyFrame:
    """``idealpoint1/2`` (Bailey-Strezhnev-Voeten, session year) and ``idealpoint_dist`` =
    |theta_1 - theta_2|, NULL where either is missing."""
    if ideal is None:
        return frame.with_columns(pl.lit(None, pl.Float64).alias(c) for c in (
            "idealpoint1", "idealpoint2", "idealpoint_dist"))
    th = ideal.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32),
                             pl.col("idealpoint").cast(pl.Float64))
    return (frame
            .join(th.rename({"ccode": "ccode1", "idealpoint": "idealpoint1"}),
                  on=["ccode1", "year"], how="left")
            .join(th.rename({"ccode": "ccode2", "idealpoint": "idealpoint2"}),
                  on=["ccode2", "year"], how="left")
            .with_columns((pl.col("idealpoint1") - pl.col("idealpoint2")).abs()
                          .alias("idealpoint_dist")))


def _wide(agg: pl.LazyFrame, keys: list[str], cols: dict[str, str],
          datasets) -> pl.LazyFrame:
    """One row per key with ``<d>_<name>`` for every dataset d (absent datasets too)."""
    wide = None
    for d in datasets:
        part = (agg.filter(pl.col("dataset") == d)
                .select(*keys, *[pl.col(c).alias(f"{d}_{name}") for c, name in cols.items()]))
        wide = part if wide is None else wide.join(part, on=keys, how="full", coalesce=True)
    return wide


def join_events(frame: pl.LazyFrame, agg: pl.DataFrame, coverage: pl.DataFrame,
                datasets=EVENT_DATASETS, period: str = "year") -> pl.LazyFrame:
    """Event measures ccode1 -> ccode2 per dataset as ``<d>_<m>``, P's attention toward J as
    ``<d>_attention_21``, and ``cov_<d>``: counts are 0 in covered periods without events and
    everything is NULL outside coverage (a sample file never covers)."""
    keys = ["ccode1", "ccode2", period]
    a = agg.lazy().with_columns(pl.col("source_ccode").alias("ccode1"),
                                pl.col("target_ccode").alias("ccode2"))
    forward = _wide(a, keys, {m: m for m in EVENT_MEASURES}, datasets)
    reverse = _wide(a.with_columns(pl.col("target_ccode").alias("ccode1"),
                                   pl.col("source_ccode").alias("ccode2")),
                    keys, {"attention_count": "attention_21"}, datasets)
    cov_col = "year_covered" if period == "year" else "covered"
    cov = (coverage.lazy().select("dataset", period, cov_col).unique()
           .collect().pivot(on="dataset", index=period, values=cov_col).lazy())
    cov_cols = {d: f"cov_{d}" for d in datasets}
    have = set(cov.collect_schema().names())
    cov = cov.select(period, *[(pl.col(d) if d in have else pl.lit(None, pl.Boolean))
                               .alias(c) for d, c in cov_cols.items()])
    filled = []
    for d in datasets:
        for c in [*[f"{d}_{m}" for m in EVENT_MEASURES], f"{d}_attention_21"]:
            zero = c.removeprefix(f"{d}_") in _ZERO_IF_COVERED or c.endswith("_21")
            filled.append(pl.when(pl.col(f"cov_{d}"))
                          .then(pl.col(c).fill_null(0) if zero else pl.col(c)).alias(c))
    return (frame.join(forward, on=keys, how="left").join(reverse, on=keys, how="left")
            .join(cov, on=period, how="left")
            .with_columns(pl.col(list(cov_cols.values())).fill_null(False))
            .with_columns(filled))


def join_netify(frame: pl.LazyFrame, netify: pl.DataFrame | None) -> pl.LazyFrame:
    """ICEWS dyad-year quad counts (netify) ccode1 -> ccode2, their total and conflict share,
    and ccode2's verbal cooperation toward ccode1 (``netify_verbCoop_21``)."""
    names = [*[f"netify_{q}" for q in NETIFY_QUADS], "netify_n", "netify_conflict_share",
             "netify_verbCoop_21"]
    if netify is None:
        return frame.with_columns(*[pl.lit(None, pl.Float64 if c.endswith("_share") else
                                           pl.Int32).alias(c) for c in names],
                                  pl.lit(False).alias("cov_netify"))
    n = pl.sum_horizontal(*NETIFY_QUADS)
    rows = (netify.lazy()
            .filter(pl.col("source_ccode").is_not_null(), pl.col("target_ccode").is_not_null())
            .group_by(pl.col("source_ccode").cast(pl.Int32).alias("ccode1"),
                      pl.col("target_ccode").cast(pl.Int32).alias("ccode2"),
                      pl.col("year").cast(pl.Int32))
            .agg(pl.col(NETIFY_QUADS).sum())
            .with_columns(n.alias("n"),
                          pl.when(n > 0).then((pl.col("verbConf") + pl.col("matlConf")) / n)
                          .alias("conflict_share")))
    reverse = rows.select(pl.col("ccode2").alias("ccode1"), pl.col("ccode1").alias("ccode2"),
                          "year", pl.col("verbCoop").alias("netify_verbCoop_21"))
    return (frame
            .join(rows.select(*KEY, *[pl.col(c).alias(f"netify_{c}") for c in
                                      (*NETIFY_QUADS, "n", "conflict_share")],
                              pl.lit(True).alias("cov_netify")), on=KEY, how="left")
            .join(reverse, on=KEY, how="left")
            .with_columns(pl.col("cov_netify").fill_null(False)))


def join_copdab(frame: pl.LazyFrame, copdab_year: pl.DataFrame) -> pl.LazyFrame:
    """COPDAB yearly net cooperation ccode1 -> ccode2 (1948-1978, the series that exist)."""
    rows = copdab_year.lazy().select(pl.col("actor").cast(pl.Int32).alias("ccode1"),
                                     pl.col("target").cast(pl.Int32).alias("ccode2"),
                                     pl.col("year").cast(pl.Int32), "copdab_net_coop",
                                     "copdab_conflict_months",
                                     (pl.col("copdab_months") > 0).alias("cov_copdab"))
    inside = pl.col("year").is_between(*COPDAB_YEARS) & pl.col("cov_copdab").fill_null(False)
    return (frame.join(rows, on=KEY, how="left")
            .with_columns(pl.when(inside).then(pl.col(c)).alias(c)
                          for c in ("copdab_net_coop", "copdab_conflict_months"))
            .with_columns(inside.alias("cov_copdab")))


def join_de_levels(frame: pl.LazyFrame, dipex: pl.DataFrame | None,
                   grid: pl.LazyFrame) -> pl.LazyFrame:
    """Diplomatic representation levels carried forward from the latest wave (no look-ahead):
    ``de_level_12`` (ccode1's mission in ccode2's capital) and ``de_level_21``; 0 none, 1
    chargé, 2 minister, 3 ambassador; code 9 (level not recorded, e.g. every tie of 1950-65)
    is NULL, as is everything without the full file. ``grid`` holds the ``ccode1, ccode2,
    year`` rows to fill (cheap to compute on its own)."""
    if dipex is None:
        return frame.with_columns(pl.lit(None, pl.Int8).alias(c)
                                  for c in ("de_level_12", "de_level_21"))
    t = ties(dipex).with_columns(pl.when(pl.col("level") != 9).then(pl.col("level"))
                                 .cast(pl.Int8).alias("level"))
    cells = grid.select(pl.col("ccode1").alias("sender"), pl.col("ccode2").alias("host"), "year")
    lv = waves.carry_forward(t, cells, ["sender", "host"], ["level"]).lazy()
    return (frame
            .join(lv.select(pl.col("sender").alias("ccode1"), pl.col("host").alias("ccode2"),
                            "year", pl.col("level").alias("de_level_12")), on=KEY, how="left")
            .join(lv.select(pl.col("host").alias("ccode1"), pl.col("sender").alias("ccode2"),
                            "year", pl.col("level").alias("de_level_21")), on=KEY, how="left"))


def build_dyad_year(system: pl.DataFrame, nmc: pl.DataFrame, alliances: pl.DataFrame,
                    un_agreement: pl.DataFrame, event_agg: pl.DataFrame,
                    coverage: pl.DataFrame, copdab_year: pl.DataFrame, mids: pl.DataFrame, *,
                    netify: pl.DataFrame | None = None, atop: pl.DataFrame | None = None,
                    idealpoints: pl.DataFrame | None = None, dipex: pl.DataFrame | None = None,
                    rivalry_years: pl.DataFrame | None = None,
                    rivalry_span: tuple[int, int] | None = None) -> pl.DataFrame:
    """Every directed dyad-year with all sources joined (see the module docstring).

    ``dipex`` must be a complete Diplomatic Exchange table (or None). The relative measures
    (``*_rel``), respect received and principal patron are computed last, on the allied rows
    of the whole table (so that "P's other allies" are all of them), and shared threat on
    every pair. Rows come in no particular order.
    """
    base = pairs.directed_pairs(system, nmc, alliances)
    frame = pairs.with_atop(base, atop)
    frame = join_un(frame, un_agreement)
    frame = join_idealpoints(frame, idealpoints)
    frame = join_events(frame, event_agg, coverage)
    frame = join_netify(frame, netify)
    frame = join_copdab(frame, copdab_year)
    frame = join_de_levels(frame, dipex, base.select(KEY)).collect()
    # The measures relative to ccode2's allies concern allied rows only (about 6% of the
    # table): compute them on that slice and join them back, instead of windowing 1.9 M rows.
    attention = {d: f"{d}_attention_21" for d in EVENT_DATASETS} | {"netify": "netify_verbCoop_21"}
    need = ["alliance_level", "atop_level", "cinc1", "cinc2", *RELATIVE, *attention.values(),
            "de_level_21"]
    ally = frame.lazy().filter(allies.allied()).select(*KEY, *need)
    ally = ally.with_columns(allies.relative_to_allies(c, name) for c, name in RELATIVE.items())
    ally = allies.principal_patron(allies.respect_received(ally, attention, "de_level_21"))
    added = [c for c in ally.collect_schema().names() if c not in need and c not in KEY]
    flags = threat.shared_threat(frame.select(KEY), mids, rivalry_years, rivalry_span)
    return (frame.lazy().join(ally.select(*KEY, *added), on=KEY, how="left")
            .join(flags.lazy(), on=KEY, how="left").collect())
