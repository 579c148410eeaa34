"""Paper outputs from the warehouse: the tidy ``models.coefficients`` table, regression tables
(LaTeX, HTML, Markdown, CSV) and figures (PNG, PDF), each carrying its provenance."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from pipeline.lib.catalog.versions import source_versions
from pipeline.lib.outputs import figures, tables
from pipeline.lib.outputs.case_outputs import write_case_outputs
from pipeline.lib.outputs.figure_models import SCALES
from pipeline.lib.outputs.table_family import robustness_table
from pipeline.lib.regressions import ModelSpec
from pipeline.lib.store.provenance import software_version

WIDE_STATS = {"nobs": pl.Int64, "n_clusters": pl.Int64, "r2": pl.Float64,
              "r2_within": pl.Float64, "pseudo_r2": pl.Float64, "loglik": pl.Float64,
              "aic": pl.Float64, "se_type": pl.Utf8}


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
    return {"data": data, "code": software_version(), "date": date.today().isoformat()}


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
            .with_columns(pl.coalesce("r2_within", "r2", "pseudo_r2").alias("r2_or_pseudo_r2"))
            .rename({"loglik": "log_likelihood"}))


def key_terms(specs: list[ModelSpec]) -> dict[str, str]:
    """The hypothesis term of each model (``key``, or its first explanatory variable)."""
    return {s.name: s.key_term for s in specs}


def table_groups(specs: list[ModelSpec], fitted: set[str]) -> dict[str, tuple[str, list[str]]]:
    """Output stem -> (caption, models): a file's fitted models, one table per ``title``."""
    by_file: dict[str, dict[str, list[str]]] = {}
    for s in specs:
        if s.name in fitted and s.source is not None:
            by_file.setdefault(Path(s.source).stem, {}).setdefault(s.title, []).append(s.name)
    out = {}
    for stem, titles in by_file.items():
        for i, (title, models) in enumerate(titles.items()):
            out[stem if len(titles) == 1 else f"{stem}_{i + 1}"] = (title, models)
    return out


def export_all(con: duckdb.DuckDBPyConnection, out_dir: Path,
               specs: list[ModelSpec] | None = None,
               assets: dict[str, dict] | None = None) -> dict[str, Path]:
    """Write every table and figure under ``out_dir/tables`` and ``out_dir/figures``, and
    ``PROVENANCE.json``: the files with their sha256, the source releases and ``assets``, the
    code and data versions and the run of each table as the orchestrator recorded them."""
    from pipeline.lib.regressions import load_specs
    from pipeline.lib.store.paths import MODELS_DIR

    specs = specs if specs is not None else load_specs(MODELS_DIR)
    prov = provenance(con)
    coefs = con.execute("SELECT * FROM models.coefficients").pl()
    stats = con.execute("SELECT * FROM models.fit_stats").pl()
    written: dict[str, Path] = {}
    tdir, fdir = out_dir / "tables", out_dir / "figures"
    tdir.mkdir(parents=True, exist_ok=True)
    fdir.mkdir(parents=True, exist_ok=True)
    fitted = set(coefs["model"].unique().to_list())
    keys, by_name = key_terms(specs), {s.name: s for s in specs}
    for stem, (title, models) in table_groups(specs, fitted).items():
        order = list(dict.fromkeys(keys[m] for m in models))
        table = tables.regression_table(coefs, stats, models, prov, title=title,
                                        term_order=order)
        for fmt, path in table.write_all(tdir, stem).items():
            written[f"table:{stem}:{fmt}"] = path
        pattern = "|".join(f"^{re.escape(t)}$" for t in order)
        several = len({by_name[m].family for m in models}) > 1  # name the outcome too
        names = {m: by_name[m].short + (f" · {by_name[m].family}" if several else "")
                 for m in models}
        figures.coefficient_plot(coefs, pattern, models, title=title, provenance=prov,
                                 model_labels=names,
                                 scales={m: SCALES[by_name[m].link] for m in models},
                                 path=fdir / f"coefficients_{stem}")
        written[f"figure:coefficients_{stem}"] = fdir / f"coefficients_{stem}.png"
    if coefs["p_value_rw"].is_not_null().any():
        for fmt, path in robustness_table(coefs, stats, prov).write_all(tdir, "robustness").items():
            written[f"table:robustness:{fmt}"] = path
    manifest = out_dir / "PROVENANCE.json"
    manifest.write_text(json.dumps({**prov, "files": file_manifest(con),
                                    "versions": source_versions(con),
                                    "assets": assets or {}}, indent=2))
    written["provenance"] = manifest
    written |= write_case_outputs(con, tdir, fdir, prov)
    written |= _spec_curve(coefs, stats, specs, fitted, fdir, prov)
    return written


def _spec_curve(coefs, stats, specs, fitted, fdir: Path, prov: dict) -> dict[str, Path]:
    """Key effects in SD units of every fitted alliance-panel model, grouped by family."""
    rows = [{"model": s.name, "short": s.short, "primary": s.primary,
             "family": s.family or s.labels.get(s.dependent, s.dependent)}
            for s in specs if s.name in fitted and s.panel == "derived.alliance_panel"]
    meta = pl.DataFrame(rows, schema={"model": pl.Utf8, "short": pl.Utf8,
                                      "primary": pl.Boolean, "family": pl.Utf8})
    effects = (coefs.filter(pl.col("is_key"), pl.col("std_effect").is_not_null())
               .join(meta, on="model", how="inner"))
    if effects.is_empty():
        return {}
    shown = effects["model"].to_list()
    spans = stats.filter(pl.col("stat") == "years", pl.col("model").is_in(shown),
                         pl.col("value") != "")["value"].str.split("–")
    years = (f", {spans.list.first().cast(pl.Int64).min()}–"
             f"{spans.list.last().cast(pl.Int64).max()}" if spans.len() else "")
    figures.specification_curve(effects, f"Key effects across specifications{years}",
                                provenance=prov, path=fdir / "specification_curve")
    return {"figure:specification_curve": fdir / "specification_curve.png"}
