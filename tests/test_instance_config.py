"""The Dagster instance config `make` installs: no first-visit pop-up in the UI, even for an
instance directory made before the setting existed."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from pipeline.lib.store.paths import REPO_ROOT


def test_instance_config_switches_off_the_first_visit_popup():
    """pipeline/dagster.yaml sets nux.enabled false (and keeps one run at a time)."""
    config = yaml.safe_load((REPO_ROOT / "pipeline" / "dagster.yaml").read_text())
    assert config["nux"] == {"enabled": False}
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_adds_the_setting_to_an_older_instance_config_once(tmp_path):
    """`make dagster-home` appends nux to an existing dagster.yaml that lacks it, once, and
    leaves the rest as the user made it."""
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    for _ in range(2):
        subprocess.run(["make", "-s", "dagster-home", f"DAGSTER_HOME={tmp_path}"],
                       cwd=REPO_ROOT, check=True, capture_output=True, timeout=60)
    config = yaml.safe_load((tmp_path / "dagster.yaml").read_text())
    assert config == {"telemetry": {"enabled": False}, "nux": {"enabled": False}}
