"""HTTP for :mod:`pipeline.lib.fetch`: GET with a ``Range`` to resume, and what the headers
say about the body (RFC 9110 §14: ``Content-Range``, ``Content-Length``)."""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.request

_USER_AGENT = "pipeline-fetch/0.1 (+open research pipeline; python-urllib)"
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class FetchError(RuntimeError):
    """A download failed: HTTP error, unreachable host, truncated body or checksum mismatch."""


class RangeNotSatisfiable(Exception):
    pass

def open_url(url: str, offset: int, timeout: float) -> http.client.HTTPResponse:
    headers = {"User-Agent": _USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        return urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                      timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:
            raise RangeNotSatisfiable from exc
        raise FetchError(f"HTTP {exc.code} {exc.reason} for {url}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise FetchError(f"cannot download {url}: {reason}") from exc


def starts_at(resp: http.client.HTTPResponse, offset: int) -> bool:
    """Whether a 206 answer's Content-Range starts at ``offset`` (assumed without the header)."""
    m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
    return m is None or int(m.group(1)) == offset


def expected_total(resp: http.client.HTTPResponse, offset: int) -> int | None:
    """Full file size implied by the headers, or None when the server does not say."""
    m = _CONTENT_RANGE.match(resp.headers.get("Content-Range", ""))
    if resp.status == 206 and m and m.group(3) != "*":
        return int(m.group(3))
    length = resp.headers.get("Content-Length")
    if length is None or not length.strip().isdigit():
        return None
    return offset + int(length) if resp.status == 206 else int(length)


def head_size(url: str, timeout: float) -> int | None:
    req = urllib.request.Request(url, method="HEAD", headers={"User-Agent": _USER_AGENT,
                                                               "Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError):
        return None
    return int(length) if length and length.strip().isdigit() else None
