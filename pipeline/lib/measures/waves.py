"""Wave measures on a yearly grid, without look-ahead (METHODS §2.4).

The Diplomatic Exchange is observed in waves (38 of them, every five years since 1950), never
yearly. A value for year t must use only what was observed by t, so the default is to **carry
the latest wave forward**: year t takes the state's (or pair's) last wave w <= t, with
``years_since_wave`` = t - w. A wave is valid until the dataset's next wave; the final wave is
carried at most ``max_carry`` years past itself (2005 -> 2010 by default). A state absent from
a wave (not yet a member, or missing) has no value until its next wave: an older value is
never carried across a wave the state was absent from.

Linear interpolation between waves (:func:`interpolate`) uses the *next* wave, observed after
t; it survives only as a labelled robustness variant (``*_interp`` columns).

References
----------
Renshon, J. 2016. "Status Deficits and War." *International Organization* 70(3): 513-550.
doi:10.1017/S0020818316000163 (interpolates between waves; here only as a variant).
"""

from __future__ import annotations

import polars as pl

MAX_CARRY = 5   # the 2005 DipEx wave is carried to 2010 at most (METHODS §2.4)


def carry_forward(wave: pl.DataFrame | pl.LazyFrame, grid: pl.DataFrame | pl.LazyFrame,
                  keys: list[str], value_cols: list[str],
                  max_carry: int = MAX_CARRY) -> pl.DataFrame:
    """Each grid row takes the values of its unit's latest wave at or before its year.

    Parameters
    ----------
    wave : ``*keys, year`` plus ``value_cols``, one row per unit and wave year. The set of
        wave years is the distinct ``year`` values of this frame.
    grid : ``*keys, year``: the output rows (e.g. system state-years, allied dyad-years).
    keys : unit columns (``["ccode"]``, or ``["sender", "host"]`` for directed pairs).
    value_cols : columns carried (any dtype; NULL wave values stay NULL).
    max_carry : years the dataset's final wave is carried past itself.

    Returns
    -------
    pl.DataFrame
        The grid rows (deduplicated, in no particular order) with ``wave_year`` (Int32, the wave used),
        ``years_since_wave`` (Int32), ``is_wave`` (Boolean, t is a wave year at which the unit
        is observed) and ``value_cols``. All NULL (and ``is_wave`` False) before the unit's
        first wave, past ``max_carry`` after the final wave, and in the years after a wave
        the unit was absent from (until it reappears).

    Notes
    -----
    No output value depends on a wave after its year: each year maps to the latest wave at or
    before it (an as-of join of the calendar on the wave years), then takes that wave's row.
    """
    w = wave.lazy().with_columns(pl.col("year").cast(pl.Int32))
    years = sorted(w.select(pl.col("year").unique()).collect()["year"].to_list())
    if not years:
        raise ValueError("carry_forward: the wave frame has no rows")
    g = grid.lazy().select(*keys, pl.col("year").cast(pl.Int32)).unique()
    # Each calendar year maps to the dataset's latest wave at or before it, while that wave is
    # valid (until the next wave; the final one max_carry years). A unit takes that wave's
    # value or nothing: an equi-join, so a unit absent from the wave gets NULL.
    span = g.select(pl.col("year").min().alias("lo"), pl.col("year").max().alias("hi")).collect()
    lo, hi = span.row(0) if span.height and span["lo"][0] is not None else (years[0], years[0])
    calendar = pl.LazyFrame({"year": list(range(min(lo, years[0]), max(hi, years[0]) + 1))},
                            schema={"year": pl.Int32})
    ends = pl.LazyFrame({"wave_year": years,
                         "_valid_to": [*[y - 1 for y in years[1:]], years[-1] + max_carry]},
                        schema={"wave_year": pl.Int32, "_valid_to": pl.Int32})
    to_wave = (calendar.join_asof(ends, left_on="year", right_on="wave_year",
                                  strategy="backward", check_sortedness=False)
               .filter(pl.col("year") <= pl.col("_valid_to")).select("year", "wave_year"))
    values = w.select(*keys, pl.col("year").alias("wave_year"), *value_cols,
                      pl.lit(True).alias("_seen"))
    return (
        g.join(to_wave, on="year", how="left")
        .join(values, on=[*keys, "wave_year"], how="left")
        .with_columns(pl.when(pl.col("_seen")).then(pl.col("wave_year")).alias("wave_year"))
        .with_columns((pl.col("year") - pl.col("wave_year")).cast(pl.Int32)
                      .alias("years_since_wave"),
                      (pl.col("year") == pl.col("wave_year")).fill_null(False).alias("is_wave"))
        .select(*keys, "year", "wave_year", "years_since_wave", "is_wave", *value_cols)
        .collect()
    )


def interpolate(wave: pl.DataFrame | pl.LazyFrame, grid: pl.DataFrame | pl.LazyFrame,
                value_cols: list[str]) -> pl.DataFrame:
    """Linear interpolation between a state's consecutive waves: the look-ahead variant.

    Years strictly between two waves of the same state mix the earlier and the *later*
    wave, observed after t; use only as a labelled robustness variant (METHODS §2.4). NULL
    before the first and after the last wave of the state; a NULL wave value is never
    bridged (the years on either side of it, up to the neighbouring waves, are NULL).

    Returns
    -------
    ``ccode, year`` and the ``value_cols`` (Float64), one row per grid row.
    """
    key = ["ccode", "year"]
    state = pl.col("ccode")
    values = wave.lazy().select(
        pl.col(key).cast(pl.Int32),
        # NaN stands in for a NULL wave value so interpolation does not bridge over it.
        *[pl.col(v).cast(pl.Float64).fill_null(float("nan")) for v in value_cols],
        pl.lit(True).alias("_wave"))
    return (
        grid.lazy().select(pl.col(key).cast(pl.Int32)).unique()
        .join(values, on=key, how="left")
        .sort(key)
        .with_columns(pl.col("year").filter(pl.col("_wave")).min().over(state).alias("_first"),
                      pl.col("year").filter(pl.col("_wave")).max().over(state).alias("_last"))
        .with_columns(
            pl.when(pl.col("year").is_between("_first", "_last"))
            .then(pl.col(v).interpolate_by("year").over(state)).fill_nan(None).alias(v)
            for v in value_cols)
        .select(*key, *value_cols)
        .collect()
    )
