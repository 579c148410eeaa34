"""Paper figures: coefficient plot, case timelines and specification curve (METHODS §7–8).

Figures are built with matplotlib's object-oriented API (``matplotlib.figure.Figure``), never
pyplot, so nothing opens a display or touches the global backend; saving goes through the
Agg (PNG) and PDF canvases. Each function returns the Figure and, given a path stem, writes
``<stem>.png`` and ``<stem>.pdf``. Every figure carries a small provenance caption (code and
data versions) built by :func:`pipeline.lib.tables.provenance_line`.

References
----------
Simonsohn, Uri, Joseph P. Simmons & Leif D. Nelson. 2020. "Specification curve analysis."
*Nature Human Behaviour* 4: 1208–1214. doi:10.1038/s41562-020-0912-z.
Kastellec, Jonathan P. & Eduardo L. Leoni. 2007. "Using Graphs Instead of Tables in Political
Science." *Perspectives on Politics* 5(4): 755–771. doi:10.1017/S1537592707072209.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import polars as pl
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import MultipleLocator

from pipeline.lib.cases import WINDOWS
from pipeline.lib.tables import provenance_line

Z95 = 1.959963984540054
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
_BLUE, _RED, _GREY = "#1f4e79", "#b22222", "0.55"


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


def _figure(width: float, height: float) -> Figure:
    """A constrained-layout Figure with a 0.22 in strip at the bottom for the provenance."""
    strip = 0.22 / height
    return Figure(figsize=(width, height),
                  layout=ConstrainedLayoutEngine(rect=(0, strip, 1, 1 - strip)))


def _provenance(fig: Figure, provenance: dict | None) -> None:
    if provenance is None:
        from pipeline.lib.provenance import code_version
        provenance = {"code": code_version(), "date": dt.date.today().isoformat()}
    text = textwrap.fill(provenance_line(provenance), 180)
    fig.text(0.005, 0.003, text, fontsize=5.5, color="0.45", ha="left", va="bottom",
             gid="provenance")


def _save(fig: Figure, path: str | Path | None, title: str) -> None:
    if path is None:
        return
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in {".png", ".pdf"} else path
    stem.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(stem.parent / f"{stem.name}.png", dpi=200, bbox_inches="tight",
                metadata={"Title": title})
    fig.savefig(stem.parent / f"{stem.name}.pdf", bbox_inches="tight",
                metadata={"Title": title, "CreationDate": None})


def _ci(df: pl.DataFrame) -> pl.DataFrame:
    """Fill missing 95% bounds from estimate ± 1.96·SE."""
    out = df
    for col, sign in (("conf_low", -1), ("conf_high", 1)):
        fallback = pl.col("estimate") + sign * Z95 * pl.col("std_error")
        out = out.with_columns((pl.col(col).fill_null(fallback) if col in out.columns
                                else fallback).alias(col))
    return out


def _match(coefs: pl.DataFrame, term_pattern: str) -> pl.DataFrame:
    out = _ci(coefs.filter(pl.col("term").str.contains(term_pattern)))
    if out.is_empty():
        raise ValueError(f"no term matches {term_pattern!r}")
    return out


def coefficient_plot(coefs: pl.DataFrame, term_pattern: str, models: list[str] | None = None,
                     title: str = "", *, model_labels: dict[str, str] | None = None,
                     provenance: dict | None = None, path: str | Path | None = None) -> Figure:
    """Point estimate and 95% CI of the key term(s), one row per model, (1) at the top.

    ``term_pattern`` is a regular expression on ``term``; with several matching terms each
    gets its own colour and a legend entry (its ``label``). The dashed line marks zero.
    """
    d = _match(coefs, term_pattern)
    models = list(models) if models is not None else d["model"].unique(maintain_order=True)
    terms = d["term"].unique(maintain_order=True).to_list()
    labels = dict(zip(d["term"], d["label"] if "label" in d.columns else d["term"]))
    cells = {(r["model"], r["term"]): r for r in d.to_dicts()}
    k, colors = len(models), [_BLUE, _RED, "#2e7d32", "#6a1b9a", "#ef6c00"]
    fig = _figure(6.5, 1.4 + 0.45 * k * max(1, 0.6 * len(terms)))
    ax = fig.add_subplot()
    for j, term in enumerate(terms):
        offset, legend = ((len(terms) - 1) / 2 - j) * 0.2, labels[term] or term
        for i, m in enumerate(models):
            r, y = cells.get((m, term)), k - 1 - i + offset
            if r is None:
                continue
            ax.plot([r["conf_low"], r["conf_high"]], [y, y], color=colors[j % 5], lw=1.8,
                    solid_capstyle="butt", gid=f"ci:{m}:{term}")
            ax.plot([r["estimate"]], [y], "o", color=colors[j % 5], ms=6, gid=f"est:{m}:{term}",
                    label=legend)
            legend = None
    ax.axvline(0, color="0.3", ls="--", lw=0.8, gid="zero")
    names = model_labels or {}
    ax.set_yticks(range(k), [f"({k - y}) {names.get(models[k - 1 - y], models[k - 1 - y])}"
                             for y in range(k)])
    ax.set_ylim(-0.7, k - 0.3)
    ax.set_xlabel("Estimate with 95% confidence interval")
    ax.grid(axis="x", color="0.9")
    ax.spines[["top", "right"]].set_visible(False)
    if len(terms) > 1:
        ax.legend(fontsize=8, frameon=False, loc="best")
    else:
        ax.set_title(f"Coefficient on {labels[terms[0]] or terms[0]}", fontsize=9, loc="left")
    fig.suptitle(title, fontsize=11)
    _provenance(fig, provenance)
    _save(fig, path, title)
    return fig


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
    ``defiance_cols``. A measure without data for the case keeps its panel with a note.
    """
    yearly, monthly = _series(case_series, case, monthly_col)
    names = {**SERIES_LABELS, **(labels or {})}
    panels = [si_col, *defiance_cols]
    if not monthly.is_empty() and monthly_col not in defiance_cols:
        panels.append(monthly_col)
    fig = _figure(8, 1.0 + 1.65 * len(panels))
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    case_name, junior = CASE_NAMES.get(case, (case, "J"))
    for ax, col in zip(axes, panels):
        label = names.get(col, si_label(col) if col.startswith("si_") else col)
        ax.set_ylabel(label.replace("J→", f"{junior}→"), fontsize=8)
        has_year = col in yearly.columns and yearly[col].is_not_null().any()
        if col == monthly_col and not monthly.is_empty():
            ax.plot(monthly["x"], monthly[col], color=_GREY, lw=0.7, label="Monthly")
        if has_year:
            yr = yearly.filter(pl.col(col).is_not_null())
            _line(ax, yr["x"], yr[col].cast(pl.Float64), color=_RED if col != si_col else _BLUE,
                  label="Yearly" + (" mean" if col == monthly_col else ""))
        if col == monthly_col and not monthly.is_empty():
            ax.legend(fontsize=7, loc="upper left", ncols=2, framealpha=0.85, edgecolor="none")
        if col == si_col and has_year:
            ax.axhline(0, color="0.3", lw=0.7, ls=":")
        if not has_year and (col != monthly_col or monthly.is_empty()):
            ax.text(0.5, 0.5, f"{col}: no data for {case_name}", transform=ax.transAxes,
                    ha="center", va="center", color=_GREY, fontsize=8)
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
    xs = [*yearly["x"]] + ([*monthly["x"]] if not monthly.is_empty() else [])
    axes[-1].set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    axes[-1].xaxis.set_major_locator(MultipleLocator(5))
    axes[-1].xaxis.set_minor_locator(MultipleLocator(1))
    axes[-1].set_xlabel("Year (shaded: crisis windows)", fontsize=8)
    fig.suptitle(title or f"{case_name}: status inconsistency and defiance", fontsize=11)
    _provenance(fig, provenance)
    _save(fig, path, title)
    return fig


def specification_curve(coefs: pl.DataFrame, spec_meta: pl.DataFrame, term_pattern: str,
                        title: str = "Specification curve", *,
                        attributes: list[str] | None = None, provenance: dict | None = None,
                        path: str | Path | None = None) -> Figure:
    """Estimates of the key term sorted ascending with 95% CIs, over an indicator panel.

    ``spec_meta`` maps ``model`` to the specification's choices — by default every other
    column, e.g. recognition measure, inconsistency variant, defiance measure and estimator.
    The indicator panel has one row per choice level, grouped by attribute, with a mark
    under each specification using it. Filled dark points: the 95% CI excludes zero.
    """
    d = _match(coefs, term_pattern)
    if d["model"].is_duplicated().any():
        raise ValueError(f"{term_pattern!r} matches several terms in one model")
    attributes = attributes or [c for c in spec_meta.columns if c != "model"]
    d = (d.join(spec_meta.select("model", *attributes), on="model", how="inner")
         .sort("estimate", "model").with_row_index("x"))
    sig = ((d["conf_low"] > 0) | (d["conf_high"] < 0)).to_list()
    rows: list[tuple[str, str | None]] = []
    for a in attributes:
        rows += [(a, None)] + [(a, str(v)) for v in d[a].unique().sort()]
    fig = _figure(max(6.5, 3 + 0.08 * d.height), 3.4 + 0.17 * len(rows))
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[2.2, 0.17 * len(rows)])
    colors = [_BLUE if s else _GREY for s in sig]
    top.vlines(d["x"], d["conf_low"], d["conf_high"], colors=colors, lw=1.2, gid="ci")
    top.scatter(d["x"], d["estimate"], c=colors, s=16, zorder=3, gid="estimates")
    top.axhline(0, color="0.3", ls="--", lw=0.8)
    label = d["label"][0] if "label" in d.columns and d["label"][0] else d["term"][0]
    top.set_ylabel(f"{label}\nestimate (95% CI)", fontsize=8)
    top.set_title(f"{d.height} specifications, sorted by estimate; dark: 95% CI excludes 0",
                  fontsize=8, loc="left")
    ys = {r: len(rows) - 1 - i for i, r in enumerate(rows)}
    for a in attributes:
        levels = d[a].cast(pl.Utf8).to_list()
        bottom.scatter(d["x"], [ys[(a, v)] for v in levels], marker="s", s=12, c=colors,
                       gid=f"indicators:{a}")
        if attributes.index(a) % 2 == 0:  # alternate bands separate the attribute groups
            header = ys[(a, None)]
            bottom.axhspan(header - 0.5 - len(set(levels)), header + 0.5, color="0.94",
                           zorder=0, lw=0)
    bottom.set_yticks([ys[r] for r in rows],
                      [a.replace("_", " ").capitalize() if v is None else f"  {v}"
                       for a, v in rows], fontsize=7)
    for tick, (_, v) in zip(bottom.get_yticklabels(), rows):
        tick.set_fontweight("bold" if v is None else "normal")
    bottom.set_ylim(-0.5, len(rows) - 0.5)
    bottom.set_xlabel("Specification (rank by estimate)", fontsize=8)
    bottom.set_xlim(-0.7, d.height - 0.3)
    for ax in (top, bottom):
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=11)
    _provenance(fig, provenance)
    _save(fig, path, title)
    return fig
