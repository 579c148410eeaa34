"""Status recognition from networks: DipEx waves, IGO years, and annualisation (METHODS §2).

- :func:`dipex_wave_measures`: one directed graph per Diplomatic Exchange wave (edge i -> j
  when i is represented in j), with degrees, level-weighted in-degree, PageRank, eigenvector
  centrality and Louvain communities per state and wave.
- :func:`igo_network_measures`: one undirected graph per year weighted by shared full IGO
  memberships, with strength, degree, eigenvector centrality and PageRank.

Degrees and strengths are polars aggregations over all waves at once. PageRank runs once
for all waves/years as a block-diagonal ``scipy.sparse`` power iteration that reproduces
networkx's ``pagerank``. Eigenvector centrality (networkx's algorithm, vectorised, for the
directed waves; Lanczos for the symmetric IGO graphs) and Louvain communities need one
graph per wave/year and loop over them.
"""

from __future__ import annotations

import logging

import networkx as nx
import numpy as np
import polars as pl
import scipy.sparse as sp
import scipy.sparse.linalg as sla

from pipeline.lib.measures.centrality import EIGEN_MAX_ITER, communities, eigenvector, pagerank

log = logging.getLogger(__name__)

LEVEL_WEIGHT = {1: 2, 2: 3, 3: 4, 9: 1}


def all_code9_waves(ties: pl.DataFrame | pl.LazyFrame) -> set[int]:
    """Waves in which every present tie (level in 1, 2, 3, 9) has code 9 (METHODS §2.1, §9).

    Waves without any present tie are not included. In DipEx v2006.1 these should be
    1950-1965, where levels were not coded; level-weighted measures are NULL there.
    """
    return set(
        ties.lazy()
        .filter(pl.col("level").is_in([1, 2, 3, 9]))
        .group_by("year")
        .agg((pl.col("level") == 9).all().alias("all9"))
        .filter("all9")
        .collect()["year"]
        .to_list()
    )


def wave_edges(ties: pl.DataFrame | pl.LazyFrame, system: pl.DataFrame | pl.LazyFrame,
               count_code_9: bool = True) -> pl.DataFrame:
    """Present ties i -> j among system members: ``sender, host, year, level, w``.

    Presence is a level in {1, 2, 3}, plus 9 when ``count_code_9``; ``w`` is the level
    weight 1->2, 2->3, 3->4, 9->1 (METHODS §2.1). Self-ties and ties to or from states that
    are not system members in the wave year are dropped. ``ties`` must hold one row per
    (sender, host, year), as :func:`pipeline.lib.ingest.sources.cow_dipex.ties` returns.
    """
    members = system.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32))
    codes = [1, 2, 3, 9] if count_code_9 else [1, 2, 3]
    return (
        ties.lazy()
        .select(pl.col("sender", "host", "year").cast(pl.Int32), pl.col("level").cast(pl.Int8))
        .filter(pl.col("level").is_in(codes), pl.col("sender") != pl.col("host"))
        .join(members.rename({"ccode": "sender"}), on=["sender", "year"], how="semi")
        .join(members.rename({"ccode": "host"}), on=["host", "year"], how="semi")
        .with_columns(pl.col("level").replace_strict(LEVEL_WEIGHT, return_dtype=pl.Int8)
                      .alias("w"))
        .sort("year", "sender", "host")
        .collect()
    )


def _nodes(system: pl.DataFrame | pl.LazyFrame, years: pl.Series) -> pl.DataFrame:
    """Members in ``years``: index ``i`` within the year, ``g`` overall, year ``block``."""
    nodes = (
        system.lazy()
        .select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32))
        .filter(pl.col("year").is_in(years.implode()))
        .sort("year", "ccode")
        .with_columns(pl.int_range(pl.len()).over("year").cast(pl.Int32).alias("i"),
                      pl.int_range(pl.len()).alias("g"),
                      (pl.col("year").rank("dense") - 1).alias("block"),
                      pl.len().over("year").cast(pl.Int32).alias("n_nodes"))
        .collect()
    )
    if nodes.height == 0:
        raise ValueError("no system members in any wave/year of the network input")
    return nodes


def _indexed(edges: pl.DataFrame, nodes: pl.DataFrame, a: str, b: str) -> pl.DataFrame:
    """Edges with node indices ``ia, ga`` (of column ``a``) and ``ib, gb`` (of ``b``)."""
    idx = nodes.select("ccode", "year", "i", "g")
    return (edges.join(idx.rename({"ccode": a, "i": "ia", "g": "ga"}), on=[a, "year"])
            .join(idx.rename({"ccode": b, "i": "ib", "g": "gb"}), on=[b, "year"]))


def _block_pagerank(ix: pl.DataFrame, nodes: pl.DataFrame, undirected: bool) -> pl.Series:
    """PageRank of every year's graph in one block-diagonal iteration, in ``nodes`` order."""
    src, dst, w = (ix[c].to_numpy() for c in ("ga", "gb", "w"))
    if undirected:
        src, dst, w = np.concatenate([src, dst]), np.concatenate([dst, src]), np.tile(w, 2)
    pr = pagerank(src, dst, w, nodes.height, block=nodes["block"].to_numpy())
    return pl.Series("pagerank", pr, dtype=pl.Float64)


def _per_graph(measure, ix: pl.DataFrame, nodes: pl.DataFrame) -> pl.DataFrame:
    """Concatenate ``measure(year, n, edges_of_year)`` over the years of ``nodes``."""
    parts = ix.partition_by("year", as_dict=True)
    sizes = nodes.group_by("year").agg(pl.col("n_nodes").first()).sort("year")
    return pl.concat([measure(y, n, parts.get((y,), ix.clear())) for y, n in
                      zip(sizes["year"].to_list(), sizes["n_nodes"].to_list(), strict=True)])


def _wave_graph_measures(year: int, n: int, e: pl.DataFrame) -> pl.DataFrame:
    """Eigenvector, community and modularity for one wave (node index order)."""
    src, dst, w = (e[c].to_numpy() for c in ("ia", "ib", "w"))
    a = sp.csr_array((w.astype(np.float64), (src, dst)), shape=(n, n))
    eig = eigenvector(a)
    if eig is None:
        log.warning("eigenvector centrality NULL in wave %d: %s", year,
                    "no edges" if a.nnz == 0 else f"no convergence in {EIGEN_MAX_ITER} steps")
    g = nx.from_scipy_sparse_array(a, create_using=nx.DiGraph, edge_attribute="w")
    comm, q = communities(g, np.bincount(dst, minlength=n))
    return pl.DataFrame({
        "i": np.arange(n, dtype=np.int32), "year": np.full(n, year, dtype=np.int32),
        "eigenvector": pl.Series(eig, dtype=pl.Float64) if eig is not None
        else pl.Series([None] * n, dtype=pl.Float64),
        "community": pl.Series(comm).fill_nan(None).cast(pl.Int32),
        "modularity": pl.Series([q] * n, dtype=pl.Float64),
    })


def dipex_wave_measures(ties: pl.DataFrame | pl.LazyFrame, system: pl.DataFrame | pl.LazyFrame,
                        count_code_9: bool = True) -> pl.DataFrame:
    """Diplomatic recognition per state and DipEx wave (METHODS §2.1-2.3).

    Parameters
    ----------
    ties : sender, host, year, level (DR codes 0/1/2/3/9), one row per directed pair-wave.
    system : COW state-years ``ccode, year``; nodes of a wave are all members that year.
    count_code_9 : count level 9 (other/unclear) as present (weight 1).

    Returns
    -------
    pl.DataFrame
        One row per member and wave: ``ccode, year, n_nodes, indegree, outdegree, share``
        (indegree / (N - 1)), ``weighted_indegree`` (NULL in waves where every present tie
        is code 9), ``pagerank`` (d = 0.85, level-weighted; sums to 1), ``pagerank_n``
        (N * PageRank, mean 1), ``eigenvector`` (in-edges, weighted, unit L2 norm; NULL
        without convergence), ``community`` (Louvain, resolution 1, seed 1; 1 = largest,
        NULL for singletons without in-links) and the wave's ``modularity``.

    References
    ----------
    Renshon, J. 2016. "Status Deficits and War." *International Organization* 70(3):
    513-550. doi:10.1017/S0020818316000163.
    Duque, M. G. 2018. "Recognizing International Status: A Relational Approach."
    *International Studies Quarterly* 62(3): 577-592. doi:10.1093/isq/sqy001.
    """
    edges = wave_edges(ties, system, count_code_9)
    nodes = _nodes(system, ties.lazy().select(pl.col("year").cast(pl.Int32).unique())
                   .collect()["year"])
    all9 = sorted(all_code9_waves(ties))
    indeg = edges.group_by(pl.col("host").alias("ccode"), "year").agg(
        pl.len().cast(pl.Int32).alias("indegree"),
        pl.col("w").cast(pl.Int32).sum().alias("weighted_indegree"))
    outdeg = edges.group_by(pl.col("sender").alias("ccode"), "year").agg(
        pl.len().cast(pl.Int32).alias("outdegree"))
    ix = _indexed(edges, nodes, "sender", "host")
    graph = _per_graph(_wave_graph_measures, ix, nodes)
    return (
        nodes.with_columns(_block_pagerank(ix, nodes, undirected=False))
        .join(indeg, on=["ccode", "year"], how="left")
        .join(outdeg, on=["ccode", "year"], how="left")
        .with_columns(pl.col("indegree", "outdegree", "weighted_indegree").fill_null(0))
        .with_columns(
            pl.when(pl.col("year").is_in(all9)).then(None)
            .otherwise(pl.col("weighted_indegree")).alias("weighted_indegree"),
            (pl.col("indegree") / (pl.col("n_nodes") - 1).replace(0, None)).alias("share"))
        .join(graph, on=["i", "year"], how="left")
        .with_columns((pl.col("pagerank") * pl.col("n_nodes")).alias("pagerank_n"))
        .select("ccode", "year", "n_nodes", "indegree", "outdegree", "share",
                "weighted_indegree", "pagerank", "pagerank_n", "eigenvector", "community",
                "modularity")
        .sort("year", "ccode")
    )


def _igo_year_measures(year: int, n: int, e: pl.DataFrame) -> pl.DataFrame:
    """Eigenvector centrality (max 1) of one undirected weighted IGO graph."""
    ia, ib, w = (e[c].to_numpy() for c in ("ia", "ib", "w"))
    eig = None
    if len(w):
        a = sp.csr_array((np.tile(w, 2).astype(np.float64),
                          (np.concatenate([ia, ib]), np.concatenate([ib, ia]))), shape=(n, n))
        # ARPACK (Lanczos) for the top eigenpair only; a dense eigh of all pairs is 10-40x
        # slower. Starting from ones keeps it deterministic and never orthogonal to the
        # nonnegative Perron vector.
        vec = np.abs(sla.eigsh(a, k=1, which="LA", v0=np.ones(n))[1][:, 0])
        eig = vec / vec.max()
    return pl.DataFrame({
        "i": np.arange(n, dtype=np.int32), "year": np.full(n, year, dtype=np.int32),
        "eigenvector": pl.Series(eig if eig is not None else [None] * n, dtype=pl.Float64),
    })


def igo_network_measures(igo_dyadic: pl.DataFrame | pl.LazyFrame,
                         system: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Shared-IGO-membership network position per state-year (METHODS §2.5).

    Each year is an undirected graph on all system members, with edge weight ``dyadigos``
    (shared full memberships; zero-weight dyads are no edge).

    Parameters
    ----------
    igo_dyadic : ``cow_igo_ndy``: ``ccode1, ccode2, year, dyadigos``, one row per dyad-year
        (either order; a pair listed in both orders is counted once).
    system : COW state-years ``ccode, year``; dyads with a non-member are dropped.

    Returns
    -------
    pl.DataFrame
        One row per member and year present in ``igo_dyadic``: ``ccode, year, n_nodes``,
        ``degree`` (partners with at least one shared IGO), ``strength`` (sum of shared
        memberships), ``eigenvector`` (leading eigenvector of the symmetric weight matrix,
        scaled to max 1 within the year, so comparable within not across years; NULL in a
        year without edges), ``pagerank`` (d = 0.85, weighted, edges both ways; sums to 1)
        and ``pagerank_n`` (N * PageRank).

    Notes
    -----
    The eigenvector is the Perron vector of the nonnegative symmetric weight matrix, the
    eigenvector of its largest eigenvalue (``scipy.sparse.linalg.eigsh``, Lanczos/ARPACK).
    On a disconnected graph it is zero outside the component with the largest eigenvalue
    (ambiguous only if two components tie exactly). Unlike networkx's unit-norm scaling, the
    max-1 scaling makes the top state 1 in every year whatever N.

    References
    ----------
    Hafner-Burton, E. M., and A. H. Montgomery. 2006. "Power Positions: International
    Organizations, Social Networks, and Conflict." *Journal of Conflict Resolution* 50(1):
    3-27. doi:10.1177/0022002705281669.
    Pevehouse, J. C. W., T. Nordstrom, R. W. McManus, and A. S. Jamison. 2020. "Tracking
    Organizations in the World: The Correlates of War IGO Version 3.0 Datasets." *Journal
    of Peace Research* 57(3): 492-503. doi:10.1177/0022343319881175.
    """
    members = system.lazy().select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32))
    lf = igo_dyadic.lazy()
    edges = (
        lf.select(pl.min_horizontal("ccode1", "ccode2").cast(pl.Int32).alias("a"),
                  pl.max_horizontal("ccode1", "ccode2").cast(pl.Int32).alias("b"),
                  pl.col("year").cast(pl.Int32), pl.col("dyadigos").cast(pl.Int32).alias("w"))
        .filter(pl.col("w") > 0, pl.col("a") != pl.col("b"))
        .unique(["a", "b", "year"], keep="first")
        .join(members.rename({"ccode": "a"}), on=["a", "year"], how="semi")
        .join(members.rename({"ccode": "b"}), on=["b", "year"], how="semi")
        .collect()
    )
    nodes = _nodes(system, lf.select(pl.col("year").cast(pl.Int32).unique()).collect()["year"])
    ends = pl.concat([edges.select(pl.col(c).alias("ccode"), "year", "w") for c in ("a", "b")])
    deg = ends.group_by("ccode", "year").agg(pl.len().cast(pl.Int32).alias("degree"),
                                             pl.col("w").sum().cast(pl.Int32).alias("strength"))
    ix = _indexed(edges, nodes, "a", "b")
    graph = _per_graph(_igo_year_measures, ix, nodes)
    return (
        nodes.with_columns(_block_pagerank(ix, nodes, undirected=True))
        .join(deg, on=["ccode", "year"], how="left")
        .with_columns(pl.col("degree", "strength").fill_null(0))
        .join(graph, on=["i", "year"], how="left")
        .with_columns((pl.col("pagerank") * pl.col("n_nodes")).alias("pagerank_n"))
        .select("ccode", "year", "n_nodes", "degree", "strength", "eigenvector", "pagerank",
                "pagerank_n")
        .sort("year", "ccode")
    )
