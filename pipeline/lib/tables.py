"""Regression tables from tidy estimates: LaTeX, HTML, Markdown and the canonical tidy CSV.

Layout follows METHODS §8: one column per model, (1)…(k), under a dependent-variable header;
each coefficient carries significance stars and its standard error in parentheses beneath
(and, when the estimator supplied one, the wild-cluster-bootstrap p-value in brackets); the
bottom block lists estimator, N, clusters, one "<X> FE" Yes/No row per fixed effect, SE type,
log-likelihood, AIC, BIC and (pseudo-)R²; the notes state the star thresholds, SE type and
sample, and a provenance line gives data versions (short sha256), code version and date.

Input contract (``pipeline.lib.regressions``):

- ``coefs``: model, term, label, estimate, std_error, statistic, p_value, conf_low, conf_high,
  p_value_wild (nullable);
- ``stats``: long (model, stat, value as text) with nobs, n_clusters, r2 or pseudo_r2, loglik,
  aic, bic, se_type, fixed_effects ("dyad, year"), estimator, dependent, sample;
- ``provenance``: ``{"data": {source: short sha256}, "code": version, "date": "YYYY-MM-DD"}``.

References
----------
Hlavac, Marek. 2022. *stargazer: Well-Formatted Regression and Summary Statistics Tables*.
R package 5.2.3. https://CRAN.R-project.org/package=stargazer
Fear, Simon. 2020. *booktabs: Publication quality tables in LaTeX*. CTAN.
"""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

STARS = (0.1, 0.05, 0.01)
COEF_COLUMNS = ("model", "term", "estimate", "std_error", "p_value")
# (stat, row label, kind); the FE rows are inserted after n_clusters
STAT_ROWS = (("estimator", "Estimator", "text"), ("nobs", "Observations", "int"),
             ("n_clusters", "Clusters", "int"), ("se_type", "SE type", "text"),
             ("loglik", "Log-likelihood", "float"), ("aic", "AIC", "float"),
             ("bic", "BIC", "float"), ("r2", "R²", "r2"), ("pseudo_r2", "Pseudo R²", "r2"))
# the estimator codes of models/*.toml as a paper prints them (other text passes through)
ESTIMATOR_LABELS = {"ols": "OLS", "logit": "Logit", "poisson": "Poisson",
                    "negbin": "Negative binomial", "fe_ols": "OLS (within)",
                    "fe_poisson": "Poisson (FE)"}
_TEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}",
                "²": r"\textsuperscript{2}", "³": r"\textsuperscript{3}", "−": "$-$",
                "–": "--", "—": "---", "×": r"$\times$", "≤": r"$\leq$", "≥": r"$\geq$",
                "α": r"$\alpha$", "β": r"$\beta$", "θ": r"$\theta$", "→": r"$\rightarrow$"}
_TEX_RE = re.compile("|".join(map(re.escape, _TEX_SPECIAL)))
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


WIDE_MODELS = 5  # more model columns than this: the LaTeX tabular is scaled to fit

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


def _stars(p: float | None, stars: tuple[float, ...]) -> str:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return ""
    return "*" * sum(p < t for t in stars)


def _num(x: float | None, digits: int) -> str:
    """Fixed decimals; a non-zero value that would print as 0.000 keeps ``digits``
    significant digits instead (per-rank effects are small), so no estimate reads as zero."""
    if x is None or math.isnan(x):
        return ""
    s = f"{x:.{digits}f}"
    if x != 0 and re.fullmatch(r"-?0\.?0*", s):
        decimals = digits - 1 - math.floor(math.log10(abs(x)))
        s = f"{x:.{decimals}f}" if decimals <= 9 else f"{x:.{digits - 1}e}"
    return s[1:] if re.fullmatch(r"-0\.?0*", s) else s


def _stat_cell(value: str | None, kind: str, digits: int) -> str:
    if value is None or str(value).strip().lower() in {"", "nan", "none", "null"}:
        return ""
    if kind == "text":
        # The cell holds the short form ("Clustered (dyad)"); the notes keep the full text.
        return re.sub(r"^Clustered by (\w+) \(k = [\d,]+\).*$", r"Clustered (\1)", str(value))
    x = float(value)
    if kind == "int":
        return f"{round(x):,}"
    return _num(x, 3 if kind == "r2" else 2)


def _fe_list(value: str | None) -> list[str]:
    if not value or value.strip().lower() in {"none", "nan", "no"}:
        return []
    return [v.strip() for v in value.split(",") if v.strip()]


def _uniform_or_per_model(values: dict[str, str], models: list[str]) -> str:
    present = {m: v for m, v in values.items() if v}
    if len(set(present.values())) <= 1:
        return next(iter(present.values()), "")
    return "; ".join(f"({models.index(m) + 1}) {v}" for m, v in present.items())


@dataclass
class RegressionTable:
    """A rendered-once regression table; each ``to_*`` method formats the same cells."""

    title: str
    models: list[str]
    dependents: list[str]
    coef_rows: list[tuple[str, list[tuple[str, str]], list[str], list[str] | None]]
    stat_rows: list[tuple[str, list[str]]]
    notes: list[str]
    provenance: str
    tidy: pl.DataFrame
    stars: tuple[float, ...] = STARS

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
        return [f"({i + 1})" for i in range(len(self.models))]

    def to_latex(self, standalone: bool = False, label: str | None = None) -> str:
        """booktabs tabular in a threeparttable; ``standalone`` wraps a compilable article."""
        k, e = len(self.models), latex_escape

        def est(num: str, stars: str) -> str:
            num = num.replace("-", "$-$", 1)
            return num + (f"$^{{{stars}}}$" if stars else "")

        def row(cells: list[str]) -> str:
            return " & ".join(cells) + r" \\"

        # Wide tables (many models) are scaled to the text width (graphicx) so they fit a page;
        # the box must hold the whole threeparttable, which needs its tabular unboxed.
        wide = k > WIDE_MODELS
        out = [r"\begin{table}[htbp]", r"\centering"]
        out += [r"\resizebox{\linewidth}{!}{%"] if wide else []
        out += [r"\begin{threeparttable}",
               rf"\caption{{{e(self.title)}}}"] + ([rf"\label{{{label}}}"] if label else [])
        out += [rf"\begin{{tabular}}{{l{'c' * k}}}", r"\toprule",
                row([""] + [rf"\multicolumn{{{b - a}}}{{c}}{{{e(d)}}}"
                            for d, a, b in self.dep_groups]),
                " ".join(rf"\cmidrule(lr){{{a + 2}-{b + 1}}}" for _, a, b in self.dep_groups),
                row(["", *self.col_labels]), r"\midrule"]
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
                r"\end{threeparttable}"] + (["}"] if wide else []) + [r"\end{table}"]
        if standalone:
            # no T1 fontenc: without cm-super it makes pdflatex generate bitmap fonts in $HOME
            page = "landscape,margin=1.5cm" if wide else "margin=2cm"
            out = [r"\documentclass{article}", r"\usepackage[utf8]{inputenc}",
                   r"\usepackage{booktabs}", r"\usepackage{graphicx}",
                   rf"\usepackage[{page}]{{geometry}}",
                   r"\usepackage{threeparttable}", r"\begin{document}", *out, r"\end{document}"]
        return "\n".join(out) + "\n"

    def _tex_notes(self) -> str:
        star = ", ".join(f"$^{{{'*' * (i + 1)}}}$\\,$p<{t:g}$" for i, t in enumerate(self.stars))
        return " ".join([star + "."] + [latex_escape(n) for n in self.notes[1:]])

    def to_html(self, standalone: bool = False) -> str:
        """An HTML ``<table>`` (SE rows beneath estimates); ``standalone`` adds a full page."""
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
                   f'<th class="col">{c}</th>' for c in self.col_labels) + "</tr>", "</thead>",
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
        body = "\n".join(out)
        if standalone:
            body = (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
                    f"<title>{e(self.title)}</title>\n<style>{_HTML_STYLE}</style>\n</head>\n"
                    f"<body>\n{body}\n</body>\n</html>")
        return body + "\n"

    def to_markdown(self) -> str:
        """A pipe table: estimate rows with SE rows beneath, then the statistics block."""
        def esc(s: str) -> str:
            return s.replace("|", r"\|").replace("*", r"\*")

        def row(cells: list[str]) -> str:
            return "| " + " | ".join(cells) + " |"

        k = len(self.models)
        out = [f"**{esc(self.title)}**", "", row(["", *self.col_labels]),
               "|:---" + "|:---:" * k + "|",
               row(["*Dependent variable*", *(esc(d) for d in self.dependents)])]
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


def _tidy(coefs: pl.DataFrame, stats: pl.DataFrame, models: list[str], dependents: list[str],
          provenance: dict | None, stars: tuple[float, ...]) -> pl.DataFrame:
    """Coefficients, statistics and provenance stacked in one long frame (the canonical CSV)."""
    cols = pl.DataFrame({"model": models, "column": [f"({i + 1})" for i in range(len(models))],
                         "dependent": dependents})
    p = pl.col("p_value")
    n_stars = pl.sum_horizontal([(p < t).cast(pl.Int32) for t in stars])
    coef = (coefs.join(cols, on="model")
            .with_columns(pl.lit("coefficient").alias("section"), pl.col("term").alias("name"),
                          pl.when(p.is_null()).then(pl.lit("")).otherwise(
                              pl.lit("*").repeat_by(n_stars).list.join("")).alias("stars")))
    stat = (stats.join(cols, on="model")
            .with_columns(pl.lit("statistic").alias("section"), pl.col("stat").alias("name"),
                          pl.col("value").cast(pl.Utf8)))
    prov = dict(provenance or {})
    data = prov.pop("data", None) or prov.pop("data_versions", None) or {}
    entries = [(f"data:{k}", str(v)) for k, v in data.items()]
    entries += [(k, str(v)) for k, v in prov.items() if v is not None and not isinstance(v, dict)]
    prov_df = pl.DataFrame({"section": ["provenance"] * len(entries),
                            "name": [n for n, _ in entries], "value": [v for _, v in entries]},
                           schema={"section": pl.Utf8, "name": pl.Utf8, "value": pl.Utf8})
    order = ["section", "model", "column", "dependent", "name", "label", "estimate", "std_error",
             "statistic", "p_value", "p_value_wild", "conf_low", "conf_high", "stars", "value"]
    out = pl.concat([coef, stat, prov_df], how="diagonal_relaxed")
    return out.select([c for c in order if c in out.columns])


def regression_table(coefs: pl.DataFrame, stats: pl.DataFrame, models: list[str] | None,
                     provenance: dict | None, title: str, stars: tuple[float, ...] = STARS,
                     term_order: list[str] | None = None, digits: int = 3) -> RegressionTable:
    """Assemble a METHODS §8 regression table from tidy estimates and fit statistics.

    Parameters
    ----------
    coefs, stats
        Tidy coefficients and long fit statistics (see the module docstring).
    models
        Model ids in column order; ``None`` keeps their order of appearance in ``coefs``.
    provenance
        ``{"data": {source: sha256}, "code": version, "date": date}``.
    title
        Table caption.
    stars
        p-value thresholds; a coefficient gets one star per threshold its p-value is below.
    term_order
        Terms shown first, in this order; other terms follow in order of appearance.
    digits
        Decimals for estimates and standard errors.

    Returns
    -------
    RegressionTable
        Render with ``to_latex``, ``to_html``, ``to_markdown``, ``to_csv`` or ``write_all``.
    """
    missing = [c for c in COEF_COLUMNS if c not in coefs.columns]
    if missing:
        raise ValueError(f"coefs lacks columns {missing}")
    if "label" not in coefs.columns:
        coefs = coefs.with_columns(pl.lit(None, pl.Utf8).alias("label"))
    if "p_value_wild" not in coefs.columns:
        coefs = coefs.with_columns(pl.lit(None, pl.Float64).alias("p_value_wild"))
    models = list(models) if models is not None else coefs["model"].unique(maintain_order=True)
    models = list(models)
    unknown = set(models) - set(coefs["model"].unique())
    if unknown:
        raise ValueError(f"models not in coefs: {sorted(unknown)}")
    stars = tuple(sorted(stars, reverse=True))
    coefs = coefs.filter(pl.col("model").is_in(models))
    stats = stats.filter(pl.col("model").is_in(models)).with_columns(pl.col("value").cast(pl.Utf8))
    value = {(r["model"], r["stat"]): r["value"] for r in stats.to_dicts()}
    dependents = [value.get((m, "dependent")) or "" for m in models]

    terms = coefs["term"].unique(maintain_order=True).to_list()
    terms = [t for t in (term_order or []) if t in terms] + [
        t for t in terms if t not in (term_order or [])]
    by_cell = {(r["model"], r["term"]): r for r in coefs.to_dicts()}
    any_wild = coefs["p_value_wild"].is_not_null().any()
    coef_rows = []
    for term in terms:
        cells = [by_cell.get((m, term)) for m in models]
        label = next((c["label"] for c in cells if c and c["label"]), term)
        ests = [(_num(c["estimate"], digits), _stars(c["p_value"], stars)) if c else ("", "")
                for c in cells]
        ses = [f"({_num(c['std_error'], digits)})" if c and c["std_error"] is not None else ""
               for c in cells]
        wild = [f"[{_num(c['p_value_wild'], 3)}]" if c and c["p_value_wild"] is not None else ""
                for c in cells]
        coef_rows.append((label, ests, ses, wild if any(wild) else None))

    fes = {m: _fe_list(value.get((m, "fixed_effects"))) for m in models}
    fe_names = list(dict.fromkeys(f for m in models for f in fes[m]))
    stat_rows = []
    for stat, label, kind in STAT_ROWS:
        cells = [_stat_cell(value.get((m, stat)), kind, digits) for m in models]
        if stat == "estimator":
            cells = [ESTIMATOR_LABELS.get(c, c) for c in cells]
        if any(cells):
            stat_rows.append((label, cells))
        if stat == "n_clusters":
            stat_rows += [(f"{f[:1].upper()}{f[1:]} FE", ["Yes" if f in fes[m] else "No"
                                                          for m in models]) for f in fe_names]
    se_types = {m: value.get((m, "se_type")) or "" for m in models}
    samples = {m: value.get((m, "sample")) or "" for m in models}
    notes = [star_note(stars) + "."]
    if any(se_types.values()):
        notes.append(f"Standard errors in parentheses: {_uniform_or_per_model(se_types, models)}.")
    if any_wild:
        notes.append("Wild cluster bootstrap p-values in brackets.")
    if any(samples.values()):
        notes.append(f"Sample: {_uniform_or_per_model(samples, models)}.")
    return RegressionTable(title=title, models=models, dependents=dependents,
                           coef_rows=coef_rows, stat_rows=stat_rows, notes=notes,
                           provenance=provenance_line(provenance),
                           tidy=_tidy(coefs, stats, models, dependents, provenance, stars),
                           stars=stars)
