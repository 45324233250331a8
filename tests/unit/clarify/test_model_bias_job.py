"""``python -m sagewatch.job`` with ``analysis_type=MODEL_BIAS``: baseline, drift check, metric lines, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sagewatch.job import __main__ as entry

DATA = Path(__file__).resolve().parents[2] / "data" / "clarify"
CONFIG = {"dataset_type": "text/csv", "label": "y", "label_values_or_threshold": [1], "predicted_label": "p",
          "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}], "group_variable": "g",
          "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}


def _rows(n=200, flip_every=7):
    lines = ["sex,g,x,y,p"]
    for i in range(n):
        sex, g, y = i % 2, i % 3, int(i % 5 < 2)
        p = 1 - y if i % flip_every == 0 else y
        lines.append(f"{sex},{g},{i / 10},{y},{p}")
    return "\n".join(lines) + "\n"


def _job(tmp_path, *, config=CONFIG, data=None, **settings):
    (tmp_path / "processing" / "input" / "config").mkdir(parents=True, exist_ok=True)
    (tmp_path / "processing" / "input" / "data").mkdir(parents=True, exist_ok=True)
    config_text = config if isinstance(config, str) else json.dumps(config)
    (tmp_path / "processing" / "input" / "config" / "analysis_config.json").write_text(config_text)
    (tmp_path / "processing" / "input" / "data" / "d.csv").write_text(data if data is not None else _rows())
    return {"SAGEWATCH_OPT_ML": str(tmp_path), "analysis_type": "MODEL_BIAS",
            "dataset_source": "/opt/ml/processing/input/data", "output_path": "/opt/ml/processing/output",
            **settings}


def _message(tmp_path) -> str:
    return (tmp_path / "output" / "message").read_text(encoding="utf-8")


def _analysis(tmp_path) -> dict:
    return json.loads((tmp_path / "processing" / "output" / "analysis.json").read_text())


def test_baseline_writes_analysis_json_in_clarify_layout(tmp_path):
    assert entry.main(_job(tmp_path)) == 0
    assert _message(tmp_path) == "Completed: Job completed successfully with no violations."
    text = (tmp_path / "processing" / "output" / "analysis.json").read_text()
    assert text.startswith('{\n    "version": "1.0",\n    "post_training_bias_metrics": {\n        "label": "y",')
    analysis = json.loads(text)
    assert list(analysis) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics"]
    post = analysis["post_training_bias_metrics"]["facets"]["sex"][0]
    assert post["value_or_threshold"] == "1"
    assert [m["name"] for m in post["metrics"]] == ["AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT",
                                                     "RD", "TE"]
    assert not (tmp_path / "processing" / "output" / "constraint_violations.json").exists()


def test_same_input_gives_the_same_bytes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for root in (first, second):
        root.mkdir()
        assert entry.main(_job(root)) == 0
    name = Path("processing") / "output" / "analysis.json"
    assert (first / name).read_bytes() == (second / name).read_bytes()


def _baseline_from(tmp_path, data) -> Path:
    base = tmp_path / "base"
    base.mkdir()
    assert entry.main(_job(base, data=data)) == 0
    return base / "processing" / "output" / "analysis.json"


def test_monitoring_without_drift_has_no_violations(tmp_path):
    baseline = _baseline_from(tmp_path, _rows())
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(baseline, run / "baseline.json")
    env = _job(run, baseline_constraints="/opt/ml/baseline.json", publish_cloudwatch_metrics="Enabled",
               sagemaker_endpoint_name="ep", sagemaker_monitoring_schedule_name="sch",
               start_time="2024-05-01T10:00:00Z", end_time="2024-05-01T11:00:00Z")
    assert entry.main(env) == 0
    assert _message(run) == "Completed: Job completed successfully with no violations."
    violations = json.loads((run / "processing" / "output" / "constraint_violations.json").read_text())
    assert violations == {"version": "1.0", "violations": []}
    lines = [json.loads(line) for line in
             (run / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl").read_text().splitlines()]
    names = {line["MetricName"] for line in lines}
    assert "bias_metric_CI" in names and "bias_metric_DPPL" in names
    di = next(line for line in lines if line["MetricName"] == "bias_metric_DI")
    assert di["Timestamp"] == "2024-05-01T10:00:00Z"
    assert di["Dimensions"] == [{"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule", "Value": "sch"},
                                {"Name": "BiasStage", "Value": "Post-Training"}, {"Name": "Label", "Value": "y"},
                                {"Name": "LabelValue", "Value": "1"}, {"Name": "Facet", "Value": "sex"},
                                {"Name": "FacetValue", "Value": "1"}]


def test_monitoring_with_more_bias_reports_violations(tmp_path):
    baseline = _baseline_from(tmp_path, _rows())
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(baseline, run / "baseline.json")
    # the model now flips the predictions of facet sex=1 rows only: the post-training metrics drift
    lines = ["sex,g,x,y,p"] + [f"{i % 2},{i % 3},{i / 10},{int(i % 5 < 2)},"
                               f"{int(i % 5 < 2) if i % 2 == 0 else 1 - int(i % 5 < 2) if i % 4 == 1 else int(i % 5 < 2)}"
                               for i in range(200)]
    env = _job(run, data="\n".join(lines) + "\n", baseline_constraints="/opt/ml/baseline.json")
    assert entry.main(env) == 0
    violations = json.loads((run / "processing" / "output" / "constraint_violations.json").read_text())["violations"]
    assert violations and _message(run) == f"CompletedWithViolations: Job completed successfully with " \
                                           f"{len(violations)} violations."
    assert {v["constraint_check_type"] for v in violations} == {"bias_drift_check"}
    assert {v["facet"] for v in violations} == {"sex"}
    dppl = next(v for v in violations if v["metric_name"] == "DPPL")
    current = next(m["value"] for m in _analysis(run)["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
                   if m["name"] == "DPPL")
    assert dppl == {"facet": "sex", "facet_value": "1", "metric_name": "DPPL", "constraint_check_type":
                    "bias_drift_check", "description": f"Value {current} does not meet the constraint requirement"}


@pytest.mark.parametrize(("config", "data", "reason"), [
    ("{not json", None, "invalid JSON"),
    ({**CONFIG, "label": "missing"}, None, "field 'label': 'missing' names no column of the dataset"),
    ({**CONFIG, "facet": [{"name_or_index": "sex", "value_or_threshold": [7]}]}, None,
     "facet 'sex': value_or_threshold [7] is absent from the data"),
    ({**CONFIG, "label_values_or_threshold": [9]}, None,
     "label_values_or_threshold [9] leaves the positive class of label column 'y' empty"),
    ({**CONFIG, "facet": [{"name_or_index": "x", "value_or_threshold": [100]}]}, None,
     "facet 'x': threshold 100 leaves the facet empty"),
    ({**CONFIG, "methods": {"shap": {"num_samples": 10}}}, None, "field 'methods': no bias analysis is asked for"),
    ({k: v for k, v in CONFIG.items() if k != "predicted_label"}, None,
     "field 'predicted_label': post-training bias metrics need predicted labels"),
])
def test_bad_input_fails_the_job_naming_the_problem(tmp_path, config, data, reason):
    assert entry.main(_job(tmp_path, config=config, data=data)) == 255
    message = _message(tmp_path)
    assert message.startswith("ClientError: ") and reason in message, message
    assert not (tmp_path / "processing" / "output" / "analysis.json").exists()


def test_missing_config_file_fails_naming_the_setting(tmp_path):
    env = _job(tmp_path)
    (tmp_path / "processing" / "input" / "config" / "analysis_config.json").unlink()
    assert entry.main(env) == 255
    assert "analysis_config.json not found" in _message(tmp_path) and "analysis_config" in _message(tmp_path)


def test_config_path_can_be_given(tmp_path):
    env = _job(tmp_path)
    moved = tmp_path / "elsewhere.json"
    (tmp_path / "processing" / "input" / "config" / "analysis_config.json").rename(moved)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "processingjobconfig.json").write_text(
        json.dumps({"Environment": {"analysis_config": "/opt/ml/elsewhere.json"}}))
    assert entry.main(env) == 0
    assert _analysis(tmp_path)["version"] == "1.0"


def test_uncomputable_metric_of_one_facet_is_null_with_error(tmp_path):
    config = {**CONFIG, "group_variable": None, "facet": [{"name_or_index": "sex"}]}
    config = {k: v for k, v in config.items() if v is not None}
    assert entry.main(_job(tmp_path, config=config)) == 0
    for entry_ in _analysis(tmp_path)["pre_training_bias_metrics"]["facets"]["sex"]:
        cddl = entry_["metrics"][0]
        assert cddl == {"name": "CDDL", "description": "Conditional Demographic Disparity in Labels (CDDL)",
                        "value": None, "error": "Group variable is empty or not provided"}


def test_drift_baseline_that_is_not_a_bias_analysis_fails(tmp_path):
    (tmp_path / "b.json").write_text('{"version": "1.0", "explanations": {}}')
    assert entry.main(_job(tmp_path, baseline_constraints="/opt/ml/b.json")) == 255
    assert "cannot load the baseline" in _message(tmp_path) and "explainability" in _message(tmp_path)


def test_golden_dataset_through_the_job(tmp_path):
    env = _job(tmp_path, config=(DATA / "coded" / "analysis_config.json").read_text(),
               data=(DATA / "coded" / "data.csv").read_text())
    assert entry.main(env) == 0
    golden = json.loads((DATA / "coded" / "smclarify_golden.json").read_text())["report"]
    ours = _analysis(tmp_path)
    assert ours["pre_training_bias_metrics"]["label_value_or_threshold"] == "yes"
    assert [e["value_or_threshold"] for e in ours["post_training_bias_metrics"]["facets"]["age_group"]] == \
        [e["value_or_threshold"] for e in golden["post_training_bias_metrics"]["facets"]["age_group"]]


def test_clarify_paths_are_the_defaults(tmp_path):
    env = _job(tmp_path)
    del env["dataset_source"], env["output_path"]
    assert entry.main(env) == 0
    assert _analysis(tmp_path)["pre_training_bias_metrics"]["label"] == "y"
