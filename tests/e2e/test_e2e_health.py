"""The plugin's own route answers through the LocalStack gateway."""

import json
import urllib.request
from importlib import metadata

import pytest

pytestmark = pytest.mark.e2e


def test_sagewatch_health_route(endpoint_url):
    with urllib.request.urlopen(f"{endpoint_url}/_sagewatch/health", timeout=10) as response:  # noqa: S310
        assert response.status == 200
        assert response.headers.get_content_type() == "application/json"
        body = json.loads(response.read())
    assert body == {"status": "ok", "version": metadata.version("sagewatch")}


def test_localstack_lists_the_sagemaker_apis(endpoint_url):
    with urllib.request.urlopen(f"{endpoint_url}/_localstack/health", timeout=10) as response:  # noqa: S310
        services = json.loads(response.read())["services"]
    assert services.get("sagemaker") in {"available", "running"}
    assert services.get("sagemaker-runtime") in {"available", "running"}
