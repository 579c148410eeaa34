"""The Dagster UI serves the whole asset graph (every asset, its upstream edges, group and
checks) and the record of the built warehouse: the same code and data versions as
raw.ingest_log and PROVENANCE.json."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from pipeline.definitions import defs

QUERY = """{ assetNodes { assetKey { path } dependencyKeys { path } groupName description
  owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
  assetChecksOrError { ... on AssetChecks { checks { name blocking } } } } }"""
BOOT_SECONDS = 120


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="module")
def server(built_warehouse, tmp_path_factory):
    """dagster-webserver on a free loopback port, on a copy of the built warehouse's Dagster
    instance (its record of runs and versions)."""
    home = tmp_path_factory.mktemp("ui") / "dagster_home"
    shutil.copytree(built_warehouse[1].parent / "dagster_home", home)
    port = free_port()
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    log = open(home / "webserver.log", "wb")  # noqa: SIM115 - closed in the finally below
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "dagster-webserver"), "-h", "127.0.0.1", "-p",
         str(port), "-m", "pipeline.definitions"], env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + BOOT_SECONDS
    try:
        while True:
            try:
                get(f"{base}/server_info")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"webserver did not start: {(home / 'webserver.log').read_text()}")
                time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def nodes(server) -> dict[str, dict]:
    """The asset nodes the UI shows, by key."""
    data = get(f"{server}/graphql", {"query": QUERY})
    assert "errors" not in data, data.get("errors")
    return {"/".join(n["assetKey"]["path"]): n for n in data["data"]["assetNodes"]}


def test_every_asset_is_in_the_ui_with_its_upstream_edges_and_group(nodes):
    """Each asset of defs() appears with the same dependencies and group as in code."""
    graph = defs().resolve_asset_graph()
    for key in graph.materializable_asset_keys:
        node = nodes[key.to_user_string()]
        deps = {"/".join(d["path"]) for d in node["dependencyKeys"]}
        assert deps == {p.to_user_string() for p in graph.get(key).parent_keys}, key
        assert node["groupName"] == graph.get(key).group_name, key


def test_every_check_is_in_the_ui_with_its_blocking_flag(nodes):
    """Each asset check of defs() appears under its asset, blocking where it is in code."""
    graph = defs().resolve_asset_graph()
    for ck in graph.asset_check_keys:
        checks = {c["name"]: c["blocking"]
                  for c in nodes[ck.asset_key.to_user_string()]["assetChecksOrError"]["checks"]}
        assert checks[ck.name] == graph.get_check_spec(ck).blocking, ck


def test_raw_tables_have_an_owner_and_a_description(nodes):
    """Raw tables name their owning team and describe source, version and key in the UI."""
    raw = [n for k, n in nodes.items() if k.startswith("raw/") and k != "raw/events"]
    assert raw and all(n["owners"] == [{"team": "data-ingest"}] for n in raw)
    assert all("Source:" in n["description"] and "Key:" in n["description"] for n in raw)


VERSIONS = """{ assetNodes { assetKey { path } opVersion dataVersion staleStatus
  assetMaterializations(limit: 1) { runId tags { key value } } } }"""


@pytest.fixture(scope="module")
def shown(server) -> dict[str, dict]:
    """What the UI shows per asset: code version, data version, latest materialization."""
    data = get(f"{server}/graphql", {"query": VERSIONS})
    assert "errors" not in data, data.get("errors")
    return {"/".join(n["assetKey"]["path"]): n for n in data["data"]["assetNodes"]}


def test_the_ui_shows_the_versions_raw_ingest_log_records(shown, built_warehouse):
    """For every raw table: the UI's code version and latest run are the ingest log's, and the
    data version of its observed file (and the input version of its materialization) is the
    file's sha256 the ingest log records."""
    from pipeline.lib.store import warehouse as wh

    con = wh.connect(built_warehouse[1], read_only=True)
    rows = con.execute("SELECT table_name, sha256, code_version, run_id FROM raw.ingest_log "
                       "WHERE partition_year IS NULL").fetchall()
    con.close()
    assert len(rows) > 20
    for table, sha, code, run in rows:
        key = table.replace(".", "/")
        node = shown[key]
        tags = {t["key"]: t["value"] for t in node["assetMaterializations"][0]["tags"]}
        assert (node["opVersion"], node["assetMaterializations"][0]["runId"]) == (code, run)
        assert tags[f"dagster/input_data_version/files/{key.split('/')[1]}"] == sha, key
        assert shown[f"files/{key.split('/')[1]}"]["dataVersion"] == sha, key


def test_the_ui_reports_every_table_of_the_built_warehouse_fresh(shown, built_warehouse):
    """Dagster's own stale status agrees with `pipeline run` after a complete run: every
    table is FRESH (what the CLI would materialize next is nothing)."""
    status = {k: n["staleStatus"] for k, n in shown.items() if not k.startswith("files/")}
    assert status and set(status.values()) == {"FRESH"}, status


def test_the_ui_shows_the_versions_provenance_json_records(shown, built_warehouse):
    """PROVENANCE.json names, for every table behind the outputs, the code version, data
    version and run the UI shows for it."""
    assets = json.loads((built_warehouse[1].parent / "PROVENANCE.json").read_text())["assets"]
    assert {"raw/cow_nmc", "derived/alliance_panel", "models/coefficients",
            "raw/events[2018]"} <= set(assets)
    for key, recorded in assets.items():
        if "[" in key:
            continue
        node = shown[key]
        assert recorded == {"code_version": node["opVersion"],
                            "data_version": node["dataVersion"],
                            "run_id": node["assetMaterializations"][0]["runId"]}, key


def test_server_answers_on_loopback_only(server):
    """The test server was bound to 127.0.0.1."""
    assert server.startswith("http://127.0.0.1:")
    assert dg.AssetKey(["raw", "cow_nmc"]).to_user_string() == "raw/cow_nmc"
