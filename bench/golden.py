"""Golden comparison of two runs' outputs: identical except version strings?

Compares two derived folders (e.g. a run of the commit before a refactor and one after):
every warehouse table, row for row (columns that only say when, by which run or which code
version are left out), and every exported table, figure and panel file, text with version
strings masked, PNG figures pixel by pixel outside their provenance footer. Parallel sums
(Polars, DuckDB) add in an order that varies from run to run, so two runs of one commit differ
in the last bits (1e-16 to 1e-11 measured): table floats are equal within a relative
``TOLERANCE``, numbers in text files rounded to ``DECIMALS`` places.

    uv run python bench/golden.py /tmp/golden/old /tmp/golden/new > /tmp/golden/report.md

Exit status 0 when everything matches, 1 otherwise; the report lists every difference.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import duckdb
import numpy as np

DECIMALS = 8
TOLERANCE = 1e-9
VOLATILE = {"run_id", "code_version", "started_at", "finished_at", "fitted_at", "created_at"}
NUMBER = re.compile(r"-?\d+\.\d+(?:[eE][-+]?\d+)?")
MASKS = [
    (re.compile(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{12,64}\b"), "<hex>"),      # digests, commits
    (re.compile(r"\d+\.\d+\.\d+\+g[0-9a-f]+(\.dirty)?"), "<version>"),      # software version
    (re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:?\d{2}|Z)?)?"),
     "<date>"),
]
FOOTER_SHARE = 0.25   # the bottom of a figure holds its provenance lines (up to 4, wrapped)


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


def normalised(col: str, dtype: str) -> str:
    """SQL for a column with floating-point noise rounded away (numbers stored as text too)."""
    c = f'"{col}"'
    if dtype in ("DOUBLE", "FLOAT"):
        return f"round({c}, {DECIMALS}) + 0.0"
    if dtype in ("DOUBLE[]", "FLOAT[]"):
        return f"list_transform({c}, x -> round(x, {DECIMALS}) + 0.0)"
    if dtype == "VARCHAR":
        return (f"CASE WHEN regexp_full_match({c}, '-?[0-9]+\\.[0-9]+([eE][-+]?[0-9]+)?') "
                f"THEN CAST(round(CAST({c} AS DOUBLE), {DECIMALS}) + 0.0 AS VARCHAR) ELSE {c} END")
    return c


FLOATS = ("DOUBLE", "FLOAT", "DOUBLE[]", "FLOAT[]")


def _unmatched(con: duckdb.DuckDBPyConnection, t: str, keep: list[tuple[str, str]], x: str,
               y: str) -> list[tuple]:
    """Rows of ``x.t`` (raw values) without a twin in ``y.t`` once floats are rounded (row by
    row: a row repeated k times needs k twins)."""
    key = f"row({', '.join(normalised(c, d) for c, d in keep)})"
    raw = ", ".join(f'"{c}"' for c, _ in keep)

    def numbered(db: str) -> str:
        return (f"SELECT {raw}, {key} AS _k, row_number() OVER (PARTITION BY {key}) AS _n "
                f"FROM {db}.{t}")

    return con.execute(
        f"WITH x AS ({numbered(x)}), y AS ({numbered(y)}) SELECT x.* EXCLUDE (_k, _n) FROM x "
        f"ANTI JOIN y ON x._k IS NOT DISTINCT FROM y._k AND x._n = y._n").fetchall()


def _close(u, v) -> bool:
    if isinstance(u, list) and isinstance(v, list):
        return len(u) == len(v) and all(_close(a, b) for a, b in zip(u, v))
    if isinstance(u, float) and isinstance(v, float):
        return (math.isnan(u) and math.isnan(v)) or abs(u - v) <= TOLERANCE * max(1.0, abs(u), abs(v))
    return u == v


def _beyond_tolerance(rows_a: list[tuple], rows_b: list[tuple], kinds: list[str]) -> int:
    """Rows left unmatched once rows agreeing on every non-float column are paired and their
    floats compared within a relative tolerance (a value on a rounding boundary, such as
    0.5212702495, rounds one way in one run and the other way in the next)."""
    exact = [i for i, d in enumerate(kinds) if d not in FLOATS]

    def group(rows: list[tuple]) -> dict[tuple, list[tuple]]:
        out: dict[tuple, list[tuple]] = {}
        for r in rows:
            out.setdefault(tuple(repr(r[i]) for i in exact), []).append(r)
        return out

    ga, gb = group(rows_a), group(rows_b)
    left = 0
    for k in set(ga) | set(gb):
        ys = list(gb.get(k, []))
        for r in ga.get(k, []):
            twin = next((q for q in ys if _close(list(r), list(q))), None)
            if twin is None:
                left += 1
            else:
                ys.remove(twin)
        left += len(ys)
    return left


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
        keep = [(c, d) for c, d in ta[t] if c not in VOLATILE]
        try:
            n_a, n_b = (con.execute(f"SELECT count(*) FROM {db}.{t}").fetchone()[0]
                        for db in ("a", "b"))
            only_a, only_b = (_unmatched(con, t, keep, x, y) for x, y in (("a", "b"), ("b", "a")))
        except duckdb.Error as exc:
            diffs.append(f"- `{t}`: could not be compared ({str(exc).splitlines()[0]})")
            continue
        left = _beyond_tolerance(only_a, only_b, [d for _, d in keep])
        if left or n_a != n_b:
            diffs.append(f"- `{t}`: {n_a:,} vs {n_b:,} rows; {left:,} rows differ beyond a "
                         f"relative {TOLERANCE:g}")
    print(f"warehouse: {len(set(ta) & set(tb))} tables compared, {len(diffs)} differ",
          file=sys.stderr)
    return diffs


def masked(text: str) -> str:
    text = NUMBER.sub(lambda m: repr(round(float(m.group()), DECIMALS) + 0.0), text)
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
    print("\n".join(w) or f"Every table identical within a relative {TOLERANCE:g} (columns "
          + ", ".join(sorted(VOLATILE)) + " left out).")
    print("\n## Files\n")
    print("\n".join(f) or "Every file identical with version strings masked (PNG: outside "
          "the provenance footer).")
    return 1 if w or f else 0


if __name__ == "__main__":
    raise SystemExit(main())
