"""``render_report_files`` refuses a place it cannot write, before reading anything (found by tests/fuzz)."""

import pytest

from sagewatch.errors import InvalidParameterError
from sagewatch.report.files import render_report_files


def test_report_under_a_file_is_a_clear_error(tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InvalidParameterError, match=r"cannot write the report to .*afile/r.html"):
        render_report_files(statistics=tmp_path / "missing.json", output=tmp_path / "afile" / "r.html")


def test_report_onto_a_folder_is_a_clear_error(tmp_path):
    (tmp_path / "r.html").mkdir()
    with pytest.raises(InvalidParameterError, match="is a folder"):
        render_report_files(statistics=tmp_path / "missing.json", output=tmp_path / "r.html")
