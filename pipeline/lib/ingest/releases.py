"""Which release of a dataset a file is, read from the file itself (cheaply, first lines only).

A registry :class:`~pipeline.lib.ingest.registry.Source` names the release it was written for; a user
may load another (NMC 7.0 where 6.0 was registered, ``states2024.csv`` where ``2016`` was).
``pipeline sources``, ``pipeline cite``, the asset metadata and the provenance of outputs must
then name the release actually loaded, so each source module may give its ``Source`` a
``release(path)`` function built from the helpers here: a ``version`` column in the first data
row, or a version in the file name.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
from pathlib import Path

_HEAD_BYTES = 1 << 16


def _head_text(path: Path) -> str:
    """The first ~64 kB of a plain, gzipped or single-member zipped text file."""
    name = path.name.lower()
    try:
        if name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                raw = fh.read(_HEAD_BYTES)
        elif name.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                members = [i for i in zf.infolist() if not i.is_dir()
                           and not i.filename.startswith("__MACOSX")]
                if len(members) != 1:
                    return ""
                with zf.open(members[0]) as fh:
                    raw = fh.read(_HEAD_BYTES)
        else:
            with open(path, "rb") as fh:
                raw = fh.read(_HEAD_BYTES)
    except (OSError, EOFError, zipfile.BadZipFile):
        return ""
    return raw.decode("utf-8", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def head_row(path: Path, sep: str = ",") -> dict[str, str]:
    """Header and first data row of a delimited file as ``{column: value}`` (empty if none)."""
    lines = [ln for ln in _head_text(path).split("\n")[:2] if ln.strip()]
    if len(lines) < 2:
        return {}
    header, first = (next(csv.reader(io.StringIO(ln), delimiter=sep)) for ln in lines)
    return {h.strip().lstrip("\ufeff"): v.strip() for h, v in zip(header, first)}


def version_column(path: Path, column: str = "version") -> str | None:
    """The value of the ``version`` column in the first data row, if there is one."""
    value = head_row(path).get(column, "")
    return value or None


def name_version(path: Path, pattern: str) -> str | None:
    """The version in a file name: ``pattern`` has one or two groups (major, minor)."""
    m = re.search(pattern, path.name, flags=re.IGNORECASE)
    if not m:
        return None
    return ".".join(g for g in m.groups() if g is not None)


def number(text: str | None) -> float | None:
    """``text`` as a number, or None."""
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None
