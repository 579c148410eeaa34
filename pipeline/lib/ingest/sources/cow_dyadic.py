"""Readers of the COW dyadic tables packaged by {peacesciencer}: MIDs, IGO memberships,
contiguity and trade, each a column list, a parser and a pandera schema (the source, its
citation and the table list are in :mod:`.peacesciencer`)."""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, read_csv_typed
from pipeline.lib.store.results import ParseResult


def _between(lo: int, hi: int):
    def check(c: pl.Expr) -> pl.Expr:
        return c.is_between(lo, hi)
    return check


def _nonneg(c: pl.Expr) -> pl.Expr:
    return c >= 0


def _cc(name: str) -> Col:
    return Col(name, pl.Int32, check=_between(1, 999), reason="ccode outside 1-999",
               required=True)


def _int(name: str, dtype=pl.Int8, lo: int = 0, hi: int = 1, required: bool = True) -> Col:
    return Col(name, dtype, check=_between(lo, hi), reason=f"value outside {lo}-{hi}",
               required=required)


_YEAR = Col("year", pl.Int32, check=_between(1816, 2100), reason="year outside 1816-2100",
            required=True)
_DYAD = [_cc("ccode1"), _cc("ccode2"), _YEAR]
_PAIRS = ("sidea", "fatality", "fatalpre", "hiact", "hostlev", "orig")
_MID_RANGES = {"sidea": (pl.Int8, 0, 1, True), "fatality": (pl.Int8, 0, 6, False),
               "fatalpre": (pl.Int32, 0, 10_000_000, False), "hiact": (pl.Int8, 0, 23, True),
               "hostlev": (pl.Int8, 1, 5, True), "orig": (pl.Int8, 0, 1, True)}
MID_COLS = [Col("dispnum", pl.Int32, check=_nonneg, required=True), *_DYAD,
            _int("dispongoing"), _int("disponset"),
            *[_int(f"{p}{i}", *_MID_RANGES[p]) for p in _PAIRS for i in (1, 2)]]
IGO_SY_COLS = [_cc("ccode"), _YEAR,
               *[_int(f"sum_igo_{k}", pl.Int16, 0, 999)
                 for k in ("full", "associate", "observer", "anytype")]]
IGO_DYADIC_COLS = [*_DYAD, _int("dyadigos", pl.Int16, 0, 999)]
CONT_COLS = [_cc("ccode1"), _cc("ccode2"), _int("conttype", pl.Int8, 0, 5),
             Col("stdate", pl.Date, required=True), Col("enddate", pl.Date, required=True)]
TRADE_COLS = [*_DYAD, *[Col(c, pl.Float64, check=_nonneg, reason="negative trade flow")
                        for c in ("flow1", "flow2", "smoothflow1", "smoothflow2")]]


def parse_mids(path: Path) -> ParseResult:
    """Read ``cow_mid_dirdisps`` (MID 5.0 directed dispute-dyad-years); -9 becomes NULL."""
    return read_csv_typed(path, MID_COLS)


def parse_igo_sy(path: Path) -> ParseResult:
    """Read ``cow_igo_sy`` (IGO membership counts per state-year)."""
    return read_csv_typed(path, IGO_SY_COLS)


def parse_igo_dyadic(path: Path) -> ParseResult:
    """Read ``cow_igo_ndy`` (shared full IGO memberships, non-directed dyad-years)."""
    return read_csv_typed(path, IGO_DYADIC_COLS)


def parse_contiguity(path: Path) -> ParseResult:
    """Read ``cow_contdir`` (direct contiguity spells, ISO dates)."""
    return read_csv_typed(path, CONT_COLS)


def parse_trade(path: Path) -> ParseResult:
    """Read ``cow_trade_ndy`` (COW Trade 4.0 flows, non-directed dyad-years)."""
    return read_csv_typed(path, TRADE_COLS)


_CCODE = {"ge": 1, "le": 999}
_YEARS = {"ge": 1816, "le": 2100}


class CowMids(pa.DataFrameModel):
    """MID 5.0 directed dispute-dyad-years (side 1 acts toward side 2)."""

    dispnum: pl.Int32 = pa.Field(ge=0)
    ccode1: pl.Int32 = pa.Field(**_CCODE)
    ccode2: pl.Int32 = pa.Field(**_CCODE)
    year: pl.Int32 = pa.Field(**_YEARS)
    dispongoing: pl.Int8 = pa.Field(isin=[0, 1])
    disponset: pl.Int8 = pa.Field(isin=[0, 1])
    sidea1: pl.Int8 = pa.Field(isin=[0, 1])
    sidea2: pl.Int8 = pa.Field(isin=[0, 1])
    fatality1: pl.Int8 = pa.Field(ge=0, le=6, nullable=True)
    fatality2: pl.Int8 = pa.Field(ge=0, le=6, nullable=True)
    fatalpre1: pl.Int32 = pa.Field(ge=0, nullable=True)
    fatalpre2: pl.Int32 = pa.Field(ge=0, nullable=True)
    hiact1: pl.Int8 = pa.Field(ge=0, le=23)
    hiact2: pl.Int8 = pa.Field(ge=0, le=23)
    hostlev1: pl.Int8 = pa.Field(ge=1, le=5)
    hostlev2: pl.Int8 = pa.Field(ge=1, le=5)
    orig1: pl.Int8 = pa.Field(isin=[0, 1])
    orig2: pl.Int8 = pa.Field(isin=[0, 1])

    class Config:
        strict = True
        unique = ["dispnum", "ccode1", "ccode2", "year"]


class CowIgoSy(pa.DataFrameModel):
    """IGO v3 membership counts per state-year."""

    ccode: pl.Int32 = pa.Field(**_CCODE)
    year: pl.Int32 = pa.Field(**_YEARS)
    sum_igo_full: pl.Int16 = pa.Field(ge=0)
    sum_igo_associate: pl.Int16 = pa.Field(ge=0)
    sum_igo_observer: pl.Int16 = pa.Field(ge=0)
    sum_igo_anytype: pl.Int16 = pa.Field(ge=0)

    class Config:
        strict = True
        unique = ["ccode", "year"]


class CowIgoDyadic(pa.DataFrameModel):
    """Shared full IGO memberships per non-directed dyad-year (ccode1 < ccode2)."""

    ccode1: pl.Int32 = pa.Field(**_CCODE)
    ccode2: pl.Int32 = pa.Field(**_CCODE)
    year: pl.Int32 = pa.Field(**_YEARS)
    dyadigos: pl.Int16 = pa.Field(ge=0)

    class Config:
        strict = True
        unique = ["ccode1", "ccode2", "year"]


class CowContiguity(pa.DataFrameModel):
    """Direct contiguity spells, both directions (conttype 0 = package filler spell)."""

    ccode1: pl.Int32 = pa.Field(**_CCODE)
    ccode2: pl.Int32 = pa.Field(**_CCODE)
    conttype: pl.Int8 = pa.Field(ge=0, le=5)
    stdate: pl.Date
    enddate: pl.Date

    class Config:
        strict = True
        unique = ["ccode1", "ccode2", "stdate"]


class CowTrade(pa.DataFrameModel):
    """COW Trade 4.0 flows per non-directed dyad-year (million current USD, NULL = missing)."""

    ccode1: pl.Int32 = pa.Field(**_CCODE)
    ccode2: pl.Int32 = pa.Field(**_CCODE)
    year: pl.Int32 = pa.Field(**_YEARS)
    flow1: pl.Float64 = pa.Field(ge=0, nullable=True)
    flow2: pl.Float64 = pa.Field(ge=0, nullable=True)
    smoothflow1: pl.Float64 = pa.Field(ge=0, nullable=True)
    smoothflow2: pl.Float64 = pa.Field(ge=0, nullable=True)

    class Config:
        strict = True
        unique = ["ccode1", "ccode2", "year"]
