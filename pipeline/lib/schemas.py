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


# Relative UN measures and event-based respect gaps are differences of shares or of
# percentile ranks, in [-1, 1]; the DE respect gap is a difference of levels 0-3.
_GAPS = r"(un_.*_rel|respect_(icews|gdelt1|phoenix|phoenix_historical|weis|netify)_gap)"
_SHARE_GAPS = rf"^{_GAPS}$"
_SHARE_GAPS_L1 = rf"^{_GAPS}(_l1)?$"

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
        "de_years_since_wave": pa.Column(pl.Int32, pa.Check.in_range(0, 10), nullable=True),
        "middle_power": pa.Column(pl.Boolean, nullable=True),
        r"^si_(rank|abs)_.*$": pa.Column(pl.Int32, nullable=True, regex=True, required=False),
        r"^si_pct_.*$": _share(r"^si_pct_.*$", -1.0, 1.0),
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
        r"^(s_abs|s_sq|kappa|kappa_w|pi)(_imp)?$": _share(
            r"^(s_abs|s_sq|kappa|kappa_w|pi)(_imp)?$", -1.0, 1.0),
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
        "n": pa.Column(None, pa.Check.ge(0)),
        "n_all": pa.Column(None, pa.Check.ge(1)),
        r"^(defy_share|conflict_share)$": _share(r"^(defy_share|conflict_share)$"),
        "goldstein_mean": pa.Column(pl.Float64, pa.Check.in_range(-10, 10), nullable=True),
    },
)

EVENT_COVERAGE = pa.DataFrameSchema(
    name="EventCoverage",
    columns={
        "dataset": pa.Column(pl.Utf8),
        "year": _year(),
        "month": pa.Column(pl.Date),
        "days": pa.Column(pl.Int32, pa.Check.in_range(28, 31)),
        "covered": pa.Column(pl.Boolean),
        "year_covered": pa.Column(pl.Boolean),
    },
    unique=["dataset", "month"],
)

DYAD_YEAR = pa.DataFrameSchema(
    name="DyadYear",
    columns={
        "ccode1": _ccode(),
        "ccode2": _ccode(),
        "year": _year(),
        "cinc_ratio_2_over_1": pa.Column(pl.Float64, pa.Check.ge(0), nullable=True),
        "alliance_level": pa.Column(None, pa.Check.isin([0, 1, 2, 3]), nullable=True),
        "alliance_depth": pa.Column(None, pa.Check.in_range(0, 4), nullable=True),
        r"^un_(agree|agree_voeten|oppose_share|disagree_voeten)(_imp)?$": _share(
            r"^un_(agree|agree_voeten|oppose_share|disagree_voeten)(_imp)?$"),
        r"^un_(s_abs|s_sq|kappa|kappa_w|pi)(_imp)?$": _share(
            r"^un_(s_abs|s_sq|kappa|kappa_w|pi)(_imp)?$", -1.0, 1.0),
        _SHARE_GAPS: _share(_SHARE_GAPS, -1.0, 1.0),
        "respect_de_gap": _share("respect_de_gap", -3.0, 3.0),
        "idealpoint_dist": pa.Column(pl.Float64, pa.Check.ge(0), nullable=True),
        r"^threat_.*$": pa.Column(pl.Boolean, nullable=True, regex=True, required=False),
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
        "cinc_ratio_p_over_j": pa.Column(pl.Float64, pa.Check.ge(1)),
        "alliance_level": pa.Column(None, pa.Check.isin([0, 1, 2, 3]), nullable=True),
        "principal_patron": pa.Column(pl.Boolean),
        "shared_threat": pa.Column(pl.Boolean, nullable=True),
        r"^un_oppose_share(_imp)?$": _share(r"^un_oppose_share(_imp)?$"),
        _SHARE_GAPS_L1: _share(_SHARE_GAPS_L1, -1.0, 1.0),
        r"^respect_de_gap(_l1)?$": _share(r"^respect_de_gap(_l1)?$", -3.0, 3.0),
        r"^.*_defy_share$": _share(r"^.*_defy_share$"),
        r"^cov_.*$": _cov(),
    },
    unique=["junior", "senior", "year"],
)

CASE_SERIES = pa.DataFrameSchema(
    name="CaseSeries",
    columns={
        "case_id": pa.Column(pl.Utf8, pa.Check.isin(["us_rok", "us_france"])),
        "period": pa.Column(pl.Utf8, pa.Check.isin(["year", "month"])),
        "year": _year(),
        "month": pa.Column(pl.Date, nullable=True),
    },
    unique=["case_id", "period", "year", "month"],
)
