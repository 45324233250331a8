"""A transform job's run (runner.py) against an in-memory S3 and a fake model: .out files, failures, Stop,
capture manifests read back by the engine."""

import gzip
import threading
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from sagewatch.capture.manifest import parse_manifest, split_generated_ids_line
from sagewatch.localstack.runtime.servers import ModelResponse, ServerUnavailableError
from sagewatch.localstack.sagemaker.transform.runner import ModelStartError, TransformRunner
from sagewatch.localstack.sagemaker.transform.service import TransformService

ACCOUNT, REGION = "000000000000", "us-east-1"
CONTEXT = SimpleNamespace(account_id=ACCOUNT, region=REGION)
START = datetime(2024, 5, 1, 13, 59, 57, tzinfo=timezone.utc)  # the job starts at 13:59:59, ends after 14:00


class MemoryS3:
    def __init__(self, objects=None):
        self.objects = dict(objects or {})
        self.kms = {}

    def list_objects(self, bucket, prefix):
        return sorted(k for (b, k) in self.objects if b == bucket and k.startswith(prefix))

    def get(self, bucket, key):
        return self.objects[(bucket, key)]

    def put(self, bucket, key, body, kms_key_id=None):
        self.objects[(bucket, key)] = body
        self.kms[(bucket, key)] = kms_key_id


class CsvModel:
    """Answers one line per input line: the first value doubled; a line holding 'bad' is refused (400)."""

    def __init__(self, fail_first=0):
        self.payloads = []
        self.closed = False
        self.fail_first = fail_first
        self.lock = threading.Lock()

    def invoke(self, body, content_type, accept):
        with self.lock:
            self.payloads.append(body)
            if self.fail_first:
                self.fail_first -= 1
                raise ServerUnavailableError("timed out")
        if b"bad" in body:
            return ModelResponse(400, b"could not convert string to float: 'bad'", "text/plain", None)
        lines = body.decode().split("\n")
        answer = "\n".join(str(float(line.split(",")[0]) * 2) for line in lines)
        return ModelResponse(200, answer.encode(), "text/csv", None)

    def close(self):
        self.closed = True


class Clock:
    def __init__(self):
        self.now = START

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


def make_job(s3, model, **extra):
    service = TransformService(Clock(), start_runner=lambda service, job: None,
                               models=lambda context, name: {"ModelName": name}, publish=lambda *a: None)
    body = {
        "TransformJobName": "tj",
        "ModelName": "m",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in"}},
                           "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": "s3://b/out", "AssembleWith": "Line", "KmsKeyId": "out-key"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    for key, value in extra.items():
        if key in ("TransformInput", "TransformOutput"):
            body[key] = {**body[key], **value}
        else:
            body[key] = value
    job = service.create_job(CONTEXT, body)
    runner = TransformRunner(service, job, s3, lambda job: model)
    return service, job, runner


def test_single_record_job_writes_one_out_file_per_input_keeping_relative_paths():
    s3 = MemoryS3({("b", "in/a.csv"): b"1,x\n2,y\n", ("b", "in/sub/c.csv"): b"3,z", ("b", "in/empty.csv"): b"",
                   ("b", "other/d.csv"): b"9"})
    model = CsvModel()
    service, job, runner = make_job(s3, model, BatchStrategy="SingleRecord")
    runner.run()
    assert job.status == "Completed", job.failure_reason
    assert s3.objects[("b", "out/a.csv.out")] == b"2.0\n4.0\n"
    assert s3.objects[("b", "out/sub/c.csv.out")] == b"6.0\n"
    assert s3.objects[("b", "out/empty.csv.out")] == b""
    assert ("b", "out/d.csv.out") not in s3.objects
    assert s3.kms[("b", "out/a.csv.out")] == "out-key"
    assert sorted(model.payloads) == [b"1,x", b"2,y", b"3,z"]
    assert model.closed
    assert job.start_time is not None and job.end_time >= job.start_time


def test_multi_record_packs_records_up_to_max_payload():
    rows = b"".join(b"%d,%s\n" % (i, b"p" * 1000) for i in range(3000))  # about 3 MB
    s3 = MemoryS3({("b", "in/big.csv"): rows})
    model = CsvModel()
    _, job, runner = make_job(s3, model, BatchStrategy="MultiRecord", MaxPayloadInMB=1, MaxConcurrentTransforms=4)
    runner.run()
    assert job.status == "Completed", job.failure_reason
    assert len(model.payloads) == 3 and all(len(p) <= 1024 * 1024 for p in model.payloads)
    lines = s3.objects[("b", "out/big.csv.out")].decode().splitlines()
    assert lines == [str(float(i * 2)) for i in range(3000)]  # in order although sent concurrently


def test_assemble_none_concatenates_answers():
    s3 = MemoryS3({("b", "in/a.csv"): b"1\n2\n"})
    _, job, runner = make_job(s3, CsvModel(), BatchStrategy="SingleRecord", TransformOutput={"AssembleWith": "None"})
    runner.run()
    assert s3.objects[("b", "out/a.csv.out")] == b"2.04.0"


def test_gzip_input_is_read_decompressed():
    s3 = MemoryS3({("b", "in/a.csv.gz"): gzip.compress(b"1\n2\n")})
    _, job, runner = make_job(s3, CsvModel(), BatchStrategy="MultiRecord", TransformInput={"CompressionType": "Gzip"})
    runner.run()
    assert s3.objects[("b", "out/a.csv.gz.out")] == b"2.0\n4.0\n"


def test_rejected_record_fails_the_job_naming_file_and_record_and_writes_no_capture():
    s3 = MemoryS3({("b", "in/a.csv"): b"1\n2\nbad\n4\n"})
    _, job, runner = make_job(s3, CsvModel(), BatchStrategy="SingleRecord",
                              DataCaptureConfig={"DestinationS3Uri": "s3://b/capture"})
    runner.run()
    assert job.status == "Failed"
    assert job.failure_reason == ("ClientError: The model could not transform record 3 of s3://b/in/a.csv: the model "
                                  "answered 400: could not convert string to float: 'bad'")
    assert not [k for (_, k) in s3.objects if k.startswith(("out/", "capture/"))]


def test_unanswered_requests_are_retried_as_model_client_config_says():
    s3 = MemoryS3({("b", "in/a.csv"): b"1\n"})
    model = CsvModel(fail_first=2)
    _, job, runner = make_job(s3, model, ModelClientConfig={"InvocationsMaxRetries": 2})
    runner.run()
    assert job.status == "Completed" and len(model.payloads) == 3
    model = CsvModel(fail_first=2)
    _, job, runner = make_job(MemoryS3({("b", "in/a.csv"): b"1\n"}), model,
                              ModelClientConfig={"InvocationsMaxRetries": 1})
    runner.run()
    assert job.status == "Failed" and "the model server did not answer (timed out)" in job.failure_reason


def test_record_over_max_payload_fails_the_job():
    s3 = MemoryS3({("b", "in/a.csv"): b"1\n" + b"2" * (1024 * 1024 + 1) + b"\n"})
    _, job, runner = make_job(s3, CsvModel(), BatchStrategy="MultiRecord", MaxPayloadInMB=1)
    runner.run()
    assert job.status == "Failed"
    assert job.failure_reason.startswith("ClientError: s3://b/in/a.csv: record 2 is 1048577 bytes, more than "
                                         "MaxPayloadInMB (1 MB")


def test_no_input_objects_fails_with_the_service_reason():
    _, job, runner = make_job(MemoryS3(), CsvModel())
    runner.run()
    assert job.status == "Failed" and 'No S3 objects found under S3 URL "s3://b/in"' in job.failure_reason


def test_model_that_cannot_start_fails_the_job():
    s3 = MemoryS3({("b", "in/a.csv"): b"1\n"})
    _, job, runner = make_job(s3, None)

    def refuse(job):
        raise ModelStartError("the model cannot be loaded")

    runner._open_model = refuse
    runner.run()
    assert job.status == "Failed"
    assert job.failure_reason == "ClientError: The container of model m did not start: the model cannot be loaded"


def test_stop_during_the_run_ends_stopped_without_outputs():
    s3 = MemoryS3({("b", f"in/{i}.csv"): b"1\n2\n" for i in range(5)})
    service = None

    class StoppingModel(CsvModel):
        def invoke(self, body, content_type, accept):
            service.request_stop(job)
            return super().invoke(body, content_type, accept)

    model = StoppingModel()
    service, job, runner = make_job(s3, model, BatchStrategy="SingleRecord")
    runner.run()
    assert job.status == "Stopped" and job.failure_reason is None
    assert len(model.payloads) == 1 and model.closed
    assert not [k for (_, k) in s3.objects if k.startswith("out/")]


def test_capture_manifests_in_the_start_hour_readable_by_the_engine_with_inference_ids():
    s3 = MemoryS3({("b", "in/a.csv"): b"1\n2\n", ("b", "in/sub/c.csv"): b"3\n"})
    _, job, runner = make_job(s3, CsvModel(), BatchStrategy="MultiRecord",
                              DataCaptureConfig={"DestinationS3Uri": "s3://b/capture/", "KmsKeyId": "cap-key",
                                                 "GenerateInferenceId": True})
    runner.run()
    assert job.status == "Completed", job.failure_reason
    hour = job.start_time.strftime("%Y/%m/%d/%H")
    assert hour == "2024/05/01/13" and job.end_time.hour == 14  # the start hour, not the end hour
    inputs = parse_manifest(s3.objects[("b", f"capture/input/{hour}/tj.jsonl")])
    outputs = parse_manifest(s3.objects[("b", f"capture/output/{hour}/tj.jsonl")])
    assert inputs.uris() == ["s3://b/in/a.csv", "s3://b/in/sub/c.csv"]
    assert outputs.uris() == ["s3://b/out/a.csv.out", "s3://b/out/sub/c.csv.out"]
    assert all(("b", uri[len("s3://b/"):]) in s3.objects for uri in inputs.uris() + outputs.uris())
    assert s3.kms[("b", f"capture/input/{hour}/tj.jsonl")] == "cap-key"
    lines = s3.objects[("b", "out/a.csv.out")].decode().splitlines()
    split = [split_generated_ids_line(line) for line in lines]
    assert [record for record, _, _ in split] == ["2.0", "4.0"]
    assert len({inference_id for _, inference_id, _ in split}) == 2
    assert {when for _, _, when in split} == {job.start_time.replace(microsecond=0)}


def test_manifest_file_input_reads_the_listed_files():
    s3 = MemoryS3({("b", "lists/m.json"): b'[{"prefix": "s3://b/data/"}, "x.csv", "deep/y.csv"]',
                   ("b", "data/x.csv"): b"1\n", ("b", "data/deep/y.csv"): b"2\n", ("b", "data/z.csv"): b"5\n"})
    _, job, runner = make_job(s3, CsvModel(), TransformInput={
        "DataSource": {"S3DataSource": {"S3DataType": "ManifestFile", "S3Uri": "s3://b/lists/m.json"}}},
        DataCaptureConfig={"DestinationS3Uri": "s3://b/capture"})
    runner.run()
    assert job.status == "Completed", job.failure_reason
    assert s3.objects[("b", "out/x.csv.out")] == b"2.0\n"
    assert s3.objects[("b", "out/deep/y.csv.out")] == b"4.0\n"
    assert ("b", "out/z.csv.out") not in s3.objects
    hour = job.start_time.strftime("%Y/%m/%d/%H")
    assert parse_manifest(s3.objects[("b", f"capture/input/{hour}/tj.jsonl")]).uris() == [
        "s3://b/data/x.csv", "s3://b/data/deep/y.csv"]


def test_invalid_manifest_file_fails_naming_it():
    s3 = MemoryS3({("b", "lists/m.json"): b'{"not": "a manifest"}'})
    _, job, runner = make_job(s3, CsvModel(), TransformInput={
        "DataSource": {"S3DataSource": {"S3DataType": "ManifestFile", "S3Uri": "s3://b/lists/m.json"}}})
    runner.run()
    assert job.status == "Failed"
    assert job.failure_reason.startswith("ClientError: The manifest file s3://b/lists/m.json is not valid")


@pytest.mark.parametrize("uri, expected", [("s3://b/in/a.csv", ["a.csv"]), ("s3://b/in/", ["a.csv", "sub/c.csv"])])
def test_single_object_and_folder_uris(uri, expected):
    s3 = MemoryS3({("b", "in/a.csv"): b"1\n", ("b", "in/sub/c.csv"): b"2\n"})
    _, job, runner = make_job(s3, CsvModel(), TransformInput={
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}}})
    runner.run()
    assert sorted(k[len("out/"):-len(".out")] for (_, k) in s3.objects if k.startswith("out/")) == expected


def test_data_processing_join_and_filters_in_multi_record_jobs():
    s3 = MemoryS3({("b", "in/a.csv"): b"id-1,1,x\nid-2,2,y\nid-3,3,z\n"})
    model = CsvModel()
    _, job, runner = make_job(s3, model, BatchStrategy="MultiRecord", DataProcessing={
        "InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
        DataCaptureConfig={"DestinationS3Uri": "s3://b/capture", "GenerateInferenceId": True})
    runner.run()
    assert job.status == "Completed", job.failure_reason
    assert model.payloads == [b"1,x\n2,y\n3,z"]  # the id column is not sent
    lines = s3.objects[("b", "out/a.csv.out")].decode().splitlines()
    assert [split_generated_ids_line(line)[0] for line in lines] == ["id-1,2.0", "id-2,4.0", "id-3,6.0"]


def test_data_processing_failure_names_file_and_record():
    s3 = MemoryS3({("b", "in/a.csv"): b"1,2\n3\n"})
    _, job, runner = make_job(s3, CsvModel(), DataProcessing={"InputFilter": "$[1]"})
    runner.run()
    assert job.status == "Failed"
    assert job.failure_reason == ("ClientError: s3://b/in/a.csv: InputFilter $[1]: record 2: index 1 is outside the "
                                  "record's 1 elements")


class NoBucketS3(MemoryS3):
    def __init__(self, objects, missing):
        super().__init__(objects)
        self.missing = missing

    def list_objects(self, bucket, prefix):
        if bucket == self.missing:
            raise RuntimeError("NoSuchBucket: The specified bucket does not exist")
        return super().list_objects(bucket, prefix)

    def put(self, bucket, key, body, kms_key_id=None):
        if bucket == self.missing:
            raise RuntimeError("NoSuchBucket: The specified bucket does not exist")
        super().put(bucket, key, body, kms_key_id)


def test_missing_output_bucket_fails_naming_the_output():
    s3 = NoBucketS3({("b", "in/a.csv"): b"1\n"}, missing="gone")
    _, job, runner = make_job(s3, CsvModel(), TransformOutput={"S3OutputPath": "s3://gone/out"})
    runner.run()
    assert job.status == "Failed"
    assert job.failure_reason == ("ClientError: Cannot write the output s3://gone/out/a.csv.out: NoSuchBucket: The "
                                  "specified bucket does not exist")


def test_missing_input_bucket_fails_naming_the_input():
    _, job, runner = make_job(NoBucketS3({}, missing="b"), CsvModel())
    runner.run()
    assert job.status == "Failed"
    assert job.failure_reason.startswith('ClientError: Cannot list the input "s3://b/in": NoSuchBucket')


def test_kill_closes_the_model_once_and_the_job_ends_stopped():
    s3 = MemoryS3({("b", "in/a.csv"): b"1\n2\n3\n"})
    closed = []

    class KilledModel(CsvModel):
        def invoke(self, body, content_type, accept):
            runner.kill()  # LocalStack going down while a request is in flight
            return super().invoke(body, content_type, accept)

        def close(self):
            closed.append(True)

    _, job, runner = make_job(s3, KilledModel(), BatchStrategy="SingleRecord")
    runner.run()
    assert job.status == "Stopped" and closed == [True]
