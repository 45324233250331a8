"""InvokeEndpoint of the sagemaker-runtime provider against in-memory deployments (no LocalStack, no servers)."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("localstack", reason="the provider modules import LocalStack (extra 'localstack')")

from sagewatch.schemas.capture import parse_capture_record  # noqa: E402
from sagewatch.localstack.capture import CaptureConfig, CaptureService  # noqa: E402
from sagewatch.localstack.metrics import InvocationMetrics, VariantKey  # noqa: E402
from sagewatch.localstack.runtime.deployment import Deployment, VariantDeployment  # noqa: E402
from sagewatch.localstack.errors import ModelError, ServiceUnavailable, ValidationError  # noqa: E402
from sagewatch.localstack.runtime.hosting import EndpointRuntime  # noqa: E402
from sagewatch.localstack.runtime.provider import SageMakerRuntimeProvider, read_body  # noqa: E402
from sagewatch.localstack.runtime.servers import ModelResponse, ServerUnavailableError  # noqa: E402
from sagewatch.localstack.sagemaker.provider import SageMakerProvider  # noqa: E402

ACCOUNT, REGION = "000000000000", "us-east-1"


class FakeServer:
    """Answers like a model server: the request body echoed, or a fixed error."""

    def __init__(self, status=200, body=None, unavailable=False, ready=True):
        self.status, self.body, self.unavailable, self.ready = status, body, unavailable, ready
        self.requests = []

    def invoke(self, body, content_type, accept, custom_attributes=None):
        self.requests.append((body, content_type, accept, custom_attributes))
        if self.unavailable:
            raise ServerUnavailableError("connection refused")
        return ModelResponse(self.status, self.body if self.body is not None else body, "text/csv", None)


class FakeHosting:
    def __init__(self, tmp_path):
        self.metrics = InvocationMetrics()
        self.endpoints = {}
        self.uploaded = {}
        self.capture = CaptureService(tmp_path / "spool", 60.0,
                                      lambda target, body: self.uploaded.update({target.key: body}))
        self.gone = 0

    def server_gone(self):
        self.gone += 1

    def get(self, account_id, region, name):
        return self.endpoints.get((account_id, region, name))

    def log_file(self, account_id, region, endpoint, variant):
        return Path("logs") / endpoint / f"{variant}.log"

    def add(self, name, servers, weights=None, capture=None):
        variants = []
        for index, (variant_name, server) in enumerate(servers.items()):
            variant = VariantDeployment(VariantKey(ACCOUNT, REGION, name, variant_name), "model", "image", server)
            if weights:
                variant.current_weight = weights[index]
            variants.append(variant)
        deployment = Deployment("config", variants, capture)
        if capture is not None:
            deployment.capture = self.capture.open_writer(ACCOUNT, REGION, name, capture)
        endpoint = EndpointRuntime(ACCOUNT, REGION, name, f"arn:{name}", "config", status="InService",
                                   deployment=deployment)
        self.endpoints[(ACCOUNT, REGION, name)] = endpoint
        return endpoint


@pytest.fixture
def hosting(tmp_path):
    return FakeHosting(tmp_path)


@pytest.fixture
def provider(hosting):
    return SageMakerRuntimeProvider(hosting)


CONTEXT = SimpleNamespace(account_id=ACCOUNT, region=REGION, partition="aws")


def _invoke(provider, **request):
    request.setdefault("Body", io.BytesIO(b"1,2"))
    request.setdefault("ContentType", "text/csv")
    return provider.invoke_endpoint(CONTEXT, request)


def test_invoke_answers_with_the_servers_body_and_variant(provider, hosting):
    server = FakeServer()
    hosting.add("ep", {"AllTraffic": server})
    answer = _invoke(provider, EndpointName="ep", Accept="text/csv", CustomAttributes="a=1")
    assert answer == {"Body": b"1,2", "ContentType": "text/csv", "InvokedProductionVariant": "AllTraffic"}
    assert server.requests == [(b"1,2", "text/csv", "text/csv", "a=1")]
    totals = hosting.metrics.drain()[VariantKey(ACCOUNT, REGION, "ep", "AllTraffic")]
    assert (totals.invocations, totals.errors_4xx, totals.errors_5xx) == (1, 0, 0)
    assert totals.model_latency.count == totals.overhead_latency.count == 1


def test_unknown_or_not_serving_endpoint(provider, hosting):
    with pytest.raises(ValidationError, match="Endpoint nope of account 000000000000 not found."):
        _invoke(provider, EndpointName="nope")
    endpoint = hosting.add("creating", {"AllTraffic": FakeServer()})
    endpoint.deployment = None
    with pytest.raises(ValidationError, match="not found"):
        _invoke(provider, EndpointName="creating")


def test_target_variant(provider, hosting):
    hosting.add("ep", {"A": FakeServer(body=b"a"), "B": FakeServer(body=b"b")}, weights=[1.0, 0.0])
    assert _invoke(provider, EndpointName="ep", TargetVariant="B")["Body"] == b"b"
    assert {_invoke(provider, EndpointName="ep")["Body"] for _ in range(30)} == {b"a"}
    with pytest.raises(ValidationError, match="The variant C does not exist for endpoint ep."):
        _invoke(provider, EndpointName="ep", TargetVariant="C")


def test_no_variant_with_weight(provider, hosting):
    hosting.add("ep", {"A": FakeServer()}, weights=[0.0])
    with pytest.raises(ValidationError, match="no production variant with a weight above 0"):
        _invoke(provider, EndpointName="ep")


@pytest.mark.parametrize("status, kind, counter", [(500, "server", "errors_5xx"), (415, "client", "errors_4xx")])
def test_model_errors(provider, hosting, status, kind, counter):
    hosting.add("ep", {"AllTraffic": FakeServer(status=status, body=b"ValueError: boom")})
    with pytest.raises(ModelError) as caught:
        _invoke(provider, EndpointName="ep")
    error = caught.value
    assert error.status_code == 424
    assert (error.OriginalStatusCode, error.OriginalMessage) == (status, "ValueError: boom")
    assert error.message.startswith(f'Received {kind} error ({status}) from primary with message "ValueError: boom".')
    assert error.LogStreamArn == f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/ep"
    assert getattr(hosting.metrics.drain()[VariantKey(ACCOUNT, REGION, "ep", "AllTraffic")], counter) == 1


def test_server_that_does_not_answer_is_a_model_error(provider, hosting):
    hosting.add("ep", {"AllTraffic": FakeServer(unavailable=True)})
    with pytest.raises(ModelError, match="did not answer: connection refused"):
        _invoke(provider, EndpointName="ep")
    assert hosting.metrics.drain()[VariantKey(ACCOUNT, REGION, "ep", "AllTraffic")].errors_5xx == 1


def test_server_that_stopped_is_service_unavailable_and_reported(provider, hosting):
    hosting.add("ep", {"AllTraffic": FakeServer(unavailable=True, ready=False)})
    with pytest.raises(ServiceUnavailable, match="not running; a new one is being started") as error:
        _invoke(provider, EndpointName="ep")
    assert (error.value.code, error.value.status_code) == ("ServiceUnavailable", 503)
    assert hosting.gone == 1  # hosting's watcher is woken at once
    assert hosting.metrics.drain()[VariantKey(ACCOUNT, REGION, "ep", "AllTraffic")].errors_5xx == 1


def test_successful_invocations_are_captured_before_the_answer(provider, hosting):
    capture = CaptureConfig(enabled=True, sampling_percentage=100, destination_s3_uri="s3://bucket/dc",
                            csv_content_types=("text/csv",))
    hosting.add("ep", {"AllTraffic": FakeServer()}, capture=capture)
    _invoke(provider, EndpointName="ep", InferenceId="i-1", CustomAttributes="c=1")
    spool = sorted((hosting.capture.spool_dir).glob("*.jsonl"))
    assert len(spool) == 1  # on disk already, before any roll or upload
    record = parse_capture_record(spool[0].read_text().splitlines()[0])
    assert (record.inference_id, record.custom_attributes) == ("i-1", ("c=1",))
    assert record.endpoint_input.data == "1,2" and record.endpoint_output.data == "1,2"
    hosting.add("failing", {"AllTraffic": FakeServer(status=500)}, capture=capture)
    with pytest.raises(ModelError):
        _invoke(provider, EndpointName="failing")
    assert len(sorted(hosting.capture.spool_dir.glob("*.jsonl"))) == 1  # errors are not captured


def test_requests_are_counted_in_and_out_of_the_deployment(provider, hosting):
    endpoint = hosting.add("ep", {"AllTraffic": FakeServer(status=500)})
    with pytest.raises(ModelError):
        _invoke(provider, EndpointName="ep")
    assert endpoint.deployment.in_flight == 0
    assert endpoint.deployment.retire(0.1)


def test_endpoint_not_found_is_worded_as_aws():
    error = ValidationError.endpoint_not_found("my-endpoint", ACCOUNT)
    assert (error.code, error.status_code) == ("ValidationError", 400)
    assert error.message == "Endpoint my-endpoint of account 000000000000 not found."


def test_model_error_from_sagewatch_keeps_its_message():
    assert ModelError.from_model(500, "cannot run", from_model=False).message == "cannot run"
    assert ModelError.from_model(500, "boom", "model.log").message.endswith('"boom". See model.log for more information.')


@pytest.mark.parametrize("body, expected", [(None, b""), (b"x", b"x"), ("é", "é".encode()), (io.BytesIO(b"s"), b"s")])
def test_read_body(body, expected):
    assert read_body(body) == expected


def test_dispatch_tables_cover_every_operation():
    from localstack.aws.spec import load_service

    sagemaker = SageMakerProvider().dispatch_table()
    assert set(sagemaker) == set(load_service("sagemaker").operation_names)
    for operation in ("CreateModel", "CreateEndpointConfig", "CreateEndpoint", "DescribeEndpoint", "ListEndpoints",
                      "UpdateEndpoint", "UpdateEndpointWeightsAndCapacities", "DeleteEndpoint"):
        assert sagemaker[operation].__self__.__class__.__name__ == "EndpointHandlers", operation
    runtime = SageMakerRuntimeProvider().dispatch_table()
    assert set(runtime) == {"InvokeEndpoint", "InvokeEndpointAsync", "InvokeEndpointWithResponseStream"}
    assert runtime["InvokeEndpoint"].__name__ == "invoke_endpoint"


def test_overriding_an_unknown_operation_is_an_error():
    class Broken(SageMakerProvider):
        def overrides(self):
            return {"NoSuchOperation": lambda context, request: {}}

    with pytest.raises(ValueError, match="NoSuchOperation"):
        Broken().dispatch_table()
