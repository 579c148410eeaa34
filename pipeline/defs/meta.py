"""Materialization metadata: provenance of the input file and a profile of the output table."""


import dagster as dg
import polars as pl

from pipeline.lib.provenance import code_version
from pipeline.lib.registry import Source
from pipeline.lib.warehouse import FileIngest

_PREVIEW_ROWS = 10


def file_metadata(src: Source, ingest: FileIngest) -> dict:
    expected = src.sha256.get(ingest.path.name)
    r = ingest.result
    meta = {
        "source_file": dg.MetadataValue.path(str(ingest.path)),
        "sha256": ingest.sha256,
        "sha256_matches_registry": (expected == ingest.sha256) if expected else "not registered",
        "version": src.version_of(ingest.path, ingest.sha256)[0],
        "citation": dg.MetadataValue.md(f"```bibtex\n{src.citation.strip()}\n```"),
        "rows_read": r.rows_read,
        "quarantined": r.quarantine.height,
        "deduplicated": r.deduplicated,
        "code_version": code_version(),
    }
    for k, v in r.notes.items():
        meta[f"note_{k}"] = v if isinstance(v, (int, float, str, bool)) else str(v)
    return meta


def frame_metadata(frame: pl.DataFrame, year_col: str = "year") -> dict:
    meta = {"dagster/row_count": frame.height, "columns": ", ".join(frame.columns)}
    if frame.height:
        nulls = frame.null_count().row(0, named=True)
        shares = {c: round(n / frame.height, 4) for c, n in nulls.items() if n}
        meta["null_shares"] = dg.MetadataValue.json(shares)
        meta["preview"] = dg.MetadataValue.md(
            frame.head(_PREVIEW_ROWS).to_pandas().to_markdown(index=False))
        if year_col in frame.columns and frame[year_col].null_count() < frame.height:
            meta["year_min"] = int(frame[year_col].min())
            meta["year_max"] = int(frame[year_col].max())
    return meta


# -- versions: the asset graph as pipeline.lib.freshness sees it -------------------------------

EVENTS = dg.AssetKey(["raw", "events"])


def _defining_module(node) -> str:
    fn = getattr(node.assets_def.op.compute_fn, "decorated_fn", None)
    return getattr(fn, "__module__", None) or "pipeline"


def freshness_nodes(graph, keys=None) -> list:
    """Each materializable asset (topological order) as a :class:`freshness.Node`."""
    from pipeline.lib import freshness
    from pipeline.lib.catalog import raw_table

    nodes = []
    for key in graph.toposorted_asset_keys:
        if key not in graph.materializable_asset_keys or (keys is not None and key not in keys):
            continue
        node = graph.get(key)
        parents = tuple(sorted(p.to_user_string() for p in node.parent_keys))
        name, table = key.to_user_string(), ".".join(key.path)
        if key == EVENTS:
            nodes.append(freshness.Node(name, table, parents,
                                        freshness.code_version(_defining_module(node)),
                                        partitioned=True))
        elif key.path[0] == "raw":
            spec = raw_table(key.path[-1])
            code = freshness.code_version(_defining_module(node), spec.parser.__module__)
            nodes.append(freshness.Node(name, table, parents, code,
                                        files=tuple(spec.source.find(spec.patterns))))
        else:
            nodes.append(freshness.Node(name, table, parents,
                                        freshness.code_version(_defining_module(node))))
    return nodes


def event_year_files() -> dict[int, list]:
    """Event files per partition year (paths only)."""
    from pipeline.lib.events.discover import event_files

    return {y: [p for _, p in v] for y, v in event_files().items()}
