"""Command line: ``pipeline run | sources | cite``.

Exit codes: 0 success; 1 a run failed (an asset or a blocking check); 2 usage or a missing
required source; 3 the warehouse is in use by another run.
"""

from __future__ import annotations

import argparse
import sys
import time

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3


def _cmd_run(args: argparse.Namespace) -> int:
    from pipeline.lib import warehouse
    from pipeline.runner import materialize_all, summary

    t0 = time.perf_counter()
    try:
        ok = materialize_all(select=args.select)
    except warehouse.WarehouseBusyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    print(summary(time.perf_counter() - t0))
    return EXIT_OK if ok else EXIT_FAILED


def _cmd_sources(args: argparse.Namespace) -> int:
    from pipeline.lib.catalog import all_sources
    from pipeline.lib.provenance import sha256_file

    missing_required = False
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
            print(f"    {f}  sha256={digest[:12]}{tag}")
    return EXIT_USAGE if missing_required else EXIT_OK


def _cmd_cite(args: argparse.Namespace) -> int:
    from pipeline.lib.catalog import all_sources

    for s in all_sources():
        if args.all or s.find():
            print(f"% {s.name}: {s.title}, version {s.version}")
            print(s.citation.strip() + "\n")
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
        epilog="Configuration: PIPELINE_RAW_DIRS, PIPELINE_WAREHOUSE, PIPELINE_DERIVED.")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="materialize every asset (or a selection) with checks")
    r.add_argument("--select", nargs="*", default=None,
                   help="asset keys such as raw/cow_nmc (default: everything)")
    r.set_defaults(func=_cmd_run)
    s = sub.add_parser("sources", help="each source: found where, version, sha256; what is missing")
    s.set_defaults(func=_cmd_sources)
    c = sub.add_parser("cite", help="BibTeX for every source found (or --all)")
    c.add_argument("--all", action="store_true", help="include sources that are not present")
    c.set_defaults(func=_cmd_cite)
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
