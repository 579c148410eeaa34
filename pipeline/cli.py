"""Command line: ``pipeline run | sources | fetch | cite | export``.

Exit codes: 0 success; 1 a run failed (an asset, a blocking check, or with ``--strict`` a
quarantined row or checksum drift); 2 usage, a missing required source or nothing to export;
3 the warehouse is in use by another run. ``cite``, ``export`` and ``fetch`` live in
:mod:`pipeline.commands`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from pipeline.commands import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    cmd_cite,
    cmd_export,
    cmd_export_panel,
    cmd_fetch,
    ingest_rows,
)

__all__ = ["EXIT_BUSY", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


def _missing_required() -> list[str]:
    """Where to get each required source one of whose tables finds no file."""
    from pipeline.lib.catalog.sources import RAW_TABLES

    missing = {t.source.name: t.source for t in RAW_TABLES
               if t.is_required and not t.source.find(t.patterns)}
    return [s.where_to_get() for s in missing.values()]


def _cmd_run(args: argparse.Namespace) -> int:
    from pipeline.lib.report import selection
    from pipeline.lib.store import warehouse

    t0 = time.perf_counter()
    cached = selection.cached_graph() if args.select else None
    try:  # a mistyped key fails here, in well under a second, before Dagster is imported
        if cached is not None:
            selection.resolve(args.select, cached)
    except selection.UnknownAssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from pipeline.runner import materialize_all, strict_from_env, summary_text

    level = os.environ.get("PIPELINE_LOG_LEVEL") or ("INFO" if args.no_progress else "ERROR")
    try:
        outcome = materialize_all(select=args.select, force=args.force,
                                  progress=not args.no_progress, log_level=level,
                                  strict=args.strict or strict_from_env())
    except warehouse.WarehouseBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except selection.UnknownAssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    ok, text = summary_text(time.perf_counter() - t0, outcome)
    print(text)
    if ok:
        return EXIT_OK
    missing = _missing_required()
    for m in missing:
        print(f"error: required source missing: {m}", file=sys.stderr)
    return EXIT_USAGE if missing else EXIT_FAILED


def _source_lines(st, loaded: dict[str, list[tuple[str, int]]]) -> list[str]:
    """What ``pipeline sources`` says about one source (an
    :class:`~pipeline.lib.catalog.inventory.SourceStatus`); add a line here to say more."""
    s = st.source
    flag = "required" if s.required else "optional"
    if not st.files:
        return [f"[MISSING {flag}] {s.name}: {s.where_to_get()}"]
    version, how = st.release
    state = f"MISSING {flag}" if st.state == "MISSING" else st.state
    lines = [f"[{state}] {s.name} - {s.title}, version {version} ({how})"]
    if st.missing:
        tables = ", ".join(f"raw.{t}" for t in st.missing)
        lines.append(f"    no file for {tables}: {s.where_to_get()}")
    for f in st.files:
        tag = ("" if f.known is None else " (sha256 verified)" if not f.drift
               else f" (sha256 DIFFERS from the registry's {f.known[:12]}...)")
        rows = "; ".join(f"{t}: {n:,} rows" for t, n in loaded.get(str(f.path), []))
        lines.append(f"    {f.path}  sha256={f.sha256[:12]}{tag}"
                     + (f"  [{rows}]" if rows else "")
                     + ("" if f.read else "  (not read: a preferred file is)"))
    return lines


def _cmd_sources(args: argparse.Namespace) -> int:
    from pipeline.lib.catalog import inventory
    from pipeline.lib.catalog.sources import RAW_TABLES, all_sources
    from pipeline.lib.ingest.sources.unvotes_r import release_line
    from pipeline.lib.report import health
    from pipeline.lib.store.paths import raw_dirs
    from pipeline.lib.store.provenance import sha256_file

    sources = all_sources()
    loaded: dict[str, list[tuple[str, int]]] = {}
    for path, table, n in ingest_rows("SELECT source_file, table_name, sum(loaded) FROM "
                                      "raw.ingest_log GROUP BY ALL ORDER BY ALL"):
        loaded.setdefault(path, []).append((table, int(n)))
    states = inventory.inventory(sources, RAW_TABLES, sha256_file)
    for st in states:
        print("\n".join(_source_lines(st, loaded)))
    for folder, names in health.unread_files(sources, raw_dirs()).items():
        what = "no source reads this folder" if folder.endswith("/") else "no parser reads them"
        print(f"[WARN] {folder}: {len(names)} file(s), {what}: {', '.join(names)}")
    print(release_line(), end="")  # which UNGA votes release is used, when both are present
    bad = any(st.state == "MISSING" and st.source.required for st in states)
    return EXIT_USAGE if bad else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pipeline",
        description="Status inconsistency and alliance defiance: ingest, derive, model, export.",
        epilog="Exit codes: 0 success; 1 a step or blocking check failed (with --strict also "
               "quarantined rows or a checksum that differs from the registry); 2 usage "
               "error, a required source missing or nothing to export; 3 the warehouse is in "
               "use. Configuration: PIPELINE_RAW_DIRS, PIPELINE_WAREHOUSE, PIPELINE_DERIVED, "
               "PIPELINE_LOG_LEVEL, PIPELINE_STRICT, PIPELINE_SCHEDULE_CRON.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "run", help="materialize what is missing or stale (new or changed files or code)",
        description="Materialize every asset that is missing or stale, with its checks: a raw "
                    "table whose file or parser changed, an event year whose files changed, a "
                    "derived table whose inputs or code changed. With nothing changed it "
                    "returns at once. Nothing downstream of a failed asset is run. Ends with a "
                    "summary: tables and rows, failures with what they blocked, checks, "
                    "warnings (quarantined rows, checksum drift, unread files) and the log "
                    "file, which holds every event with its traceback.")
    r.add_argument("--select", nargs="*", default=None, metavar="KEY",
                   help="asset keys: raw/cow_nmc or raw.cow_nmc; raw/cow_nmc+ adds everything "
                        "downstream; raw/events[2018] one partition (default: everything)")
    r.add_argument("--force", action="store_true",
                   help="redo everything selected, stale or not")
    r.add_argument("--strict", action="store_true",
                   help="fail on quarantined rows or a file whose sha256 differs from the "
                        "registry, and run nothing downstream of them (also PIPELINE_STRICT=1)")
    r.add_argument("--no-progress", action="store_true",
                   help="no progress bar; log messages at INFO, one line each, instead")
    r.set_defaults(func=_cmd_run)
    s = sub.add_parser("sources", help="each source: found where, release, sha256; what is "
                                       "missing; files no parser reads")
    s.set_defaults(func=_cmd_sources)
    c = sub.add_parser("cite", help="versions (source, release, sha256 of the files used) and "
                                    "BibTeX for every source found (or --all)")
    c.add_argument("--all", action="store_true", help="include sources that are not present")
    c.add_argument("--versions", action="store_true", help="only the versions, no BibTeX")
    c.set_defaults(func=cmd_cite)
    e = sub.add_parser("export", help="re-write the paper's tables and figures from the warehouse")
    e.add_argument("--out", type=Path, default=None,
                   help="output directory; tables/, figures/ and PROVENANCE.json are written "
                        "in it (default: $PIPELINE_DERIVED, i.e. data/derived)")
    e.set_defaults(func=cmd_export)
    x = sub.add_parser(
        "export-panel", help="write a derived table, filtered, to Parquet, CSV, Stata and R",
        description="Write derived.<table> (or ref.countries) to <out>.parquet, .csv, .dta "
                    "(variable labels from the codebook) and .rds, with <out>.columns.csv "
                    "naming every column and its description.")
    x.add_argument("table", help="e.g. alliance_panel, dyad_year, state_year, case_series")
    x.add_argument("--years", type=int, nargs=2, metavar=("FIRST", "LAST"))
    x.add_argument("--ccodes", type=int, nargs="+", help="rows where any country code is one "
                                                          "of these (e.g. 2 732)")
    x.add_argument("--columns", nargs="+", help="columns to keep (the key is always kept)")
    x.add_argument("--format", nargs="+", default=["parquet", "csv", "dta", "rds"],
                   choices=["parquet", "csv", "dta", "rds"])
    x.add_argument("--out", type=Path, default=None, help="output path stem (default: "
                   "$PIPELINE_DERIVED/panels/<table>)")
    x.set_defaults(func=cmd_export_panel)
    f = sub.add_parser("fetch", help="download missing source files from their publishers; "
                                     "say where to get the others")
    f.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    f.add_argument("--source", nargs="+", action="extend", metavar="NAME", default=None,
                   help="only these sources (default: every source)")
    f.add_argument("--yes", action="store_true", help="download without asking")
    f.set_defaults(func=cmd_fetch)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
