"""The processing-container contract parsed into a JobSpec: every setting, default and error text pinned."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sagewatch.errors import JobError
from sagewatch.job.spec import JobSpec, OptMlPaths, parse_job_spec, parse_time

CSV = '{"csv": {"header": true}}'


def _env(tmp_path, **settings):
    return {"SAGEWATCH_OPT_ML": str(tmp_path), "dataset_format": CSV, "dataset_source": "/opt/ml/in",
            "output_path": "/opt/ml/out", **settings}


def _config(tmp_path, document, *, legacy=False):
    paths = OptMlPaths(tmp_path)
    target = paths.legacy_config_file if legacy else paths.config_file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(document if isinstance(document, str) else json.dumps(document), encoding="utf-8")
    return target


# ------------------------------------------------------------------------------ parse_time
@pytest.mark.parametrize(("text", "expected"), [
    ("2019-12-01T16:20:00Z", datetime(2019, 12, 1, 16, 20, tzinfo=timezone.utc)),
    ("2019-12-01T16:20Z", datetime(2019, 12, 1, 16, 20, tzinfo=timezone.utc)),
    ("2019-12-01T16:20:00.250Z", datetime(2019, 12, 1, 16, 20, 0, 250000, tzinfo=timezone.utc)),
    ("2019-12-01T18:20:00+02:00", datetime(2019, 12, 1, 16, 20, tzinfo=timezone.utc)),
    ("2019-12-01T18:20:00+0200", datetime(2019, 12, 1, 16, 20, tzinfo=timezone.utc)),
    ("2019-12-01T14:20:00-02:00", datetime(2019, 12, 1, 16, 20, tzinfo=timezone.utc)),
    ("2019-12-01T16:20:00", datetime(2019, 12, 1, 16, 20, tzinfo=timezone.utc)),  # no offset: UTC
    ("  2019-12-01T16:20:00Z \n", datetime(2019, 12, 1, 16, 20, tzinfo=timezone.utc)),
])
def test_parse_time_accepts_the_contract_forms_as_utc(text, expected):
    parsed = parse_time(text, "end_time")
    assert parsed == expected and parsed.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("text", ["yesterday", "2019-12-01", "2019-12-01 16:20:00Z", "2019-12-01T16Z",
                                  "x2019-12-01T16:20:00Z", "2019-12-01T16:20:00Zx", "2019-12-01T16:20:00+2"])
def test_parse_time_rejects_other_shapes_naming_the_setting(text):
    with pytest.raises(JobError) as info:
        parse_time(text, "metric_time")
    assert str(info.value) == f"metric_time must look like 2019-12-01T16:20:00Z, got {text!r}"


def test_parse_time_reports_a_value_that_is_not_a_date_with_the_reason():
    with pytest.raises(JobError) as info:
        parse_time("2024-13-01T10:00:00Z", "start_time")
    assert str(info.value) == "start_time '2024-13-01T10:00:00Z' is not a valid time: month must be in 1..12"
    assert isinstance(info.value.__cause__, ValueError)


def test_parse_time_reports_an_offset_that_overflows_the_year():
    with pytest.raises(JobError, match=r"^start_time '0001-01-01T00:00:00\+01:00' is not a valid time: "):
        parse_time("0001-01-01T00:00:00+01:00", "start_time")


# ------------------------------------------------------------------------------ OptMlPaths
def test_opt_ml_paths_default_to_the_container_root():
    assert OptMlPaths.from_env({}).root == Path("/opt/ml")
    assert OptMlPaths.from_env({"SAGEWATCH_OPT_ML": "/tmp/x"}).root == Path("/tmp/x")


def test_opt_ml_paths_name_the_contract_files():
    paths = OptMlPaths(Path("/r"))
    assert paths.config_file == Path("/r/config/processingjobconfig.json")
    assert paths.legacy_config_file == Path("/r/processing/processingjobconfig.json")
    assert paths.message_file == Path("/r/output/message")
    assert paths.default_metrics_dir == Path("/r/output/metrics/cloudwatch")


@pytest.mark.parametrize(("path", "expected"), [
    ("/opt/ml", "/r"), ("/opt/ml/", "/r"), ("/opt/ml/processing/input", "/r/processing/input"),
    ("/opt/mlx/data", "/opt/mlx/data"), ("/data/opt/ml/x", "/data/opt/ml/x"), ("relative/opt/ml", "relative/opt/ml"),
])
def test_relocate_maps_only_paths_under_opt_ml(path, expected):
    assert OptMlPaths(Path("/r")).relocate(path) == Path(expected)


# ------------------------------------------------------------------------------ JobSpec
@pytest.mark.parametrize(("statistics", "constraints", "monitoring"), [
    (None, None, False), (Path("s"), None, True), (None, Path("c"), True), (Path("s"), Path("c"), True)])
def test_baseline_files_make_a_monitoring_job(statistics, constraints, monitoring):
    spec = JobSpec(Path("in"), Path("out"), {}, OptMlPaths(Path("/r")), baseline_statistics=statistics,
                   baseline_constraints=constraints)
    assert spec.is_monitoring is monitoring


# ------------------------------------------------------------------------------ parse_job_spec
def test_minimal_environment_gives_the_documented_defaults(tmp_path):
    spec = parse_job_spec(_env(tmp_path))
    assert spec.dataset_source == tmp_path / "in" and spec.output_path == tmp_path / "out"
    assert spec.dataset_format == {"csv": {"header": True}}
    assert spec.paths == OptMlPaths(tmp_path)
    assert (spec.baseline_statistics, spec.baseline_constraints, spec.start_time, spec.end_time, spec.metric_time) \
        == (None,) * 5
    assert spec.publish_cloudwatch_metrics is False
    assert (spec.endpoint_name, spec.schedule_name, spec.categorical_drift_method, spec.record_preprocessor_script,
            spec.post_analytics_processor_script, spec.analysis_type) == (None,) * 6
    assert spec.metrics_dir == tmp_path / "output" / "metrics" / "cloudwatch"
    assert spec.extra_environment == {}
    assert not spec.is_monitoring


def test_every_setting_is_read_and_relocated(tmp_path):
    spec = parse_job_spec(_env(
        tmp_path, baseline_statistics="/opt/ml/b/statistics.json", baseline_constraints="/opt/ml/b/constraints.json",
        start_time="2024-05-01T10:00:00Z", end_time="2024-05-01T11:00:00Z", metric_time="2024-05-01T10:30:00Z",
        publish_cloudwatch_metrics=" ENABLED ", sagemaker_endpoint_name="ep", sagemaker_monitoring_schedule_name="s",
        categorical_drift_method="ChiSquared", record_preprocessor_script="/opt/ml/code/pre.py",
        post_analytics_processor_script="/elsewhere/post.py", analysis_type="DATA_QUALITY",
        CLOUDWATCH_METRICS_DIRECTORY="/opt/ml/metrics"))
    assert spec.baseline_statistics == tmp_path / "b" / "statistics.json"
    assert spec.baseline_constraints == tmp_path / "b" / "constraints.json"
    assert spec.start_time == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
    assert spec.end_time == datetime(2024, 5, 1, 11, tzinfo=timezone.utc)
    assert spec.metric_time == datetime(2024, 5, 1, 10, 30, tzinfo=timezone.utc)
    assert spec.publish_cloudwatch_metrics is True
    assert (spec.endpoint_name, spec.schedule_name, spec.categorical_drift_method, spec.analysis_type) \
        == ("ep", "s", "ChiSquared", "DATA_QUALITY")
    assert spec.record_preprocessor_script == tmp_path / "code" / "pre.py"
    assert spec.post_analytics_processor_script == Path("/elsewhere/post.py")
    assert spec.metrics_dir == tmp_path / "metrics"
    assert spec.is_monitoring


def test_blank_settings_count_as_unset(tmp_path):
    spec = parse_job_spec(_env(tmp_path, baseline_statistics="  ", start_time=" ", sagemaker_endpoint_name="",
                               analysis_type="", categorical_drift_method=""))
    assert (spec.baseline_statistics, spec.start_time, spec.endpoint_name, spec.analysis_type,
            spec.categorical_drift_method) == (None,) * 5


def test_path_settings_are_stripped(tmp_path):
    assert parse_job_spec(_env(tmp_path, dataset_source="  /opt/ml/in \n")).dataset_source == tmp_path / "in"


@pytest.mark.parametrize("key", ["dataset_source", "output_path"])
@pytest.mark.parametrize("value", [None, "", "   "])
def test_required_folders_name_the_missing_setting(tmp_path, key, value):
    env = _env(tmp_path)
    if value is None:
        del env[key]
    else:
        env[key] = value
    with pytest.raises(JobError) as info:
        parse_job_spec(env)
    assert str(info.value) == f"{key} is not set; it must name a folder of the processing job"


def test_process_environment_is_read_when_none_is_given(tmp_path, monkeypatch):
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert parse_job_spec().output_path == tmp_path / "out"


def test_settings_come_from_processingjobconfig_and_the_environment_wins(tmp_path):
    _config(tmp_path, {"Environment": {"dataset_format": '{"parquet": {}}', "dataset_source": "/opt/ml/cfg",
                                       "output_path": "/opt/ml/out", "my_setting": 7, "other": "x"}})
    spec = parse_job_spec({"SAGEWATCH_OPT_ML": str(tmp_path), "dataset_source": "/opt/ml/env",
                           "not_reserved": "ignored", "other": "from-env"})
    assert spec.dataset_format == {"parquet": {}}
    assert spec.dataset_source == tmp_path / "env"
    # the config's own settings are exported to user scripts, as strings; the process environment's are not
    assert spec.extra_environment == {"my_setting": "7", "other": "x"}


def test_legacy_config_location_is_read_when_the_documented_one_is_absent(tmp_path):
    _config(tmp_path, {"Environment": {"dataset_format": CSV, "dataset_source": "/opt/ml/legacy",
                                       "output_path": "/opt/ml/o"}}, legacy=True)
    assert parse_job_spec({"SAGEWATCH_OPT_ML": str(tmp_path)}).dataset_source == tmp_path / "legacy"


def test_documented_config_location_wins_over_the_legacy_one(tmp_path):
    _config(tmp_path, {"Environment": {"dataset_format": CSV, "dataset_source": "/opt/ml/legacy",
                                       "output_path": "/opt/ml/o"}}, legacy=True)
    _config(tmp_path, {"Environment": {"dataset_format": CSV, "dataset_source": "/opt/ml/current",
                                       "output_path": "/opt/ml/o"}})
    assert parse_job_spec({"SAGEWATCH_OPT_ML": str(tmp_path)}).dataset_source == tmp_path / "current"


def test_config_folder_instead_of_a_file_is_ignored(tmp_path):
    OptMlPaths(tmp_path).config_file.mkdir(parents=True)
    assert parse_job_spec(_env(tmp_path)).extra_environment == {}


@pytest.mark.parametrize("document", [{}, {"Environment": None}, {"Environment": {}}])
def test_config_without_environment_adds_nothing(tmp_path, document):
    _config(tmp_path, document)
    assert parse_job_spec(_env(tmp_path)).extra_environment == {}


@pytest.mark.parametrize(("document", "message"), [
    ('{"Environment": ', "cannot read processingjobconfig.json: JSONDecodeError: Expecting value: line 1 column 17"),
    ("[]", "processingjobconfig.json must hold a JSON object, got list"),
    ('"text"', "processingjobconfig.json must hold a JSON object, got str"),
    ('{"Environment": ["a"]}', "processingjobconfig.json: Environment must be an object"),
    ('{"Environment": "a=b"}', "processingjobconfig.json: Environment must be an object"),
])
def test_malformed_config_names_the_file(tmp_path, document, message):
    _config(tmp_path, document)
    with pytest.raises(JobError) as info:
        parse_job_spec(_env(tmp_path))
    assert str(info.value).startswith(message)


def test_config_that_is_not_utf8_gives_the_byte(tmp_path):
    target = _config(tmp_path, "{}")
    target.write_bytes(b'{"a": "\xe9"}')
    with pytest.raises(JobError) as info:
        parse_job_spec(_env(tmp_path))
    assert str(info.value) == "cannot read processingjobconfig.json: not UTF-8 text (invalid continuation byte at byte 7)"


@pytest.mark.parametrize("key", ["sagemaker_endpoint_name", "sagemaker_monitoring_schedule_name"])
def test_endpoint_monitoring_defaults_to_capture_format(tmp_path, key):
    env = _env(tmp_path, **{key: "x"})
    del env["dataset_format"]
    assert parse_job_spec(env).dataset_format == {
        "sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}


@pytest.mark.parametrize("value", [None, "", "  "])
def test_dataset_format_is_required_outside_endpoint_monitoring(tmp_path, value):
    env = _env(tmp_path, sagemaker_endpoint_name="")
    if value is None:
        del env["dataset_format"]
    else:
        env["dataset_format"] = value
    with pytest.raises(JobError) as info:
        parse_job_spec(env)
    assert str(info.value) == "dataset_format is required, e.g. '{\"csv\": {\"header\": true}}'"


def test_dataset_format_that_is_not_json_quotes_at_most_200_characters(tmp_path):
    text = "{" + "x" * 300
    with pytest.raises(JobError) as info:
        parse_job_spec(_env(tmp_path, dataset_format=text))
    assert str(info.value) == f"dataset_format is not valid JSON: {text[:200]!r} (Expecting property name " \
                              "enclosed in double quotes)"


def test_dataset_format_nested_too_deeply_is_a_job_error(tmp_path):
    with pytest.raises(JobError) as info:
        parse_job_spec(_env(tmp_path, dataset_format="[" * 100_000))
    assert str(info.value) == "dataset_format is nested too deeply to be a dataset format"


@pytest.mark.parametrize("text", ["[]", '"csv"', "3", "null"])
def test_dataset_format_must_be_an_object(tmp_path, text):
    with pytest.raises(JobError) as info:
        parse_job_spec(_env(tmp_path, dataset_format=f" {text} "))
    assert str(info.value) == f"dataset_format must be a JSON object, got {text!r}"


@pytest.mark.parametrize(("value", "publish"), [("Enabled", True), ("enabled", True), (" Disabled\n", False),
                                                ("DISABLED", False)])
def test_publish_cloudwatch_metrics_in_any_case(tmp_path, value, publish):
    assert parse_job_spec(_env(tmp_path, publish_cloudwatch_metrics=value)).publish_cloudwatch_metrics is publish


@pytest.mark.parametrize("value", ["yes", "true", ""])
def test_publish_cloudwatch_metrics_other_values_are_errors(tmp_path, value):
    with pytest.raises(JobError) as info:
        parse_job_spec(_env(tmp_path, publish_cloudwatch_metrics=value))
    assert str(info.value) == f"publish_cloudwatch_metrics must be Enabled or Disabled, got {value.strip().lower()!r}"


@pytest.mark.parametrize("end", ["2024-05-01T10:00:00Z", "2024-05-01T09:00:00Z", "2024-05-01T12:00:00+02:00"])
def test_window_must_start_before_it_ends(tmp_path, end):
    with pytest.raises(JobError) as info:
        parse_job_spec(_env(tmp_path, start_time="2024-05-01T10:00:00Z", end_time=end))
    assert str(info.value) == f"start_time 2024-05-01T10:00:00Z is not before end_time {end}"


def test_window_of_one_second_is_accepted(tmp_path):
    spec = parse_job_spec(_env(tmp_path, start_time="2024-05-01T10:00:00Z", end_time="2024-05-01T10:00:01Z"))
    assert (spec.end_time - spec.start_time).total_seconds() == 1


@pytest.mark.parametrize("key", ["start_time", "end_time"])
def test_half_open_window_is_accepted(tmp_path, key):
    spec = parse_job_spec(_env(tmp_path, **{key: "2024-05-01T10:00:00Z"}))
    assert getattr(spec, key) == datetime(2024, 5, 1, 10, tzinfo=timezone.utc)


def test_bad_time_setting_names_the_setting(tmp_path):
    with pytest.raises(JobError, match="^end_time must look like"):
        parse_job_spec(_env(tmp_path, end_time="soon"))
