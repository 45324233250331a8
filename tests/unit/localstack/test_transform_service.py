"""The transform-job API of the emulator (service.py): request checks, statuses, List, Stop, events, tags."""

import json
import re
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from sagewatch.localstack.errors import ResourceInUse, ResourceNotFound, ValidationException
from sagewatch.localstack.sagemaker.plane import MonitoringPlane
from sagewatch.localstack.sagemaker.processing.settings import ProcessingSettings
from sagewatch.localstack.sagemaker.transform.service import TransformService

ACCOUNT, REGION = "000000000000", "us-east-1"
CONTEXT = SimpleNamespace(account_id=ACCOUNT, region=REGION, partition="aws")
MODEL = {"ModelName": "m", "PrimaryContainer": {"Image": "sagewatch-serving", "ModelDataUrl": "s3://b/model.tar.gz"}}


class Clock:
    def __init__(self):
        self.now = datetime(2024, 5, 1, 11, 0, tzinfo=timezone.utc)

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


def request(name="tj", **extra):
    body = {
        "TransformJobName": name,
        "ModelName": "m",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in/"}},
                           "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": "s3://b/out"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    body.update(extra)
    return body


@pytest.fixture
def events():
    return []


@pytest.fixture
def service(events):
    return TransformService(Clock(), start_runner=lambda service, job: None,
                            models=lambda context, name: MODEL if name == "m" else None,
                            publish=lambda entries, account, region: events.extend(entries))


def test_create_answers_arn_and_describe_shows_in_progress(service, events):
    answer = service.handle_create(CONTEXT, request())
    assert answer == {"TransformJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:transform-job/tj"}
    described = service.handle_describe(CONTEXT, {"TransformJobName": "tj"})
    assert described["TransformJobStatus"] == "InProgress"
    assert described["ModelName"] == "m" and "TransformStartTime" not in described
    assert [json.loads(e["Detail"])["TransformJobStatus"] for e in events] == ["InProgress"]
    assert events[0]["DetailType"] == "SageMaker Transform Job State Change"
    assert events[0]["Source"] == "aws.sagemaker" and events[0]["Resources"] == [answer["TransformJobArn"]]


@pytest.mark.parametrize("change, message", [
    ({"TransformResources": {"InstanceType": "ml.x9.huge", "InstanceCount": 1}},
     "at 'transformResources.instanceType' failed to satisfy constraint: Member must satisfy enum value set"),
    ({"TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 0}},
     "Value '0' at 'transformResources.instanceCount' failed to satisfy constraint: Member must have value "
     "greater than or equal to 1"),
    ({"TransformJobName": "bad_name"}, "at 'transformJobName' failed to satisfy constraint: Member must satisfy "
                                       "regular expression pattern"),
    ({"BatchStrategy": "Many"}, "at 'batchStrategy' failed to satisfy constraint: Member must satisfy enum value set: "
                                "[MultiRecord, SingleRecord]"),
    ({"ModelClientConfig": {"InvocationsMaxRetries": 4}},
     "Value '4' at 'modelClientConfig.invocationsMaxRetries' failed to satisfy constraint: Member must have value "
     "less than or equal to 3"),
    ({"MaxPayloadInMB": 101}, "Value '101' at 'maxPayloadInMB' failed to satisfy constraint: Member must have value "
                              "less than or equal to 100"),
    ({"MaxPayloadInMB": 6, "MaxConcurrentTransforms": 20},
     "MaxConcurrentTransforms (20) x MaxPayloadInMB (6) must not exceed 100 MB."),
    ({"DataCaptureConfig": {"GenerateInferenceId": True}},
     "Value null at 'dataCaptureConfig.destinationS3Uri' failed to satisfy constraint: Member must not be null"),
    ({"Environment": {"bad key": "v"}}, "at 'environment.key' failed to satisfy constraint"),
])
def test_create_refuses_what_the_service_model_refuses(service, change, message):
    with pytest.raises(ValidationException) as caught:
        service.handle_create(CONTEXT, request(**change))
    assert message in caught.value.message
    assert caught.value.status_code == 400
    assert service.jobs(ACCOUNT, REGION) == []


def test_create_names_a_missing_required_member(service):
    body = request()
    del body["TransformResources"]
    with pytest.raises(ValidationException, match="Value null at 'transformResources' failed to satisfy constraint: "
                                                  "Member must not be null"):
        service.handle_create(CONTEXT, body)


@pytest.mark.parametrize("split", ["RecordIO", "TFRecord"])
def test_create_refuses_split_types_not_emulated(service, split):
    body = request()
    body["TransformInput"]["SplitType"] = split
    with pytest.raises(ValidationException, match=f"SplitType {split} is not emulated"):
        service.handle_create(CONTEXT, body)


@pytest.mark.parametrize("processing, message", [
    ({"InputFilter": "$..features"}, "unsupported at '..features'"),
    ({"OutputFilter": "$[0,1].x"}, "a selection of several elements must be the last step"),
    ({"InputFilter": "features"}, "must start with $"),
])
def test_create_refuses_filters_outside_the_jsonpath_subset(service, processing, message):
    with pytest.raises(ValidationException, match=re.escape(message)) as caught:
        service.handle_create(CONTEXT, request(DataProcessing=processing))
    assert caught.value.message.startswith("DataProcessing: JSONPath")


def test_create_accepts_the_documented_filters(service):
    service.handle_create(CONTEXT, request("a", DataProcessing={"InputFilter": "$[1:]", "OutputFilter": "$[0,-1]",
                                                                "JoinSource": "Input"}))
    service.handle_create(CONTEXT, request("b", DataProcessing={"InputFilter": "$.features",
                                                                "OutputFilter": "$['id','SageMakerOutput']"}))
    assert service.handle_describe(CONTEXT, {"TransformJobName": "a"})["DataProcessing"]["JoinSource"] == "Input"


def test_create_with_unknown_model_is_a_validation_error(service):
    with pytest.raises(ValidationException, match='Could not find model "arn:aws:sagemaker:us-east-1:000000000000:'
                                                  'model/nope"'):
        service.handle_create(CONTEXT, request(ModelName="nope"))


def test_duplicate_name_is_resource_in_use(service):
    service.handle_create(CONTEXT, request())
    with pytest.raises(ResourceInUse, match="a job with this name already exists"):
        service.handle_create(CONTEXT, request())


def test_describe_and_stop_of_unknown_job_are_resource_not_found(service):
    with pytest.raises(ResourceNotFound, match="Could not find requested job with name nope"):
        service.handle_describe(CONTEXT, {"TransformJobName": "nope"})
    with pytest.raises(ResourceNotFound):
        service.handle_stop(CONTEXT, {"TransformJobName": "nope"})


def test_statuses_and_times_through_completion(service, events):
    service.handle_create(CONTEXT, request())
    job = service.get(ACCOUNT, REGION, "tj")
    service.update(job, start_time=service.clock())
    service.update(job, status="Completed")
    described = service.handle_describe(CONTEXT, {"TransformJobName": "tj"})
    assert described["TransformJobStatus"] == "Completed"
    assert described["CreationTime"] < described["TransformStartTime"] < described["TransformEndTime"]
    assert not service.update(job, status="Failed", failure_reason="late")  # a terminal status is kept
    assert [json.loads(e["Detail"])["TransformJobStatus"] for e in events] == ["InProgress", "Completed"]


def test_stop_moves_to_stopping_and_refuses_a_finished_job(service):
    service.handle_create(CONTEXT, request())
    job = service.get(ACCOUNT, REGION, "tj")
    service.handle_stop(CONTEXT, {"TransformJobName": "tj"})
    assert job.status == "Stopping" and job.stop_requested.is_set()
    service.handle_stop(CONTEXT, {"TransformJobName": "tj"})  # again: no error
    service.update(job, status="Stopped")
    with pytest.raises(ValidationException, match="not in progress"):
        service.handle_stop(CONTEXT, {"TransformJobName": "tj"})


def test_failure_reason_is_cut_to_the_api_limit(service):
    service.handle_create(CONTEXT, request())
    job = service.get(ACCOUNT, REGION, "tj")
    service.update(job, status="Failed", failure_reason="x" * 3000)
    assert len(service.handle_describe(CONTEXT, {"TransformJobName": "tj"})["FailureReason"]) == 1024


def test_list_filters_sorts_and_pages(service):
    for name in ("alpha-1", "beta-2", "alpha-3"):
        service.handle_create(CONTEXT, request(name))
    service.update(service.get(ACCOUNT, REGION, "beta-2"), status="Failed", failure_reason="r")
    listed = service.handle_list(CONTEXT, {})
    assert [s["TransformJobName"] for s in listed["TransformJobSummaries"]] == ["alpha-3", "beta-2", "alpha-1"]
    by_name = service.handle_list(CONTEXT, {"SortBy": "Name", "SortOrder": "Ascending", "NameContains": "ALPHA"})
    assert [s["TransformJobName"] for s in by_name["TransformJobSummaries"]] == ["alpha-1", "alpha-3"]
    failed = service.handle_list(CONTEXT, {"StatusEquals": "Failed"})["TransformJobSummaries"]
    assert [(s["TransformJobName"], s["FailureReason"]) for s in failed] == [("beta-2", "r")]
    first = service.handle_list(CONTEXT, {"MaxResults": 2})
    second = service.handle_list(CONTEXT, {"MaxResults": 2, "NextToken": first["NextToken"]})
    assert [s["TransformJobName"] for s in first["TransformJobSummaries"] + second["TransformJobSummaries"]] == [
        "alpha-3", "beta-2", "alpha-1"]
    assert "NextToken" not in second
    middle = service.get(ACCOUNT, REGION, "beta-2").creation_time
    after = service.handle_list(CONTEXT, {"CreationTimeAfter": middle})["TransformJobSummaries"]
    assert [s["TransformJobName"] for s in after] == ["alpha-3"]
    with pytest.raises(ValidationException, match="statusEquals"):
        service.handle_list(CONTEXT, {"StatusEquals": "Done"})
    with pytest.raises(ValidationException, match="sortBy"):
        service.handle_list(CONTEXT, {"SortBy": "Size"})


@pytest.mark.parametrize("operation, body, message", [
    ("handle_list", {"NameContains": "a b"}, "Value 'a b' at 'nameContains' failed to satisfy constraint: Member "
                                             "must satisfy regular expression pattern: [a-zA-Z0-9\\-]+"),
    ("handle_list", {"MaxResults": 101}, "Value '101' at 'maxResults' failed to satisfy constraint: Member must "
                                         "have value less than or equal to 100"),
    ("handle_describe", {"TransformJobName": "bad_name"}, "Value 'bad_name' at 'transformJobName' failed to satisfy "
                                                          "constraint"),
    ("handle_stop", {}, "Value null at 'transformJobName' failed to satisfy constraint: Member must not be null"),
])
def test_describe_list_stop_requests_are_checked_against_the_service_model(service, operation, body, message):
    with pytest.raises(ValidationException) as caught:
        getattr(service, operation)(CONTEXT, body)
    assert message in caught.value.message


def test_plane_answers_transform_operations_and_keeps_their_tags():
    plane = MonitoringPlane(ProcessingSettings(), transform_options={
        "start_runner": lambda service, job: None, "models": lambda context, name: MODEL,
        "publish": lambda *args: None})
    handlers = plane.handlers()
    assert {"CreateTransformJob", "DescribeTransformJob", "ListTransformJobs", "StopTransformJob"} <= set(handlers)
    arn = handlers["CreateTransformJob"](CONTEXT, request(Tags=[{"Key": "team", "Value": "ml"}]))["TransformJobArn"]
    assert handlers["ListTags"](CONTEXT, {"ResourceArn": arn})["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert "tj" in plane.store[ACCOUNT, REGION].transform_jobs
