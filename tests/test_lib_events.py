"""The unified event table: real ICEWS and GDELT samples, shared rules, format detection."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import polars as pl
import pytest

from pipeline.lib.events import EVENT_COLUMNS, EventsSchema, collect
from pipeline.lib.events.formats.gdelt import GDELT1_COLUMNS
from pipeline.lib.ingest.sources.cameo import parse_cameo_codes

GDELT_SAMPLE = Path("gdelt1_sample") / "gdelt1_events_20160312.sample.tsv"


@pytest.fixture(scope="module")
def cameo(raw) -> pl.DataFrame:
    """The CAMEO code table (codes as text, Goldstein weights) from the shared sample."""
    return parse_cameo_codes(raw / "icews_sample" / "cameo-codes.csv").frame


@pytest.fixture(scope="module")
def icews_sample(raw, cameo):
    return parse_icews(raw / "icews_sample" / "events.2018.sample.tab.gz", cameo)


@pytest.fixture(scope="module")
def gdelt_sample(raw, cameo):
    return parse_gdelt1(raw / GDELT_SAMPLE, cameo)


def parse_icews(path, cameo):
    return collect(path, cameo, dataset="icews")


def parse_gdelt1(path, cameo):
    return collect(path, cameo, dataset="gdelt1")


def _dyad(frame: pl.DataFrame, source: int, target: int) -> int:
    return frame.filter((pl.col("source_ccode") == source)
                        & (pl.col("target_ccode") == target)).height


# ----------------------------------------------------------------------------- real ICEWS


def test_icews_sample_loads_all_3705_events_with_none_quarantined(icews_sample):
    """The real ICEWS sample loads 3,705 events; nothing is quarantined or deduplicated."""
    assert (icews_sample.rows_read, icews_sample.loaded) == (3705, 3705)
    assert icews_sample.quarantine.height == 0 and icews_sample.deduplicated == 0


def test_icews_goldstein_from_the_cameo_table_equals_intensity_on_every_event(icews_sample):
    """Recomputed Goldstein equals the file's Intensity for all 3,705 sample events."""
    f = icews_sample.frame
    assert f.filter((pl.col("goldstein") - pl.col("raw_goldstein")).abs() > 1e-9).height == 0
    assert f["raw_goldstein"].null_count() == 0


def test_icews_cameo_codes_keep_their_leading_zeros(icews_sample):
    """Codes stay text: ``010`` and ``040`` are present and roots are two digits."""
    codes = set(icews_sample.frame["cameo_code"])
    assert {"010", "040"} <= codes
    assert icews_sample.frame["root_code"].str.len_chars().unique().to_list() == [2]


def test_icews_sample_dyad_counts_match_the_documented_numbers(icews_sample):
    """USA→ROK 9, ROK→USA 10, France→USA 7, USA→France 0 (SOURCE.md, METHODS §9)."""
    f = icews_sample.frame
    assert (_dyad(f, 2, 732), _dyad(f, 732, 2), _dyad(f, 220, 2), _dyad(f, 2, 220)) == (
        9, 10, 7, 0)


def test_icews_unmatched_country_names_are_counted_and_kept(icews_sample):
    """Names without a ccode keep their rows (NULL ccode) and every such row is counted."""
    f = icews_sample.frame
    missing = sum(f.filter(pl.col(f"{s}_country").is_not_null()
                           & pl.col(f"{s}_ccode").is_null()).height for s in ("source", "target"))
    unmatched = icews_sample.notes["unmatched_countries"]
    assert missing > 0 and sum(unmatched.values()) == missing
    assert unmatched["Occupied Palestinian Territory"] == 83


def test_icews_gz_and_zip_copies_of_the_sample_parse_identically(raw, cameo, icews_sample,
                                                                   tmp_path):
    """The same rows come out of a ``.zip`` holding the sample as out of the ``.tab.gz``."""
    text = gzip.decompress((raw / "icews_sample" / "events.2018.sample.tab.gz").read_bytes())
    archive = tmp_path / "events.2018.20190101.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("events.2018.20190101.tab", text)
    zipped = parse_icews(archive, cameo).frame.drop("source_file")
    assert zipped.equals(icews_sample.frame.drop("source_file"))


def test_icews_file_without_cameo_code_takes_the_code_named_by_event_text(raw, cameo,
                                                                          icews_sample, tmp_path):
    """Like the 2017 file (andybega/icews #74), codes are recovered from Event Text."""
    lines = gzip.decompress(
        (raw / "icews_sample" / "events.2018.sample.tab.gz").read_bytes()).decode().splitlines()
    drop = lines[0].split("\t").index("CAMEO Code")
    cut = ["\t".join(f for i, f in enumerate(line.split("\t")) if i != drop) for line in lines]
    path = tmp_path / "events.2018.sample.tab"
    path.write_text("\n".join(cut) + "\n")
    result = parse_icews(path, cameo)
    assert result.loaded == 3705
    assert result.frame["cameo_code"].equals(icews_sample.frame["cameo_code"])


# ----------------------------------------------------------------------------- real GDELT


def test_gdelt_sample_parses_50_rows_with_codes_as_text(gdelt_sample):
    """All 50 GDELT rows load; ``043`` keeps its zero; roots and IsRootEvent are typed."""
    f = gdelt_sample.frame
    assert (gdelt_sample.rows_read, f.height, gdelt_sample.quarantine.height) == (50, 50, 0)
    assert "043" in set(f["cameo_code"]) and "04" in set(f["root_code"])
    assert f["is_root_event"].dtype == pl.Boolean and f["is_root_event"].sum() > 0
    assert gdelt_sample.notes["columns"] == 58


def test_gdelt_goldstein_is_recomputed_and_the_file_value_kept(gdelt_sample):
    """``goldstein`` comes from the CAMEO table; ``raw_goldstein`` is GoldsteinScale."""
    f = gdelt_sample.frame.filter(pl.col("cameo_code") == "043")
    assert f["goldstein"].unique().to_list() == [2.8]
    assert f["raw_goldstein"].unique().to_list() == [2.8]
    assert gdelt_sample.notes["quad_class_disagreements"] == 0


def test_gdelt_actor_country_codes_map_to_ccodes(gdelt_sample):
    """CAMEO country codes map: CAN→20, USA→2, IRN→630, SAU→670 (NULL where blank)."""
    f = gdelt_sample.frame
    pairs = dict(f.select("source_country", "source_ccode").drop_nulls().unique().iter_rows())
    assert {k: pairs[k] for k in ("CAN", "USA", "IRN", "SAU")} == {
        "CAN": 20, "USA": 2, "IRN": 630, "SAU": 670}
    assert f.filter(pl.col("source_country").is_null())["source_ccode"].null_count() == f.filter(
        pl.col("source_country").is_null()).height


def test_gdelt_57_and_58_column_files_give_the_same_events(raw, cameo, gdelt_sample, tmp_path):
    """A back-file without SOURCEURL (57 fields, zipped) yields the same events as 58."""
    lines = (raw / GDELT_SAMPLE).read_text().splitlines()
    short = "\n".join(line.rsplit("\t", 1)[0] for line in lines) + "\n"
    archive = tmp_path / "201603.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("201603.csv", short)
    result = parse_gdelt1(archive, cameo)
    assert result.notes["columns"] == 57
    assert result.frame["partition_year"].unique().to_list() == [2016]
    same = [c for c in EVENT_COLUMNS if c not in ("source_file", "partition_year")]
    assert result.frame.select(same).equals(gdelt_sample.frame.select(same))


def test_gdelt_lines_of_the_other_width_or_an_impossible_date_are_quarantined(raw, cameo,
                                                                                tmp_path):
    """In a 57-field file a 58-field line is rejected, and so is an event dated 1800."""
    lines = (raw / GDELT_SAMPLE).read_text().splitlines()[:4]
    fields = lines[2].split("\t")
    fields[1] = "18000101"
    short = [lines[0].rsplit("\t", 1)[0], lines[1], "\t".join(fields[:57]),
             lines[3].rsplit("\t", 1)[0]]
    path = tmp_path / "1979.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("1979.csv", "\n".join(short) + "\n")
    result = parse_gdelt1(path, cameo)
    assert (result.rows_read, result.loaded) == (4, 2)
    assert result.quarantine["reason"].to_list() == [
        "expected 57 fields, found 58", "event date 1800-01-01 outside 1900-2100"]


def test_gdelt_column_names_match_the_shared_codebook_list(raw):
    """GDELT1_COLUMNS is the 58-name list of gdelt1_events_columns.csv, in order."""
    names = pl.read_csv(raw / "gdelt1_sample" / "gdelt1_events_columns.csv")["name"].to_list()
    assert list(GDELT1_COLUMNS) == names and len(names) == 58


def test_events_schema_accepts_both_real_samples_together(icews_sample, gdelt_sample):
    """EventsSchema validates the ICEWS and GDELT samples stacked into one table."""
    both = pl.concat([icews_sample.frame, gdelt_sample.frame])
    assert EventsSchema.validate(both, lazy=True).height == 3755


def test_events_schema_rejects_a_year_that_is_not_the_event_year(icews_sample):
    """A ``year`` that disagrees with ``event_date`` fails validation."""
    bad = icews_sample.frame.head(3).with_columns(pl.lit(1999, pl.Int16).alias("year"))
    with pytest.raises(Exception, match="year_is_event_year"):
        EventsSchema.validate(bad, lazy=True)


def test_event_ids_from_different_datasets_never_collide(icews_sample, gdelt_sample):
    """IDs are prefixed with their dataset, so equal raw numbers stay distinct."""
    assert icews_sample.frame["event_id"].str.starts_with("icews:").all()
    assert gdelt_sample.frame["event_id"].str.starts_with("gdelt1:").all()
