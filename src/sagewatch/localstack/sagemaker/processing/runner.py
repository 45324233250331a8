"""Run one processing job as a local process, the way SageMaker runs its container (contract §4).

Per job, a folder ``<job root>/<account>/<region>/<job name>/`` stands in for ``/opt/ml``:

- inputs are downloaded into their ``LocalPath`` (``S3Prefix`` and ``ManifestFile``; ``Pipe`` and ``FastFile``
  are treated as ``File``);
- ``config/processingjobconfig.json`` holds the whole request (plus ``ProcessingJobArn``), and
  ``config/resourceconfig.json`` the single host ``algo-1``;
- the command of :func:`~sagewatch.localstack.sagemaker.processing.images.resolve_command` runs with the
  request's ``Environment`` (paths left as ``/opt/ml/...``; ``SAGEWATCH_OPT_ML`` relocates them), AWS
  variables pointing at LocalStack, and the folder as working directory;
- the built-in analyzer's interpreter starts in the job's folder while the inputs download and runs the job once
  they are all in place (:mod:`~sagewatch.localstack.sagemaker.processing.standby`; its imports take about a
  second);
- its stdout and stderr go to CloudWatch Logs, group ``/aws/sagemaker/ProcessingJobs``, stream
  ``<job name>/algo-1-<epoch seconds>`` (and to ``sagewatch-job.log`` in the folder);
- outputs are uploaded at the end, and every few seconds while it runs for ``S3UploadMode: Continuous``;
- with ``publish_cloudwatch_metrics=Enabled`` the metric files under ``/opt/ml/output/metrics/cloudwatch`` are
  put to CloudWatch (contract §4.5, §5);
- the status follows contract §12: exit 0 gives ``Completed`` with ``/opt/ml/output/message`` as ExitMessage,
  any other exit ``Failed`` with the message (cut to 1024 characters) as FailureReason. A stop request ends
  ``Stopped``; running past ``MaxRuntimeInSeconds`` ends ``Failed``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagewatch.localstack.sagemaker.common import jsonable
from sagewatch.localstack.sagemaker.processing.aws import LOG_GROUP, AwsAccess
from sagewatch.localstack.sagemaker.processing.images import (
    ImageError,
    analyzer_command,
    is_builtin_image,
    relocate,
    resolve_command,
)
from sagewatch.localstack.sagemaker.processing.standby import dismiss, hand_over, start_standby
from sagewatch.schemas.metric_lines import namespace_of_line, parse_metric_lines
from sagewatch.schemas.s3_uri import split_s3_uri

__all__ = ["JobRunner", "LogShipper", "relative_key"]

LOG = logging.getLogger(__name__)

HOST = "algo-1"
LOG_FILE = "sagewatch-job.log"
DOWNLOAD_THREADS = 8
_PASS_THROUGH = ("PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "TEMP", "TMP",
                 "PYTHONPATH", "VIRTUAL_ENV", "SYSTEMROOT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


@dataclass(frozen=True)
class Outcome:
    status: str
    exit_message: str | None = None
    failure_reason: str | None = None


class _Ended(Exception):
    def __init__(self, status: str, reason: str | None = None) -> None:
        super().__init__(reason or status)
        self.outcome = Outcome(status, None, reason)


def relative_key(prefix: str, key: str) -> str:
    """Where an object found under an ``S3Prefix`` lands, relative to the input's ``LocalPath``.

    Examples
    --------
    >>> relative_key("data/train", "data/train/part-1.csv"), relative_key("data/train/", "data/train/a/b.csv")
    ('part-1.csv', 'a/b.csv')
    >>> relative_key("data/train.csv", "data/train.csv"), relative_key("data/tr", "data/train.csv")
    ('train.csv', 'train.csv')
    """
    if key == prefix:
        return key.rsplit("/", 1)[-1]
    if not prefix or prefix.endswith("/"):
        return key[len(prefix):]
    if key.startswith(prefix + "/"):
        return key[len(prefix) + 1:]
    folder = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
    return key[len(folder):]


def _join(prefix: str, relative: str) -> str:
    prefix = prefix.rstrip("/")
    return f"{prefix}/{relative}" if prefix else relative


class LogShipper:
    """Lines of a job's output, sent to CloudWatch Logs about once a second and copied to a local file."""

    def __init__(self, aws: AwsAccess, group: str, stream: str, local_file: Path, period: float = 1.0) -> None:
        self.aws, self.group, self.stream, self.period = aws, group, stream, period
        self._file = open(local_file, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._ready = False
        self._thread = threading.Thread(target=self._loop, name=f"sagewatch-logs-{stream}", daemon=True)

    def start(self) -> None:
        try:
            self.aws.ensure_log_stream(self.group, self.stream)
            self._ready = True
        except Exception:  # noqa: BLE001 - logs are best effort
            LOG.exception("sagewatch: cannot create log stream %s", self.stream)
        self._thread.start()

    def write(self, line: str) -> None:
        text = line.rstrip("\r\n")
        with self._lock:
            self._file.write(text + "\n")
            if text.strip():
                self._pending.append({"timestamp": int(time.time() * 1000), "message": text})

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
            self._file.flush()
        if batch and self._ready:
            try:
                self.aws.put_log_events(self.group, self.stream, batch)
            except Exception:  # noqa: BLE001
                LOG.exception("sagewatch: cannot put %d log event(s) to %s", len(batch), self.stream)

    def _loop(self) -> None:
        while not self._closed.wait(self.period):
            self._flush()

    def close(self) -> None:
        self._closed.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._flush()
        with self._lock:
            self._file.close()


class JobRunner:
    """Runs one :class:`~sagewatch.localstack.sagemaker.processing.service.ProcessingJob` to its end."""

    def __init__(self, service: Any, job: Any) -> None:
        self.service, self.job = service, job
        self.settings = service.settings
        self.aws: AwsAccess = service.aws(job.account_id, job.region)
        self.request: dict[str, Any] = job.request
        self.opt_ml = self.settings.job_root() / job.account_id / job.region / job.name
        self.process: subprocess.Popen[bytes] | None = None
        self._uploaded: dict[Path, tuple[int, int]] = {}
        self._upload_lock = threading.Lock()
        self._timed_out = False
        self._standby: subprocess.Popen[bytes] | None = None

    # --- the whole run --------------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            outcome = self._run()
        except _Ended as ended:
            outcome = ended.outcome
        except Exception as error:  # noqa: BLE001 - any failure of ours ends the job, never LocalStack
            LOG.exception("sagewatch: processing job %s failed inside the emulator", self.job.name)
            outcome = Outcome("Failed", None, f"InternalServerError: sagewatch could not run the job: "
                                              f"{type(error).__name__}: {error}")
        finally:
            if self._standby is not None:  # the job ended before its process was needed
                dismiss(self._standby)
                self._standby = None
            self._remove_inputs()
            self.service.register_runner(self.job, None)
        if self.job.stop_requested.is_set() and outcome.status != "Completed":
            outcome = Outcome("Stopped", outcome.exit_message, None)
        self.service.update(self.job, status=outcome.status, exit_message=outcome.exit_message,
                            failure_reason=outcome.failure_reason)

    def _run(self) -> Outcome:
        self.service.update(self.job, start_time=self.service.clock())
        stopping = self.request.get("StoppingCondition") or {}
        limit = stopping.get("MaxRuntimeInSeconds")
        deadline = time.monotonic() + limit if limit else None
        app = self.request["AppSpecification"]
        image = app["ImageUri"]
        if self.settings.image_map_error and not is_builtin_image(image):
            raise _Ended("Failed", f"ClientError: {self.settings.image_map_error}")
        if self.opt_ml.exists():
            shutil.rmtree(self.opt_ml)
        self.opt_ml.mkdir(parents=True)
        try:
            command = resolve_command(app, self.settings.image_map, self.opt_ml)
        except ImageError as error:
            raise _Ended("Failed", f"ClientError: {error}") from error
        self._write_config()
        self._start_standby(command)
        self._download_inputs(deadline)
        return self._execute(command, deadline, limit)

    # --- before -------------------------------------------------------------------------------------------

    def _write_config(self) -> None:
        config = self.opt_ml / "config"
        config.mkdir(parents=True, exist_ok=True)
        document = {**jsonable(self.request), "ProcessingJobArn": self.job.arn}
        (config / "processingjobconfig.json").write_text(json.dumps(document, indent=2), encoding="utf-8")
        (config / "resourceconfig.json").write_text(json.dumps({"current_host": HOST, "hosts": [HOST]}),
                                                    encoding="utf-8")
        for folder in ("output", "output/metrics/cloudwatch", "processing"):
            (self.opt_ml / folder).mkdir(parents=True, exist_ok=True)

    def _start_standby(self, command: list[str]) -> None:
        """The analyzer's interpreter starts (and imports) while the inputs download (``standby``)."""
        if not self.settings.warm_analyzer or command != analyzer_command():
            return
        try:
            self._standby = start_standby(self.opt_ml, self._environment())
        except OSError:
            LOG.warning("sagewatch: cannot start a standby analyzer for job %s; it starts cold", self.job.name)

    def _take_standby(self) -> subprocess.Popen[bytes] | None:
        standby, self._standby = self._standby, None
        return standby if standby is not None and hand_over(standby) else None

    def _local(self, container_path: str) -> Path:
        return Path(relocate(container_path, self.opt_ml))

    def _download_inputs(self, deadline: float | None) -> None:
        from botocore.exceptions import ClientError

        tasks: list[tuple[str, str, Path]] = []
        for item in self.request.get("ProcessingInputs", []):
            if item.get("DatasetDefinition") is not None:
                raise _Ended("Failed", f"ClientError: Input {item['InputName']!r} uses a DatasetDefinition (Athena or "
                                       "Redshift), which sagewatch's local emulator does not support; use S3Input.")
            s3_input = item["S3Input"]
            if item.get("AppManaged") and not s3_input.get("LocalPath"):
                continue
            local = self._local(s3_input["LocalPath"])
            local.mkdir(parents=True, exist_ok=True)
            bucket, prefix = split_s3_uri(s3_input["S3Uri"])
            try:
                if s3_input["S3DataType"] == "ManifestFile":
                    tasks += self._manifest_tasks(bucket, prefix, local)
                else:
                    keys = [key for key, _ in self.aws.list_objects(bucket, prefix) if not key.endswith("/")]
                    if not keys:
                        raise _Ended("Failed", self._no_objects(s3_input["S3Uri"], bucket))
                    tasks += [(bucket, key, local / relative_key(prefix, key)) for key in keys]
            except ClientError as error:
                raise _Ended("Failed", f"ClientError: Cannot read input {item['InputName']!r} from "
                                       f"{s3_input['S3Uri']}: {error}") from error
        for _, _, destination in tasks:
            if not destination.resolve().is_relative_to(self.opt_ml.resolve()):
                raise _Ended("Failed", f"ClientError: the input object {destination.name} would land outside "
                                       "/opt/ml/processing.")
        with ThreadPoolExecutor(max_workers=DOWNLOAD_THREADS) as pool:
            futures = [pool.submit(self.aws.download, bucket, key, destination) for bucket, key, destination in tasks]
            for future, (bucket, key, _) in zip(futures, tasks):
                if self.job.stop_requested.is_set():
                    raise _Ended("Stopped")
                if deadline is not None and time.monotonic() > deadline:
                    self._timed_out = True
                    raise _Ended("Failed", self._timeout_reason())
                try:
                    future.result()
                except ClientError as error:
                    raise _Ended("Failed", f"ClientError: Cannot download s3://{bucket}/{key}: {error}") from error

    def _manifest_tasks(self, bucket: str, key: str, local: Path) -> list[tuple[str, str, Path]]:
        from sagewatch.capture.manifest import parse_manifests
        from sagewatch.errors import InvalidParameterError, SchemaError

        try:
            manifests = parse_manifests(self.aws.read_text(bucket, key), source=f"s3://{bucket}/{key}")
        except SchemaError as error:
            raise _Ended("Failed", f"ClientError: The manifest file s3://{bucket}/{key} is not valid: {error}") from error
        tasks = []
        for manifest in manifests:
            for name, uri in zip(manifest.files, manifest.uris()):
                try:
                    object_bucket, object_key = split_s3_uri(uri)
                except InvalidParameterError as error:
                    raise _Ended("Failed", f"ClientError: The manifest file s3://{bucket}/{key} names a file that is "
                                           f"not in S3: {error}") from error
                tasks.append((object_bucket, object_key, local / name.lstrip("/")))
        return tasks

    def _no_objects(self, uri: str, bucket: str) -> str:
        return (f'ClientError: No S3 objects found under S3 URL "{uri}" given in input data source. Please ensure '
                f"that the bucket exists in the selected region ({self.job.region}), that objects exist under that "
                f"S3 prefix, and that the role {self.request.get('RoleArn')} has \"s3:ListBucket\" permissions on "
                f'bucket "{bucket}".')

    def _timeout_reason(self) -> str:
        limit = (self.request.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
        return (f"MaxRuntimeInSeconds exceeded: the job ran longer than its StoppingCondition of {limit} seconds and "
                "was stopped.")

    def _environment(self) -> dict[str, str]:
        from localstack import config

        env = {key: os.environ[key] for key in _PASS_THROUGH if key in os.environ}
        env.update({
            "AWS_ENDPOINT_URL": config.internal_service_url(),
            "AWS_ACCESS_KEY_ID": self.job.account_id,
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": self.job.region,
            "AWS_DEFAULT_REGION": self.job.region,
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.request.get("Environment") or {})
        env["SAGEWATCH_OPT_ML"] = str(self.opt_ml)
        return env

    # --- during -------------------------------------------------------------------------------------------

    def _execute(self, command: list[str], deadline: float | None, limit: int | None) -> Outcome:
        started = self.job.start_time or self.service.clock()
        stream = f"{self.job.name}/{HOST}-{int(started.timestamp())}"
        shipper = LogShipper(self.aws, LOG_GROUP, stream, self.opt_ml / LOG_FILE)
        shipper.start()
        try:
            self.process = self._take_standby() or subprocess.Popen(  # noqa: S603 - the job's own command
                command, cwd=self.opt_ml, env=self._environment(), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as error:
            shipper.close()
            raise _Ended("Failed", f"ClientError: cannot start {command[0]}: {error}") from error
        registry = getattr(self.service, "process_registry", None)
        if registry is not None:  # a killed emulator's successor stops the job's process
            registry.add(self.process.pid, f"processing-job/{self.job.name}")
        readers = [threading.Thread(target=self._pump, args=(pipe, shipper), daemon=True)
                   for pipe in (self.process.stdout, self.process.stderr)]
        for reader in readers:
            reader.start()
        uploader_stop = threading.Event()
        uploader = threading.Thread(target=self._continuous_uploads, args=(uploader_stop,), daemon=True)
        uploader.start()
        try:
            while self.process.poll() is None:
                if self.job.stop_requested.wait(0.05):
                    self.kill()
                    break
                if deadline is not None and time.monotonic() > deadline:
                    self._timed_out = True
                    self.kill()
                    break
            code = self.process.wait()
            for reader in readers:
                reader.join(timeout=10)
        finally:
            if registry is not None:
                registry.remove(self.process.pid)
            uploader_stop.set()
            uploader.join(timeout=30)
            shipper.close()
        return self._finish(code)

    @staticmethod
    def _pump(pipe: Any, shipper: LogShipper) -> None:
        for raw in iter(pipe.readline, b""):
            shipper.write(raw.decode("utf-8", errors="replace"))
        pipe.close()

    def kill(self) -> None:
        """SIGTERM the job's process tree; SIGKILL what is left after the grace period."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        import psutil

        try:
            parent = psutil.Process(process.pid)
            tree = parent.children(recursive=True) + [parent]
        except psutil.Error:
            return
        for member in tree:
            try:
                member.terminate()
            except psutil.Error:
                pass
        _, alive = psutil.wait_procs(tree, timeout=self.settings.stop_grace_seconds)
        for member in alive:
            try:
                member.kill()
            except psutil.Error:
                pass

    def _continuous_uploads(self, stop: threading.Event) -> None:
        outputs = [o for o in self._outputs() if o["S3Output"]["S3UploadMode"] == "Continuous"]
        if not outputs:
            return
        while not stop.wait(self.settings.continuous_upload_seconds):
            try:
                self._upload(outputs)
            except Exception:  # noqa: BLE001 - retried at the next period and at the end
                LOG.exception("sagewatch: continuous upload of job %s failed", self.job.name)

    # --- after --------------------------------------------------------------------------------------------

    def _outputs(self) -> list[dict[str, Any]]:
        config = self.request.get("ProcessingOutputConfig") or {}
        return [o for o in config.get("Outputs", []) if o.get("S3Output") and o["S3Output"].get("LocalPath")]

    def _upload(self, outputs: list[dict[str, Any]]) -> None:
        with self._upload_lock:
            for output in outputs:
                local = self._local(output["S3Output"]["LocalPath"])
                if not local.is_dir():
                    continue
                bucket, prefix = split_s3_uri(output["S3Output"]["S3Uri"])
                for path in sorted(p for p in local.rglob("*") if p.is_file()):
                    relative = path.relative_to(local)
                    if any(part.startswith(".sagewatch-staging") for part in relative.parts):
                        continue  # the analyzer's half-written report files
                    stat = path.stat()
                    signature = (stat.st_mtime_ns, stat.st_size)
                    if self._uploaded.get(path) == signature:
                        continue
                    self.aws.upload(path, bucket, _join(prefix, relative.as_posix()))
                    self._uploaded[path] = signature

    def _finish(self, code: int) -> Outcome:
        from botocore.exceptions import ClientError

        message_file = self.opt_ml / "output" / "message"
        try:
            message = message_file.read_text(encoding="utf-8", errors="replace").strip() or None
        except OSError:
            message = None
        upload_error = None
        try:
            self._upload(self._outputs())
        except (ClientError, OSError) as error:
            upload_error = f"ClientError: Failed to upload the job's outputs to S3: {error}"
        if self.job.stop_requested.is_set():
            return Outcome("Stopped", message, None)
        if self._timed_out:
            return Outcome("Failed", message, self._timeout_reason())
        if code != 0:
            reason = message or (f"AlgorithmError: See job logs for more information (the process exited with "
                                 f"code {code}; log group {LOG_GROUP}).")
            return Outcome("Failed", message, reason)
        if upload_error:
            return Outcome("Failed", message, upload_error)
        self._publish_metrics()
        return Outcome("Completed", message, None)

    def _publish_metrics(self) -> None:
        environment = self.request.get("Environment") or {}
        if str(environment.get("publish_cloudwatch_metrics", "")).strip().lower() != "enabled":
            return
        folder_setting = environment.get("CLOUDWATCH_METRICS_DIRECTORY")
        folder = self._local(folder_setting) if folder_setting else self.opt_ml / "output" / "metrics" / "cloudwatch"
        by_namespace: dict[str, list[dict[str, Any]]] = {}
        for path in sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []:
            read = parse_metric_lines(path.read_text(encoding="utf-8", errors="replace").splitlines(),
                                      source=path.name)
            for reason in read.skipped:
                LOG.warning("sagewatch: job %s: skipping metric line: %s", self.job.name, reason)
            for datum in read.data:
                namespace = namespace_of_line(datum.get("Dimensions", []), environment.get("analysis_type"))
                by_namespace.setdefault(namespace, []).append(datum)
        for namespace, data in by_namespace.items():
            try:
                self.aws.put_metric_data(namespace, data)
            except Exception:  # noqa: BLE001 - metrics are best effort, as on the platform
                LOG.exception("sagewatch: job %s: cannot put %d metric(s) to %s", self.job.name, len(data), namespace)

    def _remove_inputs(self) -> None:
        if self.settings.keep_inputs:
            return
        for item in self.request.get("ProcessingInputs", []):
            local_path = (item.get("S3Input") or {}).get("LocalPath")
            if local_path:
                shutil.rmtree(self._local(local_path), ignore_errors=True)
