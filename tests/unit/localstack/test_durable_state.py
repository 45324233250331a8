"""Durable emulator state without LocalStack: the codec, the atomic state file, saving and restoring every
``RegionState`` field, moto's records, the save after changing requests, restored endpoints, ``local reset``."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import tarfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import joblib
import pytest

pytest.importorskip("localstack", reason="the emulator's services import LocalStack (extra 'localstack')")

from sklearn.dummy import DummyClassifier  # noqa: E402

from sagewatch.localstack.durable import jsoncodec  # noqa: E402
from sagewatch.localstack.durable.artefacts import ArtefactStore, S3Calls  # noqa: E402
from sagewatch.localstack.durable.atomic import StateFileError, read_state, write_atomically  # noqa: E402
from sagewatch.localstack.durable.endpoints import EndpointRecord, snapshot_endpoints  # noqa: E402
from sagewatch.localstack.durable.keeper import (  # noqa: E402
    EXECUTION_RESTART_REASON, FORMAT, RESTART_REASON, STATE_FILE, VERSION, StateKeeper)
from sagewatch.localstack.durable.moto_records import restore_moto, snapshot_moto  # noqa: E402
from sagewatch.localstack.durable.service import saving_handlers  # noqa: E402
from sagewatch.localstack.errors import AwsError  # noqa: E402
from sagewatch.localstack.sagemaker.monitoring.jobdefs import KINDS  # noqa: E402
from sagewatch.localstack.sagemaker.plane import MonitoringPlane  # noqa: E402
from sagewatch.localstack.sagemaker.processing.settings import ProcessingSettings  # noqa: E402
from sagewatch.localstack.sagemaker.store import RegionState, SageMakerStore  # noqa: E402

ACCOUNT, REGION, ROLE = "000000000000", "us-east-1", "arn:aws:iam::000000000000:role/r"
CLUSTER = {"ClusterConfig": {"InstanceCount": 1, "InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": 20}}
T0 = datetime(2024, 5, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)


def clock():
    return T0


def _definition(name):
    return {"JobDefinitionName": name, "RoleArn": ROLE, "JobResources": CLUSTER,
            "DataQualityAppSpecification": {"ImageUri": "sagewatch-analyzer"},
            "DataQualityJobInput": {"EndpointInput": {"EndpointName": "ep", "LocalPath": "/opt/ml/processing/input"}},
            "DataQualityJobOutputConfig": {"MonitoringOutputs": [{"S3Output": {
                "S3Uri": "s3://b/reports", "LocalPath": "/opt/ml/processing/output"}}]}}


def _job(name):
    return {"ProcessingJobName": name, "RoleArn": ROLE, "ProcessingResources": CLUSTER,
            "AppSpecification": {"ImageUri": "sagewatch-analyzer", "ContainerArguments": ["--x", "1"]},
            "Environment": {"A": "1"}, "StoppingCondition": {"MaxRuntimeInSeconds": 60}}


TRANSFORM_MODEL = {"ModelName": "m", "PrimaryContainer": {"Image": "sagewatch-serving",
                                                          "ModelDataUrl": "s3://b/model.tar.gz"}}


def _transform(name):
    return {"TransformJobName": name, "ModelName": "m",
            "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in/"}},
                               "ContentType": "text/csv", "SplitType": "Line"},
            "TransformOutput": {"S3OutputPath": "s3://b/out"},
            "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}}


def _plane():
    plane = MonitoringPlane(ProcessingSettings(), aws_factory=lambda account, region: None, clock=clock,
                            start_runner=lambda service, job: None, publish=lambda *args: None,
                            transform_options={"start_runner": lambda service, job: None,
                                               "models": lambda context, name: TRANSFORM_MODEL,
                                               "publish": lambda entries, account, region: None})
    plane.monitoring._launch = lambda *args: None  # executions are recorded, not run
    return plane


def populated_plane():
    """A plane whose state has a value in every RegionState field (and two regions)."""
    plane = _plane()
    context = SimpleNamespace(account_id=ACCOUNT, region=REGION)
    done = plane.processing.create_job(ACCOUNT, REGION, _job("done"))
    plane.processing.update(done, status="Completed", exit_message="Completed: Job completed successfully.")
    plane.processing.create_job(ACCOUNT, REGION, _job("hung"))
    plane.jobdefs.create(ACCOUNT, REGION, KINDS["DataQuality"], _definition("dq"))
    plane.jobdefs.create(ACCOUNT, "eu-west-1", KINDS["DataQuality"], _definition("dq-west"))
    plane.handlers()["CreateMonitoringSchedule"](context, {
        "MonitoringScheduleName": "s", "Tags": [{"Key": "team", "Value": "ml"}], "MonitoringScheduleConfig": {
            "ScheduleConfig": {"ScheduleExpression": "cron(0 * ? * * *)"}, "MonitoringJobDefinitionName": "dq",
            "MonitoringType": "DataQuality"}})
    schedule = plane.monitoring.get(ACCOUNT, REGION, "s")
    plane.monitoring.set_status(schedule, "Scheduled")
    finished = plane.monitoring.start_execution(schedule, T0 - timedelta(hours=1))
    plane.monitoring.update_execution(finished, status="CompletedWithViolations", processing_job_arn=done.arn,
                                      processing_job_name=done.name)
    plane.monitoring.start_execution(schedule, T0.replace(microsecond=0))
    transformed = plane.transform.create_job(context, _transform("transformed"))
    plane.transform.update(transformed, status="Completed")
    plane.transform.create_job(context, _transform("transforming"))
    plane.alerts.handlers()["UpdateMonitoringAlert"](context, {
        "MonitoringScheduleName": "s", "MonitoringAlertName": "monitoring-alert", "DatapointsToAlert": 2,
        "EvaluationPeriod": 3})
    return plane


def _keeper(folder, store, **options):
    return StateKeeper(folder, store, moto=False, clock=lambda: T0 + timedelta(hours=2), **options)


def _state(plane, region=REGION):
    return plane.store[ACCOUNT, region]


# --- the codec -----------------------------------------------------------------------------------------------


def test_tagged_values_round_trip():
    value = {"when": T0, "naive": datetime(2024, 1, 1), "pair": (1, "a"), "seen": {T0, T0 + timedelta(hours=1)},
             "raw": b"\x00\xff", "$odd": [{"$also": 1}], "nested": [[1.5, None, True]]}
    encoded = jsoncodec.encode(value)
    assert json.loads(json.dumps(encoded)) == encoded
    assert jsoncodec.decode(json.loads(json.dumps(encoded))) == value


def test_an_unregistered_class_names_the_field_that_cannot_be_saved():
    @dataclasses.dataclass
    class TransformJob:
        name: str

    state = RegionState(ACCOUNT, REGION)
    state.processing_jobs["t"] = TransformJob("t")
    with pytest.raises(jsoncodec.StateCodecError,
                       match=r"processing_jobs\.t: .*TransformJob cannot be saved.*register"):
        jsoncodec.encode(state)


def test_a_state_file_cannot_name_a_class_to_load():
    with pytest.raises(jsoncodec.StateCodecError, match="'os.system' is not a class"):
        jsoncodec.decode({"$object": "os.system", "fields": {}})
    with pytest.raises(jsoncodec.StateCodecError, match=r"MonitoringAlert has no field\(s\) \['evil'\]"):
        jsoncodec.decode({"$object": "MonitoringAlert", "fields": {"evil": 1}})


def test_the_encoder_reuses_unchanged_records_and_sees_every_change():
    plane = populated_plane()
    state = _state(plane)
    schedule, execution = state.schedules["s"], state.executions[-1]
    encoder = jsoncodec.Encoder()
    first = encoder.document(lambda encode: [encode(schedule), encode(execution)])
    again = encoder.document(lambda encode: [encode(schedule), encode(execution)])
    assert again[0] is first[0] and again[1] is first[1]
    plane.monitoring.update_execution(execution, status="Failed", failure_reason="boom")  # fields reassigned
    schedule.scheduled_times.add(T0 + timedelta(hours=9))  # a container edited in place, growing
    changed = encoder.document(lambda encode: [encode(schedule), encode(execution)])
    assert changed[1]["fields"]["status"] == "Failed" and changed[1]["fields"]["failure_reason"] == "boom"
    times = [item[0]["fields"]["scheduled_times"]["$set"] for item in (first, changed)]
    assert len(times[1]) == len(times[0]) + 1
    assert changed == jsoncodec.encode([schedule, execution])


def test_transient_fields_need_defaults():
    @dataclasses.dataclass
    class Thing:
        lock: object

    with pytest.raises(TypeError, match="needs a default"):
        jsoncodec.register(Thing, transient=("lock",))


# --- every RegionState field ---------------------------------------------------------------------------------


def test_the_fixture_fills_every_region_state_field():
    """A new RegionState field must get a value here (and, for a new class, one line in durable/records.py)."""
    state = _state(populated_plane())
    empty = [f.name for f in dataclasses.fields(RegionState) if not getattr(state, f.name)]
    assert empty == []


def test_every_region_state_field_round_trips(tmp_path):
    plane = populated_plane()
    keeper = _keeper(tmp_path, plane.store)
    assert keeper.save()
    restored = SageMakerStore()
    loaded = StateKeeper(tmp_path, restored, moto=False).load()
    assert [(s.account_id, s.region) for s in loaded.regions] == [(ACCOUNT, REGION), (ACCOUNT, "eu-west-1")]
    again = loaded.regions[0]
    original = _state(plane)
    for item in dataclasses.fields(RegionState):
        assert jsoncodec.encode(getattr(again, item.name)) == jsoncodec.encode(getattr(original, item.name)), item.name
    schedule = again.schedules["s"]
    assert schedule.scheduled_times == original.schedules["s"].scheduled_times
    assert schedule.expression == original.schedules["s"].expression and isinstance(schedule.expression.hours, tuple)
    assert again.job_definitions["DataQuality"]["dq"].kind is not None
    definition = original.job_definitions["DataQuality"]["dq"]
    assert again.job_definitions["DataQuality"]["dq"].describe() == definition.describe()
    assert again.processing_jobs["done"].describe() == original.processing_jobs["done"].describe()
    assert again.processing_jobs["done"].finished is not original.processing_jobs["done"].finished
    assert [a.summary() for a in again.alerts["s"].values()] == [a.summary() for a in original.alerts["s"].values()]
    assert [e.summary() for e in again.alert_history] == [e.summary() for e in original.alert_history]
    assert again.tags == original.tags and again.tags


def test_restore_serves_the_same_answers_and_fails_what_was_running(tmp_path):
    plane = populated_plane()
    context = SimpleNamespace(account_id=ACCOUNT, region=REGION)
    before = plane.handlers()["DescribeMonitoringSchedule"](context, {"MonitoringScheduleName": "s"})
    listed_before = plane.handlers()["ListMonitoringAlertHistory"](context, {"MonitoringScheduleName": "s"})
    _keeper(tmp_path, plane.store).save()

    fresh = _plane()
    _keeper(tmp_path, fresh.store).restore()
    handlers = fresh.handlers()
    assert handlers["DescribeDataQualityJobDefinition"](context, {"JobDefinitionName": "dq"}) == \
        plane.handlers()["DescribeDataQualityJobDefinition"](context, {"JobDefinitionName": "dq"})
    assert handlers["ListMonitoringAlertHistory"](context, {"MonitoringScheduleName": "s"}) == listed_before
    assert handlers["ListTags"](context, {"ResourceArn": before["MonitoringScheduleArn"]})["Tags"] == [
        {"Key": "team", "Value": "ml"}]
    after = handlers["DescribeMonitoringSchedule"](context, {"MonitoringScheduleName": "s"})
    assert {k: v for k, v in after.items() if k != "LastMonitoringExecutionSummary"} == \
        {k: v for k, v in before.items() if k != "LastMonitoringExecutionSummary"}

    hung = handlers["DescribeProcessingJob"](context, {"ProcessingJobName": "hung"})
    assert hung["ProcessingJobStatus"] == "Failed" and hung["FailureReason"] == RESTART_REASON
    assert hung["ProcessingEndTime"] == T0 + timedelta(hours=2)
    assert fresh.store[ACCOUNT, REGION].processing_jobs["hung"].finished.is_set()
    done = handlers["DescribeProcessingJob"](context, {"ProcessingJobName": "done"})
    assert done["ProcessingJobStatus"] == "Completed"
    transforming = handlers["DescribeTransformJob"](context, {"TransformJobName": "transforming"})
    assert transforming["TransformJobStatus"] == "Failed" and transforming["FailureReason"] == RESTART_REASON
    assert transforming["TransformEndTime"] == T0 + timedelta(hours=2)
    assert fresh.store[ACCOUNT, REGION].transform_jobs["transforming"].finished.is_set()
    transformed = handlers["DescribeTransformJob"](context, {"TransformJobName": "transformed"})
    assert transformed == plane.handlers()["DescribeTransformJob"](context, {"TransformJobName": "transformed"})
    listed = handlers["ListMonitoringExecutions"](context, {"SortOrder": "Ascending"})
    executions = listed["MonitoringExecutionSummaries"]
    assert [e["MonitoringExecutionStatus"] for e in executions] == ["CompletedWithViolations", "Failed"]
    assert executions[1]["FailureReason"] == EXECUTION_RESTART_REASON


def test_a_restored_schedule_starts_only_the_latest_missed_hour():
    """No catch-up storm: hours missed while the emulator was down are not run, only the latest due one."""
    plane = populated_plane()
    schedule = plane.monitoring.get(ACCOUNT, REGION, "s")
    restart = T0 + timedelta(hours=5, minutes=2)
    started = plane.scheduler.tick(restart)
    assert [e.scheduled_time for e in started] == [T0.replace(minute=0, second=0, microsecond=0) + timedelta(hours=5)]
    assert plane.scheduler.tick(restart + timedelta(seconds=30)) == []
    assert schedule.status == "Scheduled"


# --- the state file ------------------------------------------------------------------------------------------


def test_save_writes_only_changes_and_the_file_is_versioned(tmp_path):
    plane = populated_plane()
    keeper = _keeper(tmp_path, plane.store)
    assert keeper.save() is True
    assert keeper.save() is False
    document = json.loads((tmp_path / STATE_FILE).read_text())
    assert (document["format"], document["version"]) == (FORMAT, VERSION)
    plane.tags.set("arn:aws:sagemaker:us-east-1:000000000000:processing-job/done", [{"Key": "k", "Value": "v"}])
    assert keeper.save() is True


def test_a_torn_temporary_file_is_ignored_and_removed(tmp_path):
    plane = populated_plane()
    _keeper(tmp_path, plane.store).save()
    torn = tmp_path / f"{STATE_FILE}.4242.tmp"
    torn.write_bytes(b'{"format": "sagewatch-emulator-state", "vers')  # a writer killed mid-write
    fresh = _plane()
    assert _keeper(tmp_path, fresh.store).restore() is not None
    assert "s" in fresh.store[ACCOUNT, REGION].schedules
    assert not torn.exists()


@pytest.mark.parametrize("content, reason", [
    (b"{not json", "Expecting property name"),
    (json.dumps({"format": FORMAT, "version": 99}).encode(), "format version 99"),
    (json.dumps({"format": "other"}).encode(), "not a sagewatch-emulator-state document"),
    (json.dumps({"format": FORMAT, "version": VERSION, "sagemaker": [{"$object": "Nope", "fields": {}}]}).encode(),
     "'Nope' is not a class"),
])
def test_an_unreadable_state_file_is_set_aside_loudly(tmp_path, caplog, content, reason):
    (tmp_path / STATE_FILE).write_bytes(content)
    fresh = _plane()
    with caplog.at_level(logging.ERROR):
        assert _keeper(tmp_path, fresh.store).restore() is None
    assert fresh.store.states() == []
    kept = list(tmp_path.glob(f"{STATE_FILE}.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == content
    assert not (tmp_path / STATE_FILE).exists()
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(reason in message and kept[0].name in message and "starts with an empty" in message
               for message in errors), errors


def test_write_atomically_replaces_the_whole_file(tmp_path):
    path = tmp_path / "sub" / "state.json"
    write_atomically(path, b'{"format": "f", "version": 1, "a": 1}')
    write_atomically(path, b'{"format": "f", "version": 1, "a": 2}')
    assert read_state(path, "f", 1)["a"] == 2
    assert sorted(p.name for p in path.parent.iterdir()) == ["state.json"]
    with pytest.raises(StateFileError, match="format version 1; this emulator reads version 2"):
        read_state(path, "f", 2)


# --- the save after changing requests --------------------------------------------------------------------------


def test_changing_requests_are_saved_before_they_are_answered(tmp_path, monkeypatch):
    from sagewatch.localstack.durable import service

    plane = _plane()
    keeper = _keeper(tmp_path, plane.store)
    monkeypatch.setattr(service, "_keeper", keeper)
    handlers = saving_handlers(plane.handlers())
    context = SimpleNamespace(account_id=ACCOUNT, region=REGION, operation=SimpleNamespace(name="op"))
    handlers["CreateDataQualityJobDefinition"](context, _definition("dq"))
    saved = json.loads((tmp_path / STATE_FILE).read_text())
    assert "dq" in json.dumps(saved["sagemaker"])
    (tmp_path / STATE_FILE).unlink()
    handlers["ListDataQualityJobDefinitions"](context, {})
    assert not (tmp_path / STATE_FILE).exists()  # reads write nothing

    monkeypatch.setattr(keeper, "save", lambda: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(AwsError, match="could not save its state: OSError.*No space left"):
        handlers["DeleteDataQualityJobDefinition"](context, {"JobDefinitionName": "dq"})


def test_without_a_keeper_nothing_is_written(tmp_path):
    plane = _plane()
    handlers = saving_handlers(plane.handlers())
    context = SimpleNamespace(account_id=ACCOUNT, region=REGION, operation=SimpleNamespace(name="op"))
    assert handlers["CreateDataQualityJobDefinition"](context, _definition("dq"))["JobDefinitionArn"]
    assert list(tmp_path.iterdir()) == []


# --- moto's records ------------------------------------------------------------------------------------------


def test_moto_records_round_trip_with_their_times_and_tags():
    from moto.sagemaker.models import SageMakerModelBackend

    backend = SageMakerModelBackend(REGION, ACCOUNT)
    model = backend.create_model("m", ROLE, {"Image": "img", "ModelDataUrl": "s3://b/m.tar.gz"}, None, None,
                                 [{"Key": "a", "Value": "1"}])
    model.creation_time = "2024-05-01 10:00:00"
    backend.create_endpoint_config("c", [{"VariantName": "A", "ModelName": "m", "InstanceType": "ml.m5.large",
                                          "InitialInstanceCount": 1}], {"DestinationS3Uri": "s3://b/c"}, None, [], None)
    backend.create_endpoint("e", "c", [])
    backend.add_tags(model.arn, [{"Key": "b", "Value": "2"}])
    backend.create_training_job(
        "t", {"epochs": "2"}, {"TrainingImage": "img", "TrainingInputMode": "File"}, ROLE,
        [{"ChannelName": "train", "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/d"}}}],
        {"S3OutputPath": "s3://b/out"}, {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 1},
        None, {"MaxRuntimeInSeconds": 60}, [{"Key": "c", "Value": "3"}], False, False, False, None, None, None,
        None, None)
    entries = json.loads(json.dumps(snapshot_moto({ACCOUNT: {REGION: backend}})))
    assert [e["collection"] for e in entries] == ["_models", "endpoint_configs", "endpoints", "training_jobs"]

    fresh = SageMakerModelBackend(REGION, ACCOUNT)
    assert restore_moto(entries + [{"collection": "nope", "name": "x"}], {ACCOUNT: {REGION: fresh}}) == 4
    assert fresh.describe_training_job("t") == backend.describe_training_job("t")
    assert fresh.describe_model("m").response_object == model.response_object
    assert fresh.describe_model("m").creation_time == "2024-05-01 10:00:00"
    assert fresh.describe_endpoint_config("c") == backend.describe_endpoint_config("c")
    assert fresh.describe_endpoint("e") == backend.describe_endpoint("e")
    assert fresh.list_tags(model.arn)[0] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    fresh.delete_endpoint_config("c")  # the restored records behave as moto's own
    assert "c" not in fresh.endpoint_configs


# --- endpoints -----------------------------------------------------------------------------------------------


def _tarball(path):
    model = DummyClassifier(strategy="constant", constant=7).fit([[0, 0], [1, 1]], [7, 7])
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = len(buffer.getvalue())
        tar.addfile(info, io.BytesIO(buffer.getvalue()))
    return str(path)


def _hosting(tmp_path, name):
    from sagewatch.localstack.runtime.hosting import AwsClients, Hosting
    from sagewatch.localstack.runtime.settings import HostingSettings

    settings = HostingSettings(startup_timeout=60, capture_roll_seconds=60, metrics_interval=3600, drain_timeout=5)
    hosting = Hosting(settings, tmp_path / name / "state", tmp_path / name / "work",
                      AwsClients(put_object=lambda target, body: None, put_metric_data=lambda *args: None,
                                 server_environment=lambda account, region: {}))
    hosting.start()
    return hosting


def _wait(endpoint, ready=lambda e: e.status == "Failed" or e.deployment is not None, timeout=60):
    deadline = time.monotonic() + timeout
    while not ready(endpoint) or endpoint.pending is not None:
        assert time.monotonic() < deadline, endpoint.status
        time.sleep(0.05)


IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"


def test_endpoints_come_back_in_service_with_their_servers_weights_and_times(tmp_path):
    model = {"ModelName": "m", "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": _tarball(tmp_path / "m.tar.gz")}}
    config = {"EndpointConfigName": "c", "ProductionVariants": [
        {"VariantName": "A", "ModelName": "m", "InitialInstanceCount": 1, "InitialVariantWeight": 1.0}],
        "DataCaptureConfig": {"InitialSamplingPercentage": 100, "DestinationS3Uri": "s3://b/capture",
                              "CaptureOptions": [{"CaptureMode": "Input"}]}}
    first = _hosting(tmp_path, "first")
    try:
        endpoint = first.create(ACCOUNT, REGION, "ep", "arn:ep", "c", config, {"m": model})
        _wait(endpoint)
        assert endpoint.status == "InService"
        first.update_weights(endpoint, [{"VariantName": "A", "DesiredWeight": 3.0, "DesiredInstanceCount": 2}])
        failed = first.create(ACCOUNT, REGION, "bad", "arn:bad", "c", config, {})
        _wait(failed)
        records = [EndpointRecord(**dataclasses.asdict(r)) for r in snapshot_endpoints(first)]
        saved = jsoncodec.decode(json.loads(json.dumps(jsoncodec.encode(records))))
    finally:
        first.shutdown(timeout=5)

    second = _hosting(tmp_path, "second")
    try:
        from sagewatch.localstack.durable.endpoints import restore_endpoints

        restore_endpoints(second, saved, lambda account, region, uri: None)
        back = second.get(ACCOUNT, REGION, "ep")
        assert back.status == "InService"  # while its server starts, too
        _wait(back)
        assert back.status == "InService" and back.failure_reason is None
        assert (back.creation_time, back.last_modified_time) == (endpoint.creation_time, endpoint.last_modified_time)
        variant = back.deployment.variants["A"]
        assert (variant.current_weight, variant.desired_instance_count) == (3.0, 2)
        assert variant.deployed_at == endpoint.deployment.variants["A"].deployed_at
        assert back.deployment.capture is not None  # data capture is on again
        deployment = back.enter()
        try:
            assert variant.server.invoke(b"1,1", "text/csv", "text/csv").body == b"7"
        finally:
            deployment.exit()
        gone = second.get(ACCOUNT, REGION, "bad")
        assert gone.status == "Failed" and gone.failure_reason == failed.failure_reason
    finally:
        second.shutdown(timeout=5)


def test_an_endpoint_whose_model_artefact_vanished_comes_back_failed(tmp_path):
    model = {"ModelName": "m", "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl": "s3://gone/m.tar.gz"}}
    config = {"EndpointConfigName": "c", "ProductionVariants": [{"VariantName": "A", "ModelName": "m"}]}
    record = EndpointRecord(ACCOUNT, REGION, "ep", "arn:ep", "c", "InService", T0, T0,
                            source={"config": config, "models": {"m": model}})
    artefacts = ArtefactStore(tmp_path / "artefacts", S3Calls(exists=lambda *a: False, get=None, put=None))
    hosting = _hosting(tmp_path, "h")
    try:
        from sagewatch.localstack.durable.endpoints import restore_endpoints

        restore_endpoints(hosting, [record], artefacts.missing_reason)
        endpoint = hosting.get(ACCOUNT, REGION, "ep")
        _wait(endpoint)
        assert endpoint.status == "Failed"
        assert endpoint.failure_reason == (
            "The emulator restarted and could not start the endpoint again: its model artefact s3://gone/m.tar.gz no "
            "longer exists in S3 (community LocalStack keeps S3 in memory, and the emulator had no copy of it); "
            "upload it again and create the endpoint again.")
    finally:
        hosting.shutdown(timeout=5)


def test_an_endpoint_that_cannot_come_back_does_not_keep_the_others_away(tmp_path, caplog):
    from sagewatch.localstack.durable.endpoints import restore_endpoints

    broken = EndpointRecord(ACCOUNT, REGION, "broken", "arn:broken", "c", "InService", T0, T0,
                            source={"config": None, "models": {}})
    failed = EndpointRecord(ACCOUNT, REGION, "failed", "arn:failed", "c", "Failed", T0, T0, failure_reason="no")
    hosting = _hosting(tmp_path, "h")
    try:
        with caplog.at_level(logging.ERROR):
            restore_endpoints(hosting, [broken, failed], lambda *args: None)
        assert hosting.get(ACCOUNT, REGION, "failed").failure_reason == "no"
        back = hosting.get(ACCOUNT, REGION, "broken")
        assert back.status == "Failed" and back.failure_reason.startswith(
            "The emulator restarted and could not start the endpoint again: AttributeError")
        assert any("endpoint broken cannot be started again" in r.getMessage() for r in caplog.records)
    finally:
        hosting.shutdown(timeout=5)


def test_kept_model_artefacts_are_put_back_in_s3(tmp_path):
    objects = {("b", "m.tar.gz"): b"model"}
    calls = S3Calls(exists=lambda a, r, bucket, key: (bucket, key) in objects,
                    get=lambda a, r, bucket, key: objects[(bucket, key)],
                    put=lambda a, r, bucket, key, body: objects.__setitem__((bucket, key), body))
    store = ArtefactStore(tmp_path, calls)
    assert store.keep(ACCOUNT, REGION, "s3://b/m.tar.gz")
    objects.clear()  # the restart: S3 is empty
    assert store.missing_reason(ACCOUNT, REGION, "s3://b/m.tar.gz") is None
    assert objects == {("b", "m.tar.gz"): b"model"}
    objects.clear()
    assert "no longer exists" in store.missing_reason("111111111111", REGION, "s3://b/m.tar.gz")  # not its copy


# --- sagewatch local reset -----------------------------------------------------------------------------------


def test_reset_clears_the_state_and_refuses_while_the_emulator_runs(tmp_path, monkeypatch, capsys):
    import os

    from sagewatch.localstack import launcher, process

    state_dir = tmp_path / "ls"
    saved = state_dir / "fs" / "var" / "lib" / "localstack" / "lib" / "sagewatch" / "durable" / STATE_FILE
    saved.parent.mkdir(parents=True)
    saved.write_text("{}")
    (state_dir / "localstack.log").write_text("log")
    monkeypatch.setattr(process, "_running_instance", lambda settings: {"pid": os.getpid()})
    assert launcher.main(["reset", "--state-dir", str(state_dir)]) == 1
    assert "is running (pid" in capsys.readouterr().err and saved.exists()

    monkeypatch.setattr(process, "_running_instance", lambda settings: None)
    monkeypatch.delenv("SAGEWATCH_STATE_DIR", raising=False)
    assert launcher.main(["reset", "--state-dir", str(state_dir)]) == 0
    assert "Emulator state cleared" in capsys.readouterr().out
    assert not (state_dir / "fs").exists() and (state_dir / "localstack.log").exists()
    assert launcher.main(["reset", "--state-dir", str(state_dir)]) == 0
    assert "No emulator state to clear." in capsys.readouterr().out
