"""What is stale: code versions, file fingerprints and deterministic data versions.

Every asset has a **data version** that can be computed *before* running it:

* a raw table: ``hash(code version, sha256 of the file it reads)`` (a missing optional source
  hashes as "no files");
* one year of ``raw/events``: ``hash(code version, sha256 of that year's files)``; the whole
  events table, as an input, hashes the versions of its years that have files;
* a derived table: ``hash(code version, data versions of its parents)``.

The **code version** of an asset is the sha256 of the source of the module that defines it
and of every ``pipeline`` module it imports, transitively (static import graph), so editing a
parser re-ingests that source and everything downstream, nothing else. Infrastructure modules
that cannot change a table's contents (paths, provenance, run records, resources, metadata)
are left out.

An asset is stale when the data version recorded with its last successful materialization (in
``meta.runs``, see :mod:`pipeline.lib.runs`) differs from the one computed now, or its table is
missing. Because versions are deterministic, re-materializing an asset whose inputs did not
change leaves its downstream fresh.

sha256 is computed once per file and cached by (path, size, mtime) in
``<derived>/sha256_cache.json``; :func:`stat_state` (size and mtime only) is the fast path that
lets an unchanged rerun skip even the cache lookup. This module never imports dagster.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.lib.paths import REPO_ROOT, derived_dir, raw_dirs
from pipeline.lib.provenance import sha256_file

PACKAGE = "pipeline"
PACKAGE_DIR = REPO_ROOT / PACKAGE
# Modules that cannot change what a table holds; editing them must not invalidate tables.
INFRASTRUCTURE = frozenset({
    "pipeline.lib.paths", "pipeline.lib.provenance", "pipeline.lib.runs",
    "pipeline.lib.freshness", "pipeline.defs.resources", "pipeline.defs.meta",
})
# Package data read by the modules listed (the crosswalk table is code, not input data).
_DATA_FILES = {"pipeline.lib.crosswalk": ("lib/data/country_crosswalk.csv",)}
_CODE_SUFFIXES = {".py", ".csv", ".sql", ".toml", ".yaml"}


def digest(*parts: object) -> str:
    """Short, stable hash of JSON-serialisable parts (dict keys sorted)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


# -- code versions ----------------------------------------------------------------------------

def _module_file(name: str) -> Path | None:
    rel = Path(*name.split(".")[1:])
    for cand in (PACKAGE_DIR / rel.with_suffix(".py"), PACKAGE_DIR / rel / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m == PACKAGE or m.startswith(PACKAGE + ".")}


def module_closure(*modules: str) -> set[str]:
    """The given modules and every pipeline module they import, transitively (static)."""
    seen: set[str] = set()
    todo = [m for m in modules if m not in INFRASTRUCTURE]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name)
        if path is None:  # `from pipeline.lib import x` also lists names that are not modules
            continue
        seen.add(name)
        todo.extend(m for m in _imports(name, path) - seen if m not in INFRASTRUCTURE)
    return seen


@functools.cache
def code_version(*modules: str) -> str:
    """Hash of the source of ``modules`` and of the pipeline modules they import."""
    parts = []
    for name in sorted(module_closure(*modules)):
        files = [_module_file(name), *(PACKAGE_DIR / f for f in _DATA_FILES.get(name, ()))]
        parts.extend((str(f.relative_to(REPO_ROOT)), hashlib.sha256(f.read_bytes()).hexdigest())
                     for f in files if f is not None)
    return digest(parts)


def project_code_hash() -> str:
    """Hash of every code file of the package and of models/ (the unchanged-rerun fast path)."""
    parts = []
    for base in (PACKAGE_DIR, REPO_ROOT / "models"):
        for f in sorted(base.rglob("*")) if base.is_dir() else []:
            if f.suffix in _CODE_SUFFIXES and "__pycache__" not in f.parts:
                parts.append((str(f.relative_to(REPO_ROOT)), hashlib.sha256(f.read_bytes())
                              .hexdigest()))
    return digest(parts)


# -- file fingerprints ------------------------------------------------------------------------

def _cache_path() -> Path:
    return derived_dir() / "sha256_cache.json"


class Sha256Cache:
    """sha256 per file, reused while the file's size and mtime are unchanged."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or _cache_path()
        try:
            self._entries: dict = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self._entries = {}
        self._dirty = False

    def sha256(self, path: Path) -> str:
        st = path.stat()
        key = str(path)
        hit = self._entries.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return hit[2]
        value = sha256_file(path)
        self._entries[key] = [st.st_size, st.st_mtime_ns, value]
        self._dirty = True
        return value

    def files(self, paths) -> dict[str, str]:
        return {str(p): self.sha256(Path(p)) for p in paths}

    def save(self) -> None:
        if self._dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._entries))
            os.replace(tmp, self.path)
            self._dirty = False


def raw_files() -> list[Path]:
    """Every file in a source folder of every raw directory (what a sensor watches)."""
    out = []
    for d in raw_dirs():
        if d.is_dir():
            out.extend(p for p in sorted(d.glob("*/**/*")) if p.is_file())
    return out


def stat_state() -> dict[str, list[int]]:
    """(size, mtime in ns) of every raw file: cheap enough to run on every invocation."""
    state = {}
    for p in raw_files():
        st = p.stat()
        state[str(p)] = [st.st_size, st.st_mtime_ns]
    return state


# -- versions and staleness -------------------------------------------------------------------

def raw_version(code: str, files: dict[str, str]) -> str:
    """Data version of a raw table (or one event year) read from ``files`` {path: sha256}."""
    return digest(code, sorted(files.values()))


def partitioned_version(partitions: dict[str, str]) -> str:
    """Data version of a partitioned table, as an input: its non-empty partitions' versions."""
    return digest(sorted(partitions.items()))


def derived_version(code: str, parents: dict[str, str]) -> str:
    return digest(code, parents)


@dataclass(frozen=True)
class Node:
    """One asset as the planner sees it (built from the Dagster asset graph by the caller)."""

    key: str                                 # "raw/cow_nmc"
    table: str                               # "raw.cow_nmc"
    parents: tuple[str, ...]
    code: str                                # code version
    files: tuple[Path, ...] | None = None    # raw tables: the file(s) the asset reads
    partitioned: bool = False                # raw/events: one partition per year


@dataclass
class Plan:
    """What to materialize: unpartitioned keys (topological order) and event years."""

    stale: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    expected: dict[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.stale and not self.years


def _why(rec: dict | None, version: str, exists: bool, force: bool) -> str | None:
    if force:
        return "forced"
    if rec is None:
        return "never materialized"
    if rec["data_version"] != version:
        return "inputs or code changed"
    if not exists and rec.get("table_name"):
        return "table missing"
    return None


def plan(nodes: list[Node], latest: dict, tables: set[str], cache: Sha256Cache,
         event_years: dict[int, list[Path]], *, force: bool = False,
         only: set[str] | None = None) -> Plan:
    """Stale assets and event years, given the last successful records (``runs.latest``).

    ``nodes`` must be in topological order; ``only`` restricts what may be planned (a
    ``--select``), not what is hashed.
    """
    out = Plan()
    for n in nodes:
        pick = only is None or n.key in only
        if n.partitioned:
            recorded = {int(p) for (k, p), r in latest.items()
                        if k == n.key and p is not None and r["input_versions"]}
            versions = {}
            for y in sorted(set(event_years) | recorded):
                files = cache.files(event_years.get(y, []))
                v = raw_version(n.code, files)
                if files:
                    versions[str(y)] = v
                why = _why(latest.get((n.key, str(y))), v, n.table in tables, force)
                if pick and why:
                    out.years.append(y)
                    out.reasons[f"{n.key}[{y}]"] = why
            out.expected[n.key] = partitioned_version(versions)
            continue
        if n.files is not None:
            files = cache.files(n.files)
            v = raw_version(n.code, files)
            exists = n.table in tables or not files
        else:
            v = derived_version(n.code, {p: out.expected.get(p, "") for p in n.parents})
            exists = n.table in tables
        out.expected[n.key] = v
        why = _why(latest.get((n.key, None)), v, exists, force)
        if pick and why:
            out.stale.append(n.key)
            out.reasons[n.key] = why
    return out


def contiguous(years: list[int]) -> list[tuple[int, int]]:
    """Runs of consecutive years as (first, last) pairs: one Dagster run per range."""
    ranges: list[tuple[int, int]] = []
    for y in sorted(set(years)):
        if ranges and y == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], y)
        else:
            ranges.append((y, y))
    return ranges
