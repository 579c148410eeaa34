"""Network status measures: PageRank kernel, DipEx waves, IGO years and annualisation."""

from __future__ import annotations

import time
from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp

from pipeline.lib.ingest.sources import cow, cow_dipex, cow_dyadic
from pipeline.lib.measures import centrality
from pipeline.lib.measures import network as nw

WAVES = [1817, 1824, 1827, 1832, 1836, 1840, *range(1844, 1915, 5), *range(1920, 1941, 5),
         *range(1950, 2006, 5)]
_CACHE: dict[str, pl.DataFrame] = {}


def _real(raw: Path, name: str) -> pl.DataFrame:
    """Parse one real file once per session: system, dipex (excerpt), igo, igo_sy."""
    if name not in _CACHE:
        paths = {"system": (cow.parse_system, "cow_state_system/system2016.csv"),
                 "dipex": (cow_dipex.parse_dipex,
                           "cow_diplomatic_exchange/Diplomatic_Exchange_2006v1.excerpt.csv"),
                 "igo": (cow_dyadic.parse_igo_dyadic, "peacesciencer/cow_igo_ndy.csv.gz"),
                 "igo_sy": (cow_dyadic.parse_igo_sy, "peacesciencer/cow_igo_sy.csv.gz")}
        parser, rel = paths[name]
        _CACHE[name] = parser(raw / rel).frame
    return _CACHE[name]


def _ties(rows: list[tuple[int, int, int, int]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema={"sender": pl.Int32, "host": pl.Int32, "year": pl.Int32,
                                      "level": pl.Int8}, orient="row")


def _system(members: dict[int, list[int]]) -> pl.DataFrame:
    rows = [(c, y) for y, cs in members.items() for c in cs]
    return pl.DataFrame(rows, schema={"ccode": pl.Int32, "year": pl.Int32}, orient="row")


def _random_digraph(seed: int, n: int = 40, p: float = 0.12, dangling: int = 5):
    """Seeded weighted digraph as (src, dst, w) arrays; the last ``dangling`` nodes send none."""
    rng = np.random.default_rng(seed)
    mask = (rng.random((n, n)) < p) & ~np.eye(n, dtype=bool)
    mask[n - dangling:, :] = False
    src, dst = np.nonzero(mask)
    return src, dst, rng.integers(1, 5, size=src.size).astype(float)


def _nx_digraph(src, dst, w, n) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), w.tolist(), strict=True),
                              weight="w")
    return g


# --- kernels -----------------------------------------------------------------------------

def test_pagerank_equals_the_closed_form_solution_of_a_three_node_graph():
    """PR = (1-d)/N + d (M PR + dangling/N) solved with numpy matches the iteration to 1e-10."""
    src, dst, w = np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([1.0, 3.0, 2.0])
    n, d = 3, 0.85
    # Column-stochastic M with node 2 (no out-links) spreading uniformly.
    m = np.array([[0.0, 0.0, 1 / 3], [0.25, 0.0, 1 / 3], [0.75, 1.0, 1 / 3]])
    exact = np.linalg.solve(np.eye(n) - d * m, np.full(n, (1 - d) / n))
    np.testing.assert_allclose(centrality.pagerank(src, dst, w, n), exact, rtol=0, atol=1e-10)
    assert exact.sum() == pytest.approx(1.0, abs=1e-12)


def test_pagerank_matches_networkx_on_a_seeded_weighted_digraph_with_dangling_nodes():
    """The sparse power iteration equals nx.pagerank(alpha=0.85, weight='w') to 1e-8."""
    n = 40
    src, dst, w = _random_digraph(seed=11, n=n)
    ref = nx.pagerank(_nx_digraph(src, dst, w, n), alpha=0.85, weight="w", tol=1e-14,
                      max_iter=10_000)
    ours = centrality.pagerank(src, dst, w, n)
    np.testing.assert_allclose(ours, [ref[i] for i in range(n)], rtol=0, atol=1e-8)
    assert ours[n - 5:].min() > 0


def test_block_pagerank_solves_disjoint_graphs_as_if_separately():
    """Two graphs stacked block-diagonally give each graph's own PageRank to 1e-12."""
    s1, d1, w1 = _random_digraph(seed=1, n=25)
    s2, d2, w2 = _random_digraph(seed=2, n=15, dangling=15)  # no edges at all
    both = centrality.pagerank(np.concatenate([s1, s2 + 25]), np.concatenate([d1, d2 + 25]),
                        np.concatenate([w1, w2]), 40, block=np.repeat([0, 1], [25, 15]))
    np.testing.assert_allclose(both[:25], centrality.pagerank(s1, d1, w1, 25), rtol=0, atol=1e-12)
    np.testing.assert_allclose(both[25:], 1 / 15, rtol=0, atol=1e-12)


def test_eigenvector_reproduces_networkx_in_edge_centrality_and_signals_failure():
    """eigenvector equals nx.eigenvector_centrality to 1e-9; None when edgeless or capped."""
    n = 30
    src, dst, w = _random_digraph(seed=5, n=n, p=0.2, dangling=0)
    a = sp.csr_array((w, (src, dst)), shape=(n, n))
    ref = nx.eigenvector_centrality(_nx_digraph(src, dst, w, n), max_iter=1000, weight="w")
    np.testing.assert_allclose(centrality.eigenvector(a), [ref[i] for i in range(n)], atol=1e-9)
    assert centrality.eigenvector(sp.csr_array((n, n))) is None
    assert centrality.eigenvector(a, max_iter=1) is None


# --- DipEx waves ---------------------------------------------------------------------------

SYS = _system({1960: [2, 20, 200, 220, 255], 1970: [2, 20, 200, 220, 255, 740]})
TIES = _ties([
    (2, 20, 1960, 9), (20, 2, 1960, 9), (200, 2, 1960, 9), (2, 2, 1960, 9),  # self-tie
    (2, 740, 1960, 9), (220, 2, 1960, 0),  # 740 not yet a member; level 0 = absent
    (2, 20, 1970, 3), (20, 2, 1970, 3), (200, 2, 1970, 2), (220, 2, 1970, 1),
    (2, 740, 1970, 9), (740, 2, 1970, 3), (220, 200, 1970, 0),
])


def test_wave_measures_count_members_degrees_shares_and_level_weights():
    """Isolates are nodes; self, non-member and level-0 ties vanish; weights 2/3/4/1."""
    out = nw.dipex_wave_measures(TIES, SYS)
    usa = {r["year"]: r for r in out.filter(ccode=2).to_dicts()}
    assert out.filter(year=1960).height == 5 and out.filter(year=1970).height == 6
    assert (usa[1960]["indegree"], usa[1960]["outdegree"]) == (2, 1)
    assert (usa[1970]["indegree"], usa[1970]["outdegree"]) == (4, 2)
    assert usa[1970]["share"] == pytest.approx(4 / 5, abs=1e-12)
    assert usa[1970]["weighted_indegree"] == 4 + 3 + 2 + 4  # from 20, 200, 220, 740
    assert usa[1960]["weighted_indegree"] is None  # every present tie is 9
    assert out.filter(ccode=255)["indegree"].to_list() == [0, 0]
    assert out.filter(ccode=255)["community"].null_count() == 2  # isolate singletons
    assert out.schema["indegree"] == pl.Int32 and out.schema["community"] == pl.Int32


def test_wave_measures_match_networkx_pagerank_eigenvector_and_modularity():
    """PageRank, N*PR, eigenvector and Q equal networkx on the same weighted wave graph."""
    out = nw.dipex_wave_measures(TIES, SYS).filter(year=1970)
    e = nw.wave_edges(TIES, SYS).filter(year=1970)
    g = nx.DiGraph()
    g.add_nodes_from(out["ccode"].to_list())
    g.add_weighted_edges_from(e.select("sender", "host", "w").rows(), weight="w")
    pr = nx.pagerank(g, alpha=0.85, weight="w", tol=1e-14, max_iter=10_000)
    ev = nx.eigenvector_centrality(g, max_iter=1000, weight="w")
    np.testing.assert_allclose(out["pagerank"], [pr[c] for c in out["ccode"]], atol=1e-8)
    np.testing.assert_allclose(out["eigenvector"], [ev[c] for c in out["ccode"]], atol=1e-9)
    assert out["pagerank_n"].mean() == pytest.approx(1.0, abs=1e-9)
    parts = nx.community.louvain_communities(g, weight="w", resolution=1, seed=1)
    q = nx.community.modularity(g, parts, weight="w", resolution=1)
    assert out["modularity"].unique().to_list() == [pytest.approx(q, abs=1e-12)]


def test_count_code_9_false_drops_code_9_ties():
    """Without code 9 the 1960 wave has no edges and 740 -> 2 (level 3) still counts."""
    out = nw.dipex_wave_measures(TIES, SYS, count_code_9=False)
    assert out.filter(year=1960)["indegree"].sum() == 0
    assert out.filter(year=1960)["pagerank"].to_list() == [pytest.approx(0.2, abs=1e-12)] * 5
    assert out.filter(year=1960)["eigenvector"].null_count() == 5
    assert out.filter(ccode=740, year=1970)["outdegree"].item() == 1


def test_all_code9_waves_lists_waves_whose_present_ties_are_all_code_9():
    """A wave with 9s and 0s counts, one with any 1-3 does not, one with only 0s does not."""
    ties = _ties([(1, 2, 1950, 9), (2, 1, 1950, 0), (1, 2, 1955, 9), (2, 1, 1955, 9),
                  (1, 2, 1970, 9), (2, 1, 1970, 3), (1, 2, 1975, 0)])
    assert nw.all_code9_waves(ties) == {1950, 1955}


def test_real_excerpt_edges_follow_dr_at_2_and_usa_outdegree_counts_hosts(raw):
    """Edge i -> j iff DR_at_2 > 0 in row (i, j); USA outdegree = excerpt hosts with level > 0."""
    excerpt, system = _real(raw, "dipex"), _real(raw, "system")
    ties = cow_dipex.ties(excerpt)
    edges = nw.wave_edges(ties, system).select("sender", "host", "year")
    key = ["ccode1", "ccode2", "year"]
    expect_out = excerpt.filter(pl.col("DR_at_2") > 0).select(key).sort(key)
    expect_in = excerpt.filter(pl.col("DR_at_1") > 0).select(
        pl.col("ccode2").alias("ccode1"), pl.col("ccode1").alias("ccode2"), "year").sort(key)
    assert edges.filter(sender=2).sort("sender", "host", "year").rows() == expect_out.rows()
    assert edges.filter(host=2).sort("sender", "host", "year").rows() == expect_in.rows()
    out = nw.dipex_wave_measures(ties, system).filter(ccode=2).sort("year")
    hosts = expect_out.group_by("year").len().sort("year")
    assert out.join(hosts, on="year").filter(pl.col("outdegree") != pl.col("len")).height == 0
    assert out.height == 35 and out["outdegree"].sum() == hosts["len"].sum()
    # 1950-65 are all code 9; 1832's only tie (USA-Mexico) is a 9/9 with DE = 0.
    assert nw.all_code9_waves(ties) == {1832, 1950, 1955, 1960, 1965}
    assert out.filter(pl.col("weighted_indegree").is_null())["year"].to_list() == [
        1832, 1950, 1955, 1960, 1965]


def _synthetic_waves(seed: int = 7, n: int = 190, per_wave: int = 5200):
    """38 DipEx-like waves on n members, ~5,000 distinct ties each, 9 only in 1950-65."""
    rng = np.random.default_rng(seed)
    frames = []
    for y in WAVES:
        k = rng.choice(n * n, per_wave, replace=False)
        level = rng.choice([0, 1, 2, 3], size=k.size, p=[0.05, 0.15, 0.2, 0.6])
        level = np.where((level > 0) & (1950 <= y <= 1965), 9, level)
        frames.append(pl.DataFrame({"sender": k // n + 1, "host": k % n + 1, "year": y,
                                    "level": level}))
    ties = (pl.concat(frames).filter(pl.col("sender") != pl.col("host"))
            .cast({"sender": pl.Int32, "host": pl.Int32, "year": pl.Int32, "level": pl.Int8}))
    system = _system({y: list(range(1, n + 1)) for y in WAVES})
    return ties, system


def test_synthetic_38_wave_network_runs_and_reports_its_runtime():
    """38 waves x 190 nodes x ~5,000 ties: one row per node-wave, PR sums to 1 per wave."""
    ties, system = _synthetic_waves()
    wall, cpu = time.perf_counter(), time.process_time()
    out = nw.dipex_wave_measures(ties, system)
    print(f"dipex_wave_measures: 38 waves, {ties.height:,} ties, "
          f"{time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU")
    assert out.height == 38 * 190
    sums = out.group_by("year").agg(pl.col("pagerank").sum())["pagerank"]
    np.testing.assert_allclose(sums, 1.0, atol=1e-10)
    assert out.filter(pl.col("weighted_indegree").is_null())["year"].unique().sort().to_list() \
        == [1950, 1955, 1960, 1965]
    assert out["community"].null_count() == 0 and out["eigenvector"].null_count() == 0


# --- IGO years ----------------------------------------------------------------------------

def test_igo_measures_on_a_small_graph_match_networkx():
    """Strength/degree sums, zero and non-member dyads dropped, PR and eigenvector as networkx."""
    dyads = pl.DataFrame({"ccode1": [2, 2, 20, 200, 2, 2], "ccode2": [20, 200, 200, 220, 365, 255],
                          "year": [2000] * 6, "dyadigos": [5, 3, 4, 2, 7, 0]},
                         schema_overrides={"dyadigos": pl.Int16})
    system = _system({2000: [2, 20, 200, 220, 255, 900]})  # 365 absent; 900 isolate
    out = nw.igo_network_measures(dyads, system)
    by = {r["ccode"]: r for r in out.to_dicts()}
    assert [(by[c]["degree"], by[c]["strength"]) for c in (2, 20, 200, 220, 255, 900)] == [
        (2, 8), (2, 9), (3, 9), (1, 2), (0, 0), (0, 0)]
    g = nx.Graph()
    g.add_nodes_from(by)
    g.add_weighted_edges_from([(2, 20, 5), (2, 200, 3), (20, 200, 4), (200, 220, 2)], weight="w")
    pr = nx.pagerank(g, alpha=0.85, weight="w", tol=1e-14, max_iter=10_000)
    ev = nx.eigenvector_centrality_numpy(g.subgraph([2, 20, 200, 220]), weight="w")
    top = max(ev.values())
    for c, r in by.items():
        assert r["pagerank"] == pytest.approx(pr[c], abs=1e-8)
        assert r["eigenvector"] == pytest.approx(ev.get(c, 0.0) / top, abs=1e-8)
    assert out["eigenvector"].max() == pytest.approx(1.0, abs=1e-12)


def test_real_igo_network_2005_and_runtime_over_all_years(raw):
    """USA 2005 strength is 6,750 over 191 partners (rank 63; France first); all years timed."""
    igo, system = _real(raw, "igo"), _real(raw, "system")
    wall, cpu = time.perf_counter(), time.process_time()
    out = nw.igo_network_measures(igo, system)
    print(f"igo_network_measures: {igo.height:,} dyad-years, {out['year'].n_unique()} years, "
          f"{time.perf_counter() - wall:.2f} s wall, {time.process_time() - cpu:.2f} s CPU")
    y05 = (out.filter(year=2005)
           .with_columns(pl.col("strength").rank("min", descending=True).alias("rank")))
    usa = y05.filter(ccode=2).row(0, named=True)
    # 6750 = awk sum of dyadigos over the USA's 2005 dyads in cow_igo_ndy.csv.gz.
    assert (usa["strength"], usa["degree"], usa["rank"]) == (6750, 191, 63)
    assert y05.sort("strength", descending=True)["ccode"][0] == 220
    sy = _real(raw, "igo_sy").filter(year=2005)
    rho = y05.join(sy, on=["ccode", "year"]).select(
        pl.corr("strength", "sum_igo_full", method="spearman")).item()
    assert rho > 0.95
    per_year = out.group_by("year").agg(pl.col("pagerank").sum(), pl.col("eigenvector").max())
    np.testing.assert_allclose(per_year["pagerank"], 1.0, atol=1e-10)
    assert out.height == system.filter(pl.col("year") <= 2014).height
