"""Endpoint operations of the SageMaker control plane: moto records, sagewatch runs the endpoints.

moto (``moto-ext`` 5.1.20) keeps models, endpoint configs and endpoints, but checks nothing, marks endpoints
``InService`` at once, runs no model and has no ``UpdateEndpoint``. These handlers check requests as SageMaker
does, let moto record them, and drive :class:`sagewatch.localstack.runtime.hosting.Hosting`:

- ``CreateModel``: the image must be one sagewatch serves (SageMaker scikit-learn and XGBoost images of any
  region, ``sagewatch-serving`` in any registry, ``SAGEWATCH_IMAGE_MAP``) and ``ModelDataUrl`` must exist in S3;
- ``CreateEndpointConfig``: ``DataCaptureConfig`` and ``ProductionVariants`` against the API's constraints;
- ``CreateEndpoint``: ``Creating`` while a model server per variant starts, then ``InService`` or ``Failed``;
- ``DescribeEndpoint``/``ListEndpoints``: the real status, variants and ``DataCaptureConfig`` summary;
- ``UpdateEndpoint``: blue/green, ``UpdateEndpointWeightsAndCapacities``, ``DeleteEndpoint``.

:func:`endpoint_overrides` returns the handlers for :meth:`SageMakerProvider.overrides`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from localstack.aws.api import RequestContext, ServiceRequest
from localstack.aws.spec import load_service
from localstack.services.moto import call_moto

from sagewatch.localstack.errors import ValidationException
from sagewatch.localstack.runtime.hosting import CREATING, IN_SERVICE, UPDATING, EndpointRuntime, Hosting, get_hosting
from sagewatch.localstack.runtime.servers import ServedModel
from sagewatch.localstack.sagemaker.endpoints.validation import shape_errors

__all__ = ["EndpointHandlers", "endpoint_overrides"]

_LIST_PAGE = 100


def _backend(context: RequestContext) -> Any:
    from moto.backends import get_backend

    return get_backend("sagemaker")[context.account_id][context.region]


def _model(backend: Any, name: str) -> Any:
    """moto's record of model *name*, or None."""
    from moto.core.exceptions import RESTError

    try:
        return backend.describe_model(name)
    except RESTError:
        return None


def _arn(context: RequestContext, kind: str, name: str) -> str:
    return f"arn:{context.partition or 'aws'}:sagemaker:{context.region}:{context.account_id}:{kind}/{name}"


class EndpointHandlers:
    """The endpoint handlers; *hosting* is resolved on first use unless given (tests)."""

    def __init__(self, hosting: Hosting | None = None) -> None:
        self._hosting = hosting

    @property
    def hosting(self) -> Hosting:
        if self._hosting is None:
            self._hosting = get_hosting()
        return self._hosting

    def overrides(self) -> dict[str, Any]:
        return {
            "CreateModel": self.create_model,
            "CreateEndpointConfig": self.create_endpoint_config,
            "CreateEndpoint": self.create_endpoint,
            "DescribeEndpoint": self.describe_endpoint,
            "ListEndpoints": self.list_endpoints,
            "UpdateEndpoint": self.update_endpoint,
            "UpdateEndpointWeightsAndCapacities": self.update_endpoint_weights_and_capacities,
            "DeleteEndpoint": self.delete_endpoint,
        }

    # --- models ------------------------------------------------------------------------------------------

    def create_model(self, context: RequestContext, request: ServiceRequest) -> Any:
        name = request["ModelName"]
        backend = _backend(context)
        if _model(backend, name) is not None:
            raise ValidationException.already_exists("model", _arn(context, "model", name))
        if request.get("PrimaryContainer") or request.get("Containers"):
            try:
                served = ServedModel.from_description(request)
            except ValueError as error:
                raise ValidationException(str(error)) from error
            if not self.hosting.servable(served.image):
                raise ValidationException(
                    f"Requested image {served.image or '(none)'} not found: sagewatch serves the SageMaker "
                    "scikit-learn and XGBoost framework images (any region), sagewatch-serving images (any "
                    "registry) and the images mapped to sagewatch-serving in SAGEWATCH_IMAGE_MAP.")
            if served.model_data_url and not _s3_object_exists(context, served.model_data_url):
                raise ValidationException(f"Could not find model data at {served.model_data_url}.")
        return call_moto(context)

    # --- endpoint configs --------------------------------------------------------------------------------

    def create_endpoint_config(self, context: RequestContext, request: ServiceRequest) -> Any:
        name = request["EndpointConfigName"]
        backend = _backend(context)
        if name in backend.endpoint_configs:
            raise ValidationException.already_exists("endpoint configuration", _arn(context, "endpoint-config", name))
        members = context.operation.input_shape.members
        errors = shape_errors(request.get("ProductionVariants"), members["ProductionVariants"], "productionVariants")
        errors += shape_errors(request.get("DataCaptureConfig"), members["DataCaptureConfig"], "dataCaptureConfig")
        if errors:
            raise ValidationException.detected(errors)
        variants = request.get("ProductionVariants") or []
        seen: set[str] = set()
        for variant in variants:
            variant_name = variant["VariantName"]
            if variant_name in seen:
                raise ValidationException(f'The variant name "{variant_name}" was non-unique within the request.')
            seen.add(variant_name)
            model_name = variant.get("ModelName")
            if not model_name:
                raise ValidationException(f"Production variant {variant_name} names no model (ModelName).")
            if _model(backend, model_name) is None:
                raise ValidationException.could_not_find("model", _arn(context, "model", model_name))
        return call_moto(context)

    # --- endpoints ---------------------------------------------------------------------------------------

    def _endpoint(self, context: RequestContext, name: str) -> EndpointRuntime:
        endpoint = self.hosting.get(context.account_id, context.region, name)
        if endpoint is None:
            raise ValidationException.could_not_find("endpoint", _arn(context, "endpoint", name))
        return endpoint

    def _config_and_models(self, context: RequestContext, config_name: str) -> tuple[dict[str, Any],
                                                                                       dict[str, dict[str, Any]]]:
        backend = _backend(context)
        config = backend.endpoint_configs.get(config_name)
        if config is None:
            raise ValidationException.could_not_find("endpoint configuration", _arn(context, "endpoint-config", config_name))
        description = config.response_object
        models = {}
        for variant in description.get("ProductionVariants") or []:
            model = _model(backend, variant.get("ModelName", ""))
            if model is not None:
                models[model.model_name] = model.response_object
        return description, models

    def create_endpoint(self, context: RequestContext, request: ServiceRequest) -> Any:
        name, config_name = request["EndpointName"], request["EndpointConfigName"]
        if name in _backend(context).endpoints or self.hosting.get(context.account_id, context.region, name):
            raise ValidationException.already_exists("endpoint", _arn(context, "endpoint", name))
        config, models = self._config_and_models(context, config_name)
        answer = call_moto(context)
        self.hosting.create(context.account_id, context.region, name, answer["EndpointArn"], config_name, config,
                            models)
        return answer

    def describe_endpoint(self, context: RequestContext, request: ServiceRequest) -> Any:
        name = request["EndpointName"]
        endpoint = self._endpoint(context, name)
        answer = call_moto(context)
        return _overlay(answer, endpoint)

    def list_endpoints(self, context: RequestContext, request: ServiceRequest) -> Any:
        endpoints = self.hosting.endpoints(context.account_id, context.region)
        text = request.get("NameContains")
        status = request.get("StatusEquals")
        bounds = [("CreationTimeBefore", "creation_time", lambda a, b: a < b),
                  ("CreationTimeAfter", "creation_time", lambda a, b: a > b),
                  ("LastModifiedTimeBefore", "last_modified_time", lambda a, b: a < b),
                  ("LastModifiedTimeAfter", "last_modified_time", lambda a, b: a > b)]
        chosen = []
        for endpoint in endpoints:
            if text and text not in endpoint.name:
                continue
            if status and endpoint.status != status:
                continue
            if any(request.get(field) is not None and not compare(getattr(endpoint, attribute), _utc(request[field]))
                   for field, attribute, compare in bounds):
                continue
            chosen.append(endpoint)
        sort_by = request.get("SortBy") or "CreationTime"
        sort_key = {"Name": lambda e: e.name, "Status": lambda e: e.status}.get(sort_by, lambda e: e.creation_time)
        chosen.sort(key=sort_key, reverse=(request.get("SortOrder") or "Descending") == "Descending")
        start = int(request.get("NextToken") or 0)
        size = int(request.get("MaxResults") or _LIST_PAGE)
        page = chosen[start:start + size]
        answer: dict[str, Any] = {"Endpoints": [
            {"EndpointName": e.name, "EndpointArn": e.arn, "CreationTime": e.creation_time,
             "LastModifiedTime": e.last_modified_time, "EndpointStatus": e.status} for e in page]}
        if start + size < len(chosen):
            answer["NextToken"] = str(start + size)
        return answer

    def update_endpoint(self, context: RequestContext, request: ServiceRequest) -> Any:
        endpoint = self._endpoint(context, request["EndpointName"])
        with endpoint.lock:
            if endpoint.status in (CREATING, UPDATING) or endpoint.pending is not None:
                raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
            if endpoint.status != IN_SERVICE or endpoint.deployment is None:
                raise ValidationException(f'Cannot update endpoint "{endpoint.arn}" in status {endpoint.status}; '
                                           "delete it and create it again.")
            config, models = self._config_and_models(context, request["EndpointConfigName"])
            excluded = [item.get("VariantPropertyType") for item in request.get("ExcludeRetainedVariantProperties")
                        or []]
            self.hosting.update(endpoint, request["EndpointConfigName"], config, models,
                                retain_variant_properties=bool(request.get("RetainAllVariantProperties")),
                                excluded_properties=excluded)
        return {"EndpointArn": endpoint.arn}

    def update_endpoint_weights_and_capacities(self, context: RequestContext, request: ServiceRequest) -> Any:
        endpoint = self._endpoint(context, request["EndpointName"])
        desired = request.get("DesiredWeightsAndCapacities") or []
        shape = context.operation.input_shape.members["DesiredWeightsAndCapacities"]
        errors = shape_errors(desired, shape, "desiredWeightsAndCapacities")
        if errors:
            raise ValidationException.detected(errors)
        with endpoint.lock:
            if endpoint.status != IN_SERVICE or endpoint.deployment is None or endpoint.pending is not None:
                raise ValidationException(f'Cannot update in-progress endpoint "{endpoint.arn}".')
            seen: set[str] = set()
            for item in desired:
                variant = item["VariantName"]
                if variant in seen:
                    raise ValidationException(f'The variant name "{variant}" was non-unique within the request.')
                seen.add(variant)
                if variant not in endpoint.deployment.variants:
                    raise ValidationException(
                        f'The variant name(s) "{variant}" is/are not present within endpoint configuration '
                        f'"{endpoint.config_name}".')
            self.hosting.update_weights(endpoint, desired)
        return {"EndpointArn": endpoint.arn}

    def delete_endpoint(self, context: RequestContext, request: ServiceRequest) -> Any:
        endpoint = self._endpoint(context, request["EndpointName"])
        if request["EndpointName"] in _backend(context).endpoints:
            call_moto(context)
        self.hosting.delete(endpoint)
        return {}


def _utc(value: Any) -> datetime:
    """A request timestamp as an aware UTC datetime (naive values are UTC)."""
    if not isinstance(value, datetime):
        value = datetime.fromtimestamp(float(value), tz=timezone.utc)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _overlay(answer: dict[str, Any], endpoint: EndpointRuntime) -> dict[str, Any]:
    """moto's DescribeEndpoint answer with sagewatch's status, variants and capture summary."""
    from sagewatch.localstack.runtime.deployment import variant_summary

    answer = {key: value for key, value in answer.items()
              if key not in ("ProductionVariants", "DataCaptureConfig", "FailureReason", "PendingDeploymentSummary")}
    with endpoint.lock:
        answer["EndpointStatus"] = endpoint.status
        answer["EndpointConfigName"] = endpoint.config_name
        answer["CreationTime"] = endpoint.creation_time
        answer["LastModifiedTime"] = endpoint.last_modified_time
        if endpoint.failure_reason:
            answer["FailureReason"] = endpoint.failure_reason
        active, pending = endpoint.deployment, endpoint.pending
        shown = active or pending
        if shown is not None:
            status = CREATING if active is None and endpoint.status == CREATING else None
            answer["ProductionVariants"] = [variant_summary(v, status, endpoint.pending_since)
                                            for v in shown.variants.values()]
            if shown.capture_config is not None:
                answer["DataCaptureConfig"] = shown.capture_config.summary()
        if active is not None and pending is not None:
            answer["PendingDeploymentSummary"] = {
                "EndpointConfigName": pending.config_name,
                "ProductionVariants": [_pending_variant(v, endpoint) for v in pending.variants.values()],
                "StartTime": endpoint.pending_since,
            }
    return answer


def _pending_variant(variant: Any, endpoint: EndpointRuntime) -> dict[str, Any]:
    from sagewatch.localstack.runtime.deployment import variant_summary

    summary = variant_summary(variant, "Creating", endpoint.pending_since)
    if variant.instance_type:
        summary["InstanceType"] = variant.instance_type
    return summary


def _s3_object_exists(context: RequestContext, uri: str) -> bool:
    from botocore.exceptions import ClientError
    from localstack.aws.connect import connect_to

    from sagewatch.schemas.s3_uri import split_s3_uri
    from sagewatch.errors import InvalidParameterError

    try:
        bucket, key = split_s3_uri(uri)
    except InvalidParameterError:
        return False
    if not key:
        return False
    client = connect_to(aws_access_key_id=context.account_id, region_name=context.region).s3
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError:
        return False
    return True


def endpoint_overrides(hosting: Hosting | None = None) -> Mapping[str, Any]:
    """The endpoint handlers to merge into :meth:`SageMakerProvider.overrides`.

    Examples
    --------
    >>> sorted(endpoint_overrides())[:3]
    ['CreateEndpoint', 'CreateEndpointConfig', 'CreateModel']
    """
    operations = set(load_service("sagemaker").operation_names)
    handlers = EndpointHandlers(hosting).overrides()
    assert set(handlers) <= operations
    return handlers
