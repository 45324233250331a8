"""Python Lambda functions run as host processes by the ``hostprocess`` executor, through a real LocalStack.

Needs LocalStack with the sagewatch plugin and ``LAMBDA_RUNTIME_EXECUTOR=hostprocess`` (the launcher's default),
at ``$SAGEWATCH_ENDPOINT_URL`` (default ``http://127.0.0.1:4566``).
"""

from __future__ import annotations

import base64
import io
import json
import os
import statistics
import textwrap
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")

pytestmark = pytest.mark.e2e

ENDPOINT = os.environ.get("SAGEWATCH_ENDPOINT_URL", "http://127.0.0.1:4566")
REGION = "us-east-1"
RUNTIME = "python3.12"

PROBE = textwrap.dedent('''
    import json
    import os
    import time
    import uuid

    import boto3

    INIT_ID = uuid.uuid4().hex  # changes when the runtime restarts
    print("probe module imported")


    def handler(event, context):
        if "detail-type" in event:  # delivered by an EventBridge rule: act on its detail
            event = dict(event["detail"], source=event["source"])
        action = event.get("action", "echo")
        print(f"action={action}")
        if action == "echo":
            return {"event": event, "init_id": INIT_ID, "request_id": context.aws_request_id}
        if action == "environment":
            keys = ["GREETING", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION",
                    "AWS_ENDPOINT_URL", "_HANDLER", "LAMBDA_TASK_ROOT", "AWS_ACCESS_KEY_ID",
                    "LOCALSTACK_RUNTIME_ID"]
            return {
                "environ": {key: os.environ.get(key) for key in keys},
                "cwd": os.getcwd(),
                "context": {
                    "function_name": context.function_name,
                    "function_version": context.function_version,
                    "invoked_function_arn": context.invoked_function_arn,
                    "memory_limit_in_mb": context.memory_limit_in_mb,
                    "aws_request_id": context.aws_request_id,
                    "log_group_name": context.log_group_name,
                    "log_stream_name": context.log_stream_name,
                    "remaining_ms": context.get_remaining_time_in_millis(),
                    "identity": context.identity,
                    "client_context": context.client_context,
                },
            }
        if action == "put_object":
            s3 = boto3.client("s3")
            s3.put_object(Bucket=os.environ["BUCKET"], Key=event["key"], Body=json.dumps(event).encode())
            return {"written": event["key"]}
        if action == "raise":
            raise ValueError("boom from the probe")
        if action == "unserializable":
            return {1, 2, 3}
        if action == "sleep":
            time.sleep(event["seconds"])
            return {"slept": event["seconds"], "init_id": INIT_ID}
        raise KeyError(action)
''')


# --- helpers ------------------------------------------------------------------------------------------------


def zip_bytes(files: Mapping[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def wait_until(predicate: Callable[[], Any], *, timeout: float, interval: float = 0.25, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def invoke(lambda_client, name: str, event: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """RequestResponse invoke with the log tail; returns status, function error, decoded payload and logs."""
    started = time.perf_counter()
    response = lambda_client.invoke(FunctionName=name, Payload=json.dumps(event or {}).encode(), LogType="Tail")
    seconds = time.perf_counter() - started
    return {
        "status": response["StatusCode"],
        "function_error": response.get("FunctionError"),
        "payload": json.loads(response["Payload"].read() or b"null"),
        "logs": base64.b64decode(response.get("LogResult", "")).decode("utf-8", errors="replace"),
        "seconds": seconds,
    }


# --- fixtures -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> Callable[[str], Any]:
    session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=REGION)
    return lambda service: session.client(service, endpoint_url=ENDPOINT)


@pytest.fixture(scope="module")
def lambda_client(client):
    return client("lambda")


@pytest.fixture(scope="module")
def role_arn(client) -> Iterator[str]:
    iam = client("iam")
    name = f"sagewatch-lambda-e2e-{uuid.uuid4().hex[:8]}"
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"Service": "lambda.amazonaws.com"}}]}
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    yield arn
    iam.delete_role(RoleName=name)


@pytest.fixture(scope="module")
def bucket(client) -> Iterator[str]:
    s3 = client("s3")
    name = f"sagewatch-lambda-e2e-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=name)
    yield name
    for item in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=item["Key"])
    s3.delete_bucket(Bucket=name)


@pytest.fixture(scope="module")
def make_function(lambda_client, role_arn) -> Iterator[Callable[..., dict[str, Any]]]:
    """Factory: create a function from source files, wait until it leaves Pending; deleted afterwards."""
    created: list[str] = []

    def make(files: Mapping[str, str], *, handler: str = "index.handler", runtime: str = RUNTIME,
             timeout: int = 10, environment: Mapping[str, str] | None = None,
             layers: list[str] | None = None) -> dict[str, Any]:
        name = f"sw-e2e-{uuid.uuid4().hex[:10]}"
        lambda_client.create_function(
            FunctionName=name, Runtime=runtime, Role=role_arn, Handler=handler, Timeout=timeout,
            Code={"ZipFile": zip_bytes(files)}, Environment={"Variables": dict(environment or {})},
            Layers=layers or [],
        )
        created.append(name)
        config = wait_until(
            lambda: (c := lambda_client.get_function_configuration(FunctionName=name))["State"] != "Pending" and c,
            timeout=30, what=f"function {name} to leave Pending")
        return config

    yield make
    for name in created:
        lambda_client.delete_function(FunctionName=name)


@pytest.fixture(scope="module")
def make_layer(lambda_client) -> Iterator[Callable[[Mapping[str, str]], str]]:
    """Factory: publish a layer version from files; returns its ARN; deleted afterwards."""
    published: list[tuple[str, int]] = []

    def make(files: Mapping[str, str]) -> str:
        name = f"sw-e2e-layer-{uuid.uuid4().hex[:8]}"
        layer = lambda_client.publish_layer_version(LayerName=name, Content={"ZipFile": zip_bytes(files)},
                                                    CompatibleRuntimes=[RUNTIME])
        published.append((name, layer["Version"]))
        return layer["LayerVersionArn"]

    yield make
    for name, version in published:
        lambda_client.delete_layer_version(LayerName=name, VersionNumber=version)


@pytest.fixture(scope="module")
def probe(make_function, bucket) -> dict[str, Any]:
    return make_function({"index.py": PROBE}, environment={"GREETING": "hello from e2e", "BUCKET": bucket})


# --- tests -------------------------------------------------------------------------------------------------------


def test_invoke_returns_result_and_writes_start_end_report_to_cloudwatch(lambda_client, client, probe):
    assert probe["State"] == "Active"
    result = invoke(lambda_client, probe["FunctionName"], {"action": "echo", "n": 1})
    assert result["status"] == 200 and result["function_error"] is None
    assert result["payload"]["event"] == {"action": "echo", "n": 1}
    request_id = result["payload"]["request_id"]
    assert f"START RequestId: {request_id} Version: $LATEST" in result["logs"]
    assert "action=echo" in result["logs"]

    logs = client("logs")
    group = f"/aws/lambda/{probe['FunctionName']}"

    def messages() -> list[str]:
        try:
            events = logs.filter_log_events(logGroupName=group)["events"]
        except logs.exceptions.ResourceNotFoundException:
            return []
        found = [e["message"] for e in events if request_id in e["message"] or e["message"].startswith("action=")]
        return found if any(m.startswith("REPORT") for m in found) else []

    lines = wait_until(messages, timeout=20, what=f"CloudWatch Logs of {request_id} in {group}")
    assert f"START RequestId: {request_id} Version: $LATEST\n" in lines
    assert f"END RequestId: {request_id}\n" in lines
    report = next(m for m in lines if m.startswith(f"REPORT RequestId: {request_id}"))
    fields = report.rstrip("\n").split("\t")
    assert fields[1].startswith("Duration: ") and fields[1].endswith(" ms")
    assert fields[2].startswith("Billed Duration: ") and fields[3] == "Memory Size: 128 MB"
    assert fields[4].startswith("Max Memory Used: ")


def test_cold_and_warm_invocations(lambda_client, make_function, record_property):
    name = make_function({"index.py": "def handler(event, context):\n    return event\n"})["FunctionName"]
    cold = invoke(lambda_client, name, {"i": 0})
    warm = [invoke(lambda_client, name, {"i": i}) for i in range(1, 6)]
    assert cold["payload"] == {"i": 0} and [w["payload"] for w in warm] == [{"i": i} for i in range(1, 6)]
    assert "Init Duration" in cold["logs"] and not any("Init Duration" in w["logs"] for w in warm)
    warm_median = statistics.median(w["seconds"] for w in warm)
    record_property("cold_invoke_seconds", round(cold["seconds"], 3))
    record_property("warm_invoke_median_seconds", round(warm_median, 3))
    warm_times = ", ".join(f"{w['seconds']:.3f}" for w in warm)
    print(f"\nhostprocess invoke: cold {cold['seconds']:.3f} s, warm median {warm_median:.3f} s (warm: {warm_times})")
    assert warm_median < 1.0


def test_environment_and_context_are_visible(lambda_client, probe):
    result = invoke(lambda_client, probe["FunctionName"], {"action": "environment"})
    assert result["function_error"] is None
    environ, context = result["payload"]["environ"], result["payload"]["context"]
    assert environ["GREETING"] == "hello from e2e"
    assert environ["AWS_LAMBDA_FUNCTION_NAME"] == probe["FunctionName"]
    assert environ["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert environ["AWS_REGION"] == REGION
    assert environ["_HANDLER"] == "index.handler"
    assert environ["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert environ["AWS_ACCESS_KEY_ID"] and environ["LOCALSTACK_RUNTIME_ID"]
    assert result["payload"]["cwd"] == environ["LAMBDA_TASK_ROOT"]
    assert context["function_name"] == probe["FunctionName"]
    assert context["function_version"] == "$LATEST"
    assert context["invoked_function_arn"] == probe["FunctionArn"]
    assert context["memory_limit_in_mb"] == "128"  # a string, as in AWS's Python runtime
    assert context["log_group_name"] == f"/aws/lambda/{probe['FunctionName']}"
    assert context["log_stream_name"].endswith(environ["LOCALSTACK_RUNTIME_ID"])
    assert 0 < context["remaining_ms"] <= 10_000
    assert context["identity"] is None and context["client_context"] is None
    assert f"START RequestId: {context['aws_request_id']}" in result["logs"]


def test_handler_reaches_localstack_through_boto3(lambda_client, client, probe, bucket):
    key = f"from-lambda/{uuid.uuid4().hex}.json"
    result = invoke(lambda_client, probe["FunctionName"], {"action": "put_object", "key": key})
    assert result["function_error"] is None, result["payload"]
    body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert json.loads(body) == {"action": "put_object", "key": key}


def test_handler_exception_is_an_unhandled_function_error(lambda_client, probe):
    result = invoke(lambda_client, probe["FunctionName"], {"action": "raise"})
    assert result["status"] == 200 and result["function_error"] == "Unhandled"
    error = result["payload"]
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "boom from the probe"
    assert isinstance(error["stackTrace"], list) and any("index.py" in frame for frame in error["stackTrace"])
    assert "[ERROR] ValueError: boom from the probe" in result["logs"]


def test_unserializable_result_is_a_marshal_error(lambda_client, probe):
    result = invoke(lambda_client, probe["FunctionName"], {"action": "unserializable"})
    assert result["function_error"] == "Unhandled"
    assert result["payload"]["errorType"] == "Runtime.MarshalError"
    assert result["payload"]["errorMessage"] == (
        "Unable to marshal response: Object of type set is not JSON serializable")


def test_layers_provide_modules_and_a_later_layer_wins(lambda_client, make_function, make_layer):
    first = make_layer({"python/layer_greeting.py": "def greet(name):\n    return f'hello {name}'\n",
                        "python/layer_shared.py": "ORIGIN = 'first'\n"})
    second = make_layer({"python/layer_shared.py": "ORIGIN = 'second'\n"})
    code = ("import layer_greeting\nimport layer_shared\n\n"
            "def handler(event, context):\n"
            "    return {'greeting': layer_greeting.greet(event['name']), 'shared': layer_shared.ORIGIN}\n")
    name = make_function({"index.py": code}, layers=[first, second])["FunctionName"]
    result = invoke(lambda_client, name, {"name": "layer"})
    assert result["function_error"] is None, result["payload"]
    assert result["payload"] == {"greeting": "hello layer", "shared": "second"}


def test_timeout_fails_the_invocation_and_restarts_the_runtime(lambda_client, make_function):
    name = make_function({"index.py": PROBE}, timeout=1)["FunctionName"]
    before = invoke(lambda_client, name, {"action": "echo"})
    timed_out = invoke(lambda_client, name, {"action": "sleep", "seconds": 3})
    assert timed_out["function_error"] == "Unhandled"
    assert timed_out["payload"]["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert timed_out["seconds"] < 2.9, "the invocation must end at the timeout, not when the handler returns"
    assert "Task timed out after 1.00 seconds" in timed_out["logs"] and "Status: timeout" in timed_out["logs"]
    after = invoke(lambda_client, name, {"action": "echo"})
    assert after["function_error"] is None, after["payload"]
    assert after["payload"]["init_id"] != before["payload"]["init_id"], "the runtime was not restarted"


@pytest.mark.parametrize(("handler", "error_type", "message"), [
    ("missing_module.handler", "Runtime.ImportModuleError",
     "Unable to import module 'missing_module': No module named 'missing_module'"),
    ("index.no_such_function", "Runtime.HandlerNotFound", "Handler 'no_such_function' missing on module 'index'"),
])
def test_bad_handler_name_fails_clearly(lambda_client, make_function, handler, error_type, message):
    name = make_function({"index.py": "def handler(event, context):\n    return 1\n"}, handler=handler)["FunctionName"]
    result = invoke(lambda_client, name, {})
    assert result["function_error"] == "Unhandled"
    assert result["payload"]["errorType"] == error_type
    assert result["payload"]["errorMessage"] == message


def test_nodejs_function_fails_clearly(lambda_client, make_function):
    config = make_function({"index.js": "exports.handler = async () => 1;\n"}, runtime="nodejs20.x")
    result = invoke(lambda_client, config["FunctionName"], {})
    assert result["function_error"] == "Unhandled"
    assert result["payload"]["errorType"] == "InvalidRuntimeException"
    assert "nodejs20.x" in result["payload"]["errorMessage"]
    assert "only Python runtimes" in result["payload"]["errorMessage"]


def test_image_function_fails_clearly(lambda_client, role_arn):
    name = f"sw-e2e-{uuid.uuid4().hex[:10]}"
    image = "000000000000.dkr.ecr.us-east-1.amazonaws.com/sagewatch-e2e:latest"
    lambda_client.create_function(FunctionName=name, PackageType="Image", Role=role_arn, Code={"ImageUri": image})
    try:
        wait_until(lambda: lambda_client.get_function_configuration(FunctionName=name)["State"] != "Pending",
                   timeout=30, what=f"function {name} to leave Pending")
        result = invoke(lambda_client, name, {})
        assert result["function_error"] == "Unhandled"
        assert result["payload"]["errorType"] == "InvalidRuntimeException"
        assert image in result["payload"]["errorMessage"]
        assert "only Python runtimes" in result["payload"]["errorMessage"]
    finally:
        lambda_client.delete_function(FunctionName=name)


def test_eventbridge_rule_delivers_an_event_to_the_function(lambda_client, client, probe, bucket):
    events = client("events")
    rule = f"sw-e2e-{uuid.uuid4().hex[:8]}"
    source = f"sagewatch.e2e.{uuid.uuid4().hex[:8]}"
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    try:
        lambda_client.add_permission(FunctionName=probe["FunctionName"], StatementId=rule,
                                     Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                                     SourceArn=rule_arn)
        events.put_targets(Rule=rule, Targets=[{"Id": "probe", "Arn": probe["FunctionArn"]}])
        key = f"from-eventbridge/{uuid.uuid4().hex}.json"
        detail = {"action": "put_object", "key": key}
        answer = events.put_events(Entries=[{"Source": source, "DetailType": "sagewatch e2e",
                                             "Detail": json.dumps(detail)}])
        assert answer["FailedEntryCount"] == 0
        s3 = client("s3")

        def delivered() -> bytes | None:
            try:
                return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            except s3.exceptions.NoSuchKey:
                return None

        body = wait_until(delivered, timeout=30, what=f"s3://{bucket}/{key} written by the function")
        assert json.loads(body) == dict(detail, source=source)
    finally:
        events.remove_targets(Rule=rule, Ids=["probe"])
        events.delete_rule(Name=rule)
