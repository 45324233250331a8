"""Bias on merged captures (``sagemakerMergeJson``): features from endpointInput, the label from the ground truth,
the predicted label from endpointOutput; merged files made by the real merge (:mod:`sagewatch.quality.merge`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from sagewatch.clarify.bias.dataset import run_bias_analysis
from sagewatch.clarify.bias.merged import MergedAttributes, merged_bias_table, run_merged_bias_analysis
from sagewatch.errors import DatasetError, SchemaError
from sagewatch.job import __main__ as entry
from sagewatch.quality.merge import merge_ground_truth, write_merged
from sagewatch.schemas.capture import make_capture_record, serialize_capture_record
from sagewatch.schemas.clarify_config import parse_analysis_config
from sagewatch.schemas.ground_truth import make_ground_truth_record, serialize_ground_truth_record

START = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
HEADERS = ["sex", "group", "income", "approved"]
CONFIG = {"headers": HEADERS, "label": "approved", "label_values_or_threshold": [1],
          "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}], "group_variable": "group",
          "methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}}
MERGE_FORMAT = '{"sagemakerMergeJson":{"captureIndexNames":["endpointInput","endpointOutput"]}}'


def _row(i: int, bias: int) -> tuple[list[int], int, float]:
    """Features, label and score of record i; *bias* in 0..9 makes the model favour sex 0 more."""
    sex, group, income = i % 2, i % 3, 20 + (i * 7) % 50
    label = int((i * 13) % 10 < 4)
    score = 0.2 + 0.6 * label + (0.05 if i % 4 == 0 else -0.05)
    if sex == 0 and i % 10 < bias:
        score = 0.95
    return [sex, group, income], label, round(score, 4)


def _captures(n: int, bias: int, *, json_payloads: bool = False) -> list[str]:
    lines = []
    for i in range(n):
        features, _, score = _row(i, bias)
        if json_payloads:
            payload = dict(input_data=json.dumps({"id": i, "features": features}), input_content_type="application/json",
                           output_data=json.dumps({"predicted_label": int(score > 0.5), "score": score}),
                           output_content_type="application/json")
        else:
            payload = dict(input_data=",".join(map(str, features)), output_data=str(score))
        lines.append(serialize_capture_record(make_capture_record(
            event_id=f"e{i}", inference_time=START + timedelta(seconds=i), **payload)))
    return lines


def _labels(n: int) -> list[str]:
    return [serialize_ground_truth_record(make_ground_truth_record(event_id=f"e{i}", label=str(_row(i, 0)[1])))
            for i in range(n)]


def _merged(folder: Path, n: int = 300, bias: int = 0, **options) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    capture, truth = folder / "capture.jsonl", folder / "truth.jsonl"
    capture.write_text("\n".join(_captures(n, bias, **options)) + "\n")
    truth.write_text("\n".join(_labels(n)) + "\n")
    data = folder / "data" / "ep" / "AllTraffic" / "2024" / "05" / "01" / "10"
    data.mkdir(parents=True)
    result = merge_ground_truth([capture], [truth])
    assert result.counts.merged == n
    write_merged(result, data / "merged.jsonl")
    return folder / "data"


def _config(**changes):
    return parse_analysis_config({**CONFIG, **changes})


def test_merged_captures_measure_as_the_same_rows_in_a_csv(tmp_path):
    """The pin: a merged dataset gives the analysis.json of the same rows written as a labelled CSV."""
    source = _merged(tmp_path / "m", bias=3)
    report = run_merged_bias_analysis(_config(), source, MergedAttributes(probability_threshold=0.5))
    csv = tmp_path / "rows.csv"
    csv.write_text("".join(f"{','.join(map(str, f))},{y},{int(s > 0.5)}\n"
                           for f, y, s in (_row(i, 3) for i in range(300))))
    expected = run_bias_analysis(_config(headers=HEADERS + ["p"], predicted_label="p"), csv)
    assert report.document == expected.document
    assert report.rows == 300 and report.skips == {}
    post = report.document["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
    assert {m["name"]: m["value"] for m in post}["DPPL"] != 0


def test_probability_attribute_uses_the_threshold_and_defaults_to_one_half(tmp_path):
    source = _merged(tmp_path / "m", bias=3)
    table, config, _ = merged_bias_table(source, _config(), MergedAttributes(probability="0"))
    assert (config.predicted_label, config.probability_threshold) == ("predicted_label", 0.5)
    assert table.column_names == HEADERS + ["predicted_label"]
    _, config, _ = merged_bias_table(source, _config(probability_threshold=0.7),
                                     MergedAttributes(probability="0", probability_threshold=0.9))
    assert config.probability_threshold == 0.9  # the EndpointInput's threshold wins over the config's
    _, config, _ = merged_bias_table(source, _config(probability_threshold=0.7), MergedAttributes(probability="0"))
    assert config.probability_threshold == 0.7


def test_a_higher_threshold_changes_the_predicted_labels(tmp_path):
    source = _merged(tmp_path / "m", bias=3)
    low = run_merged_bias_analysis(_config(), source, MergedAttributes(probability="0", probability_threshold=0.5))
    high = run_merged_bias_analysis(_config(), source, MergedAttributes(probability="0", probability_threshold=0.9))
    assert low.document["post_training_bias_metrics"] != high.document["post_training_bias_metrics"]
    assert low.document["pre_training_bias_metrics"] == high.document["pre_training_bias_metrics"]


def test_json_payloads_with_features_and_inference_attributes(tmp_path):
    source = _merged(tmp_path / "m", bias=3, json_payloads=True)
    attributes = MergedAttributes(features="features", inference="$.predicted_label")
    table, config, _ = merged_bias_table(source, _config(), attributes)
    assert config.probability_threshold is None
    assert table.column("income").to_pylist()[:3] == [20, 27, 34]
    csv_source = _merged(tmp_path / "c", bias=3)
    json_report = run_merged_bias_analysis(_config(), source, attributes)
    csv_report = run_merged_bias_analysis(_config(), csv_source, MergedAttributes(probability_threshold=0.5))
    assert json_report.document == csv_report.document


def test_headers_that_do_not_fit_the_features_name_the_field(tmp_path):
    source = _merged(tmp_path / "m")
    with pytest.raises(SchemaError, match=r"field 'headers': headers names 2 features .* but the captured "
                                          r"endpointInput has 3"):
        merged_bias_table(source, _config(headers=["sex", "group", "approved"],
                                          group_variable=None), MergedAttributes(probability_threshold=0.5))


def test_an_output_of_several_values_needs_an_attribute(tmp_path):
    source = _merged(tmp_path / "m", json_payloads=True)
    with pytest.raises(DatasetError, match="endpointOutput has 2 values per record .*inference_attribute"):
        merged_bias_table(source, _config(), MergedAttributes(features="features"))
    with pytest.raises(DatasetError, match="inference_attribute 'label' names no value of the captured "
                                           "endpointOutput; its values are: predicted_label, score"):
        merged_bias_table(source, _config(), MergedAttributes(features="features", inference="label"))


def test_captures_without_ground_truth_are_refused(tmp_path):
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "capture.jsonl").write_text("\n".join(_captures(20, 0)) + "\n")
    with pytest.raises(DatasetError, match="carry no groundTruthData"):
        merged_bias_table(folder, _config(), MergedAttributes())


def test_skipped_records_are_counted_by_reason(tmp_path):
    source = _merged(tmp_path / "m", n=60)
    merged = next(source.rglob("*.jsonl"))
    lines = merged.read_text().splitlines()
    wrong = json.loads(lines[0])
    wrong["captureData"]["endpointInput"]["data"] = "1,2"
    merged.write_text("\n".join([json.dumps(wrong), "not json", *lines[1:]]) + "\n")
    report = run_merged_bias_analysis(_config(), source, MergedAttributes(probability_threshold=0.5),
                                      start_time=START, end_time=START + timedelta(seconds=50))
    assert report.skips == {"wrong_width": 1, "bad_json": 1, "outside_window": 10}
    assert report.rows == 49


def _job(root: Path, source: Path, **settings) -> dict[str, str]:
    config = root / "processing" / "input" / "config"
    config.mkdir(parents=True)
    (config / "analysis_config.json").write_text(json.dumps(CONFIG))
    (root / "merge_report.json").write_text(json.dumps({"counts": {"captures": 300, "merged": 300}}))
    # the job's own settings reach it through processingjobconfig.json, as in a processing job
    (root / "config").mkdir()
    (root / "config" / "processingjobconfig.json").write_text(json.dumps({"Environment": {
        "sagewatch_merge_report": "/opt/ml/merge_report.json"}}))
    return {"SAGEWATCH_OPT_ML": str(root), "analysis_type": "MODEL_BIAS", "dataset_format": MERGE_FORMAT,
            "dataset_source": str(source), "output_path": "/opt/ml/processing/output",
            "probability_threshold_attribute": "0.5", "sagemaker_endpoint_name": "ep",
            "sagemaker_monitoring_schedule_name": "s", "start_time": "2024-05-01T10:00:00Z",
            "end_time": "2024-05-01T11:00:00Z", **settings}


def test_a_bias_execution_on_merged_captures_reports_drift_and_metric_lines(tmp_path):
    baseline_root = tmp_path / "base"
    assert entry.main(_job(baseline_root, _merged(tmp_path / "b", bias=0))) == 0
    baseline = baseline_root / "processing" / "output" / "analysis.json"
    run = tmp_path / "run"
    settings = _job(run, _merged(tmp_path / "r", bias=6), baseline_constraints=str(baseline),
                    publish_cloudwatch_metrics="Enabled")
    assert entry.main(settings) == 0
    message = (run / "output" / "message").read_text()
    assert message.startswith("CompletedWithViolations: Job completed successfully with ")
    violations = json.loads((run / "processing" / "output" / "constraint_violations.json").read_text())
    assert {v["metric_name"] for v in violations["violations"]} >= {"DPPL", "DI"}
    assert {v["constraint_check_type"] for v in violations["violations"]} == {"bias_drift_check"}
    lines = [json.loads(line) for path in (run / "output" / "metrics" / "cloudwatch").glob("*")
             for line in path.read_text().splitlines()]
    dppl = next(line for line in lines if line["MetricName"] == "bias_metric_DPPL")
    assert dppl["Dimensions"][:2] == [{"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule", "Value": "s"}]
    assert dppl["Timestamp"] == "2024-05-01T10:00:00Z"

    report = json.loads((run / "processing" / "output" / "sagewatch_report.json").read_text())
    assert (report["rows_evaluated"], report["merge"]) == (300, {"captures": 300, "merged": 300})

    same = tmp_path / "same"
    assert entry.main(_job(same, _merged(tmp_path / "s", bias=0), baseline_constraints=str(baseline))) == 0
    assert (same / "output" / "message").read_text() == "Completed: Job completed successfully with no violations."
