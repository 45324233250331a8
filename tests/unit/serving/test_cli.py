"""Settings from the command line and the environment (sagewatch.serving.cli)."""

import signal
from pathlib import Path

import pytest

from sagewatch.errors import InvalidParameterError
from sagewatch.serving.cli import build_parser, main, parse_settings
from sagewatch.serving.settings import ServerSettings


def test_no_arguments_is_container_mode():
    settings = parse_settings([], {})
    assert settings == ServerSettings(model_dir=Path("/opt/ml/model"), host="0.0.0.0", port=8080)


def test_serve_argument_and_container_environment():
    settings = parse_settings(["serve"], {
        "SAGEWATCH_OPT_ML": "/srv/relocated", "SAGEMAKER_BIND_TO_PORT": "8123", "SAGEWATCH_SERVING_HOST": "127.0.0.1",
        "SAGEMAKER_MODEL_SERVER_WORKERS": "3", "SAGEMAKER_PROGRAM": "serve.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code", "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
        "SAGEWATCH_PREDICT_METHOD": "predict_proba", "SAGEWATCH_MAX_PAYLOAD_MB": "6",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
    })
    assert settings == ServerSettings(
        model_dir=Path("/srv/relocated/model"), code_dir="/opt/ml/model/code", program="serve.py",
        program_required=True, host="127.0.0.1", port=8123, workers=3, default_accept="text/csv",
        predict_method="predict_proba", max_payload_bytes=6 * 1024 * 1024, s3_endpoint_url="http://127.0.0.1:4566")


def test_options_win_over_the_environment():
    settings = parse_settings(
        ["--model-data", "s3://bucket/model.tar.gz", "--port", "9001", "--host", "::1", "--workers", "2",
         "--program", "other.py", "--code-dir", "s3://bucket/sourcedir.tar.gz", "--default-accept", "application/x-npy",
         "--predict-method", "predict", "--max-payload-mb", "1"],
        {"SAGEMAKER_BIND_TO_PORT": "8123", "SAGEWATCH_SERVING_HOST": "0.0.0.0", "SAGEMAKER_PROGRAM": "serve.py",
         "SAGEMAKER_MODEL_SERVER_WORKERS": "5", "SAGEWATCH_PREDICT_METHOD": "predict_proba",
         "AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_S3": "http://s3"})
    assert settings == ServerSettings(
        model_data="s3://bucket/model.tar.gz", code_dir="s3://bucket/sourcedir.tar.gz", program="other.py",
        program_required=True, host="::1", port=9001, workers=2, default_accept="application/x-npy",
        predict_method="predict", max_payload_bytes=1024 * 1024, s3_endpoint_url="http://s3")


def test_host_mode_defaults_to_loopback_and_an_optional_script():
    settings = parse_settings(["--model-dir", "model"], {})
    assert (settings.host, settings.port, settings.program, settings.program_required) == (
        "127.0.0.1", 8080, "inference.py", False)


def test_model_dir_and_model_data_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as caught:
        parse_settings(["--model-dir", "a", "--model-data", "b"], {})
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_unknown_command_is_refused():
    with pytest.raises(SystemExit):
        parse_settings(["train"], {})


@pytest.mark.parametrize("environ, message", [
    ({"SAGEMAKER_BIND_TO_PORT": "http"}, "SAGEMAKER_BIND_TO_PORT must be a number, got 'http'"),
    ({"SAGEMAKER_BIND_TO_PORT": "70000"}, "port must be between 0 and 65535, got 70000"),
    ({"SAGEMAKER_MODEL_SERVER_WORKERS": "0"}, "workers must be at least 1, got 0"),
    ({"SAGEWATCH_PREDICT_METHOD": "decision_function"},
     "predict_method must be one of predict, predict_proba, got 'decision_function'"),
    ({"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/plain"},
     "default_accept must be one of text/csv, application/json, application/x-npy, got 'text/plain'"),
])
def test_invalid_environment_values_name_the_variable_or_setting(environ, message):
    with pytest.raises(InvalidParameterError) as caught:
        parse_settings(["--model-dir", "m"], environ)
    assert str(caught.value) == message


def test_main_reports_invalid_settings_with_status_2(capsys):
    assert main(["--model-dir", "m"], {"SAGEMAKER_MODEL_SERVER_WORKERS": "0"}) == 2
    assert "error: workers must be at least 1, got 0" in capsys.readouterr().err


def test_main_exits_1_when_the_model_folder_is_empty(tmp_path, caplog):
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    assert main(["--model-dir", str(tmp_path), "--port", "0"], {}) == 1
    assert "The model cannot be served: No model file in the model folder (it has: no files)" in caplog.text
    assert {number: signal.getsignal(number) for number in handlers} == handlers  # restored


def test_every_option_is_documented_in_help():
    help_text = build_parser().format_help()
    for action in build_parser()._actions:
        for option in action.option_strings:
            assert option in help_text
        assert action.help, action.dest
    for variable in ("SAGEWATCH_OPT_ML", "SAGEMAKER_BIND_TO_PORT", "SAGEMAKER_SUBMIT_DIRECTORY", "SAGEMAKER_PROGRAM",
                     "SAGEWATCH_SERVING_HOST", "SAGEMAKER_MODEL_SERVER_WORKERS", "SAGEWATCH_PREDICT_METHOD",
                     "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "SAGEWATCH_MAX_PAYLOAD_MB", "AWS_ENDPOINT_URL"):
        assert variable in help_text
