"""Paper figures: case timelines here; coefficient plot and specification curve in
:mod:`pipeline.lib.figure_models` (re-exported) (METHODS §7–8).

Figures are built with matplotlib's object-oriented API (``matplotlib.figure.Figure``), never
pyplot, so nothing opens a display or touches the global backend; saving goes through the
Agg (PNG) and PDF canvases. Each function returns the Figure and, given a path stem, writes
``<stem>.png`` and ``<stem>.pdf``. Every figure carries a small provenance footer (code and
data versions) in a strip of its own (:func:`pipeline.lib.figure_base.new_figure`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator

from pipeline.lib.cases import WINDOWS
from pipeline.lib.figure_base import BLUE, GREY, RED, new_figure, save
from pipeline.lib.figure_models import coefficient_plot, specification_curve

__all__ = ["case_timeline", "coefficient_plot", "decimal_year", "si_label",
           "specification_curve"]
NATO_EXIT_DATE = dt.date(1966, 3, 7)  # de Gaulle's letter to Johnson announcing the withdrawal
CASE_NAMES = {"us_rok": ("US–ROK", "ROK"), "us_france": ("US–France", "France")}
CRISIS_LABELS = {"crisis_1993_94": "Nuclear crisis 1993–94",
                 "crisis_2002_06": "Nuclear crisis, USFK protests 2002–06",
                 "crisis_1958_69": "De Gaulle 1958–69"}
SERIES_LABELS = {
    "un_oppose_share": "UN votes opposing US\n(share of yes/no votes)",
    "un_oppose_share_imp": "UN important votes\nopposing US (share)",
    "un_agree": "UN voting agreement\nwith US",
    "icews_defy_share": "ICEWS defiance events\n(share of J→US events)",
    "netify_conflict_share": "ICEWS (Netify) conflict\nshare, J→US",
    "copdab_net_coop": "COPDAB net cooperation\nJ→US (lower = conflict)",
}
_SI_VARIANT = {"rank": "rank gap", "abs": "|rank gap|", "rel": "rank gap / field size",
               "chronic": "chronic deficit", "resid": "PageRank residual"}
_SI_SOURCE = {"de": "diplomatic exchange", "igo": "IGO network"}
_SI_MEASURE = {"indegree": "in-degree", "pagerank": "PageRank", "full": "memberships"}
_SPAN = {"color": "#f2b880", "alpha": 0.3, "lw": 0, "zorder": 0}


def decimal_year(day: dt.date) -> float:
    """The date as a fractional year (1966-03-07 → 1966.18)."""
    start = dt.date(day.year, 1, 1)
    return day.year + (day - start).days / (dt.date(day.year + 1, 1, 1) - start).days


def si_label(col: str) -> str:
    """Readable label for a ``si_<variant>_<source>_<measure>[_<field>][_l1]`` column."""
    parts = col.split("_")
    if len(parts) < 4 or parts[0] != "si":
        return col
    lag = parts[-1] == "l1"
    variant, source, measure, *rest = parts[1:-1] if lag else parts[1:]
    head = _SI_VARIANT.get(variant, variant) + (", t−1" if lag else "")
    where = f"{_SI_SOURCE.get(source, source)} {_SI_MEASURE.get(measure, measure)}"
    where += f", {rest[0]}" if rest else ""
    sign = "\n(> 0: under-recognised)" if variant in {"rank", "rel", "resid"} else ""
    return f"Status inconsistency\n{head}\n{where}{sign}"


def _series(case_series: pl.DataFrame, case: str, monthly_col: str | None
            ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Yearly rows (x = mid-year) and monthly rows (x = mid-month) of one case."""
    df = case_series if isinstance(case_series, pl.DataFrame) else pl.from_pandas(case_series)
    df = df.filter(pl.col("case_id") == case)
    if df.is_empty():
        raise ValueError(f"no rows for case {case!r}")
    is_month = (pl.col("period") == "month") if "period" in df.columns else pl.lit(False)
    yearly = df.filter(~is_month).sort("year").with_columns((pl.col("year") + 0.5).alias("x"))
    monthly = pl.DataFrame()
    if monthly_col and "month" in df.columns and monthly_col in df.columns:
        monthly = (df.filter(is_month & pl.col(monthly_col).is_not_null()).sort("month")
                   .with_columns((pl.col("month").dt.year() + (pl.col("month").dt.month() - 0.5)
                                  / 12).alias("x")))
    return yearly, monthly


def _line(ax, x, y, **kw) -> None:
    ax.plot(x, y, marker="o", ms=3.5, lw=1.5, **kw)


def case_timeline(case_series: pl.DataFrame, case: str, si_col: str, defiance_cols: list[str],
                  title: str = "", *, labels: dict[str, str] | None = None,
                  monthly_col: str | None = "copdab_net_coop", provenance: dict | None = None,
                  path: str | Path | None = None) -> Figure:
    """Stacked yearly panels: status inconsistency on top, one panel per defiance measure.

    Crisis windows (``pipeline.lib.panel.WINDOWS``: 1993–94 and 2002–06 for US–ROK, 1958–69
    for US–France) are shaded over whole calendar years; the NATO integrated-command exit is
    a vertical line at 7 March 1966. Yearly values sit at mid-year. Where the case has monthly
    rows of ``monthly_col`` (COPDAB), they are drawn as a thin line with the yearly means as
    dots, in that measure's panel or in an extra bottom panel when it is not among
    ``defiance_cols``. A measure without data for the case keeps its panel with a note. The
    x-axis spans the years with data in some panel; ``{years}`` in ``title`` becomes that span
    (and the default title ends with it), so a title never claims years the data lack.
    """
    yearly, monthly = _series(case_series, case, monthly_col)
    names = {**SERIES_LABELS, **(labels or {})}
    panels = [si_col, *defiance_cols]
    if not monthly.is_empty() and monthly_col not in defiance_cols:
        panels.append(monthly_col)
    present = [c for c in panels if c in yearly.columns]
    shown = yearly.filter(pl.any_horizontal(pl.col(present).is_not_null())) if present else yearly
    shown = shown if shown.height else yearly
    xs = [*shown["x"]] + ([*monthly["x"]] if not monthly.is_empty() else [])
    span = f"{int(min(xs))}–{int(max(xs))}"
    fig = new_figure(8, 0.8 + 1.65 * len(panels), provenance)
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    case_name, junior = CASE_NAMES.get(case, (case, "J"))
    for ax, col in zip(axes, panels):
        label = names.get(col, si_label(col) if col.startswith("si_") else col)
        ax.set_ylabel(label.replace("J→", f"{junior}→"), fontsize=8)
        has_year = col in yearly.columns and yearly[col].is_not_null().any()
        if col == monthly_col and not monthly.is_empty():
            ax.plot(monthly["x"], monthly[col], color=GREY, lw=0.7, label="Monthly")
        if has_year:
            yr = yearly.filter(pl.col(col).is_not_null())
            _line(ax, yr["x"], yr[col].cast(pl.Float64), color=RED if col != si_col else BLUE,
                  label="Yearly" + (" mean" if col == monthly_col else ""))
        if col == monthly_col and not monthly.is_empty():
            ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        if col == si_col and has_year:
            ax.axhline(0, color="0.3", lw=0.7, ls=":")
        if not has_year and (col != monthly_col or monthly.is_empty()):
            ax.text(0.5, 0.5, f"{col}: no data for {case_name}", transform=ax.transAxes,
                    ha="center", va="center", color=GREY, fontsize=8)
            ax.set_yticks([])
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
    for key, (c, first, last) in WINDOWS.items():
        if c != case:
            continue
        if key.startswith("nato_exit"):
            x = decimal_year(NATO_EXIT_DATE)
            for ax in axes:
                ax.axvline(x, color="#7b1f1f", lw=1.1, gid="nato_exit")
            axes[0].annotate("France leaves NATO\nintegrated command\n(7 Mar 1966)", (x, 1),
                             xycoords=("data", "axes fraction"), xytext=(4, -2),
                             textcoords="offset points", va="top", fontsize=7, color="#7b1f1f",
                             bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 0.5})
            continue
        for ax in axes:
            ax.axvspan(first, last + 1, gid=f"crisis:{key}", **_SPAN)
        axes[0].annotate(CRISIS_LABELS.get(key, key), (first, 1),
                         xycoords=("data", "axes fraction"), xytext=(2, 3),
                         textcoords="offset points", va="bottom", fontsize=7, color="#8a4b08")
    axes[-1].set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    axes[-1].xaxis.set_major_locator(MultipleLocator(5))
    axes[-1].xaxis.set_minor_locator(MultipleLocator(1))
    axes[-1].set_xlabel("Year (shaded: crisis windows)", fontsize=8)
    title = (title or f"{case_name}: status inconsistency and defiance, {{years}}").replace(
        "{years}", span)
    fig.suptitle(title, fontsize=11)
    save(fig, path, title)
    return fig
