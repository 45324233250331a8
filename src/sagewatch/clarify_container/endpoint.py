"""The model of a Clarify job through SageMaker endpoints (contract §7.2 ``predictor``).

``predictor.endpoint_name`` is used as it is. Otherwise the first request starts a *shadow endpoint* of
``predictor.model_name``: an endpoint config and an endpoint named ``<prefix>-<model>-<12 hex>`` (prefix
``predictor.endpoint_name_prefix``, default ``sm-clarify``, cut to SageMaker's 63 characters), with
``instance_type``, ``initial_instance_count`` and ``accelerator_type``; it waits until the endpoint is
``InService`` (at most :data:`READY_TIMEOUT_SECONDS`; ``Failed`` ends the job with the endpoint's FailureReason).
:meth:`EndpointPredictor.close` deletes what was created, and :func:`deleting_on_sigterm` makes a SIGTERM
(StopProcessingJob) go through the same clean-up.

The clients are boto3's ``sagemaker`` and ``sagemaker-runtime``; they honour ``AWS_ENDPOINT_URL``, which the
emulator sets for its jobs.
"""

from __future__ import annotations

import logging
import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from sagewatch.clarify.predictions import ModelAnswers
from sagewatch.clarify_container.payload import PayloadFormat, batches, encode_records, parse_answers
from sagewatch.errors import JobError, ModelResponseError
from sagewatch.schemas.clarify_config import PredictorConfig

__all__ = ["EndpointPredictor", "shadow_endpoint_name", "deleting_on_sigterm", "READY_TIMEOUT_SECONDS",
           "DEFAULT_PREFIX"]

LOG = logging.getLogger(__name__)
DEFAULT_PREFIX = "sm-clarify"
READY_TIMEOUT_SECONDS = 900.0
POLL_SECONDS = 1.0
_NAME_LIMIT = 63
_INVALID = re.compile(r"[^a-zA-Z0-9-]+")


def shadow_endpoint_name(model_name: str, prefix: str | None = None, *, token: str | None = None) -> str:
    """The shadow endpoint's (and its config's) name.

    >>> shadow_endpoint_name("credit-model", token="0123456789ab")
    'sm-clarify-credit-model-0123456789ab'
    >>> len(shadow_endpoint_name("m" * 80, token="0123456789ab"))
    63
    """
    token = token or uuid.uuid4().hex[:12]
    head = f"{prefix or DEFAULT_PREFIX}-{_INVALID.sub('-', model_name)}".strip("-")
    head = head[:_NAME_LIMIT - len(token) - 1].rstrip("-")
    return f"{head}-{token}"


class EndpointPredictor:
    """A :class:`~sagewatch.clarify.predictions.Predictor` that asks an endpoint; the shadow endpoint is started at
    the first request and deleted by :meth:`close`."""

    def __init__(self, predictor: PredictorConfig, fmt: PayloadFormat, *,
                 client_factory: Callable[[str], Any] | None = None,
                 ready_timeout: float = READY_TIMEOUT_SECONDS, poll_seconds: float = POLL_SECONDS) -> None:
        self.config, self.format = predictor, fmt
        self._clients: dict[str, Any] = {}
        self._factory = client_factory or _boto3_client
        self._ready_timeout, self._poll = ready_timeout, poll_seconds
        self.endpoint_name: str | None = predictor.endpoint_name
        self.created: list[tuple[str, str]] = []  # (kind, name) of what this predictor created, to delete
        self.requests = 0

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._factory(service)
        return self._clients[service]

    # --- the shadow endpoint --------------------------------------------------------------------------------

    def _ensure_endpoint(self) -> str:
        if self.endpoint_name is not None:
            return self.endpoint_name
        config = self.config
        assert config.model_name is not None
        name = shadow_endpoint_name(config.model_name, config.endpoint_name_prefix)
        sagemaker = self._client("sagemaker")
        variant: dict[str, Any] = {"VariantName": "AllTraffic", "ModelName": config.model_name,
                                   "InitialInstanceCount": config.initial_instance_count,
                                   "InstanceType": config.instance_type}
        if config.accelerator_type:
            variant["AcceleratorType"] = config.accelerator_type
        LOG.info("Creating shadow endpoint %s for model %s", name, config.model_name)
        print(f"sagewatch clarify: creating shadow endpoint {name} for model {config.model_name}", flush=True)
        try:
            sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=[variant])
            self.created.append(("endpoint_config", name))
            sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=name)
            self.created.append(("endpoint", name))
        except Exception as error:  # noqa: BLE001 - any refusal of the service ends the job, naming the model
            raise JobError(f"cannot create the shadow endpoint {name} for model {config.model_name}: "
                           f"{_error_text(error)}") from error
        self.endpoint_name = name
        self._wait_in_service(name)
        return name

    def _wait_in_service(self, name: str) -> None:
        sagemaker = self._client("sagemaker")
        deadline = time.monotonic() + self._ready_timeout
        while True:
            try:
                described = sagemaker.describe_endpoint(EndpointName=name)
            except Exception as error:  # noqa: BLE001
                raise JobError(f"cannot describe the shadow endpoint {name}: {_error_text(error)}") from error
            status = described.get("EndpointStatus")
            if status == "InService":
                print(f"sagewatch clarify: shadow endpoint {name} is InService", flush=True)
                return
            if status == "Failed":
                raise JobError(f"the shadow endpoint {name} for model {self.config.model_name} failed: "
                               f"{described.get('FailureReason') or 'no reason given'}")
            if time.monotonic() > deadline:
                raise JobError(f"the shadow endpoint {name} for model {self.config.model_name} is still {status} "
                               f"after {self._ready_timeout:g} seconds")
            time.sleep(self._poll)

    def close(self) -> None:
        """Delete the endpoint and endpoint config this predictor created (each attempted, errors logged)."""
        if not self.created:
            return
        sagemaker = self._client("sagemaker")
        for kind, name in reversed(self.created):
            try:
                if kind == "endpoint":
                    sagemaker.delete_endpoint(EndpointName=name)
                else:
                    sagemaker.delete_endpoint_config(EndpointConfigName=name)
                print(f"sagewatch clarify: deleted shadow {kind.replace('_', ' ')} {name}", flush=True)
            except Exception as error:  # noqa: BLE001 - try the other one too
                print(f"sagewatch clarify: cannot delete shadow {kind.replace('_', ' ')} {name}: "
                      f"{_error_text(error)}", flush=True)
        self.created = []

    # --- requests -------------------------------------------------------------------------------------------

    def answers(self, records: np.ndarray) -> ModelAnswers:
        """Send ``records`` in batches under the payload limit; the answers of all of them, in order."""
        name = self._ensure_endpoint()
        runtime = self._client("sagemaker-runtime")
        labels: list[np.ndarray] = []
        scores: list[np.ndarray] = []
        for start, stop, body in batches(self.format, encode_records(self.format, np.asarray(records))):
            request: dict[str, Any] = {"EndpointName": name, "Body": body, "ContentType": self.format.content_type,
                                       "Accept": self.format.accept_type}
            if self.config.custom_attributes:
                request["CustomAttributes"] = self.config.custom_attributes
            if self.config.target_model:
                request["TargetModel"] = self.config.target_model
            try:
                response = runtime.invoke_endpoint(**request)
            except Exception as error:  # noqa: BLE001 - the endpoint's refusal names the model's problem
                raise ModelResponseError(f"endpoint {name} failed on records {start}-{stop - 1}: "
                                         f"{_error_text(error)}") from error
            self.requests += 1
            answer = parse_answers(self.format, response["Body"].read())
            if len(answer) != stop - start:
                raise ModelResponseError(f"endpoint {name} answered {len(answer)} predictions for {stop - start} "
                                         "records; it must answer one prediction per record")
            if answer.labels is not None:
                labels.append(answer.labels)
            if answer.scores is not None:
                scores.append(answer.scores)
        return ModelAnswers(labels=_concat(labels), scores=_concat(scores))


def _concat(parts: list[np.ndarray]) -> np.ndarray | None:
    if not parts:
        return None
    try:
        return np.concatenate(parts)
    except ValueError as error:
        raise ModelResponseError(f"the endpoint's answers change shape from batch to batch: {error}") from error


def _error_text(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return f"{err.get('Code', type(error).__name__)}: {err.get('Message', '')}".strip()
    return f"{type(error).__name__}: {error}"


def _boto3_client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(retries={"max_attempts": 3, "mode": "standard"},
                                               read_timeout=120))


class JobTerminated(Exception):
    """SIGTERM reached the job (StopProcessingJob): the run unwinds through its clean-up."""


@contextmanager
def deleting_on_sigterm(predictor: EndpointPredictor | None) -> Iterator[None]:
    """Run the block; whatever ends it (an error, SIGTERM), delete what ``predictor`` created."""
    def terminate(signum: int, frame: Any) -> None:
        raise JobTerminated("the job was stopped (SIGTERM)")

    previous = signal.signal(signal.SIGTERM, terminate) if predictor is not None else None
    try:
        yield
    finally:
        if predictor is not None:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # no second interruption while deleting
            try:
                predictor.close()
            finally:
                signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
