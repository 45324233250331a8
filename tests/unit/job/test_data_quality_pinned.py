"""The data-quality job's inputs and outputs that only show in what it writes: windows, pre-processors, the
drift report and its baseline sample, UTF-8 files, and the results a failed write leaves behind."""

from __future__ import annotations

import json
import locale
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sagewatch.capture.keys import capture_object_key
from sagewatch.capture.records import make_capture_record, serialize_capture_record
from sagewatch.errors import DatasetError, JobError
from sagewatch.job import __main__ as entry
from sagewatch.job import run as run_module
from sagewatch.job.analyses import Analysed, Checked
from sagewatch.job.analyses.data_quality import DataQuality
from sagewatch.job.process import configure_process
from sagewatch.job.run import run_job
from sagewatch.job.spec import JobSpec, OptMlPaths, parse_job_spec, parse_time
from sagewatch.profile.dataset import profile_table
from sagewatch.schemas.constraints import Constraints, MonitoringConfig

CSV = '{"csv": {"header": true}}'
HOUR = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)


def _csv(folder: Path, rows: int, *, header=True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"{i},{(i * 7) % 13},{'ab'[i % 2]}\n" for i in range(rows)]
    (folder / "d.csv").write_text(("x,y,c\n" if header else "") + "".join(lines))
    return folder


def _spec(tmp_path, **settings):
    env = {"SAGEWATCH_OPT_ML": str(tmp_path / "opt"), "dataset_format": CSV,
           "dataset_source": str(tmp_path / "in"), "output_path": str(tmp_path / "out"), **settings}
    return parse_job_spec(env)


@pytest.fixture
def baseline(tmp_path):
    _csv(tmp_path / "base-in", 60)
    run_job(_spec(tmp_path, dataset_source=str(tmp_path / "base-in"), output_path=str(tmp_path / "base")))
    return {"baseline_statistics": str(tmp_path / "base" / "statistics.json"),
            "baseline_constraints": str(tmp_path / "base" / "constraints.json")}


def _report(tmp_path) -> dict:
    return json.loads((tmp_path / "out" / "sagewatch_report.json").read_text())


# ------------------------------------------------------------------------------ the drift report
def test_monitoring_report_uses_the_baseline_sample_statistics_and_check(tmp_path, baseline):
    _csv(tmp_path / "in", 60)
    run_job(_spec(tmp_path, **baseline))
    text = (tmp_path / "out" / "sagewatch_report.json").read_text()
    assert text.startswith('{\n  "version": "1.0",\n  "generator": ')
    report = json.loads(text)
    assert report["violations"] == 0 and set(report["baseline_drift"]) == {"x", "y", "c"}
    assert {f["name"] for f in report["features"]} == {"x", "y", "c"}
    assert report["multivariate"]["features"] == ["x", "y"] and report["multivariate"]["mmd"]["drifted"] is False


def test_baselining_report_has_no_drift_blocks(tmp_path):
    _csv(tmp_path / "in", 20)
    run_job(_spec(tmp_path))
    report = _report(tmp_path)
    assert "baseline_drift" not in report and "features" not in report and "multivariate" not in report
    assert report["dataset"] == {"item_count": 20, "skipped_records": {}, "skipped_total": 0}


def test_records_skipped_are_reported_in_the_outcome_and_the_report(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "d.jsonl").write_text('{"x": 1}\n[1]\n{"x": 2}\n')
    outcome = run_job(_spec(tmp_path, dataset_format='{"json": {"lines": true}}'))
    assert outcome.skips == {"not_a_record": 1}
    assert _report(tmp_path)["dataset"]["skipped_records"] == {"not_a_record": 1}


def test_headerless_data_is_summarised_under_the_baseline_names(tmp_path, baseline):
    _csv(tmp_path / "in", 60, header=False)
    outcome = run_job(_spec(tmp_path, dataset_format='{"csv": {"header": false}}', **baseline))
    assert list(outcome.summary.columns) == ["x", "y", "c"] and outcome.violations == 0


def test_data_quality_metrics_follow_the_baseline_and_job_settings(tmp_path):
    profile = profile_table(pa.table({"x": [1, 2]}))
    checked = Checked({}, 0, None, profile)
    constraints_off = type("B", (), {"constraints": Constraints((), MonitoringConfig(emit_metrics=False))})()
    spec = JobSpec(tmp_path, tmp_path, {}, OptMlPaths(tmp_path), endpoint_name="ep", schedule_name="s")
    assert DataQuality().metrics(Analysed(profile), checked, constraints_off, spec, timestamp=HOUR) == []
    baseline_on = type("B", (), {"constraints": None})()
    lines = DataQuality().metrics(Analysed(profile), checked, baseline_on, spec, timestamp=HOUR)
    assert lines[0]["Dimensions"] == [{"Name": "Endpoint", "Value": "ep"}, {"Name": "MonitoringSchedule", "Value": "s"}]


# ------------------------------------------------------------------------------ what is read
def _captures(root: Path, count: int) -> None:
    lines = []
    for i in range(count):
        record = make_capture_record(event_id=str(uuid.UUID(int=i)), inference_time=HOUR + timedelta(minutes=i),
                                     input_data=f"{i},{i % 3}", output_data="0.5", inference_id=f"i{i}")
        lines.append(serialize_capture_record(record) + "\n")
    key = capture_object_key("capture", "ep", "AllTraffic", HOUR, "f")
    (root / key).parent.mkdir(parents=True, exist_ok=True)
    (root / key).write_text("".join(lines))


@pytest.mark.parametrize(("start", "end", "rows"), [
    (None, None, 60), ("2024-05-01T10:10:00Z", None, 50), (None, "2024-05-01T10:20:00Z", 20),
    ("2024-05-01T10:10:00Z", "2024-05-01T10:20:00Z", 10)])
def test_capture_window_limits_the_records_read(tmp_path, start, end, rows):
    _captures(tmp_path / "in", 60)
    settings = {k: v for k, v in (("start_time", start), ("end_time", end)) if v}
    analysed = DataQuality().analyse(_spec(tmp_path, dataset_format='{"sagemakerCaptureJson": {}}', **settings))
    assert analysed.summary.item_count == rows


def _dropping_script(tmp_path) -> Path:
    script = tmp_path / "pre.py"
    script.write_text("def preprocess_handler(inference_record):\n"
                      "    return [] if int(inference_record) % 2 else {'x': inference_record}\n")
    return script


def test_record_preprocessor_is_applied(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "d.csv").write_text("x\n" + "".join(f"{i}\n" for i in range(10)))
    analysed = DataQuality().analyse(_spec(tmp_path, record_preprocessor_script=str(_dropping_script(tmp_path))))
    assert analysed.summary.item_count == 5 and analysed.skips["preprocessor_dropped"] == 5


def test_record_preprocessor_is_refused_for_parquet(tmp_path):
    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"x": list(range(10))}), tmp_path / "in" / "d.parquet")
    with pytest.raises(DatasetError, match="^a preprocessor script is allowed only with the csv, json"):
        DataQuality().analyse(_spec(tmp_path, dataset_format='{"parquet": {}}',
                                    record_preprocessor_script=str(_dropping_script(tmp_path))))


def test_one_record_is_enough(tmp_path):
    _csv(tmp_path / "in", 1)
    assert DataQuality().analyse(_spec(tmp_path)).summary.item_count == 1


def test_parquet_without_rows_is_an_error_naming_the_folder(tmp_path):
    (tmp_path / "in").mkdir()
    pq.write_table(pa.table({"x": pa.array([], type=pa.int64())}), tmp_path / "in" / "d.parquet")
    with pytest.raises(JobError) as info:
        DataQuality().analyse(_spec(tmp_path, dataset_format='{"parquet": {}}'))
    assert str(info.value) == "no records to analyse in in"


# ------------------------------------------------------------------------------ files written as UTF-8
@pytest.fixture
def ascii_locale():
    saved = locale.setlocale(locale.LC_CTYPE)
    try:
        locale.setlocale(locale.LC_CTYPE, "C")
    except locale.Error:
        pytest.skip("no C locale")
    yield
    locale.setlocale(locale.LC_CTYPE, saved)


def test_results_and_metrics_are_utf8_whatever_the_locale(tmp_path, ascii_locale):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "d.csv").write_text("städt,n\nZürich,1\nOslo,2\n", encoding="utf-8")
    run_job(_spec(tmp_path))
    assert '"städt"' in (tmp_path / "out" / "statistics.json").read_text(encoding="utf-8")
    baseline = {"baseline_statistics": str(tmp_path / "out" / "statistics.json"),
                "baseline_constraints": str(tmp_path / "out" / "constraints.json")}
    run_job(_spec(tmp_path, output_path=str(tmp_path / "mon"), publish_cloudwatch_metrics="Enabled",
                  CLOUDWATCH_METRICS_DIRECTORY=str(tmp_path / "m"), end_time="2024-05-01T10:00:00Z", **baseline))
    assert "feature_non_null_städt" in (tmp_path / "m" / "cloudwatch_metrics.jsonl").read_text(encoding="utf-8")


def test_message_file_is_utf8_whatever_the_locale(tmp_path, ascii_locale):
    env = {"SAGEWATCH_OPT_ML": str(tmp_path), "dataset_format": CSV, "dataset_source": "/opt/ml/dätä",
           "output_path": "/opt/ml/out"}
    assert entry.main(env) == 255
    assert (tmp_path / "output" / "message").read_text(encoding="utf-8") == \
        f"ClientError: dataset_source {tmp_path / 'dätä'} does not exist"


# ------------------------------------------------------------------------------ the message file
def test_success_message_replaces_one_written_by_the_post_analytics_script(tmp_path):
    _csv(tmp_path / "in", 5)
    message = tmp_path / "output" / "message"
    script = tmp_path / "post.py"
    script.write_text(f"def postprocess_handler():\n    open({str(message)!r}, 'w').write('script')\n")
    env = {"SAGEWATCH_OPT_ML": str(tmp_path), "dataset_format": CSV, "dataset_source": "/opt/ml/in",
           "output_path": "/opt/ml/out", "post_analytics_processor_script": str(script)}
    message.parent.mkdir()
    assert entry.main(env) == 0
    assert message.read_text() == "Completed: Job completed successfully with no violations."


def test_algorithm_error_keeps_a_message_written_during_the_run(tmp_path, monkeypatch):
    def write_then_fail(spec):
        spec.paths.message_file.write_text("written by the run")
        raise RuntimeError("late")
    monkeypatch.setattr(entry, "run_job", write_then_fail)
    (tmp_path / "output").mkdir()
    _csv(tmp_path / "in", 5)
    env = {"SAGEWATCH_OPT_ML": str(tmp_path), "dataset_format": CSV, "dataset_source": "/opt/ml/in",
           "output_path": "/opt/ml/out"}
    assert entry.main(env) == 255
    assert (tmp_path / "output" / "message").read_text() == "written by the run"


# ------------------------------------------------------------------------------ failed writes
def test_results_that_cannot_be_moved_in_are_a_job_error(tmp_path):
    _csv(tmp_path / "in", 5)
    (tmp_path / "out" / "statistics.json").mkdir(parents=True)
    (tmp_path / "out" / "statistics.json" / "x").write_text("a folder in the way")
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path))
    assert str(info.value) == f"cannot write the results to output_path {tmp_path / 'out'}: Is a directory"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["statistics.json"]


def test_staging_folder_that_cannot_be_made_is_a_job_error(tmp_path, monkeypatch):
    _csv(tmp_path / "in", 5)
    fixed = uuid.UUID(int=7)
    monkeypatch.setattr(run_module.uuid, "uuid4", lambda: fixed)
    (tmp_path / "out" / f".sagewatch-staging-{fixed.hex}").mkdir(parents=True)
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path))
    assert str(info.value) == f"cannot write the results to output_path {tmp_path / 'out'}: File exists"


def test_metrics_that_cannot_be_written_give_the_system_reason(tmp_path, baseline):
    _csv(tmp_path / "in", 10)
    (tmp_path / "m" / "cloudwatch_metrics.jsonl").mkdir(parents=True)
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path, publish_cloudwatch_metrics="Enabled", CLOUDWATCH_METRICS_DIRECTORY=str(tmp_path / "m"),
                      end_time="2024-05-01T10:00:00Z", **baseline))
    assert str(info.value) == f"cannot write the metrics to {tmp_path / 'm'}: Is a directory"


def test_post_analytics_script_that_python_cannot_import_is_named(tmp_path):
    _csv(tmp_path / "in", 5)
    script = tmp_path / "post.txt"
    script.write_text("def postprocess_handler():\n    pass\n")
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path, post_analytics_processor_script=str(script)))
    assert str(info.value) == "cannot import post-analytics processor script post.txt"


# ------------------------------------------------------------------------------ times and paths
@pytest.fixture
def india_time(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_are_utc_whatever_the_local_zone(india_time):
    parsed = parse_time("2024-05-01T10:00:00", "start_time")
    assert parsed == HOUR and parsed.utcoffset() == timedelta(0) and parsed.tzinfo is timezone.utc
    assert parse_time("2024-05-01T12:00:00+02:00", "end_time").tzinfo is timezone.utc


def test_metrics_stamp_without_any_time_is_the_current_utc_hour(tmp_path, baseline, india_time):
    _csv(tmp_path / "in", 10)
    before = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:00:00Z")
    run_job(_spec(tmp_path, publish_cloudwatch_metrics="Enabled", CLOUDWATCH_METRICS_DIRECTORY=str(tmp_path / "m"),
                  **baseline))
    after = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:00:00Z")
    stamps = {json.loads(line)["Timestamp"] for line in (tmp_path / "m" / "cloudwatch_metrics.jsonl").open()}
    assert len(stamps) == 1 and stamps <= {before, after}


def test_relocation_keeps_the_first_letter_of_a_folder():
    assert OptMlPaths(Path("/r")).relocate("/opt/ml/XRay/data") == Path("/r/XRay/data")


# ------------------------------------------------------------------------------ the process
def test_system_allocator_is_used_when_jemalloc_is_missing(monkeypatch):
    def missing():
        raise pa.ArrowNotImplementedError("no jemalloc")
    monkeypatch.setattr(pa, "jemalloc_memory_pool", missing)
    try:
        configure_process()
        assert pa.default_memory_pool().backend_name == "system"
    finally:
        monkeypatch.undo()
        configure_process()
