"""Shared event rules on a hand-written ICEWS file: quarantine, duplicates, partitions, formats."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pipeline.lib.events import EVENT_SOURCES, EventsSchema, parse_event_file
from pipeline.lib.events.dedupe import dedupe_events
from pipeline.lib.events.engine import open_layout
from pipeline.lib.events.registry import name_year
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.sources.cameo import parse_cameo_codes

FIXTURES = Path(__file__).parent / "data" / "events"
QUIRKS = FIXTURES / "20181004-icews-events.tab"


@pytest.fixture(scope="module")
def cameo(raw) -> pl.DataFrame:
    """The CAMEO code table from the shared sample."""
    return parse_cameo_codes(raw / "icews_sample" / "cameo-codes.csv").frame


@pytest.fixture(scope="module")
def quirks(cameo):
    return parse_event_file(QUIRKS, cameo)


def _reason(result, line: int) -> str:
    return result.quarantine.filter(pl.col("line") == line)["reason"].item()


def test_quirky_icews_file_reconciles_read_loaded_quarantined_and_deduplicated(quirks):
    """12 data lines = 4 loaded + 7 quarantined + 1 exact duplicate."""
    assert (quirks.rows_read, quirks.loaded, quirks.quarantine.height, quirks.deduplicated) == (
        12, 4, 7, 1)
    EventsSchema.validate(quirks.frame, lazy=True)


def test_exact_duplicate_rows_are_removed_and_counted(quirks):
    """Line 3 repeats line 2 verbatim: one row for event 1001 remains, counted as duplicate."""
    assert quirks.frame.filter(pl.col("event_id") == "icews:1001")["source_line"].to_list() == [2]
    assert 3 not in quirks.quarantine["line"].to_list()


def test_same_event_id_on_another_date_is_a_separate_event(quirks):
    """Event 1002 appears on 4 and 5 October (M/D/YYYY dates): both rows are kept."""
    rows = quirks.frame.filter(pl.col("event_id") == "icews:1002").sort("event_date")
    assert rows["event_date"].to_list() == [dt.date(2018, 10, 4), dt.date(2018, 10, 5)]


def test_same_event_id_and_date_with_other_content_quarantines_every_copy(quirks):
    """Event 1008 twice on one date with different codes: neither row is guessed right."""
    assert quirks.frame.filter(pl.col("event_id") == "icews:1008").height == 0
    assert "differ in cameo_code" in _reason(quirks, 11) and "icews:1008" in _reason(quirks, 12)


def test_invalid_code_13y_is_quarantined_with_its_reason(quirks):
    """``13y`` (andybega/icews #78) goes to quarantine naming the code and the column."""
    row = quirks.quarantine.filter(pl.col("line") == 6)
    assert row["column"].item() == "CAMEO Code" and "'13y'" in row["reason"].item()
    assert "13y" in row["raw"].item()


def test_code_absent_from_the_cameo_table_is_quarantined(quirks):
    """``0999`` is well-formed but not a CAMEO code in the table."""
    assert _reason(quirks, 7) == "CAMEO code '0999' not in the CAMEO table"


def test_intensity_that_differs_from_the_cameo_goldstein_is_quarantined(quirks):
    """Code 043 weighs 2.8; a row carrying Intensity 5 is rejected."""
    assert "5.0 != CAMEO Goldstein 2.8" in _reason(quirks, 8)


def test_goldstein_outside_minus_ten_to_ten_is_quarantined(quirks):
    """Intensity -11 is out of the Goldstein range."""
    assert "outside [-10, 10]" in _reason(quirks, 9)


def test_line_with_the_wrong_field_count_is_quarantined(quirks):
    """A 19-field line is rejected with the expected and found counts."""
    assert _reason(quirks, 13) == "expected 20 fields, found 19"


def test_unknown_country_names_keep_their_rows_and_are_counted(quirks):
    """'Atlantis' stays (NULL ccode) and is counted; a missing (NA) country is not."""
    row = quirks.frame.filter(pl.col("event_id") == "icews:1007")
    assert row["target_ccode"].item() is None and row["source_country"].item() is None
    assert quirks.notes["unmatched_countries"] == {"Atlantis": 1}


def test_dedupe_events_keeps_the_first_exact_copy_across_files(quirks):
    """Two files holding the same events collapse to one copy; file names are ignored."""
    other = quirks.frame.with_columns(pl.lit("other.tab").alias("source_file"),
                                      pl.lit(2019, pl.Int16).alias("partition_year"))
    kept, n_dup, conflicts = dedupe_events(pl.concat([quirks.frame, other]))
    assert (kept.height, n_dup, conflicts.height) == (quirks.loaded, quirks.loaded, 0)
    assert kept["source_file"].unique().to_list() == [QUIRKS.name]


@pytest.mark.parametrize(("name", "year"), [
    ("events.1995.20150313082510.tab", 1995), ("events.2021.20220623.tab.gz", 2021),
    ("20181004-icews-events.tab", 2018), ("20181004-icews-events-1.zip", 2018),
    ("202201-icews-events.tab", 2022), ("20130401.export.CSV.zip", 2013),
    ("201303.zip", 2013), ("1979.zip", 1979), ("events.full.20140620.txt.zip", 2014),
    ("gdelt1_events_20160312.sample.tsv", None), ("PhoenixNYT_1945-2005.csv", None),
    ("201313.zip", None),
])
def test_file_partition_year_reads_each_naming_convention(name, year):
    """ICEWS yearly/weekly/monthly, GDELT daily/back-files and Phoenix daily names."""
    assert name_year(name) == year


def test_unnamed_file_belongs_to_its_most_common_event_year(raw, cameo):
    """The GDELT sample (32 of 50 events in 2017) is partition 2017 on every row."""
    sample = raw / "gdelt1_sample" / "gdelt1_events_20160312.sample.tsv"
    result = parse_event_file(sample, cameo)
    assert result.frame["partition_year"].unique().to_list() == [2017]
    assert result.frame["year"].value_counts().sort("year")["count"].to_list() == [18, 32]


def test_detect_event_format_names_each_layout(raw):
    """ICEWS header, GDELT 58 fields, Phoenix 26 fields and the Historical Phoenix header."""
    found = [open_layout(p).layout.dataset for p in (
        raw / "icews_sample" / "events.2018.sample.tab.gz",
        raw / "gdelt1_sample" / "gdelt1_events_20160312.sample.tsv",
        FIXTURES / "events.full.20150301.txt", FIXTURES / "PhoenixNYT_1956.sample.csv")]
    assert found == ["icews", "gdelt1", "phoenix", "phoenix_historical"]


def test_an_unknown_layout_raises_input_error_naming_the_file(tmp_path):
    """A file that is none of the event layouts is refused, not guessed."""
    path = tmp_path / "mystery.tsv"
    path.write_text("a\tb\tc\n1\t2\t3\n")
    with pytest.raises(InputError, match="mystery.tsv, line 1: not a known event format"):
        open_layout(path)


def test_event_sources_are_optional_cited_and_found_in_the_shared_mirror(raw):
    """Four optional sources with BibTeX; the ICEWS and GDELT samples are discovered."""
    assert [s.name for s in EVENT_SOURCES] == [
        "icews", "gdelt1", "phoenix", "phoenix_historical"]
    assert not any(s.required for s in EVENT_SOURCES)
    assert all(s.citation.lstrip().startswith("@") and s.url for s in EVENT_SOURCES)
    names = {s.name: [p.name for p in s.find(every=True)] for s in EVENT_SOURCES[:2]}
    assert "events.2018.sample.tab.gz" in names["icews"]
    assert "gdelt1_events_20160312.sample.tsv" in names["gdelt1"]


def _readme_format(folder: Path):
    """The GDELT 2.0 module the README shows, saved and imported as ``formats.gdelt2``."""
    import importlib.util

    from pipeline.lib.store.paths import REPO_ROOT
    text = (REPO_ROOT / "README.md").read_text()
    start = text.index("```python\n# pipeline/lib/events/formats/gdelt2.py")
    path = folder / "gdelt2.py"
    path.write_text(text[text.index("\n", start) + 1:text.index("```", start + 10)])
    spec = importlib.util.spec_from_file_location("pipeline.lib.events.formats.gdelt2", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_format_is_one_module_and_one_registry_line(raw, cameo, tmp_path,
                                                               monkeypatch):
    """The README's GDELT 2.0 module, added to the registry and nothing else, is recognised,
    named to its year and read: the 50 sample events, as GDELT 1.0 gives them."""
    from pipeline.lib.events import registry
    gdelt2 = _readme_format(tmp_path)
    monkeypatch.setattr(registry, "FORMATS", (*registry.FORMATS, gdelt2.LAYOUT))
    sample = raw / "gdelt1_sample" / "gdelt1_events_20160312.sample.tsv"
    adm1 = [i for i, c in enumerate(gdelt2.GDELT1_COLUMNS) if "ADM1" in c]
    lines = []
    for line in sample.read_text().splitlines():
        fields = line.split("\t")
        for i in reversed(adm1):  # an empty ADM2 code after each ADM1 code
            fields.insert(i + 1, "")
        lines.append("\t".join(fields))
    path = tmp_path / "20160312000000.export.CSV"
    path.write_text("\n".join(lines) + "\n")
    assert len(gdelt2.GDELT2_COLUMNS) == 61 and len(lines[0].split("\t")) == 61
    assert open_layout(path).layout.dataset == "gdelt2" and name_year(path) == 2016
    got = parse_event_file(path, cameo)
    want = parse_event_file(sample, cameo)
    assert (got.rows_read, got.loaded, got.quarantine.height) == (50, 50, 0)
    same = ["event_date", "source_ccode", "target_ccode", "cameo_code", "goldstein",
            "source_sectors", "is_root_event"]
    assert got.frame.select(same).equals(want.frame.select(same))
    assert got.frame["event_id"].str.starts_with("gdelt2:").all()
