"""Serve SageMaker models on the host: resolve a model's container, fetch its artefacts, run a worker.

sagewatch cannot run container images. It serves *script-mode* models, the form SageMaker's framework
containers (scikit-learn, XGBoost, PyTorch, ...) and the SageMaker Python SDK use: the container's
``Environment`` names the inference script in ``SAGEMAKER_PROGRAM`` and its source in
``SAGEMAKER_SUBMIT_DIRECTORY`` (an ``s3://.../sourcedir.tar.gz``, a ``file://`` path or a folder;
``/opt/ml/model/<sub>`` means a folder inside the model artefacts), and ``ModelDataUrl`` points at
``model.tar.gz``. The same model definition deploys unchanged to AWS.

Each model runs in its own host process (:mod:`sagewatch.localstack.runtime.worker`) on LocalStack's
interpreter, so the script's imports must be installed there. The worker is started on the first
invocation and kept until the model changes or LocalStack stops.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

OPT_ML_MODEL = "/opt/ml/model"

# Variables of LocalStack's own environment handed on to model workers; everything else stays behind.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV", "PYTHONPATH")


class ServingError(Exception):
    """The model cannot be served.

    ``status`` is the HTTP status the model server would have answered; ``from_model`` says whether the
    model's own code produced the error (True) or sagewatch could not run the model at all (False).
    """

    def __init__(self, message: str, status: int = 500, *, from_model: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.from_model = from_model


@dataclass(frozen=True)
class ServingSettings:
    """Timeouts of model workers, read once from ``SAGEWATCH_*`` variables when the provider is created.

    Examples
    --------
    >>> ServingSettings.from_environ({"SAGEWATCH_INVOCATION_TIMEOUT": "5"}).invocation_timeout
    5.0
    """

    startup_timeout: float = 120.0
    invocation_timeout: float = 60.0  # SageMaker's own limit for InvokeEndpoint
    idle_timeout: float = 300.0  # a worker unused this long is stopped; the next invocation starts it again

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ServingSettings:
        return cls(
            startup_timeout=float(environ.get("SAGEWATCH_MODEL_STARTUP_TIMEOUT", cls.startup_timeout)),
            invocation_timeout=float(environ.get("SAGEWATCH_INVOCATION_TIMEOUT", cls.invocation_timeout)),
            idle_timeout=float(environ.get("SAGEWATCH_MODEL_IDLE_TIMEOUT", cls.idle_timeout)),
        )


@dataclass(frozen=True)
class ContainerSpec:
    """What sagewatch needs from a model's (single) container to serve it."""

    model_name: str
    image: str
    program: str
    submit_directory: str | None
    model_data_url: str | None
    environment: Mapping[str, str] = field(default_factory=dict)
    created: str = ""

    @property
    def fingerprint(self) -> str:
        """Changes whenever the model changes: a model deleted and created again gets a new worker.

        As on SageMaker, artefacts are read once when the worker starts; later changes to the S3 objects
        alone do not reach a running model.
        """
        payload = json.dumps(
            [self.image, self.program, self.submit_directory, self.model_data_url, sorted(self.environment.items()),
             self.created]
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def container_spec(model: Mapping[str, Any]) -> ContainerSpec:
    """Read the serving-relevant fields of a ``DescribeModel`` answer.

    Parameters
    ----------
    model : mapping
        The model as ``DescribeModel`` returns it (``ModelName``, ``PrimaryContainer`` or ``Containers``).

    Returns
    -------
    ContainerSpec

    Raises
    ------
    ServingError
        If the model has no container, several containers (an inference pipeline), or no
        ``SAGEMAKER_PROGRAM`` in its environment.

    Examples
    --------
    >>> spec = container_spec({"ModelName": "m", "PrimaryContainer": {
    ...     "Image": "sklearn:1.2", "ModelDataUrl": "s3://b/model.tar.gz",
    ...     "Environment": {"SAGEMAKER_PROGRAM": "inference.py",
    ...                     "SAGEMAKER_SUBMIT_DIRECTORY": "s3://b/sourcedir.tar.gz"}}})
    >>> spec.program, spec.submit_directory
    ('inference.py', 's3://b/sourcedir.tar.gz')
    """
    name = str(model.get("ModelName", ""))
    containers = [model["PrimaryContainer"]] if model.get("PrimaryContainer") else list(model.get("Containers") or [])
    if not containers:
        raise ServingError(f"Model {name} has no container.")
    if len(containers) > 1:
        raise ServingError(f"Model {name} is an inference pipeline ({len(containers)} containers); sagewatch "
                           "serves single-container models only.")
    container = containers[0]
    environment = {str(k): str(v) for k, v in (container.get("Environment") or {}).items()}
    image = str(container.get("Image", ""))
    program = environment.get("SAGEMAKER_PROGRAM", "").strip()
    if not program:
        raise ServingError(
            f"sagewatch cannot run the container image {image or '(none)'} of model {name}: it serves "
            "script-mode models only. Set SAGEMAKER_PROGRAM (the inference script, e.g. inference.py) and "
            "SAGEMAKER_SUBMIT_DIRECTORY (e.g. s3://<bucket>/<prefix>/sourcedir.tar.gz) in the container's "
            "Environment."
        )
    return ContainerSpec(
        model_name=name,
        image=image,
        program=program,
        submit_directory=environment.get("SAGEMAKER_SUBMIT_DIRECTORY") or None,
        model_data_url=container.get("ModelDataUrl") or None,
        environment=environment,
        created=str(model.get("CreationTime", "")),
    )


# --- artefacts ----------------------------------------------------------------------------------------------

S3Download = Callable[[str, str, Path], None]
"""``download(bucket, key, destination_file)``."""


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``"s3://bucket/a/b"`` -> ``("bucket", "a/b")``.

    Examples
    --------
    >>> split_s3_uri("s3://bucket/a/model.tar.gz")
    ('bucket', 'a/model.tar.gz')
    """
    bucket, _, key = uri[len("s3://"):].partition("/")
    if not bucket or not key:
        raise ServingError(f"{uri} is not an s3://<bucket>/<key> URI.", status=400)
    return bucket, key


def _extract(archive: Path, destination: Path) -> None:
    with tarfile.open(archive) as tar:
        if hasattr(tarfile, "data_filter"):
            try:
                tar.extractall(destination, filter="data")
            except tarfile.FilterError as error:
                raise ServingError(f"{archive.name} contains an unsafe entry: {error}") from error
        else:  # Python 3.11 before 3.11.4
            for member in tar.getmembers():
                target = (destination / member.name).resolve()
                if not target.is_relative_to(destination.resolve()) or member.issym() or member.islnk():
                    raise ServingError(f"{archive.name} contains an unsafe entry: {member.name}")
            tar.extractall(destination)  # noqa: S202 - members checked above


def fetch_artifact(uri: str, destination: Path, download: S3Download) -> None:
    """Put the artefact at *uri* into the folder *destination*, unpacking ``.tar.gz`` archives.

    Parameters
    ----------
    uri : str
        ``s3://bucket/key``, ``file:///path`` or a local path, of a ``.tar.gz`` archive, another file, or
        (local only) a folder.
    destination : Path
        Folder to fill; created if missing.
    download : callable
        Fetches one S3 object to a file.
    """
    destination.mkdir(parents=True, exist_ok=True)
    if uri.startswith("s3://"):
        bucket, key = split_s3_uri(uri)
        local = destination.parent / f".{destination.name}.download"
        download(bucket, key, local)
        source = local
    else:
        source = Path(uri[len("file://"):] if uri.startswith("file://") else uri)
        if source.is_dir():
            shutil.copytree(source, destination, dirs_exist_ok=True)
            return
        if not source.is_file():
            raise ServingError(f"Artefact {uri} does not exist.", status=400)
    if tarfile.is_tarfile(source):
        _extract(source, destination)
    else:
        name = uri.rstrip("/").rsplit("/", 1)[-1]
        shutil.copyfile(source, destination / name)
    if source.name.endswith(".download"):
        source.unlink(missing_ok=True)


def prepare(spec: ContainerSpec, workdir: Path, download: S3Download) -> tuple[Path, Path]:
    """Fetch the model artefacts and the source folder of *spec* below *workdir*; return ``(model, code)``."""
    model_dir = workdir / "model"
    code_dir = workdir / "code"
    if model_dir.exists():
        shutil.rmtree(model_dir)
    model_dir.mkdir(parents=True)
    if spec.model_data_url:
        fetch_artifact(spec.model_data_url, model_dir, download)
    submit = spec.submit_directory
    if submit and (submit == OPT_ML_MODEL or submit.startswith(OPT_ML_MODEL + "/")):
        code_dir = model_dir / submit[len(OPT_ML_MODEL):].lstrip("/")
    elif submit:
        if code_dir.exists():
            shutil.rmtree(code_dir)
        fetch_artifact(submit, code_dir, download)
    else:
        code_dir = model_dir / "code" if (model_dir / "code").is_dir() else model_dir
    candidates = (code_dir / spec.program, code_dir / f"{spec.program}.py", code_dir / spec.program / "__init__.py")
    if not any(path.is_file() for path in candidates):
        raise ServingError(f"The inference script {spec.program} of model {spec.model_name} is not in its "
                           f"source ({submit or spec.model_data_url or 'no source given'}).")
    return model_dir, code_dir


# --- workers ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    body: bytes
    content_type: str


class ModelWorker:
    """One host process serving one model (see :mod:`sagewatch.localstack.runtime.worker`)."""

    def __init__(self, spec: ContainerSpec, model_dir: Path, code_dir: Path, environment: Mapping[str, str],
                 log_file: Path, settings: ServingSettings) -> None:
        self.spec = spec
        self.log_file = log_file
        self._settings = settings
        self._lock = threading.Lock()
        self.last_used = time.monotonic()
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        env = {key: os.environ[key] for key in _INHERITED if key in os.environ}
        env.update(environment)
        env.update(spec.environment)
        env.update({"SAGEMAKER_PROGRAM": spec.program, "SM_MODEL_DIR": str(model_dir),
                    "SAGEMAKER_SUBMIT_DIRECTORY": str(code_dir), "PYTHONUNBUFFERED": "1"})
        log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(log_file, "ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [sys.executable, "-P", "-m", "sagewatch.localstack.runtime.worker"],
                cwd=code_dir, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            )
        threading.Thread(target=self._read_replies, args=(self._process.stdout,), daemon=True,
                         name=f"sagewatch-model-{spec.model_name}").start()
        first = self._next_reply(settings.startup_timeout, "start")
        if first.get("event") != "ready":
            self.stop()
            raise ServingError(f"The model failed to load: {first.get('message', 'no reason given')}")

    def _read_replies(self, stream: BinaryIO) -> None:
        for line in stream:
            try:
                self._replies.put(json.loads(line))
            except ValueError:
                continue
        self._replies.put(None)  # end of stream: the process exited

    def _next_reply(self, timeout: float, what: str) -> dict[str, Any]:
        try:
            reply = self._replies.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise ServingError(f"The model did not {what} within {timeout:g} s.") from None
        if reply is None:
            code = self._process.wait()
            raise ServingError(f"The model server exited with status {code}.")
        return reply

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Invocation:
        """Send one request and wait for its answer; :class:`ServingError` carries the model's status."""
        request = {"body": base64.b64encode(body).decode("ascii"), "content_type": content_type, "accept": accept}
        with self._lock:
            if not self.alive:
                raise ServingError("The model server is not running.")
            assert self._process.stdin is not None
            try:
                self._process.stdin.write(json.dumps(request).encode("utf-8") + b"\n")
                self._process.stdin.flush()
            except (BrokenPipeError, OSError) as error:
                raise ServingError("The model server is not running.") from error
            reply = self._next_reply(self._settings.invocation_timeout, "answer")
            self.last_used = time.monotonic()
        if reply.get("event") == "result":
            return Invocation(body=base64.b64decode(reply["body"]), content_type=str(reply["content_type"]))
        raise ServingError(str(reply.get("message", "unknown error")), status=int(reply.get("status", 500)),
                           from_model=True)

    def stop_if_idle(self, idle_timeout: float) -> bool:
        """Stop the worker if no invocation ran for *idle_timeout* seconds and none runs now."""
        if not self._lock.acquire(blocking=False):
            return False
        try:
            if time.monotonic() - self.last_used < idle_timeout:
                return False
            self.stop()
            return True
        finally:
            self._lock.release()

    def stop(self, grace: float = 5.0) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                stream.close()


class WorkerPool:
    """Model workers keyed by account, region and model name; a changed model gets a new worker.

    Parameters
    ----------
    root : Path
        Folder for extracted artefacts and model logs.
    download : callable
        ``download(account_id, region, bucket, key, destination_file)``.
    environment : callable
        ``environment(account_id, region) -> dict``: variables every worker gets (endpoint URL, credentials).
    settings : ServingSettings
    """

    def __init__(self, root: Path, download: Callable[[str, str, str, str, Path], None],
                 environment: Callable[[str, str], Mapping[str, str]], settings: ServingSettings) -> None:
        self.root = root
        self._download = download
        self._environment = environment
        self._settings = settings
        self._workers: dict[tuple[str, str, str], ModelWorker] = {}
        self._starting: dict[tuple[str, str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._reaper: threading.Thread | None = None

    def log_file(self, account_id: str, region: str, model_name: str) -> Path:
        return self.root / "logs" / account_id / region / f"{model_name}.log"

    def worker(self, account_id: str, region: str, spec: ContainerSpec) -> ModelWorker:
        key = (account_id, region, spec.model_name)
        with self._lock:
            start_lock = self._starting.setdefault(key, threading.Lock())
        with start_lock:
            current = self._workers.get(key)
            if current is not None and current.alive and current.spec.fingerprint == spec.fingerprint:
                current.last_used = time.monotonic()
                return current
            if current is not None:
                current.stop()
            workdir = self.root / "models" / account_id / region / f"{spec.model_name}-{spec.fingerprint}"
            model_dir, code_dir = prepare(
                spec, workdir,
                lambda bucket, key_, path: self._download(account_id, region, bucket, key_, path),
            )
            worker = ModelWorker(spec, model_dir, code_dir, self._environment(account_id, region),
                                 self.log_file(account_id, region, spec.model_name), self._settings)
            self._workers[key] = worker
        self._start_reaper()
        return worker

    def stop_idle(self) -> int:
        """Stop workers unused for ``settings.idle_timeout`` seconds; return how many were stopped."""
        with self._lock:
            candidates = list(self._workers.items())
        stopped = 0
        for key, worker in candidates:
            if worker.stop_if_idle(self._settings.idle_timeout):
                with self._lock:
                    if self._workers.get(key) is worker:
                        del self._workers[key]
                stopped += 1
        return stopped

    def _start_reaper(self) -> None:
        with self._lock:
            if self._reaper is not None or self._closed.is_set():
                return
            interval = max(1.0, min(30.0, self._settings.idle_timeout / 4))

            def reap() -> None:
                while not self._closed.wait(interval):
                    self.stop_idle()

            self._reaper = threading.Thread(target=reap, daemon=True, name="sagewatch-model-reaper")
            self._reaper.start()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
        for worker in workers:
            worker.stop()
