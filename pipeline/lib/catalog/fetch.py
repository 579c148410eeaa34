"""Fetch source files from their publishers: planned first, checksum-verified, never half.

The registry looks for a source file in ``data/raw``, then in the shared mirror, and last
downloads it from the publisher where :attr:`Source.download` names a direct file. :func:`plan`
lists the files still missing, :func:`fetch` downloads one of them and :func:`obtain` chains
the lookup and the download for one source.

A download always goes to ``<first raw dir>/<source>/<file>`` (``data/raw`` by default), never
to the shared mirror. :mod:`pooch` streams it to a temporary file beside the destination and
moves it onto the final name only once it is complete and its sha256 matches the registry's;
a zip whose own sha256 is not known is downloaded under ``<file>.part``, verified by the
sha256 of its data member, and only then renamed. A failed or interrupted download leaves
nothing under the final name (and no partial file: the next attempt starts over).

Environment variables (optional):

``PIPELINE_ALLOW_DOWNLOAD``
    ``1`` lets :func:`obtain` download a missing source from its publisher. Off by default, so
    tests and offline runs never touch the network. ``pipeline fetch`` downloads regardless.
"""

from __future__ import annotations

import fnmatch
import glob
import hashlib
import os
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePath

import pooch
import requests

from pipeline.lib.ingest.registry import Source
from pipeline.lib.store.paths import raw_dirs
from pipeline.lib.store.provenance import sha256_file

_USER_AGENT = "pipeline-fetch/0.2 (+open research pipeline; pooch)"
pooch.get_logger().setLevel("WARNING")  # the plan and the result lines say what happens


class FetchError(RuntimeError):
    """A download failed: HTTP error, unreachable host, truncated body or checksum mismatch."""


@dataclass(frozen=True)
class FetchItem:
    """One file to download: where from, where to, and what to expect."""

    source: str
    file: str
    url: str
    dest: Path
    sha256: str | None = None
    size: int | None = None
    member: tuple[str, str] | None = None  # (zip member, its sha256) when the zip's is unknown

    @property
    def part(self) -> Path:
        """Where a zip waits for the check of its data member, beside the destination."""
        return self.dest.with_name(self.dest.name + ".part")


def _served(source: Source, name: str) -> bool:
    """Whether the file a download would provide is there in another form: a file matching
    the same pattern (``states2024.csv`` for ``states2016.csv``) or, for a source read from
    one file (no ``needs``), a file of a preferred pattern (the full CSV for its zip)."""
    matching = [p for p in source.patterns if fnmatch.fnmatchcase(name, PurePath(p).name)]
    if not matching:
        return False
    if not source.needs:
        matching = list(source.patterns[: source.patterns.index(matching[0]) + 1])
    return bool(source.find(tuple(matching)))


def plan(sources: Iterable[Source], dest_root: Path | None = None, *,
         with_sizes: bool = False, timeout: float = 10.0) -> list[FetchItem]:
    """Files that have a download URL and are not present in any raw directory.

    Parameters
    ----------
    sources
        Registry sources; each file of ``Source.download`` is considered.
    dest_root
        Directory receiving ``<source>/<file>``; default the first of ``raw_dirs()``.
    with_sizes
        Ask each URL for its size with a HEAD request (``None`` when the server does not say).
    timeout
        Seconds per HEAD request.

    Returns
    -------
    list[FetchItem]
        In registry order. A file counts as present when ``Source.find`` sees it under its
        name (in any raw directory and any of the source's folders or patterns), it already
        exists at the destination, or a file its pattern (or a preferred pattern of a source
        with one file slot) matches is present.
    """
    root = Path(dest_root) if dest_root is not None else raw_dirs()[0]
    items: list[FetchItem] = []
    for s in sources:
        if not s.download:
            continue
        have = {p.name for p in s.find(every=True)}
        for name, url in s.download.items():
            if PurePath(name).name != name or name in {"", ".", ".."}:
                raise ValueError(f"{s.name}: download file name {name!r} is not a plain name")
            dest = root / s.name / name
            if (name in have or dest.is_file() or s.find((glob.escape(name),))
                    or _served(s, name)):
                continue
            size = _head_size(url, timeout) if with_sizes else None
            items.append(FetchItem(s.name, name, url, dest, s.sha256.get(name), size,
                                   s.member_sha256.get(name)))
    return items


def _head_size(url: str, timeout: float) -> int | None:
    """The size a HEAD request announces, or None."""
    try:
        resp = requests.head(url, timeout=timeout, allow_redirects=True,
                             headers={"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"})
    except requests.RequestException:
        return None
    length = resp.headers.get("Content-Length", "")
    return int(length) if resp.ok and length.strip().isdigit() else None


def check_note(item: FetchItem) -> str:
    """How a planned file will be verified."""
    if item.sha256:
        return "sha256 known"
    if item.member:
        return f"verified by the sha256 of its member {item.member[0]}"
    return "no sha256 in registry"


def fetch(item: FetchItem, *, progress: bool = True, timeout: float = 30) -> Path:
    """Download one planned file and verify it before it takes its final name.

    Parameters
    ----------
    item
        What to download (from :func:`plan`).
    progress
        Show a progress bar on stderr.
    timeout
        Seconds to connect and per socket read.

    Returns
    -------
    Path
        ``item.dest``, complete and (when the registry knows a sha256) verified.

    Raises
    ------
    FetchError
        On an HTTP error (status and URL), an unreachable host, a truncated body or a sha256
        mismatch; nothing is left under the final name, nor a partial file.
    """
    item.dest.parent.mkdir(parents=True, exist_ok=True)
    verify_member = not item.sha256 and item.member
    target = item.part if verify_member else item.dest
    downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout,
                                      headers={"User-Agent": _USER_AGENT,
                                               "Accept-Encoding": "identity"})
    try:
        pooch.retrieve(item.url, f"sha256:{item.sha256.lower()}" if item.sha256 else None,
                       fname=target.name, path=target.parent, downloader=downloader)
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise FetchError(f"HTTP {status} for {item.url}") from exc
    except requests.RequestException as exc:
        raise FetchError(f"cannot download {item.url}: {exc}") from exc
    except ValueError as exc:  # pooch: the sha256 of the download is not the known one
        raise FetchError(f"{item.url}: sha256 mismatch: expected {item.sha256}; the download "
                         f"was deleted ({exc})") from exc
    if verify_member:
        _verify_member(item, target)
        os.replace(target, item.dest)
    item.part.unlink(missing_ok=True)  # a leftover of an interrupted older download
    return item.dest


def _verify_member(item: FetchItem, part: Path) -> None:
    """A downloaded zip whose own sha256 is unknown: its data member must have the known one."""
    name, expected = item.member
    try:
        with zipfile.ZipFile(part) as zf:
            info = next((i for i in zf.infolist() if PurePath(i.filename).name == name), None)
            if info is None:
                raise FetchError(f"{item.url}: the zip has no member {name}")
            h = hashlib.sha256()
            with zf.open(info) as fh:
                while block := fh.read(1 << 20):
                    h.update(block)
    except (zipfile.BadZipFile, OSError) as exc:
        part.unlink(missing_ok=True)
        raise FetchError(f"{item.url}: not a readable zip ({exc}); the download was deleted")
    except FetchError:
        part.unlink(missing_ok=True)
        raise
    if h.hexdigest() != expected.lower():
        part.unlink(missing_ok=True)
        raise FetchError(f"{item.url}: sha256 of member {name} is {h.hexdigest()}, expected "
                         f"{expected}; the download was deleted")


def obtain(source: Source, patterns: tuple[str, ...] | None = None,
           allow_download: bool | None = None) -> list[Path]:
    """Find a source's files, downloading them from the publisher if allowed and missing.

    Parameters
    ----------
    source
        The registry source.
    patterns
        As for ``Source.find``; only downloads whose file name matches one of them (or the
        source's own patterns) are fetched.
    allow_download
        Default: ``PIPELINE_ALLOW_DOWNLOAD=1`` in the environment (off otherwise).

    Returns
    -------
    list[Path]
        ``source.find(patterns)`` after any download (empty when still missing).

    Raises
    ------
    FetchError
        When a permitted download fails.
    """
    hits = source.find(patterns)
    if hits or not _downloads_allowed(allow_download):
        return hits
    wanted = [PurePath(p).name for p in (patterns or source.patterns)]
    for item in plan([source]):
        if any(fnmatch.fnmatchcase(item.file, w) for w in wanted):
            fetch(item, progress=sys.stderr.isatty())
    return source.find(patterns)


def human_size(n: int | None) -> str:
    """``'12.3 MB'`` style size (decimal units), or ``'size unknown'``."""
    if n is None:
        return "size unknown"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # pragma: no cover


def verified(item: FetchItem, path: Path) -> str:
    """Checksum note for a fetched file: ``sha256 verified``, or its digest when not known."""
    if item.sha256:
        return "sha256 verified"
    if item.member:
        return f"sha256 of member {item.member[0]} verified"
    return f"sha256={sha256_file(path)} (not in registry)"


def _downloads_allowed(flag: bool | None) -> bool:
    if flag is not None:
        return flag
    return os.environ.get("PIPELINE_ALLOW_DOWNLOAD", "").strip().lower() in {"1", "true", "yes"}
