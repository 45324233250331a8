"""The emulator's own SageMaker state: one store keyed by account and region, shared by the services."""

import doctest
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

pytest.importorskip("localstack", reason="the services import LocalStack (extra 'localstack')")

from sagewatch.localstack.errors import ValidationException  # noqa: E402
from sagewatch.localstack.sagemaker import store as store_module  # noqa: E402
from sagewatch.localstack.sagemaker.monitoring.jobdefs import KINDS, JobDefinitionService  # noqa: E402
from sagewatch.localstack.sagemaker.monitoring.schedules import MonitoringService  # noqa: E402
from sagewatch.localstack.sagemaker.monitoring.tags import TagStore  # noqa: E402
from sagewatch.localstack.sagemaker.store import SageMakerStore  # noqa: E402

ACCOUNT, ROLE = "000000000000", "arn:aws:iam::000000000000:role/r"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}


def clock():
    return datetime(2024, 5, 1, 10, tzinfo=timezone.utc)


def definition(name):
    return {"JobDefinitionName": name, "RoleArn": ROLE, "JobResources": CLUSTER,
            "DataQualityAppSpecification": {"ImageUri": "sagewatch-analyzer"},
            "DataQualityJobInput": {"EndpointInput": {"EndpointName": "ep", "LocalPath": "/opt/ml/processing/input"}},
            "DataQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                "S3Uri": "s3://b/reports", "LocalPath": "/opt/ml/processing/output"}}]}}


def test_services_share_one_store_keyed_by_account_and_region():
    store = SageMakerStore()
    jobdefs = JobDefinitionService(clock, store=store)
    monitoring = MonitoringService(jobdefs, lambda *args: None, clock)
    for region in ("us-east-1", "eu-west-1"):
        jobdefs.create(ACCOUNT, region, KINDS["DataQuality"], definition("dq"))
    monitoring.handle_create(SimpleNamespace(account_id=ACCOUNT, region="us-east-1"), {
        "MonitoringScheduleName": "s", "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "dq",
            "MonitoringType": "DataQuality"}})
    east, west = store[ACCOUNT, "us-east-1"], store[ACCOUNT, "eu-west-1"]
    assert list(east.schedules) == ["s"] and west.schedules == {}
    assert set(east.job_definitions["DataQuality"]) == set(west.job_definitions["DataQuality"]) == {"dq"}
    # the schedule in us-east-1 keeps its definition there, without the services being wired together
    with pytest.raises(ValidationException, match="used by monitoring schedule s"):
        jobdefs.delete(ACCOUNT, "us-east-1", KINDS["DataQuality"], "dq")
    jobdefs.delete(ACCOUNT, "eu-west-1", KINDS["DataQuality"], "dq")
    assert west.job_definitions["DataQuality"] == {}


def test_tags_live_in_the_state_of_their_arn():
    store = SageMakerStore()
    tags = TagStore(store=store)
    arn = "arn:aws:sagemaker:eu-west-1:111122223333:monitoring-schedule/s"
    tags.set(arn, [{"Key": "team", "Value": "ml"}])
    assert store["111122223333", "eu-west-1"].tags == {arn: {"team": "ml"}}
    assert tags.tags(arn) == [{"Key": "team", "Value": "ml"}]


def test_the_plane_wires_nothing_after_construction():
    """MonitoringPlane hands the store and the scheduler's start to the services when it builds them."""
    import inspect

    from sagewatch.localstack.sagemaker.plane import MonitoringPlane

    source = inspect.getsource(MonitoringPlane.__init__)
    assert ".on_create =" not in source and ".used_by =" not in source
    assert "store=self.store" in source


def test_the_scheduler_does_not_import_the_plane_back():
    """plane -> scheduler only; the run-now routes, which need the plane, live in monitoring/routes.py."""
    import ast
    import inspect

    from sagewatch.localstack.sagemaker.monitoring import scheduler

    imported = {node.module for node in ast.walk(ast.parse(inspect.getsource(scheduler)))
                if isinstance(node, ast.ImportFrom)}
    assert "sagewatch.localstack.sagemaker.plane" not in imported


def test_docstring_examples():
    result = doctest.testmod(store_module)
    assert result.failed == 0 and result.attempted > 0


def test_the_provider_answers_from_the_plane_it_is_given():
    from sagewatch.localstack.sagemaker.plane import MonitoringPlane
    from sagewatch.localstack.sagemaker.processing.settings import ProcessingSettings
    from sagewatch.localstack.sagemaker.provider import SageMakerProvider

    plane = MonitoringPlane(ProcessingSettings(), aws_factory=lambda account, region: None, clock=clock)
    plane.jobdefs.create(ACCOUNT, "us-east-1", KINDS["DataQuality"], definition("mine"))
    table = SageMakerProvider(plane).dispatch_table()
    context = SimpleNamespace(account_id=ACCOUNT, region="us-east-1")
    listed = table["ListDataQualityJobDefinitions"](context, {})
    assert [d["MonitoringJobDefinitionName"] for d in listed["JobDefinitionSummaries"]] == ["mine"]
    plane.shutdown()
