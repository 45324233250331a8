"""SageMaker runtime provider (``sagemaker-runtime:default``): ``InvokeEndpoint`` against real model servers.

The endpoint's active deployment (:mod:`sagewatch.localstack.runtime.hosting`) picks a production variant
(``TargetVariant``, else at random by weight), the request goes to that variant's model server over a
keep-alive connection, a sampled capture record is appended to the local spool before the answer leaves, and
the invocation is counted for CloudWatch. moto's own ``InvokeEndpoint`` answers a fixed string and does not
check that the endpoint exists, so it is never used. While a variant's model server that stopped is being
replaced, its invocations answer ``ServiceUnavailable`` (503, retryable). ``InvokeEndpointAsync`` and
``InvokeEndpointWithResponseStream`` are not emulated and answer an AWS-shaped 501 error.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from localstack.aws.api import RequestContext, ServiceRequest

from sagewatch.localstack.capture import CapturedInvocation
from sagewatch.localstack.dispatch import FallThroughProvider, Handler
from sagewatch.localstack.errors import ModelError, NotEmulated, ServiceUnavailable, ValidationError
from sagewatch.localstack.runtime.hosting import Hosting, get_hosting, shutdown_hosting
from sagewatch.localstack.runtime.servers import ServerUnavailableError

__all__ = ["SageMakerRuntimeProvider", "read_body"]


def _not_emulated(context: RequestContext, request: ServiceRequest) -> None:
    raise NotEmulated.operation(context.service.service_name, context.operation.name)


def read_body(body: Any) -> bytes:
    """The request body as bytes (LocalStack hands it over as a stream).

    Examples
    --------
    >>> import io
    >>> read_body(io.BytesIO(b"1,2")), read_body("é"), read_body(None)
    (b'1,2', b'\\xc3\\xa9', b'')
    """
    if body is None:
        return b""
    if hasattr(body, "read"):
        body = body.read()
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


class SageMakerRuntimeProvider(FallThroughProvider):
    """``sagemaker-runtime:default``; *hosting* is resolved on first use unless given (tests)."""

    service = "sagemaker-runtime"

    def __init__(self, hosting: Hosting | None = None) -> None:
        self._hosting = hosting

    @property
    def hosting(self) -> Hosting:
        if self._hosting is None:
            self._hosting = get_hosting()
        return self._hosting

    def overrides(self) -> Mapping[str, Handler]:
        return {
            "InvokeEndpoint": self.invoke_endpoint,
            "InvokeEndpointAsync": _not_emulated,
            "InvokeEndpointWithResponseStream": _not_emulated,
        }

    def on_after_init(self) -> None:
        self.hosting  # noqa: B018 - start hosting now: leftover capture files of a previous run are uploaded

    def on_before_stop(self) -> None:
        shutdown_hosting()

    def invoke_endpoint(self, context: RequestContext, request: ServiceRequest) -> dict[str, Any]:
        started = time.perf_counter()
        inference_time = datetime.now(timezone.utc)
        account_id, region, name = context.account_id, context.region, request["EndpointName"]
        hosting = self.hosting
        endpoint = hosting.get(account_id, region, name)
        deployment = endpoint.enter() if endpoint is not None else None
        if deployment is None:
            raise ValidationError.endpoint_not_found(name, account_id)
        try:
            target = request.get("TargetVariant")
            variant = deployment.choose(target)
            if variant is None or variant.server is None:
                if target is not None:
                    raise ValidationError(f"The variant {target} does not exist for endpoint {name}.")
                raise ValidationError(f"Endpoint {name} has no production variant with a weight above 0; "
                                      "name one with TargetVariant.")
            body = read_body(request.get("Body"))
            content_type, accept = request.get("ContentType"), request.get("Accept")
            custom_attributes = request.get("CustomAttributes")
            model_started = time.perf_counter()
            try:
                response = variant.server.invoke(body, content_type, accept, custom_attributes)
            except ServerUnavailableError as error:
                hosting.metrics.record(variant.key, model_latency_us=None, model_status=None,
                                       overhead_latency_us=(time.perf_counter() - started) * 1e6)
                if not variant.server.ready:  # the server stopped: hosting starts a new one
                    hosting.server_gone()
                    raise ServiceUnavailable(f"The model server of production variant {variant.name} of endpoint "
                                             f"{name} is not running; a new one is being started. Try your call "
                                             "again.") from error
                raise ModelError.from_model(500, f"The model server of production variant {variant.name} did not answer: "
                                       f"{error}", self._log_hint(endpoint, variant.name), from_model=False,
                                  log_stream_arn=_log_group_arn(context, name)) from error
            model_us = (time.perf_counter() - model_started) * 1e6
            if not 200 <= response.status < 300:
                hosting.metrics.record(variant.key, model_latency_us=model_us, model_status=response.status,
                                       overhead_latency_us=(time.perf_counter() - started) * 1e6 - model_us)
                raise ModelError.from_model(response.status, response.body.decode("utf-8", "replace"),
                                  self._log_hint(endpoint, variant.name),
                                  log_stream_arn=_log_group_arn(context, name))
            output_type = response.content_type or accept or "application/json"
            capture = deployment.capture
            if capture is not None:
                capture.capture(variant.name, CapturedInvocation(
                    inference_time=inference_time, input_data=body, input_content_type=content_type,
                    output_data=response.body, output_content_type=output_type,
                    inference_id=request.get("InferenceId"), custom_attributes=custom_attributes))
            answer: dict[str, Any] = {"Body": response.body, "ContentType": output_type,
                                      "InvokedProductionVariant": variant.name}
            if response.custom_attributes is not None:
                answer["CustomAttributes"] = response.custom_attributes
            hosting.metrics.record(variant.key, model_latency_us=model_us, model_status=response.status,
                                   overhead_latency_us=(time.perf_counter() - started) * 1e6 - model_us)
            return answer
        finally:
            deployment.exit()

    def _log_hint(self, endpoint: Any, variant: str) -> str:
        return str(self.hosting.log_file(endpoint.account_id, endpoint.region, endpoint.name, variant))


def _log_group_arn(context: RequestContext, endpoint_name: str) -> str:
    return (f"arn:{context.partition or 'aws'}:logs:{context.region}:{context.account_id}:log-group:"
            f"/aws/sagemaker/Endpoints/{endpoint_name}")
