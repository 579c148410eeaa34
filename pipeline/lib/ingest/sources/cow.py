"""Correlates of War State System Membership (v2016 or newer) and the COW country-code list.

Four raw tables from ``data/raw/cow_state_system/`` (METHODS §1.1), all four files needed:

- ``cow_states``: ``states<YYYY>.csv`` (v2016: ``states2016.csv``), one row per membership
  spell with day-precise start and end (v2016: 243 spells, 217 ccodes).
- ``cow_system``: ``system<YYYY>.csv``, one row per state-year (v2016: 1816-2016, 15,951 rows).
  A state counts in a year if it was a member on any day of it, so France lacks only 1943.
- ``cow_majors``: ``majors<YYYY>.csv``, major-power spells (v2016: 14).
- ``cow_country_codes``: ``COW country codes.csv`` (or the publisher's
  ``COW-country-codes.csv``), renamed to ``stateabb, ccode, statenme``. The shipped file has
  bare-CR line endings (normalised by :func:`pipeline.lib.ingest.contract.decode`) and one line per
  membership spell, so its 26 exact duplicate lines are dropped and counted as
  ``deduplicated`` (243 read = 217 loaded + 26).

The NMC and Diplomatic Exchange tables live in :mod:`.cow_nmc` and :mod:`.cow_dipex`; this
module's ``SOURCES``/``TABLES`` include them, so ``cow`` is the one COW entry point.

Newer COW releases load by pattern: when several releases sit in the folder, the newest
(last by name) is read, and the release reported is the file's own ``version`` column.

References
----------
Correlates of War Project. 2017. "State System Membership List, v2016." Online,
http://correlatesofwar.org.
"""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, read_csv_typed
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.releases import name_version, version_column
from pipeline.lib.ingest.sources import cow_dipex, cow_nmc
from pipeline.lib.store.results import ParseResult


def _ccode(c: pl.Expr) -> pl.Expr:
    return c.is_between(1, 999)


def _between(lo: int, hi: int):
    def check(c: pl.Expr) -> pl.Expr:
        return c.is_between(lo, hi)
    return check


def _date_parts(prefix: str) -> list[Col]:
    """``<prefix>year/month/day`` as required integers with calendar domains."""
    return [Col(f"{prefix}year", pl.Int32, check=_between(1816, 2100), required=True,
                reason="year outside 1816-2100"),
            Col(f"{prefix}month", pl.Int8, check=_between(1, 12), required=True,
                reason="month outside 1-12"),
            Col(f"{prefix}day", pl.Int8, check=_between(1, 31), required=True,
                reason="day outside 1-31")]


_CCODE = Col("ccode", pl.Int32, check=_ccode, reason="ccode outside 1-999", required=True)
_ABB = Col("stateabb", required=True)
_VERSION = Col("version", pl.Int32, required=True)

STATES_COLS = [_ABB, _CCODE, Col("statenme", required=True), *_date_parts("st"),
               *_date_parts("end"), _VERSION]
SYSTEM_COLS = [_ABB, _CCODE, Col("year", pl.Int32, check=_between(1816, 2100), required=True,
                                 reason="year outside 1816-2100"), _VERSION]
MAJORS_COLS = [_ABB, _CCODE, *_date_parts("st"), *_date_parts("end"), _VERSION]
CODES_COLS = [Col("StateAbb", required=True, rename="stateabb"),
              Col("CCode", pl.Int32, check=_ccode, reason="ccode outside 1-999", required=True,
                  rename="ccode"),
              Col("StateNme", required=True, rename="statenme")]


def parse_states(path: Path) -> ParseResult:
    """Read ``states<YYYY>.csv`` (membership spells)."""
    return read_csv_typed(path, STATES_COLS)


def parse_system(path: Path) -> ParseResult:
    """Read ``system<YYYY>.csv`` (state-years)."""
    return read_csv_typed(path, SYSTEM_COLS)


def parse_majors(path: Path) -> ParseResult:
    """Read ``majors<YYYY>.csv`` (major-power spells)."""
    return read_csv_typed(path, MAJORS_COLS)


def parse_country_codes(path: Path) -> ParseResult:
    """Read the COW country-code list; exact duplicate lines are removed and counted."""
    return read_csv_typed(path, CODES_COLS)


_YEAR = {"ge": 1816, "le": 2100}


class CowMajors(pa.DataFrameModel):
    """Major-power spells (COW state system, v2016 layout)."""

    stateabb: pl.Utf8 = pa.Field(str_matches=r"^[A-Z]{3}$")
    ccode: pl.Int32 = pa.Field(ge=1, le=999)
    styear: pl.Int32 = pa.Field(**_YEAR)
    stmonth: pl.Int8 = pa.Field(ge=1, le=12)
    stday: pl.Int8 = pa.Field(ge=1, le=31)
    endyear: pl.Int32 = pa.Field(**_YEAR)
    endmonth: pl.Int8 = pa.Field(ge=1, le=12)
    endday: pl.Int8 = pa.Field(ge=1, le=31)
    version: pl.Int32

    class Config:
        strict = True
        unique = ["ccode", "styear", "stmonth", "stday"]


class CowStates(CowMajors):
    """State-system membership spells: the spell layout plus the state name."""

    statenme: pl.Utf8


class CowSystem(pa.DataFrameModel):
    """State-years of the COW state system."""

    stateabb: pl.Utf8 = pa.Field(str_matches=r"^[A-Z]{3}$")
    ccode: pl.Int32 = pa.Field(ge=1, le=999)
    year: pl.Int32 = pa.Field(**_YEAR)
    version: pl.Int32

    class Config:
        strict = True
        unique = ["ccode", "year"]


class CowCountryCodes(pa.DataFrameModel):
    """One row per COW country code."""

    stateabb: pl.Utf8 = pa.Field(str_matches=r"^[A-Z]{3}$")
    ccode: pl.Int32 = pa.Field(ge=1, le=999)
    statenme: pl.Utf8

    class Config:
        strict = True
        unique = ["ccode"]


_YYYY = "[12][0-9][0-9][0-9]"
STATES_FILES = (f"states{_YYYY}.csv",)
SYSTEM_FILES = (f"system{_YYYY}.csv",)
MAJORS_FILES = (f"majors{_YYYY}.csv",)
CODES_FILES = ("COW country codes.csv", "COW-country-codes.csv")
_CITATION_2016 = """@misc{cow2017states,
  author = {{Correlates of War Project}},
  title = {State System Membership List, v2016},
  year = {2017},
  howpublished = {Online, \\url{http://correlatesofwar.org}}
}"""


def state_system_release(path: Path) -> str | None:
    """The release of a state-system file: its ``version`` column (2016), else its name."""
    return version_column(path) or name_version(path, rf"^(?:states|system|majors)({_YYYY})\.")


def state_system_citation(version: str) -> str:
    """BibTeX for a release of the state system (v2016: the project's 2017 citation)."""
    if version == "2016":
        return _CITATION_2016
    return f"""@misc{{cowstates{version},
  author = {{{{Correlates of War Project}}}},
  title = {{State System Membership List, v{version}}},
  howpublished = {{Online, \\url{{http://correlatesofwar.org}}}}
}}"""


STATE_SYSTEM = Source(
    name="cow_state_system",
    title="COW State System Membership List",
    version="2016",
    citation=_CITATION_2016,
    url="https://correlatesofwar.org/data-sets/state-system-membership/",
    patterns=(*STATES_FILES, *SYSTEM_FILES, *MAJORS_FILES, *CODES_FILES),
    required=True,
    newest_first=True,
    release=state_system_release,
    cite=state_system_citation,
    needs="all four files: states<YYYY>.csv and system<YYYY>.csv and majors<YYYY>.csv (one "
          "release, e.g. 2016) and COW country codes.csv (or COW-country-codes.csv)",
    sha256={
        "states2016.csv": "3d78d333ea75a7791bf5772b203d2ab96b27e70ed52825f5293c474195f47888",
        "system2016.csv": "280e10b408c0aefb3b452e1d35d59a54d78935c08ac3a6039c47cb982cdc9f17",
        "majors2016.csv": "6ba42de12f2f63401ff5a61e6d0037d17b5dd03ed9aca07d0bc16660e03694eb",
        "COW country codes.csv":
            "9b66dad6b9c0db83bc3c15c501b033164348bd8bd82aa14974067684c4d28bc5",
    },
    download={
        "states2016.csv": "https://correlatesofwar.org/wp-content/uploads/states2016.csv",
        "system2016.csv": "https://correlatesofwar.org/wp-content/uploads/system2016.csv",
        # Saved under the name the registry (and the shared mirror) uses for this file.
        "COW country codes.csv":
            "https://correlatesofwar.org/wp-content/uploads/COW-country-codes.csv",
    },
    note="COW country codes.csv has bare-CR line endings and 26 duplicate lines.",
)

SOURCES: list[Source] = [STATE_SYSTEM, *cow_nmc.SOURCES, *cow_dipex.SOURCES]
TABLES: list[RawTable] = [
    RawTable("cow_states", STATE_SYSTEM, parse_states, CowStates,
             ("ccode", "styear", "stmonth", "stday"),
             "COW state-system membership spells with day-precise start and end dates.",
             patterns=STATES_FILES),
    RawTable("cow_system", STATE_SYSTEM, parse_system, CowSystem, ("ccode", "year"),
             "COW state-system members by year (v2016: 1816-2016).", patterns=SYSTEM_FILES),
    RawTable("cow_majors", STATE_SYSTEM, parse_majors, CowMajors,
             ("ccode", "styear", "stmonth", "stday"),
             "COW major-power spells with day-precise start and end dates.",
             patterns=MAJORS_FILES),
    RawTable("cow_country_codes", STATE_SYSTEM, parse_country_codes, CowCountryCodes,
             ("ccode",), "COW country codes with abbreviation and name, one row per code.",
             patterns=CODES_FILES),
    *cow_nmc.TABLES,
    *cow_dipex.TABLES,
]
