"""A stand-in for the SageMaker and SageMaker Runtime clients of the Clarify container's endpoint module: endpoints
with a status sequence, and a model that answers CSV or JSON Lines requests."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import numpy as np
import pytest
from botocore.exceptions import ClientError


def _error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "Operation")


class FakeSageMaker:
    """Both clients in one: control plane calls are recorded, InvokeEndpoint runs ``model`` on the parsed rows."""

    def __init__(self, model: Callable[[np.ndarray], str], statuses=("Creating", "InService"),
                 failure: str | None = None) -> None:
        self.model, self.statuses, self.failure = model, list(statuses), failure
        self.endpoints: dict[str, str] = {}
        self.configs: dict[str, dict] = {}
        self.calls: list[tuple[str, dict]] = []
        self.bodies: list[bytes] = []

    def create_endpoint_config(self, **kw):
        self.calls.append(("create_endpoint_config", kw))
        self.configs[kw["EndpointConfigName"]] = kw

    def create_endpoint(self, **kw):
        self.calls.append(("create_endpoint", kw))
        self.endpoints[kw["EndpointName"]] = "Creating"

    def describe_endpoint(self, EndpointName):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        answer = {"EndpointName": EndpointName, "EndpointStatus": status}
        if status == "Failed":
            answer["FailureReason"] = self.failure or "the model cannot load"
        return answer

    def delete_endpoint(self, EndpointName):
        self.calls.append(("delete_endpoint", {"EndpointName": EndpointName}))
        self.endpoints.pop(EndpointName)

    def delete_endpoint_config(self, EndpointConfigName):
        self.calls.append(("delete_endpoint_config", {"EndpointConfigName": EndpointConfigName}))
        self.configs.pop(EndpointConfigName)

    def invoke_endpoint(self, **kw):
        self.calls.append(("invoke_endpoint", {k: v for k, v in kw.items() if k != "Body"}))
        self.bodies.append(kw["Body"])
        text = kw["Body"].decode()
        if kw["ContentType"] == "text/csv":
            rows = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)
        else:
            rows = np.array([json.loads(line)["features"] for line in text.splitlines()], dtype=float)
        answer = self.model(rows)
        return {"Body": io.BytesIO(answer.encode())}


@pytest.fixture
def fake_factory():
    def make(model, **kw):
        fake = FakeSageMaker(model, **kw)
        return fake, (lambda service: fake)
    return make
