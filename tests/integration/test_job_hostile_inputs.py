"""Issue 11 §3–§5: one input must never kill, hang or silently mislead a job (subprocess runs, with timeouts)."""

import json
import subprocess
import sys

import pytest

from sw_jobhelpers import CSV_FORMAT, run_job_process

CAPTURE_FORMAT = '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}'


def _record(data, encoding="CSV", content_type="text/csv", time="2024-05-01T10:00:00Z"):
    return json.dumps({"captureData": {"endpointInput": {"observedContentType": content_type, "mode": "INPUT",
                                                         "data": data, "encoding": encoding}},
                       "eventMetadata": {"eventId": "e", "inferenceTime": time}, "eventVersion": "0"})


GOOD = [_record(f"{i},{i % 3}") for i in range(20)]


def _job(tmp_path, lines=None, *, data_file="data.jsonl", fmt=CAPTURE_FORMAT, extra=None, config=None):
    opt_ml = tmp_path / "opt-ml"
    source = opt_ml / "processing" / "input"
    source.mkdir(parents=True, exist_ok=True)
    if lines is not None:
        (source / data_file).write_text("\n".join(lines) + "\n")
    env = {"dataset_format": fmt, "dataset_source": "/opt/ml/processing/input",
           "output_path": "/opt/ml/processing/output", **(extra or {})}
    done = run_job_process(opt_ml, env, config=config, timeout=60)
    message_file = opt_ml / "output" / "message"
    message = message_file.read_text() if message_file.exists() else None
    return done, message, opt_ml / "processing" / "output"


def _skips(out):
    return json.loads((out / "sagewatch_report.json").read_text())["dataset"]["skipped_records"]


@pytest.mark.timeout(120)
def test_capture_file_of_one_null_line_fails_with_message_not_segfault(tmp_path):
    done, message, _ = _job(tmp_path, ["null"])
    assert done.returncode == 255, (done.returncode, done.stderr[-500:])
    assert message.startswith("ClientError: ") and "bad_record" in message


@pytest.mark.timeout(120)
def test_capture_null_line_before_good_records_is_a_counted_skip(tmp_path):
    done, message, out = _job(tmp_path, ["null", *GOOD, "null,", *GOOD])
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert message.startswith("Completed")
    assert _skips(out) == {"bad_json": 1, "bad_record": 1}


@pytest.mark.timeout(120)
def test_capture_json_payload_nested_100000_deep_is_skipped_as_too_deep(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    done, message, out = _job(tmp_path, [*GOOD, _record(deep, "JSON", "application/json")])
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert _skips(out) == {"too_deep": 1}


@pytest.mark.timeout(60)
def test_capture_json_payload_list_nested_2000_deep_finishes_quickly(tmp_path):
    deep = "[" * 2000 + "1" + "]" * 2000
    lines = [_record(json.dumps([i, i % 3]), "JSON", "application/json") for i in range(20)]
    done, message, out = _job(tmp_path, [*lines, _record(deep, "JSON", "application/json")])
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert _skips(out) == {"too_deep": 1}


@pytest.mark.timeout(120)
def test_capture_record_nested_100000_deep_is_a_counted_skip(tmp_path):
    deep = '{"captureData":' + "[" * 100_000 + "]" * 100_000 + "}"
    done, message, out = _job(tmp_path, [deep, *GOOD])
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert sum(_skips(out).values()) == 1


@pytest.mark.timeout(120)
def test_json_lines_file_nested_100000_deep_does_not_crash(tmp_path):
    lines = ['{"a": %d}' % i for i in range(20)] + ['{"a": ' + "[" * 100_000 + "]" * 100_000 + "}"]
    done, message, out = _job(tmp_path, lines, fmt='{"json": {"lines": true}}')
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert sum(_skips(out).values()) == 1


@pytest.mark.timeout(120)
def test_capture_wide_payloads_are_skipped_as_too_wide(tmp_path):
    wide = [_record(",".join(["1"] * 20_000)), _record(json.dumps(list(range(20_000))), "JSON", "application/json")]
    done, message, out = _job(tmp_path, [*GOOD, *wide])
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert _skips(out) == {"too_wide": 2}


@pytest.mark.timeout(120)
def test_capture_inference_time_that_is_not_a_date_is_a_counted_skip(tmp_path):
    bad = [_record("1,2", time=t) for t in ("2024-02-30T10:00:00Z", "2024-05-01T25:00:00Z",
                                              "2024-05-01T10:00:00+25:00", "0000-01-01T00:00:00Z")]
    done, message, out = _job(tmp_path, [*GOOD, *bad])
    assert done.returncode == 0, (done.returncode, done.stderr[-500:])
    assert _skips(out) == {"bad_inference_time": 4}


@pytest.mark.timeout(120)
def test_preprocessor_calling_sys_exit_ends_with_message_and_255(tmp_path):
    script = tmp_path / "pre.py"
    script.write_text("import sys\n\ndef preprocess_handler(record):\n    sys.exit(3)\n")
    done, message, out = _job(tmp_path, GOOD, extra={"record_preprocessor_script": str(script)})
    assert done.returncode == 255, (done.returncode, done.stderr[-500:])
    assert message.startswith("ClientError: There is an exception raised in preprocessor script")
    assert "sys.exit(3)" in message
    assert not out.exists() or not any(out.iterdir())


class _Boom(BaseException):
    pass


@pytest.mark.timeout(120)
def test_preprocessor_raising_a_base_exception_ends_with_message_and_255(tmp_path):
    script = tmp_path / "pre.py"
    script.write_text("class Boom(BaseException):\n    pass\n\ndef preprocess_handler(record):\n    raise Boom('x')\n")
    done, message, _ = _job(tmp_path, GOOD, extra={"record_preprocessor_script": str(script)})
    assert done.returncode == 255, (done.returncode, done.stderr[-500:])
    assert "Boom: x" in message


@pytest.mark.timeout(120)
@pytest.mark.parametrize("value", ["2024-02-30T10:00:00Z", "2024-05-01T25:00:00Z", "2024-05-01T10:00:00+25:00",
                                   "0000-01-01T00:00:00Z"])
@pytest.mark.parametrize("key", ["start_time", "end_time", "metric_time"])
def test_environment_time_that_is_not_a_date_is_a_client_error(tmp_path, key, value):
    done, message, _ = _job(tmp_path, GOOD, extra={key: value})
    assert done.returncode == 255, (done.returncode, done.stderr[-500:])
    assert message.startswith(f"ClientError: {key} '{value}' is not a valid time"), message
    assert "Traceback" not in done.stderr


@pytest.mark.timeout(120)
@pytest.mark.parametrize("content, expected", [
    (b"[]", "processingjobconfig.json must hold a JSON object, got list"),
    (b'{"Environment": {"a": "\xff"}}', "cannot read processingjobconfig.json: not UTF-8 text"),
])
def test_processingjobconfig_that_is_not_an_object_or_not_utf8_is_a_client_error(tmp_path, content, expected):
    config = tmp_path / "opt-ml" / "config" / "processingjobconfig.json"
    config.parent.mkdir(parents=True)
    config.write_bytes(content)
    done, message, _ = _job(tmp_path, GOOD)
    assert done.returncode == 255, (done.returncode, done.stderr[-500:])
    assert message.startswith(f"ClientError: {expected}"), message


@pytest.mark.timeout(120)
def test_output_path_that_is_a_file_fails_before_profiling(tmp_path):
    # the dataset has no usable record: a check made after profiling would report that instead
    (tmp_path / "opt-ml" / "processing").mkdir(parents=True)
    (tmp_path / "opt-ml" / "processing" / "output").write_text("a file")
    done, message, _ = _job(tmp_path, ["not json"])
    assert done.returncode == 255, (done.returncode, done.stderr[-500:])
    assert message.startswith("ClientError: output_path") and "is a file" in message, message


@pytest.mark.timeout(120)
def test_output_path_inside_dataset_source_is_refused(tmp_path):
    done, message, _ = _job(tmp_path, GOOD, extra={"output_path": "/opt/ml/processing/input/results"})
    assert done.returncode == 255, (done.returncode, done.stderr[-500:])
    assert "is inside dataset_source" in message
    assert not (tmp_path / "opt-ml" / "processing" / "input" / "results").exists()


@pytest.mark.timeout(120)
def test_post_analytics_script_missing_fails_before_any_result_is_written(tmp_path):
    done, message, out = _job(tmp_path, GOOD, extra={"post_analytics_processor_script": str(tmp_path / "no.py")})
    assert done.returncode == 255
    assert message == "ClientError: post-analytics processor script not found: no.py"
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.timeout(120)
@pytest.mark.parametrize("script, expected", [
    ("x = 1\n", "defines no function postprocess_handler()"),
    ("import sys\nsys.exit(4)\n", "failed to import: it called sys.exit(4)"),
])
def test_post_analytics_script_that_cannot_run_fails_before_any_result_is_written(tmp_path, script, expected):
    path = tmp_path / "post.py"
    path.write_text(script)
    done, message, out = _job(tmp_path, GOOD, extra={"post_analytics_processor_script": str(path)})
    assert done.returncode == 255
    assert expected in message
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.timeout(120)
@pytest.mark.parametrize("body", ["raise ValueError('nope')", "import sys; sys.exit(2)"])
def test_post_analytics_script_failure_withdraws_the_results(tmp_path, body):
    path = tmp_path / "post.py"
    path.write_text(f"import os\n\ndef postprocess_handler():\n    assert os.listdir('{tmp_path}/opt-ml/processing/output')\n"
                    f"    {body}\n")
    done, message, out = _job(tmp_path, GOOD, extra={"post_analytics_processor_script": str(path)})
    assert done.returncode == 255
    assert message.startswith("ClientError: There is an exception raised in post-analytics processor script")
    assert not any(out.iterdir())


@pytest.mark.timeout(120)
def test_header_csv_with_other_names_than_the_baseline_reports_missing_and_extra_columns(tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "a.csv").write_text("a,b,c\n1,2,3\n4,5,6\n")
    cli = [sys.executable, "-m", "sagewatch"]
    assert subprocess.run([*cli, "baseline", base / "a.csv", "-o", tmp_path / "b", "--no-progress"],
                          capture_output=True, timeout=120).returncode == 0
    lines = ["x,y,z", "1,2,3", "4,5,6"]
    done, message, out = _job(tmp_path, lines, data_file="data.csv", fmt=CSV_FORMAT, extra={
        "baseline_constraints": str(tmp_path / "b" / "constraints.json"),
        "baseline_statistics": str(tmp_path / "b" / "statistics.json")})
    assert done.returncode == 0, done.stderr[-500:]
    violations = json.loads((out / "constraint_violations.json").read_text())["violations"]
    assert [(v["feature_name"], v["constraint_check_type"]) for v in violations] == [
        ("a", "missing_column_check"), ("b", "missing_column_check"), ("c", "missing_column_check"),
        ("x", "extra_column_check"), ("y", "extra_column_check"), ("z", "extra_column_check")]
    assert message == "CompletedWithViolations: Job completed successfully with 6 violations."
