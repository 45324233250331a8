"""Runs one transform job to its end: inputs from S3, requests to the model's server, ``.out`` files, capture.

:class:`TransformRunner` is the job's thread. It lists the input (``S3Prefix`` or a ``ManifestFile``), starts a
model server for the job's model (:func:`hosted_model`, the endpoints' :class:`ModelServer`), sends every file's
requests (:mod:`~sagewatch.localstack.sagemaker.transform.records`) with ``MaxConcurrentTransforms`` requests in
flight, writes ``<relative path>.out`` under ``S3OutputPath`` (with ``KmsKeyId``), then the capture manifests,
and ends the job ``Completed``. A record the model rejects, a record over ``MaxPayloadInMB``, a file that cannot be
read end it ``Failed`` with a reason naming the file and the record; ``StopTransformJob`` ends it ``Stopped``.

``ModelClientConfig``: ``InvocationsTimeoutInSeconds`` (default 600) bounds one request;
``InvocationsMaxRetries`` (default 3) resends a request the server did not answer or answered with a 5xx; a
4xx answer is the model refusing the record and is not retried.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from sagewatch.capture.manifest import parse_manifests
from sagewatch.errors import InvalidParameterError, SchemaError
from sagewatch.localstack.sagemaker.common import iso_z
from sagewatch.localstack.sagemaker.processing.runner import relative_key
from sagewatch.localstack.sagemaker.transform.capture import capture_manifests
from sagewatch.localstack.sagemaker.transform.data_processing import DataProcessing, is_json_type
from sagewatch.localstack.sagemaker.transform.records import (
    MIB,
    Batch,
    RecordError,
    assemble,
    decompress,
    plan_batches,
    split_records,
    with_inference_ids,
)
from sagewatch.localstack.sagemaker.transform.storage import ObjectStore
from sagewatch.schemas.s3_uri import split_s3_uri

__all__ = ["InputFile", "ModelHandle", "ModelStartError", "TransformRunner", "hosted_model"]

LOG = logging.getLogger(__name__)

DEFAULT_INVOCATION_TIMEOUT = 600
DEFAULT_MAX_RETRIES = 3
DEFAULT_MAX_PAYLOAD_MB = 6
MAX_CONCURRENCY = 64  # threads of one job; more would only queue on the model server


class ModelStartError(RuntimeError):
    """The job's model server could not be started; the message is the reason."""


class ModelHandle(Protocol):
    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Any: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class InputFile:
    """One input object and where its output goes: ``<S3OutputPath>/<relative>.out``."""

    bucket: str
    key: str
    relative: str

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class _Ended(Exception):
    def __init__(self, status: str, reason: str | None = None) -> None:
        super().__init__(reason or status)
        self.status, self.reason = status, reason


def _folder(uri: str) -> str:
    return uri if uri.endswith("/") else uri + "/"


class TransformRunner:
    """Runs one :class:`~sagewatch.localstack.sagemaker.transform.service.TransformJob`.

    Parameters
    ----------
    service : TransformService
        Receives the status changes (``update``).
    job : TransformJob
    s3 : ObjectStore
    open_model : callable
        ``job -> ModelHandle``; raises :class:`ModelStartError`.
    """

    def __init__(self, service: Any, job: Any, s3: ObjectStore, open_model: Callable[[Any], ModelHandle]) -> None:
        self.service, self.job, self.s3, self._open_model = service, job, s3, open_model
        self.request: dict[str, Any] = job.request
        self.model: ModelHandle | None = None
        self.processing = DataProcessing.from_request(self.request)  # checked by CreateTransformJob

    def run(self) -> None:
        status, reason = "Completed", None
        try:
            self._run()
        except _Ended as ended:
            status, reason = ended.status, ended.reason
        except Exception as error:  # noqa: BLE001 - any failure of ours ends the job, never LocalStack
            LOG.exception("sagewatch: transform job %s failed inside the emulator", self.job.name)
            status = "Failed"
            reason = f"InternalServerError: sagewatch could not run the job: {type(error).__name__}: {error}"
        finally:
            model, self.model = self.model, None
            if model is not None:
                try:
                    model.close()
                except Exception:  # noqa: BLE001
                    LOG.exception("sagewatch: could not stop the model server of transform job %s", self.job.name)
        if self.job.stop_requested.is_set() and status != "Completed":
            status, reason = "Stopped", None
        self.service.update(self.job, status=status, failure_reason=reason)

    def kill(self) -> None:
        """Stop the job's model server now (LocalStack is going down)."""
        self.job.stop_requested.set()
        model, self.model = self.model, None  # closed once: here, not again when the run ends
        if model is not None:
            model.close()

    # --- the run ----------------------------------------------------------------------------------------------

    def _check_stop(self) -> None:
        if self.job.stop_requested.is_set():
            raise _Ended("Stopped")

    def _run(self) -> None:
        self.service.update(self.job, start_time=self.service.clock())
        inputs, input_prefix = self._inputs()
        self._check_stop()
        try:
            self.model = self._open_model(self.job)
        except ModelStartError as error:
            raise _Ended("Failed", f"ClientError: The container of model {self.request['ModelName']} did not "
                                   f"start: {error}") from error
        output = self.request["TransformOutput"]
        out_bucket, out_key = split_s3_uri(_folder(output["S3OutputPath"]))
        workers = min(MAX_CONCURRENCY, max(1, int(self.request.get("MaxConcurrentTransforms") or 1)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"sagewatch-transform-{self.job.name}") as pool:
            for item in inputs:
                self._check_stop()
                body = self._transform_file(item, pool)
                self._check_stop()
                key = f"{out_key}{item.relative}.out"
                try:
                    self.s3.put(out_bucket, key, body, output.get("KmsKeyId"))
                except Exception as error:  # noqa: BLE001 - a missing bucket, a refused KMS key
                    raise _Ended("Failed", f"ClientError: Cannot write the output s3://{out_bucket}/{key}: "
                                           f"{error}") from error
        self._write_capture(input_prefix, [item.relative for item in inputs])

    def _inputs(self) -> tuple[list[InputFile], str]:
        """The input files in S3's order, and the prefix their relative paths start from."""
        source = self.request["TransformInput"]["DataSource"]["S3DataSource"]
        uri = source["S3Uri"]
        bucket, prefix = split_s3_uri(uri)
        if source["S3DataType"] == "ManifestFile":
            return self._manifest_inputs(bucket, prefix)
        try:
            keys = [key for key in self.s3.list_objects(bucket, prefix) if not key.endswith("/")]
        except Exception as error:  # noqa: BLE001 - a missing bucket
            raise _Ended("Failed", f'ClientError: Cannot list the input "{uri}": {error}') from error
        if not keys:
            raise _Ended("Failed", f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data '
                                   f"source. Please ensure that the bucket exists in the selected region "
                                   f"({self.job.region}) and that objects exist under that S3 prefix.")
        files = [InputFile(bucket, key, relative_key(prefix, key)) for key in keys]
        folder = files[0].key[: len(files[0].key) - len(files[0].relative)]
        return files, f"s3://{bucket}/{folder}"

    def _manifest_inputs(self, bucket: str, key: str) -> tuple[list[InputFile], str]:
        where = f"s3://{bucket}/{key}"
        try:
            manifests = parse_manifests(self.s3.get(bucket, key), source=where)
        except SchemaError as error:
            raise _Ended("Failed", f"ClientError: The manifest file {where} is not valid: {error}") from error
        except Exception as error:  # noqa: BLE001 - a missing object or bucket
            raise _Ended("Failed", f"ClientError: Cannot read the manifest file {where}: {error}") from error
        files = []
        for manifest in manifests:
            for name, file_uri in zip(manifest.files, manifest.uris()):
                try:
                    file_bucket, file_key = split_s3_uri(file_uri)
                except InvalidParameterError as error:
                    raise _Ended("Failed", f"ClientError: The manifest file {where} names a file that is not in "
                                           f"S3: {error}") from error
                files.append(InputFile(file_bucket, file_key, name.lstrip("/")))
        if not files:
            raise _Ended("Failed", f"ClientError: The manifest file {where} lists no files.")
        return files, manifests[0].prefix

    def _transform_file(self, item: InputFile, pool: ThreadPoolExecutor) -> bytes:
        transform_input = self.request["TransformInput"]
        try:
            data = self.s3.get(item.bucket, item.key)
        except Exception as error:  # noqa: BLE001
            raise _Ended("Failed", f"ClientError: Cannot read {item.uri}: {error}") from error
        payload_mb = self.request.get("MaxPayloadInMB", DEFAULT_MAX_PAYLOAD_MB)
        try:
            records = split_records(decompress(data, transform_input.get("CompressionType") or "None"),
                                    transform_input.get("SplitType") or "None")
            sent = self.processing.filter_records(records) if self.processing else records
            batches = plan_batches(sent, self.request.get("BatchStrategy") or "SingleRecord",
                                   payload_mb * MIB if payload_mb else None)
        except RecordError as error:
            raise _Ended("Failed", f"ClientError: {item.uri}: {error}") from error
        answers = []
        # map keeps the file's order; submitting lazily would not bound the queue better than one file does
        for batch, answer in zip(batches, pool.map(lambda b: self._send(item, b), batches)):
            answers.append(self._finished(item, records, batch, answer))
        return assemble(answers, self.request["TransformOutput"].get("AssembleWith") or "None")

    def _send(self, item: InputFile, batch: Batch) -> Any:
        from sagewatch.localstack.runtime.servers import ServerUnavailableError

        if self.job.stop_requested.is_set():
            raise _Ended("Stopped")
        model = self.model
        if model is None:
            raise _Ended("Stopped")
        client = self.request.get("ModelClientConfig") or {}
        retries = client.get("InvocationsMaxRetries", DEFAULT_MAX_RETRIES)
        content_type = self.request["TransformInput"].get("ContentType")
        accept = self.request["TransformOutput"].get("Accept")
        problem = ""
        for _attempt in range(retries + 1):
            try:
                answer = model.invoke(batch.payload, content_type, accept)
            except ServerUnavailableError as error:
                if self.job.stop_requested.is_set():
                    raise _Ended("Stopped") from error
                problem = f"the model server did not answer ({error})"
                continue
            if answer.status < 400:
                return answer
            message = answer.body.decode("utf-8", "replace").strip()[:300]
            problem = f"the model answered {answer.status}: {message}"
            if answer.status < 500:
                break
        raise _Ended("Failed", f"ClientError: The model could not transform {batch.describe()} of {item.uri}: "
                               f"{problem}")

    def _finished(self, item: InputFile, records: Any, batch: Batch, answer: Any) -> bytes:
        """The answer as it goes into the ``.out`` file: ``DataProcessing`` applied, then the inference ids."""
        body = bytes(answer.body)
        content_type = answer.content_type or self.request["TransformOutput"].get("Accept")
        output_json = is_json_type(content_type)
        if self.processing is not None:
            starts = records.starts[batch.first:batch.last + 1].tolist()
            ends = records.ends[batch.first:batch.last + 1].tolist()
            originals = [records.data[start:end] for start, end in zip(starts, ends)]
            try:
                body, output_json = self.processing.process_answer(originals, body, output_json, batch.first)
            except (RecordError, UnicodeDecodeError) as error:
                raise _Ended("Failed", f"ClientError: DataProcessing: the answer to {batch.describe()} of "
                                       f"{item.uri}: {error}") from error
        capture = self.request.get("DataCaptureConfig") or {}
        if not capture.get("GenerateInferenceId"):
            return body
        try:
            return with_inference_ids(body, "application/json" if output_json else "text/csv",
                                      iso_z(self.job.start_time))
        except (RecordError, UnicodeDecodeError) as error:
            raise _Ended("Failed", f"ClientError: GenerateInferenceId: the answer to {batch.describe()} of "
                                   f"{item.uri}: {error}") from error

    def _write_capture(self, input_prefix: str, relatives: list[str]) -> None:
        capture = self.request.get("DataCaptureConfig")
        if not capture:
            return
        manifests = capture_manifests(capture["DestinationS3Uri"], self.job.name, self.job.start_time, input_prefix,
                                      relatives, self.request["TransformOutput"]["S3OutputPath"])
        for uri, body in (manifests.input, manifests.output):
            bucket, key = split_s3_uri(uri)
            try:
                self.s3.put(bucket, key, body, capture.get("KmsKeyId"))
            except Exception as error:  # noqa: BLE001
                raise _Ended("Failed", f"ClientError: Cannot write the data capture manifest {uri}: {error}") from error


# --- the model server of a job --------------------------------------------------------------------------------


LOG_GROUP = "/aws/sagemaker/TransformJobs"
INSTANCE_ID = "i-sagewatch-0"


class _HostedModel:
    """The job's model server; closing it stops the server and ships its log to CloudWatch Logs
    (``/aws/sagemaker/TransformJobs``, stream ``<job>/i-sagewatch-0``), where the SDK's ``logs=True`` reads it."""

    def __init__(self, server: Any, job: Any, log_offset: int) -> None:
        self.server, self.job, self.log_offset = server, job, log_offset

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Any:
        return self.server.invoke(body, content_type, accept)

    def close(self) -> None:
        self.server.stop()
        try:
            with open(self.server.log_file, "rb") as log:
                log.seek(self.log_offset)
                lines = [line for line in log.read().decode("utf-8", "replace").splitlines() if line.strip()]
            if lines:
                from sagewatch.localstack.sagemaker.processing.aws import InternalAws

                aws = InternalAws(self.job.account_id, self.job.region)
                stream = f"{self.job.name}/{INSTANCE_ID}"
                aws.ensure_log_stream(LOG_GROUP, stream)
                now = int(time.time() * 1000)
                aws.put_log_events(LOG_GROUP, stream, [{"timestamp": now, "message": line} for line in lines])
        except Exception:  # noqa: BLE001 - the log is a courtesy; the job's outcome does not depend on it
            LOG.exception("sagewatch: could not ship the model server log of transform job %s", self.job.name)


def hosted_model(job: Any) -> ModelHandle:
    """Start a model server for the job's model, as the emulator's endpoints do (:class:`ModelServer` on the
    emulator's :class:`~sagewatch.localstack.runtime.hosting.Hosting`: its settings, registry and folders).

    Raises
    ------
    ModelStartError
    """
    from sagewatch.localstack.runtime.hosting import get_hosting
    from sagewatch.localstack.runtime.servers import ModelServer, ServedModel
    from sagewatch.serving import ServerStartError

    hosting = get_hosting()
    try:
        served = ServedModel.from_description(job.model)
    except ValueError as error:
        raise ModelStartError(str(error)) from error
    # the job's Environment on top of the model's, as the job's container gets both
    served = dataclasses.replace(served, environment={**served.environment, **(job.request.get("Environment") or {})})
    if not hosting.servable(served.image):
        raise ModelStartError(f"sagewatch cannot serve the image {served.image or '(none)'}: it serves the SageMaker "
                              "scikit-learn and XGBoost images, sagewatch-serving, and images mapped in "
                              "SAGEWATCH_IMAGE_MAP.")
    client = job.request.get("ModelClientConfig") or {}
    server = ModelServer(
        served,
        label=f"transform-job/{job.name}",
        workdir=hosting.work_dir / job.account_id / job.region / "transform-jobs" / job.name,
        log_file=hosting.state_dir / "logs" / job.account_id / job.region / "transform-jobs" / f"{job.name}.log",
        environment=hosting.clients.server_environment(job.account_id, job.region),
        workers=hosting.settings.serving_workers,
        invocation_timeout=float(client.get("InvocationsTimeoutInSeconds", DEFAULT_INVOCATION_TIMEOUT)),
        registry=hosting.registry,
    )
    offset = server.log_file.stat().st_size if server.log_file.exists() else 0
    try:
        server.start(hosting.settings.startup_timeout)
    except ServerStartError as error:
        _HostedModel(server, job, offset).close()
        raise ModelStartError(f"{error} (model server log: {server.log_file})") from error
    return _HostedModel(server, job, offset)
