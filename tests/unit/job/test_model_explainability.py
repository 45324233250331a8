"""The MODEL_EXPLAINABILITY analysis through run_job and the container entry point, on files with a local model."""

from __future__ import annotations

import csv
import io
import json

import joblib
import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from sagewatch.errors import JobError
from sagewatch.job.__main__ import main
from sagewatch.job.analyses.model_explainability import read_explainability_config
from sagewatch.job.run import run_job
from sagewatch.job.spec import parse_job_spec
from sagewatch.schemas.explainability import load_explanations

HEADERS = ["a", "b", "c", "label"]
SHAP = {"num_clusters": 4, "num_samples": 24, "agg_method": "mean_abs", "save_local_shap_values": True}


def _data(seed, rows=40, weights=(2.0, -1.0, 0.2)):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3))
    y = (X @ np.array(weights) > 0).astype(int)  # labels only: no pinned number depends on this product
    return X, y


def _write_csv(folder, X, y, header=True):
    folder.mkdir(parents=True, exist_ok=True)
    lines = [",".join(HEADERS)] if header else []
    lines += [",".join([repr(float(v)) for v in row] + [str(int(label))]) for row, label in zip(X, y)]
    (folder / "data.csv").write_text("\n".join(lines) + "\n")


@pytest.fixture
def job(tmp_path):
    X, y = _data(0, rows=200)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    joblib.dump(LogisticRegression().fit(X, y), model_dir / "model.joblib")
    config = tmp_path / "config" / "analysis_config.json"
    config.parent.mkdir()
    config.write_text(json.dumps({"headers": HEADERS, "label": "label", "methods": {"shap": SHAP},
                                  "predictor": {"model_name": "m", "instance_type": "ml.m5.xlarge",
                                                "initial_instance_count": 1}}))

    def spec(data, out, header=True, **settings):
        env = {"SAGEWATCH_OPT_ML": str(tmp_path / "opt"), "analysis_type": "MODEL_EXPLAINABILITY",
               "dataset_format": json.dumps({"csv": {"header": header}}), "dataset_source": str(data),
               "output_path": str(out), "analysis_config": str(config), "sagewatch_model": str(model_dir),
               **settings}
        return parse_job_spec(env)
    spec.config = config
    spec.model_dir = model_dir
    return spec


def _baseline(job, tmp_path):
    X, y = _data(1)
    _write_csv(tmp_path / "base-in", X, y)
    return run_job(job(tmp_path / "base-in", tmp_path / "base"))


def test_baseline_writes_clarifys_files(job, tmp_path):
    outcome = _baseline(job, tmp_path)
    assert outcome.message == "Completed: Job completed successfully with no violations."
    names = sorted(p.relative_to(tmp_path / "base").as_posix() for p in outcome.outputs)
    assert names == ["analysis.json", "explanations_shap/out.csv", "sagewatch_report.json"]
    analysis = load_explanations(tmp_path / "base" / "analysis.json")
    assert analysis.explainer == "kernel_shap" and list(analysis.labels) == ["label0"]
    values = analysis.labels["label0"].global_shap_values
    assert list(values) == ["a", "b", "c"] and values["a"] > values["b"] > values["c"]
    rows = list(csv.reader(io.StringIO((tmp_path / "base" / "explanations_shap" / "out.csv").read_text())))
    assert rows[0] == ["a_label0", "b_label0", "c_label0"] and len(rows) == 41
    report = json.loads((tmp_path / "base" / "sagewatch_report.json").read_text())
    assert report["dataset"]["item_count"] == 40
    assert report["feature_attribution"] == {"explainer": "kernel_shap", "agg_method": "mean_abs",
                                             "records_explained": 40}


def test_the_same_job_twice_writes_the_same_bytes(job, tmp_path):
    _baseline(job, tmp_path)
    first = {p: (tmp_path / "base" / p).read_bytes() for p in ("analysis.json", "explanations_shap/out.csv")}
    run_job(job(tmp_path / "base-in", tmp_path / "base"))
    assert first == {p: (tmp_path / "base" / p).read_bytes() for p in first}


def test_monitoring_the_same_behaviour_raises_no_violation(job, tmp_path):
    _baseline(job, tmp_path)
    X, y = _data(2)
    _write_csv(tmp_path / "now", X, y, header=False)
    outcome = run_job(job(tmp_path / "now", tmp_path / "out", header=False,
                          baseline_constraints=str(tmp_path / "base" / "analysis.json"),
                          publish_cloudwatch_metrics="Enabled", sagemaker_endpoint_name="ep",
                          sagemaker_monitoring_schedule_name="s", metric_time="2024-05-01T10:00:00Z"))
    assert outcome.violations == 0
    assert json.loads((tmp_path / "out" / "constraint_violations.json").read_text()) == {"version": "1.0",
                                                                                         "violations": []}
    lines = [json.loads(line) for line in
             (tmp_path / "opt" / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl").read_text().splitlines()]
    assert [line["MetricName"] for line in lines] == ["feature_a", "feature_b", "feature_c", "ExpectedValue"]
    assert lines[0]["Timestamp"] == "2024-05-01T10:00:00Z"
    assert [d["Name"] for d in lines[0]["Dimensions"]] == ["Endpoint", "MonitoringSchedule", "ExplainabilityMethod",
                                                          "Label", "ValueType"]
    report = json.loads((tmp_path / "out" / "sagewatch_report.json").read_text())
    assert report["violations"] == 0 and report["feature_attribution"]["labels"]["label0"]["violated"] is False
    assert "<svg" in (tmp_path / "out" / "sagewatch_attribution.html").read_text()


def test_a_model_whose_importances_moved_raises_the_violation(job, tmp_path):
    _baseline(job, tmp_path)
    X, y = _data(3, rows=200, weights=(0.1, -0.5, 3.0))  # c now drives the model, a barely
    joblib.dump(LogisticRegression().fit(X, y), job.model_dir / "model.joblib")
    _write_csv(tmp_path / "now", X[:40], y[:40])
    outcome = run_job(job(tmp_path / "now", tmp_path / "out",
                          baseline_constraints=str(tmp_path / "base" / "analysis.json")))
    assert outcome.violations == 1
    assert outcome.message == "CompletedWithViolations: Job completed successfully with 1 violations."
    violation = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())["violations"][0]
    score = outcome.check.labels[0].ndcg
    assert violation == {"label": "label0", "metric_name": "shap",
                         "constraint_check_type": "feature_attribution_drift_check",
                         "description": f"Feature attribution drift {score!r} exceeds threshold 0.9"}
    shift = json.loads((tmp_path / "out" / "sagewatch_report.json").read_text())["feature_attribution"]
    assert shift["labels"]["label0"]["shift"]["features"][0]["name"] in ("a", "c")


def test_a_configured_threshold_decides(job, tmp_path):
    _baseline(job, tmp_path)
    X, y = _data(2, rows=200, weights=(2.0, -0.2, 1.0))  # b and c swap places; a stays first
    joblib.dump(LogisticRegression().fit(X, y), job.model_dir / "model.joblib")
    _write_csv(tmp_path / "now", X[:40], y[:40])
    settings = {"baseline_constraints": str(tmp_path / "base" / "analysis.json")}
    assert run_job(job(tmp_path / "now", tmp_path / "out", **settings)).violations == 0
    outcome = run_job(job(tmp_path / "now", tmp_path / "out", sagewatch_attribution_threshold="1.0", **settings))
    assert 0.9 < outcome.check.labels[0].ndcg < 1.0 and outcome.violations == 1
    assert outcome.check.threshold == 1.0


@pytest.mark.parametrize("settings, message", [
    ({"sagewatch_attribution_threshold": "high"}, "sagewatch_attribution_threshold must be a number from 0 to 1, "
                                                  "got 'high'"),
    ({"sagewatch_attribution_threshold": "1.5"}, "sagewatch_attribution_threshold must be a number from 0 to 1"),
    ({"sagewatch_explainer": "deep"}, "sagewatch_explainer must be one of kernel_shap, tree_shap, got 'deep'"),
])
def test_bad_sagewatch_settings_fail_before_the_work(job, tmp_path, settings, message):
    with pytest.raises(JobError) as info:
        job(tmp_path / "in", tmp_path / "out", **settings)
    assert str(info.value).startswith(message)


def test_the_tree_explainer_is_named_in_the_output(job, tmp_path):
    X, y = _data(0, rows=200)
    joblib.dump(RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y),
                job.model_dir / "model.joblib")
    X, y = _data(1)
    _write_csv(tmp_path / "base-in", X, y)
    run_job(job(tmp_path / "base-in", tmp_path / "base", sagewatch_explainer="tree_shap"))
    assert load_explanations(tmp_path / "base" / "analysis.json").explainer == "tree_shap"


def test_rows_with_missing_features_are_skipped_and_counted(job, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "data.csv").write_text("a,b,c,label\n1,2,3,1\n1,,3,0\n4,5,x,1\n0.5,1,2,0\n")
    run_job(job(folder, tmp_path / "out"))
    report = json.loads((tmp_path / "out" / "sagewatch_report.json").read_text())
    assert report["dataset"]["skipped_records"]["missing_feature_value"] == 2
    assert report["feature_attribution"]["records_explained"] == 2


@pytest.mark.parametrize("config, message", [
    ("{not json", "analysis_config.json: not valid JSON"),
    (json.dumps({"headers": HEADERS, "methods": {"shap": {"agg_method": "max"}}}),
     "analysis_config.json: methods.shap: agg_method must be one of mean_abs, median, mean_sq, got 'max'"),
    (json.dumps({"headers": HEADERS, "methods": {"shap": {"baseline": [[1, 2, 3]], "num_clusters": 3}}}),
     "analysis_config.json: methods.shap: baseline and num_clusters cannot be given together"),
    (json.dumps({"headers": HEADERS, "label": "label", "methods": {"shap": {"baseline": [[1, 2]]}}}),
     "shap: baseline: rows have 2 values, the dataset has 3 features"),
    (json.dumps({"headers": ["a", "z", "label"], "label": "label", "methods": {"shap": SHAP}}),
     "feature 'z' of analysis_config.json headers is not a column of the dataset; its columns are: a, b, c, label"),
    (json.dumps({"headers": HEADERS, "label": "label", "methods": {"shap": SHAP},
                 "predictor": {"label_headers": ["x", "y", "z"]}}),
     "label_headers names 3 labels but the model answers 1 output per record"),
])
def test_bad_configs_fail_the_job_naming_the_problem(job, tmp_path, config, message):
    X, y = _data(1)
    _write_csv(tmp_path / "in", X, y)
    job.config.write_text(config)
    with pytest.raises(JobError) as info:
        run_job(job(tmp_path / "in", tmp_path / "out"))
    assert str(info.value).startswith(message)
    assert not (tmp_path / "out" / "analysis.json").exists()


def test_a_model_answering_the_wrong_shape_fails_the_container_with_a_message(job, tmp_path):
    X, y = _data(1)
    _write_csv(tmp_path / "in", X, y)
    joblib.dump({"not": "a model"}, job.model_dir / "model.joblib")
    env = {"SAGEWATCH_OPT_ML": str(tmp_path / "opt"), "analysis_type": "MODEL_EXPLAINABILITY",
           "dataset_format": json.dumps({"csv": {"header": True}}), "dataset_source": str(tmp_path / "in"),
           "output_path": str(tmp_path / "out"), "analysis_config": str(job.config),
           "sagewatch_model": str(job.model_dir)}
    assert main(env) == 255
    message = (tmp_path / "opt" / "output" / "message").read_text()
    assert message.startswith("ClientError: cannot predict with a dict: it has no predict_proba or predict")


def test_a_missing_model_or_baseline_is_named(job, tmp_path):
    X, y = _data(1)
    _write_csv(tmp_path / "in", X, y)
    with pytest.raises(JobError, match="no model at .*: feature attribution needs the model"):
        run_job(job(tmp_path / "in", tmp_path / "out", sagewatch_model=str(tmp_path / "nowhere")))
    (tmp_path / "bad.json").write_text(json.dumps({"version": "1.0", "explanations": {}}))
    with pytest.raises(JobError, match="cannot load the baseline: bad.json, field 'explanations': expected a kernel_shap "):
        run_job(job(tmp_path / "in", tmp_path / "out", baseline_constraints=str(tmp_path / "bad.json")))
    with pytest.raises(JobError, match="sagewatch_explainer must be one of kernel_shap, tree_shap, got 'deep'"):
        run_job(job(tmp_path / "in", tmp_path / "out", sagewatch_explainer="deep"))


def test_config_reader_takes_label_by_index_and_excluded_columns():
    config = read_explainability_config({"headers": ["id", "a", "b", "y"], "label": 3, "excluded_columns": ["id"],
                                         "methods": {"shap": {}}, "predictor": {"label_headers": ["no", "yes"]}})
    assert config.features == ("a", "b") and config.label_headers == ("no", "yes")
    with pytest.raises(JobError, match="analysis_config.json: label 'q' is not one of the headers"):
        read_explainability_config({"headers": ["a"], "label": "q", "methods": {"shap": {}}})


def test_without_dataset_format_the_config_dataset_type_decides(job, tmp_path):
    # a baselining job names no dataset_format: Clarify reads the data as dataset_type says (default text/csv,
    # no header line since headers are given)
    X, y = _data(1)
    _write_csv(tmp_path / "plain", X, y, header=False)
    outcome = run_job(job(tmp_path / "plain", tmp_path / "out", dataset_format=""))
    assert outcome.message == "Completed: Job completed successfully with no violations."
    assert json.loads((tmp_path / "out" / "sagewatch_report.json").read_text())["dataset"]["item_count"] == 40
    same = run_job(job(tmp_path / "plain", tmp_path / "csv", header=False))
    assert (tmp_path / "out" / "analysis.json").read_bytes() == (tmp_path / "csv" / "analysis.json").read_bytes()
    config = json.loads(job.config.read_text())
    job.config.write_text(json.dumps({**config, "dataset_type": "image/png"}))
    with pytest.raises(JobError, match="dataset_type must be one of text/csv"):
        run_job(job(tmp_path / "plain", tmp_path / "bad", dataset_format=""))
    assert same.message.startswith("Completed")
