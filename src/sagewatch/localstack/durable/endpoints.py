"""sagewatch's endpoint records (:class:`~sagewatch.localstack.runtime.hosting.EndpointRuntime`) in the state file.

moto's records say that an endpoint exists; the record here says how it runs: its real status and failure
reason, its times, the endpoint config and models its servers were started from (kept even if the config or
a model is deleted later, as SageMaker keeps serving them) and the variants' weights and instance counts after
``UpdateEndpointWeightsAndCapacities``. At start, :func:`restore_endpoints` hands each back to
:meth:`Hosting.restore <sagewatch.localstack.runtime.hosting.Hosting.restore>`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sagewatch.localstack.durable.jsoncodec import register
from sagewatch.localstack.runtime.hosting import EndpointRuntime, Hosting
from sagewatch.localstack.runtime.servers import ServedModel

__all__ = ["EndpointRecord", "model_artefacts", "restore_endpoints", "snapshot_endpoints"]

LOG = logging.getLogger(__name__)

_VARIANT_FIELDS = ("current_weight", "desired_weight", "current_instance_count", "desired_instance_count",
                   "deployed_at")


@dataclass
class EndpointRecord:
    """What is saved of one endpoint."""

    account_id: str
    region: str
    name: str
    arn: str
    config_name: str
    status: str
    creation_time: datetime
    last_modified_time: datetime
    failure_reason: str | None = None
    pending_config_name: str | None = None
    pending_since: datetime | None = None
    source: dict[str, Any] | None = None
    weights: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def of(cls, endpoint: EndpointRuntime) -> EndpointRecord:
        with endpoint.lock:
            deployment = endpoint.deployment or endpoint.pending
            weights = {} if deployment is None else {
                name: {key: getattr(variant, key) for key in _VARIANT_FIELDS}
                for name, variant in deployment.variants.items()}
            return cls(endpoint.account_id, endpoint.region, endpoint.name, endpoint.arn, endpoint.config_name,
                       endpoint.status, endpoint.creation_time, endpoint.last_modified_time, endpoint.failure_reason,
                       endpoint.pending_config_name, endpoint.pending_since,
                       getattr(deployment, "source", None), weights)

    def runtime(self) -> EndpointRuntime:
        return EndpointRuntime(self.account_id, self.region, self.name, self.arn, self.config_name,
                               status=self.status, failure_reason=self.failure_reason,
                               pending_config_name=self.pending_config_name, pending_since=self.pending_since,
                               creation_time=self.creation_time, last_modified_time=self.last_modified_time)


register(EndpointRecord)


def model_artefacts(record: EndpointRecord) -> list[str]:
    """The ``s3://`` model artefacts the record's servers are started from."""
    uris = []
    for model in ((record.source or {}).get("models") or {}).values():
        try:
            url = ServedModel.from_description(model).model_data_url
        except ValueError:
            continue
        if url and url.startswith("s3://") and url not in uris:
            uris.append(url)
    return uris


def snapshot_endpoints(hosting: Hosting) -> list[EndpointRecord]:
    """A record of every endpoint hosting knows, in every account and region."""
    with hosting._lock:  # noqa: SLF001 - the one list of endpoints; read, never changed here
        endpoints = list(hosting._endpoints.values())  # noqa: SLF001
    return [EndpointRecord.of(endpoint) for endpoint in endpoints if not endpoint.deleted]


def restore_endpoints(hosting: Hosting, records: list[EndpointRecord],
                      artefact_missing: Callable[[str, str, str], str | None]) -> None:
    """Hand every record back to hosting; *artefact_missing* ``(account, region, uri)`` says why a model
    artefact cannot be had (None when it is in S3)."""
    for record in records:
        try:
            unavailable = None
            for uri in model_artefacts(record):
                unavailable = artefact_missing(record.account_id, record.region, uri)
                if unavailable:
                    break
            hosting.restore(record.runtime(), record.source, record.weights, unavailable)
        except Exception:  # noqa: BLE001 - one endpoint that cannot come back must not keep the others away
            LOG.exception("sagewatch: endpoint %s of the saved state could not be restored", record.name)
