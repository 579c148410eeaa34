"""A raw asset whose file is missing downloads it from the publisher when allowed."""

from __future__ import annotations

import hashlib
import http.server
import threading
from dataclasses import replace

import dagster as dg
import pytest

from pipeline.defs.ingest.factory import build_raw_asset
from pipeline.defs.resources import Warehouse
from pipeline.lib.catalog.sources import raw_table
from pipeline.lib.store import warehouse as wh

BODY = b"stateabb,ccode,year,version\r\nUSA,2,1816,2016\r\nUKG,200,1816,2016\r\n"


@pytest.fixture
def server():
    """A loopback HTTP server serving system2016.csv; records the paths requested."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # http.server API name
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()


def _asset(url: str, digest: str):
    spec = raw_table("cow_system")
    src = replace(spec.source, name="dl_system", sha256={"system2016.csv": digest},
                  download={"system2016.csv": f"{url}/system2016.csv"})
    return build_raw_asset(replace(spec, source=src))


def test_missing_file_is_downloaded_verified_and_loaded(server, warehouse, tmp_path, monkeypatch):
    """With PIPELINE_ALLOW_DOWNLOAD=1 the file lands in data/raw/<source>/ and is ingested."""
    url, hits = server
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(tmp_path / "raw"))
    monkeypatch.setenv("PIPELINE_ALLOW_DOWNLOAD", "1")
    asset = _asset(url, hashlib.sha256(BODY).hexdigest())
    assert dg.materialize([asset], resources={"warehouse": Warehouse()}).success
    assert hits == ["/system2016.csv"]
    assert (tmp_path / "raw" / "dl_system" / "system2016.csv").read_bytes() == BODY
    con = wh.connect(warehouse, read_only=True)
    assert con.execute("SELECT count(*) FROM raw.cow_system").fetchone()[0] == 2


def test_checksum_mismatch_fails_the_asset_and_leaves_no_file(server, warehouse, tmp_path,
                                                             monkeypatch):
    """A download whose sha256 differs from the registry fails with a message; nothing lands."""
    url, _ = server
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(tmp_path / "raw"))
    monkeypatch.setenv("PIPELINE_ALLOW_DOWNLOAD", "1")
    result = dg.materialize([_asset(url, "0" * 64)], resources={"warehouse": Warehouse()},
                            raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "download of dl_system failed" in str(failure.event_specific_data.error.message)
    assert not list((tmp_path / "raw").rglob("system2016.csv*"))


def test_downloads_are_off_by_default(server, warehouse, tmp_path, monkeypatch):
    """Without the switch a required missing file fails the run naming where to get it."""
    url, hits = server
    monkeypatch.setenv("PIPELINE_RAW_DIRS", str(tmp_path / "raw"))
    monkeypatch.delenv("PIPELINE_ALLOW_DOWNLOAD", raising=False)
    result = dg.materialize([_asset(url, "0" * 64)], resources={"warehouse": Warehouse()},
                            raise_on_error=False)
    assert not result.success and hits == []
