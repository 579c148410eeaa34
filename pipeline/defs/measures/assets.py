"""Derived tables (METHODS §2-§6): state-years, UN agreement, event aggregates and coverage,
directed dyad-years, the junior→senior alliance panel and the case series."""

import dagster as dg
import polars as pl

from pipeline.defs import keys
from pipeline.defs.checks import derived_checks
from pipeline.defs.resources import Warehouse
from pipeline.lib.catalog.sources import RAW_TABLES
from pipeline.lib.ingest.sources import rivalries, unvotes_r
from pipeline.lib.measures import cases, cohesion, dyad_year, event_measures, panel, state_year
from pipeline.lib.store import warehouse as wh

GROUP = "indicators"
KINDS = {"polars", "duckdb"}
_KNOWN_RAW = {t.name for t in RAW_TABLES} | {"events"}


def _raw(*names: str) -> list[dg.AssetKey]:
    """Keys of the raw tables among ``names`` that the registry defines."""
    return [keys.raw(n) for n in names if n in _KNOWN_RAW]


def _derived(*names: str) -> list[dg.AssetKey]:
    return [keys.derived(n) for n in names]


def _read(warehouse: Warehouse, schema: str, table: str) -> pl.DataFrame | None:
    """A warehouse table, or None for an optional source that is not loaded."""
    if not wh.table_exists(warehouse.con, schema, table):
        return None
    return wh.read_table(warehouse.con, schema, table)


def _outside(context, system: pl.DataFrame, inputs: dict) -> dict[str, str]:
    """Input years the system-member grid cannot hold, logged as a warning (and returned for
    the asset's metadata), so a newer release's extra years are never dropped silently."""
    outside = state_year.years_outside_system(system, inputs)
    for name, years in outside.items():
        context.log.warning(f"{name}: {years}; not in the table until a state system release "
                            "covers them")
    return outside


def _need(warehouse: Warehouse, schema: str, table: str) -> pl.DataFrame:
    frame = _read(warehouse, schema, table)
    if frame is None:
        raise dg.Failure(f"{schema}.{table} is missing: materialize it first")
    return frame


COUNTRIES = derived_checks(keys.ref("countries"))
STATE_YEAR = derived_checks(keys.derived("state_year"))
UN_AGREEMENT = derived_checks(keys.derived("un_agreement"))
EVENT_COVERAGE = derived_checks(keys.derived("event_coverage"))
DYAD_YEAR = derived_checks(keys.derived("dyad_year"))
ALLIANCE_PANEL = derived_checks(keys.derived("alliance_panel"))
CASE_SERIES = derived_checks(keys.derived("case_series"))


@dg.asset(key=COUNTRIES.key, group_name=GROUP, kinds={"duckdb"},
          deps=_raw("cow_country_codes"), check_specs=COUNTRIES.specs)
def countries(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """COW country codes with abbreviation and name, for joining names onto any table."""
    codes = _need(warehouse, "raw", "cow_country_codes")
    frame = (codes.select(pl.col("ccode").cast(pl.Int32), pl.col("stateabb").alias("abbreviation"),
                          pl.col("statenme").alias("name"))
             .unique("ccode", keep="first").sort("ccode"))
    yield from COUNTRIES.write(context, warehouse.con, frame)


@dg.asset(key=STATE_YEAR.key, group_name=GROUP, kinds=KINDS,
          deps=_raw("cow_system", "cow_nmc", "cow_majors", "cow_igo_sy", "cow_igo_dyadic",
                    "cow_diplomatic_exchange", "maoz_powers", "un_idealpoints",
                    "cow_country_codes"),
          check_specs=STATE_YEAR.specs)
def state_year_table(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """One row per COW system member and year: CINC rank, major and middle power, recognition
    by others (Diplomatic Exchange, carried forward from the latest wave) and participation
    (IGOs), status inconsistency (percentile gap, rank gap, residual) (METHODS §2-§3, §6.5)."""
    system = _need(warehouse, "raw", "cow_system")
    nmc = _need(warehouse, "raw", "cow_nmc")
    maoz = _read(warehouse, "raw", "maoz_powers")
    powers = None if maoz is None else rivalries.power_years(
        maoz, range(int(system["year"].min()), int(system["year"].max()) + 1))
    frame, report = state_year.build_state_year(
        system, nmc, _need(warehouse, "raw", "cow_majors"),
        _need(warehouse, "raw", "cow_igo_sy"), _need(warehouse, "raw", "cow_igo_dyadic"),
        _read(warehouse, "raw", "cow_diplomatic_exchange"), powers,
        _read(warehouse, "raw", "un_idealpoints"), _read(warehouse, "raw", "cow_country_codes"))
    if not report["dipex"]["available"]:
        context.log.warning(f"Diplomatic Exchange measures unavailable: {report['dipex']['reason']}")
    outside = _outside(context, system, {"cow_nmc": nmc})
    yield from STATE_YEAR.write(context, warehouse.con, frame, metadata={
        "years_outside_system": dg.MetadataValue.json(outside),
        "dipex_available": report["dipex"]["available"],
        "dipex_status": report["dipex"]["reason"],
        "primary_status_inconsistency": report["primary_si"],
        "si_measures": ", ".join(report["si_measures"]),
        "corr_deficit_cap_rank": dg.MetadataValue.json(report["corr_deficit_cap_rank"]),
        "annualisation": "latest wave carried forward (2005 wave to 2010); *_interp columns "
                         "interpolate between waves (look-ahead variant)"})


def _un_release(warehouse: Warehouse) -> tuple[pl.DataFrame, pl.DataFrame,
                                              unvotes_r.ReleaseChoice]:
    """The UN votes release covering more roll calls (the R {unvotes} tables when loaded)."""
    voeten = _read(warehouse, "raw", "un_rollcalls")
    newer = _read(warehouse, "raw", "unvotes_r_rollcalls")
    if newer is not None and _read(warehouse, "raw", "unvotes_r_votes") is None:
        newer = None
    try:
        choice = unvotes_r.choose_un_release(voeten=voeten, unvotes_r=newer)
    except ValueError as err:
        raise dg.Failure(f"no UN votes release is loaded: {err}") from err
    return (_need(warehouse, "raw", choice.votes_table),
            _need(warehouse, "raw", choice.rollcalls_table), choice)


@dg.asset(key=UN_AGREEMENT.key, group_name=GROUP, kinds=KINDS,
          deps=_raw("un_votes", "un_rollcalls", "unvotes_r_votes", "unvotes_r_rollcalls"),
          check_specs=UN_AGREEMENT.specs)
def un_agreement(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """UN General Assembly agreement per pair and session year (1964 excluded): identical share,
    Voeten index, Signorino-Ritter S, Cohen's and weighted kappa, Scott's pi and opposition, all
    and important votes, from the release covering more roll calls (METHODS §5.1, §6.2)."""
    votes, rollcalls, choice = _un_release(warehouse)
    context.log.info(f"UN votes release used: {choice.release} ({choice.reason})")
    frame = cohesion.build_un_agreement(votes, rollcalls)
    yield from UN_AGREEMENT.write(context, warehouse.con, frame, metadata={
        "release": choice.release, "release_reason": choice.reason,
        "roll_calls": rollcalls.height,
        "aggregation": "GA session year (session + 1945); 1964 excluded"})


@dg.asset(key=EVENT_COVERAGE.key, group_name=GROUP, kinds={"duckdb"},
          deps=_raw("events", "weis_events"), check_specs=EVENT_COVERAGE.specs)
def event_coverage(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Months and years each event dataset covers: events on at least 90% of a month's days in
    its non-sample files; a year when all twelve months are covered (METHODS §5.2)."""
    frame = event_measures.event_coverage(warehouse.con)
    yield from EVENT_COVERAGE.write(context, warehouse.con, frame,
                                    metadata={"covered_months": int(frame["covered"].sum())})


def _event_asset(period: str):
    checks = derived_checks(keys.derived(f"event_dyad_{period}"))

    @dg.asset(key=checks.key, group_name=GROUP, kinds={"duckdb"},
              deps=_raw("events", "weis_events"), check_specs=checks.specs,
              description=f"Directed event aggregates per {period} and dataset (never pooled), "
                          "computed by DuckDB: government actors, root events, one event per "
                          "code and day; defiance, protests apart, attention (METHODS §5.2, "
                          "§6.1).")
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse):
        frame = event_measures.event_aggregates(warehouse.con, period)
        yield from checks.write(context, warehouse.con, frame)

    return _asset


event_dyad_year = _event_asset("year")
event_dyad_month = _event_asset("month")


def _rivalries(warehouse: Warehouse) -> tuple[pl.DataFrame | None, tuple[int, int] | None]:
    """Directed rival pair-years (either list codes a rivalry) and the years they cover."""
    td, tss = _read(warehouse, "raw", "td_rivalries"), _read(warehouse, "raw", "tss_rivalries")
    if td is None or tss is None:
        return None, None
    last = int(_need(warehouse, "raw", "cow_system")["year"].max())
    years = rivalries.rivalry_years(td, tss, last_year=last)
    coded = years.filter(pl.col("td").fill_null(False) | pl.col("tss").fill_null(False))
    return coded, (int(years["year"].min()), last)


@dg.asset(key=DYAD_YEAR.key, group_name=GROUP, kinds=KINDS,
          deps=[*_raw("cow_system", "cow_nmc", "cow_alliances", "cow_mids", "copdab_monthly",
                      "icews_dyadyear", "atop_alliances", "un_idealpoints",
                      "cow_diplomatic_exchange", "td_rivalries", "tss_rivalries"),
                *_derived("un_agreement", "event_dyad_year", "event_coverage")],
          check_specs=DYAD_YEAR.specs)
def dyad_year_table(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """Directed dyad-years of system members: capability ratio, alliances, UN cohesion and
    ideal-point distance, events per dataset, ICEWS counts, COPDAB, representation levels,
    shared threat, and measures relative to ccode2's other allies (METHODS §4-§6.5)."""
    copdab = _read(warehouse, "raw", "copdab_monthly")
    copdab_year = (event_measures.copdab_yearly(copdab.lazy()).collect() if copdab is not None
                   else pl.DataFrame(schema={"actor": pl.Int32, "target": pl.Int32,
                                             "year": pl.Int32, "copdab_net_coop": pl.Float64,
                                             "copdab_conflict_months": pl.Int32,
                                             "copdab_months": pl.Int32}))
    system = _need(warehouse, "raw", "cow_system")
    dipex = _read(warehouse, "raw", "cow_diplomatic_exchange")
    if not state_year.dipex_status(dipex, system)["available"]:
        dipex = None
    rivals, span = _rivalries(warehouse)
    un = _need(warehouse, "derived", "un_agreement")
    events = _need(warehouse, "derived", "event_dyad_year")
    alliances, mids = _need(warehouse, "raw", "cow_alliances"), _need(warehouse, "raw", "cow_mids")
    outside = _outside(context, system, {
        "un_agreement": un, "cow_alliances": alliances, "cow_mids": mids, "copdab": copdab_year,
        **{f"events:{d}": events.filter(pl.col("dataset") == d)
           for d in events["dataset"].unique().sort()}})
    frame = dyad_year.build_dyad_year(
        system, _need(warehouse, "raw", "cow_nmc"), alliances, un, events,
        _need(warehouse, "derived", "event_coverage"), copdab_year,
        mids, netify=_read(warehouse, "raw", "icews_dyadyear"),
        atop=_read(warehouse, "raw", "atop_alliances"),
        idealpoints=_read(warehouse, "raw", "un_idealpoints"), dipex=dipex,
        rivalry_years=rivals, rivalry_span=span)
    yield from DYAD_YEAR.write(context, warehouse.con, frame, metadata={
        "years_outside_system": dg.MetadataValue.json(outside),
        "rivalry_years": f"{span[0]}-{span[1]}" if span else "no rivalry list"})


class PanelConfig(dg.Config):
    """k: a dyad-year is asymmetric when CINC(senior) / CINC(junior) >= k (METHODS §4);
    min_alliance_level: 3 = defense pacts (COW; ATOP defense/offense when loaded), 1 = any."""

    k: float = 2.0
    min_alliance_level: int = 3


@dg.asset(key=ALLIANCE_PANEL.key, group_name=GROUP, kinds=KINDS,
          deps=_derived("dyad_year", "state_year"), check_specs=ALLIANCE_PANEL.specs)
def alliance_panel(context: dg.AssetExecutionContext, config: PanelConfig, warehouse: Warehouse):
    """Junior→senior asymmetric defense-pact dyad-years (senior = higher CINC, ratio >= k): the
    junior's status inconsistency at t-1 (calendar lags), directional defiance at t, shared
    threat, respect received and the principal-patron flag (METHODS §4-§7)."""
    frame = panel.build_panel(_need(warehouse, "derived", "dyad_year"),
                              _need(warehouse, "derived", "state_year"), config.k,
                              config.min_alliance_level)
    spans = {f"years_{j}_{s}": f"{lo}-{hi} ({n})" for j, s, lo, hi, n in (
        frame.filter(pl.col("senior") == 2, pl.col("junior").is_in([220, 732]))
        .group_by("junior", "senior")
        .agg(pl.col("year").min().alias("lo"), pl.col("year").max().alias("hi"), pl.len())
        .rows())}
    yield from ALLIANCE_PANEL.write(context, warehouse.con, frame, metadata={
                   "k": config.k, "min_alliance_level": config.min_alliance_level,
                   "principal_patron_rows": int(frame["principal_patron"].sum()), **spans})


@dg.asset(key=CASE_SERIES.key, group_name=GROUP, kinds=KINDS,
          deps=[*_derived("alliance_panel", "event_dyad_month", "event_coverage"),
                *_raw("copdab_monthly")],
          check_specs=CASE_SERIES.specs)
def case_series(context: dg.AssetExecutionContext, warehouse: Warehouse):
    """US-ROK 1990-2012 and US-France 1955-1975: status inconsistency, respect received and
    directional defiance, yearly and monthly where COPDAB or event data allow; crisis windows
    flagged."""
    copdab = _read(warehouse, "raw", "copdab_monthly")
    if copdab is None:
        copdab = pl.DataFrame(schema={"month": pl.Date, "series": pl.Utf8, "actor": pl.Int32,
                                      "target": pl.Int32, "net_coop": pl.Float64})
    frame = cases.case_series(_need(warehouse, "derived", "alliance_panel").lazy(),
                              _need(warehouse, "derived", "event_dyad_month"),
                              _need(warehouse, "derived", "event_coverage"),
                              copdab.lazy()).collect()
    yield from CASE_SERIES.write(context, warehouse.con, frame)

