"""The layout shows the architecture: stage packages whose imports only go down, no loops.

Every import of every module under ``pipeline/`` is read with :mod:`ast` (module level and
inside functions alike), resolved to the ``pipeline`` module it names, and checked.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "pipeline"
LIB = PACKAGE / "lib"
# the stages of pipeline/lib, in order: a package may import its own stage and those above it
STAGES = ("store", "ingest", "events", "catalog", "measures", "regressions", "outputs", "report")
MAX_LINES = 300


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    return {_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@cache
def imports(name: str) -> tuple[tuple[str, str, int], ...]:
    """(imported module, imported name or '', line) for every import in module ``name``."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, "", node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for a in node.names:
                full = f"{base}.{a.name}"
                out.append((full, "", node.lineno) if full in modules()
                           else (base, a.name, node.lineno))
    return tuple(out)


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: {t for t, _, _ in imports(m) if t in mods and t != m} for m in mods}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found = []
    for root, edges in g.items():
        if root in index:
            continue
        work = [(root, iter(sorted(edges)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(g[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if parts[:2] == ["pipeline", "lib"] and len(parts) > 2 else None


def test_the_cycle_finder_finds_a_loop_and_accepts_a_tree():
    """The check below would catch a loop: a -> b -> c -> a is one component; a tree none."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_no_import_loop_anywhere_in_the_package():
    """No module imports, directly or through others, a module that imports it back (imports
    inside functions count: they are loops postponed, not removed)."""
    assert cycles(graph()) == []


def test_lib_never_imports_dagster():
    bad = [f"{m}:{line}" for m in modules() if m.startswith("pipeline.lib")
           for t, _, line in imports(m) if t == "dagster" or t.startswith("dagster")]
    assert bad == []


def test_every_lib_module_sits_in_a_stage_package_that_says_what_it_owns():
    loose = [m for m in modules() if m.startswith("pipeline.lib.") and stage(m) not in STAGES]
    assert loose == []
    for s in STAGES:
        doc = ast.get_docstring(ast.parse((LIB / s / "__init__.py").read_text()))
        assert doc and len(doc.split()) >= 10, f"pipeline/lib/{s}/__init__.py needs a docstring"


def test_lib_imports_only_go_down_the_stages():
    """store <- ingest <- events <- catalog <- measures <- regressions <- outputs <- report:
    a stage imports itself and the stages before it, never one after it."""
    up = [f"{m}:{line} imports {t}" for m in modules() if stage(m)
          for t, _, line in imports(m)
          if stage(t) and STAGES.index(stage(t)) > STAGES.index(stage(m))]
    assert up == []


def test_no_private_name_is_imported_across_modules():
    private = re.compile(r"^_[^_]")
    bad = [f"{m}:{line} imports {t}.{n}" for m in modules() for t, n, line in imports(m)
           if t.startswith("pipeline") and (private.match(n) or private.match(t.split(".")[-1]))]
    assert bad == []


def test_no_module_in_the_package_is_over_300_lines():
    long = {m: n for m, p in modules().items() if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_defs_mirror_the_stages():
    """Each Dagster wiring package under pipeline/defs is named after a stage it wires."""
    wiring = {p.parent.name for p in (PACKAGE / "defs").glob("*/__init__.py")}
    assert wiring and wiring <= set(STAGES)


@pytest.mark.parametrize("stage_name", STAGES)
def test_the_readme_layout_names_every_stage(stage_name):
    layout = (ROOT / "README.md").read_text().split("## Layout", 1)[1].split("\n## ", 1)[0]
    assert re.search(rf"^\s+{stage_name}/\s", layout, re.MULTILINE), stage_name


def test_every_repository_path_a_bench_script_names_exists():
    """Module-level paths into the repository (package data, fixtures) in bench/ survive a
    move of the package: a stale one fails here, not in a benchmark hours later."""
    import importlib
    from pathlib import PurePath

    missing = []
    for name in ("generate", "engines", "fuzz", "kill_trials", "check_quarantine"):
        mod = importlib.import_module(f"bench.{name}")
        for attr, value in vars(mod).items():
            if (isinstance(value, PurePath) and attr.isupper()
                    and Path(value).is_relative_to(ROOT) and not Path(value).exists()):
                missing.append(f"bench/{name}.py {attr} = {value}")
    assert missing == []
