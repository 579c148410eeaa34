"""Opening raw files: the one opener for plain, ``.gz`` and ``.zip`` files, and their bytes.

Every reader opens a raw file through :func:`open_raw` (a binary stream and a label that names
the file, ``path!member`` for a zip) and turns a failure while reading into
:func:`read_error`, so a truncated gzip or a corrupt zip member gives the same
:class:`~pipeline.lib.ingest.rawio.InputError` whichever reader met it. A zip must hold exactly one
data member (``.csv``/``.tab``/``.tsv``/``.txt`` outside ``__MACOSX``) and no member whose path
escapes the archive (zip-slip). :class:`InputError` is defined here, below every reader.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

READ_ERRORS = (EOFError, OSError, zlib.error, zipfile.BadZipFile)
DATA_SUFFIXES = (".csv", ".tab", ".tsv", ".txt")


class InputError(ValueError):
    """A raw file that cannot be read; the message names file, line and column."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None,
                 column: str | int | None = None):
        self.path, self.reason, self.line, self.column = str(path), reason, line, column
        where = self.path
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {reason}")


def zip_data_member(zf: zipfile.ZipFile, path: Path, member: str | None = None) -> zipfile.ZipInfo:
    """The one data member of a publisher zip (or ``member``); refuses paths that escape it."""
    infos = [i for i in zf.infolist() if not i.is_dir()]
    for info in infos:
        p = PurePosixPath(info.filename.replace("\\", "/"))
        if p.is_absolute() or ".." in p.parts:
            raise InputError(path, f"unsafe member path {info.filename!r} in zip")
    data = [i for i in infos if not i.filename.startswith("__MACOSX")
            and i.filename.lower().endswith(DATA_SUFFIXES)]
    if member is not None:
        data = [i for i in data if PurePosixPath(i.filename).name == member]
    if len(data) != 1:
        raise InputError(path, f"expected one data member in zip, found "
                         f"{[i.filename for i in infos]}")
    return data[0]


def is_plain(path: Path) -> bool:
    """Whether the file's bytes are its text (not a ``.gz`` or ``.zip`` archive)."""
    return not path.name.lower().endswith((".gz", ".zip"))


def read_error(path: Path, exc: BaseException, line: int | None = None) -> InputError:
    """The InputError for a failure while reading ``path`` (``line``: where, if known)."""
    name = path.name.lower()
    if name.endswith(".gz"):
        return InputError(path, f"corrupt or truncated gzip ({exc})", line=line)
    if name.endswith(".zip"):
        return InputError(path, f"corrupt zip member ({exc})", line=line)
    return InputError(path, f"cannot read ({exc})", line=line)


@contextmanager
def open_raw(path: Path, member: str | None = None) -> Iterator[tuple[IO[bytes], str]]:
    """Binary stream of a raw file's data and its label (``path!member`` for a zip).

    Failures while opening raise :class:`InputError`; a caller wraps failures while reading
    with :func:`read_error` (it knows the line it had reached)."""
    if not path.exists():
        raise InputError(path, "file not found")
    name = path.name.lower()
    if name.endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            yield fh, str(path)
    elif name.endswith(".zip"):
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise InputError(path, f"corrupt zip archive ({exc})") from exc
        with zf:
            info = zip_data_member(zf, path, member)
            with zf.open(info) as fh:
                yield fh, f"{path}!{info.filename}"
    else:
        with open(path, "rb", buffering=0) as fh:
            yield fh, str(path)


def read_bytes(path: Path, member: str | None = None) -> tuple[bytes, str]:
    """Return the (decompressed) bytes of a raw file and a label naming it.

    ``.gz`` is gunzipped; ``.zip`` yields its single data member (or ``member``). A truncated
    gzip, a corrupt zip or a zip member whose path escapes the archive raises InputError.
    """
    with open_raw(path, member) as (fh, label):
        try:
            return fh.read(), label
        except READ_ERRORS as exc:
            raise read_error(path, exc) from exc


def decode(data: bytes, label: str, encoding: str = "utf-8") -> tuple[str, list[tuple[int, int]]]:
    """Decode bytes to text; lines that are not valid ``encoding`` are reported, not guessed.

    Returns the text with bad lines blanked out, and ``(line, byte column)`` of each bad line.
    Bare-CR line endings (old Mac) and CRLF are normalised to LF.
    """
    if not data.strip():
        raise InputError(label, "file is empty", line=1)
    bad: list[tuple[int, int]] = []
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        lines = data.split(b"\n")
        out = []
        for i, raw in enumerate(lines, start=1):
            try:
                out.append(raw.decode(encoding))
            except UnicodeDecodeError as exc:
                bad.append((i, exc.start + 1))
                out.append("")
        text = "\n".join(out)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, bad
