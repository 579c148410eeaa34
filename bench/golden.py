"""Golden comparison of two runs' outputs: identical except version strings?

Compares two derived folders (e.g. a run of the commit before a refactor and one after):
every warehouse table, row for row (columns that only say when, by which run or which code
version are left out), and every exported table, figure and panel file, text with version
strings masked, PNG figures pixel by pixel outside their provenance footer.

    uv run python bench/golden.py /tmp/golden/old /tmp/golden/new > /tmp/golden/report.md

Exit status 0 when everything matches, 1 otherwise; the report lists every difference.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import duckdb
import numpy as np

VOLATILE = {"run_id", "code_version", "started_at", "finished_at", "fitted_at", "created_at"}
MASKS = [
    (re.compile(r"\b[0-9a-f]{12,64}\b"), "<hex>"),                       # digests, commits
    (re.compile(r"\d+\.\d+\.\d+\+g[0-9a-f]+(\.dirty)?"), "<version>"),      # software version
    (re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?"),
     "<date>"),
]
FOOTER_SHARE = 0.08   # the bottom of a figure holds its provenance line


def tables(con: duckdb.DuckDBPyConnection, db: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = ? ORDER BY table_schema, table_name, ordinal_position",
        [db]).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for schema, table, col, dtype in rows:
        if "__" in table or schema in ("information_schema", "pg_catalog"):
            continue   # partition and staging tables stand behind their view
        out.setdefault(f"{schema}.{table}", []).append((col, dtype))
    return out


def compare_warehouses(old: Path, new: Path) -> list[str]:
    con = duckdb.connect()
    con.execute(f"ATTACH '{old}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{new}' AS b (READ_ONLY)")
    ta, tb = tables(con, "a"), tables(con, "b")
    diffs = [f"- `{t}` only in the old run" for t in sorted(set(ta) - set(tb))]
    diffs += [f"- `{t}` only in the new run" for t in sorted(set(tb) - set(ta))]
    for t in sorted(set(ta) & set(tb)):
        if ta[t] != tb[t]:
            diffs.append(f"- `{t}`: columns differ: {sorted(set(ta[t]) ^ set(tb[t]))}")
            continue
        cols = ", ".join(f'"{c}"' for c, _ in ta[t] if c not in VOLATILE)
        try:
            n_a, n_b = (con.execute(f"SELECT count(*) FROM {db}.{t}").fetchone()[0]
                        for db in ("a", "b"))
            only_a = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM a.{t} EXCEPT ALL "
                                 f"SELECT {cols} FROM b.{t})").fetchone()[0]
            only_b = con.execute(f"SELECT count(*) FROM (SELECT {cols} FROM b.{t} EXCEPT ALL "
                                 f"SELECT {cols} FROM a.{t})").fetchone()[0]
        except duckdb.Error as exc:
            diffs.append(f"- `{t}`: could not be compared ({str(exc).splitlines()[0]})")
            continue
        if only_a or only_b or n_a != n_b:
            diffs.append(f"- `{t}`: {n_a:,} vs {n_b:,} rows; {only_a:,} rows only in the old, "
                         f"{only_b:,} only in the new")
    print(f"warehouse: {len(set(ta) & set(tb))} tables compared, {len(diffs)} differ",
          file=sys.stderr)
    return diffs


def masked(text: str) -> str:
    for pattern, repl in MASKS:
        text = pattern.sub(repl, text)
    return text


def compare_png(a: Path, b: Path) -> str | None:
    import matplotlib.image as mpimg

    x, y = mpimg.imread(a), mpimg.imread(b)
    if x.shape != y.shape:
        return f"size {x.shape[:2]} vs {y.shape[:2]}"
    rows = np.flatnonzero(np.abs(x - y).reshape(x.shape[0], -1).max(axis=1) > 0)
    if rows.size and rows.min() < x.shape[0] * (1 - FOOTER_SHARE):
        return f"pixels differ from row {rows.min()} of {x.shape[0]} (above the footer)"
    return None


def compare_files(old: Path, new: Path, folders: list[str]) -> list[str]:
    diffs, n = [], 0
    for folder in folders:
        fa = {p.relative_to(old) for p in (old / folder).rglob("*") if p.is_file()}
        fb = {p.relative_to(new) for p in (new / folder).rglob("*") if p.is_file()}
        diffs += [f"- `{p}` only in the old run" for p in sorted(fa - fb)]
        diffs += [f"- `{p}` only in the new run" for p in sorted(fb - fa)]
        for rel in sorted(fa & fb):
            n += 1
            a, b = old / rel, new / rel
            if a.suffix == ".png":
                why = compare_png(a, b)
            elif a.suffix in (".pdf", ".dta", ".rds", ".parquet"):
                why = None if a.stat().st_size and b.stat().st_size else "empty file"
            else:
                ta, tb = (masked(p.read_text(errors="replace")) for p in (a, b))
                la, lb = ta.splitlines(), tb.splitlines()
                first = next((i for i, (u, v) in enumerate(zip(la, lb)) if u != v),
                             None if len(la) == len(lb) else min(len(la), len(lb)))
                why = None if first is None else (
                    f"line {first + 1}: {la[first][:80]!r} vs {lb[first][:80]!r}"
                    if first < min(len(la), len(lb)) else f"{len(la)} vs {len(lb)} lines")
            if why:
                diffs.append(f"- `{rel}`: {why}")
    print(f"files: {n} compared, {len(diffs)} differ", file=sys.stderr)
    return diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("old", type=Path, help="derived folder of the reference run")
    ap.add_argument("new", type=Path, help="derived folder of the run to check")
    ap.add_argument("--folders", nargs="*", default=["tables", "figures"])
    args = ap.parse_args(argv)
    w = compare_warehouses(args.old / "warehouse.duckdb", args.new / "warehouse.duckdb")
    f = compare_files(args.old, args.new, args.folders)
    print("## Warehouse tables\n")
    print("\n".join(w) or "Every table identical (columns " + ", ".join(sorted(VOLATILE))
          + " left out).")
    print("\n## Files\n")
    print("\n".join(f) or "Every file identical with version strings masked (PNG: outside "
          "the provenance footer).")
    return 1 if w or f else 0


if __name__ == "__main__":
    raise SystemExit(main())
