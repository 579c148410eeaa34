"""Regression tables: LaTeX/HTML/Markdown/CSV structure, stars, FE rows, digits, notes, wide
tables, the robustness summary and provenance (METHODS §8)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import polars as pl
import pytest

from pipeline.lib.outputs.table_family import robustness_table
from pipeline.lib.outputs.tables import (
    ESTIMATOR_LABELS,
    latex_escape,
    provenance_line,
    regression_table,
    star_note,
)
from pipeline.lib.regressions.specs import ESTIMATORS

PROV = {"data": {"cow_nmc": "a1b2c3d4e5f6a7b8c9d0", "unvotes": "0123456789abcdef"},
        "code": "0.1.0+gabc123def456", "date": "2025-11-25"}


@pytest.fixture
def coefs() -> pl.DataFrame:
    """Two models; m2 adds a control and wild-bootstrap p-values."""
    return pl.DataFrame({
        "model": ["m1", "m1", "m2", "m2", "m2"],
        "term": ["si_rank_l1", "Intercept", "si_rank_l1", "cinc_ratio_l1", "Intercept"],
        "label": ["SI rank gap_t-1 & 50%", "Constant", "SI rank gap_t-1 & 50%", "CINC ratio",
                  "Constant"],
        "estimate": [0.25, -1.0, 0.31, -0.0001, -2.2],
        "std_error": [0.1, 0.5, 0.2, 0.05, 0.9],
        "statistic": [2.5, -2.0, 1.55, -0.002, -2.4],
        "p_value": [0.012, 0.045, 0.12, 0.99, 0.005],
        "conf_low": [0.05, -2.0, -0.1, -0.1, -4.0],
        "conf_high": [0.45, 0.0, 0.7, 0.1, -0.4],
        "p_value_wild": [None, None, 0.2, 0.95, 0.01],
    }, schema_overrides={"p_value_wild": pl.Float64})


@pytest.fixture
def stats() -> pl.DataFrame:
    """Fit statistics in the long (model, stat, value-as-text) form."""
    per_model = {
        "m1": {"nobs": "57", "n_clusters": "2", "r2": "0.1234", "loglik": "-30.5", "aic": "65",
               "bic": "70.1", "se_type": "Clustered by dyad (k = 2)", "fixed_effects": "",
               "estimator": "OLS", "dependent": "UN opposition share", "short": "Pooled",
               "years": "1985–2012", "sample": "US–ROK 1985–2012, US–France 1950–75"},
        "m2": {"nobs": "1234", "n_clusters": "23", "pseudo_r2": "0.2", "loglik": "-300.5",
               "aic": "605", "bic": "640", "se_type": "Clustered by dyad (k = 23)",
               "fixed_effects": "Dyad; Year", "estimator": "Logit", "short": "Logit FE",
               "years": "1990–2012", "dependent": "UN opposition share",
               "sample": "US–ROK 1985–2012, US–France 1950–75"},
    }
    return pl.DataFrame([{"model": m, "stat": k, "value": v}
                         for m, d in per_model.items() for k, v in d.items()])


@pytest.fixture
def table(coefs, stats):
    """The default two-model table."""
    return regression_table(coefs, stats, None, PROV, "Status inconsistency & defiance",
                            term_order=["si_rank_l1"])


def _tex_rows(tex: str) -> list[list[str]]:
    """Tabular rows split into cells (only lines ending in a LaTeX row break)."""
    return [[c.strip() for c in re.split(r"(?<!\\)&", line.removesuffix(r"\\"))]
            for line in tex.splitlines() if line.endswith(r"\\")]


def test_latex_has_booktabs_rules_and_threeparttable_notes(table):
    """The LaTeX uses toprule/midrule/bottomrule in order and puts notes in tablenotes."""
    tex = table.to_latex()
    top, mid, bottom = tex.index(r"\toprule"), tex.index(r"\midrule"), tex.index(r"\bottomrule")
    assert top < mid < bottom
    assert tex.count(r"\midrule") == 2
    assert r"\begin{threeparttable}" in tex and r"\end{threeparttable}" in tex
    notes = tex[tex.index(r"\begin{tablenotes}"):tex.index(r"\end{tablenotes}")]
    assert bottom < tex.index(r"\begin{tablenotes}")
    assert re.search(r"\\multicolumn\{2\}\{.*?p\{[0-9.]+cm\}\}\{UN opposition share\}", tex)
    assert "clustered by dyad" in notes


def test_latex_notes_state_star_thresholds(table, coefs, stats):
    """The note states the default thresholds, and custom thresholds change note and stars."""
    tex = table.to_latex()
    for stars, p in (("*", "0.1"), ("**", "0.05"), ("***", "0.01")):
        assert rf"$^{{{stars}}}$\,$p<{p}$" in tex
    assert star_note() == "* p<0.1, ** p<0.05, *** p<0.01"
    strict = regression_table(coefs, stats, None, PROV, "t", stars=(0.05, 0.01, 0.001))
    assert "* p<0.05, ** p<0.01, *** p<0.001" in strict.to_markdown().replace("\\*", "*")
    row = next(r for r in _tex_rows(strict.to_latex()) if r[0].startswith("SI rank"))
    assert row[1] == "0.250$^{*}$"  # p = 0.012 clears 0.05 only


def test_latex_se_in_parentheses_beneath_estimate_in_right_column(table):
    """Each estimate row is followed by its SE in parentheses in the same model column."""
    rows = _tex_rows(table.to_latex())
    i = next(i for i, r in enumerate(rows) if r[0].startswith("CINC ratio"))
    assert rows[i] == ["CINC ratio", "", "$-$0.0001"]  # the row's SE sets its precision
    assert rows[i + 1] == ["", "", "(0.0500)"]
    j = next(i for i, r in enumerate(rows) if r[0].startswith("SI rank"))
    assert rows[j][1:] == ["0.250$^{**}$", "0.310"]
    assert rows[j + 1][1:] == ["(0.100)", "(0.200)"]
    assert rows[j + 2][1:] == ["", "[0.200]"]  # wild bootstrap p-value in brackets
    k = next(i for i, r in enumerate(rows) if r[0] == "Constant")
    assert rows[k][1:] == ["$-$1.00$^{**}$", "$-$2.20$^{***}$"]
    assert j < i < k  # term_order puts the key term first; the constant comes last


def test_bottom_block_fe_rows_and_statistics(table):
    """FE rows read Yes/No per model; N, clusters, SE type, log-likelihood, AIC, R² follow."""
    rows = {r[0]: r[1:] for r in _tex_rows(table.to_latex())}
    assert rows["Dyad FE"] == ["No", "Yes"]
    assert rows["Year FE"] == ["No", "Yes"]
    assert rows["Observations"] == ["57", "1,234"]
    assert rows["Clusters"] == ["2", "23"]
    assert rows["SE type"] == ["Clustered (dyad)", "Clustered (dyad)"]  # k in the Clusters row
    assert rows["Years"] == ["1985--2012", "1990--2012"]
    assert rows["Log-likelihood"] == ["$-$30.5", "$-$300.5"]
    assert rows["AIC"] == ["65.0", "605.0"]
    assert rows["$R^2$"] == ["0.123", ""]
    assert rows["Pseudo $R^2$"] == ["", "0.200"]
    labels = [r[0] for r in _tex_rows(table.to_latex())]
    assert labels.index("Clusters") < labels.index("Dyad FE") < labels.index("SE type")


def test_provenance_line_in_every_format(table):
    """Data versions (short sha256), code version and date appear in each format."""
    line = provenance_line(PROV)
    assert line == ("Data: cow_nmc sha256:a1b2c3d4e5f6, unvotes sha256:0123456789ab; "
                    "code 0.1.0+gabc123def456; date 2025-11-25.")
    assert latex_escape(line) in table.to_latex()
    assert line in table.to_html()
    assert line in table.to_markdown()
    tidy = pl.read_csv(table.to_csv().encode())
    prov = dict(tidy.filter(pl.col("section") == "provenance").select("name", "value").rows())
    assert prov == {"data:cow_nmc": "a1b2c3d4e5f6a7b8c9d0", "data:unvotes": "0123456789abcdef",
                    "code": "0.1.0+gabc123def456", "date": "2025-11-25"}


def test_latex_escapes_special_characters(table):
    """Labels and caption with & % _ are escaped; Unicode dashes become TeX dashes."""
    tex = table.to_latex()
    assert r"SI rank gap\_t-1 \& 50\%" in tex
    assert r"\caption{Status inconsistency \& defiance}" in tex
    assert "US--ROK 1985--2012" in tex
    assert latex_escape(r"a_b^c~d\e#$") == (r"a\_b\textasciicircum{}c\textasciitilde{}d"
                                             r"\textbackslash{}e\#\$")


def test_html_structure(table):
    """The HTML table spans the dependent header, puts SE rows beneath, and has a footer."""
    root = ET.fromstring(table.to_html())
    assert root.tag == "table" and root.find("caption").text == "Status inconsistency & defiance"
    dep = root.find("thead/tr/th[@class='dep']")
    assert dep.get("colspan") == "2" and dep.text == "UN opposition share"
    body = root.findall("tbody[@class='coefficients']/tr")
    assert [td.text for td in body[1].findall("td")] == ["(0.100)", "(0.200)"]
    assert body[1].get("class") == "se" and body[0].find("th").text.startswith("SI rank gap")
    assert body[0].find("td/sup").text == "**"
    stats = {tr.find("th").text: [td.text for td in tr.findall("td")]
             for tr in root.findall("tbody[@class='statistics']/tr")}
    assert stats["Dyad FE"] == ["No", "Yes"] and stats["Year FE"] == ["No", "Yes"]
    foot = "".join(root.find("tfoot").itertext())
    assert "* p<0.1, ** p<0.05, *** p<0.01" in foot and "sha256:a1b2c3d4e5f6" in foot
    page = table.to_html(standalone=True)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page


def test_markdown_structure(table):
    """The pipe table has k+1 columns on every row, SE beneath estimates, escaped stars."""
    md = table.to_markdown()
    lines = [line for line in md.splitlines() if line.startswith("|")]
    assert {line.count(" | ") for line in lines if not line.startswith("|:")} == {2}
    assert lines[0] == "|  | (1) | (2) |" and lines[1] == "|:---|:---:|:---:|"
    assert "| *Model* | Pooled | Logit FE |" in lines
    i = next(i for i, line in enumerate(lines) if line.startswith("| SI rank gap"))
    assert lines[i].endswith(r"| 0.250\*\* | 0.310 |")
    assert lines[i + 1] == "|  | (0.100) | (0.200) |"
    assert "| Dyad FE | No | Yes |" in lines
    assert r"\* p<0.1, \*\* p<0.05, \*\*\* p<0.01" in md


def test_csv_is_tidy_long_form(table, coefs):
    """The CSV stacks coefficients, statistics and provenance with full-precision numbers."""
    tidy = pl.read_csv(table.to_csv().encode())
    assert tidy["section"].unique().sort().to_list() == ["coefficient", "provenance", "statistic"]
    est = tidy.filter(pl.col("section") == "coefficient").sort("model", "name")
    assert est.height == coefs.height
    assert est.filter(pl.col("name") == "cinc_ratio_l1")["estimate"][0] == -0.0001
    assert est.filter(pl.col("model") == "m1", pl.col("name") == "si_rank_l1")["stars"][0] == "**"
    assert set(est["column"]) == {"(1)", "(2)"}
    nobs = tidy.filter(pl.col("section") == "statistic", pl.col("name") == "nobs")
    assert nobs.sort("model")["value"].cast(pl.Utf8).to_list() == ["57", "1234"]


def test_models_select_and_order_columns(coefs, stats):
    """``models`` picks and orders the columns; a model absent from coefs raises."""
    t = regression_table(coefs, stats, ["m2", "m1"], PROV, "t")
    rows = {r[0]: r[1:] for r in _tex_rows(t.to_latex())}
    assert rows["Estimator"] == ["Logit", "OLS"]
    only = regression_table(coefs, stats, ["m1"], PROV, "t")
    assert "CINC ratio" not in only.to_markdown() and "Dyad FE" not in only.to_markdown()
    with pytest.raises(ValueError, match="m9"):
        regression_table(coefs, stats, ["m9"], PROV, "t")


def test_differing_dependents_get_separate_headers(coefs, stats):
    """Adjacent models with different dependent variables get their own spanning headers."""
    stats = stats.with_columns(
        pl.when((pl.col("model") == "m2") & (pl.col("stat") == "dependent"))
        .then(pl.lit("ICEWS defiance share")).otherwise(pl.col("value")).alias("value"))
    tex = regression_table(coefs, stats, None, PROV, "t").to_latex()
    assert re.search(r"\\multicolumn\{1\}\{.*?p\{[0-9.]+cm\}\}\{UN opposition share\} & "
                     r"\\multicolumn\{1\}\{.*?p\{[0-9.]+cm\}\}\{ICEWS", tex)
    assert r"\cmidrule(lr){2-2} \cmidrule(lr){3-3}" in tex


def test_write_all_writes_each_format(table, tmp_path):
    """write_all writes non-empty .tex, standalone .tex, .html, .md and .csv files."""
    paths = table.write_all(tmp_path / "exports", "table1")
    assert set(paths) == {"latex", "latex_standalone", "html", "markdown", "csv"}
    assert paths["latex"].name == "table1.tex" and paths["csv"].name == "table1.csv"
    for path in paths.values():
        assert path.parent == tmp_path / "exports" and path.stat().st_size > 200
    assert r"\label{tab:table1}" in paths["latex"].read_text()
    assert paths["latex_standalone"].read_text().startswith(r"\documentclass{article}")


def test_standalone_latex_compiles(table, tmp_path):
    """The standalone LaTeX compiles to a PDF with pdflatex or tectonic."""
    engine = shutil.which("pdflatex") or shutil.which("tectonic")
    if engine is None:
        pytest.skip("neither pdflatex nor tectonic is on PATH; structural LaTeX checks still ran")
    src = tmp_path / "table.tex"
    src.write_text(table.to_latex(standalone=True), encoding="utf-8")
    cmd = ([engine, "-interaction=nonstopmode", "-halt-on-error", src.name]
           if engine.endswith("pdflatex") else [engine, src.name])
    env = {**os.environ, "TEXMFVAR": str(tmp_path / "texmf-var")}  # keep font caches in tmp
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env,
                          check=False)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert (tmp_path / "table.pdf").read_bytes()[:5] == b"%PDF-"


def test_estimator_codes_print_as_labels_and_every_code_has_one(coefs, stats):
    """The stats keep the spec's code (``fe_ols``); the table prints what a paper would."""
    coded = stats.with_columns(pl.when(pl.col("stat") == "estimator")
                               .then(pl.when(pl.col("model") == "m1").then(pl.lit("fe_ols"))
                                     .otherwise(pl.lit("negbin")))
                               .otherwise(pl.col("value")).alias("value"))
    t = regression_table(coefs, coded, ["m1", "m2"], PROV, "t")
    rows = {r[0]: r[1:] for r in _tex_rows(t.to_latex())}
    assert rows["Estimator"] == ["OLS (within)", "Negative binomial"]
    assert set(ESTIMATOR_LABELS) >= set(ESTIMATORS)


def _many(k: int, tiny: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """k models of one key term; ``tiny`` gives the key row estimates below 0.001."""
    scale = 1e-5 if tiny else 1.0
    coefs = pl.DataFrame({
        "model": [f"m{i}" for i in range(k)], "term": "x", "label": "Deficit",
        "estimate": [scale * (0.5 + i / 10) for i in range(k)], "std_error": scale * 0.2,
        "p_value": 0.02, "p_value_wild": None, "is_key": True,
        "p_value_rw": [0.04 + i / 100 for i in range(k)]},
        schema_overrides={"p_value_wild": pl.Float64})
    stats = pl.DataFrame([{"model": f"m{i}", "stat": s, "value": v} for i in range(k)
                          for s, v in (("nobs", "100"), ("short", f"spec {i}"),
                                       ("dependent", "Y"), ("fixed_effects", "Dyad"),
                                       ("r2", "0.7"), ("r2_within", "0.05"),
                                       ("sample", "Asymmetric dyads"),
                                       ("se_type", "Clustered by junior ally"))])
    return coefs, stats


def test_columns_headed_by_short_names_and_dependent_label(table):
    """Each column carries its spec's short name beneath the dependent variable's label."""
    rows = _tex_rows(table.to_latex())
    assert ["", "Pooled", "Logit FE"] in rows
    assert re.search(r"\\multicolumn\{2\}\{.*?p\{[0-9.]+cm\}\}\{UN opposition share\}",
                     table.to_latex())


def test_consistent_digits_and_rescaled_tiny_rows():
    """One precision per row (three significant digits on its largest number, at least two on
    every cell); a row of tiny coefficients is multiplied by 10^3 and says so in its label
    and the notes."""
    coefs = pl.DataFrame({"model": ["a", "b"], "term": "x", "label": "Deficit",
                          "estimate": [0.0000236, -0.009], "std_error": [0.00001, 0.004],
                          "p_value": [0.5, 0.02]})
    stats = pl.DataFrame({"model": ["a", "b"], "stat": "dependent", "value": "Y"})
    rows = _tex_rows(regression_table(coefs, stats, None, PROV, "t").to_latex())
    row = next(r for r in rows if r[0].startswith("Deficit"))
    assert row == [r"Deficit ($\times 10^{-3}$)", "0.024", "$-$9.000$^{**}$"]
    tiny = regression_table(*_many(2, tiny=True), None, PROV, "t").to_markdown()
    assert "(×10⁻⁶)" in tiny and "| 5.00\\*\\* | 6.00\\*\\* |" in tiny
    assert "times 10ᵏ" in tiny


def test_fe_models_print_within_r2_and_notes_state_things_once():
    """FE columns print the within R² only; identical sample and SE notes appear once; the
    key term's raw and Romano-Wolf p-values get their own rows."""
    t = regression_table(*_many(3), None, PROV, "t")
    rows = {r[0]: r[1:] for r in _tex_rows(t.to_latex())}
    assert rows["Within $R^2$"] == ["0.050"] * 3 and "$R^2$" not in rows
    assert rows["Romano--Wolf p"] == ["0.040", "0.050", "0.060"]
    assert rows["p, key term"] == ["0.020"] * 3
    md = t.to_markdown()
    assert md.count("Asymmetric dyads") == 1 and md.count("clustered by junior ally") == 1
    coefs, stats = _many(3)
    stats = stats.with_columns(pl.when((pl.col("model") == "m2") & (pl.col("stat") == "sample"))
                               .then(pl.lit("Other sample")).otherwise("value").alias("value"))
    notes = regression_table(coefs, stats, None, PROV, "t").notes
    assert "Sample: (1)–(2): Asymmetric dyads; (3): Other sample." in notes


def test_wide_tables_are_landscape_or_split_never_shrunk():
    """Seven columns: a sidewaystable at normal size; twelve: two parts of six columns."""
    seven = regression_table(*_many(7), None, PROV, "Wide").to_latex(standalone=True)
    assert r"\begin{sidewaystable}" in seven and "resizebox" not in seven
    assert r"\usepackage{rotating}" in seven
    twelve = regression_table(*_many(12), None, PROV, "Wider")
    tex = twelve.to_latex()
    assert tex.count(r"\begin{table}") == 2 and r"\caption{Wider (continued)}" in tex
    assert ["", "(7)", "(8)", "(9)", "(10)", "(11)", "(12)"] in _tex_rows(tex)
    assert twelve.to_html().count('<table class="regression-table">') == 2


def test_robustness_summary_lists_raw_and_adjusted_p(tmp_path):
    """The robustness table has one row per family model, primary first, raw and RW p."""
    coefs, stats = _many(3)
    coefs = coefs.with_columns(robustness_family=pl.lit("claim"), std_effect=pl.lit(0.1),
                               std_effect_low=pl.lit(0.0), std_effect_high=pl.lit(0.2),
                               p_value_boot=pl.lit(0.03))
    stats = pl.concat([stats, pl.DataFrame(
        [{"model": f"m{i}", "stat": s, "value": v} for i in range(3) for s, v in
         (("family", "UN"), ("estimator", "fe_ols_weighted"), ("primary", str(i == 2)))])])
    t = robustness_table(coefs, stats, PROV)
    (name, rows), = t.sections
    assert name == "Robustness family: claim" and rows[0][0] == "★ spec 2"
    assert rows[0][2] == "WLS, FE" and rows[0][-2:] == ["0.020", "0.060"]
    paths = t.write_all(tmp_path, "robustness")
    assert set(paths) == {"latex", "latex_standalone", "html", "markdown", "csv"}
    assert "Romano–Wolf p" in paths["markdown"].read_text()
