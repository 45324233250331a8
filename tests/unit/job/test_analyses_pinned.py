"""The analysis registry and the data-quality analysis' verbs, called directly."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sagewatch.errors import JobError
from sagewatch.job import analyses
from sagewatch.job.analyses import Analysed, Analysis, available_analyses, get_analysis, register_analysis
from sagewatch.job.analyses.data_quality import DataQuality, name_positional_columns
from sagewatch.job.spec import JobSpec, OptMlPaths
from sagewatch.profile.dataset import profile_table
from sagewatch.schemas.constraints import Constraints, FeatureConstraint, MonitoringConfig


class _Named(Analysis):
    def __init__(self, name):
        self.name = name

    def baseline(self, spec): ...
    def analyse(self, spec, *, progress=None): ...
    def suggest(self, analysed, spec): ...
    def check(self, analysed, baseline, spec): ...
    def metrics(self, analysed, checked, baseline, spec, *, timestamp): ...


@pytest.fixture
def registry(monkeypatch):
    available_analyses()  # all the built-ins are loaded into the real table first
    table = dict(analyses._REGISTRY)
    monkeypatch.setattr(analyses, "_REGISTRY", table)
    return table


# ------------------------------------------------------------------------------ registry
@pytest.mark.parametrize("value", [None, "", "DATA_QUALITY", "data_quality", "  Data_Quality \n"])
def test_data_quality_is_the_default_in_any_case(value):
    analysis = get_analysis(value)
    assert isinstance(analysis, DataQuality) and analysis.name == "DATA_QUALITY"


def test_unknown_analysis_lists_the_supported_ones(registry):
    register_analysis(_Named("MODEL_FAIRNESS"))
    with pytest.raises(JobError) as info:
        get_analysis("explain")
    assert str(info.value) == ("analysis_type 'explain' is not supported by this analyzer yet; supported: "
                               "DATA_QUALITY, MODEL_BIAS, MODEL_EXPLAINABILITY, MODEL_FAIRNESS, MODEL_QUALITY (also when "
                               "analysis_type is unset)")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_registered_analysis_is_found_and_listed(registry):
    added = _Named("ZETA")
    assert register_analysis(added) is added
    assert get_analysis(" zeta ") is added
    assert available_analyses() == ("DATA_QUALITY", "MODEL_BIAS", "MODEL_EXPLAINABILITY", "MODEL_QUALITY", "ZETA")
    assert registry["ZETA"] is added


def test_only_analyses_can_be_registered(registry):
    with pytest.raises(TypeError) as info:
        register_analysis(object())
    assert str(info.value) == "expected an Analysis, got object"


@pytest.mark.parametrize("name", ["", "  ", "lower", "Mixed", " PADDED"])
def test_analysis_names_are_non_empty_upper_case(registry, name):
    with pytest.raises(ValueError) as info:
        register_analysis(_Named(name))
    assert str(info.value) == f"analysis names are non-empty upper case, got {name!r}"
    assert set(registry) == {"DATA_QUALITY", "MODEL_BIAS", "MODEL_EXPLAINABILITY", "MODEL_QUALITY"}


def test_an_analysis_is_registered_once(registry):
    with pytest.raises(ValueError) as info:
        register_analysis(_Named("DATA_QUALITY"))
    assert str(info.value) == "analysis 'DATA_QUALITY' is already registered"
    assert isinstance(registry["DATA_QUALITY"], DataQuality)


def test_builtins_are_loaded_once(monkeypatch):
    loaded = []
    monkeypatch.setattr(analyses, "_loaded", False)
    monkeypatch.setattr(analyses.importlib, "import_module", lambda name: loaded.append(name))
    available_analyses()
    available_analyses()
    assert loaded == ["sagewatch.job.analyses.data_quality", "sagewatch.job.analyses.model_quality",
                      "sagewatch.job.analyses.model_bias", "sagewatch.job.analyses.model_explainability"]


def test_analysed_defaults_to_no_skips():
    assert Analysed("s").skips == {}


# ------------------------------------------------------------------------------ data quality
def _spec(tmp_path, fmt, **kwargs):
    return JobSpec(tmp_path / "in", tmp_path / "out", fmt, OptMlPaths(tmp_path), **kwargs)


def test_baseline_needs_the_constraints(tmp_path):
    with pytest.raises(JobError) as info:
        DataQuality().baseline(_spec(tmp_path, {}, baseline_statistics=tmp_path / "s.json"))
    assert str(info.value) == ("baseline_statistics is set but baseline_constraints is not; monitoring needs both "
                               "or at least baseline_constraints")


def test_baseline_of_constraints_alone_has_no_statistics(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"features": [{"name": "a", "inferred_type": "Integral"}]}))
    baseline = DataQuality().baseline(_spec(tmp_path, {}, baseline_constraints=path))
    assert baseline.statistics is None and baseline.statistics_path is None
    assert [f.name for f in baseline.constraints.features] == ["a"]


def test_baseline_errors_name_the_file(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"features": [{"name": "a", "inferred_type": "Integral"}]}))
    with pytest.raises(JobError) as info:
        DataQuality().baseline(_spec(tmp_path, {}, baseline_constraints=path,
                                     baseline_statistics=tmp_path / "none.json"))
    assert str(info.value) == f"cannot load the baseline: {tmp_path / 'none.json'}: baseline statistics file not found"


def test_parquet_is_profiled_column_by_column_with_progress(tmp_path):
    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0]}), tmp_path / "in" / "a.parquet")
    seen = []
    analysed = DataQuality().analyse(_spec(tmp_path, {"parquet": {}}), progress=seen.append)
    assert analysed.summary.item_count == 3 and analysed.skips == {} and sum(seen) == 3


def test_records_skipped_are_counted_and_an_empty_result_names_them(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"x": 1}\n[1, 2]\n{"x": 2}\n')
    analysed = DataQuality().analyse(_spec(tmp_path, {"json": {"lines": True}}))
    assert analysed.summary.item_count == 2 and analysed.skips == {"not_a_record": 1}
    (tmp_path / "in" / "a.jsonl").write_text("[1]\n[2]\n")
    with pytest.raises(Exception) as info:
        DataQuality().analyse(_spec(tmp_path, {"json": {"lines": True}}))
    assert "not_a_record" in str(info.value)


def _baseline(names, *, evaluate=True):
    return type("B", (), {"constraints": Constraints(tuple(FeatureConstraint(n, "Integral") for n in names),
                                                     MonitoringConfig(evaluate_constraints=evaluate)),
                          "statistics": None, "statistics_path": None, "report_path": None})()


def test_check_renames_headerless_columns_by_position(tmp_path):
    profile = profile_table(pa.table({"_c0": [1, 2], "_c1": [3, 4]}))
    checked = DataQuality().check(Analysed(profile), _baseline(["a", "b"]), _spec(tmp_path, {"csv": {"header": False}}))
    assert list(checked.summary.columns) == ["a", "b"] and checked.violations == 0
    assert set(checked.files) == {"statistics.json", "constraints.json", "constraint_violations.json",
                                  "sagewatch_report.json"}
    assert [f["name"] for f in json.loads(checked.files["statistics.json"])["features"]] == ["a", "b"]


def test_check_keeps_names_of_data_with_a_header(tmp_path):
    profile = profile_table(pa.table({"_c0": [1, 2], "_c1": [3, 4]}))
    checked = DataQuality().check(Analysed(profile), _baseline(["a", "b"]), _spec(tmp_path, {"csv": {"header": True}}))
    assert list(checked.summary.columns) == ["_c0", "_c1"]
    found = [(v.feature_name, v.constraint_check_type) for v in checked.result.violations]
    assert found == [("a", "missing_column_check"), ("b", "missing_column_check"), ("_c0", "extra_column_check"),
                     ("_c1", "extra_column_check")]
    assert checked.violations == 4


def test_check_with_constraints_disabled_and_no_statistics_reports_nothing(tmp_path):
    profile = profile_table(pa.table({"x": ["a", "b"]}))
    checked = DataQuality().check(Analysed(profile), _baseline(["a"], evaluate=False),
                                  _spec(tmp_path, {"csv": {"header": True}}))
    assert checked.violations == 0 and checked.result.violations == ()
    assert json.loads(checked.files["constraint_violations.json"]) == {"violations": []}


def test_suggest_writes_the_three_baseline_files(tmp_path):
    profile = profile_table(pa.table({"x": [1, 2]}))
    files = DataQuality().suggest(Analysed(profile, {"bad_json": 2}), _spec(tmp_path, {"csv": {}},
                                                                             categorical_drift_method="chisquared"))
    assert list(files) == ["statistics.json", "constraints.json", "sagewatch_report.json"]
    config = json.loads(files["constraints.json"])["monitoring_config"]["distribution_constraints"]
    assert config["categorical_drift_method"] == "ChiSquared"


# ------------------------------------------------------------------------------ positional names
def test_positions_beyond_the_baseline_keep_their_names():
    profile = profile_table(pa.table({"_c0": [1], "_c5": [2], "extra": [3]}))
    assert list(name_positional_columns(profile, ["a", "b"]).columns) == ["a", "_c5", "extra"]


def test_two_columns_claiming_one_position_keep_the_second_name():
    profile = profile_table(pa.table({"_c1": [1], "x": [2]}))  # x is at index 1 too
    assert list(name_positional_columns(profile, ["a", "b"]).columns) == ["b", "x"]


def test_empty_profile_is_returned_as_is():
    profile = profile_table(pa.table({"x": pa.array([], type=pa.int64())})).__class__({}, 0)
    assert name_positional_columns(profile, ["a"]) is profile


def test_renamed_profile_keeps_counts_and_sample_size():
    profile = profile_table(pa.table({"_c0": [1, 2, 3]}))
    named = name_positional_columns(profile, ["a"])
    assert named.item_count == 3 and named.sample_seen == profile.sample_seen
    assert named.columns["a"].n_integral == 3 and np.array_equal(named.sample["a"], profile.sample["_c0"])
