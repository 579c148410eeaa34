"""Screenshot of the asset graph for the docs: ``python -m pipeline.tools.screenshot [out.png]``.

Starts ``dagster-webserver`` on a free loopback port with a throwaway ``DAGSTER_HOME``, waits
for it, and has headless Chromium (Debian package ``chromium``) render the global asset graph
to ``pipeline/docs/asset_graph.png``. Not run in CI. Exit codes: 0 written, 2 no Chromium,
1 the webserver or the browser failed.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "asset_graph.png"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--window-size=1600,1700", "--force-device-scale-factor=1.5",
         "--virtual-time-budget=15000")
# The upstream lineage of the last asset shows the whole graph with its groups expanded (the
# global lineage page collapses groups); fall back to that page when the asset is absent.
SINK = "models/paper_outputs"
PAGE = f"/assets/{SINK}?view=lineage&lineageScope=upstream&lineageDepth=20"
FALLBACK = "/asset-groups"
# No welcome dialog, no telemetry in the throwaway instance.
INSTANCE_YAML = "nux:\n  enabled: false\ntelemetry:\n  enabled: false\n"
BOOT_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + BOOT_SECONDS
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"the webserver did not answer at {url}")


def _has_asset(base: str, key: str) -> bool:
    query = json.dumps({"query": "{ assetNodes { assetKey { path } } }"}).encode()
    req = urllib.request.Request(f"{base}/graphql", data=query,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        nodes = json.loads(resp.read())["data"]["assetNodes"]
    return any("/".join(n["assetKey"]["path"]) == key for n in nodes)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else OUT
    browser = next((b for b in map(shutil.which, BROWSERS) if b), None)
    if browser is None:
        print("chromium not found: install it (Debian: apt-get install -y chromium) and rerun",
              file=sys.stderr)
        return 2
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "DAGSTER_HOME": tmp}
        Path(tmp, "dagster.yaml").write_text(INSTANCE_YAML)
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "dagster-webserver"), "-h", "127.0.0.1", "-p",
             str(port), "-m", "pipeline.definitions"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(f"{base}/server_info", server)
            page = PAGE if _has_asset(base, SINK) else FALLBACK
            out.parent.mkdir(parents=True, exist_ok=True)
            done = subprocess.run(
                [browser, *FLAGS, f"--user-data-dir={tmp}/chrome", f"--screenshot={out}",
                 f"{base}{page}"], check=False, capture_output=True, timeout=180)
            if done.returncode != 0 or not out.is_file():
                print(f"chromium failed: {done.stderr.decode()[-2000:]}", file=sys.stderr)
                return 1
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
