"""The case-evidence figure: status, respect, UN measures against the senior's other allies,
event defiance with n, COPDAB months, shared threat, crisis windows and the NATO exit."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from pipeline.lib.outputs import figure_cases

PROV = {"code": "0.1.0+gabc123def456", "date": "2026-11-30",
        "files": {"copdab": "fedcba987654"}}


@pytest.fixture
def case_series() -> pl.DataFrame:
    """Yearly rows of both cases (UN values and their relative measures, WEIS for France) and
    monthly COPDAB rows for US-France."""
    rng = np.random.default_rng(7)
    frames = []
    for case, first, last in (("us_rok", 1990, 2012), ("us_france", 1955, 1975)):
        years = list(range(first, last + 1))
        n = len(years)
        frames.append(pl.DataFrame({
            "case_id": case, "period": "year", "year": years,
            "month": pl.Series([None] * n, dtype=pl.Date),
            "si_pct_de_indegree_global_l1": rng.normal(0.1, 0.05, n),
            "respect_de_gap": rng.normal(-0.3, 0.1, n),
            **{c: rng.uniform(0.2, 0.6, n) for c in ("un_oppose_share", "un_disagree_voeten",
                                                    "idealpoint_dist")},
            **{c: np.full(n, 0.1) for c in ("un_oppose_rel", "un_disagree_voeten_rel",
                                            "idealpoint_dist_rel")},
            "weis_defy_share": rng.uniform(0, 0.4, n) if case == "us_france" else [None] * n,
            "weis_n": rng.integers(5, 50, n) if case == "us_france" else [None] * n,
            "threat_mid": [True] * n, "threat_rival": [False] * n,
            "threat_rival_adv": [y % 2 == 0 for y in years],
        }, strict=False))
    months = pl.date_range(dt.date(1955, 1, 1), dt.date(1975, 12, 1), "1mo", eager=True)
    frames.append(pl.DataFrame({"case_id": "us_france", "period": "month",
                                "year": months.dt.year(), "month": months,
                                "copdab_net_coop": rng.normal(3, 9, len(months))}))
    return pl.concat(frames, how="diagonal_relaxed")


def _span_years(ax) -> dict[str, set[int]]:
    out = {}
    for p in ax.patches:
        if str(p.get_gid()).startswith("crisis:"):
            x0 = p.get_x()
            out[p.get_gid()] = set(range(math.floor(x0), math.ceil(x0 + p.get_width())))
    return out


def test_panels_files_and_title_years(case_series, tmp_path):
    """US-France: status, respect, three UN panels, events, COPDAB months and the threat strip;
    PNG and PDF written; the title's years are the data's."""
    fig = figure_cases.case_evidence_figure(case_series, "us_france", provenance=PROV,
                                            path=tmp_path / "fr")
    assert len(fig.axes) == 8
    assert (tmp_path / "fr.png").stat().st_size > 5_000 and (tmp_path / "fr.pdf").exists()
    assert fig.get_suptitle().endswith("1955–1975")
    rok = figure_cases.case_evidence_figure(case_series.filter(pl.col("year") <= 2009),
                                            "us_rok", provenance=PROV)
    assert len(rok.axes) == 7 and rok.get_suptitle().endswith("1990–2009")


def test_un_panels_plot_the_junior_and_the_other_allies_mean(case_series):
    """The dashed line is the junior's value minus its relative measure (others' mean)."""
    fig = figure_cases.case_evidence_figure(case_series, "us_rok", provenance=PROV)
    ax = fig.axes[2]
    junior, others = ax.lines[0], ax.lines[1]
    np.testing.assert_allclose(others.get_ydata(), junior.get_ydata() - 0.1)
    assert others.get_label() == "P's other allies (mean)"


def test_event_legend_gives_the_yearly_event_counts(case_series):
    """The WEIS line's legend states the range of J->P events per year behind the shares."""
    fr = case_series.filter(case_id="us_france", period="year")
    fig = figure_cases.case_evidence_figure(case_series, "us_france", provenance=PROV)
    label = fig.axes[5].lines[0].get_label()
    assert label == f"WEIS defiance share (n = {fr['weis_n'].min()}–{fr['weis_n'].max()} per year)"


def test_crisis_windows_nato_exit_and_threat_strip(case_series):
    """Shaded 1958-69 on every axis, the NATO exit in 1966, and one marker per threat year."""
    fig = figure_cases.case_evidence_figure(case_series, "us_france", provenance=PROV)
    for ax in fig.axes:
        assert _span_years(ax) == {"crisis:crisis_1958_69": set(range(1958, 1970))}
        (x0, _), = [line.get_xdata() for line in ax.lines if line.get_gid() == "nato_exit"]
        assert math.floor(x0) == 1966
    strip = fig.axes[-1].collections
    assert [len(c.get_offsets()) for c in strip] == [21, 0, 10]  # mid, rival, even years


def test_real_case_figures_from_the_warehouse(tmp_path, built_warehouse):
    """Both case figures render from derived.case_series in the built warehouse."""
    import duckdb

    _, path = built_warehouse
    with duckdb.connect(str(path), read_only=True) as con:
        series = con.sql("SELECT * FROM derived.case_series").pl()
    for case in ("us_rok", "us_france"):
        fig = figure_cases.case_evidence_figure(series, case, provenance=PROV,
                                                path=tmp_path / case)
        assert (tmp_path / f"{case}.png").stat().st_size > 5_000
        assert any(line.get_xdata().size > 10 for line in fig.axes[0].lines)
