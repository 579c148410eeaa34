"""Plain data tables (the per-year case tables, the case time-series models) in the four paper
formats: CSV (the values), Markdown, HTML and LaTeX (booktabs, plus a standalone document),
each with a caption, notes and the provenance line."""

from __future__ import annotations

import html
from pathlib import Path

import polars as pl

from pipeline.lib.outputs.table_render import latex_escape as _tex
from pipeline.lib.outputs.table_render import provenance_line


def _cell(value, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


def cells(frame: pl.DataFrame, digits: int = 3) -> list[list[str]]:
    """The frame's rows as formatted strings (floats to ``digits``, booleans as yes/blank)."""
    return [[_cell(v, digits) for v in row] for row in frame.rows()]


def write_data_table(frame: pl.DataFrame, headings: dict[str, str], title: str,
                     notes: list[str], provenance: dict, out_dir: Path, stem: str,
                     digits: int = 3) -> dict[str, Path]:
    """Write ``<stem>.csv/.md/.html/.tex`` and ``<stem>_standalone.tex``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    heads = [headings.get(c, c) for c in frame.columns]
    rows = cells(frame, digits)
    prov = provenance_line(provenance)
    paths = {fmt: out_dir / f"{stem}.{fmt}" for fmt in ("csv", "md", "html", "tex")}
    frame.write_csv(paths["csv"])
    md = [f"**{title}**", "", "| " + " | ".join(heads) + " |",
          "|" + "|".join(":---:" for _ in heads) + "|",
          *["| " + " | ".join(r) + " |" for r in rows], "",
          f"*Notes:* {' '.join(notes)}", "", f"*Provenance:* {prov}"]
    paths["md"].write_text("\n".join(md) + "\n")
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>\n"
                   for r in rows)
    paths["html"].write_text(
        f"<table>\n<caption>{html.escape(title)}</caption>\n<thead><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in heads) + "</tr></thead>\n<tbody>\n"
        + body + "</tbody>\n</table>\n"
        + f"<p><em>Notes:</em> {html.escape(' '.join(notes))}</p>\n"
        + f"<p><em>Provenance:</em> {html.escape(prov)}</p>\n")
    spec = "l" + "r" * (len(heads) - 1)
    tex = [r"\begin{table}[htbp]\centering\footnotesize", rf"\caption{{{_tex(title)}}}",
           r"\begin{threeparttable}", rf"\begin{{tabular}}{{{spec}}}", r"\toprule",
           " & ".join(rf"\shortstack{{{_tex(h)}}}" for h in heads) + r" \\", r"\midrule",
           *[" & ".join(_tex(c) for c in r) + r" \\" for r in rows], r"\bottomrule",
           r"\end{tabular}", r"\begin{tablenotes}\footnotesize",
           rf"\item \textit{{Notes:}} {_tex(' '.join(notes))}",
           rf"\item \textit{{Provenance:}} {_tex(prov)}", r"\end{tablenotes}",
           r"\end{threeparttable}", r"\end{table}"]
    paths["tex"].write_text("\n".join(tex) + "\n")
    standalone = out_dir / f"{stem}_standalone.tex"
    standalone.write_text("\n".join([
        r"\documentclass{article}", r"\usepackage[landscape,margin=1.5cm]{geometry}",
        r"\usepackage{booktabs,threeparttable}", r"\begin{document}", *tex,
        r"\end{document}"]) + "\n")
    paths["standalone"] = standalone
    return paths
