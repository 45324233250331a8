"""The ``hostprocess`` executor's pure parts: which functions it runs, PYTHONPATH of layers, the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("localstack")

from localstack.aws.api.lambda_ import PackageType  # noqa: E402

from sagewatch.localstack.lambda_host.executor import (  # noqa: E402
    PYTHON_RUNTIMES,
    HostProcessExecutor,
    HostProcessExecutorPlugin,
    build_environment,
    layer_python_path,
    unsupported_reason,
)


def function_version(runtime: str | None, package_type: str = PackageType.Zip, image_uri: str | None = None):
    image = SimpleNamespace(image_uri=image_uri) if image_uri else None
    return SimpleNamespace(id=SimpleNamespace(function_name="scorer"),
                           config=SimpleNamespace(runtime=runtime, package_type=package_type, image=image))


def test_plugin_is_named_hostprocess_and_loads_the_executor_class():
    assert HostProcessExecutorPlugin.name == "hostprocess"
    assert HostProcessExecutorPlugin.namespace == "localstack.lambda.runtime_executor"
    assert HostProcessExecutorPlugin().load() is HostProcessExecutor
    assert HostProcessExecutor.validate_environment()


@pytest.mark.parametrize("runtime", ["python3.8", "python3.11", "python3.13", "python3.14"])
def test_python_runtimes_are_supported(runtime):
    assert runtime in PYTHON_RUNTIMES
    assert unsupported_reason(function_version(runtime)) is None


@pytest.mark.parametrize("runtime", ["nodejs20.x", "java21", "provided.al2023", "python3.7"])
def test_other_runtimes_are_rejected_naming_the_runtime(runtime):
    reason = unsupported_reason(function_version(runtime))
    assert reason is not None
    assert f"Runtime {runtime} of function scorer" in reason
    assert "only Python runtimes (python3.8 to python3.14) run as host processes" in reason


def test_image_functions_are_rejected_naming_the_image():
    reason = unsupported_reason(function_version(None, PackageType.Image, "000000000000.dkr.ecr/x:1"))
    assert reason is not None
    assert "container image (000000000000.dkr.ecr/x:1)" in reason and "only Python runtimes" in reason


def test_layer_python_path_puts_later_layers_first(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    site = second / "python" / "lib" / "python3.12" / "site-packages"
    site.mkdir(parents=True)
    host_site = first / "python" / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}" / "site-packages"
    host_site.mkdir(parents=True)
    assert layer_python_path([first, second], "python3.12") == [
        str(site), str(second / "python"), str(second),
        str(host_site), str(first / "python"), str(first),
    ]


def test_build_environment_stringifies_and_points_at_code_and_layers(tmp_path):
    code, layer = tmp_path / "code", tmp_path / "layer"
    env = build_environment(
        {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": 256, "AWS_LAMBDA_FUNCTION_TIMEOUT": 3, "LAMBDA_TASK_ROOT": "/var/task",
         "_HANDLER": "index.handler", "AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "MISSING": None},
        code_dir=code, layer_dirs=[layer], runtime="python3.12", interop_port=9123, tmp_dir=tmp_path / "tmp",
        host_environ={"PATH": "/bin", "HOME": "/srv/users/someone", "AWS_PROFILE": "real"},
    )
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "256" and env["AWS_LAMBDA_FUNCTION_TIMEOUT"] == "3"
    assert env["LAMBDA_TASK_ROOT"] == str(code)
    assert env["PYTHONPATH"].split(os.pathsep) == [str(code), str(layer / "python"), str(layer)]
    assert env["LOCALSTACK_INTEROP_PORT"] == "9123"
    assert env["PATH"] == "/bin" and env["TMPDIR"] == str(tmp_path / "tmp")
    assert env["AWS_CONFIG_FILE"] == env["AWS_SHARED_CREDENTIALS_FILE"] == os.devnull
    assert "HOME" not in env and "AWS_PROFILE" not in env and "MISSING" not in env


def test_build_environment_lets_the_function_override_defaults_and_extend_pythonpath(tmp_path):
    code = tmp_path / "code"
    env = build_environment({"PATH": "/opt/bin", "PYTHONPATH": "/extra", "TMPDIR": "/scratch"}, code_dir=code,
                            layer_dirs=[], runtime="python3.11", interop_port=1, tmp_dir=tmp_path,
                            host_environ={"PATH": "/bin"})
    assert env["PATH"] == "/opt/bin" and env["TMPDIR"] == "/scratch"
    assert env["PYTHONPATH"].split(os.pathsep) == [str(code), "/extra"]
    assert Path(env["LAMBDA_TASK_ROOT"]) == code
