"""The event datasets by name, for the modules that list them (``dyad_year``).

Event formats are not raw tables: they are read by one engine into ``raw.events``
(:mod:`pipeline.lib.events`). This module keeps the names where the measure modules import
them; new code imports :mod:`pipeline.lib.events.registry`.
"""

from pipeline.lib.events.registry import DATASETS, EVENT_SOURCES

__all__ = ["DATASETS", "EVENT_SOURCES"]
