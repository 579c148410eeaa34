"""Code versions of the assets: a hash of the source each asset's table depends on.

The code version of an asset is the sha256 of the module that defines it and of every
``pipeline`` module it imports, transitively (the static import graph, read with :mod:`ast`),
plus any files it names (a model's TOML specification). Editing a parser therefore changes the
code version of its raw table alone; Dagster then reports that table stale, and everything
downstream once it is re-materialized with a new data version. Modules that cannot change what
a table holds (paths, provenance, materialization metadata, resources, keys, automation) are
left out, so editing them invalidates nothing.

This is the only module that hashes code; the definitions (:mod:`pipeline.definitions`, the
raw-table factory and the model assets) import it, nothing in ``pipeline.lib`` does.
"""

from __future__ import annotations

import ast
import functools
import hashlib
from pathlib import Path

import dagster as dg

from pipeline.lib.store.paths import REPO_ROOT

PACKAGE = "pipeline"
PACKAGE_DIR = REPO_ROOT / PACKAGE
INFRASTRUCTURE = frozenset({
    "pipeline.lib.store.paths", "pipeline.lib.store.provenance", "pipeline.defs.metadata",
    "pipeline.defs.resources", "pipeline.defs.keys", "pipeline.defs.versions",
    "pipeline.defs.automation",
})
# Package data read by the modules listed (the crosswalk table is code, not input data).
_DATA_FILES = {"pipeline.lib.ingest.crosswalk": ("lib/ingest/data/country_crosswalk.csv",)}


def _module_file(name: str) -> Path | None:
    rel = Path(*name.split(".")[1:])
    for cand in (PACKAGE_DIR / rel.with_suffix(".py"), PACKAGE_DIR / rel / "__init__.py"):
        if cand.is_file():
            return cand
    return None


@functools.cache
def _imports(name: str) -> frozenset[str]:
    """The pipeline modules ``name`` imports (module-level and inside functions)."""
    path = _module_file(name)
    if path is None:  # `from pipeline.lib import x` also lists names that are not modules
        return frozenset()
    tree = ast.parse(path.read_bytes())
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return frozenset(m for m in found if m == PACKAGE or m.startswith(PACKAGE + "."))


def module_closure(*modules: str) -> set[str]:
    """The given modules and every pipeline module they import, transitively (static)."""
    seen: set[str] = set()
    todo = [m for m in modules if m not in INFRASTRUCTURE]
    while todo:
        name = todo.pop()
        if name in seen or _module_file(name) is None:
            continue
        seen.add(name)
        todo.extend(m for m in _imports(name) - seen if m not in INFRASTRUCTURE)
    return seen


@functools.cache
def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def code_version(*modules: str, files: tuple[Path, ...] = ()) -> str:
    """sha256 of the source of ``modules``, the pipeline modules they import and ``files``."""
    h = hashlib.sha256()
    for name in sorted(module_closure(*modules)):
        paths = [_module_file(name), *(PACKAGE_DIR / f for f in _DATA_FILES.get(name, ()))]
        for p in paths:
            h.update(f"{p.relative_to(REPO_ROOT)}:{_file_digest(p)}\n".encode())
    for p in files:
        h.update(f"{p.name}:{_file_digest(p)}\n".encode())
    return h.hexdigest()


def defining_module(assets_def: dg.AssetsDefinition) -> str:
    """The module whose function computes ``assets_def``."""
    fn = getattr(assets_def.op.compute_fn, "decorated_fn", None)
    return getattr(fn, "__module__", None) or PACKAGE
