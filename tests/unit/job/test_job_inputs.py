"""Job settings and user scripts that must end in a clear error (issue 11 §3–§5)."""

import pytest

from sagewatch.datasets.formats import CaptureJsonFormat, CsvFormat, JsonFormat, ParquetFormat
from sagewatch.datasets.preprocessor import Preprocessor, load_preprocessor
from sagewatch.errors import JobError
from sagewatch.job.analyses.data_quality import has_header
from sagewatch.job.spec import OptMlPaths, parse_job_spec, parse_time


@pytest.mark.parametrize("value", ["2024-02-30T10:00:00Z", "2024-05-01T25:00:00Z", "2024-05-01T10:00:00+25:00",
                                   "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00"])
def test_parse_time_rejects_times_that_are_not_dates(value):
    with pytest.raises(JobError, match="is not a valid time"):
        parse_time(value, "start_time")


@pytest.mark.parametrize("content, expected", [(b"[]", "must hold a JSON object, got list"),
                                               (b"\xff\xfe{}", "not UTF-8 text"),
                                               (b"[" * 100_000, "RecursionError")])
def test_processingjobconfig_errors_name_the_file(tmp_path, content, expected):
    config = OptMlPaths(tmp_path).config_file
    config.parent.mkdir(parents=True)
    config.write_bytes(content)
    with pytest.raises(JobError, match="processingjobconfig.json") as info:
        parse_job_spec({"SAGEWATCH_OPT_ML": str(tmp_path)})
    assert expected in str(info.value)


def test_only_headerless_formats_are_renamed_by_position():
    assert not has_header(CaptureJsonFormat()) and not has_header(CsvFormat(header=False))
    assert has_header(CsvFormat(header=True)) and has_header(JsonFormat()) and has_header(ParquetFormat())


def test_preprocess_handler_calling_sys_exit_is_a_job_error():
    def handler(record):
        raise SystemExit(3)
    with pytest.raises(JobError, match=r"sys.exit\(3\)"):
        Preprocessor(handler, "pre.py")("1,2")


def test_preprocessor_script_calling_sys_exit_on_import_is_a_job_error(tmp_path):
    script = tmp_path / "pre.py"
    script.write_text("import sys\nsys.exit(5)\n")
    with pytest.raises(JobError, match=r"sys.exit\(5\)"):
        load_preprocessor(script)


def test_preprocess_handler_keyboard_interrupt_is_not_swallowed():
    def handler(record):
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        Preprocessor(handler, "pre.py")("1,2")
