"""Monitoring job definitions: Create/Describe/List/Delete {DataQuality,ModelQuality,ModelBias,ModelExplainability}
JobDefinition (contract §9.2).

moto records some of these, with quirks (a fixed fake ``EndpointName`` in summaries, duplicates overwritten or
rejected depending on the type; ``localstack-plugin.md`` §9). Monitoring schedules need the definitions, so
sagewatch owns all four families here, in its own store, and validates them the same way.

:class:`ExecutionDefinition` is the one shape monitoring executions are built from, whether a schedule names
a job definition or carries an inline ``MonitoringJobDefinition``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from localstack.aws.api import RequestContext

from sagewatch.localstack.errors import ResourceInUse, ResourceNotFound, ValidationException
from sagewatch.localstack.sagemaker.common import (
    check_cluster_config,
    check_enum,
    check_environment,
    check_int_range,
    check_name,
    check_role_arn,
    check_s3_uri,
    deep_copy,
    paginate,
    sagemaker_arn,
    sort_items,
    time_filters,
    utcnow,
    without_none,
)
from sagewatch.localstack.sagemaker.monitoring.cron import ScheduleError, parse_offset
from sagewatch.localstack.sagemaker.store import SageMakerStore

__all__ = ["KINDS", "MONITORING_TYPES", "ExecutionDefinition", "JobDefinition", "JobDefinitionService",
           "check_job_input", "check_monitoring_outputs"]

MONITORING_TYPES = ("DataQuality", "ModelQuality", "ModelBias", "ModelExplainability")
MAX_MONITORING_RUNTIME = 86_400


@dataclass(frozen=True)
class Kind:
    """One family of job definitions: its monitoring type (the request prefix) and ARN resource type."""

    monitoring_type: str
    arn_type: str
    ground_truth: bool = False
    config_uri: bool = False


KINDS = {
    "DataQuality": Kind("DataQuality", "data-quality-job-definition"),
    "ModelQuality": Kind("ModelQuality", "model-quality-job-definition", ground_truth=True),
    "ModelBias": Kind("ModelBias", "model-bias-job-definition", ground_truth=True, config_uri=True),
    "ModelExplainability": Kind("ModelExplainability", "model-explainability-job-definition", config_uri=True),
}


# --- checks shared with inline MonitoringJobDefinitions --------------------------------------------------------


def _check_offsets(item: Mapping[str, Any], where: str) -> None:
    for key in ("StartTimeOffset", "EndTimeOffset"):
        if item.get(key) is not None:
            try:
                parse_offset(item[key], key)
            except ScheduleError as error:
                raise ValidationException(f"{where}.{key}: {error}") from error


def check_job_input(job_input: Any, where: str, *, ground_truth: bool = False) -> dict[str, Any]:
    """Check a job input holding exactly one ``EndpointInput`` or ``BatchTransformInput``; fill defaults."""
    if not isinstance(job_input, Mapping):
        raise ValidationException(f"{where} is required.")
    endpoint, batch = job_input.get("EndpointInput"), job_input.get("BatchTransformInput")
    if (endpoint is None) == (batch is None):
        raise ValidationException(f"{where} must have exactly one of EndpointInput and BatchTransformInput.")
    normalized = deep_copy(dict(job_input))
    item = endpoint if endpoint is not None else batch
    key = "EndpointInput" if endpoint is not None else "BatchTransformInput"
    if endpoint is not None:
        check_name(endpoint.get("EndpointName"), f"{where}.endpointInput.endpointName")
    else:
        check_s3_uri(batch.get("DataCapturedDestinationS3Uri"), f"{where}.batchTransformInput.dataCapturedDestinationS3Uri")
        if not isinstance(batch.get("DatasetFormat"), Mapping):
            raise ValidationException(f"{where}.BatchTransformInput.DatasetFormat is required.")
    local_path = item.get("LocalPath")
    if not isinstance(local_path, str) or not local_path.startswith("/"):
        raise ValidationException.constraint(f"{where}.{key[0].lower()}{key[1:]}.localPath", local_path,
                               "Member must be an absolute path")
    merged = {"S3InputMode": "File", "S3DataDistributionType": "FullyReplicated",
              **{k: v for k, v in item.items() if v is not None}}
    check_enum(merged["S3InputMode"], f"{where}.s3InputMode", ("Pipe", "File", "FastFile"))
    check_enum(merged["S3DataDistributionType"], f"{where}.s3DataDistributionType",
               ("FullyReplicated", "ShardedByS3Key"))
    _check_offsets(item, f"{where}.{key}")
    normalized[key] = merged
    if ground_truth:
        truth = job_input.get("GroundTruthS3Input")
        if not isinstance(truth, Mapping):
            raise ValidationException(f"{where}.GroundTruthS3Input is required.")
        check_s3_uri(truth.get("S3Uri"), f"{where}.groundTruthS3Input.s3Uri")
    return normalized


def check_monitoring_outputs(config: Any, where: str) -> dict[str, Any]:
    """Check a ``MonitoringOutputConfig`` with exactly one S3 output; ``S3UploadMode`` defaults to Continuous."""
    if not isinstance(config, Mapping) or not isinstance(config.get("MonitoringOutputs"), list):
        raise ValidationException(f"{where}.MonitoringOutputs is required.")
    outputs = config["MonitoringOutputs"]
    if len(outputs) != 1:
        raise ValidationException.constraint(f"{where}.monitoringOutputs", f"<{len(outputs)} outputs>",
                               "Member must have length less than or equal to 1 and greater than or equal to 1")
    s3_output = outputs[0].get("S3Output") if isinstance(outputs[0], Mapping) else None
    if not isinstance(s3_output, Mapping):
        raise ValidationException(f"{where}.MonitoringOutputs[0].S3Output is required.")
    check_s3_uri(s3_output.get("S3Uri"), f"{where}.monitoringOutputs.1.member.s3Output.s3Uri")
    local_path = s3_output.get("LocalPath")
    if not isinstance(local_path, str) or not local_path.startswith("/"):
        raise ValidationException.constraint(f"{where}.monitoringOutputs.1.member.s3Output.localPath", local_path,
                               "Member must be an absolute path")
    merged = {"S3UploadMode": "Continuous", **{k: v for k, v in s3_output.items() if v is not None}}
    check_enum(merged["S3UploadMode"], f"{where}.monitoringOutputs.1.member.s3Output.s3UploadMode",
               ("Continuous", "EndOfJob"))
    return {**deep_copy(dict(config)), "MonitoringOutputs": [{"S3Output": merged}]}


def check_baseline(config: Any, where: str) -> None:
    if config is None:
        return
    if not isinstance(config, Mapping):
        raise ValidationException(f"{where} must be a structure.")
    for key in ("ConstraintsResource", "StatisticsResource"):
        resource = config.get(key)
        if resource is not None and resource.get("S3Uri") is not None:
            check_s3_uri(resource["S3Uri"], f"{where}.{key[0].lower()}{key[1:]}.s3Uri")


def check_stopping_condition(condition: Any, where: str) -> None:
    if condition is not None:
        check_int_range((condition or {}).get("MaxRuntimeInSeconds"), f"{where}.maxRuntimeInSeconds", 1,
                        MAX_MONITORING_RUNTIME)


# --- the one shape executions are built from ----------------------------------------------------------------


@dataclass(frozen=True)
class ExecutionDefinition:
    """What a monitoring execution needs, from a job definition or an inline ``MonitoringJobDefinition``."""

    monitoring_type: str
    app_specification: dict[str, Any]
    environment: dict[str, str]
    job_input: dict[str, Any]
    output_config: dict[str, Any]
    cluster_config: dict[str, Any]
    role_arn: str
    baseline: dict[str, Any] = field(default_factory=dict)
    stopping_condition: dict[str, Any] | None = None
    network_config: dict[str, Any] | None = None
    job_definition_name: str | None = None

    @property
    def endpoint_input(self) -> dict[str, Any] | None:
        return self.job_input.get("EndpointInput")

    @property
    def endpoint_name(self) -> str | None:
        return (self.endpoint_input or {}).get("EndpointName")

    @property
    def s3_output(self) -> dict[str, Any]:
        return self.output_config["MonitoringOutputs"][0]["S3Output"]

    @classmethod
    def from_inline(cls, monitoring_type: str, definition: Mapping[str, Any]) -> ExecutionDefinition:
        inputs = definition["MonitoringInputs"]
        app = dict(definition["MonitoringAppSpecification"])
        return cls(
            monitoring_type=monitoring_type,
            app_specification=app,
            environment=dict(definition.get("Environment") or {}),
            job_input=dict(inputs[0]),
            output_config=dict(definition["MonitoringOutputConfig"]),
            cluster_config=dict(definition["MonitoringResources"]["ClusterConfig"]),
            role_arn=definition["RoleArn"],
            baseline=dict(definition.get("BaselineConfig") or {}),
            stopping_condition=definition.get("StoppingCondition"),
            network_config=definition.get("NetworkConfig"),
        )


@dataclass(eq=False)
class JobDefinition:
    account_id: str
    region: str
    kind: Kind
    name: str
    arn: str
    request: dict[str, Any]
    creation_time: datetime

    def member(self, suffix: str) -> Any:
        return self.request.get(f"{self.kind.monitoring_type}{suffix}")

    @property
    def endpoint_name(self) -> str | None:
        return ((self.member("JobInput") or {}).get("EndpointInput") or {}).get("EndpointName")

    def describe(self) -> dict[str, Any]:
        answer = {"JobDefinitionArn": self.arn, "JobDefinitionName": self.name, "CreationTime": self.creation_time}
        answer.update({k: deep_copy(v) for k, v in self.request.items() if k not in ("Tags", "JobDefinitionName")})
        return answer

    def summary(self) -> dict[str, Any]:
        return without_none({"MonitoringJobDefinitionName": self.name, "MonitoringJobDefinitionArn": self.arn,
                             "CreationTime": self.creation_time, "EndpointName": self.endpoint_name})

    def execution_definition(self) -> ExecutionDefinition:
        app = dict(self.member("AppSpecification"))
        environment = dict(app.pop("Environment", None) or {})
        resources = self.request["JobResources"]["ClusterConfig"]
        return ExecutionDefinition(
            monitoring_type=self.kind.monitoring_type,
            app_specification=app,
            environment=environment,
            job_input=dict(self.member("JobInput")),
            output_config=dict(self.member("JobOutputConfig")),
            cluster_config=dict(resources),
            role_arn=self.request["RoleArn"],
            baseline=dict(self.member("BaselineConfig") or {}),
            stopping_condition=self.request.get("StoppingCondition"),
            network_config=self.request.get("NetworkConfig"),
            job_definition_name=self.name,
        )


def validate_definition_request(kind: Kind, request: Mapping[str, Any]) -> dict[str, Any]:
    """Check a Create<T>JobDefinition request; return it with defaults filled in."""
    prefix = kind.monitoring_type
    lower = prefix[0].lower() + prefix[1:]
    check_name(request.get("JobDefinitionName"), "jobDefinitionName")
    app = request.get(f"{prefix}AppSpecification")
    image = app.get("ImageUri") if isinstance(app, Mapping) else None
    if not isinstance(image, str) or not image.strip() or len(image) > 255:
        raise ValidationException.constraint(f"{lower}AppSpecification.imageUri", image, "Member must have length between 1 and 255")
    if kind.config_uri:
        check_s3_uri(app.get("ConfigUri"), f"{lower}AppSpecification.configUri")
    if kind.monitoring_type == "ModelQuality" and app.get("ProblemType") is not None:
        check_enum(app["ProblemType"], "modelQualityAppSpecification.problemType",
                   ("BinaryClassification", "MulticlassClassification", "Regression"))
    check_environment(app.get("Environment"), f"{lower}AppSpecification.environment", 50)
    normalized = {key: deep_copy(value) for key, value in request.items() if value is not None}
    normalized[f"{prefix}JobInput"] = check_job_input(request.get(f"{prefix}JobInput"), f"{lower}JobInput",
                                                      ground_truth=kind.ground_truth)
    normalized[f"{prefix}JobOutputConfig"] = check_monitoring_outputs(request.get(f"{prefix}JobOutputConfig"),
                                                                      f"{lower}JobOutputConfig")
    check_baseline(request.get(f"{prefix}BaselineConfig"), f"{lower}BaselineConfig")
    resources = request.get("JobResources")
    check_cluster_config((resources or {}).get("ClusterConfig"), "jobResources.clusterConfig")
    check_role_arn(request.get("RoleArn"))
    check_stopping_condition(request.get("StoppingCondition"), "stoppingCondition")
    return normalized


class JobDefinitionService:
    """The four job-definition families of every account and region, and their handlers.

    Parameters
    ----------
    clock : callable, optional
    store : SageMakerStore, optional
        Where the definitions are kept (a new store by default); a definition one of the store's schedules
        uses cannot be deleted.
    """

    def __init__(self, clock: Callable[[], datetime] = utcnow, *, store: SageMakerStore | None = None) -> None:
        self.clock = clock
        self.store = store or SageMakerStore()
        self._lock = threading.RLock()

    def _family(self, account_id: str, region: str, monitoring_type: str) -> dict[str, JobDefinition]:
        return self.store[account_id, region].job_definitions.setdefault(monitoring_type, {})

    def used_by(self, account_id: str, region: str, monitoring_type: str, name: str) -> str | None:
        """The schedule that uses the definition, if any."""
        for schedule in list(self.store[account_id, region].schedules.values()):
            if schedule.monitoring_type == monitoring_type and schedule.job_definition_name == name:
                return schedule.name
        return None

    def find(self, account_id: str, region: str, monitoring_type: str, name: str) -> JobDefinition | None:
        with self._lock:
            return self._family(account_id, region, monitoring_type).get(name)

    def get(self, account_id: str, region: str, monitoring_type: str, name: str) -> JobDefinition:
        definition = self.find(account_id, region, monitoring_type, name)
        if definition is None:
            arn = sagemaker_arn(KINDS[monitoring_type].arn_type, name, account_id, region)
            raise ResourceNotFound(f"Could not find job definition {arn}.")
        return definition

    def create(self, account_id: str, region: str, kind: Kind, request: Mapping[str, Any]) -> JobDefinition:
        normalized = validate_definition_request(kind, request)
        name = normalized["JobDefinitionName"]
        arn = sagemaker_arn(kind.arn_type, name, account_id, region)
        definition = JobDefinition(account_id, region, kind, name, arn, normalized, self.clock())
        with self._lock:
            family = self._family(account_id, region, kind.monitoring_type)
            if name in family:
                raise ResourceInUse(f"Job definition {arn} already exists.")
            family[name] = definition
        return definition

    def delete(self, account_id: str, region: str, kind: Kind, name: str) -> None:
        definition = self.get(account_id, region, kind.monitoring_type, name)
        schedule = self.used_by(account_id, region, kind.monitoring_type, name)
        if schedule is not None:  # ValidationException: botocore lists only ResourceNotFound for the Delete calls
            raise ValidationException(f"Job definition {definition.arn} is used by monitoring schedule {schedule}; "
                                      "delete the schedule first.")
        with self._lock:
            self._family(account_id, region, kind.monitoring_type).pop(name, None)

    def list(self, account_id: str, region: str, kind: Kind, request: Mapping[str, Any]) -> dict[str, Any]:
        with self._lock:
            definitions = list(self._family(account_id, region, kind.monitoring_type).values())
        contains = (request.get("NameContains") or "").lower()
        checks = time_filters(request, {"CreationTime": "CreationTime"})
        summaries = [s for s in (d.summary() for d in definitions)
                     if contains in s["MonitoringJobDefinitionName"].lower()
                     and request.get("EndpointName") in (None, s.get("EndpointName"))
                     and all(check(s) for check in checks)]
        ordered = sort_items(summaries, request, {"Name": "MonitoringJobDefinitionName", "CreationTime": "CreationTime"},
                             "CreationTime", "MonitoringJobDefinitionName")
        page, token = paginate(ordered, request)
        return without_none({"JobDefinitionSummaries": page, "NextToken": token})

    def handlers(self) -> dict[str, Callable[[RequestContext, Mapping[str, Any]], Any]]:
        table: dict[str, Callable[[RequestContext, Mapping[str, Any]], Any]] = {}
        for kind in KINDS.values():
            prefix = kind.monitoring_type
            table[f"Create{prefix}JobDefinition"] = self._create_handler(kind)
            table[f"Describe{prefix}JobDefinition"] = self._describe_handler(kind)
            table[f"List{prefix}JobDefinitions"] = self._list_handler(kind)
            table[f"Delete{prefix}JobDefinition"] = self._delete_handler(kind)
        return table

    def _create_handler(self, kind: Kind) -> Callable[[RequestContext, Mapping[str, Any]], Any]:
        def create(context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
            return {"JobDefinitionArn": self.create(context.account_id, context.region, kind, request).arn}
        return create

    def _describe_handler(self, kind: Kind) -> Callable[[RequestContext, Mapping[str, Any]], Any]:
        def describe(context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
            return self.get(context.account_id, context.region, kind.monitoring_type,
                            request.get("JobDefinitionName", "")).describe()
        return describe

    def _list_handler(self, kind: Kind) -> Callable[[RequestContext, Mapping[str, Any]], Any]:
        def list_definitions(context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
            return self.list(context.account_id, context.region, kind, request)
        return list_definitions

    def _delete_handler(self, kind: Kind) -> Callable[[RequestContext, Mapping[str, Any]], Any]:
        def delete(context: RequestContext, request: Mapping[str, Any]) -> dict[str, Any]:
            self.delete(context.account_id, context.region, kind, request.get("JobDefinitionName", ""))
            return {}
        return delete
