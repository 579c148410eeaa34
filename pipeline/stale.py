"""What is missing or stale, read from Dagster's records: what ``pipeline run`` materializes.

Dagster records, with every materialization, the asset's code version and the data versions
of its inputs (its provenance), and with every observation of a raw file (``files/...``) the
file's sha256 as its data version. An asset (or one event year) is

- *missing* when it was never materialized, or its table is gone from the warehouse;
- *stale* when its code version differs from the one recorded with its last materialization,
  or when an input's current data version differs from the one recorded then (for a yearly
  input, when the year's files were observed with new versions since), or, for a table built
  from every event year, when a year was re-materialized after it.

These are the rules of Dagster's own stale status (the UI's "Stale" badge); the stale-status
resolver itself is not public API, so they are applied here to the public instance queries.
Everything downstream of a planned asset is planned too: its input is about to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dagster as dg

from pipeline.lib.report.summary import downstream
from pipeline.lib.store.provenance import NO_FILE
from pipeline.records import CODE_VERSION_TAG, DATA_VERSION_TAG

UPSTREAM = "an input is about to change"


@dataclass
class Plan:
    """Unpartitioned keys to materialize (topological order), event years, and why."""

    keys: list[dg.AssetKey] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.keys and not self.years


def _version(record) -> str | None:
    return record.event_log_entry.tags.get(DATA_VERSION_TAG) if record is not None else None


def _latest(instance: dg.DagsterInstance, key: dg.AssetKey, partition: str | None = None):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None),
        limit=1).records
    return records[0] if records else None


class _Reader:
    """Cached queries on the instance for one plan."""

    def __init__(self, instance: dg.DagsterInstance, graph) -> None:
        self.instance, self.graph = instance, graph
        self._current: dict = {}

    def current(self, key: dg.AssetKey, partition: str | None = None) -> str | None:
        """The data version of ``key`` now: its latest observation or materialization."""
        if (key, partition) not in self._current:
            node = self.graph.get(key)
            self._current[(key, partition)] = _version(self.instance.get_latest_data_version_record(
                key, is_source=node.is_external, partition_key=partition))
        return self._current[(key, partition)]

    def changed_since(self, key: dg.AssetKey, partition: str, pointer: int | None) -> bool:
        """Whether ``key[partition]`` has a data version other than the one it had at
        ``pointer`` (the storage id Dagster recorded as the input's event)."""
        before = (self.instance.get_latest_data_version_record(
            key, is_source=True, partition_key=partition, before_cursor=pointer + 1)
            if pointer is not None else None)
        return _version(before) != self.current(key, partition)


def _why(reader: _Reader, key: dg.AssetKey, record, partition: str | None) -> str | None:
    """Why the materialization ``record`` of ``key`` (or of one partition) is stale, if it is."""
    node = reader.graph.get(key)
    tags = record.event_log_entry.tags
    if tags.get(CODE_VERSION_TAG) != node.code_version:
        return "its code changed"
    prov = dg.DataProvenance.from_tags(tags)
    for parent in sorted(node.parent_keys):
        pnode = reader.graph.get(parent)
        name = parent.to_user_string()
        if pnode.partitions_def is not None and partition is None:
            latest = _latest(reader.instance, parent)
            pointer = prov.input_storage_ids.get(parent) if prov else None
            if latest is not None and (pointer is None or latest.storage_id > pointer):
                return f"{name} was re-materialized"
        elif pnode.partitions_def is not None:
            pointer = prov.input_storage_ids.get(parent) if prov else None
            if reader.changed_since(parent, partition, pointer):
                return f"{name}[{partition}] has a new data version"
        else:
            recorded = prov.input_data_versions.get(parent) if prov else None
            if recorded is None or recorded.value != reader.current(parent):
                return f"{name} has a new data version"
    return None


def _table_gone(record, tables: set[str]) -> bool:
    meta = record.event_log_entry.asset_materialization.metadata
    table = getattr(meta.get("dagster/table_name"), "value", None)
    status = getattr(meta.get("status"), "value", None)
    return bool(table) and status != "missing" and table not in tables


def _years(reader: _Reader, key: dg.AssetKey, tables: set[str],
           force: bool) -> tuple[list[str], dict[str, str]]:
    """Event years (partitions of ``key``) that have files or a table, and those to
    materialize, with why."""
    node = reader.graph.get(key)
    inputs = [p for p in node.parent_keys if reader.graph.get(p).partitions_def is not None]
    materialized = reader.instance.get_materialized_partitions(key)
    observed = {p for parent in inputs for p in node.partitions_def.get_partition_keys()
                if reader.current(parent, p) not in (None, NO_FILE)}
    out = {}
    for year in sorted(observed | materialized):
        record = _latest(reader.instance, key, year) if year in materialized else None
        if force:
            out[year] = "forced"
        elif record is None:
            out[year] = "never materialized"
        elif key.to_user_string().replace("/", ".") not in tables:
            out[year] = "its table is gone from the warehouse"
        elif why := _why(reader, key, record, year):
            out[year] = why
    return sorted(observed | materialized), out


def plan(graph, instance: dg.DagsterInstance, tables: set[str], *, force: bool = False,
         only: set[str] | None = None, years: set[str] | None = None) -> Plan:
    """The assets and event years to materialize, and why, from Dagster's records.

    ``tables`` are the warehouse's visible tables; ``only`` restricts what is planned (a
    ``--select``, keys as ``raw/cow_nmc``), as ``years`` does for the partitioned asset.
    """
    reader = _Reader(instance, graph)
    keys = [k for k in graph.toposorted_asset_keys if k in graph.materializable_asset_keys]
    reasons: dict[str, str] = {}
    partitioned: dict[str, str] = {}
    every_year: list[str] = []
    for key in keys:
        name = key.to_user_string()
        if graph.get(key).partitions_def is not None:
            every_year, partitioned = _years(reader, key, tables, force)
            reasons |= {f"{name}[{y}]": why for y, why in partitioned.items()}
            if partitioned:
                reasons.setdefault(name, "event years to load")
            continue
        record = _latest(instance, key)
        why = ("forced" if force else "never materialized" if record is None
               else "its table is gone from the warehouse" if _table_gone(record, tables)
               else _why(reader, key, record, None))
        if why:
            reasons[name] = why
    children = {k.to_user_string(): [c.to_user_string() for c in graph.get(k).child_keys]
                for k in keys}
    for name in downstream([n for n in reasons if "[" not in n], children):
        reasons.setdefault(name, UPSTREAM)
    picked = [k for k in keys if k.to_user_string() in reasons
              and (only is None or k.to_user_string() in only)]
    out = Plan(reasons=reasons)
    for key in picked:
        if graph.get(key).partitions_def is None:
            out.keys.append(key)
        else:
            todo = every_year if reasons[key.to_user_string()] == UPSTREAM else partitioned
            out.years = sorted(int(y) for y in todo if years is None or y in years)
    return out
