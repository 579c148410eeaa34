"""The robustness summary: one row per specification of each robustness family, with the key
term's estimate, its effect in SDs of Y per SD of X, the raw p-value and the Romano-Wolf
p-value adjusted across the family (METHODS §7), the primary specification first."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.lib.outputs.cells import SUPERSCRIPT, row_format
from pipeline.lib.outputs.table_render import latex_escape, provenance_line, standalone_latex
from pipeline.lib.outputs.tables import ESTIMATOR_LABELS

HEADER = ["Specification", "Outcome family", "Estimator", "N", "Estimate (SE)",
          "Effect (SD) [95% CI]", "p", "Romano–Wolf p"]
# The summary's estimator column in short form (the full names are in each model's table).
SHORT_ESTIMATOR = {"fe_ols_weighted": "WLS, FE", "fe_ols": "OLS, FE", "ols_weighted": "WLS",
                   "ols": "OLS", "fe_fractional_logit_weighted": "Frac. logit, FE",
                   "fe_fractional_logit": "Frac. logit, FE",
                   "fractional_logit_weighted": "Frac. logit", "fractional_logit": "Frac. logit",
                   "logit": "Logit", "poisson": "Poisson", "fe_poisson": "Poisson, FE",
                   "negbin": "Neg. binomial"}


def _p(x) -> str:
    return "" if x is None else ("<0.001" if x < 0.001 else f"{x:.3f}")


@dataclass
class SummaryTable:
    """Rows grouped in sections; rendered to LaTeX (landscape), HTML, Markdown and CSV."""

    title: str
    sections: list[tuple[str, list[list[str]]]]
    notes: list[str]
    provenance: str
    tidy: pl.DataFrame

    def to_latex(self, standalone: bool = False, label: str | None = None) -> str:
        e, k = latex_escape, len(HEADER)
        out = [r"\begin{sidewaystable}[htbp]", r"\centering", r"\footnotesize",
               r"\begin{threeparttable}",
               rf"\caption{{{e(self.title)}}}"] + ([rf"\label{{{label}}}"] if label else [])
        out += [rf"\begin{{tabular}}{{ll{'c' * (k - 2)}}}", r"\toprule",
                " & ".join(e(h) for h in HEADER) + r" \\", r"\midrule"]
        for name, rows in self.sections:
            out.append(rf"\multicolumn{{{k}}}{{l}}{{\textit{{{e(name)}}}}} \\")
            out += [" & ".join(e(c) for c in r) + r" \\" for r in rows]
        out += [r"\bottomrule", r"\end{tabular}", r"\begin{tablenotes}[flushleft]",
                r"\footnotesize\raggedright",
                rf"\item[] \textit{{Notes:}} {e(' '.join(self.notes))}",
                rf"\item[] \textit{{Provenance:}} {e(self.provenance)}", r"\end{tablenotes}",
                r"\end{threeparttable}", r"\end{sidewaystable}"]
        text = "\n".join(out) + "\n"
        return standalone_latex(text) if standalone else text

    def to_html(self) -> str:
        e = html.escape
        out = [(f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                f"<title>{e(self.title)}</title>\n</head>\n<body>"),
               '<table class="robustness-table">', f"<caption>{e(self.title)}</caption>",
               "<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in HEADER) + "</tr></thead>"]
        for name, rows in self.sections:
            out.append(f'<tbody><tr><th colspan="{len(HEADER)}"><em>{e(name)}</em></th></tr>')
            out += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows]
            out.append("</tbody>")
        out += [(f'<tfoot><tr><td colspan="{len(HEADER)}"><em>Notes:</em> '
                 f"{e(' '.join(self.notes))}<br/><em>Provenance:</em> {e(self.provenance)}"
                 "</td></tr></tfoot>"), "</table>", "</body>\n</html>"]
        return "\n".join(out) + "\n"

    def to_markdown(self) -> str:
        def row(cells: list[str]) -> str:
            return "| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |"

        out = [f"**{self.title}**", "", row(HEADER), "|:---|:---" + "|:---:" * 6 + "|"]
        for name, rows in self.sections:
            out.append(row([f"*{name}*"] + [""] * (len(HEADER) - 1)))
            out += [row(r) for r in rows]
        out += ["", "*Notes:* " + " ".join(self.notes), "", "*Provenance:* " + self.provenance]
        return "\n".join(out) + "\n"

    def write_all(self, directory: str | Path, stem: str) -> dict[str, Path]:
        """Write ``stem.tex``, ``stem_standalone.tex``, ``.html``, ``.md`` and ``.csv``."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        texts = {"latex": (f"{stem}.tex", self.to_latex(label=f"tab:{stem}")),
                 "latex_standalone": (f"{stem}_standalone.tex", self.to_latex(standalone=True)),
                 "html": (f"{stem}.html", self.to_html()),
                 "markdown": (f"{stem}.md", self.to_markdown()),
                 "csv": (f"{stem}.csv", self.tidy.write_csv())}
        paths = {}
        for fmt, (name, text) in texts.items():
            paths[fmt] = directory / name
            paths[fmt].write_text(text, encoding="utf-8")
        return paths


def robustness_table(coefs: pl.DataFrame, stats: pl.DataFrame, provenance: dict | None,
                     title: str = "Robustness of the key estimate") -> SummaryTable:
    """Summarise every robustness family's key terms (``p_value_rw`` filled) in one table."""
    keys = coefs.filter(pl.col("is_key") & pl.col("robustness_family").is_not_null())
    wide = stats.filter(pl.col("stat").is_in(["short", "family", "estimator", "nobs",
                                              "primary"])).pivot(on="stat", index="model",
                                                                 values="value")
    d = keys.join(wide, on="model", how="left").with_columns(
        (pl.col("primary") == "True").alias("primary")).sort(
        "robustness_family", "primary", "family", descending=[False, True, False])
    sections = []
    for (fam,), part in d.group_by("robustness_family", maintain_order=True):
        rows = []
        for r in part.to_dicts():
            power, dec = row_format([max(abs(r["estimate"]), abs(r["std_error"]))])
            scale = f" ×10{SUPERSCRIPT[power]}" if power else ""
            est = f"{r['estimate'] * 10**power:.{dec}f} ({r['std_error'] * 10**power:.{dec}f})"
            eff = ("" if r["std_effect"] is None else f"{r['std_effect']:.3f} "
                   f"[{r['std_effect_low']:.3f}, {r['std_effect_high']:.3f}]")
            rows.append([("★ " if r["primary"] else "") + (r["short"] or r["model"]),
                         r["family"] or "",
                         SHORT_ESTIMATOR.get(r["estimator"] or "", ESTIMATOR_LABELS.get(
                             r["estimator"] or "", r["estimator"] or "")),
                         f"{int(float(r['nobs'])):,}" if r["nobs"] else "", est + scale, eff,
                         _p(r["p_value"]), _p(r["p_value_rw"])])
        sections.append((f"Robustness family: {fam}", rows))
    notes = [("★ marks the primary specification. Estimate: the key term's coefficient on the "
              "model's own scale (linear, log-odds or log-rate). Effect: change in Y, in SDs "
              "of Y, for +1 SD of X (average marginal effect for GLMs; for a key term in an "
              "interaction, where its moderator is 0, as its coefficient), delta-method 95% CI. "
              "FE: fixed effects absorbed; WLS: weighted by the counts behind the share."),
             ("Romano–Wolf p: step-down adjustment across the family from a cluster score "
              "bootstrap whose multipliers are shared by all of the family's models.")]
    tidy = d.select("robustness_family", "model", "short", "family", "estimator", "nobs",
                    "primary", "term", "estimate", "std_error", "p_value", "p_value_boot",
                    "p_value_rw", "std_effect", "std_effect_low", "std_effect_high")
    return SummaryTable(title=title, sections=sections, notes=notes,
                        provenance=provenance_line(provenance), tidy=tidy)
