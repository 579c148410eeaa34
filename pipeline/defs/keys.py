"""Asset keys, spelled once.

An asset key's first part is the warehouse schema its table lives in (``raw``, ``ref``,
``derived``, ``models``); ``files`` holds the observed inputs: one observable source asset per
raw table (the file it reads) and one for the event files, partitioned by year.
"""

import dagster as dg

FILES = "files"


def raw(name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", name])


def derived(name: str) -> dg.AssetKey:
    return dg.AssetKey(["derived", name])


def models(name: str) -> dg.AssetKey:
    return dg.AssetKey(["models", name])


def ref(name: str) -> dg.AssetKey:
    return dg.AssetKey(["ref", name])


def files(name: str) -> dg.AssetKey:
    """The observed input of ``raw/<name>``: its data version is the file's sha256."""
    return dg.AssetKey([FILES, name])


def table_name(key: dg.AssetKey) -> str:
    """Warehouse table of an asset: ``raw/cow_nmc`` -> ``raw.cow_nmc``."""
    return ".".join(key.path)


EVENTS = raw("events")
EVENT_FILES = files("events")
SYSTEM = raw("cow_system")
CAMEO = raw("cameo_codes")
