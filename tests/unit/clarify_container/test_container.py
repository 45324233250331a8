"""``python -m sagewatch.clarify_container`` in process: processing-job mode (methods -> one analysis.json),
monitoring mode, and bad input ending the job with a message naming the problem."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from sagewatch.clarify.bias.dataset import run_bias_analysis
from sagewatch.clarify.predictions import local_predictor
from sagewatch.clarify_container.__main__ import main
from sagewatch.clarify_container.processing import run_processing_job
from sagewatch.clarify_container.run import analysis_mode
from sagewatch.errors import JobError
from sagewatch.job.spec import OptMlPaths
from sagewatch.schemas.clarify_analysis import dumps_analysis
from sagewatch.schemas.clarify_config import load_analysis_config

FEATURE_DATA = Path(__file__).parents[2] / "data" / "clarify" / "categorical"


def job(tmp_path, config: dict | str, data: Path = FEATURE_DATA / "data.csv") -> dict:
    (tmp_path / "processing/input/config").mkdir(parents=True)
    (tmp_path / "processing/input/data").mkdir(parents=True)
    text = config if isinstance(config, str) else json.dumps(config)
    (tmp_path / "processing/input/config/analysis_config.json").write_text(text)
    shutil.copy(data, tmp_path / "processing/input/data" / data.name)
    return {"SAGEWATCH_OPT_ML": str(tmp_path)}


def message(tmp_path) -> str:
    return (tmp_path / "output/message").read_text()


def categorical_config(**changes) -> dict:
    config = json.loads((FEATURE_DATA / "analysis_config.json").read_text())
    config.update(changes)
    return config


def test_pre_and_post_training_bias_with_report_write_one_analysis_json(tmp_path):
    config = categorical_config()
    config["methods"]["report"] = {"name": "report", "title": "Loan bias"}
    assert main(job(tmp_path, config)) == 0
    text = (tmp_path / "processing/output/analysis.json").read_text()
    assert list(json.loads(text)) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics"]
    engine = run_bias_analysis(load_analysis_config(FEATURE_DATA / "analysis_config.json"), FEATURE_DATA / "data.csv")
    assert text == dumps_analysis(engine.document)  # the engine's bytes, pinned by the smclarify goldens
    page = (tmp_path / "processing/output/report.html").read_text()
    assert "<title>Loan bias</title>" in page and "Class Imbalance (CI)" in page
    assert message(tmp_path).startswith("Completed")


def test_bias_and_shap_from_one_model_write_bias_and_explanations_together(tmp_path):
    config = {"dataset_type": "text/csv", "headers": ["x1", "sex", "x2", "y"], "label": "y",
              "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
              "predictor": {"model_name": "m", "instance_type": "ml.m5.xlarge", "initial_instance_count": 1},
              "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]},
                          "post_training_bias": {"methods": ["DPPL", "DI"]},
                          "shap": {"baseline": [[0, 0, 0]], "num_samples": 20, "save_local_shap_values": True,
                                   "seed": 1},
                          "report": {"name": "report", "title": "Analysis Report"}}}
    rng = np.random.default_rng(0)
    rows = [(round(a, 3), int(s), round(b, 3), int(a + s > 0.5)) for a, s, b in
            zip(rng.normal(size=60), rng.integers(0, 2, 60), rng.normal(size=60))]
    data = tmp_path / "rows.csv"
    data.write_text("".join(",".join(map(str, r)) + "\n" for r in rows))
    env = job(tmp_path / "job", config, data)
    seen = []

    def model(X):
        seen.append(X.shape)
        return 1 / (1 + np.exp(-(X[:, 0] + X[:, 1] - X[:, 2])))

    config_file = tmp_path / "job/processing/input/config/analysis_config.json"
    run_processing_job(env, load_analysis_config(config_file), config_file, local_predictor(model))
    out = tmp_path / "job/processing/output"
    analysis = json.loads((out / "analysis.json").read_text())
    assert list(analysis) == ["version", "post_training_bias_metrics", "pre_training_bias_metrics", "explanations"]
    assert [m["name"] for m in analysis["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]] == ["DI", "DPPL"]
    shap = analysis["explanations"]["kernel_shap"]["label0"]
    assert set(shap["global_shap_values"]) == {"x1", "sex", "x2"} and shap["expected_value"] == pytest.approx(0.5)
    local = (out / "explanations_shap/out.csv").read_text().splitlines()
    assert local[0] == "x1_label0,sex_label0,x2_label0" and len(local) == 61
    assert seen[0] == (60, 3)  # the bias records: features only, label left out
    assert "Feature attribution (kernel_shap)" in (out / "report.html").read_text()


@pytest.mark.parametrize("config, expected", [
    ("{not json", "ClientError: "),
    (categorical_config(facet=[{"name_or_index": "gender", "value_or_threshold": ["female"]}]),
     "'gender' names no column of the dataset"),
    (categorical_config(facet=[{"name_or_index": "sex", "value_or_threshold": ["other"]}]),
     "value_or_threshold ['other'] is absent from the data"),
    (categorical_config(label_values_or_threshold=[7]), "leaves the positive class of label column 'approved' empty"),
    (categorical_config(predicted_label=None), "give the model in predictor"),
    (categorical_config(methods={}), "methods asks for no analysis"),
    (categorical_config(methods={"shap": {"baseline": [[0]]}}), "the shap method needs the model"),
])
def test_bad_input_fails_the_job_naming_the_problem(tmp_path, config, expected):
    assert main(job(tmp_path, config)) == 255
    text = message(tmp_path)
    assert text.startswith("ClientError: ") and expected in text
    assert not (tmp_path / "processing/output/analysis.json").exists()


def test_invalid_json_config_names_the_file_and_line(tmp_path):
    main(job(tmp_path, '{"label": "approved",\n "facet": [}'))
    assert "analysis_config.json" in message(tmp_path) and "line 2" in message(tmp_path)


def test_baseline_content_decides_the_monitoring_analysis(tmp_path):
    paths = OptMlPaths(tmp_path)
    (tmp_path / "bias.json").write_text('{"version": "1.0", "pre_training_bias_metrics": {}}')
    (tmp_path / "shap.json").write_text('{"version": "1.0", "explanations": {}}')
    (tmp_path / "other.json").write_text('{"version": "1.0"}')
    assert analysis_mode({"baseline_constraints": str(tmp_path / "bias.json")}, paths) == "MODEL_BIAS"
    assert analysis_mode({"baseline_constraints": str(tmp_path / "shap.json")}, paths) == "MODEL_EXPLAINABILITY"
    assert analysis_mode({"analysis_type": "model_bias"}, paths) == "MODEL_BIAS"
    assert analysis_mode({}, paths) is None
    with pytest.raises(JobError, match="neither a bias analysis.json"):
        analysis_mode({"baseline_constraints": str(tmp_path / "other.json")}, paths)
    with pytest.raises(JobError, match="not a Clarify analysis"):
        analysis_mode({"analysis_type": "DATA_QUALITY"}, paths)


def test_monitoring_bias_checks_drift_against_the_baseline_and_names_the_endpoint(tmp_path):
    env = job(tmp_path, categorical_config())
    assert main(env) == 0  # a processing job gives the baseline analysis.json
    baseline = tmp_path / "baseline.json"
    shutil.move(tmp_path / "processing/output/analysis.json", baseline)
    monitoring = {**env, "baseline_constraints": str(baseline), "endpoint_name": "credit",
                  "monitoring_schedule_name": "bias-hourly", "publish_cloudwatch_metrics": "Enabled"}
    assert main(monitoring) == 0
    assert message(tmp_path) == "Completed: Job completed successfully with no violations."
    assert json.loads((tmp_path / "processing/output/constraint_violations.json").read_text())["violations"] == []
    lines = (tmp_path / "output/metrics/cloudwatch/cloudwatch_metrics.jsonl").read_text().splitlines()
    dimensions = json.loads(lines[0])["Dimensions"]
    assert {"Name": "Endpoint", "Value": "credit"} in dimensions
    assert {"Name": "MonitoringSchedule", "Value": "bias-hourly"} in dimensions
