"""Paper figures: coefficient plot, case timelines, specification curve (files, axes, spans)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from pipeline.lib.outputs import figures

PROV = {"data": {"cow_nmc": "a1b2c3d4e5f6a7b8", "copdab": "fedcba9876543210"},
        "code": "0.1.0+gabc123def456", "date": "2025-11-25"}


@pytest.fixture
def coefs() -> pl.DataFrame:
    """Three models with the key term; m3 lacks CI bounds so they come from the SE."""
    return pl.DataFrame({
        "model": ["m1", "m1", "m2", "m2", "m3", "m3"],
        "term": ["si_rank_l1", "Intercept"] * 3,
        "label": ["SI rank gap (t−1)", "Constant"] * 3,
        "estimate": [0.2, 1.0, 0.3, 1.1, 0.12, 0.9],
        "std_error": [0.1, 0.5, 0.12, 0.4, 0.05, 0.3],
        "conf_low": [0.0, 0.0, 0.06, 0.3, None, None],
        "conf_high": [0.4, 2.0, 0.54, 1.9, None, None],
    })


@pytest.fixture
def effects() -> pl.DataFrame:
    """Twelve specifications' standardised key effects in two outcome families."""
    rng = np.random.default_rng(3)
    est = rng.normal(0.1, 0.1, 12)
    return pl.DataFrame({"model": [f"s{i}" for i in range(12)],
                         "short": [f"spec {i}" for i in range(12)],
                         "family": ["UN opposition"] * 7 + ["Event defiance"] * 5,
                         "std_effect": est, "std_effect_low": est - 0.1,
                         "std_effect_high": est + 0.1, "p_value": rng.uniform(0, 1, 12),
                         "p_value_rw": [None] * 6 + list(rng.uniform(0, 1, 6)),
                         "primary": [i == 4 for i in range(12)]},
                        schema_overrides={"p_value_rw": pl.Float64})


def _span_years(ax) -> dict[str, set[int]]:
    """Calendar years covered by each shaded crisis span, read from the patch x-extents."""
    out = {}
    for p in ax.patches:
        if str(p.get_gid()).startswith("crisis:"):
            xs = p.get_patch_transform().transform(p.get_path().vertices)[:, 0]
            out[p.get_gid()] = set(range(math.floor(xs.min()), math.ceil(xs.max())))
    return out


def _assert_files(stem) -> None:
    for ext in ("png", "pdf"):
        path = stem.parent / f"{stem.name}.{ext}"
        assert path.is_file() and path.stat().st_size > 1000


def test_coefficient_plot_writes_png_and_pdf(coefs, tmp_path):
    """The coefficient plot writes non-empty PNG and PDF files at the stem."""
    fig = figures.coefficient_plot(coefs, r"^si_", None, "Key term", provenance=PROV,
                                   path=tmp_path / "out" / "coef")
    _assert_files(tmp_path / "out" / "coef")
    assert len(fig.axes) == 1


def test_coefficient_plot_draws_one_ci_per_model(coefs):
    """One CI segment per model at its bounds (from the SE when missing), plus a zero line."""
    fig = figures.coefficient_plot(coefs, r"^si_rank", ["m1", "m2", "m3"], "t", provenance=PROV)
    ax = fig.axes[0]
    cis = {line.get_gid(): line.get_xdata() for line in ax.lines
           if str(line.get_gid()).startswith("ci:")}
    assert sorted(cis) == ["ci:m1:si_rank_l1", "ci:m2:si_rank_l1", "ci:m3:si_rank_l1"]
    assert list(cis["ci:m2:si_rank_l1"]) == [0.06, 0.54]
    np.testing.assert_allclose(cis["ci:m3:si_rank_l1"], [0.12 - 1.96 * 0.05, 0.12 + 1.96 * 0.05],
                               atol=1e-4)
    zero = next(line for line in ax.lines if line.get_gid() == "zero")
    assert list(zero.get_xdata()) == [0, 0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["(3) m3", "(2) m2", "(1) m1"]
    with pytest.raises(ValueError, match="no term"):
        figures.coefficient_plot(coefs, r"^nothing", None, "t", provenance=PROV)


def test_specification_curve_groups_families_and_marks_the_primary(effects, tmp_path):
    """Rows are grouped by family, sorted by effect within it, labelled by their own spec;
    the primary is marked; each row prints its raw and Romano-Wolf p."""
    fig = figures.specification_curve(effects, "Curve", provenance=PROV, path=tmp_path / "spec")
    _assert_files(tmp_path / "spec")
    ax, side = fig.axes
    pts = next(c for c in ax.collections if c.get_gid() == "estimates").get_offsets()
    labels = {round(y): t.get_text() for y, t in zip(ax.get_yticks(), ax.get_yticklabels())}
    by_y = dict(zip(np.round(pts[:, 1]).astype(int), pts[:, 0]))
    shown = effects.with_columns(pl.col("short").alias("label"))
    for fam in ("Event defiance", "UN opposition"):
        rows = shown.filter(pl.col("family") == fam)
        ys = sorted((y for y, t in labels.items() if t.lstrip("★ ") in rows["short"]),
                    reverse=True)
        xs = [by_y[y] for y in ys]
        assert xs == sorted(xs, reverse=True)  # top to bottom: largest effect first
        for y in ys:
            row = rows.filter(pl.col("short") == labels[y].lstrip("★ ")).row(0, named=True)
            assert by_y[y] == pytest.approx(row["std_effect"])
    assert labels[next(y for y, t in labels.items() if t.startswith("★"))] == "★ spec 4"
    primary = next(line for line in ax.lines if line.get_gid() == "primary")
    assert primary.get_xdata()[0] == pytest.approx(effects["std_effect"][4])
    texts = {t.get_gid(): t.get_text() for t in side.texts}
    assert texts["p:s11"].split()[1] != "–" and texts["p:s0"].split()[1] == "–"
    assert {t.get_text() for t in ax.texts} == {"UN opposition", "Event defiance"}


def test_coefficient_plot_never_shares_an_axis_between_scales(coefs):
    """Models on different coefficient scales get separate panels with their own x-axes."""
    fig = figures.coefficient_plot(coefs, r"^si_", None, "t", provenance=PROV,
                                   scales={"m1": "linear coefficient",
                                           "m2": "log-odds coefficient",
                                           "m3": "log-odds coefficient"})
    assert len(fig.axes) == 2
    assert [a.get_title(loc="left") for a in fig.axes] == [
        "SI rank gap (t−1): linear coefficient", "SI rank gap (t−1): log-odds coefficient"]
    assert [t.get_text() for t in fig.axes[1].get_yticklabels()] == ["(3) m3", "(2) m2"]


def test_footer_clear_of_axes_and_the_title_years_from_the_data(coefs):
    """The provenance footer sits below every axis and label of a figure."""
    fig = figures.coefficient_plot(coefs, r"^si_", None, "t", provenance=PROV)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    foot = next(t for t in fig.texts if t.get_gid() == "provenance").get_window_extent(renderer)
    lowest = min(a.get_tightbbox(renderer).y0 for a in fig.axes)
    assert foot.y1 < lowest


def test_every_figure_carries_provenance(coefs, effects):
    """Each figure has a caption with the code version and the data versions."""
    figs = [figures.coefficient_plot(coefs, r"^si_", None, "t", provenance=PROV),
            figures.specification_curve(effects, provenance=PROV)]
    for fig in figs:
        caption = next(t.get_text() for t in fig.texts if t.get_gid() == "provenance")
        assert "code 0.1.0+gabc123def456" in caption and "copdab sha256:fedcba987654" in caption
