"""An event file as blocks of whole lines, in bounded memory, with physical line numbers.

:func:`blocks` reads a plain, ``.gz`` or ``.zip`` file through the one opener
(:func:`pipeline.lib.ingest.rawio.open_raw`) in blocks of about ``BLOCK`` bytes cut after a line
end (outside quotes, for a quoted CSV), so no block ever holds the whole file. CRLF and bare
CR become LF, and lines are numbered as they stand in the file (the header is line 1). A
block's first line number needs the line count of the blocks before it, so blocks are
consumed in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.lib.ingest.rawio import READ_ERRORS, is_plain, open_raw, read_error

BLOCK = 1 << 25  # 32 MiB of text per block (~120k ICEWS rows)
_LF, _CR, _QUOTE = 10, 13, 34


@dataclass
class Block:
    """Whole lines of a file (LF-terminated, except perhaps the file's last)."""

    data: bytes
    line0: int                # physical line number of the first line
    label: str                # file label (``path!member`` for a zip)
    newlines: int | None = None  # LFs in ``data``, once a reader has proved the count
    _bounds: tuple[np.ndarray, np.ndarray] | None = None

    def newline_count(self) -> int:
        if self.newlines is None:
            self.newlines = self.data.count(b"\n")
        return self.newlines

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and end (exclusive, without the LF) byte offset of every line."""
        if self._bounds is None:
            nl = np.flatnonzero(np.frombuffer(self.data, np.uint8) == _LF)
            starts = np.concatenate(([0], nl + 1))
            ends = np.concatenate((nl, [len(self.data)]))
            if self.data.endswith(b"\n"):
                starts, ends = starts[:-1], ends[:-1]
            self._bounds = (starts, ends)
            self.newlines = len(nl)
        return self._bounds

    def lines(self, numbers) -> list[bytes]:
        """The bytes of the given physical lines."""
        starts, ends = self.bounds()
        return [self.data[starts[n - self.line0]:ends[n - self.line0]] for n in numbers]

    def texts(self, numbers) -> list[str]:
        """The text of the given physical lines (undecodable bytes replaced)."""
        return [b.decode("utf-8", errors="replace") for b in self.lines(numbers)]


def _cut(buf: bytearray, end: int, quoted: bool, eof: bool) -> int:
    """Where a chunk of ``buf[:end]`` may end (index of its last line end), or -1."""
    cut = buf.rfind(b"\n", 0, end)
    if cut < 0:  # old Mac files end lines with CR alone; a CR at the end may start a CRLF
        cut = buf.rfind(b"\r", 0, end if eof else end - 1)
    if quoted:
        odd = buf.count(b'"', 0, cut) % 2 if cut >= 0 else 0
        while odd and cut >= 0:  # that line end is inside a quoted field: step back
            prev = max(buf.rfind(b"\n", 0, cut), buf.rfind(b"\r", 0, cut))
            odd ^= buf.count(b'"', prev + 1, cut) % 2
            cut = prev
    return cut


def chunks(path: Path, size: int, *, quoted: bool = False,
           digest=None) -> Iterator[tuple[bytes, str]]:
    """Raw chunks of whole lines (CR/CRLF not yet normalised) and the file's label.

    ``digest`` (a ``hashlib`` object; plain files only) is fed every byte read, so a caller
    that reads the file to its end gets its checksum without a second read."""
    if digest is not None and not is_plain(path):
        raise ValueError(f"{path}: a digest of the bytes read is the file's only when plain")
    with open_raw(path) as (fh, label):
        buf, have, started = bytearray(size), 0, False
        mv = memoryview(buf)
        try:
            while True:
                if have == len(buf):  # one record longer than the buffer: grow
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
                cut = _cut(buf, end, quoted, eof=False)
                if cut < 0 and quoted and end >= 4 * size:
                    # a quote left open for 4 blocks: cut at a line end anyway (the reader
                    # quarantines the line whose quote never closes) rather than hold the file
                    cut = _cut(buf, end, False, eof=False)
                if cut < 0:
                    have = end
                    continue
                started = True
                yield bytes(mv[:cut + 1]), label
                rest = end - cut - 1
                mv[:rest] = mv[cut + 1:end]
                have = rest
        except READ_ERRORS as exc:
            raise read_error(path, exc, None if started else 1) from exc


def _lf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n") if b"\r" in data else data


def first_line(path: Path) -> tuple[bytes, str]:
    """(first line's bytes, label); empty bytes when the start of the file is blank."""
    for data, label in chunks(path, 1 << 16):
        data = _lf(data)
        return (b"" if not data.strip() else data.split(b"\n", 1)[0]), label
    return b"", str(path)


def blocks(path: Path, *, header: bool, quoted: bool = False, size: int | None = None,
           digest=None) -> Iterator[Block]:
    """Blocks of whole data lines (header skipped), LF line ends, numbered physically."""
    line, first = 1, True
    for data, label in chunks(path, size or BLOCK, quoted=quoted, digest=digest):
        data = _lf(data)
        if first and header:
            cut = data.find(b"\n")
            data = b"" if cut < 0 else data[cut + 1:]
            line = 2
        first = False
        if data:
            blk = Block(data, line, label)
            yield blk
            line += blk.newline_count()  # known by then when the consumer proved it
