"""Materialization metadata: provenance of the input file and a profile of the output table."""


import dagster as dg
import polars as pl

from pipeline.lib.ingest.registry import Source
from pipeline.lib.store.warehouse import FileIngest

_PREVIEW_ROWS = 10


def file_metadata(src: Source, ingest: FileIngest) -> dict:
    """Provenance of a loaded file: path, sha256 (the data version of its ``files/`` asset),
    whether the registry knows it, release, citation and the parser's counts."""
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
