"""Byte blocks of whole lines from an event file, and each format's streaming layout.

:func:`blocks` reads a plain, ``.gz`` or ``.zip`` file in blocks of whole lines (no block
ever holds the whole file), normalises CRLF/CR to LF and numbers lines physically (ICEWS
header = line 1). :func:`layout_for` reads only the first line to decide the layout (ICEWS
header names, GDELT width) and raises :class:`~pipeline.lib.ingest.InputError` for the same
unreadable files the eager reader refuses, with the same messages.
"""

from __future__ import annotations

import gzip
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from pipeline.lib.ingest import Col, InputError, _check_header, zip_data_member
from pipeline.lib.sources.cameo import quad_class, root_code
from pipeline.lib.sources.events import join_codes, parse_date

BLOCK = 1 << 25  # 32 MiB of text per batch (~120k ICEWS rows)


@dataclass
class RawBlock:
    data: bytes     # whole lines, LF-terminated except perhaps the file's last
    line0: int      # physical line number of the block's first line
    label: str      # file label for line-level quarantine (``path!member`` for zips)
    newlines: int | None = None  # LFs in ``data``, once known (a parser may set it)
    _starts: np.ndarray | None = None

    def newline_count(self) -> int:
        """LFs in ``data``: the count a parser proved (see ``eventstream._text_rows``), else
        counted here."""
        if self.newlines is None:
            self.newlines = self.data.count(b"\n")
        return self.newlines

    def starts(self) -> np.ndarray:
        if self._starts is None:
            nl = np.flatnonzero(np.frombuffer(self.data, np.uint8) == 10)
            self._starts = np.concatenate(([0], nl + 1))
        return self._starts


def line_texts(blk: RawBlock, lines: list[int]) -> list[str]:
    """Decoded text of the given physical lines of a block (few lines; exact bytes)."""
    if not lines:
        return []
    st = blk.starts()
    out = []
    for ln in lines:
        i = ln - blk.line0
        a = int(st[i])
        b = int(st[i + 1]) - 1 if i + 1 < len(st) else len(blk.data)
        out.append(blk.data[a:b].decode("utf-8", errors="replace"))
    return out


@dataclass
class Layout:
    """How one file's text columns become staged event rows."""

    dataset: str
    header: bool
    names: list[str]
    needed: list[str]
    cols: list[Col]
    low_card: set[str]
    lookup_extra: dict[str, dict[str, pl.Expr]]
    code_col: str
    stage: list[pl.Expr]
    country_kind: str
    raw_must_match: bool = False
    sep: str = "\t"
    prepare: Callable[[pl.DataFrame], pl.DataFrame] | None = None
    from_text: bool = False
    disagree: pl.Expr | None = None
    notes: dict = field(default_factory=dict)
    raw_suffix: None = None


# --------------------------------------------------------------------------- bytes


@contextmanager
def _open(path: Path):
    """Binary stream of the file's data and its label; zip members checked as eagerly."""
    name = path.name.lower()
    if not path.exists():
        raise InputError(path, "file not found")
    if name.endswith(".gz"):
        with gzip.open(path, "rb") as fh:
            yield fh, str(path)
    elif name.endswith(".zip"):
        try:
            zf = zipfile.ZipFile(path)
        except zipfile.BadZipFile as exc:
            raise InputError(path, f"corrupt zip archive ({exc})") from exc
        with zf:
            info = zip_data_member(zf, path)
            with zf.open(info) as fh:
                yield fh, f"{path}!{info.filename}"
    else:
        with open(path, "rb", buffering=0) as fh:
            yield fh, str(path)


def _wrap(path: Path, exc: Exception, line: int | None) -> InputError:
    if path.name.lower().endswith(".gz"):
        return InputError(path, f"corrupt or truncated gzip ({exc})", line=line)
    if path.name.lower().endswith(".zip"):
        return InputError(path, f"corrupt zip member ({exc})", line=line)
    return InputError(path, f"cannot read ({exc})", line=line)


def is_plain(path: Path) -> bool:
    """Whether the file's bytes are its text (not a .gz or .zip archive)."""
    return not path.name.lower().endswith((".gz", ".zip"))


def _chunks(path: Path, size: int, digest=None) -> Iterator[tuple[bytes, str]]:
    """Raw chunks of whole lines (cut after the last LF, else the last CR).

    ``digest`` (a ``hashlib`` object; plain files only) is fed every byte read, so a caller
    that reads the file to its end gets its checksum without a second read."""
    if digest is not None and not is_plain(path):
        raise ValueError(f"{path}: a digest of the bytes read is a digest of the file only "
                         "for plain files")
    with _open(path) as (fh, label):
        buf, have, started = bytearray(size), 0, False
        mv = memoryview(buf)
        try:
            while True:
                if have == len(buf):  # one line longer than the buffer: grow
                    mv.release()
                    buf.extend(bytes(len(buf)))
                    mv = memoryview(buf)
                n = fh.readinto(mv[have:])
                end = have + n
                if digest is not None and n:
                    digest.update(mv[have:end])
                if n == 0:
                    if end:
                        yield bytes(mv[:end]), label
                    return
                cut = buf.rfind(b"\n", 0, end)
                if cut < 0:
                    cut = buf.rfind(b"\r", 0, end)
                if cut < 0:
                    have = end
                    continue
                started = True
                yield bytes(mv[:cut + 1]), label
                rest = end - cut - 1
                mv[:rest] = mv[cut + 1:end]
                have = rest
        except (EOFError, OSError, zlib.error, zipfile.BadZipFile) as exc:
            raise _wrap(path, exc, None if started else 1) from exc


def blocks(path: Path, lay: Layout, size: int | None = None,
           digest=None) -> Iterator[RawBlock]:
    """Blocks of whole data lines (header skipped), CR/CRLF normalised, lines numbered.

    A block's ``line0`` depends on the LFs of the blocks before it, so blocks must be
    consumed in order (one consumer at a time). ``digest``: see :func:`_chunks`."""
    line = 1
    first = True
    for data, label in _chunks(path, size or BLOCK, digest):
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if first and lay.header:
            cut = data.find(b"\n")
            data = b"" if cut < 0 else data[cut + 1:]
            line = 2
        first = False
        if data:
            blk = RawBlock(data, line, label)
            yield blk
            line += blk.newline_count()  # after the caller parsed it: often known by then


def first_line_bytes(path: Path) -> tuple[bytes, bool, str]:
    """(first line, whether the whole first chunk is blank, label)."""
    for data, label in _chunks(path, 1 << 16):
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        return data.split(b"\n", 1)[0], not data.strip(), label
    return b"", True, str(path)


# --------------------------------------------------------------------------- layouts


def _header(path: Path, expected: list[str]) -> tuple[list[str], str]:
    raw, blank, label = first_line_bytes(path)
    if blank:
        raise InputError(label, "file is empty", line=1)
    try:
        first = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = " (the file starts with a UTF-16 byte-order mark)" if raw[:2] in (
            b"\xff\xfe", b"\xfe\xff") else ""
        raise InputError(label, f"header is not valid utf-8{hint}", line=1,
                         column=f"byte {exc.start + 1}") from exc
    names = [n.strip().lstrip("\ufeff") for n in first.split("\t")]
    if len(names) <= 1 and len(expected) > 1:
        raise InputError(label, f"wrong delimiter or header: expected '\\t'-separated "
                         f"columns {expected}, found {first[:80]!r}", line=1)
    _check_header(label, names, expected)
    return names, label


def layout_for(path: Path, cameo: pl.DataFrame, dataset: str | None = None) -> Layout:
    """The streaming layout of an ICEWS ``.tab`` or GDELT 1.0 file (``dataset`` or detected)."""
    if dataset is None:
        from pipeline.lib.sources.events import detect_event_format
        dataset = detect_event_format(path)
    if dataset == "icews":
        return _icews(path, cameo)
    if dataset != "gdelt1":
        raise ValueError(f"no streaming layout for {dataset!r}")
    raw, blank, label = first_line_bytes(path)
    text = raw.decode("utf-8", errors="replace").lstrip("\ufeff")
    if blank:
        raise InputError(label, "file is empty", line=1)
    return _gdelt(path, 57 if len(text.split("\t")) == 57 else 58)


def _icews(path: Path, cameo: pl.DataFrame) -> Layout:
    from pipeline.lib.sources import icews
    expected = [c.name for c in icews._COLS]
    raw, _, _ = first_line_bytes(path)
    from_text = "CAMEO Code" not in raw.decode("utf-8", errors="replace").split("\t")
    if from_text:
        if "name" not in cameo.columns:
            raise InputError(path, "no CAMEO Code column and no CAMEO names to map Event Text",
                             line=1, column="CAMEO Code")
        expected = [c if c != "CAMEO Code" else "Event Text" for c in expected]
    names, _ = _header(path, expected)
    t = {c: pl.col(f"__t_{c}") for c in expected + ["CAMEO Code"]}
    return Layout(
        dataset="icews", header=True, names=names, needed=expected, cols=icews._COLS,
        low_card={"Event Date", "CAMEO Code", "Intensity", "Source Country", "Target Country",
                  "Source Sectors", "Target Sectors"},
        lookup_extra={"Event Date": {"__date": parse_date(pl.col("__v"), icews.DATE_FORMATS)}},
        code_col="CAMEO Code",
        stage=[t["Event ID"].alias("event_id"), pl.col("__date").alias("event_date"),
               t["Source Name"].alias("source_actor"), t["Target Name"].alias("target_actor"),
               t["Source Country"].alias("source_country"),
               t["Target Country"].alias("target_country"),
               t["Source Sectors"].alias("source_sectors"),
               t["Target Sectors"].alias("target_sectors"),
               t["CAMEO Code"].alias("cameo_code"), t["Intensity"].alias("raw_goldstein"),
               pl.lit(None, pl.Boolean).alias("is_root_event"),
               "goldstein", "root_code", "quad_class"],
        country_kind="name", raw_must_match=True, from_text=from_text,
        prepare=(lambda rows: icews._code_from_text(rows, cameo)) if from_text else None)


def _gdelt(path: Path, width: int) -> Layout:
    from pipeline.lib.sources import gdelt
    names = list(gdelt.GDELT1_COLUMNS[:width])
    t = {c.name: pl.col(f"__t_{c.name}") for c in gdelt._COLS}
    low = {"SQLDATE", "IsRootEvent", "EventCode", "QuadClass", "GoldsteinScale",
           *[c for c in gdelt._TEXT if "Name" not in c]}
    return Layout(
        dataset="gdelt1", header=False, names=names, needed=[c.name for c in gdelt._COLS],
        cols=gdelt._COLS, low_card=low,
        lookup_extra={"SQLDATE": {"__date": parse_date(pl.col("__v"), ("%Y%m%d",))},
                      "EventCode": {"__quad_code": quad_class(root_code(pl.col("__v")))}},
        code_col="EventCode",
        stage=[t["GLOBALEVENTID"].alias("event_id"), pl.col("__date").alias("event_date"),
               t["Actor1Name"].alias("source_actor"), t["Actor2Name"].alias("target_actor"),
               t["Actor1CountryCode"].alias("source_country"),
               t["Actor2CountryCode"].alias("target_country"),
               join_codes(*[f"__t_Actor1Type{i}Code" for i in (1, 2, 3)])
               .alias("source_sectors"),
               join_codes(*[f"__t_Actor2Type{i}Code" for i in (1, 2, 3)])
               .alias("target_sectors"),
               t["EventCode"].alias("cameo_code"), t["GoldsteinScale"].alias("raw_goldstein"),
               t["IsRootEvent"].alias("is_root_event"),
               "goldstein", "root_code", "quad_class"],
        country_kind="cameo", disagree=(t["QuadClass"] != pl.col("__quad_code")),
        notes={"columns": width})
