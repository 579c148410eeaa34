"""The case evidence on paper: per-case yearly tables and figures, and the table of the
per-case Newey-West time-series models (``models.case_coefficients``)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from pipeline.lib.measures import case_evidence
from pipeline.lib.outputs import figure_cases
from pipeline.lib.outputs.figures import CASE_NAMES
from pipeline.lib.outputs.table_data import write_data_table

CASE_NOTES = [
    ("J = the junior, P = the senior (the USA). Status deficit: Diplomatic Exchange in-degree "
    "percentile gap at t−1 (positive = recognition below capability rank); residual: fitted "
    "minus observed log PageRank on log CINC, z-scored. Respect received: positive = P gives J "
    "less than its capability rank among P's allies claims. Relative measures: J's value "
    "minus the mean of P's other allies that year (positive = further from P). UN measures by "
    "General Assembly session year. Event shares with n = J→P events after the filters; NULL "
    "where the dataset does not cover the year. Shared threat: (b) common MID adversary in "
    "t−10…t−1 (primary), (a) common strategic rival at t−1, (c) J's rival is P's rival or MID "
    "adversary.")]
MODEL_HEADINGS = {"case_id": "Case", "period": "Grain", "outcome": "Outcome", "term": "Term",
                  "estimate": "Estimate", "std_error": "SE (Newey–West)", "p_value": "p",
                  "conf_low": "95% low", "conf_high": "95% high", "nobs": "T",
                  "hac_lags": "HAC lags"}


def write_case_outputs(con: duckdb.DuckDBPyConnection, tdir: Path, fdir: Path,
                       prov: dict) -> dict[str, Path]:
    """Write ``case_<case>.*`` tables and figures and ``case_models.*``."""
    series = con.execute("SELECT * FROM derived.case_series").pl()
    out: dict[str, Path] = {}
    for case in series["case_id"].unique().sort().to_list():
        table = case_evidence.case_table(series, case)
        name, _junior = CASE_NAMES.get(case, (case, "J"))
        years = f"{table['year'].min()}–{table['year'].max()}"
        title = f"{name}, {years}: status, respect received, defiance and shared threat by year"
        paths = write_data_table(table, case_evidence.TABLE_COLUMNS, title, CASE_NOTES, prov,
                                 tdir, f"case_{case}")
        out |= {f"table:case_{case}:{k}": p for k, p in paths.items()}
        figure_cases.case_evidence_figure(series, case, provenance=prov,
                                          path=fdir / f"case_{case}")
        out[f"figure:case_{case}"] = fdir / f"case_{case}.png"
    models = con.execute("SELECT * FROM models.case_coefficients").pl().filter(
        pl.col("term") != "const")
    notes = [("Per-case OLS time series; Newey–West standard errors with floor(4(T/100)^(2/9)) "
             "lags. Yearly: each relative UN outcome on one status measure at t−1 (and the "
             "shared-threat flag where it varies). Monthly: COPDAB net cooperation and the WEIS "
             "defiance share on the previous year's status gap. Two histories, not tests: "
             "T is about 20 years.")]
    paths = write_data_table(models, MODEL_HEADINGS, "Case time-series models (Newey–West)",
                             notes, prov, tdir, "case_models")
    out |= {f"table:case_models:{k}": p for k, p in paths.items()}
    return out
