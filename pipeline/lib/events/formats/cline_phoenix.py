"""Cline Center Historical Phoenix Event Data (Althaus et al. 2017), CSV with a header.

v1.0.0: NYT 1945-2005, SWB 1979-2015, FBIS 1995-2004. jrhammond/EventNetworks
``ingest_histphoenix.R`` reads ``aid``, ``story_date`` (``M/D/YYYY``), ``source``,
``source_root``, ``source_agent``, ``target``, ``target_root``, ``target_agent``, ``code``,
``root_code``, ``quad_class``, ``goldstein``; edunford/phx lists the full set (``eid, year,
month, day, source_others, target_others, joined_issues, lat, lon, placename, statename,
countryname, aid, process``). Columns are found by name, accepting the snake_case names or the
CamelCase ones (``EventID``, ``Date``, ``EventCode``, ``GoldsteinScore``, ...); the separator
is whichever of comma or tab the header uses; fields may be quoted; dates may be ``M/D/YYYY``,
``YYYY-MM-DD`` or ``YYYYMMDD``. Goldstein and class are recomputed as for daily Phoenix.

References
----------
Althaus, S., J. Bajjalieh, J. F. Carter, B. Peyton and D. A. Shalmon. 2017. *Cline Center
Historical Phoenix Event Data*, v.1.0.0. Cline Center for Advanced Social Research.
"""

from __future__ import annotations

from pipeline.lib.ingest.registry import Source

from ..layout import Layout, split_header
from .phoenix import LOW_CARD, SIDES, phoenix_cols

DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%Y%m%d")
ALIASES = {  # column -> accepted header names (any case)
    "eventid": ("eid", "eventid"), "date": ("story_date", "date"),
    "source": ("source", "sourceactorfull"), "source_root": ("source_root", "sourceactorentity"),
    "source_agent": ("source_agent", "sourceactorrole"),
    "source_others": ("source_others", "sourceactorattribute"),
    "target": ("target", "targetactorfull"), "target_root": ("target_root", "targetactorentity"),
    "target_agent": ("target_agent", "targetactorrole"),
    "target_others": ("target_others", "targetactorattribute"),
    "code": ("code", "eventcode"), "goldstein": ("goldstein", "goldsteinscore"),
}

SOURCE = Source(
    name="phoenix_historical", title="Cline Center Historical Phoenix Event Data",
    version="v1.0.0 (2017-06-30): NYT 1945-2005, SWB 1979-2015, FBIS 1995-2004",
    citation="""@misc{althaus2017phoenix,
  author = {Althaus, Scott and Bajjalieh, Joseph and Carter, John F. and Peyton, Buddy
            and Shalmon, Dan A.},
  title = {Cline Center Historical Phoenix Event Data}, note = {v.1.0.0, June 30},
  publisher = {Cline Center for Advanced Social Research}, year = {2017},
  url = {http://www.clinecenter.illinois.edu/data/event/phoenix/}}""",
    url="https://clinecenter.illinois.edu/project/machine-generated-event-data-projects/"
        "phoenix-data",
    patterns=("*Phoenix*.csv", "*Phoenix*.csv.gz", "*Phoenix*.csv.zip", "*phoenix*.csv"))


def _detect(first: str) -> bool:
    """A header naming (by any alias) the date, the code and both actors."""
    names = {n.lower() for n in split_header(first, LAYOUT)[0]}
    return all(names & set(ALIASES[k]) for k in ("date", "code", "source", "target"))


LAYOUT = Layout(
    dataset="phoenix_historical", source=SOURCE, detect=lambda first: _detect(first),
    header=True, quoted=True, sep=",", aliases=ALIASES,
    cols=phoenix_cols(DATE_FORMATS, optional_others=True),
    event_id="eventid", date="date", date_formats=DATE_FORMATS, code="code", weight="goldstein",
    source_side=SIDES["source"], target_side=SIDES["target"], country_kind="cameo",
    sector_sep=";", low_card=LOW_CARD,
)
