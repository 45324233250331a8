"""``python -m sagewatch.job`` as a subprocess on temporary folders: baseline, then monitor."""

import json
import shutil

from sw_jobhelpers import CSV_FORMAT, run_job_process


def _place(opt_ml, source, relative):
    target = opt_ml / relative
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        shutil.copy(item, target / item.name)
    return "/opt/ml/" + relative


def test_baseline_then_monitor_writes_files_message_and_metrics(tmp_path, churn_files):
    opt_ml = tmp_path / "opt-ml"
    source = _place(opt_ml, churn_files / "baseline", "processing/input/baseline_dataset_input")
    # the settings arrive in processingjobconfig.json, as SageMaker writes them
    done = run_job_process(opt_ml, {}, config={"Environment": {
        "dataset_format": CSV_FORMAT, "dataset_source": source, "output_path": "/opt/ml/processing/output",
        "publish_cloudwatch_metrics": "Disabled"}})
    assert done.returncode == 0, done.stderr
    out = opt_ml / "processing" / "output"
    assert sorted(p.name for p in out.iterdir()) == ["constraints.json", "sagewatch_report.json", "statistics.json"]
    assert (opt_ml / "output" / "message").read_text() == "Completed: Job completed successfully with no violations."
    stats = json.loads((out / "statistics.json").read_text())
    assert stats["dataset"]["item_count"] == 6000 and stats["features"][0]["name"] == "churn"

    baseline = opt_ml / "processing" / "baseline"
    (baseline / "stats").mkdir(parents=True)
    (baseline / "constraints").mkdir(parents=True)
    shutil.copy(out / "statistics.json", baseline / "stats" / "statistics.json")
    shutil.copy(out / "constraints.json", baseline / "constraints" / "constraints.json")
    shutil.copy(out / "sagewatch_report.json", baseline / "stats" / "sagewatch_report.json")
    shutil.rmtree(out)
    (opt_ml / "output" / "message").unlink()
    current = _place(opt_ml, churn_files / "drifted", "processing/input/endpoint")
    done = run_job_process(opt_ml, {
        "dataset_format": CSV_FORMAT, "dataset_source": current, "output_path": "/opt/ml/processing/output",
        "baseline_statistics": "/opt/ml/processing/baseline/stats/statistics.json",
        "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json",
        "publish_cloudwatch_metrics": "Enabled", "sagemaker_endpoint_name": "churn-ep",
        "sagemaker_monitoring_schedule_name": "churn-hourly", "start_time": "2024-05-01T10:00:00Z",
        "end_time": "2024-05-01T11:00:00Z", "metric_time": "2024-05-01T10:00:00Z"})
    assert done.returncode == 0, done.stderr
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
    found = {(v["feature_name"], v["constraint_check_type"]) for v in violations}
    assert {("monthly_charges", "baseline_drift_check"), ("payment_method", "categorical_values_check"),
            ("support_calls", "data_type_check"), ("data_gb", "completeness_check"),
            ("plan", "baseline_drift_check")} <= found
    assert ("age", "baseline_drift_check") not in found
    message = (opt_ml / "output" / "message").read_text()
    assert message == f"CompletedWithViolations: Job completed successfully with {len(violations)} violations."
    metrics = [json.loads(line) for line in
               (opt_ml / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl").read_text().splitlines()]
    drift = {m["MetricName"]: m for m in metrics if m["MetricName"].startswith("feature_baseline_drift_")}
    assert drift["feature_baseline_drift_monthly_charges"]["Value"] > 0.3
    assert drift["feature_baseline_drift_age"]["Value"] < 0.1
    assert all(m["Timestamp"] == "2024-05-01T10:00:00Z" for m in metrics)
    assert metrics[0]["Dimensions"] == [{"Name": "Endpoint", "Value": "churn-ep"},
                                        {"Name": "MonitoringSchedule", "Value": "churn-hourly"}]
    extra = json.loads((out / "sagewatch_report.json").read_text())
    assert extra["multivariate"]["mmd"]["drifted"] is True
    names = {f["name"]: f for f in extra["features"]}
    assert {m["name"] for m in names["monthly_charges"]["measures"]} >= {"linf", "ks", "psi", "js", "wasserstein"}


def test_monitoring_unchanged_data_has_no_drift(tmp_path, churn_files):
    opt_ml = tmp_path / "opt-ml"
    base = _place(opt_ml, churn_files / "baseline", "processing/input/baseline_dataset_input")
    done = run_job_process(opt_ml, {"dataset_format": CSV_FORMAT, "dataset_source": base,
                                    "output_path": "/opt/ml/processing/baseline"})
    assert done.returncode == 0, done.stderr
    current = _place(opt_ml, churn_files / "same", "processing/input/endpoint")
    done = run_job_process(opt_ml, {
        "dataset_format": CSV_FORMAT, "dataset_source": current, "output_path": "/opt/ml/processing/output",
        "baseline_statistics": "/opt/ml/processing/baseline/statistics.json",
        "baseline_constraints": "/opt/ml/processing/baseline/constraints.json"})
    assert done.returncode == 0, done.stderr
    violations = json.loads((opt_ml / "processing/output/constraint_violations.json").read_text())["violations"]
    assert not [v for v in violations if v["constraint_check_type"] == "baseline_drift_check"], violations


def test_failure_exits_255_with_message_and_no_report(tmp_path, churn_files):
    opt_ml = tmp_path / "opt-ml"
    current = _place(opt_ml, churn_files / "drifted", "processing/input/endpoint")
    done = run_job_process(opt_ml, {
        "dataset_format": CSV_FORMAT, "dataset_source": current, "output_path": "/opt/ml/processing/output",
        "baseline_constraints": "/opt/ml/processing/baseline/constraints/constraints.json"})
    assert done.returncode == 255
    message = (opt_ml / "output" / "message").read_text()
    assert "baseline constraints file not found" in message
    assert not (opt_ml / "processing" / "output" / "constraint_violations.json").exists()


def test_unknown_dataset_format_fails_clearly(tmp_path, churn_files):
    opt_ml = tmp_path / "opt-ml"
    current = _place(opt_ml, churn_files / "drifted", "processing/input/endpoint")
    done = run_job_process(opt_ml, {"dataset_format": '{"avro": {}}', "dataset_source": current,
                                    "output_path": "/opt/ml/processing/output"})
    assert done.returncode == 255
    message = (opt_ml / "output" / "message").read_text()
    assert "avro" in message and "csv" in message


def test_bad_environment_values_fail_clearly(tmp_path, churn_files):
    opt_ml = tmp_path / "opt-ml"
    current = _place(opt_ml, churn_files / "drifted", "processing/input/endpoint")
    for env, expected in [
        ({"dataset_format": "{csv", "dataset_source": current, "output_path": "/opt/ml/o"}, "not valid JSON"),
        ({"dataset_format": CSV_FORMAT, "output_path": "/opt/ml/o"}, "dataset_source is not set"),
        ({"dataset_format": CSV_FORMAT, "dataset_source": current, "output_path": "/opt/ml/o",
          "start_time": "yesterday"}, "start_time must look like"),
        ({"dataset_format": CSV_FORMAT, "dataset_source": "/opt/ml/nowhere", "output_path": "/opt/ml/o"},
         "does not exist"),
    ]:
        message_file = opt_ml / "output" / "message"
        message_file.unlink(missing_ok=True)
        done = run_job_process(opt_ml, env)
        assert done.returncode == 255, env
        assert expected in message_file.read_text(), (env, message_file.read_text())


def test_post_analytics_script_runs_and_failing_script_fails_job(tmp_path, churn_files):
    opt_ml = tmp_path / "opt-ml"
    base = _place(opt_ml, churn_files / "baseline", "processing/input/baseline_dataset_input")
    marker = tmp_path / "post-ran"
    script = tmp_path / "post.py"
    script.write_text("import os\n\ndef postprocess_handler():\n"
                      f"    open({str(marker)!r}, 'w').write(os.environ.get('my_setting', ''))\n")
    done = run_job_process(opt_ml, {"dataset_format": CSV_FORMAT, "dataset_source": base,
                                    "output_path": "/opt/ml/processing/output",
                                    "post_analytics_processor_script": str(script)},
                           config={"Environment": {"my_setting": "exported"}})
    assert done.returncode == 0, done.stderr
    assert marker.read_text() == "exported"
    script.write_text("def postprocess_handler():\n    raise RuntimeError('boom')\n")
    (opt_ml / "output" / "message").unlink()
    done = run_job_process(opt_ml, {"dataset_format": CSV_FORMAT, "dataset_source": base,
                                    "output_path": "/opt/ml/processing/output2",
                                    "post_analytics_processor_script": str(script)})
    assert done.returncode == 255
    assert "boom" in (opt_ml / "output" / "message").read_text()
