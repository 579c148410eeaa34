"""Paper outputs from the warehouse: the tidy ``models.coefficients`` table, regression tables
(LaTeX, HTML, Markdown, CSV) and figures (PNG, PDF), each carrying its provenance."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipeline.lib import figures, tables
from pipeline.lib.provenance import code_version, source_versions
from pipeline.lib.regressions import ModelSpec

WIDE_STATS = {"nobs": pl.Int64, "n_clusters": pl.Int64, "r2": pl.Float64,
              "pseudo_r2": pl.Float64, "loglik": pl.Float64, "aic": pl.Float64,
              "se_type": pl.Utf8}
CASE_PLOTS = {
    "us_rok": ("Status deficit and defiance: South Korea toward the United States, 1990-2012",
               ["un_oppose_rel", "un_disagree_voeten_rel", "idealpoint_dist_rel",
                "netify_conflict_share"]),
    "us_france": ("Status deficit and defiance: France toward the United States, 1955-1975",
                  ["un_oppose_rel", "un_disagree_voeten_rel", "idealpoint_dist_rel",
                   "copdab_net_coop"]),
}
CASE_SI = "si_pct_de_indegree_global"


def provenance(con: duckdb.DuckDBPyConnection) -> dict:
    """Data versions, code version and date for a provenance line.

    A source's version is the sha256 of its files' sha256 digests (sorted), so one short hash
    names the exact set of files; ``files`` lists every file with its own digest.
    """
    files = con.execute("SELECT DISTINCT source, source_file, sha256 FROM raw.ingest_log "
                        "ORDER BY ALL").fetchall()
    by_source: dict[str, list[str]] = {}
    for source, _, digest in files:
        by_source.setdefault(source, []).append(digest)
    data = {s: hashlib.sha256("".join(sorted(d)).encode()).hexdigest() if len(d) > 1 else d[0]
            for s, d in by_source.items()}
    return {"data": data, "code": code_version(), "date": date.today().isoformat()}


def file_manifest(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """Every ingested file with its source and sha256 (the long form of the provenance line)."""
    rows = con.execute("SELECT DISTINCT source, source_file, sha256 FROM raw.ingest_log "
                       "ORDER BY ALL").fetchall()
    return [{"source": s, "file": Path(f).name, "sha256": d} for s, f, d in rows]


def coefficient_table(coefs: pl.DataFrame, stats: pl.DataFrame) -> pl.DataFrame:
    """``models.coefficients``: one row per term and model with its model's fit statistics."""
    wide = (stats.filter(pl.col("stat").is_in(list(WIDE_STATS)))
            .pivot(on="stat", index="model", values="value"))
    for col, dtype in WIDE_STATS.items():
        wide = wide.with_columns((pl.col(col) if col in wide.columns else pl.lit(None))
                                 .cast(pl.Utf8).replace("", None).cast(dtype).alias(col))
    return (coefs.join(wide.select("model", *WIDE_STATS), on="model", how="left")
            .with_columns(pl.coalesce("r2", "pseudo_r2").alias("r2_or_pseudo_r2"))
            .rename({"loglik": "log_likelihood"}))


def key_terms(specs: list[ModelSpec]) -> dict[str, str]:
    """The hypothesis term of each model: its first explanatory variable."""
    return {s.name: s.explanatory[0] for s in specs}


def export_all(con: duckdb.DuckDBPyConnection, out_dir: Path,
               specs: list[ModelSpec] | None = None) -> dict[str, Path]:
    """Write every table and figure under ``out_dir/tables`` and ``out_dir/figures``."""
    from pipeline.lib.paths import MODELS_DIR
    from pipeline.lib.regressions import load_specs

    specs = specs if specs is not None else load_specs(MODELS_DIR)
    prov = provenance(con)
    coefs = con.execute("SELECT * FROM models.coefficients").pl()
    stats = con.execute("SELECT * FROM models.fit_stats").pl()
    written: dict[str, Path] = {}
    tdir, fdir = out_dir / "tables", out_dir / "figures"
    tdir.mkdir(parents=True, exist_ok=True)
    fdir.mkdir(parents=True, exist_ok=True)
    fitted = set(coefs["model"].unique().to_list())
    keys = key_terms(specs)
    by_file: dict[str, list[str]] = {}
    for s in specs:
        if s.name in fitted and s.source is not None:
            by_file.setdefault(Path(s.source).stem, []).append(s.name)
    for stem, models in by_file.items():
        table = tables.regression_table(coefs, stats, models, prov, title=stem.replace("_", " "))
        for fmt, path in table.write_all(tdir, stem).items():
            written[f"table:{stem}:{fmt}"] = path
        pattern = "|".join(sorted({f"^{keys[m]}$" for m in models}))
        figures.coefficient_plot(coefs, pattern, models, title=stem.replace("_", " "),
                                 provenance=prov, path=fdir / f"coefficients_{stem}")
        written[f"figure:coefficients_{stem}"] = fdir / f"coefficients_{stem}.png"
    manifest = out_dir / "PROVENANCE.json"
    manifest.write_text(json.dumps({**prov, "files": file_manifest(con),
                                    "versions": source_versions(con)}, indent=2))
    written["provenance"] = manifest
    written |= _case_figures(con, fdir, prov)
    written |= _spec_curve(coefs, specs, fitted, fdir, prov)
    return written


def _case_figures(con, fdir: Path, prov: dict) -> dict[str, Path]:
    series = con.execute("SELECT * FROM derived.case_series").pl()
    out = {}
    for case, (title, cols) in CASE_PLOTS.items():
        figures.case_timeline(series, case, CASE_SI, cols, title, provenance=prov,
                              path=fdir / f"case_{case}")
        out[f"figure:case_{case}"] = fdir / f"case_{case}.png"
    return out


def spec_attributes(spec: ModelSpec) -> dict[str, str]:
    """Recognition measure, inconsistency variant, defiance measure and estimator of a model."""
    term = spec.explanatory[0]
    measure = next((m for m in ("de_indegree", "de_pagerank", "igo_full", "igo_pagerank")
                    if m in term), "other")
    variant = ("rank gap" if term.startswith("si_rank") else
               "residual" if term.startswith("si_resid") else "other")
    return {"model": spec.name, "recognition": measure, "variant": variant,
            "defiance": spec.dependent, "estimator": spec.estimator}


def _spec_curve(coefs, specs, fitted, fdir: Path, prov: dict) -> dict[str, Path]:
    meta = pl.DataFrame([spec_attributes(s) for s in specs if s.name in fitted
                         and s.panel == "derived.alliance_panel"])
    if meta.height == 0:
        return {}
    keys = pl.DataFrame(list(key_terms(specs).items()), schema=["model", "term"], orient="row")
    key_rows = coefs.join(keys, on=["model", "term"], how="semi")
    figures.specification_curve(key_rows.filter(pl.col("model").is_in(meta["model"])), meta,
                                r"^si_", provenance=prov, path=fdir / "specification_curve")
    return {"figure:specification_curve": fdir / "specification_curve.png"}
