"""pandera schemas of the derived tables (the raw ones live beside their parsers).

Derived tables are wide and grow columns by measure (``si_*``, ``<dataset>_*``), so they are
described with regex column groups; the keys, codes and ranges that a regression depends on
are explicit.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

_CCODE = {"ge": 1, "le": 999}
_YEAR = {"ge": 1816, "le": 2100}


def _share(name: str, lo: float = 0.0, hi: float = 1.0) -> pa.Column:
    """A nullable Float64 in [lo, hi]; ``name`` starting with ^ is a regex column group."""
    group = name.startswith("^")
    return pa.Column(pl.Float64, pa.Check.in_range(lo, hi), nullable=True, regex=group,
                     name=name, required=not group)


def _ccode(nullable: bool = False) -> pa.Column:
    return pa.Column(pl.Int32, pa.Check.in_range(_CCODE["ge"], _CCODE["le"]), nullable=nullable)


def _year() -> pa.Column:
    return pa.Column(pl.Int32, pa.Check.in_range(_YEAR["ge"], _YEAR["le"]))


def _cov() -> pa.Column:
    return pa.Column(pl.Boolean, nullable=False, regex=True, name=r"^cov_.*$", required=False)


STATE_YEAR = pa.DataFrameSchema(
    name="StateYear",
    columns={
        "ccode": _ccode(),
        "year": _year(),
        "cinc": pa.Column(pl.Float64, pa.Check.in_range(0, 1), nullable=True),
        "cap_rank": pa.Column(pl.Int32, pa.Check.ge(1), nullable=True),
        "cap_pct": _share("cap_pct"),
        "major_power": pa.Column(pl.Boolean),
        "igo_full": pa.Column(pl.Float64, pa.Check.ge(0), nullable=True),
        "igo_pagerank": _share("igo_pagerank"),
        "de_share": _share("de_share"),
        "de_pagerank": _share("de_pagerank"),
        r"^si_(rank|abs)_.*$": pa.Column(pl.Int32, nullable=True, regex=True, required=False),
        r"^si_rel_.*$": _share(r"^si_rel_.*$", -1.0, 1.0),
        r"^si_resid_.*$": pa.Column(pl.Float64, nullable=True, regex=True, required=False),
    },
    unique=["ccode", "year"],
)

UN_AGREEMENT = pa.DataFrameSchema(
    name="UnAgreement",
    columns={
        "ccode_a": _ccode(),
        "ccode_b": _ccode(),
        "year": _year(),
        r"^n_(common|yes_no)(_imp)?$": pa.Column(pl.Int32, pa.Check.ge(0), nullable=True,
                                                 regex=True),
        r"^(agree|agree_voeten|oppose_share)(_imp)?$": _share(
            r"^(agree|agree_voeten|oppose_share)(_imp)?$"),
        r"^(s_abs|s_sq|kappa|pi)(_imp)?$": _share(r"^(s_abs|s_sq|kappa|pi)(_imp)?$", -1.0, 1.0),
    },
    checks=[pa.Check(lambda d: d.lazyframe.select(pl.col("ccode_a") < pl.col("ccode_b")),
                     name="ccode_a_lt_ccode_b")],
    unique=["ccode_a", "ccode_b", "year"],
)

EVENT_DYAD = pa.DataFrameSchema(
    name="EventDyadPeriod",
    columns={
        "source_ccode": _ccode(),
        "target_ccode": _ccode(),
        "dataset": pa.Column(pl.Utf8),
        "n": pa.Column(None, pa.Check.ge(1)),
        r"^(defy_share|conflict_share)$": _share(r"^(defy_share|conflict_share)$"),
        "goldstein_mean": pa.Column(pl.Float64, pa.Check.in_range(-10, 10), nullable=True),
    },
)

DYAD_YEAR = pa.DataFrameSchema(
    name="DyadYear",
    columns={
        "ccode1": _ccode(),
        "ccode2": _ccode(),
        "year": _year(),
        "cinc_ratio": pa.Column(pl.Float64, pa.Check.ge(0), nullable=True),
        "alliance_level": pa.Column(None, pa.Check.isin([0, 1, 2, 3]), nullable=True),
        r"^un_(agree|agree_voeten|oppose_share)(_imp)?$": _share(
            r"^un_(agree|agree_voeten|oppose_share)(_imp)?$"),
        r"^un_(s_abs|s_sq|kappa|pi)(_imp)?$": _share(r"^un_(s_abs|s_sq|kappa|pi)(_imp)?$",
                                                     -1.0, 1.0),
        r"^.*_defy_share$": _share(r"^.*_defy_share$"),
        r"^cov_.*$": _cov(),
    },
    checks=[pa.Check(lambda d: d.lazyframe.select(pl.col("ccode1") != pl.col("ccode2")),
                     name="no_self_dyads")],
    unique=["ccode1", "ccode2", "year"],
)

ALLIANCE_PANEL = pa.DataFrameSchema(
    name="AlliancePanel",
    columns={
        "junior": _ccode(),
        "senior": _ccode(),
        "year": _year(),
        "cinc_ratio": pa.Column(pl.Float64, pa.Check.ge(1)),
        "alliance_level": pa.Column(None, pa.Check.isin([0, 1, 2, 3]), nullable=True),
        r"^un_oppose_share(_imp)?$": _share(r"^un_oppose_share(_imp)?$"),
        r"^.*_defy_share$": _share(r"^.*_defy_share$"),
        r"^cov_.*$": _cov(),
    },
    unique=["junior", "senior", "year"],
)

CASE_SERIES = pa.DataFrameSchema(
    name="CaseSeries",
    columns={
        "case": pa.Column(pl.Utf8, pa.Check.isin(["us_rok", "us_france"])),
        "period": pa.Column(pl.Utf8, pa.Check.isin(["year", "month"])),
        "year": _year(),
        "month": pa.Column(pl.Date, nullable=True),
    },
    unique=["case", "period", "year", "month"],
)
