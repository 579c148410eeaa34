"""Parse model-spec TOML files into :class:`ModelSpec` objects, raising :class:`SpecError`."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pipeline.lib.regressions.specs import (
    _INT,
    _JOIN_KEYS,
    _MODEL_KEYS,
    _NUM,
    _REQUIRED,
    _SAMPLE_KEYS,
    _STR,
    _STRS,
    _TABLE,
    ALLIANCE_TYPES,
    COUNT_ESTIMATORS,
    DERIVE_FNS,
    ESTIMATORS,
    JOIN_TABLES,
    PANELS,
    ModelSpec,
    Sample,
    SpecError,
)


def _check_type(file: Path, model: str | None, key: str, value: Any, kind: str) -> None:
    ok = {
        _STR: isinstance(value, str),
        _STRS: isinstance(value, list) and all(isinstance(v, str) for v in value),
        _INT: isinstance(value, int) and not isinstance(value, bool),
        _NUM: isinstance(value, int | float) and not isinstance(value, bool),
        _TABLE: isinstance(value, dict),
        "list": isinstance(value, list),
    }[kind]
    if not ok:
        raise SpecError(file, key, f"expected {kind}, got {type(value).__name__}", model)


def _sample(file: Path, model: str, raw: dict[str, Any]) -> Sample:
    for key, value in raw.items():
        if key not in _SAMPLE_KEYS:
            raise SpecError(file, f"sample.{key}", "unknown key", model)
        _check_type(file, model, f"sample.{key}", value, _SAMPLE_KEYS[key])
    years = raw.get("years")
    if years is not None and (len(years) != 2 or not all(isinstance(y, int) for y in years)):
        raise SpecError(file, "sample.years", "expected [first, last] integers", model)
    cases = raw.get("cases", [])
    if not all(
        isinstance(c, list) and len(c) == 2 and all(isinstance(x, int) for x in c) for c in cases
    ):
        raise SpecError(file, "sample.cases", "expected a list of [ccode, ccode] pairs", model)
    if raw.get("alliance") not in (None, "any", *ALLIANCE_TYPES):
        raise SpecError(
            file, "sample.alliance", f"unknown alliance type {raw['alliance']!r}", model
        )
    for col, v in raw.get("min", {}).items():
        _check_type(file, model, f"sample.min.{col}", v, _NUM)
    return Sample(
        years=tuple(years) if years else None,
        cases=tuple((min(a, b), max(a, b)) for a, b in cases),
        alliance=raw.get("alliance"),
        require=tuple(raw.get("require", ())),
        k=raw.get("k"),
        min=dict(raw.get("min", {})),
    )


def _parse_model(file: Path, raw: dict[str, Any]) -> ModelSpec:
    model = raw.get("name") if isinstance(raw.get("name"), str) else None
    for key, value in raw.items():
        if key not in _MODEL_KEYS:
            raise SpecError(file, key, "unknown key", model)
        _check_type(file, model, key, value, _MODEL_KEYS[key])
    for key in _REQUIRED:
        if key not in raw:
            raise SpecError(file, key, "missing required key", model)
    if raw["estimator"] not in ESTIMATORS:
        raise SpecError(file, "estimator", f"unknown estimator {raw['estimator']!r}", model)
    if raw["panel"] not in PANELS:
        raise SpecError(file, "panel", f"unknown panel {raw['panel']!r}", model)
    if raw.get("time_since") not in (None, "cubic") or (
        raw.get("time_since") and raw["estimator"] != "logit"
    ):
        raise SpecError(file, "time_since", "only 'cubic', and only with estimator logit", model)
    if "exposure" in raw and raw["estimator"] not in COUNT_ESTIMATORS:
        raise SpecError(file, "exposure", "exposure needs a count estimator", model)
    if raw["estimator"].startswith("fe_") and not raw.get("fixed_effects"):
        raise SpecError(file, "fixed_effects", "fe_ estimators need fixed effects", model)
    derive = {}
    for new, d in raw.get("derive", {}).items():
        if not (
            isinstance(d, dict)
            and set(d) == {"fn", "of"}
            and d["fn"] in DERIVE_FNS
            and isinstance(d["of"], str)
        ):
            raise SpecError(file, f"derive.{new}", f"expected {{fn in {DERIVE_FNS}, of}}", model)
        derive[new] = (d["fn"], d["of"])
    for key, value in raw.get("labels", {}).items():
        _check_type(file, model, f"labels.{key}", value, _STR)
    join = raw.get("join")
    if join is not None:
        for key, kind in _JOIN_KEYS.items():
            if key not in join:
                raise SpecError(file, f"join.{key}", "missing required key", model)
            _check_type(file, model, f"join.{key}", join[key], kind)
        if set(join) - set(_JOIN_KEYS) or join["table"] not in JOIN_TABLES:
            raise SpecError(file, "join", f"keys {list(_JOIN_KEYS)}; table in {JOIN_TABLES}", model)
    return ModelSpec(
        name=raw["name"],
        panel=raw["panel"],
        dependent=raw["dependent"],
        explanatory=tuple(raw["explanatory"]),
        estimator=raw["estimator"],
        label=raw.get("label", raw["name"]),
        comment=raw.get("comment", ""),
        controls=tuple(raw.get("controls", ())),
        fixed_effects=tuple(raw.get("fixed_effects", ())),
        cluster=raw.get("cluster"),
        exposure=raw.get("exposure"),
        lags=tuple(raw.get("lags", ())),
        derive=derive,
        time_since=raw.get("time_since"),
        sample=_sample(file, raw["name"], raw.get("sample", {})),
        labels=dict(raw.get("labels", {})),
        join=join,
        bootstrap_reps=raw.get("bootstrap_reps", 9999),
        source=file,
    )


def _merge(defaults: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in model.items():
        base = merged.get(key)
        merged[key] = (
            {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
        )
    return merged


def parse_file(file: Path) -> list[ModelSpec]:
    """Parse one TOML file into model specs; raises :class:`SpecError` on any malformed field."""
    try:
        doc = tomllib.loads(Path(file).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise SpecError(file, "<toml>", f"not valid TOML ({err})") from err
    defaults = doc.pop("defaults", {})
    if not isinstance(defaults, dict):
        raise SpecError(file, "defaults", "expected table")
    if "model" in doc:
        if set(doc) != {"model"} or not isinstance(doc["model"], list):
            extra = sorted(set(doc) - {"model"})
            raise SpecError(file, extra[0] if extra else "model", "use [[model]] tables only")
        raws = doc["model"]
    else:
        raws = [doc]
    return [_parse_model(file, _merge(defaults, raw)) for raw in raws]


def load_specs(directory: Path | str) -> list[ModelSpec]:
    """Read every ``*.toml`` under ``directory`` (sorted), rejecting duplicate model names."""
    specs: list[ModelSpec] = []
    seen: dict[str, Path] = {}
    for file in sorted(Path(directory).glob("*.toml")):
        for spec in parse_file(file):
            if spec.name in seen:
                raise SpecError(
                    file,
                    "name",
                    f"duplicate model name (also in {seen[spec.name].name})",
                    spec.name,
                )
            seen[spec.name] = file
            specs.append(spec)
    return specs
