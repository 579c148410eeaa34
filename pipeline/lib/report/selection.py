"""``pipeline run --select``: asset keys as the summary prints them, checked before Dagster loads.

A term is an asset key, slashed (``raw/cow_nmc``) or dotted like its table (``raw.cow_nmc``),
optionally with one partition (``raw/events[2018]``) and/or a trailing ``+`` for the asset
and everything downstream of it (``raw/cow_nmc+``). An unknown key fails with the closest
known keys ("did you mean").

Checking a key needs the asset graph; loading it means importing Dagster and every
definition (tens of seconds). So each run that loads the graph saves what selection needs
(keys, children, partition keys) in ``<derived>/asset_graph.json`` with the hash of the
package's code; while the code is unchanged, a mistyped key fails in well under a second,
before Dagster is imported. Nothing here imports dagster.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.lib.report.summary import downstream
from pipeline.lib.store.paths import derived_dir
from pipeline.lib.store.provenance import project_code_hash

_TERM = re.compile(r"^(?P<key>[^\[\]+]+?)(?:\[(?P<part>[^\]]+)\])?(?P<down>\+)?$")


class UnknownAssetError(ValueError):
    """``--select`` named an asset key (or a partition) the graph does not have."""


@dataclass(frozen=True)
class AssetGraph:
    """What selection needs from an orchestrator's asset graph."""

    keys: tuple[str, ...]
    children: dict[str, tuple[str, ...]] = field(default_factory=dict)
    partitions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # partitioned keys
    checks: tuple[tuple[str, str], ...] = ()  # (asset key, check name)


@dataclass
class Selection:
    """Selected asset keys, and for ``key[partition]`` terms the partitions selected."""

    keys: set[str] = field(default_factory=set)
    partitions: dict[str, set[str]] = field(default_factory=dict)


def normalise(key: str) -> str:
    """``raw.cow_nmc`` and ``raw/cow_nmc`` (and stray spaces) -> ``raw/cow_nmc``."""
    return key.strip().replace(".", "/")


def suggest(key: str, known: list[str], n: int = 3) -> list[str]:
    """The known keys closest to a mistyped one (by name, then by full key)."""
    names = {k.rsplit("/", 1)[-1]: k for k in known}
    close = difflib.get_close_matches(key.rsplit("/", 1)[-1], list(names), n=n, cutoff=0.7)
    out = [names[c] for c in close]
    out += [k for k in difflib.get_close_matches(key, known, n=n, cutoff=0.7) if k not in out]
    return out[:n]


def _unknown(term: str, key: str, graph: AssetGraph) -> UnknownAssetError:
    hint = suggest(key, list(graph.keys))
    did = f"; did you mean {' or '.join(hint)}?" if hint else ""
    return UnknownAssetError(f"unknown asset key {term!r}{did} (keys look like raw/cow_nmc or "
                             f"raw.cow_nmc; known: {', '.join(sorted(graph.keys))})")


def resolve(terms: list[str], graph: AssetGraph) -> Selection:
    """The assets (and partitions) ``terms`` select; raises :class:`UnknownAssetError`."""
    out = Selection()
    known = set(graph.keys)
    for term in terms:
        m = _TERM.match(term.strip())
        key = normalise(m["key"]) if m else normalise(term)
        if not m or key not in known:
            raise _unknown(term, key, graph)
        if m["part"] is not None:
            parts = graph.partitions.get(key)
            if parts is None:
                raise UnknownAssetError(f"{key} is not partitioned: select it as {key}")
            if m["part"] not in parts:
                raise UnknownAssetError(
                    f"{key} has no partition {m['part']!r} (partitions {parts[0]}..{parts[-1]})")
            out.partitions.setdefault(key, set()).add(m["part"])
        out.keys.add(key)
        if m["down"]:
            out.keys |= downstream([key], graph.children)
    return out


# -- the cached graph -------------------------------------------------------------------------

def cache_path() -> Path:
    return derived_dir() / "asset_graph.json"


def save_graph(graph: AssetGraph, path: Path | None = None) -> None:
    """Keep the graph for the next invocation's early check (with the code hash)."""
    path = path or cache_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"code": project_code_hash(), "keys": list(graph.keys),
                               "children": graph.children, "partitions": graph.partitions,
                               "checks": graph.checks}))
    os.replace(tmp, path)


def cached_graph(path: Path | None = None) -> AssetGraph | None:
    """The graph saved by the last run, if the package's code has not changed since."""
    path = path or cache_path()
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("code") != project_code_hash():
        return None
    return AssetGraph(tuple(data["keys"]), {k: tuple(v) for k, v in data["children"].items()},
                      {k: tuple(v) for k, v in data["partitions"].items()},
                      tuple(tuple(c) for c in data.get("checks", ())))
