"""The README documents the two commands and every registered source."""

from pipeline.lib.catalog.sources import all_sources
from pipeline.lib.store.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def test_readme_shows_the_two_commands():
    """make run and make test appear as commands."""
    assert "make run" in README and "make test" in README


def test_readme_lists_every_source_with_its_publisher():
    """Each registry source's folder name and publisher URL appear in the README table."""
    for s in all_sources():
        assert f"`{s.name}`" in README, s.name
        assert s.url in README, s.url
