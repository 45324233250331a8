"""Fixtures for end-to-end tests against a running LocalStack with the sagewatch plugin.

The tests do not start LocalStack: start it first (``sagewatch local up``, or ``make up``; ``make test`` does
it for you) and point ``SAGEWATCH_ENDPOINT_URL`` at it if it is not on ``http://127.0.0.1:4566``. When nothing
answers there, every test fails with a message saying so; none is skipped.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"
REGION = "us-east-1"
ACCOUNT_ID = "000000000000"


def _get_json(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - test endpoint
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return error.code, None


@pytest.fixture(scope="session")
def endpoint_url() -> str:
    """Base URL of the running LocalStack; fails the session's tests when it does not answer."""
    url = os.environ.get("SAGEWATCH_ENDPOINT_URL", DEFAULT_ENDPOINT).rstrip("/")
    try:
        status, health = _get_json(f"{url}/_localstack/health")
    except (OSError, ValueError) as error:
        pytest.fail(
            f"LocalStack does not answer at {url} ({error}). Start it with `sagewatch local up` (or `make up`), "
            "or set SAGEWATCH_ENDPOINT_URL to where it runs.",
            pytrace=False,
        )
    if status != 200:
        pytest.fail(f"GET {url}/_localstack/health answered HTTP {status}; is this LocalStack?", pytrace=False)
    try:
        plugin_status, _ = _get_json(f"{url}/_sagewatch/health")
    except (OSError, ValueError):
        plugin_status = None
    if plugin_status != 200:
        pytest.fail(
            f"LocalStack {health.get('version')} at {url} runs without the sagewatch plugin "
            f"(GET /_sagewatch/health: {plugin_status}). Install the project into LocalStack's environment "
            "(pip install -c constraints.txt -e '.[localstack]') and restart LocalStack.",
            pytrace=False,
        )
    return url


@pytest.fixture(scope="session")
def aws_client(endpoint_url: str) -> Callable[[str], Any]:
    """``aws_client("s3")``: a boto3 client for LocalStack with test credentials, as a user would make it."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=90)
    clients: dict[str, Any] = {}

    def make(service: str) -> Any:
        if service not in clients:
            clients[service] = session.client(service, endpoint_url=endpoint_url, config=config)
        return clients[service]

    return make


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """``unique_name("model")`` -> ``"sw-model-1a2b3c4d"``: names that do not collide between runs."""
    return lambda prefix: f"sw-{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def bucket(aws_client: Callable[[str], Any], unique_name: Callable[[str], str]) -> Iterator[str]:
    """An empty S3 bucket, deleted with its objects afterwards."""
    s3 = aws_client("s3")
    name = unique_name("bucket")
    s3.create_bucket(Bucket=name)
    yield name
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)
