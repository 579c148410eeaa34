"""``pipeline cite | export | export-panel | fetch`` (``run`` and ``sources`` are in
:mod:`pipeline.cli`)."""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3


def ingest_rows(sql: str) -> list[tuple]:
    """Rows of a query on ``raw.ingest_log`` (none without a readable warehouse or log)."""
    from pipeline.lib.store import warehouse
    from pipeline.lib.store.paths import warehouse_path

    if not warehouse_path().is_file():
        return []
    try:
        con = warehouse.connect(warehouse_path(), read_only=True)
    except warehouse.WarehouseBusyError:
        return []
    try:
        return con.execute(sql).fetchall()
    except Exception:  # noqa: BLE001 - an empty or older warehouse has no log
        return []
    finally:
        con.close()


def cmd_cite(args: argparse.Namespace) -> int:
    """Versions of the files used, then BibTeX: each key once, standard entry types only."""
    from pipeline.lib.catalog import inventory
    from pipeline.lib.catalog.sources import RAW_TABLES, all_sources
    from pipeline.lib.outputs import bibtex
    from pipeline.lib.store.provenance import sha256_file

    sources = [s for s in all_sources() if args.all or s.find()]
    used: dict[str, list[tuple[str, str]]] = {}
    for source, path, sha in ingest_rows("SELECT DISTINCT source, source_file, sha256 "
                                         "FROM raw.ingest_log ORDER BY source, source_file"):
        used.setdefault(source, []).append((path, sha))
    print("% Versions: source, version (as the files say, else the registry's), sha256 of the "
          "files used (from raw.ingest_log when the warehouse has ingested them, else the "
          "files the parsers would read)")
    versions = {}
    for s in sources:
        files = used.get(s.name) or [
            (str(f.path), f.sha256) for f in inventory.status(s, RAW_TABLES, sha256_file).files
            if f.read]
        version, how = inventory.release_of(s, files)
        versions[s.name] = (version, how)
        print(f"% {s.name:26s} {version} ({how})")
        for path, sha in files or [("(not present)", "-")]:
            print(f"%     sha256 {sha}  {path}")
    if args.versions:
        return EXIT_OK
    seen: set[str] = set()
    for s in sources:
        version, how = versions[s.name]
        print(f"\n% {s.name}: {s.title}, version {version}")
        cited = s.citation_for(version if how == "read from the file" else None)
        repeated = [k for _, k, _ in bibtex.entries(cited) if k in seen]
        for _, entry in bibtex.merge([cited], seen):
            print(entry)
        if repeated:
            print(f"% also cites {', '.join(repeated)} (entry printed above)")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    import importlib

    from pipeline.lib.store import warehouse
    from pipeline.lib.store.paths import derived_dir, warehouse_path
    from pipeline.records import asset_versions, instance

    export_all = importlib.import_module("pipeline.lib.outputs.exports").export_all
    if not warehouse_path().is_file():
        print(f"error: no warehouse at {warehouse_path()}; run `pipeline run` first",
              file=sys.stderr)
        return EXIT_USAGE
    out = args.out or derived_dir()
    with instance() as inst:  # the versions Dagster recorded, for PROVENANCE.json
        assets = asset_versions(inst)
    con = warehouse.connect(warehouse_path(), read_only=True)
    try:
        written = export_all(con, out, assets=assets)
    except Exception as exc:  # noqa: BLE001 - report, exit 1
        print(f"error: export failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        con.close()
    for path in (written or {}).values():
        print(path)
    print(f"exported to {out}")
    return EXIT_OK


def _selected_sources(names: list[str] | None):
    from pipeline.lib.catalog.sources import all_sources

    sources = all_sources()
    if not names:
        return sources
    by_name = {s.name: s for s in sources}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        print(f"error: unknown source(s) {', '.join(unknown)}; known: {', '.join(by_name)}",
              file=sys.stderr)
        return None
    return [by_name[n] for n in dict.fromkeys(names)]


def cmd_fetch(args: argparse.Namespace) -> int:
    from pipeline.lib.catalog import fetch, inventory
    from pipeline.lib.catalog.sources import RAW_TABLES

    sources = _selected_sources(args.source)
    if sources is None:
        return EXIT_USAGE
    items = fetch.plan(sources, with_sizes=True)
    by_hand = inventory.manual(sources, RAW_TABLES)
    for line in by_hand:
        print(f"[no direct download] {line}")
    if not items:
        print("nothing to fetch: every file with a direct publisher download is present"
              + (f"; {len(by_hand)} source(s) above must be fetched by hand" if by_hand else ""))
        return EXIT_OK
    print(f"plan: {len(items)} file(s) to download")
    for it in items:
        print(f"  {it.source}/{it.file} ({fetch.human_size(it.size)}, {fetch.check_note(it)})"
              f"\n    from {it.url}\n    to   {it.dest}")
    if args.dry_run:
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            print("error: not a terminal; pass --yes to download", file=sys.stderr)
            return EXIT_USAGE
        if input(f"Download {len(items)} file(s)? [y/N] ").strip().lower() not in {"y", "yes"}:
            print("aborted: nothing downloaded")
            return EXIT_FAILED
    failed = 0
    for it in items:
        try:
            path = fetch.fetch(it, progress=True)
        except (fetch.FetchError, OSError) as exc:
            failed += 1
            print(f"[FAILED] {it.source}/{it.file}: {exc}")
            continue
        print(f"[ok] {it.source}/{it.file} -> {path} "
              f"({fetch.human_size(path.stat().st_size)}, {fetch.verified(it, path)})")
    print(f"fetched {len(items) - failed} of {len(items)} file(s)"
          + (f"; {failed} failed" if failed else ""))
    return EXIT_FAILED if failed else EXIT_OK


def cmd_export_panel(args: argparse.Namespace) -> int:
    """Write a derived table (filtered) to Parquet, CSV, Stata and R files."""
    from pipeline.lib.outputs import panel_export
    from pipeline.lib.store import warehouse
    from pipeline.lib.store.paths import derived_dir, warehouse_path

    if not warehouse_path().is_file():
        print(f"error: no warehouse at {warehouse_path()}; run `pipeline run` first",
              file=sys.stderr)
        return EXIT_USAGE
    table = args.table if "." in args.table else f"derived.{args.table}"
    out = args.out or derived_dir() / "panels" / table.split(".")[1]
    try:
        con = warehouse.connect(warehouse_path(), read_only=True)
    except warehouse.WarehouseBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    try:
        frame = panel_export.read_panel(con, table, years=tuple(args.years) if args.years
                                        else None, ccodes=args.ccodes, columns=args.columns)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        con.close()
    written = panel_export.write_panel(frame, table, out, tuple(args.format))
    for path in written.values():
        print(path)
    print(f"{frame.height:,} rows x {frame.width} columns of {table}")
    return EXIT_OK
