"""Spec files: parsing, defaults, and SpecError naming the file and the field."""

from __future__ import annotations

import pytest

from pipeline.lib.paths import MODELS_DIR
from pipeline.lib.regressions import SpecError, load_specs, parse_file

GOOD = """
[defaults]
panel = "derived.alliance_panel"
controls = ["cinc_ratio_l1"]
cluster = "dyad"
[defaults.sample]
k = 3
[defaults.labels]
cinc_ratio_l1 = "CINC ratio (t-1)"

[[model]]
name = "m1"
dependent = "un_oppose_share"
explanatory = ["si_rank_igo_full_global_l1"]
estimator = "fe_ols"
fixed_effects = ["dyad", "year"]
[model.sample]
years = [1950, 2000]
[model.labels]
si_rank_igo_full_global_l1 = "Deficit"
"""

BAD_CASES = {
    "unknown_key": ('colour = "red"', "colour"),
    "missing_key": (None, "estimator"),
    "wrong_type": ('controls = "cinc_ratio_l1"', "controls"),
    "unknown_estimator": ('estimator = "probit"', "estimator"),
    "bad_sample_key": ("sample = { decade = 3 }", "sample.decade"),
}


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _model(extra: str | None, drop_estimator: bool = False) -> str:
    lines = [
        'name = "bad"',
        'panel = "derived.alliance_panel"',
        'dependent = "y"',
        'explanatory = ["x"]',
    ]
    if not drop_estimator and not (extra or "").startswith("estimator"):
        lines.append('estimator = "ols"')
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"


def test_defaults_merge_into_each_model(tmp_path):
    """Defaults fill missing keys and label/sample tables merge key by key."""
    (spec,) = parse_file(_write(tmp_path, "good.toml", GOOD))
    assert spec.controls == ("cinc_ratio_l1",)
    assert spec.sample.k == 3 and spec.sample.years == (1950, 2000)
    assert spec.labels == {
        "cinc_ratio_l1": "CINC ratio (t-1)",
        "si_rank_igo_full_global_l1": "Deficit",
    }
    assert spec.regressors == ("si_rank_igo_full_global_l1", "cinc_ratio_l1")


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_malformed_spec_names_file_and_field(tmp_path, case):
    """Each malformed spec raises SpecError naming the file and the offending field."""
    extra, field = BAD_CASES[case]
    path = _write(tmp_path, f"{case}.toml", _model(extra, drop_estimator=case == "missing_key"))
    with pytest.raises(SpecError) as info:
        parse_file(path)
    assert info.value.field == field
    assert f"{case}.toml" in str(info.value) and f"'{field}'" in str(info.value)


def test_duplicate_model_name_across_files_is_rejected(tmp_path):
    """The same model name in two files raises SpecError naming the second file and 'name'."""
    _write(tmp_path, "a.toml", _model(None))
    _write(tmp_path, "b.toml", _model(None))
    with pytest.raises(SpecError, match=r"b\.toml.*'name'.*duplicate"):
        load_specs(tmp_path)


def test_invalid_toml_names_the_file(tmp_path):
    """A file that is not TOML raises SpecError naming the file."""
    with pytest.raises(SpecError, match=r"broken\.toml"):
        parse_file(_write(tmp_path, "broken.toml", "name = \n"))


def test_time_since_requires_logit(tmp_path):
    """The cubic time-since option is refused for non-logit estimators."""
    with pytest.raises(SpecError, match="time_since"):
        parse_file(_write(tmp_path, "ts.toml", _model('time_since = "cubic"')))


def test_shipped_specs_load_and_are_documented():
    """Every shipped model loads, has a unique name, a label and a comment."""
    specs = load_specs(MODELS_DIR)
    names = [s.name for s in specs]
    assert len(specs) >= 40 and len(names) == len(set(names))
    assert all(s.comment and s.label for s in specs)
    assert {s.estimator for s in specs} == {
        "ols",
        "logit",
        "poisson",
        "negbin",
        "fe_ols",
        "fe_poisson",
    }
    assert {s.panel for s in specs} == {"derived.alliance_panel", "derived.dyad_year"}
