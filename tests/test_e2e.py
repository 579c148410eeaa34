"""`pipeline run` on the real data: every raw table lands, checks pass, published numbers hold."""

from __future__ import annotations

import os

import polars as pl
import pytest

from pipeline.lib.store import warehouse as wh


@pytest.fixture(scope="module")
def built(built_warehouse):
    """The session's built warehouse, opened read-only."""
    ok, path = built_warehouse
    con = wh.connect(path, read_only=True)
    yield ok, con
    con.close()


def q(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def test_run_succeeds_with_every_required_table(built):
    """The run succeeds and leaves every table the foundation issue lists."""
    ok, con = built
    assert ok
    tables = set(wh.visible_tables(con))
    for t in ["raw.cow_system", "raw.cow_nmc", "raw.cow_alliances", "raw.un_votes",
              "raw.un_rollcalls", "raw.events", "raw.cameo_codes", "raw.ingest_log"]:
        assert t in tables


def test_counts_reconcile_for_every_file(built):
    """For each ingested file read = loaded + quarantined + deduplicated, and loaded = table rows."""
    _, con = built
    log = con.execute("SELECT * FROM raw.ingest_log").pl()
    assert log.height >= 20
    assert (log["rows_read"] == log["loaded"] + log["quarantined"] + log["deduplicated"]).all()
    for table, loaded in log.group_by("table_name").agg(pl.col("loaded").sum()).rows():
        schema, name = table.split(".")
        assert q(con, f"SELECT count(*) FROM {wh.qualified(schema, name)}")[0][0] == loaded
    assert log["sha256"].str.len_chars().eq(64).all()


def test_published_numbers_survive_the_warehouse(built):
    """system2016, CINC, UN vote counts and the US-ROK alliance match the published values."""
    _, con = built
    assert q(con, "SELECT count(*) FROM raw.cow_system")[0][0] == 15_951
    cinc = dict(q(con, "SELECT ccode, cinc FROM raw.cow_nmc WHERE year = 2005 AND ccode IN (2, 732, 220)"))
    assert cinc == pytest.approx({2: 0.156302, 732: 0.023448, 220: 0.019447}, abs=5e-7)
    votes = dict(q(con, "SELECT vote, count(*) FROM raw.un_votes GROUP BY vote"))
    assert votes == {1: 588_800, 2: 95_099, 3: 54_865, 8: 73_328, 9: 254_521}
    years = q(con, "SELECT min(year), max(year), count(*) FROM raw.cow_alliances "
                   "WHERE ccode1 = 2 AND ccode2 = 732")
    assert years == [(1953, 2012, 60)]


def test_icews_events_keep_codes_and_goldstein(built):
    """3,705 ICEWS events; CAMEO codes stay text; Intensity equals the code's Goldstein score."""
    _, con = built
    ev = con.execute("SELECT * FROM raw.events WHERE dataset = 'icews'").pl()
    assert ev.height == 3_705
    assert (ev["goldstein"] == ev["raw_goldstein"]).all()
    assert ev["cameo_code"].dtype == pl.Utf8 and "010" in ev["cameo_code"].to_list()
    dyads = {(a, b): n for a, b, n in ev.group_by("source_ccode", "target_ccode").len().rows()}
    assert (dyads[(2, 732)], dyads[(732, 2)], dyads[(220, 2)]) == (9, 10, 7)


def test_diplomatic_exchange_codes_survive_as_codes(built):
    """US-Cuba 1980-2005 rows stay 9/9 with DE = 0 (interest sections are not 'no tie')."""
    _, con = built
    rows = q(con, "SELECT DR_at_1, DR_at_2, DE FROM raw.cow_diplomatic_exchange "
                  "WHERE ccode1 = 2 AND ccode2 = 40 AND year BETWEEN 1980 AND 2005")
    assert rows and set(rows) == {(9, 9, 0)}


def test_state_year_has_exactly_the_system_members(built):
    """One state-year per COW system member: France has no 1943 row; counts equal system2016."""
    _, con = built
    assert q(con, "SELECT count(*) FROM derived.state_year")[0][0] == 15_951
    assert q(con, "SELECT count(*) FROM derived.state_year WHERE ccode = 220 AND year = 1943") == [(0,)]
    ranks = dict(q(con, "SELECT ccode, cap_rank FROM derived.state_year WHERE year = 1970 "
                        "AND ccode IN (2, 220, 732)"))
    assert ranks == {2: 1, 220: 8, 732: 20}


def test_diplomatic_measures_follow_the_completeness_of_the_loaded_file(built):
    """DE measures are computed iff the loaded Diplomatic Exchange file covers its waves.

    With the full publisher file (310,820 rows) every system state-year from 1817 carries a DE
    PageRank; with only the 105-row excerpt they are NULL, never computed from a fragment.
    """
    _, con = built
    loaded = q(con, "SELECT count(*) FROM raw.cow_diplomatic_exchange")[0][0]
    n_de, n_si = q(con, "SELECT count(de_pagerank), count(si_rank_de_pagerank_global) "
                        "FROM derived.state_year")[0]
    if loaded == 310_820:
        assert n_de > 10_000 and n_si > 10_000
    else:
        assert (n_de, n_si) == (0, 0)
    assert q(con, "SELECT count(si_rank_igo_full_global) FROM derived.state_year")[0][0] > 10_000


@pytest.mark.parametrize("a, b, year, share, newer", [
    (220, 2, 1967, 0.429, 0.429), (220, 2, 1968, 0.490, 0.490),
    (732, 2, 2005, 0.219, 0.296), (2, 732, 2005, 0.219, 0.296)])
def test_dyad_year_agreement_matches_published_shares(built, a, b, year, share, newer):
    """UN identical-vote shares equal METHODS §9 (2017 release) or, when the R {unvotes}
    release is loaded (it has 345 more roll calls in 1997-2012), its SOURCE.md values."""
    _, con = built
    has_newer = wh.table_exists(con, "raw", "unvotes_r_rollcalls")
    got = q(con, "SELECT un_agree FROM derived.dyad_year WHERE ccode1 = ? AND ccode2 = ? "
                 "AND year = ?", (a, b, year))[0][0]
    assert got == pytest.approx(newer if has_newer else share, abs=0.0005)


def test_un_agreement_has_no_1964_and_important_votes_only_with_the_usa(built):
    """Session 19 (1964, one roll call) is excluded; important-vote measures need the USA."""
    _, con = built
    assert q(con, "SELECT count(*) FROM derived.un_agreement WHERE year = 1964") == [(0,)]
    assert q(con, "SELECT count(un_oppose_share_imp) FROM derived.dyad_year "
                  "WHERE ccode1 <> 2 AND ccode2 <> 2") == [(0,)]
    assert q(con, "SELECT count(un_oppose_share_imp) FROM derived.dyad_year "
                  "WHERE ccode1 = 732 AND ccode2 = 2")[0][0] > 15


def test_ideal_point_distance_reproduces_the_check_value(built):
    """|theta_ROK - theta_USA| in 2006 = |0.713936 - 2.813957| = 2.100021 (issue check value)."""
    _, con = built
    if not wh.table_exists(con, "raw", "un_idealpoints"):
        pytest.skip("no UN ideal points file loaded")
    got = q(con, "SELECT idealpoint_dist FROM derived.dyad_year WHERE ccode1 = 732 "
                 "AND ccode2 = 2 AND year = 2006")[0][0]
    assert got == pytest.approx(2.100021, abs=1e-6)


def test_sample_event_files_never_define_coverage(built):
    """The ICEWS and GDELT samples cover no month; no 2016 or 2018 dyad-year is a 'zero'."""
    _, con = built
    assert q(con, "SELECT count(*) FROM derived.event_coverage WHERE covered "
                  "AND dataset IN ('icews', 'gdelt1')") == [(0,)]
    assert q(con, "SELECT count(*) FROM derived.dyad_year WHERE cov_gdelt1 OR cov_icews") == [(0,)]


def test_shared_threat_codes_both_reference_cases(built):
    """The primary definition codes US-ROK 1993-94, 2002-06 and US-France 1958-69."""
    _, con = built
    rows = q(con, "SELECT junior, bool_and(shared_threat), count(*) FROM derived.alliance_panel "
                  "WHERE senior = 2 AND ((junior = 732 AND (year BETWEEN 1993 AND 1994 OR year "
                  "BETWEEN 2002 AND 2006)) OR (junior = 220 AND year BETWEEN 1958 AND 1969)) "
                  "GROUP BY junior ORDER BY junior")
    assert rows == [(220, True, 12), (732, True, 7)]


def test_alliance_panel_holds_both_cases(built):
    """US-ROK is in the panel 1953-2012 and US-France for its COW defense-pact years."""
    _, con = built
    spans = {j: (lo, hi, n) for j, lo, hi, n in q(
        con, "SELECT junior, min(year), max(year), count(*) FROM derived.alliance_panel "
             "WHERE senior = 2 AND junior IN (220, 732) GROUP BY junior")}
    assert spans[732] == (1953, 2012, 60)
    assert spans[220][:2] == (1949, 2012)


def test_panel_lags_come_from_the_juniors_own_previous_year(built):
    """si_*_l1 at t equals the junior's state-year value at t-1, also in the first allied year."""
    _, con = built
    rows = q(con, "SELECT p.year, p.si_pct_de_indegree_global_l1, s.si_pct_de_indegree_global "
                  "FROM derived.alliance_panel p JOIN derived.state_year s "
                  "ON s.ccode = p.junior AND s.year = p.year - 1 "
                  "WHERE p.junior = 732 AND p.senior = 2 ORDER BY p.year")
    assert len(rows) == 60 and rows[0][0] == 1953
    assert all(x == y for _, x, y in rows)
    assert sum(x is not None for _, x, _ in rows) > 40


def test_case_series_covers_both_cases_with_monthly_copdab(built):
    """The case series has yearly rows for both cases and monthly COPDAB rows for US-France."""
    _, con = built
    got = dict(q(con, "SELECT case_id, count(*) FROM derived.case_series WHERE period = 'year' "
                      "GROUP BY ALL"))
    assert got == {"us_rok": 2012 - 1990 + 1, "us_france": 1975 - 1955 + 1}
    monthly = q(con, "SELECT count(*) FROM derived.case_series WHERE case_id = 'us_france' "
                     "AND period = 'month' AND copdab_net_coop IS NOT NULL")[0][0]
    assert monthly == 12 * (1975 - 1955 + 1)  # COPDAB (1948-1978) covers every case month


def test_models_coefficients_cover_every_term_of_every_fitted_model(built):
    """models.coefficients has one row per term of each fitted model, with N and SE type."""
    _, con = built
    from pipeline.lib.regressions import load_specs
    from pipeline.lib.store.paths import MODELS_DIR

    specs = {s.name: s for s in load_specs(MODELS_DIR)}
    coefs = con.execute("SELECT * FROM models.coefficients").pl()
    skipped = dict(q(con, "SELECT model, value FROM models.fit_stats WHERE stat = 'skipped'"))
    fitted = set(coefs["model"].unique().to_list())
    assert fitted | set(skipped) == set(specs)
    assert all(why.startswith(("no observations", "all fixed-effect groups are singletons"))
               for why in skipped.values())
    for name in fitted:
        terms = set(coefs.filter(pl.col("model") == name)["term"].to_list())
        assert set(specs[name].explanatory) <= terms, name
    assert coefs["nobs"].null_count() == 0 and coefs["se_type"].null_count() == 0
    assert coefs["estimate"].null_count() == 0


def test_paper_tables_and_figures_are_written_with_provenance(built):
    """The primary and robustness tables in four formats (and a standalone LaTeX document);
    the case figures, the specification curve and coefficient plots as PNG and PDF."""
    from pathlib import Path

    _, con = built
    root = Path(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = "
                            "current_database()").fetchone()[0]).parent
    tables_dir, figures_dir = root / "tables", root / "figures"
    for stem in ("primary", "robustness"):
        for ext in ("tex", "html", "md", "csv"):
            path = tables_dir / f"{stem}.{ext}"
            assert path.stat().st_size > 500, path
        assert "Provenance" in (tables_dir / f"{stem}.md").read_text()
        tex = (tables_dir / f"{stem}_standalone.tex").read_text()
        assert "\\toprule" in tex and "\\bottomrule" in tex and "\\documentclass" in tex
    assert "Romano–Wolf p" in (tables_dir / "primary.md").read_text()
    for stem in ("case_us_rok", "case_us_france", "specification_curve",
                 "coefficients_primary"):
        for ext in ("png", "pdf"):
            assert (figures_dir / f"{stem}.{ext}").stat().st_size > 5_000


def test_every_derived_table_and_column_carries_its_codebook_comment(built):
    """COMMENT ON for every derived and ref table and each of their columns (codebook)."""
    _, con = built
    from pipeline.lib.measures import codebook

    for name in codebook.TABLES:
        schema, table = name.split(".")
        assert q(con, "SELECT comment FROM duckdb_tables() WHERE schema_name = ? AND "
                      "table_name = ?", (schema, table))[0][0]
        missing = q(con, "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND "
                         "table_name = ? AND (comment IS NULL OR comment = '')", (schema, table))
        assert missing == [], (name, missing[:5])
    assert q(con, "SELECT name FROM ref.countries WHERE ccode = 732") == [("South Korea",)]
    assert q(con, "SELECT junior_name, senior_name FROM derived.alliance_panel WHERE junior = 732 "
                  "AND senior = 2 AND year = 2000") == [("South Korea", "United States of America")]


def test_every_standalone_table_compiles(built, tmp_path):
    """Each *_standalone.tex the run wrote compiles with pdflatex (or tectonic) when one is on
    PATH (the symbols in real notes and labels: ×10⁻ᵏ, ★, θ, →, |)."""
    import shutil
    import subprocess
    from pathlib import Path

    engine = shutil.which("pdflatex") or shutil.which("tectonic")
    if engine is None:
        pytest.skip("neither pdflatex nor tectonic is on PATH; structural LaTeX checks still ran")
    _, con = built
    root = Path(con.execute("SELECT path FROM duckdb_databases() WHERE database_name = "
                            "current_database()").fetchone()[0]).parent
    sources = sorted((root / "tables").glob("*_standalone.tex"))
    assert len(sources) >= 6
    for src in sources:
        dst = tmp_path / src.name
        dst.write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
        cmd = ([engine, "-interaction=nonstopmode", "-halt-on-error", dst.name]
               if engine.endswith("pdflatex") else [engine, dst.name])
        proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "TEXMFVAR": str(tmp_path / "texmf")},
                              check=False)
        assert proc.returncode == 0, (src.name, proc.stdout[-1500:])
