"""Shared pieces of the paper figures: a figure with a provenance footer, saving, CI bounds.

Figures use matplotlib's object-oriented API (``matplotlib.figure.Figure``), never pyplot, so
nothing opens a display or touches the global backend. The provenance footer (code and data
versions, :func:`pipeline.lib.outputs.tables.provenance_line`) gets a strip of its own below the
constrained-layout area, as tall as its wrapped lines, so it never meets an axis title.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import polars as pl
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from pipeline.lib.outputs.table_render import provenance_line

Z95 = 1.959963984540054
BLUE, RED, GREY = "#1f4e79", "#b22222", "0.55"
FOOT_PT = 5.5  # footer font size (points)


def new_figure(width: float, height: float, provenance: dict | None) -> Figure:
    """A constrained-layout Figure of ``width`` × (``height`` + footer) inches whose bottom
    strip holds the wrapped provenance line (``gid="provenance"``)."""
    if provenance is None:
        from pipeline.lib.store.provenance import software_version

        provenance = {"code": software_version(), "date": dt.date.today().isoformat()}
    chars = int(width * 72 / (FOOT_PT * 0.52))  # average glyph ≈ 0.52 em
    lines = textwrap.wrap(provenance_line(provenance), chars)
    strip = (len(lines) * FOOT_PT * 1.3 + 6) / 72
    total = height + strip
    fig = Figure(figsize=(width, total),
                 layout=ConstrainedLayoutEngine(rect=(0, strip / total, 1, 1 - strip / total)))
    fig.text(0.005, 2 / 72 / total, "\n".join(lines), fontsize=FOOT_PT, color="0.45",
             ha="left", va="bottom", gid="provenance", linespacing=1.3)
    return fig


def save(fig: Figure, path: str | Path | None, title: str) -> None:
    """Write ``<stem>.png`` (200 dpi) and ``<stem>.pdf`` (no creation date: reproducible)."""
    if path is None:
        return
    path = Path(path)
    stem = path.with_suffix("") if path.suffix in {".png", ".pdf"} else path
    stem.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(stem.parent / f"{stem.name}.png", dpi=200, bbox_inches="tight",
                metadata={"Title": title})
    fig.savefig(stem.parent / f"{stem.name}.pdf", bbox_inches="tight",
                metadata={"Title": title, "CreationDate": None})


def with_ci(df: pl.DataFrame) -> pl.DataFrame:
    """Fill missing 95% bounds from estimate ± 1.96·SE."""
    out = df
    for col, sign in (("conf_low", -1), ("conf_high", 1)):
        fallback = pl.col("estimate") + sign * Z95 * pl.col("std_error")
        out = out.with_columns((pl.col(col).fill_null(fallback) if col in out.columns
                                else fallback).alias(col))
    return out


def match(coefs: pl.DataFrame, term_pattern: str) -> pl.DataFrame:
    """Rows whose term matches the regular expression, with CI bounds; none: ValueError."""
    out = with_ci(coefs.filter(pl.col("term").str.contains(term_pattern)))
    if out.is_empty():
        raise ValueError(f"no term matches {term_pattern!r}")
    return out
