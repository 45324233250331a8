"""run_job in process: what is checked before the work, what is written, and what stays after a failure."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sagewatch.errors import DatasetError, JobError
from sagewatch.job.run import EXTRA_REPORT_FILE, JobOutcome, completed_message, run_job
from sagewatch.job.spec import parse_job_spec
from sagewatch.profile.dataset import DatasetProfile

CSV = '{"csv": {"header": true}}'
BASELINE_FILES = ["constraints.json", EXTRA_REPORT_FILE, "statistics.json"]
MONITOR_FILES = ["constraint_violations.json", "constraints.json", EXTRA_REPORT_FILE, "statistics.json"]


def _write_csv(folder: Path, rows: list[tuple[int, str]], name: str = "data.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("n,city\n" + "".join(f"{n},{c}\n" for n, c in rows), encoding="utf-8")
    return folder


BASE_ROWS = [(i, "Oslo" if i % 2 else "Lima") for i in range(40)]


def _spec(tmp_path, **settings):
    env = {"SAGEWATCH_OPT_ML": str(tmp_path / "opt"), "dataset_format": CSV,
           "dataset_source": str(tmp_path / "in"), "output_path": str(tmp_path / "out"), **settings}
    return parse_job_spec(env)


@pytest.fixture
def baseline(tmp_path):
    """A baseline made by a baselining job of BASE_ROWS: (statistics path, constraints path)."""
    source = _write_csv(tmp_path / "base-in", BASE_ROWS)
    outcome = run_job(_spec(tmp_path, dataset_source=str(source), output_path=str(tmp_path / "base")))
    assert outcome.violations == 0
    return tmp_path / "base" / "statistics.json", tmp_path / "base" / "constraints.json"


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------------------ results
def test_completed_message_counts_one_violation():
    assert completed_message(1) == "CompletedWithViolations: Job completed successfully with 1 violations."


def test_baselining_writes_statistics_constraints_and_report(tmp_path):
    _write_csv(tmp_path / "in", BASE_ROWS)
    seen = []
    outcome = run_job(_spec(tmp_path), progress=seen.append)
    out = tmp_path / "out"
    assert _listing(out) == BASELINE_FILES
    assert outcome.outputs == tuple(out / n for n in ("statistics.json", "constraints.json", EXTRA_REPORT_FILE))
    assert outcome.message == "Completed: Job completed successfully with no violations."
    assert (outcome.violations, outcome.check, outcome.skips) == (0, None, {})
    assert isinstance(outcome.summary, DatasetProfile) and outcome.summary.item_count == 40
    assert sum(seen) == 40
    stats = json.loads((out / "statistics.json").read_text())
    assert stats["dataset"]["item_count"] == 40 and [f["name"] for f in stats["features"]] == ["n", "city"]
    assert not (tmp_path / "opt" / "output" / "metrics").exists()


def test_monitoring_writes_violations_and_counts_them(tmp_path, baseline):
    statistics, constraints = baseline
    _write_csv(tmp_path / "in", [(i, "Rome") for i in range(40)])
    outcome = run_job(_spec(tmp_path, baseline_statistics=str(statistics), baseline_constraints=str(constraints)))
    assert _listing(tmp_path / "out") == MONITOR_FILES
    violations = json.loads((tmp_path / "out" / "constraint_violations.json").read_text())["violations"]
    assert {(v["feature_name"], v["constraint_check_type"]) for v in violations} == {
        ("city", "categorical_values_check"), ("city", "baseline_drift_check")}
    assert outcome.violations == 2 == len(outcome.check.violations)
    assert outcome.message == completed_message(2)
    assert outcome.summary.columns["city"].n_string == 40
    assert not (tmp_path / "opt" / "output" / "metrics").exists()  # publishing is off by default


def test_monitoring_identical_data_reports_nothing(tmp_path, baseline):
    statistics, constraints = baseline
    _write_csv(tmp_path / "in", BASE_ROWS)
    outcome = run_job(_spec(tmp_path, baseline_statistics=str(statistics), baseline_constraints=str(constraints)))
    assert outcome.violations == 0 and outcome.check.violations == ()
    assert json.loads((tmp_path / "out" / "constraint_violations.json").read_text()) == {"violations": []}


@pytest.mark.parametrize(("settings", "stamp"), [
    ({"metric_time": "2024-05-01T10:30:00Z", "start_time": "2024-05-01T09:00:00Z",
      "end_time": "2024-05-01T11:00:00Z"}, "2024-05-01T10:30:00Z"),
    ({"start_time": "2024-05-01T09:00:00Z", "end_time": "2024-05-01T11:00:00Z"}, "2024-05-01T09:00:00Z"),
    ({"end_time": "2024-05-01T11:00:00Z"}, "2024-05-01T11:00:00Z"),
])
def test_metrics_are_stamped_with_the_first_time_set(tmp_path, baseline, settings, stamp):
    statistics, constraints = baseline
    _write_csv(tmp_path / "in", BASE_ROWS)
    # the capture window filters nothing in a CSV file
    outcome = run_job(_spec(tmp_path, baseline_statistics=str(statistics), baseline_constraints=str(constraints),
                            publish_cloudwatch_metrics="Enabled", **settings))
    metrics_file = tmp_path / "opt" / "output" / "metrics" / "cloudwatch" / "cloudwatch_metrics.jsonl"
    assert outcome.outputs[-1] == metrics_file and len(outcome.outputs) == 5
    lines = [json.loads(line) for line in metrics_file.read_text().splitlines()]
    assert {line["Timestamp"] for line in lines} == {stamp}
    assert [line["MetricName"] for line in lines] == [
        "feature_data_n", "feature_non_null_n", "feature_baseline_drift_n",
        "feature_non_null_city", "feature_baseline_drift_city"]


def test_metrics_without_any_time_are_stamped_with_the_current_hour(tmp_path, baseline):
    statistics, constraints = baseline
    _write_csv(tmp_path / "in", BASE_ROWS)
    before = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    run_job(_spec(tmp_path, baseline_statistics=str(statistics), baseline_constraints=str(constraints),
                  publish_cloudwatch_metrics="Enabled", CLOUDWATCH_METRICS_DIRECTORY=str(tmp_path / "m")))
    after = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    stamps = {json.loads(line)["Timestamp"] for line in (tmp_path / "m" / "cloudwatch_metrics.jsonl").open()}
    assert stamps <= {before.strftime("%Y-%m-%dT%H:%M:%SZ"), after.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert len(stamps) == 1


def test_baselining_writes_no_metrics_even_when_publishing(tmp_path):
    _write_csv(tmp_path / "in", BASE_ROWS)
    outcome = run_job(_spec(tmp_path, publish_cloudwatch_metrics="Enabled",
                            CLOUDWATCH_METRICS_DIRECTORY=str(tmp_path / "m")))
    assert len(outcome.outputs) == 3 and not (tmp_path / "m" / "cloudwatch_metrics.jsonl").exists()


def test_metrics_that_cannot_be_written_withdraw_the_results(tmp_path, baseline):
    statistics, constraints = baseline
    _write_csv(tmp_path / "in", BASE_ROWS)
    (tmp_path / "m" / "cloudwatch_metrics.jsonl").mkdir(parents=True)  # a folder where the file goes
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path, baseline_statistics=str(statistics), baseline_constraints=str(constraints),
                      publish_cloudwatch_metrics="Enabled", CLOUDWATCH_METRICS_DIRECTORY=str(tmp_path / "m")))
    assert str(info.value).startswith(f"cannot write the metrics to {tmp_path / 'm'}: ")
    assert _listing(tmp_path / "out") == []


def test_outcome_is_a_frozen_record():
    outcome = JobOutcome("m", 0, (), None)
    assert (outcome.check, outcome.skips) == (None, {})
    with pytest.raises(AttributeError):
        outcome.message = "x"


# ------------------------------------------------------------------------------ checked before the work
def test_missing_dataset_source_is_an_error(tmp_path):
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path))
    assert str(info.value) == f"dataset_source {tmp_path / 'in'} does not exist"
    assert not (tmp_path / "out").exists()


def test_baseline_is_loaded_before_the_dataset_is_looked_at(tmp_path):
    with pytest.raises(JobError, match="^cannot load the baseline: .*baseline constraints file not found"):
        run_job(_spec(tmp_path, baseline_constraints=str(tmp_path / "nowhere.json")))


def test_unknown_analysis_type_fails_before_anything_else(tmp_path):
    with pytest.raises(JobError, match="^analysis_type 'BIAS' is not supported"):
        run_job(_spec(tmp_path, analysis_type="BIAS", baseline_constraints=str(tmp_path / "nowhere.json")))


@pytest.mark.parametrize("inside", ["", "sub/out"])
def test_output_inside_the_dataset_source_is_refused(tmp_path, inside):
    source = _write_csv(tmp_path / "in", BASE_ROWS)
    output = source / inside if inside else source
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path, output_path=str(output)))
    assert str(info.value) == (f"output_path {output} is inside dataset_source {source}: the next run would read "
                               "this run's result files as data; write the results elsewhere")
    assert _listing(source) == ["data.csv"]


def test_output_beside_a_single_file_source_is_accepted(tmp_path):
    source = _write_csv(tmp_path / "in", BASE_ROWS) / "data.csv"
    run_job(_spec(tmp_path, dataset_source=str(source), output_path=str(tmp_path / "in" / "results")))
    assert _listing(tmp_path / "in" / "results") == BASELINE_FILES


def test_output_path_that_is_a_file_fails_before_profiling(tmp_path):
    _write_csv(tmp_path / "in", BASE_ROWS)
    (tmp_path / "out").write_text("x")
    seen = []
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path), progress=seen.append)
    assert str(info.value) == f"output_path {tmp_path / 'out'} is a file; it must be a folder for the result files"
    assert seen == []


def test_output_path_under_a_file_cannot_be_created(tmp_path):
    _write_csv(tmp_path / "in", BASE_ROWS)
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path, output_path=str(tmp_path / "blocker" / "out")))
    assert str(info.value) == f"cannot create output_path {tmp_path / 'blocker' / 'out'}: Not a directory"


def test_missing_output_folder_is_created_before_the_work(tmp_path):
    _write_csv(tmp_path / "in", BASE_ROWS)
    run_job(_spec(tmp_path, output_path=str(tmp_path / "a" / "b" / "c")))
    assert _listing(tmp_path / "a" / "b" / "c") == BASELINE_FILES


def test_metrics_folder_that_is_a_file_fails_only_when_publishing(tmp_path, baseline):
    statistics, constraints = baseline
    _write_csv(tmp_path / "in", BASE_ROWS)
    (tmp_path / "m").write_text("x")
    settings = dict(baseline_statistics=str(statistics), baseline_constraints=str(constraints),
                    CLOUDWATCH_METRICS_DIRECTORY=str(tmp_path / "m"))
    run_job(_spec(tmp_path, **settings))  # not publishing: the folder is not used
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path, output_path=str(tmp_path / "out2"), publish_cloudwatch_metrics="Enabled",
                      **settings))
    assert str(info.value) == (f"CLOUDWATCH_METRICS_DIRECTORY {tmp_path / 'm'} is a file; it must be a folder for "
                               "the result files")
    assert not (tmp_path / "out2" / "statistics.json").exists()


def test_metrics_folder_is_created_before_the_work_when_publishing(tmp_path, baseline):
    statistics, constraints = baseline
    _write_csv(tmp_path / "in", [])  # a header and no rows: the job fails after the checks
    with pytest.raises(DatasetError, match="^no records could be read from "):
        run_job(_spec(tmp_path, baseline_statistics=str(statistics), baseline_constraints=str(constraints),
                      publish_cloudwatch_metrics="Enabled", CLOUDWATCH_METRICS_DIRECTORY=str(tmp_path / "m")))
    assert (tmp_path / "m").is_dir()


# ------------------------------------------------------------------------------ post-analytics script
def _post(tmp_path, body: str) -> Path:
    script = tmp_path / "post.py"
    script.write_text(body, encoding="utf-8")
    return script


def test_post_analytics_handler_runs_after_the_results_exist(tmp_path):
    _write_csv(tmp_path / "in", BASE_ROWS)
    marker = tmp_path / "seen.txt"
    script = _post(tmp_path, "import os\ndef postprocess_handler():\n"
                             f"    open({str(marker)!r}, 'w').write(','.join(sorted(os.listdir({str(tmp_path / 'out')!r}))))\n")
    outcome = run_job(_spec(tmp_path, post_analytics_processor_script=str(script)))
    assert marker.read_text() == ",".join(BASELINE_FILES)
    assert outcome.violations == 0


@pytest.mark.parametrize(("body", "message"), [
    (None, "post-analytics processor script not found: post.py"),
    ("raise ValueError('bad import')\n", "post-analytics processor script post.py failed to import: ValueError: "
                                         "bad import"),
    ("import sys\nsys.exit(4)\n", "post-analytics processor script post.py failed to import: it called sys.exit(4)"),
    ("x = 1\n", "post-analytics processor script post.py defines no function postprocess_handler()"),
    ("postprocess_handler = 3\n", "post-analytics processor script post.py defines no function postprocess_handler()"),
])
def test_post_analytics_script_that_cannot_run_fails_before_the_work(tmp_path, body, message):
    _write_csv(tmp_path / "in", BASE_ROWS)
    script = _post(tmp_path, body) if body is not None else tmp_path / "post.py"
    seen = []
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path, post_analytics_processor_script=str(script)), progress=seen.append)
    assert str(info.value) == message
    assert seen == [] and _listing(tmp_path / "out") == []


def test_post_analytics_script_that_is_a_folder_is_not_found(tmp_path):
    _write_csv(tmp_path / "in", BASE_ROWS)
    (tmp_path / "post.py").mkdir()
    with pytest.raises(JobError, match="^post-analytics processor script not found: post.py$"):
        run_job(_spec(tmp_path, post_analytics_processor_script=str(tmp_path / "post.py")))


@pytest.mark.parametrize(("raise_", "reason"), [("RuntimeError('boom')", "RuntimeError: boom"),
                                                ("SystemExit(2)", "it called sys.exit(2)")])
def test_failing_post_analytics_handler_withdraws_the_results(tmp_path, raise_, reason):
    _write_csv(tmp_path / "in", BASE_ROWS)
    script = _post(tmp_path, f"def postprocess_handler():\n    raise {raise_}\n")
    with pytest.raises(JobError) as info:
        run_job(_spec(tmp_path, post_analytics_processor_script=str(script)))
    assert str(info.value) == ("There is an exception raised in post-analytics processor script. "
                               f"Please double check the script. {reason}")
    assert _listing(tmp_path / "out") == []


def test_failing_post_analytics_handler_withdraws_the_metrics_too(tmp_path, baseline):
    statistics, constraints = baseline
    _write_csv(tmp_path / "in", BASE_ROWS)
    script = _post(tmp_path, "def postprocess_handler():\n    raise RuntimeError('boom')\n")
    with pytest.raises(JobError):
        run_job(_spec(tmp_path, baseline_statistics=str(statistics), baseline_constraints=str(constraints),
                      publish_cloudwatch_metrics="Enabled", CLOUDWATCH_METRICS_DIRECTORY=str(tmp_path / "m"),
                      post_analytics_processor_script=str(script)))
    assert _listing(tmp_path / "out") == [] and _listing(tmp_path / "m") == []


def test_interrupted_post_analytics_handler_withdraws_the_results_and_is_not_swallowed(tmp_path):
    _write_csv(tmp_path / "in", BASE_ROWS)
    script = _post(tmp_path, "def postprocess_handler():\n    raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        run_job(_spec(tmp_path, post_analytics_processor_script=str(script)))
    assert _listing(tmp_path / "out") == []


def test_interrupt_while_importing_the_script_is_not_swallowed(tmp_path):
    _write_csv(tmp_path / "in", BASE_ROWS)
    script = _post(tmp_path, "raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        run_job(_spec(tmp_path, post_analytics_processor_script=str(script)))


def test_results_leave_no_staging_folder_behind(tmp_path):
    _write_csv(tmp_path / "in", BASE_ROWS)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    run_job(_spec(tmp_path))
    assert _listing(tmp_path / "out") == sorted(BASELINE_FILES + ["keep.txt"])
