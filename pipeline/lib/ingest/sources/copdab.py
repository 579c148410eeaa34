"""COPDAB monthly net cooperation, 1948–1978, as used by Lebo & Moore (2003) (METHODS §5.2).

``exCopdab`` (R {sTSD}) is wide: ``ym`` (YYMM, all 19xx), eight ``<actor>2<target>`` series
and three war dummies. ``raw.copdab_monthly`` is long (one row per month × directed series,
so ``rows_read`` counts month × series cells; a line that cannot be split counts once);
``raw.copdab_wars`` keeps the war dummies, one row per month, to join on ``month``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, coerce, finish
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.sources.unvotes import split_key_conflicts
from pipeline.lib.ingest.text import read_table_text
from pipeline.lib.store.results import LINE, ParseResult

ACTORS = {"us": 2, "fra": 220, "ussr": 365, "eg": 651, "is": 666}
WARS = ("suez", "sixday", "yomk")
_SERIES = re.compile(r"^([a-z]+)2([a-z]+)$")
_YM = Col("ym", pl.Int32, required=True,
          check=lambda c: c.is_between(101, 9912) & (c % 100).is_between(1, 12),
          reason="not a YYMM month")


def series_names(columns: list[str]) -> list[str]:
    """The ``<actor>2<target>`` columns whose actor and target are both known states."""
    return [c for c in columns if (m := _SERIES.match(c)) and m[1] in ACTORS and m[2] in ACTORS]


def _month(ym: pl.Expr) -> pl.Expr:
    """First day of the month of a YYMM code; every COPDAB year is in the 1900s."""
    return pl.date(1900 + ym // 100, ym % 100, 1)


def parse_copdab_monthly(path: Path) -> ParseResult:
    """Long monthly series: month, series, actor and target ccode, net cooperation.

    ``net_coop`` is COPDAB-weighted cooperation minus conflict of actor toward target in the
    month (Azar 1980; Lebo & Moore 2003); months without events are 0 in the source. Only
    empty or ``NA`` cells are missing: −9 is a real index value here.
    """
    rows, q_lines, _ = read_table_text(path, sep=",", expected=["ym"])
    series = series_names(rows.columns)
    if not series:
        raise InputError(path, f"no <actor>2<target> series among columns {rows.columns}", line=1)
    long = rows.unpivot(index=["ym", LINE], on=series, variable_name="series",
                        value_name="net_coop")
    cols = [_YM, Col("series", pl.Utf8, required=True),
            Col("net_coop", pl.Float64, na=("", "NA"))]
    typed, q_values = coerce(long.select("ym", "series", "net_coop", LINE), cols, str(path))
    actor = {s: ACTORS[_SERIES.match(s)[1]] for s in series}
    target = {s: ACTORS[_SERIES.match(s)[2]] for s in series}
    typed = typed.select(
        _month(pl.col("ym")).alias("month"),
        "series",
        pl.col("series").replace_strict(actor, return_dtype=pl.Int32).alias("actor"),
        pl.col("series").replace_strict(target, return_dtype=pl.Int32).alias("target"),
        "net_coop", LINE,
    ).sort("series", "month", maintain_order=True)
    typed, q_conflicts = split_key_conflicts(typed, ["month", "series"], str(path))
    ignored = [c for c in rows.columns if c not in (*series, *WARS, "ym", LINE)]
    notes = {"unit": "month x series cell", "series": ",".join(series),
             "ignored_columns": ",".join(ignored)}
    return finish(typed, [q_lines, q_values, q_conflicts], long.height + q_lines.height,
                  str(path), notes=notes)


def parse_copdab_wars(path: Path) -> ParseResult:
    """War-period dummies (Suez 1956, Six-Day 1967, Yom Kippur 1973), one row per month."""
    cols = [_YM, *[Col(w, pl.Int8, check=lambda c: c.is_in([0, 1]), reason="not a 0/1 flag")
                   for w in WARS]]
    rows, q_lines, n = read_table_text(path, sep=",", expected=["ym", *WARS])
    typed, q_values = coerce(rows.select("ym", *WARS, LINE), cols, str(path))
    typed = typed.select(_month(pl.col("ym")).alias("month"), *WARS, LINE)
    typed, q_conflicts = split_key_conflicts(typed, ["month"], str(path))
    return finish(typed, [q_lines, q_values, q_conflicts], n, str(path))


class CopdabMonthly(pa.DataFrameModel):
    """raw.copdab_monthly: net cooperation per month and directed series."""

    month: pl.Date
    series: pl.Utf8 = pa.Field(str_matches=r"^[a-z]+2[a-z]+$")
    actor: pl.Int32 = pa.Field(isin=list(ACTORS.values()))
    target: pl.Int32 = pa.Field(isin=list(ACTORS.values()))
    net_coop: pl.Float64 = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ("month", "series")


class CopdabWars(pa.DataFrameModel):
    """raw.copdab_wars: war-period dummies per month."""

    month: pl.Date
    suez: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    sixday: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    yomk: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)

    class Config:
        strict = True
        unique = ("month",)


COPDAB = Source(
    name="copdab_lebo_moore",
    title="COPDAB monthly dyadic net cooperation, 1948-1978 (Lebo & Moore 2003 series, R sTSD)",
    version="svmiller/sTSD commit 9ebfc96850fa40ab604d335882c2765c0b77315b (data/exCopdab.rda)",
    citation="""@article{azar1980copdab,
  author = {Azar, Edward E.},
  title = {The Conflict and Peace Data Bank ({COPDAB}) Project},
  journal = {Journal of Conflict Resolution},
  volume = {24}, number = {1}, pages = {143--152}, year = {1980}
}
@article{lebo2003dynamic,
  author = {Lebo, Matthew J. and Moore, Will H.},
  title = {Dynamic Foreign Policy Behavior},
  journal = {Journal of Conflict Resolution},
  volume = {47}, number = {1}, pages = {13--32}, year = {2003}
}
@misc{miller_stsd,
  author = {Miller, Steven V.},
  title = {{sTSD}: Simulate Time Series Diagnostics},
  note = {R package, data set exCopdab},
  url = {https://github.com/svmiller/sTSD}
}""",
    url="https://github.com/svmiller/sTSD",
    patterns=("exCopdab.csv", "exCopdab.csv.gz"),
    sha256={"exCopdab.csv.gz":
            "bf9c23ad493a9a98c8e6fbe49819440f80095162b7e75dbff84d158d6526b436"},
    note="CSV conversion of data/exCopdab.rda; values are an index, not event counts.",
)

SOURCES: list[Source] = [COPDAB]
TABLES: list[RawTable] = [
    RawTable("copdab_monthly", COPDAB, parse_copdab_monthly, CopdabMonthly,
             ("month", "series"),
             "COPDAB monthly net cooperation (index) of actor toward target, 1948-1978, long "
             "form with COW ccodes."),
    RawTable("copdab_wars", COPDAB, parse_copdab_wars, CopdabWars, ("month",),
             "COPDAB war-period dummies (Suez, Six-Day, Yom Kippur) per month, 1948-1978."),
]
