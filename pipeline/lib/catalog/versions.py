"""The release of each source loaded into the warehouse, as its files say it (NMC 7.0, state
system 2024, ...), for PROVENANCE.json and the notes under tables and figures."""

from __future__ import annotations

from pathlib import Path

from pipeline.lib.catalog.inventory import release_of
from pipeline.lib.catalog.sources import all_sources


def source_versions(con) -> list[dict]:
    """Per source loaded into the warehouse (``raw.ingest_log``): its release as the loaded
    files say it, how that is known, and the files with their sha256."""
    rows = con.execute("SELECT DISTINCT source, source_file, sha256 FROM raw.ingest_log "
                       "ORDER BY ALL").fetchall()
    files: dict[str, list[tuple[str, str]]] = {}
    for source, path, sha in rows:
        files.setdefault(source, []).append((path, sha))
    out = []
    for s in all_sources():
        if s.name in files:
            version, how = release_of(s, files[s.name])
            out.append({"source": s.name, "title": s.title, "version": version, "how": how,
                        "files": [{"file": Path(p).name, "sha256": h} for p, h in files[s.name]]})
    return out


def versions_note(con, sources: list[str] | None = None) -> str:
    """One line for a table or figure note: ``Data: <title> <release>; ...`` for the sources
    loaded (or only ``sources``), each release as its files say it."""
    parts = [f"{v['title']} {v['version']}" for v in source_versions(con)
             if sources is None or v["source"] in sources]
    return "Data: " + "; ".join(parts) + "." if parts else ""
