"""COW National Material Capabilities (NMC), abridged state-year file.

``raw.cow_nmc`` holds ``stateabb, ccode, year, milex, milper, irst, pec, tpop, upop, cinc,
version`` per state-year (METHODS §1.1). The same parser reads every abridged release that
uses these column names, found in this order of preference: v7.0 ``NMC-70-abridged.csv``,
v6.0 ``NMC-60-abridged.csv`` (shipped gzipped), v5.0 ``NMC_5_0.csv``, v4.0 ``NMC_v4_0.csv``
and the R {peacesciencer} packaging ``cow_nmc.csv`` (plain, ``.gz`` or a single-member
``.zip``; also found in the ``peacesciencer`` folder). Columns are matched by name, so their
order does not matter, and extra columns are ignored. ``stateabb`` and ``version`` are not
used by the pipeline and may be absent (peacesciencer drops both): they are NULL then, and
every other value is the same.

The release reported (``pipeline sources``, ``cite``, provenance) is read from the file: a
small ``version`` value (``5``, ``7.0``) is the release; otherwise the file name
(``NMC-70-abridged`` is 7.0); otherwise the year the publisher writes in ``version`` (2021 is
v6.0). A file that says neither (peacesciencer) is reported as the registry's release,
marked "assumed".

Coding:

- Components are coded ``-9`` when missing; they become NULL (v6.0: milex 2,217 rows, milper
  426, pec 448, upop 68, irst 26; tpop and cinc are never missing).
- ``milex`` (thousands of current USD), ``milper`` (thousands), ``irst`` (thousands of tons)
  and ``pec`` (thousands of coal-ton equivalents) are Int64, as published; a decimal value
  there is quarantined rather than truncated. ``tpop``/``upop`` (thousands) are Float64:
  their decimals appear only deep in the file (e.g. Morocco 1912).
- ``cinc`` is the mean of the state's *available* component shares, so yearly sums run from
  1.000 to 1.075 (1816: 1.0535; 2005: 1.0033). ``version`` is the file's own integer (v6.0
  says 2021, v7.0 2025).

References
----------
Singer, J. David, Stuart Bremer, and John Stuckey. 1972. "Capability Distribution,
Uncertainty, and Major Power War, 1820-1965." In *Peace, War, and Numbers*, ed. Bruce
Russett, 19-48. Beverly Hills: Sage.
Greig, J. Michael, and Andrew J. Enterline. 2021. *National Material Capabilities (NMC) Data
Documentation, Version 6.0*. Correlates of War Project.
"""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, read_csv_typed
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.releases import name_version, number, version_column
from pipeline.lib.store.results import ParseResult

COMPONENTS_INT = ("milex", "milper", "irst", "pec")
COMPONENTS_FLOAT = ("tpop", "upop")


def _between(lo: float, hi: float):
    def check(c: pl.Expr) -> pl.Expr:
        return c.is_between(lo, hi)
    return check


def _nonneg(c: pl.Expr) -> pl.Expr:
    return c >= 0


NMC_COLS = [
    Col("stateabb", optional=True),
    Col("ccode", pl.Int32, check=_between(1, 999), reason="ccode outside 1-999", required=True),
    Col("year", pl.Int32, check=_between(1816, 2100), reason="year outside 1816-2100",
        required=True),
    *[Col(c, pl.Int64, check=_nonneg, reason="negative component (not -9)")
      for c in COMPONENTS_INT],
    *[Col(c, pl.Float64, check=_nonneg, reason="negative component (not -9)")
      for c in COMPONENTS_FLOAT],
    Col("cinc", pl.Float64, check=_between(0, 1), reason="cinc outside [0, 1]", required=True),
    Col("version", pl.Int32, optional=True),
]
# The year the publisher writes in the ``version`` column of a release (v6.0 file: 2021).
VERSION_YEARS = {2021: "6.0"}


def nmc_release(path: Path) -> str | None:
    """The NMC release of ``path``: a version number in its ``version`` column, its file
    name (``NMC-70-abridged``, ``NMC_5_0``, ``NMC_v4_0``), or a known publication year."""
    value = number(version_column(path))
    if value is not None and value < 100:
        return f"{value:.1f}"
    named = name_version(path, r"^NMC[-_]v?(\d)[-_]?(\d)")
    if named:
        return named
    return VERSION_YEARS.get(int(value)) if value is not None else None


def nmc_citation(version: str) -> str:
    """BibTeX for an NMC release: Singer et al. (1972) and the release's documentation
    (v6.0: Greig & Enterline 2021) or, for other releases, the data set itself."""
    if version == "6.0":
        return SINGER_1972 + "\n" + GREIG_2021
    key = "cownmc" + version.replace(".", "")
    return SINGER_1972 + f"""
@misc{{{key},
  author = {{{{Correlates of War Project}}}},
  title = {{National Material Capabilities Data Set, Version {version}}},
  howpublished = {{\\url{{https://correlatesofwar.org/data-sets/national-material-capabilities/}}}}
}}"""


def parse_nmc(path: Path) -> ParseResult:
    """Read an abridged NMC file (v4.0-v7.0 layout); ``-9`` components become NULL.

    Parameters
    ----------
    path : ``NMC-70-abridged.csv``, ``NMC-60-abridged.csv(.gz)``, ``NMC_5_0.csv`` or similar.

    Returns
    -------
    ParseResult whose frame has the columns of :class:`CowNmc`.
    """
    return read_csv_typed(path, NMC_COLS)


class CowNmc(pa.DataFrameModel):
    """NMC components and CINC per state-year; NULL = missing (-9) in the file."""

    stateabb: pl.Utf8 = pa.Field(str_matches=r"^[A-Z]{3}$", nullable=True)
    ccode: pl.Int32 = pa.Field(ge=1, le=999)
    year: pl.Int32 = pa.Field(ge=1816, le=2100)
    milex: pl.Int64 = pa.Field(ge=0, nullable=True)
    milper: pl.Int64 = pa.Field(ge=0, nullable=True)
    irst: pl.Int64 = pa.Field(ge=0, nullable=True)
    pec: pl.Int64 = pa.Field(ge=0, nullable=True)
    tpop: pl.Float64 = pa.Field(ge=0, nullable=True)
    upop: pl.Float64 = pa.Field(ge=0, nullable=True)
    cinc: pl.Float64 = pa.Field(ge=0, le=1)
    version: pl.Int32 = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ["ccode", "year"]


SINGER_1972 = """@incollection{singer1972capability,
  author = {Singer, J. David and Bremer, Stuart and Stuckey, John},
  title = {Capability Distribution, Uncertainty, and Major Power War, 1820--1965},
  booktitle = {Peace, War, and Numbers},
  editor = {Russett, Bruce},
  publisher = {Sage},
  address = {Beverly Hills},
  year = {1972},
  pages = {19--48}
}"""
GREIG_2021 = """@manual{greig2021nmc,
  author = {Greig, J. Michael and Enterline, Andrew J.},
  title = {National Material Capabilities ({NMC}) Data Documentation, Version 6.0},
  organization = {Correlates of War Project},
  year = {2021}
}"""

NMC = Source(
    name="cow_nmc",
    title="COW National Material Capabilities (abridged)",
    version="6.0",
    citation=nmc_citation("6.0"),
    url="https://correlatesofwar.org/data-sets/national-material-capabilities/",
    patterns=("NMC-70-abridged.csv*", "NMC-60-abridged.csv*", "NMC_5_0.csv*", "NMC_v4_0.csv*",
              "cow_nmc.csv*"),
    folders=("peacesciencer",),
    release=nmc_release,
    cite=nmc_citation,
    required=True,
    sha256={
        "NMC-60-abridged.csv.gz":
            "559ede03d48208b0682cb7c27f2ffb32b9df0f1d8ce55e58406af2748274abc5",
        "NMC-60-abridged.csv":
            "cd8465ea476da51d3e91261e216e96cfaf1fbf309dbe6bfc25a99bfb9fa7cfde",
    },
    note="Shipped: v6.0 abridged, gzipped byte-identical. v7.0 (to 2022), v5.0 and the R "
         "{peacesciencer} cow_nmc.csv are also read when present; -9 becomes NULL.",
)

SOURCES: list[Source] = [NMC]
TABLES: list[RawTable] = [
    RawTable("cow_nmc", NMC, parse_nmc, CowNmc, ("ccode", "year"),
             "COW national material capabilities and CINC per state-year; -9 codes are NULL."),
]
