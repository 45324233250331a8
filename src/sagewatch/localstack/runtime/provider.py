"""SageMaker runtime provider (``sagemaker-runtime:default``).

``InvokeEndpoint`` looks the endpoint up in the control plane (moto's records: endpoint -> endpoint config ->
production variant -> model) and sends the request to a host-process worker running the model's inference
script (:mod:`sagewatch.localstack.runtime.serving`). moto's own ``InvokeEndpoint`` answers a fixed string
and does not check that the endpoint exists, so it is never used. ``InvokeEndpointAsync`` and
``InvokeEndpointWithResponseStream`` are not emulated yet and answer an AWS-shaped 501 error.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from localstack.aws.api import RequestContext, ServiceRequest

from sagewatch.localstack.dispatch import FallThroughProvider, Handler, not_emulated
from sagewatch.localstack.runtime.errors import ValidationError, endpoint_not_found, model_error
from sagewatch.localstack.runtime.serving import ServingError, ServingSettings, WorkerPool, container_spec


def _not_emulated(context: RequestContext, request: ServiceRequest) -> None:
    raise not_emulated(context)


class SageMakerRuntimeProvider(FallThroughProvider):
    """``sagemaker-runtime:default``."""

    service = "sagemaker-runtime"

    def __init__(self) -> None:
        self._settings = ServingSettings.from_environ(os.environ)
        self._pool: WorkerPool | None = None
        self._pool_lock = threading.Lock()

    def overrides(self) -> Mapping[str, Handler]:
        return {
            "InvokeEndpoint": self.invoke_endpoint,
            "InvokeEndpointAsync": _not_emulated,
            "InvokeEndpointWithResponseStream": _not_emulated,
        }

    def on_before_stop(self) -> None:
        if self._pool is not None:
            self._pool.close()

    # --- InvokeEndpoint -----------------------------------------------------------------------------------

    def invoke_endpoint(self, context: RequestContext, request: ServiceRequest) -> dict[str, Any]:
        account_id, region = context.account_id, context.region
        endpoint_name = request["EndpointName"]
        backend = _sagemaker_backend(account_id, region)
        endpoint = _describe(backend.describe_endpoint, endpoint_name)
        if endpoint is None:
            raise endpoint_not_found(endpoint_name, account_id)
        config = _describe(backend.describe_endpoint_config, endpoint["EndpointConfigName"]) or {}
        variant_name, model_name = _choose_variant(endpoint, config, request.get("TargetVariant"))
        pool = self._workers()
        try:
            model = _describe(backend.describe_model, model_name)
            if model is None:
                raise ServingError(f"Model {model_name} of variant {variant_name} does not exist any more.")
            spec = container_spec(model.response_object)
            worker = pool.worker(account_id, region, spec)
            result = worker.invoke(_read_body(request.get("Body")), request.get("ContentType"),
                                   request.get("Accept"))
        except ServingError as error:
            log_file = pool.log_file(account_id, region, model_name)
            raise model_error(error.status, str(error), str(log_file) if log_file.exists() else None,
                              from_model=error.from_model) from error
        return {"Body": result.body, "ContentType": result.content_type, "InvokedProductionVariant": variant_name}

    def _workers(self) -> WorkerPool:
        with self._pool_lock:
            if self._pool is None:
                from localstack import config

                self._pool = WorkerPool(
                    root=Path(config.dirs.tmp) / "sagewatch-serving",
                    download=_download,
                    environment=_worker_environment,
                    settings=self._settings,
                )
            return self._pool


def _sagemaker_backend(account_id: str, region: str) -> Any:
    from moto.backends import get_backend

    return get_backend("sagemaker")[account_id][region]


def _describe(describe: Any, name: str) -> Any:
    """Call a moto ``describe_*`` method; None when the resource does not exist."""
    from moto.core.exceptions import RESTError

    try:
        return describe(name)
    except RESTError:
        return None


def _choose_variant(endpoint: Mapping[str, Any], config: Mapping[str, Any],
                    target: str | None) -> tuple[str, str]:
    """Pick the production variant as SageMaker does: *target* if given, else at random by current weight."""
    configured = {v["VariantName"]: v for v in config.get("ProductionVariants", []) if v.get("ModelName")}
    deployed = [v for v in endpoint.get("ProductionVariants") or configured.values() if v["VariantName"] in configured]
    if not deployed:
        raise ValidationError(f"Endpoint {endpoint['EndpointName']} has no production variant with a model.")
    if target is not None:
        if target not in configured:
            raise ValidationError(f"Endpoint {endpoint['EndpointName']} has no production variant {target}.")
        return target, configured[target]["ModelName"]
    weights = [float(v.get("CurrentWeight", configured[v["VariantName"]].get("InitialVariantWeight", 1.0)))
               for v in deployed]
    chosen = random.choices(deployed, weights=weights)[0] if sum(weights) > 0 else deployed[0]  # noqa: S311
    return chosen["VariantName"], configured[chosen["VariantName"]]["ModelName"]


def _read_body(body: Any) -> bytes:
    if body is None:
        return b""
    if hasattr(body, "read"):
        body = body.read()
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def _download(account_id: str, region: str, bucket: str, key: str, destination: Path) -> None:
    from botocore.exceptions import ClientError
    from localstack.aws.connect import connect_to

    client = connect_to(aws_access_key_id=account_id, region_name=region).s3
    try:
        client.download_file(bucket, key, str(destination))
    except ClientError as error:
        raise ServingError(f"Cannot read s3://{bucket}/{key}: {error}", status=400) from error


def _worker_environment(account_id: str, region: str) -> dict[str, str]:
    """What a model worker needs to call LocalStack's AWS APIs the way a container reaches AWS."""
    from localstack import config

    return {
        "AWS_ENDPOINT_URL": config.internal_service_url(),
        "AWS_ACCESS_KEY_ID": account_id,
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
