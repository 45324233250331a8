"""Fixtures of the SageMaker Python SDK e2e tests: the SDK venvs and a runner for the workflow scripts.

``run_sdk("v2", "data_quality", params)`` runs ``scripts/v2_data_quality.py`` with the interpreter of the
v2 SDK venv (made on first use, then reused: ``sdk_venvs.py``) and returns the JSON object it prints last.
The script's environment holds only what a user sets to reach the emulator: ``AWS_ENDPOINT_URL``, a region
and dummy credentials (plus an SDK config that turns telemetry off, so nothing else is contacted).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sdk_venvs import HERE, SdkVenvError, ensure_venv, requirements_path
from sw_endpoints import deploying

SCRIPTS = HERE / "scripts"
SCRIPT_TIMEOUT = 300.0
REGION = "us-east-1"


def sdk_environment(endpoint_url: str, home: Path) -> dict[str, str]:
    """The whole environment of an SDK script: nothing of the test process leaks in (no PYTHONPATH, no AWS_*)."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(HERE / "sdk-config.yaml"),
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="session")
def sdk_python() -> Callable[[str], Path]:
    """``sdk_python("v2")``: the interpreter of that SDK line's venv, made on first use in the session."""
    made: dict[str, Path] = {}

    def get(line: str) -> Path:
        if line not in made:
            try:
                made[line] = ensure_venv(line, requirements_path(line))
            except SdkVenvError as error:
                pytest.fail(str(error), pytrace=False)
        return made[line]

    return get


@pytest.fixture
def run_sdk(sdk_python: Callable[[str], Path], endpoint_url: str, tmp_path_factory: pytest.TempPathFactory
            ) -> Callable[[str, str, dict[str, Any]], dict[str, Any]]:
    """``run_sdk(line, workflow, params)``: run ``scripts/<line>_<workflow>.py``; the JSON it prints last."""

    def run(line: str, workflow: str, params: dict[str, Any]) -> dict[str, Any]:
        script = SCRIPTS / f"{line}_{workflow}.py"
        home = tmp_path_factory.mktemp(f"sdk-{line}-home")
        try:
            done = subprocess.run([str(sdk_python(line)), str(script), json.dumps(params)], cwd=home,
                                  env=sdk_environment(endpoint_url, home), capture_output=True, text=True,
                                  timeout=SCRIPT_TIMEOUT)
        except subprocess.TimeoutExpired as error:
            pytest.fail(f"{script.name} ran longer than {SCRIPT_TIMEOUT:g} s; output so far:\n{error.stdout}\n"
                        f"{error.stderr}", pytrace=False)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            pytest.fail(f"{script.name} exited {done.returncode}:\n{_tail(done.stderr)}\n{_tail(done.stdout)}",
                        pytrace=False)
        try:
            return json.loads(lines[-1])
        except json.JSONDecodeError:
            pytest.fail(f"{script.name} did not end with a JSON result:\n{_tail(done.stdout)}", pytrace=False)

    return run


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.fixture
def deployer(aws_client, bucket, unique_name) -> Iterator[Any]:
    yield from deploying(aws_client, bucket, unique_name)


@pytest.fixture
def schedules(aws_client) -> Iterator[list[str]]:
    """Names of schedules an SDK script creates; whatever the script left behind (it failed) is deleted."""
    names: list[str] = []
    yield names
    sagemaker = aws_client("sagemaker")
    for name in names:
        try:
            described = sagemaker.describe_monitoring_schedule(MonitoringScheduleName=name)
        except sagemaker.exceptions.ResourceNotFound:
            continue
        sagemaker.delete_monitoring_schedule(MonitoringScheduleName=name)
        definition = described["MonitoringScheduleConfig"].get("MonitoringJobDefinitionName")
        delete = {"DataQuality": sagemaker.delete_data_quality_job_definition,
                  "ModelQuality": sagemaker.delete_model_quality_job_definition,
                  "ModelBias": sagemaker.delete_model_bias_job_definition,
                  "ModelExplainability": sagemaker.delete_model_explainability_job_definition,
                  }.get(described.get("MonitoringType"))
        if definition and delete:
            try:
                delete(JobDefinitionName=definition)
            except sagemaker.exceptions.ResourceNotFound:
                pass
