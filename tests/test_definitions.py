"""The Dagster definitions load, and every raw table sits behind blocking checks."""

from __future__ import annotations

import dagster as dg
import pytest

from pipeline.definitions import defs
from pipeline.defs.partitions import EVENT_YEARS
from pipeline.lib.catalog.sources import RAW_TABLES

EXPECTED_CHECKS = {"schema", "unique_key", "counts_reconcile"}


@pytest.fixture(scope="module")
def definitions() -> dg.Definitions:
    return defs()


def test_definitions_are_loadable(definitions):
    """Definitions.validate_loadable accepts the project (what `dagster dev` loads)."""
    dg.Definitions.validate_loadable(definitions)


def test_every_raw_table_has_an_asset_with_blocking_checks(definitions):
    """raw/<table> exists for each registry entry, with schema, key and count checks, all blocking."""
    graph = definitions.resolve_asset_graph()
    checks: dict[dg.AssetKey, dict[str, bool]] = {}
    for ck in graph.asset_check_keys:
        checks.setdefault(ck.asset_key, {})[ck.name] = graph.get_check_spec(ck).blocking
    keys = set(graph.materializable_asset_keys)
    for table in [*RAW_TABLES, "events"]:
        name = table if isinstance(table, str) else table.name
        key = dg.AssetKey(["raw", name])
        assert key in keys, f"no asset for raw.{name}"
        assert set(checks.get(key, {})) >= EXPECTED_CHECKS, f"raw.{name} lacks checks"
        assert all(checks[key][c] for c in EXPECTED_CHECKS), f"raw.{name} has a non-blocking check"


def test_events_are_partitioned_by_year_after_the_cameo_table(definitions):
    """raw/events uses the yearly partitions and depends on raw/cameo_codes."""
    node = definitions.resolve_asset_graph().get(dg.AssetKey(["raw", "events"]))
    assert node.partitions_def == EVENT_YEARS
    assert dg.AssetKey(["raw", "cameo_codes"]) in node.parent_keys
    assert EVENT_YEARS.get_partition_keys()[0] == "1945"


def test_asset_keys_mirror_warehouse_schemas(definitions):
    """Every asset key starts with a warehouse schema name (raw, ref, derived, models)."""
    from pipeline.lib.store.warehouse import SCHEMAS

    for key in definitions.resolve_asset_graph().materializable_asset_keys:
        assert key.path[0] in SCHEMAS, key


def test_asset_modules_are_autoloaded_without_hand_kept_lists():
    """No module under pipeline/defs but resources.py declares @dg.definitions: assets, their
    observed inputs and checks are module-level objects that load_from_defs_folder finds."""
    from pipeline.lib.store.paths import REPO_ROOT

    hand = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "pipeline" / "defs")
                  .rglob("*.py") if "@dg.definitions" in p.read_text())
    assert hand == ["pipeline/defs/resources.py"]


def test_each_raw_table_reads_an_observed_file(definitions):
    """raw/<table> depends on files/<table>, an observable source asset; raw/events on the
    event files, observed per year."""
    graph = definitions.resolve_asset_graph()
    for table in [*RAW_TABLES, "events"]:
        name = table if isinstance(table, str) else table.name
        files = dg.AssetKey(["files", name])
        assert files in graph.get(dg.AssetKey(["raw", name])).parent_keys, name
        assert graph.get(files).is_observable and graph.get(files).is_external
    assert graph.get(dg.AssetKey(["files", "events"])).partitions_def == EVENT_YEARS
