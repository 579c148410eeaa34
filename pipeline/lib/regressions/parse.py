"""Read ``models/*.toml`` once into validated :class:`ModelSpec` objects (pydantic).

A file holds one model (keys at top level) or several ``[[model]]`` tables with an optional
``[defaults]`` table merged into each (sub-tables such as ``labels`` merge key by key). A file is
parsed once per content version (cached by path, size and modification time). Across files,
:func:`load_specs` rejects duplicate names, more than one ``primary`` model, a variable labelled
differently in two files, an unlabelled outcome or term, and a robustness family whose models
do not share their bootstrap cluster variable.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from pipeline.lib.regressions.errors import FieldProblem, SpecError
from pipeline.lib.regressions.labels import BUILTIN_LABELS, required_labels
from pipeline.lib.regressions.specs import ModelSpec

_MESSAGES = {"extra_forbidden": "unknown key", "missing": "missing required key",
             "tuple_type": "expected a list", "string_type": "expected a string",
             "int_type": "expected a number", "float_type": "expected a number",
             "bool_type": "expected true or false", "dict_type": "expected a table",
             "model_type": "expected a table"}
# loc parts pydantic adds for union members and wrapped validators, not field names
_TAG = re.compile(r"^(str|int|float|bool|none|list|tuple|dict|Join|Derive|Sample)$|[\[\-]")
_CACHE: dict[tuple[str, int, int], list[ModelSpec]] = {}


def _spec_error(file: Path, model: str | None, err: ValidationError) -> SpecError:
    first = err.errors()[0]
    problem = first.get("ctx", {}).get("error")
    if isinstance(problem, FieldProblem):
        return SpecError(file, problem.field, problem.problem, model)
    parts = [str(p) for p in first["loc"] if not isinstance(p, int) and not _TAG.search(str(p))]
    message = _MESSAGES.get(first["type"], first["msg"])
    return SpecError(file, ".".join(parts) or "<model>", message, model)


def _validate(file: Path, raw: dict[str, Any]) -> ModelSpec:
    model = raw.get("name") if isinstance(raw.get("name"), str) else None
    if "source" in raw:
        raise SpecError(file, "source", "unknown key", model)
    try:
        return ModelSpec.model_validate({**raw, "source": file})
    except ValidationError as err:
        raise _spec_error(file, model, err) from None


def _merge(defaults: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in model.items():
        base = merged.get(key)
        merged[key] = (
            {**base, **value} if isinstance(base, dict) and isinstance(value, dict) else value
        )
    return merged


def _read(file: Path) -> list[ModelSpec]:
    try:
        doc = tomllib.loads(file.read_text(encoding="utf-8"))
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
    return [_validate(file, _merge(defaults, raw)) for raw in raws]


def parse_file(file: Path | str) -> list[ModelSpec]:
    """Parse one TOML file into model specs; raises :class:`SpecError` on any malformed field."""
    file = Path(file)
    stat = file.stat()
    key = (str(file.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _CACHE:
        _CACHE[key] = _read(file)
    return list(_CACHE[key])


def _vocabulary(specs: list[ModelSpec]) -> dict[str, str]:
    """One label per variable across files; a second, different label is a SpecError."""
    vocab, where = dict(BUILTIN_LABELS), {k: "the built-in labels" for k in BUILTIN_LABELS}
    for spec in specs:
        for var, text in spec.labels.items():
            if var in vocab and vocab[var] != text:
                raise SpecError(spec.source, f"labels.{var}", f"{text!r} differs from "
                                f"{vocab[var]!r} in {where[var]}: one label per variable",
                                spec.name)
            vocab[var], where[var] = text, Path(spec.source).name
    return vocab


def _check_families(specs: list[ModelSpec]) -> None:
    first: dict[str, ModelSpec] = {}
    for spec in specs:
        fam = spec.robustness_family
        if fam is None:
            continue
        ref = first.setdefault(fam, spec)
        if (spec.cluster[0], spec.panel) != (ref.cluster[0], ref.panel):
            raise SpecError(spec.source, "cluster", f"family {fam!r} is bootstrapped by "
                            f"{ref.cluster[0]} on {ref.panel} (model {ref.name}); every model "
                            "of a family needs the same panel and first cluster", spec.name)


def load_specs(directory: Path | str, require_primary: bool = False) -> list[ModelSpec]:
    """Read every ``*.toml`` under ``directory`` (sorted) and check the rules across files.

    Each returned spec carries the merged label vocabulary in ``labels``. With
    ``require_primary``, exactly one model must have ``primary = true``; otherwise at most one.
    """
    specs: list[ModelSpec] = []
    seen: dict[str, Path] = {}
    for file in sorted(Path(directory).glob("*.toml")):
        for spec in parse_file(file):
            if spec.name in seen:
                raise SpecError(file, "name", f"duplicate model name (also in "
                                f"{seen[spec.name].name})", spec.name)
            seen[spec.name] = file
            specs.append(spec)
    primaries = [s for s in specs if s.primary]
    if len(primaries) > 1:
        raise SpecError(primaries[1].source, "primary", f"only one primary model; "
                        f"{primaries[0].name} is primary already", primaries[1].name)
    if require_primary and not primaries:
        raise SpecError(Path(directory), "primary", "no model has primary = true")
    vocab = _vocabulary(specs)
    for spec in specs:
        missing = [v for v in required_labels(spec) if v not in vocab]
        if missing:
            raise SpecError(spec.source, f"labels.{missing[0]}", "no label in any model file "
                            "(every outcome, term, fixed effect and sample column needs one)",
                            spec.name)
    _check_families(specs)
    return [s.model_copy(update={"labels": vocab}) for s in specs]
