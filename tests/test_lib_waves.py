"""Wave measures on a yearly grid: carried forward by default, interpolated only as a variant."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.lib.measures import waves

WAVE = pl.DataFrame({"ccode": [1, 1, 1, 2, 2], "year": [1950, 1955, 1960, 1955, 1960],
                     "share": [0.2, 0.4, None, 1.0, 3.0], "community": [7, 8, 9, 1, None]},
                    schema_overrides={"ccode": pl.Int32, "year": pl.Int32})


def _grid(members: dict[int, list[int]]) -> pl.DataFrame:
    rows = [(c, y) for y, cs in members.items() for c in cs]
    return pl.DataFrame(rows, schema={"ccode": pl.Int32, "year": pl.Int32}, orient="row")


GRID = _grid({y: [1] + ([2] if y >= 1953 else []) for y in range(1948, 1968)})


def _rows(out: pl.DataFrame) -> dict[tuple[int, int], dict]:
    return {(r["ccode"], r["year"]): r for r in out.to_dicts()}


def test_carry_forward_takes_the_last_wave_at_or_before_each_year():
    """1954 takes the 1950 wave (4 years old), 1955 its own wave; labels carry the same way."""
    out = _rows(waves.carry_forward(WAVE, GRID, ["ccode"], ["share", "community"]))
    assert out[(1, 1954)]["share"] == pytest.approx(0.2) and out[(1, 1954)]["community"] == 7
    assert out[(1, 1954)]["years_since_wave"] == 4 and not out[(1, 1954)]["is_wave"]
    assert out[(1, 1955)]["share"] == pytest.approx(0.4) and out[(1, 1955)]["is_wave"]
    assert out[(1, 1959)]["wave_year"] == 1955


def test_carry_forward_is_null_before_the_first_wave_and_after_the_carry_limit():
    """Before a unit's first wave: NULL; the final wave (1960) is carried 5 years, to 1965."""
    out = _rows(waves.carry_forward(WAVE, GRID, ["ccode"], ["share"]))
    assert out[(1, 1949)]["share"] is None and out[(2, 1954)]["wave_year"] is None
    assert out[(2, 1965)]["share"] == pytest.approx(3.0)
    assert out[(2, 1966)]["share"] is None and out[(2, 1966)]["wave_year"] is None
    assert out[(1, 1962)]["wave_year"] == 1960 and out[(1, 1962)]["share"] is None  # NULL wave


def test_carry_forward_never_carries_a_value_across_a_wave_the_unit_missed():
    """A unit absent from the 1955 wave has no value in 1955-59, not its stale 1950 value."""
    wave = pl.DataFrame({"ccode": [1, 2, 2, 1], "year": [1950, 1950, 1955, 1960],
                         "share": [0.5, 0.1, 0.2, 0.7]},
                        schema_overrides={"ccode": pl.Int32, "year": pl.Int32})
    out = _rows(waves.carry_forward(wave, _grid({y: [1, 2] for y in range(1950, 1962)}),
                                    ["ccode"], ["share"]))
    assert out[(1, 1954)]["share"] == pytest.approx(0.5)
    assert all(out[(1, y)]["share"] is None for y in range(1955, 1960))
    assert out[(1, 1961)]["share"] == pytest.approx(0.7)


def test_no_carried_value_depends_on_a_later_wave():
    """Changing every wave after year t leaves every value up to t unchanged (no look-ahead)."""
    grid = _grid({y: [1, 2] for y in range(1950, 1966)})
    base = waves.carry_forward(WAVE, grid, ["ccode"], ["share"]).sort("ccode", "year")
    for t in (1950, 1954, 1955, 1959):
        shocked = WAVE.with_columns(pl.when(pl.col("year") > t).then(pl.col("share") * 100 + 7)
                                    .otherwise(pl.col("share")).alias("share"))
        got = waves.carry_forward(shocked, grid, ["ccode"], ["share"]).sort("ccode", "year")
        upto = pl.col("year") <= t
        assert got.filter(upto).equals(base.filter(upto))
        assert not got.equals(base)  # the shock did reach the later years


def test_carry_forward_works_for_directed_pairs():
    """Pair keys (sender, host) carry independently of each other."""
    wave = pl.DataFrame({"sender": [2, 2], "host": [732, 220], "year": [1990, 1990],
                         "level": [3, 3]}, schema_overrides={"year": pl.Int32})
    grid = pl.DataFrame({"sender": [2, 2], "host": [732, 220], "year": [1993, 1993]})
    out = waves.carry_forward(wave, grid, ["sender", "host"], ["level"]).sort("host")
    assert out["level"].to_list() == [3, 3] and out["years_since_wave"].to_list() == [3, 3]


def test_interpolate_keeps_wave_values_and_interpolates_midpoints():
    """The variant: wave rows keep their values; 1952 and 1953 straddle the 1950-55 mean."""
    out = _rows(waves.interpolate(WAVE, GRID, ["share"]))
    assert out[(1, 1950)]["share"] == pytest.approx(0.2, abs=1e-12)
    assert (out[(1, 1952)]["share"] + out[(1, 1953)]["share"]) / 2 == pytest.approx(0.3)
    assert out[(2, 1957)]["share"] + out[(2, 1958)]["share"] == pytest.approx(4.0)


def test_interpolate_never_extrapolates_nor_bridges_a_null_wave_value():
    """NULL after the last wave, before the first, and between a value and a NULL wave."""
    out = _rows(waves.interpolate(WAVE, GRID, ["share"]))
    assert out[(2, 1961)]["share"] is None and out[(1, 1948)]["share"] is None
    assert all(out[(1, y)]["share"] is None for y in range(1956, 1961))
    assert len(out) == GRID.height
