"""moto's SageMaker records (models, endpoint configs, endpoints, training jobs and their tags) in the state file.

moto keeps these as plain objects whose attributes are request members, strings and lists (times are
``YYYY-MM-DD HH:MM:SS`` strings), so the record of one is its attribute dict, written with
:mod:`~sagewatch.localstack.durable.jsoncodec`, and reading it back rebuilds the same object without calling
its constructor. That keeps what a replay of the Create calls would lose (creation times, tags added later,
moto's own defaults) and needs no request log. The classes are named in :data:`COLLECTIONS`, never in the file.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from sagewatch.localstack.durable.jsoncodec import StateCodecError, decode, encode

__all__ = ["COLLECTIONS", "restore_moto", "snapshot_moto"]

LOG = logging.getLogger(__name__)


def _classes() -> dict[str, type]:
    from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, FakeTrainingJob, Model

    return {"_models": Model, "endpoint_configs": FakeEndpointConfig, "endpoints": FakeEndpoint,
            "training_jobs": FakeTrainingJob}


COLLECTIONS = ("_models", "endpoint_configs", "endpoints", "training_jobs")
"""The attributes of moto's ``SageMakerModelBackend`` that are saved, in the order they are restored."""


def _backends() -> Any:
    from moto.backends import get_backend

    return get_backend("sagemaker")


def snapshot_moto(backends: Any = None) -> list[dict[str, Any]]:
    """One entry per moto record of :data:`COLLECTIONS`, in every account and region."""
    backends = _backends() if backends is None else backends
    entries = []
    for account_id, regions in list(dict.items(backends)):
        for region, backend in list(dict.items(regions)):
            for collection in COLLECTIONS:
                for name, record in list(getattr(backend, collection, {}).items()):
                    where = f"moto.{account_id}.{region}.{collection}.{name}"
                    entries.append({"account_id": account_id, "region": region, "collection": collection,
                                    "name": name, "attributes": encode(dict(vars(record)), where)})
    return entries


def restore_moto(entries: list[Mapping[str, Any]], backends: Any = None) -> int:
    """Put the records of *entries* back into moto; the number restored (an unreadable entry is logged, skipped)."""
    backends = _backends() if backends is None else backends
    classes = _classes()
    restored = 0
    for entry in entries:
        try:
            cls = classes[entry["collection"]]
            attributes = decode(entry["attributes"], f"moto.{entry['collection']}.{entry['name']}")
            if not isinstance(attributes, dict):
                raise StateCodecError(f"moto record {entry['name']} is not an attribute map")
            record = cls.__new__(cls)
            vars(record).update(attributes)
            getattr(backends[entry["account_id"]][entry["region"]], entry["collection"])[entry["name"]] = record
            restored += 1
        except (KeyError, TypeError, StateCodecError) as error:
            LOG.error("sagewatch: a saved moto SageMaker record could not be restored and is skipped: %s", error)
    return restored
