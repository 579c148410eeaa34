"""Fixed-seed generator of synthetic event files in the real ICEWS ``.tab`` / GDELT 1.0 layouts.

Values are drawn from the real shared samples, so every string is one a real file holds:

- ICEWS (``events.<year>.bench-n<rows>-s<seed>[-c<share>].tab``): the exact 20-column header
  of ``icews_sample/events.2018.sample.tab.gz``, tab-separated, ``NA`` for missing. Country
  names are the ICEWS names present in the sample; the source country is Zipf-distributed
  (rank = frequency in the sample, exponent ``--zipf``), 40 % of events are domestic (as in
  the sample) and the target of the others is drawn from the same Zipf law, so the dyad
  distribution is heavy-tailed (a few dyads such as USA->USA dominate). Actor names and
  sectors are those the sample pairs with that country. CAMEO codes come from the real code
  table (``cameo-codes.csv``, 312 codes), weighted by their sample frequency (+1 smoothing),
  with ``Event Text`` = the code's CAMEO name and ``Intensity`` = its Goldstein weight.
  Event IDs are unique and increasing; dates run through one calendar year in order; about
  two events per story (``Story ID``, ``Sentence Number``); publisher and location blocks are
  sample rows.
- GDELT 1.0 (``gdelt1_events_<year>.bench-...tsv``): headerless, 58 tab fields, empty =
  missing, CAMEO country codes from the pipeline crosswalk, ``EventBaseCode``,
  ``EventRootCode``, ``QuadClass`` and ``GoldsteinScale`` consistent with ``EventCode``, and
  geography/URL blocks taken from the GDELT sample rows.

``--corrupt-share p`` corrupts ``round(p * rows)`` data lines (never the header or the first
data line, so format detection still works), in equal turns of the kinds in
:data:`CORRUPTIONS`, and writes ``<file>.corrupt.csv`` (``line,kind,column,detail``; ``line``
is the 1-based physical line, header = line 1 for ICEWS).

Generation is vectorised: index arrays from numpy, strings gathered from small pools and
joined with Polars in chunks of ``--chunk`` rows, so memory stays flat in ``--rows``.

Usage::

    uv run python bench/generate.py --rows 1000000 --seed 42 --format icews --dir /tmp/x
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
SHARED_RAW = Path(os.environ.get("BENCH_SHARED_RAW", REPO.parent / "shared" / "data" / "raw"))
ICEWS_SAMPLE = SHARED_RAW / "icews_sample" / "events.2018.sample.tab.gz"
CAMEO_CSV = SHARED_RAW / "icews_sample" / "cameo-codes.csv"
GDELT_SAMPLE = SHARED_RAW / "gdelt1_sample" / "gdelt1_events_20160312.sample.tsv"
CROSSWALK = REPO / "pipeline" / "lib" / "ingest" / "data" / "country_crosswalk.csv"

ICEWS_COLUMNS = ("Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country",
                 "Event Text", "CAMEO Code", "Intensity", "Target Name", "Target Sectors",
                 "Target Country", "Story ID", "Sentence Number", "Publisher", "City",
                 "District", "Province", "Country", "Latitude", "Longitude")
# kind -> (column it touches, what is done). Every kind is one the pipeline must quarantine.
CORRUPTIONS = {
    "extra_field": (None, "a 21st (ICEWS) / 59th (GDELT) tab field appended"),
    "missing_field": (None, "the last field and its tab removed"),
    "cameo_13y": ("CAMEO Code", "CAMEO code replaced by '13y' (andybega/icews #78)"),
    "goldstein_42": ("Intensity", "weight replaced by 42 (outside [-10, 10])"),
    "intensity_mismatch": ("Intensity", "weight +-1 off the code's Goldstein (ICEWS only)"),
    "bad_date": ("Event Date", "date replaced by 2018-02-30 / 20180230"),
    "non_utf8": ("Source Name", "byte 0xFF inserted into the source actor name"),
}
GDELT_CORRUPTIONS = [k for k in CORRUPTIONS if k != "intensity_mismatch"]
_BAD_BYTE_MARK = "\x01"  # never in the pools; swapped for b"\xff" after encoding


def file_name(fmt: str, rows: int, seed: int, year: int, corrupt_share: float) -> str:
    tag = f"bench-n{rows}-s{seed}" + (f"-c{corrupt_share:g}" if corrupt_share else "")
    return f"events.{year}.{tag}.tab" if fmt == "icews" else f"gdelt1_events_{year}.{tag}.tsv"


def _zipf(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def _fmt_weight(g: float) -> str:
    """ICEWS writes weights as ``1``, ``4.5``, ``-10``."""
    return f"{g:g}"


@dataclass
class Pools:
    countries: pl.Series         # ICEWS names (or CAMEO codes), popularity order; last = NA
    country_p: np.ndarray
    actor_off: np.ndarray        # actors of country i: actor_* [off[i] : off[i] + cnt[i]]
    actor_cnt: np.ndarray
    actor_name: pl.Series
    actor_sectors: pl.Series
    codes: pl.Series
    code_text: pl.Series
    code_weight: np.ndarray      # Goldstein as float
    code_p: np.ndarray
    tail: pl.Series              # publisher .. longitude, tab-joined, from sample rows
    extra: dict


def _cameo_table() -> pl.DataFrame:
    t = pl.read_csv(CAMEO_CSV, encoding="utf8-lossy", columns=["code", "name", "goldstein"],
                    schema_overrides={"code": pl.Utf8, "name": pl.Utf8, "goldstein": pl.Float64})
    return t.unique("code", keep="first").sort("code")


def icews_pools(zipf_s: float) -> Pools:
    s = pl.read_csv(ICEWS_SAMPLE, separator="\t", quote_char=None, infer_schema=False)
    ends = [(p, s.select(pl.col(f"{p} Name").alias("name"),
                         pl.col(f"{p} Sectors").alias("sectors"),
                         pl.col(f"{p} Country").alias("country"))) for p in ("Source", "Target")]
    actors = pl.concat([f for _, f in ends]).unique(maintain_order=True)
    freq = (pl.concat([f for _, f in ends]).filter(pl.col("country") != "NA")
            .group_by("country").len().sort(["len", "country"], descending=[True, False]))
    countries = freq["country"].to_list() + ["NA"]
    rank = {c: i for i, c in enumerate(countries)}
    actors = (actors.with_columns(pl.col("country").replace_strict(rank).alias("ci"))
              .sort(["ci", "name", "sectors"]))
    cnt = np.bincount(actors["ci"].to_numpy(), minlength=len(countries))
    p = _zipf(len(countries) - 1, zipf_s)
    na_share = 0.05  # sample: 147 + 232 missing of 7,410 ends
    country_p = np.append(p * (1 - na_share), na_share)
    cameo = _cameo_table()
    used = s.group_by("CAMEO Code").len().rename({"CAMEO Code": "code"})
    cameo = cameo.join(used, on="code", how="left").with_columns(pl.col("len").fill_null(0) + 1)
    code_p = cameo["len"].to_numpy().astype(float)
    tail_cols = ICEWS_COLUMNS[13:]
    tail = s.select(pl.concat_str([pl.col(c) for c in tail_cols], separator="\t")).to_series()
    return Pools(pl.Series(countries), country_p, np.cumsum(cnt) - cnt, cnt,
                 actors["name"], actors["sectors"], cameo["code"], cameo["name"],
                 cameo["goldstein"].to_numpy(), code_p / code_p.sum(), tail, {})


def gdelt_pools(zipf_s: float) -> Pools:
    cw = pl.read_csv(CROSSWALK, infer_schema=False)
    names = cw.filter(pl.col("kind") == "name", pl.col("ccode").is_not_null()).unique(
        "ccode", keep="first").select("ccode", pl.col("value").str.to_uppercase().alias("nm"))
    codes = (cw.filter(pl.col("kind") == "cameo", pl.col("ccode").is_not_null())
             .unique("value", keep="first").join(names, on="ccode", how="left")
             .with_columns(pl.col("nm").fill_null(pl.col("value"))).sort("value"))
    # popularity order: a fixed shuffle with the big players first, as in GDELT
    head = ["USA", "CHN", "RUS", "GBR", "ISR", "IRN", "IND", "SYR", "FRA", "DEU", "JPN", "PAK",
            "TUR", "KOR", "PRK", "AFG", "IRQ", "UKR", "SAU", "EGY"]
    rest = [c for c in codes["value"].to_list() if c not in head]
    order = [c for c in head if c in codes["value"].to_list()] + rest
    codes = codes.with_columns(pl.col("value").replace_strict(
        {c: i for i, c in enumerate(order)}).alias("ci")).sort("ci")
    countries = codes["value"].to_list() + [""]
    na_share = 0.30  # GDELT often leaves one actor's country empty
    country_p = np.append(_zipf(len(countries) - 1, zipf_s) * (1 - na_share), na_share)
    types = ["GOV", "MIL", "BUS", "MED", "CVL", "COP", "JUD", "LEG", "OPP", "EDU", ""]
    an = [f"{c}\t{n}" for c, n in zip(codes["value"], codes["nm"])] + ["\t"]
    # actor pool: one (code+type, name, type) per country and type
    names_, secs = [], []
    for c, cn in zip(countries, an):
        for t in types:
            code, nm = cn.split("\t")
            names_.append(f"{code}{t}\t{nm}" if c else "\t")
            secs.append(t if c else "")
    cnt = np.full(len(countries), len(types))
    cameo = _cameo_table()
    g = pl.read_csv(GDELT_SAMPLE, separator="\t", has_header=False, quote_char=None,
                    infer_schema=False).fill_null("")
    used = g.group_by(g.columns[26]).len().rename({g.columns[26]: "code"})
    cameo = cameo.join(used, on="code", how="left").with_columns(
        pl.col("len").fill_null(0) * 20 + 1)
    code_p = cameo["len"].to_numpy().astype(float)
    geo = g.select(pl.concat_str([pl.col(c) for c in g.columns[35:56]], separator="\t")
                   ).to_series()
    url = g[g.columns[57]]
    return Pools(pl.Series(countries), country_p, np.cumsum(cnt) - cnt, cnt,
                 pl.Series(names_), pl.Series(secs), cameo["code"], cameo["name"],
                 cameo["goldstein"].to_numpy(), code_p / code_p.sum(), geo, {"url": url})


def _draw(rng: np.random.Generator, pools: Pools, m: int, domestic: float):
    k = len(pools.countries)
    src = rng.choice(k, m, p=pools.country_p)
    tgt = np.where(rng.random(m) < domestic, src, rng.choice(k, m, p=pools.country_p))
    sa = pools.actor_off[src] + (rng.random(m) * pools.actor_cnt[src]).astype(np.int64)
    ta = pools.actor_off[tgt] + (rng.random(m) * pools.actor_cnt[tgt]).astype(np.int64)
    code = rng.choice(len(pools.codes), m, p=pools.code_p)
    return src, tgt, sa, ta, code


def _dates(year: int, start: int, m: int, n: int) -> tuple[np.ndarray, pl.Series]:
    days = (pl.date_range(pl.date(year, 1, 1), pl.date(year, 12, 31), eager=True))
    idx = ((np.arange(start, start + m, dtype=np.int64) * len(days)) // n)
    return idx, days.gather(idx)


def _icews_chunk(rng, pools: Pools, start: int, m: int, n: int, year: int,
                 story0: int) -> tuple[pl.DataFrame, np.ndarray]:
    src, tgt, sa, ta, code = _draw(rng, pools, m, domestic=0.40)
    _, dates = _dates(year, start, m, n)
    new_story = rng.random(m) < 0.5
    new_story[0] = True
    story = story0 + np.cumsum(new_story)
    w = pools.code_weight[code]
    frame = pl.DataFrame({
        "Event ID": (20_000_000 + np.arange(start, start + m)).astype(np.int64),
        "Event Date": dates,
        "Source Name": pools.actor_name.gather(sa), "Source Sectors": pools.actor_sectors.gather(sa),
        "Source Country": pools.countries.gather(src),
        "Event Text": pools.code_text.gather(code), "CAMEO Code": pools.codes.gather(code),
        "Intensity": w,
        "Target Name": pools.actor_name.gather(ta), "Target Sectors": pools.actor_sectors.gather(ta),
        "Target Country": pools.countries.gather(tgt),
        "Story ID": story, "Sentence Number": rng.integers(1, 9, m),
        "_tail": pools.tail.gather(rng.integers(0, len(pools.tail), m)),
    }).with_columns(
        pl.col("Event ID").cast(pl.Utf8), pl.col("Event Date").cast(pl.Utf8),
        _weight_text(pl.col("Intensity")).alias("Intensity"),
        pl.col("Story ID").cast(pl.Utf8), pl.col("Sentence Number").cast(pl.Utf8))
    return frame, w


def _weight_text(e: pl.Expr) -> pl.Expr:
    """Float -> ICEWS text (``1``, ``4.5``, ``-10``) without Python loops."""
    r = e.round(1)
    return (pl.when(r == r.round(0)).then(r.cast(pl.Int64).cast(pl.Utf8))
            .otherwise(r.cast(pl.Utf8)))


def _gdelt_chunk(rng, pools: Pools, start: int, m: int, n: int, year: int,
                 story0: int) -> tuple[pl.DataFrame, np.ndarray]:
    src, tgt, sa, ta, code = _draw(rng, pools, m, domestic=0.15)
    didx, dates = _dates(year, start, m, n)
    w = pools.code_weight[code]
    codes = pools.codes.gather(code)
    e = lambda: pl.lit("")
    frame = pl.DataFrame({
        "GLOBALEVENTID": (700_000_000 + np.arange(start, start + m)).astype(np.int64),
        "date": dates, "doy": didx, "a1": pools.actor_name.gather(sa),
        "a1t": pools.actor_sectors.gather(sa), "c1": pools.countries.gather(src),
        "a2": pools.actor_name.gather(ta), "a2t": pools.actor_sectors.gather(ta),
        "c2": pools.countries.gather(tgt), "root": rng.integers(0, 2, m),
        "EventCode": codes, "w": w, "mentions": rng.integers(1, 20, m),
        "tone": np.round(rng.normal(-1.5, 3.0, m), 6),
        "geo": pools.tail.gather(rng.integers(0, len(pools.tail), m)),
        "url": pools.extra["url"].gather(rng.integers(0, len(pools.extra["url"]), m)),
    })
    root = pl.col("EventCode").str.slice(0, 2)
    quad = (pl.when(root.cast(pl.Int32) <= 5).then(1).when(root.cast(pl.Int32) <= 8).then(2)
            .when(root.cast(pl.Int32) <= 13).then(3).otherwise(4))
    ds = pl.col("date").dt.strftime("%Y%m%d")
    a = lambda c, t, nm: [pl.col(nm).str.split("\t").list.get(0), pl.col(nm).str.split("\t")
                          .list.get(1), pl.col(c), e(), e(), e(), e(), pl.col(t), e(), e()]
    cols = [
        pl.col("GLOBALEVENTID").cast(pl.Utf8), ds, ds.str.slice(0, 6), ds.str.slice(0, 4),
        (pl.lit(year) + pl.col("doy") / 365).round(4).cast(pl.Utf8),
        *a("c1", "a1t", "a1"), *a("c2", "a2t", "a2"),
        pl.col("root").cast(pl.Utf8), pl.col("EventCode"), pl.col("EventCode").str.slice(0, 3),
        root, quad.cast(pl.Utf8), pl.col("w").round(1).cast(pl.Utf8).alias("GoldsteinScale"),
        pl.col("mentions").cast(pl.Utf8), (pl.col("mentions") // 3 + 1).cast(pl.Utf8),
        pl.col("mentions").cast(pl.Utf8), pl.col("tone").cast(pl.Utf8), pl.col("geo"),
        (pl.lit(year + 1) * 10000 + 101).cast(pl.Utf8), pl.col("url"),
    ]
    names = ["f0", "f1", "f2", "f3", "f4"] + [f"a{i}" for i in range(20)] + [
        "f25", "EventCode", "f27", "f28", "f29", "Intensity", "f31", "f32", "f33", "f34",
        "geo", "f56", "f57"]
    out = frame.select([c.alias(nm) for c, nm in zip(cols, names)])
    out = out.rename({"f1": "Event Date", "a1": "Source Name"})
    return out, w


def _corrupt(frame: pl.DataFrame, w: np.ndarray, local: np.ndarray, kinds: list[str],
             fmt: str) -> pl.DataFrame:
    """Apply corruption ``kinds[i]`` to chunk row ``local[i]``; returns a one-column frame."""
    m = frame.height
    kind = np.full(m, "", dtype=object)
    kind[local] = kinds
    k = pl.Series("_k", kind.astype(str))
    mism = np.where(w <= 9, w + 1, w - 1)
    date_bad = "2018-02-30" if fmt == "icews" else "20180230"
    code_col = "CAMEO Code" if fmt == "icews" else "EventCode"
    f = frame.with_columns(k).with_columns(
        pl.when(pl.col("_k") == "cameo_13y").then(pl.lit("13y"))
        .otherwise(pl.col(code_col)).alias(code_col),
        pl.when(pl.col("_k") == "goldstein_42").then(pl.lit("42"))
        .when(pl.col("_k") == "intensity_mismatch")
        .then(_weight_text(pl.lit(pl.Series("m", mism))))
        .otherwise(pl.col("Intensity")).alias("Intensity"),
        pl.when(pl.col("_k") == "bad_date").then(pl.lit(date_bad))
        .otherwise(pl.col("Event Date")).alias("Event Date"),
        pl.when(pl.col("_k") == "non_utf8")
        .then(pl.col("Source Name") + pl.lit(_BAD_BYTE_MARK) + pl.lit("x"))
        .otherwise(pl.col("Source Name")).alias("Source Name"),
    )
    line = pl.concat_str([pl.col(c) for c in frame.columns], separator="\t")
    line = (pl.when(pl.col("_k") == "extra_field").then(line + pl.lit("\tEXTRA"))
            .when(pl.col("_k") == "missing_field").then(line.str.replace(r"\t[^\t]*$", ""))
            .otherwise(line))
    return f.select(line.alias("line"))


def _lines(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.concat_str([pl.col(c) for c in frame.columns], separator="\t")
                        .alias("line"))


def generate(path: Path, rows: int, seed: int = 42, fmt: str = "icews", year: int = 2018,
             corrupt_share: float = 0.0, chunk: int = 500_000, zipf_s: float = 1.1) -> Path:
    """Write ``rows`` events to ``path`` (+ ``path.corrupt.csv`` when corrupting)."""
    rng = np.random.default_rng(seed)
    pools = icews_pools(zipf_s) if fmt == "icews" else gdelt_pools(zipf_s)
    kinds_all = list(CORRUPTIONS) if fmt == "icews" else GDELT_CORRUPTIONS
    n_bad = round(corrupt_share * rows)
    bad_rows = np.sort(rng.choice(np.arange(1, rows), size=n_bad, replace=False)) if n_bad \
        else np.empty(0, dtype=np.int64)
    bad_kind = np.array([kinds_all[i % len(kinds_all)] for i in range(n_bad)], dtype=object)
    rng.shuffle(bad_kind)
    offset = 2 if fmt == "icews" else 1  # physical line of data row 0
    make = _icews_chunk if fmt == "icews" else _gdelt_chunk
    tmp = path.with_name(path.name + ".part")
    story = 47_000_000
    with open(tmp, "wb") as fh:
        if fmt == "icews":
            fh.write(("\t".join(ICEWS_COLUMNS) + "\n").encode())
        for start in range(0, rows, chunk):
            m = min(chunk, rows - start)
            frame, w = make(rng, pools, start, m, rows, year, story)
            story += m
            sel = (bad_rows >= start) & (bad_rows < start + m)
            if sel.any():
                lines = _corrupt(frame, w, bad_rows[sel] - start, list(bad_kind[sel]), fmt)
            else:
                lines = _lines(frame)
            buf = io.BytesIO()
            lines.write_csv(buf, include_header=False, quote_style="never")
            data = buf.getvalue()
            if sel.any() and "non_utf8" in bad_kind[sel]:
                data = data.replace(_BAD_BYTE_MARK.encode(), b"\xff")
            fh.write(data)
    os.replace(tmp, path)
    if corrupt_share:
        with open(path.with_name(path.name + ".corrupt.csv"), "w", newline="") as fh:
            wr = csv.writer(fh)
            wr.writerow(["line", "kind", "column", "detail"])
            for r, kd in zip(bad_rows, bad_kind):
                col, detail = CORRUPTIONS[kd]
                wr.writerow([int(r) + offset, kd, col or "", detail])
    return path


def ensure(rows: int, seed: int, fmt: str, directory: Path, year: int = 2018,
           corrupt_share: float = 0.0) -> Path:
    """Path of the cached file for (rows, seed, format, share); generated when missing."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / file_name(fmt, rows, seed, year, corrupt_share)
    if not path.exists():
        generate(path, rows, seed, fmt, year, corrupt_share)
    return path


def default_dir() -> Path:
    return Path(os.environ.get("TMPDIR") or tempfile.gettempdir()) / "pipeline-bench"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--format", choices=["icews", "gdelt"], default="icews")
    ap.add_argument("--year", type=int, default=2018)
    ap.add_argument("--corrupt-share", type=float, default=0.0)
    ap.add_argument("--chunk", type=int, default=500_000)
    ap.add_argument("--zipf", type=float, default=1.1, help="Zipf exponent of countries")
    ap.add_argument("--dir", type=Path, default=default_dir())
    ap.add_argument("--force", action="store_true", help="regenerate even if cached")
    a = ap.parse_args(argv)
    a.dir.mkdir(parents=True, exist_ok=True)
    path = a.dir / file_name(a.format, a.rows, a.seed, a.year, a.corrupt_share)
    if path.exists() and not a.force:
        print(f"cached: {path}")
        return
    t = time.perf_counter()
    generate(path, a.rows, a.seed, a.format, a.year, a.corrupt_share, a.chunk, a.zipf)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB, {a.rows:,} rows) "
          f"in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    print(path)


if __name__ == "__main__":
    main()
