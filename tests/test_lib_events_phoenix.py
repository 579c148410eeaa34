"""Phoenix parsers on hand-written files in the published layouts (no sample is shipped)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pipeline.lib.events import EventsSchema, parse_event_file
from pipeline.lib.events.formats.phoenix import PHOENIX_COLUMNS
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.sources.cameo import parse_cameo_codes

FIXTURES = Path(__file__).parent / "data" / "events"
DAILY = FIXTURES / "events.full.20150301.txt"
HISTORICAL = FIXTURES / "PhoenixNYT_1956.sample.csv"


@pytest.fixture(scope="module")
def cameo(raw) -> pl.DataFrame:
    """The CAMEO code table from the shared sample."""
    return parse_cameo_codes(raw / "icews_sample" / "cameo-codes.csv").frame


@pytest.fixture(scope="module")
def daily(cameo):
    return parse_phoenix(DAILY, cameo)


@pytest.fixture(scope="module")
def historical(cameo):
    return parse_event_file(HISTORICAL, cameo)


def parse_phoenix(path, cameo):
    return parse_event_file(path, cameo, dataset="phoenix")


def parse_phoenix_historical(path, cameo):
    return parse_event_file(path, cameo, dataset="phoenix_historical")


def _row(result, event_id: str) -> dict:
    return result.frame.filter(pl.col("event_id") == event_id).to_dicts()[0]


def test_daily_phoenix_layout_has_the_26_postprocess_fields():
    """The layout is the 26 tab fields phoenix_pipeline's create_strings writes."""
    assert len(PHOENIX_COLUMNS) == 26
    assert PHOENIX_COLUMNS[5:9] == ("source", "source_root", "source_agent", "source_others")
    assert PHOENIX_COLUMNS[13:17] == ("code", "root_code", "quad_class", "goldstein")


def test_daily_phoenix_file_reconciles_and_passes_the_schema(daily):
    """6 lines = 3 loaded + 2 quarantined (bad code, 25 fields) + 1 exact duplicate."""
    assert (daily.rows_read, daily.loaded, daily.quarantine.height, daily.deduplicated) == (
        6, 3, 2, 1)
    assert daily.quarantine.sort("line")["reason"].to_list() == [
        "invalid CAMEO code: '1x4'", "expected 26 fields, found 25"]
    EventsSchema.validate(daily.frame, lazy=True)


def test_phoenix_goldstein_and_class_are_recomputed_from_our_cameo_table(daily):
    """Code 163: Phoenix weighs -6.5 and calls it verbal conflict; we use -8.0 and class 4."""
    row = _row(daily, "phoenix:4002")
    assert (row["raw_goldstein"], row["goldstein"], row["quad_class"]) == (-6.5, -8.0, 4)


def test_phoenix_roots_map_to_ccodes_and_agents_become_sectors(daily):
    """USA→KOR is 2→732 with GOV sectors; an IGO root has no ccode and is counted."""
    row = _row(daily, "phoenix:4001")
    assert (row["source_ccode"], row["target_ccode"], row["source_sectors"]) == (2, 732, "GOV")
    igo = _row(daily, "phoenix:4003")
    assert igo["source_ccode"] is None and igo["target_sectors"] == "MIL,ELI"
    assert daily.notes["unmatched_countries"] == {"IGO": 1}


def test_historical_phoenix_reads_month_first_story_dates(historical):
    """``story_date`` 3/15/1956 is 15 March; an impossible 2/30/1956 is quarantined."""
    assert _row(historical, "phoenix_historical:NYT1740127_1")["event_date"] == dt.date(
        1956, 3, 15)
    q = historical.quarantine
    assert q["line"].to_list() == [6] and "'2/30/1956'" in q["reason"].item()


def test_historical_phoenix_uses_the_ccode_valid_in_the_event_year(historical):
    """DEU in 1956 is West Germany (260) and SUN the USSR (365)."""
    assert _row(historical, "phoenix_historical:NYT1740128_1")["source_ccode"] == 260
    assert _row(historical, "phoenix_historical:NYT1740127_1")["target_ccode"] == 365


def test_historical_phoenix_quoted_fields_with_commas_parse(historical):
    """A fully quoted row whose place name holds a comma loads like the others."""
    row = _row(historical, "phoenix_historical:NYT1740131_1")
    assert (row["target_ccode"], row["cameo_code"], row["goldstein"]) == (200, "042", 1.9)
    assert historical.loaded == 4 and historical.notes["partition_year"] == 1956


def test_historical_phoenix_accepts_the_camelcase_header(cameo, historical, tmp_path):
    """Renaming the header to EventID/Date/SourceActorFull/... gives the same events."""
    rename = {"eid": "EventID", "story_date": "Date", "source": "SourceActorFull",
              "source_root": "SourceActorEntity", "source_agent": "SourceActorRole",
              "source_others": "SourceActorAttribute", "target": "TargetActorFull",
              "target_root": "TargetActorEntity", "target_agent": "TargetActorRole",
              "target_others": "TargetActorAttribute", "code": "EventCode",
              "goldstein": "GoldsteinScore", "quad_class": "PentaClass"}
    head, *body = HISTORICAL.read_text().splitlines()
    path = tmp_path / "PhoenixSWB_camel.csv"
    path.write_text("\n".join([",".join(rename.get(h, h) for h in head.split(","))] + body))
    result = parse_phoenix_historical(path, cameo)
    assert result.frame.drop("source_file").equals(historical.frame.drop("source_file"))


def test_historical_header_without_a_goldstein_column_is_refused(cameo, tmp_path):
    """A header lacking any goldstein column raises InputError naming the column."""
    head, *body = HISTORICAL.read_text().splitlines()
    path = tmp_path / "PhoenixNYT_bad.csv"
    path.write_text("\n".join([head.replace(",goldstein,", ",weight,")] + body))
    with pytest.raises(InputError, match="header lacks a 'goldstein' column"):
        parse_phoenix_historical(path, cameo)


def test_a_quote_that_never_closes_quarantines_its_line_and_the_rest_loads(cameo, tmp_path):
    """A stray quote in a Cline CSV (over small blocks, so the open quote runs past several
    blocks) costs its own line, quarantined as malformed; every other line loads."""
    head, *body = HISTORICAL.read_text().splitlines()
    good = [ln for ln in body if "2/30/1956" not in ln]
    lines = [head]
    for i in range(300):
        row = good[i % len(good)].replace("NYT17401", f"NYT{i}x")
        lines.append(row.replace("USAGOV", 'USA"GOV', 1) if i == 40 else row)
    path = tmp_path / "PhoenixNYT_stray.csv"
    path.write_text("\n".join(lines) + "\n")
    r = parse_event_file(path, cameo, block_bytes=4096)
    assert r.quarantine.select("line", "reason").rows() == [
        (42, "malformed CSV (a quote is never closed)")]
    assert (r.rows_read, r.loaded) == (300, 299)
