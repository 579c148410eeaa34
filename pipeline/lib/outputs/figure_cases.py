"""The case-evidence figure: one dyad's status and defiance against the senior's other allies.

Panels, top to bottom: the junior's Diplomatic Exchange status deficit (t-1); respect received
from the senior (DE representation gap); the three UN measures as the junior's value beside the
mean of the senior's other allies (value minus the ``_rel`` measure), so the comparison group
is on the page; event defiance per dataset with its event counts; COPDAB monthly net
cooperation where it exists; and a strip with the three shared-threat definitions. Crisis
windows are shaded and the 1966 NATO exit marked (:func:`pipeline.lib.outputs.figures.mark_windows`).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator

from pipeline.lib.outputs.figure_base import BLUE, GREY, RED, new_figure, save
from pipeline.lib.outputs.figures import CASE_NAMES, mark_windows

UN_PANELS = (("un_oppose_share", "un_oppose_rel", "UN opposition share\n(yes/no votes)"),
             ("un_disagree_voeten", "un_disagree_voeten_rel", "UN disagreement\n(1 − Voeten)"),
             ("idealpoint_dist", "idealpoint_dist_rel", "Ideal-point distance\n|θJ − θP|"))
EVENTS = (("netify_conflict_share", "netify_n", "ICEWS conflict share"),
          ("weis_defy_share", "weis_n", "WEIS defiance share"),
          ("icews_defy_share", "icews_n", "ICEWS events defiance share"))
THREATS = (("threat_mid", "(b) common MID adversary, t−10…t−1 (primary)"),
           ("threat_rival", "(a) common strategic rival, t−1"),
           ("threat_rival_adv", "(c) J's rival is P's rival/adversary"))
EVENT_COLORS = ("#2e7d32", "#6a1b9a", "#ef6c00")


def _years(frame: pl.DataFrame, col: str) -> pl.DataFrame:
    return frame.filter(pl.col(col).is_not_null()).sort("year")


def _status(ax, yearly: pl.DataFrame) -> None:
    d = _years(yearly, "si_pct_de_indegree_global_l1")
    ax.plot(d["year"] + 0.5, d["si_pct_de_indegree_global_l1"], color=BLUE, marker="o", ms=3)
    ax.axhline(0, color="0.3", lw=0.7, ls=":")
    ax.set_ylabel("DE status deficit,\npercentile gap (t−1)", fontsize=8)


def _respect(ax, yearly: pl.DataFrame) -> None:
    d = _years(yearly, "respect_de_gap")
    if d.is_empty():
        ax.text(0.5, 0.5, "no Diplomatic Exchange levels (1950–65 waves code every tie 9)",
                transform=ax.transAxes, ha="center", va="center", color=GREY, fontsize=8)
    ax.plot(d["year"] + 0.5, d["respect_de_gap"], color=BLUE, marker="s", ms=3)
    ax.axhline(0, color="0.3", lw=0.7, ls=":")
    ax.set_ylabel("Respect received gap\n(P's mission level)", fontsize=8)


def _un(ax, yearly: pl.DataFrame, value: str, rel: str, label: str, junior: str) -> None:
    d = _years(yearly, value)
    ax.plot(d["year"] + 0.5, d[value], color=RED, marker="o", ms=3, label=junior)
    others = d.filter(pl.col(rel).is_not_null())
    ax.plot(others["year"] + 0.5, others[value] - others[rel], color=GREY, ls="--", marker=".",
            label="P's other allies (mean)")
    ax.set_ylabel(label, fontsize=8)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _events(ax, yearly: pl.DataFrame) -> None:
    drawn = 0
    for (share, n, label), color in zip(EVENTS, EVENT_COLORS, strict=True):
        d = _years(yearly, share) if share in yearly.columns else pl.DataFrame()
        if d.is_empty():
            continue
        counts = d[n].cast(pl.Int64)
        ax.plot(d["year"] + 0.5, d[share], color=color, marker="o", ms=3,
                label=f"{label} (n = {counts.min():,}–{counts.max():,} per year)")
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "no event dataset covers these years", transform=ax.transAxes,
                ha="center", va="center", color=GREY, fontsize=8)
    else:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.set_ylabel("Event defiance\n(share of J→P events)", fontsize=8)


def _copdab(ax, monthly: pl.DataFrame) -> None:
    d = monthly.filter(pl.col("copdab_net_coop").is_not_null()).sort("month")
    x = d["month"].dt.year() + (d["month"].dt.month() - 0.5) / 12
    ax.plot(x, d["copdab_net_coop"], color=GREY, lw=0.8)
    ax.axhline(0, color="0.3", lw=0.7, ls=":")
    ax.set_ylabel("COPDAB net coop.\nJ→P, monthly", fontsize=8)


def _threats(ax, yearly: pl.DataFrame) -> None:
    for row, (col, label) in enumerate(THREATS):
        d = yearly.filter(pl.col(col).fill_null(False)) if col in yearly.columns else yearly[:0]
        ax.scatter(d["year"] + 0.5, [row] * d.height, marker="s", s=18, color=RED)
        ax.text(1.01, row, label, transform=ax.get_yaxis_transform(), fontsize=6.5,
                va="center")
    ax.set_ylim(-0.7, len(THREATS) - 0.3)
    ax.set_yticks([])
    ax.set_ylabel("Shared\nthreat", fontsize=8)


def case_evidence_figure(case_series: pl.DataFrame, case: str, *,
                         provenance: dict | None = None,
                         path: str | Path | None = None) -> Figure:
    """The figure for ``case`` (``us_rok`` or ``us_france``); title years from the data."""
    rows = case_series.filter(pl.col("case_id") == case)
    if rows.is_empty():
        raise ValueError(f"no rows for case {case!r}")
    yearly = rows.filter(pl.col("period") == "year").sort("year")
    monthly = rows.filter(pl.col("period") == "month")
    has_copdab = "copdab_net_coop" in monthly.columns and monthly["copdab_net_coop"].is_not_null(
    ).any()
    n = 2 + len(UN_PANELS) + 1 + int(has_copdab) + 1  # status, respect, UN, events, COPDAB, threat
    fig = new_figure(8.5, 0.6 + 1.25 * n, provenance)
    ratios = [1.0] * (n - 1) + [0.55]
    axes = fig.subplots(n, 1, sharex=True, gridspec_kw={"height_ratios": ratios})
    case_name, junior = CASE_NAMES.get(case, (case, "J"))
    _status(axes[0], yearly)
    _respect(axes[1], yearly)
    for ax, (value, rel, label) in zip(axes[2:2 + len(UN_PANELS)], UN_PANELS, strict=True):
        _un(ax, yearly, value, rel, label, junior)
    k = 2 + len(UN_PANELS)
    _events(axes[k], yearly)
    if has_copdab:
        _copdab(axes[k + 1], monthly)
    _threats(axes[-1], yearly)
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
        ax.tick_params(labelsize=8)
    mark_windows(axes, case)
    first, last = int(yearly["year"].min()), int(yearly["year"].max())
    axes[-1].set_xlim(first - 0.2, last + 1.2)
    axes[-1].xaxis.set_major_locator(MultipleLocator(5))
    axes[-1].xaxis.set_minor_locator(MultipleLocator(1))
    axes[-1].set_xlabel("Year (shaded: crisis windows)", fontsize=8)
    title = (f"{case_name}: status deficit, respect received and defiance against the "
             f"senior's other allies, {first}–{last}")
    fig.suptitle(title, fontsize=10.5)
    save(fig, path, title)
    return fig
