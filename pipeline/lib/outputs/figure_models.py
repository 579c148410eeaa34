"""Model figures: coefficient plots (one panel per scale) and the specification curve.

A coefficient plot never puts two scales on one axis: models are grouped by the scale of their
coefficient (linear, log-odds, log-rate) and by the term, and each group gets its own panel and
x-axis. The specification curve shows every model's key effect in common units (SDs of Y per
SD of X, :mod:`pipeline.lib.regressions.effects`), grouped by outcome family, each point
labelled by its own specification's short name, the primary specification marked, and the raw
and Romano-Wolf adjusted p-values printed beside each point.

References
----------
Simonsohn, Uri, Joseph P. Simmons & Leif D. Nelson. 2020. "Specification curve analysis."
*Nature Human Behaviour* 4: 1208–1214. doi:10.1038/s41562-020-0912-z.
Kastellec, Jonathan P. & Eduardo L. Leoni. 2007. "Using Graphs Instead of Tables in Political
Science." *Perspectives on Politics* 5(4): 755–771. doi:10.1017/S1537592707072209.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from matplotlib.figure import Figure

from pipeline.lib.outputs.figure_base import BLUE, GREY, RED, match, new_figure, save

SCALES = {"identity": "linear coefficient", "logit": "log-odds coefficient",
          "log": "log-rate coefficient"}


def coefficient_plot(coefs: pl.DataFrame, term_pattern: str, models: list[str] | None = None,
                     title: str = "", *, model_labels: dict[str, str] | None = None,
                     scales: dict[str, str] | None = None, provenance: dict | None = None,
                     path: str | Path | None = None) -> Figure:
    """Point estimate and 95% CI of the key term(s), one row per model, (1) at the top.

    ``term_pattern`` is a regular expression on ``term``. ``scales`` maps a model to the scale
    of its coefficients (e.g. "log-odds coefficient"); each (scale, term) pair gets its own
    panel with its own x-axis, titled by the term's label and the scale. Rows keep the model's
    column number, (i), across panels. The dashed line marks zero.
    """
    d = match(coefs, term_pattern)
    if models is None:
        models = d["model"].unique(maintain_order=True).to_list()
    models = list(models)
    d = d.filter(pl.col("model").is_in(models))
    scales, names = scales or {}, model_labels or {}
    labels = dict(zip(d["term"], d["label"] if "label" in d.columns else d["term"]))
    cells = {(r["model"], r["term"]): r for r in d.to_dicts()}
    groups: dict[tuple[str, str], list[str]] = {}
    for m in models:
        for term in d.filter(pl.col("model") == m)["term"]:
            groups.setdefault((scales.get(m, ""), term), []).append(m)
    rows = [len(ms) for ms in groups.values()]
    fig = new_figure(6.5, 0.9 + 0.55 * len(groups) + 0.32 * sum(rows), provenance)
    axes = fig.subplots(len(groups), 1, squeeze=False, height_ratios=[r + 1.2 for r in rows])
    for ax, ((scale, term), ms) in zip(axes[:, 0], groups.items()):
        k = len(ms)
        for i, m in enumerate(ms):
            r, y = cells[(m, term)], k - 1 - i
            ax.plot([r["conf_low"], r["conf_high"]], [y, y], color=BLUE, lw=1.8,
                    solid_capstyle="butt", gid=f"ci:{m}:{term}")
            ax.plot([r["estimate"]], [y], "o", color=BLUE, ms=6, gid=f"est:{m}:{term}")
        ax.axvline(0, color="0.3", ls="--", lw=0.8, gid="zero")
        ax.set_yticks(range(k), [f"({models.index(ms[k - 1 - y]) + 1}) "
                                 f"{names.get(ms[k - 1 - y], ms[k - 1 - y])}" for y in range(k)])
        ax.set_ylim(-0.7, k - 0.3)
        ax.set_title(f"{labels[term] or term}" + (f": {scale}" if scale else ""),
                     fontsize=8.5, loc="left")
        ax.set_xlabel("Estimate with 95% confidence interval", fontsize=8)
        ax.grid(axis="x", color="0.9")
        ax.tick_params(labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title, fontsize=11)
    save(fig, path, title)
    return fig


def _p(value) -> str:
    if value is None:
        return "–"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def specification_curve(effects: pl.DataFrame, title: str = "Specification curve", *,
                        provenance: dict | None = None,
                        path: str | Path | None = None) -> Figure:
    """Standardised key effects with 95% CIs, one row per specification, grouped by family.

    ``effects`` has model, short, family, std_effect, std_effect_low, std_effect_high,
    p_value, p_value_rw (nullable) and primary (bool). Within a family rows are sorted by
    effect; the primary specification is a red diamond with a starred, bold label; dark points
    have a 95% CI excluding zero. A right-hand column prints p and Romano-Wolf p.
    """
    if effects.is_empty():
        raise ValueError("no effects to plot")
    d = effects.sort("family", "std_effect", descending=[False, True])
    fams = d["family"].unique(maintain_order=True).to_list()
    slots: list[tuple[str, dict | None]] = []
    for fam in fams:
        slots += [(fam, None)] + [(fam, r) for r in d.filter(pl.col("family") == fam).to_dicts()]
    n = len(slots)
    fig = new_figure(8.0, 1.2 + 0.24 * n, provenance)
    ax, side = fig.subplots(1, 2, sharey=True, width_ratios=[4, 1.4])
    ys, xs, lows, highs, colors = [], [], [], [], []
    ticks, tick_text = [], []
    for i, (fam, r) in enumerate(slots):
        y = n - 1 - i
        if r is None:
            ax.text(-0.02, y, fam, transform=ax.get_yaxis_transform(), ha="right", va="center",
                    fontsize=8, fontweight="bold", gid=f"family:{fam}")
            continue
        sig = r["std_effect_low"] > 0 or r["std_effect_high"] < 0
        ys.append(y)
        xs.append(r["std_effect"])
        lows.append(r["std_effect_low"])
        highs.append(r["std_effect_high"])
        colors.append(BLUE if sig else GREY)
        ticks.append(y)
        tick_text.append(("★ " if r["primary"] else "") + r["short"])
        side.text(0, y, f"{_p(r['p_value']):>6}  {_p(r.get('p_value_rw')):>6}", va="center",
                  fontsize=7, family="monospace", gid=f"p:{r['model']}")
        if r["primary"]:
            ax.plot([r["std_effect"]], [y], "D", color=RED, ms=7, zorder=4, gid="primary")
    ax.hlines(ys, lows, highs, colors=colors, lw=1.3, gid="ci")
    ax.scatter(xs, ys, c=colors, s=18, zorder=3, gid="estimates")
    ax.axvline(0, color="0.3", ls="--", lw=0.8)
    ax.set_yticks(ticks, tick_text, fontsize=7)
    for tick, text in zip(ax.get_yticklabels(), tick_text):
        tick.set_fontweight("bold" if text.startswith("★") else "normal")
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("Change in Y, in SDs of Y, for +1 SD of X (GLMs: average marginal effect);"
                  " 95% CI", fontsize=8)
    ax.grid(axis="x", color="0.92")
    side.set_title(f"{'p':>6}  {'RW p':>6}", fontsize=7, loc="left", family="monospace")
    side.axis("off")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=7)
    fig.suptitle(title, fontsize=11)
    save(fig, path, title)
    return fig
