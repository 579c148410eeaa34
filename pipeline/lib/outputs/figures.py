"""Paper figures: the pieces the case figure shares with the rest; coefficient plot and
specification curve in :mod:`pipeline.lib.outputs.figure_models` (re-exported), the case figure in
:mod:`pipeline.lib.outputs.figure_cases` (METHODS §7–8).

Figures are built with matplotlib's object-oriented API (``matplotlib.figure.Figure``), never
pyplot, so nothing opens a display or touches the global backend; saving goes through the
Agg (PNG) and PDF canvases. Each function returns the Figure and, given a path stem, writes
``<stem>.png`` and ``<stem>.pdf``. Every figure carries a small provenance footer (code and
data versions) in a strip of its own (:func:`pipeline.lib.outputs.figure_base.new_figure`).
"""

from __future__ import annotations

import datetime as dt

from pipeline.lib.measures.cases import WINDOWS
from pipeline.lib.outputs.figure_models import coefficient_plot, specification_curve

__all__ = ["coefficient_plot", "decimal_year", "mark_windows", "specification_curve"]
NATO_EXIT_DATE = dt.date(1966, 3, 7)  # de Gaulle's letter to Johnson announcing the withdrawal
CASE_NAMES = {"us_rok": ("US–ROK", "ROK"), "us_france": ("US–France", "France")}
CRISIS_LABELS = {"crisis_1993_94": "Nuclear crisis 1993–94",
                 "crisis_2002_06": "Nuclear crisis, USFK protests 2002–06",
                 "crisis_1958_69": "De Gaulle 1958–69"}
_SPAN = {"color": "#f2b880", "alpha": 0.3, "lw": 0, "zorder": 0}


def decimal_year(day: dt.date) -> float:
    """The date as a fractional year (1966-03-07 → 1966.18)."""
    start = dt.date(day.year, 1, 1)
    return day.year + (day - start).days / (dt.date(day.year + 1, 1, 1) - start).days


def mark_windows(axes, case: str) -> None:
    """Shade the case's crisis windows over whole calendar years on every axis and mark the
    NATO integrated-command exit (7 March 1966) with a line and a note on the top axis."""
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
