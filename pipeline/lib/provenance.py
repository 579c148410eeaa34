"""Versions recorded with every output: file digests, the software release, source releases.

:func:`source_versions` and :func:`versions_note` name the release of each source as the
files loaded into the warehouse say it (NMC 7.0, state system 2024, ...), for PROVENANCE.json
and the notes under tables and figures.
"""

from __future__ import annotations

import functools
import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

from pipeline.lib.paths import REPO_ROOT

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, streamed in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


@functools.cache
def software_version() -> str:
    """``<package version>+g<commit>[.dirty]`` when run from a git checkout, else the version:
    the software release named under tables and figures (each asset's code version, a hash of
    the code it runs, is Dagster's and sits in ``raw.ingest_log`` and PROVENANCE.json)."""
    try:
        version = metadata.version("pipeline")
    except metadata.PackageNotFoundError:
        version = "0+unknown"
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+g{commit}{'.dirty' if dirty else ''}"


def source_versions(con) -> list[dict]:
    """Per source loaded into the warehouse (``raw.ingest_log``): its release as the loaded
    files say it, how that is known, and the files with their sha256."""
    from pipeline.lib.catalog import all_sources
    from pipeline.lib.inventory import release_of

    rows = con.execute("SELECT DISTINCT source, source_file, sha256 FROM raw.ingest_log "
                       "ORDER BY ALL").fetchall()
    files: dict[str, list[tuple[str, str]]] = {}
    for source, path, sha in rows:
        files.setdefault(source, []).append((path, sha))
    out = []
    for s in all_sources():
        if s.name in files:
            version, how = release_of(s, files[s.name])
            out.append({"source": s.name, "title": s.title, "version": version, "how": how,
                        "files": [{"file": Path(p).name, "sha256": h} for p, h in files[s.name]]})
    return out


def versions_note(con, sources: list[str] | None = None) -> str:
    """One line for a table or figure note: ``Data: <title> <release>; ...`` for the sources
    loaded (or only ``sources``), each release as its files say it."""
    parts = [f"{v['title']} {v['version']}" for v in source_versions(con)
             if sources is None or v["source"] in sources]
    return "Data: " + "; ".join(parts) + "." if parts else ""


NO_FILE = "no file"


def files_version(paths: list[Path]) -> str:
    """Data version of the input files of a table (or an event year): the sha256 of the one
    file, the sha256 of the sorted digests of several, ``"no file"`` for none."""
    digests = sorted(sha256_file(p) for p in paths)
    if len(digests) > 1:
        return hashlib.sha256("\n".join(digests).encode()).hexdigest()
    return digests[0] if digests else NO_FILE


_CODE_SUFFIXES = {".py", ".csv", ".sql", ".toml", ".yaml"}


def project_code_hash() -> str:
    """sha256 of every code file of the package and of ``models/`` (what cached state, such
    as the asset graph for ``--select``, is valid for)."""
    h = hashlib.sha256()
    for base in (REPO_ROOT / "pipeline", REPO_ROOT / "models"):
        for f in sorted(base.rglob("*")) if base.is_dir() else []:
            if f.suffix in _CODE_SUFFIXES and "__pycache__" not in f.parts:
                h.update(f"{f.relative_to(REPO_ROOT)}:{sha256_file(f)}\n".encode())
    return h.hexdigest()
