"""Settings, environment and port probing of the LocalStack launcher (no LocalStack started)."""

import socket
from pathlib import Path

import pytest

from sagewatch.localstack import hostmode
from sagewatch.localstack.hostmode import (
    LauncherError,
    LauncherSettings,
    build_environment,
    is_port_free,
    require_localstack,
    resolve_settings,
    runtime_command,
)


def test_resolve_settings_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = resolve_settings(environ={})
    assert settings.port == 4566
    assert settings.state_dir == tmp_path / ".localstack"
    assert settings.host == "127.0.0.1"
    assert settings.endpoint == "http://127.0.0.1:4566"


def test_resolve_settings_reads_environment(tmp_path):
    env = {"SAGEWATCH_LOCALSTACK_PORT": "4599", "SAGEWATCH_LOCALSTACK_DIR": str(tmp_path / "state")}
    settings = resolve_settings(environ=env)
    assert settings.port == 4599
    assert settings.state_dir == tmp_path / "state"


def test_resolve_settings_arguments_win_over_environment(tmp_path):
    env = {"SAGEWATCH_LOCALSTACK_PORT": "4599", "SAGEWATCH_LOCALSTACK_DIR": str(tmp_path / "env")}
    settings = resolve_settings(4600, tmp_path / "arg", environ=env)
    assert settings.port == 4600
    assert settings.state_dir == tmp_path / "arg"


def test_resolve_settings_makes_relative_state_dir_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resolve_settings(state_dir="rel", environ={}).state_dir == tmp_path / "rel"


@pytest.mark.parametrize("port", [0, 65536, -1, True, "4566"])
def test_resolve_settings_rejects_bad_port_argument(port):
    with pytest.raises(LauncherError, match="port must be an integer"):
        resolve_settings(port, environ={})


def test_resolve_settings_rejects_bad_port_variable():
    with pytest.raises(LauncherError, match="SAGEWATCH_LOCALSTACK_PORT='abc' is not a port number"):
        resolve_settings(environ={"SAGEWATCH_LOCALSTACK_PORT": "abc"})


def test_build_environment_sets_host_mode(tmp_path):
    settings = LauncherSettings(port=4599, state_dir=tmp_path)
    env = build_environment(settings, base={})
    assert env == {
        "GATEWAY_SERVER": "hypercorn",
        "GATEWAY_LISTEN": "127.0.0.1:4599",
        "LOCALSTACK_HOST": "127.0.0.1:4599",
        "OVERRIDE_IN_DOCKER": "0",
        "FILESYSTEM_ROOT": str(tmp_path / "fs"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "DNS_ADDRESS": "0",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "DISABLE_EVENTS": "1",
        "LAMBDA_RUNTIME_EXECUTOR": "hostprocess",
        "PYTHONUNBUFFERED": "1",
    }


def test_build_environment_host_mode_overrides_caller(tmp_path):
    settings = LauncherSettings(port=4599, state_dir=tmp_path)
    base = {"GATEWAY_LISTEN": "0.0.0.0:4566", "GATEWAY_SERVER": "twisted", "OVERRIDE_IN_DOCKER": "1",
            "DNS_ADDRESS": "0.0.0.0", "FILESYSTEM_ROOT": "/var/lib/localstack", "DISABLE_EVENTS": "0"}
    env = build_environment(settings, base=base)
    assert env["GATEWAY_LISTEN"] == "127.0.0.1:4599"
    assert env["GATEWAY_SERVER"] == "hypercorn"
    assert env["OVERRIDE_IN_DOCKER"] == "0"
    assert env["DNS_ADDRESS"] == "0"
    assert env["FILESYSTEM_ROOT"] == str(tmp_path / "fs")
    assert env["DISABLE_EVENTS"] == "1"


def test_build_environment_keeps_caller_settings(tmp_path):
    settings = LauncherSettings(port=4599, state_dir=tmp_path)
    env = build_environment(settings, base={"DEBUG": "1", "LAMBDA_RUNTIME_EXECUTOR": "docker", "PATH": "/bin"})
    assert env["DEBUG"] == "1"
    assert env["LAMBDA_RUNTIME_EXECUTOR"] == "docker"
    assert env["PATH"] == "/bin"


def test_runtime_command_uses_this_interpreter_without_cwd_on_path():
    import sys

    assert runtime_command() == [sys.executable, "-P", "-m", "localstack.runtime.main"]


def test_port_taken_by_listener_is_detected():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        assert not is_port_free(port)


def test_port_taken_on_all_addresses_is_detected():
    with socket.socket() as server:
        server.bind(("0.0.0.0", 0))
        server.listen()
        assert not is_port_free(server.getsockname()[1])


def test_free_port_is_detected():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert is_port_free(port)


def test_require_localstack_explains_how_to_install(monkeypatch):
    monkeypatch.setattr(hostmode.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(LauncherError) as info:
        require_localstack()
    assert "pip install -c constraints.txt -e '.[localstack]'" in str(info.value)


def test_settings_paths(tmp_path):
    settings = LauncherSettings(port=4599, state_dir=tmp_path)
    assert settings.log_file == tmp_path / "localstack.log"
    assert settings.pid_file == tmp_path / "localstack.pid"
    assert settings.filesystem_root == tmp_path / "fs"
    assert isinstance(settings.instance_file, Path)
