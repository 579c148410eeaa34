"""Spec files: pydantic parsing, defaults, cross-file rules, and SpecError naming file and field."""

from __future__ import annotations

import re
import tomllib

import pytest

from pipeline.lib.regressions import SpecError, load_specs, parse_file
from pipeline.lib.regressions import parse as parse_module
from pipeline.lib.store.paths import MODELS_DIR

GOOD = """
[defaults]
panel = "derived.alliance_panel"
title = "UN opposition"
controls = ["cinc_ratio_l1"]
cluster = "dyad"
[defaults.sample]
k = 3
[defaults.labels]
cinc_ratio_l1 = "CINC ratio (t-1)"

[[model]]
name = "m1"
short = "first"
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
    "string_number": ('sample = { k = "3" }', "sample.k"),
    "weights_on_logit": ('estimator = "logit"\nweights = "n"', "weights"),
    "interaction_without_main": ('interactions = [["x", "z"]]', "interactions"),
    "three_clusters": ('cluster = ["a", "b", "c"]', "cluster"),
    "bad_product": ('fixed_effects = ["senior^"]', "fixed_effects"),
    "key_not_a_term": ('key = "z"', "key"),
    "primary_not_bool": ('primary = "yes"', "primary"),
    "family_without_cluster": ('robustness_family = "claim"', "cluster"),
    "bad_derive": ('derive = { z = { fn = "exp", of = "x" } }', "derive.z.fn"),
}


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _model(extra: str | None = None, drop_estimator: bool = False, name: str = "bad",
           labels: str = 'labels = { y = "Y", x = "X" }') -> str:
    lines = [f'name = "{name}"', 'title = "T"', 'short = "s"', 'panel = "derived.alliance_panel"',
             'dependent = "y"', 'explanatory = ["x"]', labels]
    if not drop_estimator and not (extra or "").startswith("estimator"):
        lines.append('estimator = "ols"')
    if extra:
        lines.append(extra)
    return "\n".join(lines) + "\n"


def test_defaults_merge_into_each_model(tmp_path):
    """Defaults fill missing keys and label/sample tables merge key by key."""
    (spec,) = parse_file(_write(tmp_path, "good.toml", GOOD))
    assert spec.controls == ("cinc_ratio_l1",) and spec.cluster == ("dyad",)
    assert spec.sample.k == 3 and spec.sample.years == (1950, 2000)
    assert spec.title == "UN opposition" and spec.short == "first"
    assert spec.labels == {
        "cinc_ratio_l1": "CINC ratio (t-1)",
        "si_rank_igo_full_global_l1": "Deficit",
    }
    assert spec.regressors == ("si_rank_igo_full_global_l1", "cinc_ratio_l1")


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_malformed_spec_names_file_field_and_model(tmp_path, case):
    """Each malformed spec raises SpecError naming the file, the field and the model."""
    extra, field = BAD_CASES[case]
    path = _write(tmp_path, f"{case}.toml", _model(extra, drop_estimator=case == "missing_key"))
    with pytest.raises(SpecError) as info:
        parse_file(path)
    assert info.value.field == field and info.value.model == "bad"
    assert f"{case}.toml" in str(info.value) and f"'{field}'" in str(info.value)
    assert "model 'bad'" in str(info.value)


def test_claim_fields_parse(tmp_path):
    """Weights, an interaction, a product FE, two-way clusters, key, family and primary parse."""
    extra = ('estimator = "fe_ols"\nexplanatory = ["x", "z"]\nweights = "n"\n'
             'interactions = [["x", "z"]]\nkey = "x:z"\nfixed_effects = ["dyad", "senior^year"]\n'
             'cluster = ["junior", "senior"]\nrobustness_family = "claim"\nprimary = true\n'
             'family = "UN relative opposition"')
    text = _model(extra).replace('explanatory = ["x"]\n', "")
    (spec,) = parse_file(_write(tmp_path, "claim.toml", text))
    assert spec.regressors == ("x", "z", "x:z") and spec.key_term == "x:z"
    assert spec.fe_columns == ("dyad", "senior_by_year") and spec.cluster == ("junior", "senior")
    assert spec.primary and spec.robustness_family == "claim" and spec.link == "identity"


def test_duplicate_model_name_across_files_is_rejected(tmp_path):
    """The same model name in two files raises SpecError naming the second file and 'name'."""
    _write(tmp_path, "a.toml", _model())
    _write(tmp_path, "b.toml", _model())
    with pytest.raises(SpecError, match=r"b\.toml.*'name'.*duplicate"):
        load_specs(tmp_path)


def test_exactly_one_primary_across_files(tmp_path):
    """Two primary models are rejected; require_primary rejects none."""
    _write(tmp_path, "a.toml", _model('cluster = "junior"\nprimary = true', name="a"))
    assert [s.name for s in load_specs(tmp_path, require_primary=True)] == ["a"]
    _write(tmp_path, "b.toml", _model('cluster = "junior"\nprimary = true', name="b"))
    with pytest.raises(SpecError, match=r"b\.toml.*'primary'.*a is primary"):
        load_specs(tmp_path)
    empty = tmp_path / "none"
    empty.mkdir()
    with pytest.raises(SpecError, match="no model has primary"):
        load_specs(empty, require_primary=True)


def test_one_label_per_variable_across_files(tmp_path):
    """A variable labelled differently in two files, or not at all, is a SpecError."""
    _write(tmp_path, "a.toml", _model(name="a"))
    _write(tmp_path, "b.toml", _model(name="b", labels='labels = { y = "Outcome", x = "X" }'))
    with pytest.raises(SpecError, match=r"b\.toml.*'labels\.y'.*one label per variable"):
        load_specs(tmp_path)
    (tmp_path / "b.toml").write_text(_model(name="b", labels='labels = { x = "X" }'))
    specs = load_specs(tmp_path)
    assert all(s.labels["y"] == "Y" for s in specs)  # b's outcome takes a's label
    (tmp_path / "a.toml").unlink()
    with pytest.raises(SpecError, match=r"'labels\.y'.*no label"):
        load_specs(tmp_path)


def test_family_models_share_the_bootstrap_cluster(tmp_path):
    """Models of one robustness family must cluster first on the same variable."""
    labels = 'labels = { y = "Y", x = "X" }'
    _write(tmp_path, "a.toml", _model('cluster = "junior"\nrobustness_family = "f"', name="a",
                                      labels=labels))
    _write(tmp_path, "b.toml", _model('cluster = "senior"\nrobustness_family = "f"', name="b",
                                      labels=labels))
    with pytest.raises(SpecError, match=r"b\.toml.*'cluster'.*bootstrapped by junior"):
        load_specs(tmp_path)


def test_invalid_toml_names_the_file(tmp_path):
    """A file that is not TOML raises SpecError naming the file."""
    with pytest.raises(SpecError, match=r"broken\.toml"):
        parse_file(_write(tmp_path, "broken.toml", "name = \n"))


def test_time_since_requires_logit(tmp_path):
    """The cubic time-since option is refused for non-logit estimators."""
    with pytest.raises(SpecError, match="time_since"):
        parse_file(_write(tmp_path, "ts.toml", _model('time_since = "cubic"')))


def test_each_file_is_parsed_once(tmp_path, monkeypatch):
    """Repeated loads read a file's TOML once until the file changes."""
    calls = []
    real = tomllib.loads
    monkeypatch.setattr(parse_module.tomllib, "loads", lambda text: calls.append(1) or real(text))
    path = _write(tmp_path, "once.toml", _model())
    for _ in range(3):
        load_specs(tmp_path)
    assert len(calls) == 1
    path.write_text(_model().replace('short = "s"', 'short = "changed"'))
    assert load_specs(tmp_path)[0].short == "changed" and len(calls) == 2


def test_readme_example_parses(tmp_path):
    """The weighted-share FE example of models/README.md is a valid spec."""
    readme = (MODELS_DIR / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, re.DOTALL)[1]
    (spec,) = parse_file(_write(tmp_path, "example.toml", block))
    assert spec.weights and spec.interactions and "senior^year" in spec.fixed_effects
    assert spec.cluster[0] == "junior" and spec.robustness_family


def test_shipped_specs_load_and_are_documented():
    """Every shipped model loads with a unique name, title, short name and comment; exactly one
    is the primary, and every model is in the robustness family of the claim."""
    specs = load_specs(MODELS_DIR, require_primary=True)
    names = [s.name for s in specs]
    assert len(specs) >= 20 and len(names) == len(set(names))
    assert all(s.comment and s.title and s.short for s in specs)
    assert [s.name for s in specs if s.primary] == ["primary"]
    assert {s.robustness_family for s in specs} == {"claim"}
    assert {s.estimator for s in specs} >= {"fe_ols", "fe_fractional_logit"}
    assert {s.panel for s in specs} == {"derived.alliance_panel"}
