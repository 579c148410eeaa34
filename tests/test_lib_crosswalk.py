"""Tests for pipeline.lib.ingest.crosswalk: country identifiers -> COW ccodes."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
import pytest

from pipeline.lib.ingest import crosswalk as cw

ICEWS_NON_STATES = {"Holy See", "Hong Kong", "Occupied Palestinian Territory", "Western Sahara"}


def _cow_codes(raw) -> pl.DataFrame:
    """COW country codes file (bare-CR line endings), one row per CCode."""
    text = (raw / "cow_state_system" / "COW country codes.csv").read_bytes()
    text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return pl.read_csv(io.BytesIO(text)).unique("CCode", maintain_order=True)


def _one(kind: str, value: str | None, year: int | None = None) -> int | None:
    """ccode of a single identifier (optionally in a given year)."""
    frame = pl.DataFrame({"v": [value], "y": [year]}, schema={"v": pl.Utf8, "y": pl.Int64})
    return cw.attach_ccode(frame, "v", kind, "cc", year_col="y" if year else None)["cc"][0]


def test_attach_keeps_height_order_and_nulls():
    """Rows are never dropped, duplicated or reordered; NULL and unknown inputs give NULL."""
    values = ["Germany", None, "Atlantis", "South Korea", "Germany", "united states", None]
    frame = pl.DataFrame({"i": range(len(values)), "name": values, "year": [1980] * 7})
    out = cw.attach_ccode(frame, "name", "name", "ccode", year_col="year")
    assert out.height == frame.height
    assert out["i"].to_list() == list(range(len(values)))
    assert out.columns == ["i", "name", "year", "ccode"]
    assert out["ccode"].dtype == pl.Int32
    assert out["ccode"].to_list() == [260, None, None, 732, 260, 2, None]


def test_attach_lazy_matches_eager_and_stays_lazy():
    """A LazyFrame comes back lazy and collects to the same result as the eager call."""
    frame = pl.DataFrame({"code": ["USA", "FRA", None, "XXX", "KOR"] * 3})
    lazy = cw.attach_ccode(frame.lazy(), "code", "iso3", "ccode")
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().equals(cw.attach_ccode(frame, "code", "iso3", "ccode"))


def test_attach_overwrites_existing_out_column_in_place():
    """An existing ``out`` column is replaced where it stands, not duplicated."""
    frame = pl.DataFrame({"ccode": [0, 0], "code": ["usa ", "PRK"]})
    out = cw.attach_ccode(frame, "code", "cameo", "ccode")
    assert out.columns == ["ccode", "code"]
    assert out["ccode"].to_list() == [2, 731]


@pytest.mark.parametrize(
    ("raw_name", "expected"),
    [
        ("CÔTE D’IVOIRE", 437),
        ("Cote d'Ivoire", 437),
        ("  the Gambia ", 420),
        ("Gambia, The", 420),
        ("St. Lucia", 56),
        ("Bosnia & Herzegovina", 346),
        ("Korea, Republic Of", 732),
        ("Congo, Democratic Republic of", 490),
        ("São Tomé and Príncipe", 403),
    ],
)
def test_name_matching_is_case_accent_and_punctuation_insensitive(raw_name, expected):
    """Name variants that differ in case, accents, apostrophes, '&' or 'the' map alike."""
    assert _one("name", raw_name) == expected


@pytest.mark.parametrize(
    ("kind", "value", "year", "expected"),
    [
        ("name", "South Korea", None, 732),
        ("name", "United States", None, 2),
        ("name", "France", None, 220),
        ("name", "North Korea", None, 731),
        ("name", "Occupied Palestinian Territory", None, None),
        ("iso3", "KOR", None, 732),
        ("iso3", "USA", None, 2),
        ("iso3", "FRA", None, 220),
        ("iso3", "DEU", 2000, 255),
        ("iso3", "DEU", 1980, 260),
        ("iso3", "DEU", 1930, 255),
        ("iso3", "DEU", None, 255),
        ("iso3", "DDR", 1980, 265),
        ("iso3", "YEM", 1985, 678),
        ("iso3", "YEM", 1995, 679),
        ("iso3", "YMD", 1985, 680),
        ("iso3", "CSK", 1985, 315),
        ("iso3", "CZE", 2000, 316),
        ("iso3", "SUN", 1980, 365),
        ("iso3", "SCG", 2004, 345),
        ("fips", "KS", None, 732),
        ("fips", "KN", None, 731),
        ("fips", "GM", 2000, 255),
        ("fips", "RS", None, 365),
        ("fips", "UK", None, 200),
        ("fips", "JA", None, 740),
        ("fips", "TW", None, 713),
        ("fips", "CH", None, 710),
        ("fips", "YI", 2004, 345),
        ("cameo", "KOR", None, 732),
        ("cameo", "PRK", None, 731),
        ("cameo", "ROM", None, 360),
        ("cameo", "CZE", 1985, 315),
        ("cameo", "CZE", 2000, 316),
        ("cameo", "WSB", None, None),
        ("name", "Germany", 1980, 260),
        ("name", "Germany", None, 255),
        ("name", "Yemen", 1980, 678),
        ("iso2", "KR", None, 732),
        ("iso2", "NA", None, 565),
        ("iso2", "DE", 1980, 260),
        ("iso2", "DE", 1991, 255),
        ("iso2", "CS", 1985, 315),
        ("iso2", "CS", 2004, None),
        ("iso2", "YU", 2010, 345),
        ("iso2", "TW", 1960, 713),
    ],
)
def test_spot_checks(kind, value, year, expected):
    """Known identifiers map to the expected COW code, in the given year where one is set."""
    assert _one(kind, value, year) == expected


def test_null_year_falls_back_to_current_mapping_and_dates_work():
    """A NULL year gives the current mapping; a Date year column is read by its year."""
    frame = pl.DataFrame(
        {"code": ["DEU", "DEU", "DEU"], "day": [dt.date(1980, 5, 1), None, dt.date(2001, 1, 1)]}
    )
    out = cw.attach_ccode(frame, "code", "iso3", "cc", year_col="day")
    assert out["cc"].to_list() == [260, 255, 255]


def test_a_date_places_the_1990_changes_of_state_on_their_day():
    """With dates, DE/DEU/Germany are 260 to 1990-10-02 and 255 from 1990-10-03, YE/YEM 678 to
    1990-05-21 and 679 after; identifiers that never changed state keep their one code."""
    days = [dt.date(1990, 10, 2), dt.date(1990, 10, 3), dt.date(1990, 5, 21),
            dt.date(1990, 5, 22)]
    cases = {("iso2", "DE"): [260, 255, 260, 260], ("iso3", "DEU"): [260, 255, 260, 260],
             ("name", "Germany"): [260, 255, 260, 260],
             ("name", "Federal Republic of Germany"): [260, 255, 260, 260],
             ("name", "Federal Republic of Germany (unified)"): [255] * 4,
             ("iso2", "YE"): [679, 679, 678, 679], ("name", "Yemen"): [679, 679, 678, 679],
             ("name", "Yemen Arab Republic"): [678] * 4, ("iso2", "DD"): [265] * 4}
    for (kind, value), expected in cases.items():
        frame = pl.DataFrame({"v": [value] * 4, "day": days})
        assert cw.attach_ccode(frame, "v", kind, "cc", year_col="day")["cc"].to_list() == \
            expected, (kind, value)
    by_year = pl.DataFrame({"v": ["DE", "YE"], "y": [1990, 1990]})
    assert cw.attach_ccode(by_year, "v", "iso2", "cc", year_col="y")["cc"].to_list() == [255, 679]


def test_unknown_kind_is_rejected():
    """A kind outside name/iso2/iso3/fips/cameo raises instead of silently matching nothing."""
    with pytest.raises(ValueError, match="kind"):
        cw.attach_ccode(pl.DataFrame({"x": ["USA"]}), "x", "iso9", "cc")  # type: ignore[arg-type]


def test_unmatched_lists_null_ccodes_by_count():
    """unmatched() counts non-null identifiers without a ccode, most frequent first."""
    frame = pl.DataFrame({"code": ["USA", "XXX", "YYY", "YYY", None]})
    out = cw.unmatched(cw.attach_ccode(frame, "code", "iso3", "cc"), "code", "cc")
    assert out.rows() == [("YYY", 2), ("XXX", 1)]


def test_table_has_no_overlapping_ranges_per_kind_and_key():
    """No identifier (after normalisation) has two rows whose year ranges overlap."""
    table = cw.load_crosswalk()
    assert set(table["kind"].unique()) == set(cw.KINDS)
    assert cw.overlaps().height == 0
    dupes = (
        table.group_by("kind", "value", "start_year", "end_year").len().filter(pl.col("len") > 1)
    )
    assert dupes.height == 0


def test_overlap_check_catches_a_conflict():
    """overlaps() flags two rows for one key whose ranges intersect."""
    bad = pl.DataFrame(
        {
            "kind": ["iso3", "iso3"],
            "value": ["AAA", "aaa"],
            "ccode": [1, 2],
            "start_year": [None, 1990],
            "end_year": [1995, None],
            "note": ["", ""],
        },
        schema=cw.SCHEMA,
    )
    assert cw.overlaps(bad).height == 1


def test_a_crosswalk_with_overlapping_ranges_fails_to_load_naming_the_rows(tmp_path):
    """load_crosswalk refuses a table in which one identifier maps to two states at once."""
    path = tmp_path / "cw.csv"
    path.write_text("kind,value,ccode,start_year,end_year,note\n"
                    "iso3,AAA,1,,1995,\niso3,aaa,2,1990,,\n")
    with pytest.raises(ValueError, match="overlapping year ranges.*'ccode': 1"):
        cw.load_crosswalk(path)


def test_every_ccode_in_table_is_a_cow_state(raw):
    """Every non-null ccode in the crosswalk exists in the COW country-code list."""
    cow = set(_cow_codes(raw)["CCode"].to_list())
    used = set(cw.load_crosswalk()["ccode"].drop_nulls().to_list())
    assert used - cow == set()


def test_every_cow_state_maps_from_its_own_name(raw):
    """Each COW StateNme maps to its CCode, now and at the start year of each spell."""
    cow = _cow_codes(raw)
    now = cw.attach_ccode(cow, "StateNme", "name", "cc")
    assert now.height == 217
    assert now.filter(pl.col("cc") != pl.col("CCode")).height == 0
    assert now["cc"].null_count() == 0
    spells = pl.read_csv(raw / "cow_state_system" / "states2016.csv")
    dated = cw.attach_ccode(spells, "statenme", "name", "cc", year_col="styear")
    assert dated.filter(pl.col("cc") != pl.col("ccode")).height == 0
    assert dated["cc"].null_count() == 0


def test_icews_sample_country_names_all_states_match(raw):
    """All 151 ICEWS sample country names match except exactly four known non-states."""
    events = pl.read_csv(
        raw / "icews_sample" / "events.2018.sample.tab.gz",
        separator="\t",
        null_values="NA",
        infer_schema=False,
        quote_char=None,
    )
    names = (
        pl.concat([events[c] for c in ("Source Country", "Target Country", "Country")])
        .drop_nulls()
        .unique()
        .to_frame("country")
    )
    assert names.height == 151
    missing = cw.unmatched(cw.attach_ccode(names, "country", "name", "cc"), "country", "cc")
    assert set(missing["country"]) == ICEWS_NON_STATES
    known = cw.keyed_table("name").filter(pl.col("ccode").is_null()).collect()
    keys = names.filter(pl.col("country").is_in(ICEWS_NON_STATES)).select(
        cw.name_key(pl.col("country"))
    )
    assert keys["country"].is_in(known["key"].implode()).all()


def test_netify_iso3_and_long_names_fully_covered_and_agree(raw):
    """All 152 netify ISO3 codes and long names match, to the same ccode on every row."""
    netify = pl.read_csv(raw / "icews_dyadyear_netify" / "icews_dyadyear_counts.csv.gz")
    out = cw.attach_ccode(netify, "i_iso3c", "iso3", "by_iso", year_col="year")
    out = cw.attach_ccode(out, "i", "name", "by_name", year_col="year")
    assert out.height == netify.height
    assert out["by_iso"].null_count() == 0
    assert out["by_iso"].n_unique() == 152
    assert (out["by_iso"] == out["by_name"]).all()
    pairs = dict(out.select("i_iso3c", "by_iso").unique().iter_rows())
    assert (pairs["DEU"], pairs["KOR"], pairs["USA"], pairs["PRK"]) == (255, 732, 2, 731)


def test_gdelt_sample_actor_and_geo_codes_all_match(raw):
    """Every CAMEO actor country code and FIPS geo code in the GDELT sample matches."""
    folder = raw / "gdelt1_sample"
    columns = pl.read_csv(folder / "gdelt1_events_columns.csv")["name"].to_list()
    events = pl.read_csv(
        folder / "gdelt1_events_20160312.sample.tsv",
        separator="\t",
        has_header=False,
        new_columns=columns,
        infer_schema=False,
    )
    for col in ("Actor1CountryCode", "Actor2CountryCode"):
        out = cw.attach_ccode(events, col, "cameo", "cc")
        assert cw.unmatched(out, col, "cc").height == 0
    for col in ("Actor1Geo_CountryCode", "Actor2Geo_CountryCode", "ActionGeo_CountryCode"):
        out = cw.attach_ccode(events, col, "fips", "cc")
        assert cw.unmatched(out, col, "cc").height == 0
