"""Rendering of an assembled regression table to LaTeX (booktabs), HTML, Markdown and CSV.

A table wider than ``MAX_PORTRAIT`` model columns is set landscape (``sidewaystable``, package
``rotating``) at normal size, never shrunk; one wider than ``MAX_COLUMNS`` is split into parts
of at most that many columns, each a complete table ("continued" in the caption).
"""

from __future__ import annotations

import html
import itertools
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

STARS = (0.1, 0.05, 0.01)
MAX_PORTRAIT = 6
MAX_COLUMNS = 9
LABEL_WIDTH = "6.2cm"   # the term-label column of a regression table in LaTeX
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
                "²": r"\textsuperscript{2}", "³": r"\textsuperscript{3}", "−": "$-$",
                "–": "--", "—": "---", "×": r"$\times$", "≤": r"$\leq$", "≥": r"$\geq$",
                "α": r"$\alpha$", "β": r"$\beta$", "θ": r"$\theta$", "→": r"$\rightarrow$",
                "⁻": r"\textsuperscript{$-$}", "⁰": r"\textsuperscript{0}",
                "⁶": r"\textsuperscript{6}", "⁹": r"\textsuperscript{9}",
                "×10⁻³": r"$\times 10^{-3}$", "×10⁻⁶": r"$\times 10^{-6}$",
                "×10⁻⁹": r"$\times 10^{-9}$", "×10⁻ᵏ": r"$\times 10^{-k}$", "10ᵏ": r"$10^{k}$",
                "ᵏ": r"\textsuperscript{k}", "★": r"$\star$", "|": r"\textbar{}",
                "…": r"\ldots{}"}
_TEX_RE = re.compile("|".join(map(re.escape, sorted(_TEX_SPECIAL, key=len, reverse=True))))
_HTML_STYLE = ("table.regression-table{border-collapse:collapse;font-family:serif}"
               "table.regression-table caption{font-weight:bold;padding-bottom:4px}"
               "table.regression-table th,table.regression-table td{padding:1px 10px}"
               "table.regression-table td{text-align:center}"
               "table.regression-table th{text-align:left;font-weight:normal}"
               "table.regression-table thead th.dep,table.regression-table thead th.col"
               "{text-align:center}"
               "table.regression-table thead{border-top:2px solid;border-bottom:1px solid}"
               "table.regression-table tbody.statistics{border-top:1px solid;"
               "border-bottom:2px solid}"
               "table.regression-table tfoot td{text-align:left;font-size:smaller}")

CoefRow = tuple[str, list[tuple[str, str]], list[str], list[str] | None]


def latex_escape(text: str) -> str:
    """Escape LaTeX special characters (and a few common Unicode symbols) in plain text."""
    return _TEX_RE.sub(lambda m: _TEX_SPECIAL[m.group()], str(text))


def star_note(stars: tuple[float, ...] = STARS) -> str:
    """``* p<0.1, ** p<0.05, *** p<0.01`` for the given thresholds, loosest first."""
    return ", ".join(f"{'*' * (i + 1)} p<{t:g}" for i, t in enumerate(sorted(stars, reverse=True)))


def provenance_line(provenance: dict | None) -> str:
    """One line: ``Data: src sha256:abc…; code <version>; date <date>`` from a provenance dict.

    Accepts ``data`` (or ``data_versions``: source → sha256, shortened to 12 hex digits),
    ``code`` (or ``code_version``) and ``date``; any other scalar entry is appended as is.
    """
    prov = dict(provenance or {})
    data = prov.pop("data", None) or prov.pop("data_versions", None) or {}
    code = prov.pop("code", None) or prov.pop("code_version", None)
    date = prov.pop("date", None)
    parts = []
    if data:
        parts.append("Data: " + ", ".join(f"{k} sha256:{str(v)[:12]}" for k, v in data.items()))
    if code:
        parts.append(f"code {code}")
    if date:
        parts.append(f"date {date}")
    parts += [f"{k} {v}" for k, v in prov.items() if v is not None]
    return "; ".join(parts) + "." if parts else "Provenance not recorded."


def standalone_latex(body: str) -> str:
    """A compilable article around table environments (booktabs, rotating, threeparttable)."""
    # no T1 fontenc: without cm-super it makes pdflatex generate bitmap fonts in $HOME
    head = [r"\documentclass{article}", r"\usepackage[utf8]{inputenc}", r"\usepackage{booktabs}",
            r"\usepackage{array}", r"\usepackage{rotating}",
            r"\usepackage[margin=2cm]{geometry}", r"\usepackage{threeparttable}",
            r"\begin{document}"]
    return "\n".join([*head, body, r"\end{document}"]) + "\n"


@dataclass
class RegressionTable:
    """A rendered-once regression table; each ``to_*`` method formats the same cells."""

    title: str
    models: list[str]
    dependents: list[str]
    shorts: list[str]
    coef_rows: list[CoefRow]
    stat_rows: list[tuple[str, list[str]]]
    notes: list[str]
    provenance: str
    tidy: pl.DataFrame
    stars: tuple[float, ...]
    first: int = 0  # number of the first column, for a split table's later parts

    @property
    def dep_groups(self) -> list[tuple[str, int, int]]:
        """Runs of adjacent models sharing a dependent variable: (label, first, last + 1)."""
        groups: list[tuple[str, int, int]] = []
        for i, dep in enumerate(self.dependents):
            if groups and groups[-1][0] == dep:
                groups[-1] = (dep, groups[-1][1], i + 1)
            else:
                groups.append((dep, i, i + 1))
        return groups

    @property
    def col_labels(self) -> list[str]:
        return [f"({self.first + i + 1})" for i in range(len(self.models))]

    def parts(self) -> list[RegressionTable]:
        """The table split into near-equal parts of at most ``MAX_COLUMNS`` columns."""
        k = len(self.models)
        n = math.ceil(k / MAX_COLUMNS)
        if n <= 1:
            return [self]
        bounds = [round(i * k / n) for i in range(n + 1)]
        return [self._slice(a, b, i) for i, (a, b) in enumerate(itertools.pairwise(bounds))]

    def _slice(self, a: int, b: int, part: int) -> RegressionTable:
        def cut(cells: list | None) -> list | None:
            return None if cells is None else cells[a:b]

        rows = [(lab, ests[a:b], ses[a:b], cut(wild)) for lab, ests, ses, wild in self.coef_rows
                if any(n for n, _ in ests[a:b])]
        stats = [(lab, cells[a:b]) for lab, cells in self.stat_rows if any(cells[a:b])]
        title = self.title + (" (continued)" if part else "")
        return replace(self, title=title, models=self.models[a:b], first=a,
                       dependents=self.dependents[a:b], shorts=self.shorts[a:b],
                       coef_rows=[(r[0], r[1], r[2], r[3] if r[3] and any(r[3]) else None)
                                  for r in rows], stat_rows=stats)

    def to_latex(self, standalone: bool = False, label: str | None = None) -> str:
        """booktabs tabulars in threeparttables (landscape if wide); ``standalone`` wraps a
        compilable article."""
        body = [p._latex_part(label if i == 0 else None) for i, p in enumerate(self.parts())]
        out = "\n".join(body)
        return standalone_latex(out) if standalone else out

    def _latex_part(self, label: str | None) -> str:
        k, e = len(self.models), latex_escape
        env = "sidewaystable" if k > MAX_PORTRAIT else "table"

        def est(num: str, stars: str) -> str:
            return num.replace("-", "$-$", 1) + (f"$^{{{stars}}}$" if stars else "")

        def row(cells: list[str]) -> str:
            return " & ".join(cells) + r" \\"

        out = [rf"\begin{{{env}}}[htbp]", r"\centering", r"\begin{threeparttable}",
               rf"\caption{{{e(self.title)}}}"] + ([rf"\label{{{label}}}"] if label else [])
        # Term labels wrap in a ragged column (a long interaction label would otherwise push a
        # one-column table off the page); a dependent-variable header wraps over its columns.
        out += [(rf"\begin{{tabular}}{{>{{\raggedright\arraybackslash}}p{{{LABEL_WIDTH}}}"
                rf"{'c' * k}}}"), r"\toprule",
                row([""] + [rf"\multicolumn{{{b - a}}}{{>{{\centering\arraybackslash}}"
                            rf"p{{{max(b - a, 2) * 2.2:.1f}cm}}}}{{{e(d)}}}"
                            for d, a, b in self.dep_groups]),
                " ".join(rf"\cmidrule(lr){{{a + 2}-{b + 1}}}" for _, a, b in self.dep_groups),
                row(["", *(e(s) for s in self.shorts)]), row(["", *self.col_labels]),
                r"\midrule"]
        for lab, ests, ses, wild in self.coef_rows:
            out += [row([e(lab), *(est(n, s) for n, s in ests)]), row(["", *ses])]
            out += [row(["", *wild])] if wild else []
        out.append(r"\midrule")
        out += [row([e(lab).replace(r"\textsuperscript{2}", "$^2$").replace("R$^2$", "$R^2$"),
                     *(re.sub(r"^-(?=\d)", "$-$", e(c)) for c in cells)])
                for lab, cells in self.stat_rows]
        out += [r"\bottomrule", r"\end{tabular}", r"\begin{tablenotes}[flushleft]",
                r"\footnotesize\raggedright", rf"\item[] \textit{{Notes:}} {self._tex_notes()}",
                rf"\item[] \textit{{Provenance:}} {e(self.provenance)}", r"\end{tablenotes}",
                r"\end{threeparttable}", rf"\end{{{env}}}"]
        return "\n".join(out) + "\n"

    def _tex_notes(self) -> str:
        star = ", ".join(f"$^{{{'*' * (i + 1)}}}$\\,$p<{t:g}$" for i, t in enumerate(self.stars))
        return " ".join([star + "."] + [latex_escape(n) for n in self.notes[1:]])

    def to_html(self, standalone: bool = False) -> str:
        """HTML ``<table>`` elements (SE rows beneath estimates); ``standalone`` adds a page."""
        body = "\n".join(p._html_part() for p in self.parts())
        if standalone:
            body = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                    f"<title>{html.escape(self.title)}</title>\n<style>{_HTML_STYLE}</style>\n"
                    f"</head>\n<body>\n{body}\n</body>\n</html>")
        return body + "\n"

    def _html_part(self) -> str:
        e, k = html.escape, len(self.models)

        def est(num: str, stars: str) -> str:
            return e(num.replace("-", "−", 1)) + (f"<sup>{stars}</sup>" if stars else "")

        def row(head: str, cells: list[str], cls: str = "") -> str:
            attr = f' class="{cls}"' if cls else ""
            return f"<tr{attr}><th scope=\"row\">{head}</th>" + "".join(
                f"<td>{c}</td>" for c in cells) + "</tr>"

        out = ['<table class="regression-table">', f"<caption>{e(self.title)}</caption>",
               "<thead>", "<tr><th></th>" + "".join(
                   f'<th class="dep" colspan="{b - a}">{e(d)}</th>' for d, a, b in self.dep_groups)
               + "</tr>", "<tr><th></th>" + "".join(
                   f'<th class="col">{e(s)}<br/>{c}</th>'
                   for s, c in zip(self.shorts, self.col_labels)) + "</tr>", "</thead>",
               '<tbody class="coefficients">']
        for lab, ests, ses, wild in self.coef_rows:
            out += [row(e(lab), [est(n, s) for n, s in ests], "estimate"),
                    row("", [e(s) for s in ses], "se")]
            out += [row("", [e(w) for w in wild], "wild")] if wild else []
        out += ["</tbody>", '<tbody class="statistics">']
        out += [row(e(lab), [e(c) for c in cells]) for lab, cells in self.stat_rows]
        out += ["</tbody>", "<tfoot>",
                f'<tr><td colspan="{k + 1}"><em>Notes:</em> {e(" ".join(self.notes))}</td></tr>',
                f'<tr><td colspan="{k + 1}"><em>Provenance:</em> {e(self.provenance)}</td></tr>',
                "</tfoot>", "</table>"]
        return "\n".join(out)

    def to_markdown(self) -> str:
        """Pipe tables: estimate rows with SE rows beneath, then the statistics block."""
        return "\n".join(p._markdown_part() for p in self.parts())

    def _markdown_part(self) -> str:
        def esc(s: str) -> str:
            return s.replace("|", r"\|").replace("*", r"\*")

        def row(cells: list[str]) -> str:
            return "| " + " | ".join(cells) + " |"

        k = len(self.models)
        out = [f"**{esc(self.title)}**", "", row(["", *self.col_labels]),
               "|:---" + "|:---:" * k + "|",
               row(["*Dependent variable*", *(esc(d) for d in self.dependents)]),
               row(["*Model*", *(esc(s) for s in self.shorts)])]
        for lab, ests, ses, wild in self.coef_rows:
            out += [row([esc(lab), *(n + esc(s) for n, s in ests)]), row(["", *ses])]
            out += [row(["", *wild])] if wild else []
        out.append(row([""] * (k + 1)))
        out += [row([esc(lab), *map(esc, cells)]) for lab, cells in self.stat_rows]
        out += ["", "*Notes:* " + esc(" ".join(self.notes)), "",
                "*Provenance:* " + esc(self.provenance)]
        return "\n".join(out) + "\n"

    def to_csv(self) -> str:
        """The tidy long form: one row per model × coefficient, statistic or provenance entry."""
        return self.tidy.write_csv()

    def write_all(self, directory: str | Path, stem: str) -> dict[str, Path]:
        """Write ``stem.tex`` (fragment), ``stem_standalone.tex``, ``.html``, ``.md``, ``.csv``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        texts = {"latex": (f"{stem}.tex", self.to_latex(label=f"tab:{stem}")),
                 "latex_standalone": (f"{stem}_standalone.tex", self.to_latex(standalone=True)),
                 "html": (f"{stem}.html", self.to_html(standalone=True)),
                 "markdown": (f"{stem}.md", self.to_markdown()),
                 "csv": (f"{stem}.csv", self.to_csv())}
        paths = {}
        for fmt, (name, text) in texts.items():
            paths[fmt] = directory / name
            paths[fmt].write_text(text, encoding="utf-8")
        return paths
