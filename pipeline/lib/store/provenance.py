"""Versions recorded with every output: file digests, the data version of a table's input
files, the software release and the hash of the project's code."""

from __future__ import annotations

import functools
import hashlib
import subprocess
from importlib import metadata
from pathlib import Path

from pipeline.lib.store.paths import REPO_ROOT

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
