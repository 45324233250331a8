"""The entry point on SageMaker data-capture files: windows, skipped records, pre-processors."""

import json
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np

from sagewatch.capture.keys import capture_object_key
from sagewatch.schemas.capture import make_capture_record, serialize_capture_record
from sw_jobhelpers import CSV_FORMAT, run_job_process

CAPTURE_FORMAT = '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}'
HOUR = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)


def _write_captures(root, rows, *, shift=0.0, bad_lines=()):
    """One capture file per 10 minutes, as the endpoint writes them, with features x0..x2 and a score."""
    rng = np.random.default_rng(len(rows) if not isinstance(rows, int) else rows)
    lines = []
    for i in range(rows):
        x = rng.normal(0, 1, 3) + shift
        when = HOUR + timedelta(seconds=i * 3600 / rows)
        record = make_capture_record(event_id=str(uuid.UUID(int=i)), inference_time=when,
                                     input_data=",".join(f"{v:.4f}" for v in x),
                                     output_data=f"{1 / (1 + np.exp(-x.sum())):.5f}", inference_id=f"inf-{i}")
        lines.append((when, serialize_capture_record(record)))
    for position, text in bad_lines:
        lines.insert(position, (lines[position][0], text))
    for start in range(0, len(lines), max(1, len(lines) // 6)):
        batch = lines[start:start + max(1, len(lines) // 6)]
        key = capture_object_key("capture", "ep", "AllTraffic", batch[0][0], str(uuid.uuid4()))
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(t + "\n" for _, t in batch))


def _baseline(opt_ml, tmp_path):
    data = tmp_path / "train"
    data.mkdir()
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (3000, 3))
    score = 1 / (1 + np.exp(-x.sum(axis=1)))
    rows = ["score,x0,x1,x2"] + [f"{s:.5f},{a:.4f},{b:.4f},{c:.4f}" for s, (a, b, c) in zip(score, x)]
    (data / "train.csv").write_text("\n".join(rows) + "\n")
    done = run_job_process(opt_ml, {"dataset_format": CSV_FORMAT, "dataset_source": str(data),
                                    "output_path": "/opt/ml/processing/baseline"})
    assert done.returncode == 0, done.stderr


def _monitor(opt_ml, **extra):
    env = {"dataset_format": CAPTURE_FORMAT, "dataset_source": "/opt/ml/processing/input/endpoint",
           "output_path": "/opt/ml/processing/output",
           "baseline_statistics": "/opt/ml/processing/baseline/statistics.json",
           "baseline_constraints": "/opt/ml/processing/baseline/constraints.json",
           "start_time": "2024-05-01T10:00:00Z", "end_time": "2024-05-01T11:00:00Z"}
    env.update(extra)
    return run_job_process(opt_ml, env)


def test_capture_monitoring_names_columns_and_counts_bad_records(tmp_path):
    opt_ml = tmp_path / "opt-ml"
    _baseline(opt_ml, tmp_path)
    bad = [(5, "{not json"), (50, json.dumps({"captureData": {"endpointInput": {
        "observedContentType": "text/csv", "mode": "INPUT", "data": "1,2", "encoding": "CSV"}, "endpointOutput": {
        "observedContentType": "text/csv", "mode": "OUTPUT", "data": "0.5", "encoding": "CSV"}},
        "eventMetadata": {"eventId": "w", "inferenceTime": "2024-05-01T10:30:00Z"}, "eventVersion": "0"}))]
    _write_captures(opt_ml / "processing" / "input" / "endpoint", 1200, shift=1.0, bad_lines=bad)
    done = _monitor(opt_ml)
    assert done.returncode == 0, done.stderr
    out = opt_ml / "processing" / "output"
    stats = json.loads((out / "statistics.json").read_text())
    assert [f["name"] for f in stats["features"]] == ["score", "x0", "x1", "x2"]
    assert stats["dataset"]["item_count"] == 1200
    found = {(v["feature_name"], v["constraint_check_type"])
             for v in json.loads((out / "constraint_violations.json").read_text())["violations"]}
    assert {("x0", "baseline_drift_check"), ("x1", "baseline_drift_check"), ("x2", "baseline_drift_check")} <= found
    extra = json.loads((out / "sagewatch_report.json").read_text())
    assert extra["dataset"]["skipped_records"] == {"bad_json": 1, "wrong_width": 1}


def test_capture_window_filters_records_and_empty_window_fails(tmp_path):
    opt_ml = tmp_path / "opt-ml"
    _baseline(opt_ml, tmp_path)
    _write_captures(opt_ml / "processing" / "input" / "endpoint", 600)
    done = _monitor(opt_ml, start_time="2024-05-01T10:00:00Z", end_time="2024-05-01T10:30:00Z")
    assert done.returncode == 0, done.stderr
    stats = json.loads((opt_ml / "processing" / "output" / "statistics.json").read_text())
    assert stats["dataset"]["item_count"] == 300
    done = _monitor(opt_ml, start_time="2024-05-01T12:00:00Z", end_time="2024-05-01T13:00:00Z",
                    output_path="/opt/ml/processing/output-empty")
    assert done.returncode == 255
    message = (opt_ml / "output" / "message").read_text()
    assert "2024-05-01T12:00:00" in message
    assert not (opt_ml / "processing" / "output-empty" / "constraint_violations.json").exists()


def test_preprocessor_drops_records_and_raising_preprocessor_fails(tmp_path):
    opt_ml = tmp_path / "opt-ml"
    _baseline(opt_ml, tmp_path)
    _write_captures(opt_ml / "processing" / "input" / "endpoint", 400)
    script = tmp_path / "pre.py"
    script.write_text(
        "def preprocess_handler(inference_record):\n"
        "    values = inference_record.endpoint_input.data.split(',')\n"
        "    if float(values[0]) < 0:\n"
        "        return []\n"
        "    score = inference_record.endpoint_output.data\n"
        "    return {'score': score, 'x0': values[0], 'x1': values[1], 'x2': values[2]}\n")
    done = _monitor(opt_ml, record_preprocessor_script=str(script))
    assert done.returncode == 0, done.stderr
    out = opt_ml / "processing" / "output"
    extra = json.loads((out / "sagewatch_report.json").read_text())
    dropped = extra["dataset"]["skipped_records"]["preprocessor_dropped"]
    stats = json.loads((out / "statistics.json").read_text())
    assert 120 < dropped < 280 and stats["dataset"]["item_count"] == 400 - dropped
    x0 = next(f for f in stats["features"] if f["name"] == "x0")
    assert x0["numerical_statistics"]["min"] >= 0
    script.write_text("def preprocess_handler(inference_record):\n    raise KeyError('features')\n")
    (opt_ml / "output" / "message").unlink()
    done = _monitor(opt_ml, record_preprocessor_script=str(script), output_path="/opt/ml/processing/o2")
    assert done.returncode == 255
    assert (opt_ml / "output" / "message").read_text().startswith(
        "ClientError: There is an exception raised in preprocessor script. Please double check the preprocessor "
        "script.")
