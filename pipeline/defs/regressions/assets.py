"""One ``models/<file>`` asset per TOML specification file in ``models/`` (a new file adds an
asset with no code change), the tidy ``models/coefficients`` table with Romano-Wolf p-values
across robustness families, and the paper outputs."""

import base64
import io
import re
from pathlib import Path

import dagster as dg
import polars as pl

from pipeline.defs import keys
from pipeline.defs.checks import table_checks
from pipeline.defs.resources import Warehouse
from pipeline.defs.versions import code_version
from pipeline.lib.measures import case_evidence
from pipeline.lib.outputs import exports, figures
from pipeline.lib.outputs.figure_models import SCALES
from pipeline.lib.regressions import (
    BootInput,
    ModelSpec,
    SpecError,
    boot_table,
    family_pvalues,
    load_specs,
    parse_file,
    run_specs,
    tidy_all,
    with_family_pvalues,
)
from pipeline.lib.regressions.specs import PANELS
from pipeline.lib.store import warehouse as wh
from pipeline.lib.store.paths import MODELS_DIR

GROUP = "models"
PANEL_KEYS = [dg.AssetKey(p.split(".")) for p in [*PANELS, "derived.state_year"]]
EVERY_TERM = "every_term_present"
COEFFICIENTS = table_checks(keys.models("coefficients"), None, ("model", "term"), extra=[
    (EVERY_TERM, "Each fitted model has a row per term; no estimate is NULL.")])


def spec_files() -> list[Path]:
    return sorted(MODELS_DIR.glob("*.toml"))


def file_specs(path: Path) -> list[ModelSpec]:
    """The models of one file, validated with all files (labels, primary, families)."""
    return [s for s in load_specs(MODELS_DIR, require_primary=True) if s.source == path]


def _file_deps(path: Path) -> tuple[list[dg.AssetKey], str]:
    """Upstream panels of a spec file and its description (its leading comment block)."""
    head = [ln.lstrip("# ").rstrip() for ln in path.read_text().splitlines()
            if ln.startswith("#")][:6]
    try:
        specs = parse_file(path)
    except SpecError:
        return PANEL_KEYS, " ".join(head)  # the failure is reported when it is materialized
    tables = {s.panel for s in specs} | {s.join.table for s in specs if s.join}
    return [dg.AssetKey(t.split(".")) for t in sorted(tables)], " ".join(head)


def _png_md(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=70)
    return f"![coefficients](data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()})"


def _model_metadata(specs: list[ModelSpec], coefs: pl.DataFrame, stats: pl.DataFrame,
                    skipped: dict) -> dict:
    wide = exports.coefficient_table(coefs, stats)
    key_rows = wide.filter(pl.col("is_key"))
    lines = [f"| {r['model']} | {r['nobs']} | {r['estimate']:.4g} | [{r['conf_low']:.4g}, "
             f"{r['conf_high']:.4g}] | {r['p_value']:.3g} |" for r in key_rows.to_dicts()]
    meta = {
        "models_fitted": coefs["model"].n_unique(),
        "models_skipped": len(skipped),
        "key_coefficients": dg.MetadataValue.md(
            "| model | N | key coefficient | 95% CI | p |\n|---|---|---|---|---|\n"
            + "\n".join(lines)),
        "coefficients": dg.MetadataValue.md(
            wide.select("model", "term", "estimate", "std_error", "p_value", "nobs")
            .to_pandas().to_markdown(index=False, floatfmt=".4g")),
    }
    if skipped:
        meta["skipped"] = dg.MetadataValue.md(
            "\n".join(f"- `{m}`: {why}" for m, why in skipped.items()))
    fitted = [s for s in specs if s.name not in skipped]
    if coefs.height and fitted:
        pattern = "|".join(sorted({f"^{re.escape(s.key_term)}$" for s in fitted}))
        fig = figures.coefficient_plot(coefs, pattern, [s.name for s in fitted],
                                       title=fitted[0].title,
                                       model_labels={s.name: s.short for s in fitted},
                                       scales={s.name: SCALES[s.link] for s in fitted})
        meta["figure"] = dg.MetadataValue.md(_png_md(fig))
    return meta


def build_model_asset(path: Path) -> dg.AssetsDefinition:
    stem = path.stem
    deps, description = _file_deps(path)

    @dg.asset(key=keys.models(stem), group_name=GROUP, kinds={"statsmodels", "duckdb"},
              deps=deps, description=description or f"Models declared in models/{path.name}.",
              code_version=code_version(__name__, files=(path,)),
              metadata={"spec_file": dg.MetadataValue.path(str(path))})
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        try:
            specs = file_specs(path)
        except SpecError as err:
            raise dg.Failure(description=f"malformed model specification: {err}") from err
        fits, skipped = run_specs(specs, warehouse.con)
        for model, why in skipped.items():
            context.log.warning(f"{model} not estimated: {why}")
        coefs, stats = tidy_all(fits, families=False)  # families span files: see coefficients
        stats = pl.concat([stats, pl.DataFrame(
            {"model": list(skipped), "stat": ["skipped"] * len(skipped),
             "value": list(skipped.values())}, schema=stats.schema)])
        wh.write_table(warehouse.con, "models", f"fit_{stem}", coefs)
        wh.write_table(warehouse.con, "models", f"stats_{stem}", stats)
        wh.write_table(warehouse.con, "models", f"boot_{stem}", boot_table(fits))
        return dg.MaterializeResult(metadata=_model_metadata(specs, coefs, stats, skipped))

    return _asset


MODEL_ASSETS = [build_model_asset(p) for p in spec_files()]


def _stack(con, prefix: str, stems: list[str], empty: pl.DataFrame | None = None) -> pl.DataFrame:
    frames = [wh.read_table(con, "models", f"{prefix}_{s}") for s in stems
              if wh.table_exists(con, "models", f"{prefix}_{s}")]
    return pl.concat(frames, how="diagonal_relaxed") if frames else empty


@dg.asset(key=COEFFICIENTS.key, group_name=GROUP, kinds={"duckdb"},
          deps=[a.key for a in MODEL_ASSETS], check_specs=COEFFICIENTS.specs)
def coefficients(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Tidy estimates of every shipped model with its fit statistics (METHODS §8) and the
    Romano-Wolf p-values of each robustness family's key terms (METHODS §7)."""
    con = warehouse.con
    stems = [p.stem for p in spec_files() if wh.table_exists(con, "models", f"fit_{p.stem}")]
    coefs, stats = _stack(con, "fit", stems), _stack(con, "stats", stems)
    boot = _stack(con, "boot", stems, BootInput.empty_frame())
    members = dict(stats.filter(pl.col("stat") == "robustness_family", pl.col("value") != "")
                   .select("model", "value").iter_rows())
    adjusted = family_pvalues(boot, members)
    coefs = with_family_pvalues(coefs, adjusted).select(coefs.columns)
    table = exports.coefficient_table(coefs, stats)
    missing = table.filter(pl.col("estimate").is_null()).height
    yield from COEFFICIENTS.write(
        context, con, table,
        metadata={"models": table["model"].n_unique(),
                  "skipped_models": stats.filter(pl.col("stat") == "skipped").height,
                  "family_adjusted": adjusted.height},
        extra=[dg.AssetCheckResult(check_name=EVERY_TERM, passed=missing == 0,
                                   metadata={"null_estimates": missing})])
    wh.write_table(con, "models", "fit_stats", stats)


@dg.asset(key=keys.models("case_models"), group_name=GROUP, kinds={"statsmodels", "duckdb"},
          deps=[keys.derived("case_series")])
def case_models(warehouse: Warehouse) -> dg.MaterializeResult:
    """Per-case time-series regressions (US-ROK, US-France) with Newey-West standard errors,
    yearly and on the COPDAB/WEIS months (METHODS §7: two dyads, no clustering)."""
    series = wh.read_table(warehouse.con, "derived", "case_series")
    table = case_evidence.case_models(series)
    wh.write_table(warehouse.con, "models", "case_coefficients", table)
    return dg.MaterializeResult(metadata={"dagster/row_count": table.height,
                                          "models": table.select("case_id", "period",
                                                                 "outcome").n_unique()})
