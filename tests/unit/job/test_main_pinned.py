"""The container entry point in process: the message file, the exit status and the user environment."""

from __future__ import annotations

import os

import pytest

from sagewatch.job import __main__ as entry
from sagewatch.job.spec import JobSpec, OptMlPaths

CSV = '{"csv": {"header": true}}'


def _env(tmp_path, **settings):
    (tmp_path / "in").mkdir(exist_ok=True)
    (tmp_path / "in" / "d.csv").write_text("a\n1\n2\n")
    return {"SAGEWATCH_OPT_ML": str(tmp_path), "dataset_format": CSV, "dataset_source": "/opt/ml/in",
            "output_path": "/opt/ml/out", **settings}


def _message(tmp_path) -> str:
    return (tmp_path / "output" / "message").read_text(encoding="utf-8")


def test_success_writes_the_message_and_exits_0(tmp_path, capsys):
    assert entry.main(_env(tmp_path)) == 0
    assert _message(tmp_path) == "Completed: Job completed successfully with no violations."
    assert capsys.readouterr().out == "Completed: Job completed successfully with no violations.\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["constraints.json", "sagewatch_report.json",
                                                                  "statistics.json"]


def test_success_replaces_an_earlier_message(tmp_path):
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "message").write_text("old")
    assert entry.main(_env(tmp_path)) == 0
    assert _message(tmp_path).startswith("Completed:")


def test_client_error_writes_the_reason_and_exits_255(tmp_path, capsys):
    env = _env(tmp_path)
    del env["output_path"]
    assert entry.main(env) == entry.FAILURE_EXIT_CODE == 255
    assert _message(tmp_path) == "ClientError: output_path is not set; it must name a folder of the processing job"
    assert capsys.readouterr().err == "sagewatch job failed: output_path is not set; it must name a folder of the " \
                                      "processing job\n"


def test_an_earlier_message_does_not_stand_for_a_failed_run(tmp_path):
    (tmp_path / "output").mkdir()
    (tmp_path / "output" / "message").write_text("Completed: from an earlier run")
    env = _env(tmp_path)
    del env["dataset_source"]
    assert entry.main(env) == 255
    assert _message(tmp_path).startswith("ClientError: dataset_source is not set")


def test_client_error_message_is_cut_at_1024_characters(tmp_path):
    assert entry.main(_env(tmp_path, dataset_source="/opt/ml/" + "ab/" * 400)) == 255
    message = _message(tmp_path)
    assert len(message) == 1024 and message.startswith(f"ClientError: dataset_source {tmp_path}/ab/ab/")


def test_message_written_by_a_failing_user_script_is_kept(tmp_path):
    script = tmp_path / "post.py"
    script.write_text(f"def postprocess_handler():\n    open({str(tmp_path / 'output' / 'message')!r}, 'w')"
                      ".write('from the script')\n    raise RuntimeError('x')\n")
    (tmp_path / "output").mkdir()
    assert entry.main(_env(tmp_path, post_analytics_processor_script=str(script))) == 255
    assert _message(tmp_path) == "from the script"


def test_unexpected_error_is_an_algorithm_error(tmp_path, monkeypatch, capsys):
    def boom(spec):
        raise RuntimeError("disk on fire " + "x" * 2000)
    monkeypatch.setattr(entry, "run_job", boom)
    assert entry.main(_env(tmp_path)) == 255
    message = _message(tmp_path)
    assert message.startswith("AlgorithmError: RuntimeError: disk on fire xxx") and len(message) == 1024
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_system_exit_from_anywhere_is_an_algorithm_error(tmp_path, monkeypatch):
    def leave(spec):
        raise SystemExit(3)
    monkeypatch.setattr(entry, "run_job", leave)
    assert entry.main(_env(tmp_path)) == 255
    assert _message(tmp_path) == "AlgorithmError: SystemExit: 3"


def test_exception_whose_text_fails_is_named_by_its_type(tmp_path, monkeypatch):
    class Unprintable(Exception):
        def __str__(self):
            raise ValueError("no text")

    def boom(spec):
        raise Unprintable()
    monkeypatch.setattr(entry, "run_job", boom)
    assert entry.main(_env(tmp_path)) == 255
    assert _message(tmp_path) == "AlgorithmError: Unprintable"


def test_message_that_cannot_be_written_is_reported_on_stderr(tmp_path, capsys):
    (tmp_path / "output").write_text("a file where the folder goes")
    env = _env(tmp_path)
    del env["dataset_source"]
    assert entry.main(env) == 255
    err = capsys.readouterr().err
    assert f"sagewatch: cannot write {tmp_path / 'output' / 'message'}: " in err


def test_process_environment_is_used_when_none_is_given(tmp_path, monkeypatch):
    for key, value in _env(tmp_path).items():
        monkeypatch.setenv(key, value)
    assert entry.main() == 0
    assert _message(tmp_path).startswith("Completed:")


def test_user_settings_are_exported_and_the_process_environment_wins(monkeypatch):
    monkeypatch.delenv("SW_TEST_NEW", raising=False)
    monkeypatch.setenv("SW_TEST_SET", "process")
    spec = JobSpec(OptMlPaths(os.sep).root, OptMlPaths(os.sep).root, {}, OptMlPaths(os.sep),
                   extra_environment={"SW_TEST_NEW": "config", "SW_TEST_SET": "config"})
    entry.export_user_environment(spec)
    assert os.environ["SW_TEST_NEW"] == "config" and os.environ["SW_TEST_SET"] == "process"
    monkeypatch.delenv("SW_TEST_NEW")


def test_user_scripts_see_the_config_settings(tmp_path, monkeypatch):
    import json
    monkeypatch.delenv("sw_my_setting", raising=False)
    config = tmp_path / "config" / "processingjobconfig.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"Environment": {"sw_my_setting": "exported"}}))
    marker = tmp_path / "seen"
    script = tmp_path / "post.py"
    script.write_text(f"import os\ndef postprocess_handler():\n    open({str(marker)!r}, 'w')"
                      ".write(os.environ['sw_my_setting'])\n")
    try:
        assert entry.main(_env(tmp_path, post_analytics_processor_script=str(script))) == 0
        assert marker.read_text() == "exported"
    finally:
        os.environ.pop("sw_my_setting", None)


@pytest.mark.parametrize("overwrite", [True, False])
def test_write_message_creates_the_folder(tmp_path, overwrite):
    path = tmp_path / "a" / "b" / "message"
    entry._write_message(path, "text", overwrite=overwrite)
    assert path.read_text() == "text"
    entry._write_message(path, "other", overwrite=overwrite)
    assert path.read_text() == ("other" if overwrite else "text")
