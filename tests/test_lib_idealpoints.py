"""UNGA ideal points (Bailey, Strezhnev & Voeten 2017): the June 2024 CSV, the July 2025 .dta
stand-in, and the reference values of SOURCE.md."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.sources import idealpoints
from pipeline.lib.ingest.sources.idealpoints import (
    CSV_FILE,
    DTA_FILE,
    UnIdealpoints,
    parse_un_idealpoints,
)
from pipeline.lib.store.provenance import sha256_file

FOLDER = "unga_idealpoints"
HEADER = ('"","ccode","session","NVotesAll","IdealPointAll","QO%All","Q5%All","Q10%All",'
          '"Q50%All","Q90%All","Q95%All","Q100%All","iso3c","Countryname"\n')


@pytest.fixture(scope="module")
def csv(raw):
    return parse_un_idealpoints(raw / FOLDER / CSV_FILE)


@pytest.fixture(scope="module")
def dta(raw):
    return parse_un_idealpoints(raw / FOLDER / DTA_FILE)


def _theta(frame: pl.DataFrame, ccode: int, year: int) -> float:
    return frame.filter((pl.col("ccode") == ccode) & (pl.col("year") == year))["idealpoint"].item()


def test_csv_loads_11238_state_sessions_without_session_19(csv):
    """11,238 rows, none quarantined; sessions 1-78 without 19 (1964); year = session + 1945."""
    f = csv.frame
    assert (csv.rows_read, csv.loaded, csv.quarantine.height, csv.deduplicated) == (
        11_238, 11_238, 0, 0)
    sessions = set(f["session"].to_list())
    assert sessions == set(range(1, 79)) - {19}
    assert (f["year"] == f["session"] + 1945).all()
    assert f.schema == pl.Schema({
        "ccode": pl.Int32, "session": pl.Int16, "year": pl.Int16, "nvotes": pl.Int32,
        "idealpoint": pl.Float64, "idealpoint_q05": pl.Float64, "idealpoint_q95": pl.Float64,
        "iso3c": pl.Utf8, "countryname": pl.Utf8})
    assert f.null_count().sum_horizontal().item() == 0
    UnIdealpoints.validate(f, lazy=True)


def test_coverage_of_the_case_states(csv):
    """USA and France in all 77 sessions; South Korea in sessions 46-78 (1991-2023)."""
    f = csv.frame
    assert f.filter(pl.col("ccode") == 2).height == 77
    assert f.filter(pl.col("ccode") == 220).height == 77
    rok = f.filter(pl.col("ccode") == 732)["session"]
    assert (rok.min(), rok.max(), rok.len()) == (46, 78, 33)


@pytest.mark.parametrize(("ccode", "year", "theta"), [
    (2, 1958, 1.110988), (2, 1966, 2.206304), (2, 1993, 2.992156), (2, 2002, 2.743626),
    (2, 2006, 2.813957), (220, 1958, 2.217694), (220, 1966, 1.276307), (220, 1993, 1.962937),
    (220, 2002, 1.626061), (220, 2006, 1.508507), (732, 1993, 0.573466), (732, 2002, 0.800936),
    (732, 2006, 0.713936)])
def test_reference_values_of_source_md(csv, ccode, year, theta):
    """IdealPointAll of the USA, France and South Korea match SOURCE.md to its six decimals."""
    assert _theta(csv.frame, ccode, year) == pytest.approx(theta, abs=5e-7)


def test_rok_usa_distance_in_2006_is_2_100021(csv):
    """|θ_ROK − θ_USA| in 2006 = |0.713936 − 2.813957| = 2.100021."""
    gap = abs(_theta(csv.frame, 732, 2006) - _theta(csv.frame, 2, 2006))
    assert gap == pytest.approx(2.100021, abs=1e-6)


def test_the_july_2025_dta_gives_the_same_series_within_1_2e_7(csv, dta):
    """The .dta's idealpointlegacy reproduces every CSV row (same keys and vote counts, values
    within 1.2e-7); its 202 rows without that series are quarantined; no quantiles."""
    assert (dta.rows_read, dta.loaded, dta.quarantine.height) == (11_440, 11_238, 202)
    assert set(dta.quarantine["reason"]) == {"no session-based estimate (idealpointlegacy missing)"}
    assert dta.notes == {"estimate": "idealpointlegacy"}
    both = csv.frame.join(dta.frame, on=["ccode", "year"], how="full", suffix="_dta")
    assert both.height == 11_238 and both["idealpoint_dta"].null_count() == 0
    assert (both["idealpoint"] - both["idealpoint_dta"]).abs().max() < 1.2e-7
    assert (both["nvotes"] == both["nvotes_dta"]).all()
    assert (both["session"] == both["session_dta"]).all()
    assert dta.frame["idealpoint_q05"].null_count() == dta.loaded
    UnIdealpoints.validate(dta.frame, lazy=True)


def test_a_missing_estimate_is_quarantined_and_a_missing_column_is_an_input_error(tmp_path):
    """An NA IdealPointAll quarantines its row; a CSV without IdealPointAll fails whole."""
    path = tmp_path / CSV_FILE
    path.write_text(HEADER + '"1",2,1,42,NA,1,1.3,1,1,1,2.0,2,"USA","United States"\n'
                    '"2",2,2,38,1.97,1,1.5,1,1,1,2.4,2,"USA","United States"\n')
    r = parse_un_idealpoints(path)
    assert (r.loaded, r.quarantine.height) == (1, 1)
    assert r.frame.row(0) == (2, 2, 1947, 38, 1.97, 1.5, 2.4, "USA", "United States")
    assert r.quarantine.row(0)[1:4] == (2, "idealpoint", "required value missing")
    path.write_text(HEADER.replace('"IdealPointAll",', "") + '"1",2,1,42\n')
    with pytest.raises(InputError, match="IdealPointAll"):
        parse_un_idealpoints(path)


def test_an_unreadable_dta_is_an_input_error(tmp_path):
    """Garbage with a .dta name fails as a whole-file InputError naming the file."""
    path = tmp_path / DTA_FILE
    path.write_bytes(b"not a Stata file")
    with pytest.raises(InputError, match=DTA_FILE):
        parse_un_idealpoints(path)


def test_registry_prefers_the_csv_and_checks_both_sha256(raw, monkeypatch):
    """Optional source, CSV before .dta, both sha256 registered and matching; the citation has
    the JCR article and the Dataverse DOI; one raw table keyed (ccode, year)."""
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(raw))
    src = idealpoints.IDEALPOINTS
    assert not src.required and src.find()[0].name == CSV_FILE
    for name, digest in src.sha256.items():
        assert sha256_file(raw / FOLDER / name) == digest, name
    assert "10.1177/0022002715595700" in src.citation and "10.7910/DVN/LEJUQZ" in src.citation
    (table,) = idealpoints.TABLES
    assert (table.name, table.key) == ("un_idealpoints", ("ccode", "year"))
