"""Derived tables (METHODS §2-§6): state-years, UN agreement, event aggregates, directed
dyad-years, the junior→senior alliance panel and the case series."""

import dagster as dg
import polars as pl

from pipeline.defs.meta import frame_metadata
from pipeline.defs.resources import Warehouse
from pipeline.lib import defiance, indicators, panel, schemas
from pipeline.lib import warehouse as wh
from pipeline.lib.validation import validate_frame

GROUP = "indicators"
KINDS = {"polars", "duckdb"}


def _raw(*names: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["raw", n]) for n in names]


def _derived(*names: str) -> list[dg.AssetKey]:
    return [dg.AssetKey(["derived", n]) for n in names]


def _read(warehouse: Warehouse, schema: str, table: str) -> pl.DataFrame | None:
    """A warehouse table, or None for an optional source that is not loaded."""
    if not wh.table_exists(warehouse.con, schema, table):
        return None
    return wh.read_table(warehouse.con, schema, table)


def _need(warehouse: Warehouse, schema: str, table: str) -> pl.DataFrame:
    frame = _read(warehouse, schema, table)
    if frame is None:
        raise dg.Failure(f"{schema}.{table} is missing: materialize it first")
    return frame


def _write(context, warehouse: Warehouse, name: str, frame: pl.DataFrame, schema,
           key: list[str], extra: dict | None = None) -> dg.MaterializeResult:
    """Validate in memory, then replace the table atomically; checks ride on the result."""
    wh.write_table(warehouse.con, "derived", name, frame)
    valid = validate_frame(frame, schema)
    dups = frame.height - frame.select(key).unique().height
    return dg.MaterializeResult(
        metadata={**frame_metadata(frame), **(extra or {})},
        check_results=[
            dg.AssetCheckResult(check_name="schema", **valid),
            dg.AssetCheckResult(check_name="unique_key", passed=dups == 0,
                                metadata={"key": key, "duplicate_keys": dups}),
        ])


def _checks(name: str, schema, key: list[str]) -> list[dg.AssetCheckSpec]:
    asset = dg.AssetKey(["derived", name])
    return [
        dg.AssetCheckSpec("schema", asset=asset, blocking=True,
                          description=f"Rows satisfy the pandera schema {schema.name}."),
        dg.AssetCheckSpec("unique_key", asset=asset, blocking=True,
                          description=f"No two rows share the key {key}."),
    ]


SY_KEY = ["ccode", "year"]


@dg.asset(key=_derived("state_year")[0], group_name=GROUP, kinds=KINDS,
          deps=_raw("cow_system", "cow_nmc", "cow_majors", "cow_igo_sy", "cow_igo_dyadic",
                    "cow_diplomatic_exchange"),
          check_specs=_checks("state_year", schemas.STATE_YEAR, SY_KEY))
def state_year(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """One row per COW system member and year: CINC rank, major power, recognition (Diplomatic
    Exchange network, IGOs) and status inconsistency, variants A and B (METHODS §2-§3)."""
    frame, report = indicators.build_state_year(
        _need(warehouse, "raw", "cow_system"), _need(warehouse, "raw", "cow_nmc"),
        _need(warehouse, "raw", "cow_majors"), _need(warehouse, "raw", "cow_igo_sy"),
        _need(warehouse, "raw", "cow_igo_dyadic"),
        _read(warehouse, "raw", "cow_diplomatic_exchange"))
    if not report["dipex"]["available"]:
        context.log.warning(f"Diplomatic Exchange measures unavailable: {report['dipex']['reason']}")
    return _write(context, warehouse, "state_year", frame, schemas.STATE_YEAR, SY_KEY,
                  {"dipex_available": report["dipex"]["available"],
                   "dipex_status": report["dipex"]["reason"],
                   "si_measures": ", ".join(report["si_measures"])})


UN_KEY = ["ccode_a", "ccode_b", "year"]


@dg.asset(key=_derived("un_agreement")[0], group_name=GROUP, kinds=KINDS,
          deps=_raw("un_votes", "un_rollcalls"),
          check_specs=_checks("un_agreement", schemas.UN_AGREEMENT, UN_KEY))
def un_agreement(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """UN General Assembly agreement per pair-year: identical share, Voeten index,
    Signorino-Ritter S, Cohen's kappa, Scott's pi and opposition, all and important votes
    (METHODS §5.1, §6.2)."""
    frame = indicators.build_un_agreement(_need(warehouse, "raw", "un_votes"),
                                          _need(warehouse, "raw", "un_rollcalls"))
    return _write(context, warehouse, "un_agreement", frame, schemas.UN_AGREEMENT, UN_KEY)


def _event_asset(period: str):
    name = f"event_dyad_{period}"
    key = ["source_ccode", "target_ccode", period, "dataset"]

    @dg.asset(key=_derived(name)[0], group_name=GROUP, kinds=KINDS, deps=_raw("events"),
              check_specs=_checks(name, schemas.EVENT_DYAD, key),
              description=f"Directed event aggregates per {period} and dataset (never pooled): "
                          "counts by quad class, Goldstein net cooperation, defiance counts and "
                          "shares (METHODS §5.2, §6.1).")
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
        events = _need(warehouse, "raw", "events")
        frame = defiance.event_dyad_year(events.lazy(), period=period).collect()
        return _write(context, warehouse, name, frame, schemas.EVENT_DYAD, key)

    return _asset


event_dyad_year = _event_asset("year")
event_dyad_month = _event_asset("month")

DY_KEY = ["ccode1", "ccode2", "year"]


@dg.asset(key=_derived("dyad_year")[0], group_name=GROUP, kinds=KINDS,
          deps=[*_raw("cow_system", "cow_nmc", "cow_alliances", "cow_mids", "copdab_monthly",
                      "icews_dyadyear", "atop_alliances"),
                *_derived("un_agreement", "event_dyad_year")],
          check_specs=_checks("dyad_year", schemas.DYAD_YEAR, DY_KEY))
def dyad_year(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Directed dyad-years of system members: capability ratio, alliance, UN cohesion, event
    measures per dataset, ICEWS counts, COPDAB, shared MID adversary; NULL outside coverage."""
    copdab = _read(warehouse, "raw", "copdab_monthly")
    copdab_year = (defiance.copdab_yearly(copdab.lazy()).collect() if copdab is not None else
                   pl.DataFrame(schema={"actor": pl.Int32, "target": pl.Int32, "year": pl.Int32,
                                        "copdab_net_coop": pl.Float64,
                                        "copdab_conflict_months": pl.Int32,
                                        "copdab_months": pl.Int32}))
    frame = indicators.build_dyad_year(
        _need(warehouse, "raw", "cow_system"), _need(warehouse, "raw", "cow_nmc"),
        _need(warehouse, "raw", "cow_alliances"), _need(warehouse, "derived", "un_agreement"),
        _need(warehouse, "derived", "event_dyad_year"), copdab_year,
        _need(warehouse, "raw", "cow_mids"), _read(warehouse, "raw", "icews_dyadyear"),
        _read(warehouse, "raw", "atop_alliances"))
    return _write(context, warehouse, "dyad_year", frame, schemas.DYAD_YEAR, DY_KEY)


class PanelConfig(dg.Config):
    """k: a dyad-year is asymmetric when CINC(senior) / CINC(junior) >= k (METHODS §4);
    min_alliance_level: 3 = defense pacts (COW; ATOP defense/offense when loaded), 1 = any."""

    k: float = 2.0
    min_alliance_level: int = 3


PANEL_KEY = ["junior", "senior", "year"]


@dg.asset(key=_derived("alliance_panel")[0], group_name=GROUP, kinds=KINDS,
          deps=_derived("dyad_year", "state_year"),
          check_specs=_checks("alliance_panel", schemas.ALLIANCE_PANEL, PANEL_KEY))
def alliance_panel(context: dg.AssetExecutionContext, warehouse: Warehouse,
                   config: PanelConfig) -> dg.MaterializeResult:
    """Junior→senior asymmetric alliance dyad-years (COW; senior = higher CINC, ratio >= k):
    the junior's status inconsistency, cohesion, defiance and t-1 lags (METHODS §4-§7)."""
    sy = _need(warehouse, "derived", "state_year")
    si_cols = [c for c in sy.columns if c.startswith("si_")]
    frame = indicators.build_panel(_need(warehouse, "derived", "dyad_year"), sy, config.k, si_cols,
                                   config.min_alliance_level)
    cases = frame.filter(pl.col("senior") == 2, pl.col("junior").is_in([220, 732]))
    spans = {f"years_{j}_{s}": f"{lo}-{hi} ({n})" for j, s, lo, hi, n in (
        cases.group_by("junior", "senior")
        .agg(pl.col("year").min().alias("lo"), pl.col("year").max().alias("hi"), pl.len())
        .rows())}
    return _write(context, warehouse, "alliance_panel", frame, schemas.ALLIANCE_PANEL,
                  PANEL_KEY, {"k": config.k, "min_alliance_level": config.min_alliance_level,
                              **spans})


CASE_KEY = ["case", "period", "year", "month"]


@dg.asset(key=_derived("case_series")[0], group_name=GROUP, kinds=KINDS,
          deps=[*_derived("alliance_panel", "event_dyad_month"), *_raw("copdab_monthly")],
          check_specs=_checks("case_series", schemas.CASE_SERIES, CASE_KEY))
def case_series(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """US-ROK 1985-2015 and US-France 1950-1975: status inconsistency, defiance and cohesion,
    yearly and monthly where COPDAB or event data allow; crisis windows flagged."""
    copdab = _read(warehouse, "raw", "copdab_monthly")
    if copdab is None:
        copdab = pl.DataFrame(schema={"month": pl.Date, "series": pl.Utf8, "actor": pl.Int32,
                                      "target": pl.Int32, "net_coop": pl.Float64})
    frame = panel.case_series(_need(warehouse, "derived", "alliance_panel").lazy(),
                              _need(warehouse, "derived", "event_dyad_month").lazy(),
                              copdab.lazy()).collect()
    return _write(context, warehouse, "case_series", frame, schemas.CASE_SERIES, CASE_KEY)


@dg.definitions
def indicator_defs() -> dg.Definitions:
    return dg.Definitions(assets=[state_year, un_agreement, event_dyad_year, event_dyad_month,
                                  dyad_year, alliance_panel, case_series])
