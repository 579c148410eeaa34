"""Command line: ``pipeline run | sources | fetch | cite | export``.

Exit codes: 0 success; 1 a run failed (an asset or a blocking check); 2 usage, a missing
required source or nothing to export; 3 the warehouse is in use by another run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3


class _Progress:
    """A tqdm bar over the assets (and event years) being materialized, fed by Dagster events."""

    def __init__(self, enabled: bool) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=0, unit="asset", desc="run", disable=None if enabled else True,
                        file=sys.stderr, dynamic_ncols=True)
        self.checks = self.failed = 0

    def __call__(self, entry) -> None:
        ev = entry.dagster_event
        if ev is None:
            return
        kind = ev.event_type_value
        if kind == "ASSET_MATERIALIZATION_PLANNED":
            subset = ev.event_specific_data.partitions_subset
            self.bar.total += len(subset) if subset is not None else 1
            self.bar.refresh()
        elif kind == "STEP_START":
            self.bar.set_description(ev.step_key or "run")
        elif kind == "ASSET_MATERIALIZATION":
            self.bar.update(1)
        elif kind == "ASSET_CHECK_EVALUATION":
            self.checks += 1
            self.failed += not ev.event_specific_data.passed
            self.bar.set_postfix(checks=self.checks, failed=self.failed)

    def close(self) -> None:
        self.bar.set_description("run")
        self.bar.close()


def _missing_required() -> list[str]:
    from pipeline.lib.catalog import all_sources

    return [s.where_to_get() for s in all_sources() if s.required and not s.find()]


def _cmd_run(args: argparse.Namespace) -> int:
    from pipeline.lib import warehouse
    from pipeline.runner import UnknownAssetError, materialize_all, summary

    t0 = time.perf_counter()
    bar = _Progress(not args.no_progress)
    level = os.environ.get("PIPELINE_LOG_LEVEL") or ("INFO" if args.no_progress else "WARNING")
    try:
        outcome = materialize_all(select=args.select, force=args.force, progress=bar,
                                  log_level=level)
    except warehouse.WarehouseBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except UnknownAssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        bar.close()
    print(summary(time.perf_counter() - t0, outcome))
    if outcome.ok:
        return EXIT_OK
    missing = _missing_required()
    for m in missing:
        print(f"error: required source missing: {m}", file=sys.stderr)
    return EXIT_USAGE if missing else EXIT_FAILED


def _cmd_sources(args: argparse.Namespace) -> int:
    from pipeline.lib.catalog import all_sources
    from pipeline.lib.provenance import sha256_file
    from pipeline.lib.sources.unvotes_r import release_line

    missing_required = False
    loaded = _rows_loaded()
    for s in all_sources():
        files = s.find(every=True)
        flag = "required" if s.required else "optional"
        if not files:
            missing_required |= s.required
            print(f"[MISSING {flag}] {s.name}: {s.where_to_get()}")
            continue
        print(f"[ok] {s.name} - {s.title} ({s.version})")
        for f in files:
            digest = sha256_file(f)
            known = s.sha256.get(f.name)
            tag = "" if known is None else (" (sha256 verified)" if known == digest
                                             else " (sha256 DIFFERS from registry)")
            rows = "; ".join(f"{t}: {n:,} rows" for t, n in loaded.get(str(f), []))
            print(f"    {f}  sha256={digest[:12]}{tag}" + (f"  [{rows}]" if rows else ""))
    print(release_line(), end="")  # which UNGA votes release is used, when both are present
    return EXIT_USAGE if missing_required else EXIT_OK


def _rows_loaded() -> dict[str, list[tuple[str, int]]]:
    """Per source file, the tables it loaded and their row counts (empty if no warehouse)."""
    from pipeline.lib import warehouse
    from pipeline.lib.paths import warehouse_path

    if not warehouse_path().is_file():
        return {}
    try:
        con = warehouse.connect(warehouse_path(), read_only=True)
    except warehouse.WarehouseBusyError:
        return {}
    try:
        rows = con.execute("SELECT source_file, table_name, sum(loaded) FROM raw.ingest_log "
                           "GROUP BY ALL ORDER BY ALL").fetchall()
    except Exception:  # noqa: BLE001 - an empty or older warehouse: no row counts to show
        rows = []
    finally:
        con.close()
    out: dict[str, list[tuple[str, int]]] = {}
    for path, table, n in rows:
        out.setdefault(path, []).append((table, int(n)))
    return out


def _files_used() -> dict[str, list[tuple[str, str]]]:
    """Per source, the (file, sha256) pairs the warehouse was built from (raw.ingest_log)."""
    from pipeline.lib import warehouse
    from pipeline.lib.paths import warehouse_path

    if not warehouse_path().is_file():
        return {}
    con = warehouse.connect(warehouse_path(), read_only=True)
    try:
        rows = con.execute("SELECT DISTINCT source, source_file, sha256 FROM raw.ingest_log "
                           "ORDER BY source, source_file").fetchall()
    except Exception:  # noqa: BLE001 - an empty or foreign warehouse has no log
        rows = []
    finally:
        con.close()
    used: dict[str, list[tuple[str, str]]] = {}
    for source, path, sha in rows:
        used.setdefault(source, []).append((path, sha))
    return used


def _cmd_cite(args: argparse.Namespace) -> int:
    from pipeline.lib.catalog import all_sources
    from pipeline.lib.freshness import Sha256Cache

    sources = [s for s in all_sources() if args.all or s.find()]
    used, cache = _files_used(), Sha256Cache()
    print("% Versions: source, version, sha256 of the files used "
          "(from raw.ingest_log when the warehouse has ingested them, else the files found)")
    for s in sources:
        files = used.get(s.name) or [(str(p), cache.sha256(p)) for p in s.find(every=True)]
        print(f"% {s.name:26s} {s.version}")
        for path, sha in files or [("(not present)", "-")]:
            print(f"%     sha256 {sha}  {path}")
    cache.save()
    if args.versions:
        return EXIT_OK
    print()
    for s in sources:
        print(f"% {s.name}: {s.title}, version {s.version}")
        print(s.citation.strip() + "\n")
    return EXIT_OK


def _cmd_export(args: argparse.Namespace) -> int:
    import importlib

    from pipeline.lib import warehouse
    from pipeline.lib.paths import derived_dir, warehouse_path

    export_all = importlib.import_module("pipeline.lib.exports").export_all
    if not warehouse_path().is_file():
        print(f"error: no warehouse at {warehouse_path()}; run `pipeline run` first",
              file=sys.stderr)
        return EXIT_USAGE
    out = args.out or derived_dir()
    con = warehouse.connect(warehouse_path(), read_only=True)
    try:
        written = export_all(con, out)
    except Exception as exc:  # noqa: BLE001 - report, exit 1
        print(f"error: export failed: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        con.close()
    for path in (written or {}).values():
        print(path)
    print(f"exported to {out}")
    return EXIT_OK


def _cmd_fetch(args: argparse.Namespace) -> int:
    from pipeline.lib import fetch
    from pipeline.lib.catalog import all_sources

    sources = all_sources()
    if args.source:
        by_name = {s.name: s for s in sources}
        unknown = [n for n in args.source if n not in by_name]
        if unknown:
            print(f"error: unknown source(s) {', '.join(unknown)}; known: "
                  f"{', '.join(by_name)}", file=sys.stderr)
            return EXIT_USAGE
        sources = [by_name[n] for n in dict.fromkeys(args.source)]
    items = fetch.plan(sources, with_sizes=True)
    if not items:
        print("nothing to fetch: every file with a publisher download is already present")
        return EXIT_OK
    print(f"plan: {len(items)} file(s) to download")
    for it in items:
        resume = (f", resuming from {fetch.human_size(it.part.stat().st_size)}"
                  if it.part.is_file() else "")
        check = "sha256 known" if it.sha256 else "no sha256 in registry"
        print(f"  {it.source}/{it.file} ({fetch.human_size(it.size)}, {check}{resume})\n"
              f"    from {it.url}\n    to   {it.dest}")
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


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pipeline",
        description="Status inconsistency and alliance defiance: ingest, derive, model, export.",
        epilog="Exit codes: 0 success; 1 a step or blocking check failed; 2 usage error, a "
               "required source missing or nothing to export; 3 the warehouse is in use. "
               "Configuration: PIPELINE_RAW_DIRS, PIPELINE_WAREHOUSE, PIPELINE_DERIVED, "
               "PIPELINE_LOG_LEVEL, PIPELINE_SCHEDULE_CRON.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "run", help="materialize what is missing or stale (new or changed files or code)",
        description="Materialize every asset that is missing or stale, with its checks: a raw "
                    "table whose file or parser changed, an event year whose files changed, a "
                    "derived table whose inputs or code changed. With nothing changed it "
                    "returns at once. Ends with a summary of tables, rows, checks and outputs.")
    r.add_argument("--select", nargs="*", default=None,
                   help="asset keys such as raw/cow_nmc (default: everything)")
    r.add_argument("--force", action="store_true",
                   help="redo everything selected, stale or not")
    r.add_argument("--no-progress", action="store_true",
                   help="no progress bar; Dagster logs at INFO instead")
    r.set_defaults(func=_cmd_run)
    s = sub.add_parser("sources", help="each source: found where, version, sha256; what is missing")
    s.set_defaults(func=_cmd_sources)
    c = sub.add_parser("cite", help="versions (source, version, sha256 of the files used) and "
                                    "BibTeX for every source found (or --all)")
    c.add_argument("--all", action="store_true", help="include sources that are not present")
    c.add_argument("--versions", action="store_true", help="only the versions, no BibTeX")
    c.set_defaults(func=_cmd_cite)
    e = sub.add_parser("export", help="re-write the paper's tables and figures from the warehouse")
    e.add_argument("--out", type=Path, default=None,
                   help="output directory (default: $PIPELINE_DERIVED/exports)")
    e.set_defaults(func=_cmd_export)
    f = sub.add_parser("fetch", help="download missing source files from their publishers")
    f.add_argument("--dry-run", action="store_true", help="print the plan and stop")
    f.add_argument("--source", nargs="+", action="extend", metavar="NAME", default=None,
                   help="only these sources (default: every source with a download URL)")
    f.add_argument("--yes", action="store_true", help="download without asking")
    f.set_defaults(func=_cmd_fetch)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
