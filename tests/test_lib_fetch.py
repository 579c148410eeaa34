"""Downloads from publishers, served by a local HTTP server on 127.0.0.1 (no internet)."""

from __future__ import annotations

import hashlib
import os
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pipeline import cli
from pipeline.lib.catalog import sources as catalog
from pipeline.lib.catalog.fetch import FetchError, fetch, obtain, plan
from pipeline.lib.ingest.registry import Source

BODY = random.Random(0).randbytes(300_000)
DIGEST = hashlib.sha256(BODY).hexdigest()


@dataclass
class Route:
    body: bytes = BODY
    mode: str = "ok"  # ok | truncate | missing
    gets: int = 0


@dataclass
class State:
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: closing ends the body
    timeout = 5

    def log_message(self, *args) -> None:
        pass

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def do_GET(self) -> None:
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        state: State = self.server.state  # type: ignore[attr-defined]
        rng = self.headers.get("Range")
        state.requests.append((self.command, self.path, rng))
        route = state.routes.get(self.path)
        if route is None or route.mode == "missing":
            self.send_error(404)
            return
        body = route.body
        if not head:
            route.gets += 1
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body[: len(body) // 3] if route.mode == "truncate" else body)


@pytest.fixture
def server(monkeypatch):
    """A local HTTP server in a daemon thread, shut down after the test."""
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.state = State()  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"  # type: ignore[attr-defined]
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def raw_dirs(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A writable data/raw and a mirror, both under tmp_path."""
    local, mirror = tmp_path / "raw", tmp_path / "mirror"
    local.mkdir()
    mirror.mkdir()
    monkeypatch.setenv("PIPELINE_RAW_DIRS", os.pathsep.join([str(local), str(mirror)]))
    monkeypatch.delenv("PIPELINE_ALLOW_DOWNLOAD", raising=False)
    return local, mirror


def _source(server, name: str = "demo", file: str = "demo.csv", *, mode: str = "ok",
            sha256: str | None = DIGEST, body: bytes = BODY) -> Source:
    server.state.routes[f"/{name}/{file}"] = Route(body=body, mode=mode)
    return Source(name=name, title="Demo", version="1", citation="@misc{demo}",
                  url=server.url, patterns=(file,),
                  sha256={file: sha256} if sha256 else {},
                  download={file: f"{server.url}/{name}/{file}"})


def test_fetch_downloads_into_first_raw_dir_and_verifies_sha256(server, raw_dirs):
    """A planned file lands in the first raw dir, byte-identical, with no .part left."""
    local, mirror = raw_dirs
    [item] = plan([_source(server)])
    assert item.dest == local / "demo" / "demo.csv"
    assert item.sha256 == DIGEST and item.size is None
    path = fetch(item, progress=False)
    assert path == item.dest and path.read_bytes() == BODY
    assert not item.part.exists()
    assert not (mirror / "demo").exists()


def test_checksum_mismatch_raises_and_leaves_no_file(server, raw_dirs):
    """A wrong sha256 raises FetchError naming url and both digests; nothing is left behind."""
    [item] = plan([_source(server, sha256="0" * 64)])
    with pytest.raises(FetchError) as exc:
        fetch(item, progress=False)
    msg = str(exc.value)
    assert item.url in msg and "0" * 64 in msg and DIGEST in msg
    assert not item.dest.exists() and not item.part.exists()


def test_http_404_raises_with_status_and_url(server, raw_dirs):
    """A 404 raises FetchError naming the status and the URL."""
    [item] = plan([_source(server, mode="missing")])
    with pytest.raises(FetchError, match="404") as exc:
        fetch(item, progress=False)
    assert item.url in str(exc.value)
    assert not item.dest.exists() and not item.part.exists()


def test_truncated_download_fails_and_leaves_no_file(server, raw_dirs):
    """A body shorter than its Content-Length raises FetchError naming the URL; neither the
    file nor a partial download is left in the folder."""
    [item] = plan([_source(server, mode="truncate")])
    with pytest.raises(FetchError) as exc:
        fetch(item, progress=False, timeout=5)
    assert item.url in str(exc.value)
    assert list(item.dest.parent.iterdir()) == []


def test_a_stale_partial_file_is_never_appended_to(server, raw_dirs):
    """A leftover .part (from an older client) does not corrupt the download: the file is
    fetched whole, with no Range request, and verified."""
    [item] = plan([_source(server)])
    item.part.parent.mkdir(parents=True)
    item.part.write_bytes(b"stale bytes from another version")
    assert fetch(item, progress=False).read_bytes() == BODY
    assert [r[2] for r in server.state.requests] == [None]


def test_plan_skips_files_present_in_any_raw_dir(server, raw_dirs):
    """Files already in data/raw or the mirror are not planned; sizes come from HEAD."""
    local, mirror = raw_dirs
    in_mirror = _source(server, "mirrored", "a.csv")
    (mirror / "mirrored").mkdir()
    (mirror / "mirrored" / "a.csv").write_bytes(b"x")
    in_local = _source(server, "local", "b.csv")
    (local / "local").mkdir()
    (local / "local" / "b.csv").write_bytes(b"y")
    missing = _source(server, "missing", "c.csv", sha256=None, body=b"0123456789")
    items = plan([in_mirror, in_local, missing], with_sizes=True)
    assert [(i.source, i.file, i.size, i.sha256) for i in items] == [
        ("missing", "c.csv", 10, None)]
    assert items[0].dest == local / "missing" / "c.csv"
    assert {r[0] for r in server.state.requests} == {"HEAD"}


def test_obtain_without_permission_never_connects(server, raw_dirs):
    """With downloads off (the default), obtain returns nothing and makes no request."""
    src = _source(server)
    assert obtain(src) == []
    assert obtain(src, allow_download=False) == []
    assert server.state.requests == []


def test_obtain_with_permission_downloads_then_finds(server, raw_dirs, monkeypatch):
    """PIPELINE_ALLOW_DOWNLOAD=1 lets obtain fetch a missing file and return its path."""
    local, _ = raw_dirs
    monkeypatch.setenv("PIPELINE_ALLOW_DOWNLOAD", "1")
    assert obtain(_source(server)) == [local / "demo" / "demo.csv"]
    assert (local / "demo" / "demo.csv").read_bytes() == BODY


def test_cli_fetch_dry_run_prints_plan_and_downloads_nothing(server, raw_dirs, monkeypatch,
                                                            capsys):
    """`pipeline fetch --dry-run` prints what, from where, how large and to where; exits 0."""
    local, _ = raw_dirs
    src = _source(server)
    monkeypatch.setattr(catalog, "all_sources", lambda: [src])
    assert cli.main(["fetch", "--dry-run"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "demo/demo.csv" in out and src.download["demo.csv"] in out
    assert "300.0 kB" in out and str(local / "demo" / "demo.csv") in out
    assert not (local / "demo").exists()
    assert {r[0] for r in server.state.requests} == {"HEAD"}


def test_cli_fetch_reports_each_file_and_exits_1_on_failure(server, raw_dirs, monkeypatch,
                                                           capsys):
    """`pipeline fetch --yes` prints one line per file and exits 1 when one of them fails."""
    good, bad = _source(server), _source(server, "gone", "gone.csv", mode="missing")
    monkeypatch.setattr(catalog, "all_sources", lambda: [good, bad])
    assert cli.main(["fetch", "--yes"]) == cli.EXIT_FAILED
    out = capsys.readouterr().out
    assert "[ok] demo/demo.csv" in out and "sha256 verified" in out
    assert "[FAILED] gone/gone.csv: HTTP 404" in out
    assert cli.main(["fetch", "--yes", "--source", "demo"]) == cli.EXIT_OK
    assert "nothing to fetch" in capsys.readouterr().out


def test_cli_fetch_unknown_source_is_usage_error(raw_dirs, monkeypatch, capsys):
    """An unknown --source name exits 2 and lists the known ones."""
    monkeypatch.setattr(catalog, "all_sources", list)
    assert cli.main(["fetch", "--source", "nope"]) == cli.EXIT_USAGE
    assert "unknown source(s) nope" in capsys.readouterr().err


def _zip_of(member: str, body: bytes) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"folder/{member}", body)
    return buf.getvalue()


@pytest.mark.parametrize("member_sha, ok", [(DIGEST, True), ("0" * 64, False)])
def test_a_zip_without_its_own_sha256_is_verified_by_its_member(server, raw_dirs, member_sha, ok):
    """The zip is kept only if its data member has the registered sha256."""
    local, _ = raw_dirs
    server.state.routes["/dx/dx.zip"] = Route(body=_zip_of("dx.csv", BODY))
    src = Source(name="dx", title="DX", version="1", citation="", url=server.url,
                 patterns=("dx.zip",), download={"dx.zip": f"{server.url}/dx/dx.zip"},
                 member_sha256={"dx.zip": ("dx.csv", member_sha)})
    (item,) = plan([src])
    if ok:
        assert fetch(item, progress=False) == local / "dx" / "dx.zip"
        return
    with pytest.raises(FetchError, match="sha256 of member dx.csv"):
        fetch(item, progress=False)
    assert not (local / "dx" / "dx.zip").exists() and not item.part.exists()


def test_every_direct_download_has_a_sha256_to_verify():
    """Each file a publisher offers directly has a registered sha256 (or its member has)."""
    for s in catalog.all_sources():
        for name in s.download:
            assert name in s.sha256 or name in s.member_sha256, f"{s.name}/{name}"


def test_fetch_says_atop_has_no_direct_download_and_where_to_get_it(raw_dirs, monkeypatch,
                                                                   capsys):
    """`pipeline fetch --dry-run --source atop` names the publisher page and the folder."""
    local, _ = raw_dirs
    assert cli.main(["fetch", "--dry-run", "--source", "atop"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("[no direct download] atop: atop5_1ddyr.csv")
    assert "http://www.atopdata.org/" in out and str(local / "atop") in out
    assert "must be fetched by hand" in out
