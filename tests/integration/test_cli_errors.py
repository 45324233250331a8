"""The CLI ends every error in one line and a non-zero status, never a traceback or a signal (issue 11 §3–§4)."""

import subprocess
import sys

import pytest

from sagewatch import cli

SAGEWATCH = [sys.executable, "-m", "sagewatch"]


@pytest.mark.timeout(120)
def test_cli_capture_file_of_one_null_line_is_an_error_not_a_segfault(tmp_path):
    (tmp_path / "c.jsonl").write_text("null\n")
    done = subprocess.run([*SAGEWATCH, "baseline", tmp_path / "c.jsonl", "--format", "capture", "-o",
                           tmp_path / "o", "--no-progress"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert done.stderr.startswith("sagewatch baseline: error: ") and done.stderr.count("\n") == 1


@pytest.mark.parametrize("value", ["2024-02-30T10:00:00Z", "2024-05-01T25:00:00Z", "2024-05-01T10:00:00+25:00",
                                   "0000-01-01T00:00:00Z"])
@pytest.mark.parametrize("option", ["--start-time", "--end-time"])
def test_cli_time_option_that_is_not_a_date_is_a_one_line_error(tmp_path, capsys, option, value):
    (tmp_path / "c.json").write_text("{}")
    code = cli.main(["monitor", str(tmp_path), "-o", str(tmp_path / "o"), "--baseline-constraints",
                     str(tmp_path / "c.json"), option, value])
    err = capsys.readouterr().err
    assert code == 1
    assert err == f"sagewatch monitor: error: {option} '{value}' is not a valid time: " + err.split(": ", 4)[-1]
    assert "Traceback" not in err and err.count("\n") == 1


def test_cli_output_that_is_a_file_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "d.csv").write_text("a\n1\n")
    code = cli.main(["baseline", str(tmp_path / "d.csv"), "-o", str(tmp_path / "d.csv"), "--no-progress"])
    assert code == 1
    assert capsys.readouterr().err.startswith("sagewatch baseline: error: output_path ")


@pytest.mark.parametrize("error", [RuntimeError("boom\nsecond line"), RecursionError("deep"), MemoryError(),
                                   SystemExit(3)])
def test_cli_unexpected_error_is_one_line_naming_the_type(tmp_path, capsys, monkeypatch, error):
    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr("sagewatch.job.run.run_job", fail)
    (tmp_path / "d.csv").write_text("a\n1\n")
    code = cli.main(["baseline", str(tmp_path / "d.csv"), "-o", str(tmp_path / "o"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("sagewatch baseline: error: unexpected ") and err.count("\n") == 1
    assert ("sys.exit(3)" if isinstance(error, SystemExit) else type(error).__name__) in err
    assert "Traceback" not in err


def test_cli_debug_prints_the_traceback(tmp_path, capsys, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr("sagewatch.job.run.run_job", fail)
    (tmp_path / "d.csv").write_text("a\n1\n")
    assert cli.main(["--debug", "baseline", str(tmp_path / "d.csv"), "-o", str(tmp_path / "o")]) == 1
    assert "Traceback" in capsys.readouterr().err
