"""Fuzzed event files: seeded mutations of valid lines in every event format, and their check.

:func:`fuzz_file` writes a file of valid lines (ICEWS and GDELT from ``generate.py``; daily
and Cline Phoenix from templates of the test fixtures), each with a unique event ID, of which
about 60 % carry one mutation: truncation, an extra or a missing separator, bad UTF-8, a NUL
byte, a 100 kB field, a CRLF or CR line end, a CR inside the line (two physical lines), an
exact or a conflicting duplicate of the line before, a date out of range, a code like ``13y``,
or a blank line. It records each physical line's number and mutation. :func:`check` parses the
file with the engine (any block size) and returns every way the result breaks the contract:
the reader must finish, read = loaded + quarantined + deduplicated, every non-blank line must
end loaded, quarantined or (an exact copy) deduplicated at its own line number, and the
mutations with a known fate must meet it (bad UTF-8 quarantined naming its byte, a wrong field
count quarantined with the count found, out-of-range dates and ``13y`` quarantined, both rows
of a conflict quarantined, clean lines and CR/CRLF-ended lines loaded).

Stray quotes are not among the mutations of the quoted Cline CSV: an unbalanced quote opens a
field that runs on over the following lines, so those lines are one record by the CSV rules.

Usage (the suite runs 10,000+ mutated lines per format; this runs more)::

    uv run python bench/fuzz.py --lines 200000 --seed 1
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import polars as pl

FIXTURES = REPO / "tests" / "data" / "events"
FORMATS = ("icews", "gdelt1", "phoenix", "phoenix_historical")
KINDS = ("truncate", "extra_sep", "missing_sep", "bad_utf8", "nul", "huge", "crlf", "cr",
         "cr_inside", "dup_exact", "dup_conflict", "date_range", "code_13y", "blank")
MUTATED_SHARE = 0.6   # of lines drawn for a mutation (some draws fall back to a clean line)
# codes with their Goldstein (1992) weights, as in the real CAMEO table
CODES = {"040": "1.0", "042": "1.9", "111": "-2.0", "120": "-4.0", "130": "-4.4"}


@dataclass
class Spec:
    """Where a format keeps what the mutations touch."""

    sep: str
    header: str | None
    id_at: int
    date_at: int
    code_at: int
    date_out: str            # a date out of 1900-2100 in the format's style
    quoted: bool = False
    weight_at: int | None = None  # a weight that must equal the code's (ICEWS Intensity)


SPECS = {
    "icews": Spec("\t", None, 0, 1, 6, "1800-01-01", weight_at=7),
    "gdelt1": Spec("\t", None, 0, 1, 26, "18000101"),
    "phoenix": Spec("\t", None, 0, 1, 13, "18000101"),
    "phoenix_historical": Spec(",", None, 0, 1, 13, "1/1/1800", quoted=True),
}


@dataclass
class Line:
    """One physical line as written: its bytes (without the end), end, mutation, base index."""

    data: bytes
    end: bytes = b"\n"
    kind: str = "clean"
    base: int = -1           # index of the valid line it came from
    part: int = 0            # for cr_inside: 0 = before the CR, 1 = after


@dataclass
class Fuzzed:
    path: Path
    fmt: str
    lines: list[Line]        # data lines only, in file order (physical line = first + index)
    first: int               # physical number of the first data line
    kinds: Counter = field(default_factory=Counter)


def _base_lines(fmt: str, n: int, seed: int, tmp: Path) -> tuple[str | None, list[list[str]]]:
    """(header, rows of fields) of ``n`` valid lines with unique IDs."""
    rng = random.Random(seed)
    if fmt in ("icews", "gdelt1"):
        from bench.generate import generate
        path = tmp / f"base.{fmt}.{n}.{seed}"
        generate(path, n, seed=seed, fmt="icews" if fmt == "icews" else "gdelt")
        text = path.read_text(encoding="utf-8").splitlines()
        path.unlink()
        header, body = (text[0], text[1:]) if fmt == "icews" else (None, text)
        return header, [line.split("\t") for line in body]
    if fmt == "phoenix":
        template = (FIXTURES / "events.full.20150301.txt").read_text().splitlines()[0].split("\t")
        rows = []
        for i in range(n):
            f = list(template)
            day = rng.randrange(1, 29)
            f[0], f[1], f[4] = str(100000 + i), f"201503{day:02d}", f"{day:02d}"
            f[13] = rng.choice(list(CODES))
            f[14] = f[13][:2]
            rows.append(f)
        return None, rows
    header, *body = (FIXTURES / "PhoenixNYT_1956.sample.csv").read_text().splitlines()
    template = next(csv.reader([body[0]]))
    rows = []
    for i in range(n):
        f = list(template)
        month, day = rng.randrange(1, 13), rng.randrange(1, 29)
        f[0], f[1], f[3], f[4] = f"NYT{i}_1", f"{month}/{day}/1956", str(month), str(day)
        f[13] = rng.choice(list(CODES))
        f[14] = f[13][:2]
        rows.append(f)
    return header, rows


def _join(fields: list[str], spec: Spec, quote_all: bool) -> bytes:
    if not spec.quoted:
        return spec.sep.join(fields).encode()
    out = io.StringIO()
    csv.writer(out, delimiter=spec.sep, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
               lineterminator="").writerow(fields)
    return out.getvalue().encode()


def _boundaries(data: bytes, sep: bytes, quoted: bool) -> list[int]:
    """Byte offsets of the separators between fields (outside quotes)."""
    out, inside = [], False
    for i, b in enumerate(data):
        if quoted and b == 34:
            inside = not inside
        elif b == sep[0] and not inside:
            out.append(i)
    return out


def _mutate(rng: random.Random, kind: str, fields: list[str], spec: Spec, quote_all: bool,
            prev: Line | None, i: int) -> list[Line]:
    data = _join(fields, spec, quote_all)
    sep = spec.sep.encode()
    cuts = _boundaries(data, sep, spec.quoted)
    if kind == "truncate":
        at = rng.choice(cuts) if spec.quoted else rng.randrange(1, len(data))
        return [Line(data[:at], kind=kind, base=i)]
    if kind == "extra_sep":
        at = rng.choice(cuts) if spec.quoted else rng.randrange(0, len(data) + 1)
        extra = sep + (b'""' if quote_all else b"")
        return [Line(data[:at] + extra + data[at:], kind=kind, base=i)]
    if kind == "missing_sep":
        at = rng.choice(cuts)
        return [Line(data[:at] + data[at + 1:], kind=kind, base=i)]
    if kind in ("bad_utf8", "nul"):
        at = rng.randrange(0, len(data) + 1)
        junk = rng.choice([b"\xff", b"\xe2\x82", b"\xc3", b"\xf0\x9f\x98"]) if kind == "bad_utf8" \
            else b"\x00"
        return [Line(data[:at] + junk + data[at:], kind=kind, base=i)]
    if kind == "huge":  # into the last field, which no format reads
        return [Line(data[:-1] + b"x" * 100_000 + data[-1:], kind=kind, base=i)]
    if kind in ("crlf", "cr"):
        return [Line(data, b"\r\n" if kind == "crlf" else b"\r", kind=kind, base=i)]
    if kind == "cr_inside":  # in a CSV, outside quotes (a quoted CR is a multi-line field)
        at = rng.choice(cuts) if spec.quoted else rng.randrange(1, len(data))
        return [Line(data[:at], b"\r", kind=kind, base=i), Line(data[at:], kind=kind, base=i,
                                                                part=1)]
    if kind == "date_range":
        fields = list(fields)
        fields[spec.date_at] = spec.date_out
        return [Line(_join(fields, spec, quote_all), kind=kind, base=i)]
    if kind == "code_13y":
        fields = list(fields)
        fields[spec.code_at] = "13y"
        return [Line(_join(fields, spec, quote_all), kind=kind, base=i)]
    if kind == "blank":
        # never empty: after a line ended by CR, an empty line would make a CRLF
        return [Line(rng.choice([b" ", b"   ", b"\t\t\t" if spec.sep == "\t" else b" \x0b"]),
                     kind=kind), Line(data, base=i)]
    raise ValueError(kind)


def fuzz_file(fmt: str, mutated: int, seed: int, directory: Path) -> Fuzzed:
    """Write a fuzzed ``fmt`` file with about ``mutated`` mutated lines (see module doc)."""
    spec = SPECS[fmt]
    n = int(mutated / (0.75 * MUTATED_SHARE)) + 2
    header, rows = _base_lines(fmt, n, seed, directory)
    rng = random.Random(seed)
    lines: list[Line] = []
    for i, fields in enumerate(rows):
        quote_all = spec.quoted and rng.random() < 0.3
        kind = rng.choice(KINDS) if i > 0 and rng.random() < MUTATED_SHARE else "clean"
        prev = lines[-1] if lines else None
        if kind in ("dup_exact", "dup_conflict") and (prev is None or prev.kind != "clean"):
            kind = "clean"
        if kind == "huge" and rng.random() > 0.01:  # keep the file small: 1 % of them
            kind = "clean"
        if kind == "clean":
            lines.append(Line(_join(fields, spec, quote_all), base=i))
        elif kind == "dup_exact":
            lines.append(Line(prev.data, kind=kind, base=prev.base))
        elif kind == "dup_conflict":
            other = list(rows[prev.base])
            other[spec.code_at] = next(c for c in CODES if c != other[spec.code_at])
            if spec.weight_at is not None:
                other[spec.weight_at] = CODES[other[spec.code_at]]
            lines.append(Line(_join(other, spec, quote_all), kind=kind, base=prev.base))
        else:
            lines.extend(_mutate(rng, kind, fields, spec, quote_all, prev, i))
    name = {"icews": "events.2018.fuzz.tab", "gdelt1": "gdelt1_events_fuzz.tsv",
            "phoenix": "events.full.20150301.fuzz.txt",
            "phoenix_historical": "PhoenixNYT_fuzz.csv"}[fmt]
    path = directory / name
    with open(path, "wb") as fh:
        if header is not None:
            fh.write(header.encode() + b"\n")
        fh.writelines(line.data + line.end for line in lines)
    return Fuzzed(path, fmt, lines, 2 if header is not None else 1,
                  Counter(ln.kind for ln in lines if ln.kind != "clean" and ln.part == 0))


def _fields(data: bytes, spec: Spec) -> int:
    text = data.decode("utf-8")
    return len(next(csv.reader([text], delimiter=spec.sep))) if spec.quoted else \
        text.count(spec.sep) + 1


def check(fz: Fuzzed, cameo: pl.DataFrame, block_bytes: int | None = None) -> list[str]:
    """Every way the engine's result on ``fz`` breaks the contract (empty: none)."""
    from pipeline.lib.events import collect
    from pipeline.lib.events.registry import layout

    r = collect(fz.path, cameo, dataset=fz.fmt, block_bytes=block_bytes)
    spec, width = SPECS[fz.fmt], len(layout(fz.fmt).fields) or None
    problems: list[str] = []
    loaded = r.frame["source_line"].to_list()
    q = dict(zip(r.quarantine["line"].to_list(),
                 zip(r.quarantine["column"].to_list(), r.quarantine["reason"].to_list())))
    lines = {fz.first + k: ln for k, ln in enumerate(fz.lines)}
    conflicted = {ln.base for ln in fz.lines if ln.kind == "dup_conflict"}
    data = {n for n, ln in lines.items() if ln.data.strip()}
    if width is None:  # header layouts: the field count is the header's
        width = _fields(fz.path.open("rb").readline().rstrip(b"\n"), spec)
    if r.rows_read != len(data):
        problems.append(f"rows_read {r.rows_read} != {len(data)} non-blank lines")
    if len(set(loaded)) != len(loaded) or set(loaded) & set(q):
        problems.append("a line loaded twice, or both loaded and quarantined")
    if (set(loaded) | set(q)) - data:
        problems.append(f"rows at lines that are not data: {sorted((set(loaded) | set(q)) - data)[:5]}")
    gone = data - set(loaded) - set(q)
    if len(gone) != r.deduplicated:
        problems.append(f"{len(gone)} lines neither loaded nor quarantined, "
                        f"{r.deduplicated} deduplicated")
    loaded_set = set(loaded)
    kept = {lines[n].data.rstrip(b"\r") for n in loaded}
    problems += [f"line {n} dropped but no copy of it loaded" for n in sorted(gone)
                 if lines[n].data.rstrip(b"\r") not in kept][:5]
    for n, ln in lines.items():
        want = _fate(ln, spec, width)
        if want == "loaded" and ln.kind == "clean" and ln.base in conflicted:
            want = ("event_id", "rows with the same event_id")
        got = "loaded" if n in loaded_set else q.get(n, ("", "deduplicated"))
        if want and not _meets(want, got):
            problems.append(f"line {n} ({ln.kind}): expected {want}, got {got}")
        if len(problems) > 20:
            break
    return problems


def _fate(ln: Line, spec: Spec, width: int) -> tuple | str | None:
    """The known fate of a line: "loaded", ("column", "reason substring"), or None."""
    try:
        ln.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"byte {exc.start + 1}", "invalid utf-8 bytes")
    if not ln.data.strip():
        return None
    found = _fields(ln.data, spec)
    if found != width:
        return (None, f"expected {width} fields, found {found}")
    if ln.kind in ("clean", "crlf", "cr", "huge", "dup_exact"):
        return "loaded" if ln.kind != "dup_exact" else None
    if ln.kind == "date_range":
        return ("event_date", "outside 1900-2100")
    if ln.kind == "code_13y":
        return (None, "'13y'")
    if ln.kind == "dup_conflict":
        return ("event_id", "rows with the same event_id")
    return None


def _meets(want, got) -> bool:
    if want == "loaded":
        return got == "loaded"
    if not isinstance(got, tuple):
        return False
    column, reason = want
    return (column is None or got[0] == column) and reason in (got[1] or "")


def through_store(fz: Fuzzed, cameo: pl.DataFrame, directory: Path) -> list[str]:
    """Load the fuzzed file into a fresh warehouse's Parquet store; the view must hold what
    the log says was loaded, and the log must reconcile (NUL bytes and all)."""
    from pipeline.lib.events.load import load_partition
    from pipeline.lib.events.registry import layout
    from pipeline.lib.store import warehouse as wh

    con = wh.connect(directory / f"{fz.fmt}.duckdb")
    try:
        (load,) = load_partition(con, 2018, [(layout(fz.fmt).source, fz.path)], cameo)
        rows = con.execute("SELECT count(*) FROM raw.events").fetchone()[0]
        out = [] if load.reconciles and rows == load.loaded and not load.schema_failures \
            else [f"store: {rows} rows, log {load}"]
    finally:
        con.close()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=100_000, help="mutated lines per format")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--block-bytes", type=int, nargs="+", default=[1 << 16, 1 << 25])
    ap.add_argument("--dir", type=Path, default=None)
    a = ap.parse_args(argv)
    import tempfile

    from bench.engines import CAMEO_CSV
    from pipeline.lib.ingest.sources.cameo import parse_cameo_codes
    cameo = parse_cameo_codes(CAMEO_CSV).frame
    bad = 0
    with tempfile.TemporaryDirectory(dir=a.dir) as tmp:
        for fmt in FORMATS:
            t = time.perf_counter()
            fz = fuzz_file(fmt, a.lines, a.seed, Path(tmp))
            made = time.perf_counter() - t
            for size in a.block_bytes:
                t = time.perf_counter()
                problems = check(fz, cameo, size) + (
                    through_store(fz, cameo, Path(tmp)) if size == a.block_bytes[-1] else [])
                bad += bool(problems)
                print(f"{fmt}: {len(fz.lines):,} lines, {sum(fz.kinds.values()):,} mutated "
                      f"({dict(sorted(fz.kinds.items()))}); blocks of {size:,} B: checked in "
                      f"{time.perf_counter() - t:.1f} s (file made in {made:.1f} s); "
                      f"problems: {len(problems)} {problems[:3]}", flush=True)
            fz.path.unlink()
    return int(bad > 0)


if __name__ == "__main__":
    raise SystemExit(main())
