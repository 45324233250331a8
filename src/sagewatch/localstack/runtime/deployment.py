"""One deployed endpoint config: its variants' model servers, the routing table and the capture writer.

A :class:`Deployment` is built (servers started) before it takes traffic, becomes an endpoint's active
deployment in one assignment, and is retired by the next one: :meth:`Deployment.retire` waits for the requests
it is serving, then the servers stop and the capture files close. Requests therefore never see a stopped server.
"""

from __future__ import annotations

import bisect
import random
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sagewatch.localstack.capture import CaptureConfig, EndpointCapture
from sagewatch.localstack.metrics import VariantKey
from sagewatch.localstack.runtime.servers import ModelServer, ServedModel

__all__ = ["Deployment", "VariantDeployment", "variant_summary"]


@dataclass
class VariantDeployment:
    """One production variant: its settings from the endpoint config and its model server."""

    key: VariantKey
    model_name: str
    image: str
    server: ModelServer | None
    instance_type: str | None = None
    current_weight: float = 1.0
    desired_weight: float = 1.0
    current_instance_count: int = 1
    desired_instance_count: int = 1
    serverless_config: Mapping[str, Any] | None = None
    model: ServedModel | None = None
    deployed_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    replacing_since: datetime | None = None
    """Set while hosting replaces a model server that stopped (DescribeEndpoint shows the variant Updating)."""
    replacing_reason: str | None = None

    @property
    def name(self) -> str:
        return self.key.variant

    @classmethod
    def from_config(cls, key: VariantKey, variant: Mapping[str, Any], image: str) -> VariantDeployment:
        """From a ``ProductionVariant`` of an endpoint config (the server is attached later)."""
        weight = float(variant.get("InitialVariantWeight", 1.0))
        count = int(variant.get("InitialInstanceCount") or 1)
        return cls(key=key, model_name=str(variant.get("ModelName", "")), image=image, server=None,
                   instance_type=variant.get("InstanceType"), current_weight=weight, desired_weight=weight,
                   current_instance_count=count, desired_instance_count=count,
                   serverless_config=variant.get("ServerlessConfig"))


def variant_summary(variant: VariantDeployment, status: str | None = None,
                    started: datetime | None = None) -> dict[str, Any]:
    """A ``ProductionVariantSummary`` of ``DescribeEndpoint``; *status* adds a ``VariantStatus`` entry."""
    summary: dict[str, Any] = {
        "VariantName": variant.name,
        "DeployedImages": [{"SpecifiedImage": variant.image, "ResolvedImage": variant.image,
                            "ResolutionTime": variant.deployed_at}],
        "CurrentWeight": variant.current_weight,
        "DesiredWeight": variant.desired_weight,
    }
    if variant.serverless_config:
        summary["CurrentServerlessConfig"] = dict(variant.serverless_config)
        summary["DesiredServerlessConfig"] = dict(variant.serverless_config)
    else:
        summary["CurrentInstanceCount"] = variant.current_instance_count
        summary["DesiredInstanceCount"] = variant.desired_instance_count
    if status is not None:
        summary["VariantStatus"] = [{"Status": status, "StartTime": started or variant.deployed_at}]
    elif variant.replacing_since is not None:
        summary["VariantStatus"] = [{"Status": "Updating", "StatusMessage": variant.replacing_reason or "",
                                     "StartTime": variant.replacing_since}]
    return summary


class Deployment:
    """The variants of one endpoint config, as they serve traffic.

    Parameters
    ----------
    config_name : str
        The endpoint config deployed.
    variants : sequence of VariantDeployment
        In the config's order.
    capture_config : CaptureConfig, optional
        The config's ``DataCaptureConfig``.
    source : mapping, optional
        What it was planned from (``{"config": DescribeEndpointConfig, "models": {name: DescribeModel}}``), kept
        so that the emulator can start the same deployment again after a restart.
    """

    def __init__(self, config_name: str, variants: Sequence[VariantDeployment],
                 capture_config: CaptureConfig | None = None, source: Mapping[str, Any] | None = None) -> None:
        self.config_name = config_name
        self.source = source
        self.variants: dict[str, VariantDeployment] = {variant.name: variant for variant in variants}
        self.capture_config = capture_config
        self.capture: EndpointCapture | None = None
        self.started = datetime.now(timezone.utc)
        self._condition = threading.Condition()
        self._in_flight = 0
        self._retired = False
        self._route: tuple[list[VariantDeployment], list[float]] = ([], [])
        self.rebuild_routes()

    # --- routing -------------------------------------------------------------------------------------------

    def rebuild_routes(self) -> None:
        """Recompute the weighted routing table (after a weight change); one atomic assignment."""
        chosen, cumulative, total = [], [], 0.0
        for variant in self.variants.values():
            if variant.current_weight > 0:
                total += variant.current_weight
                chosen.append(variant)
                cumulative.append(total)
        self._route = (chosen, cumulative)

    def choose(self, target: str | None = None) -> VariantDeployment | None:
        """*target*'s variant, else one at random in proportion to the current weights; None if none fits."""
        if target is not None:
            return self.variants.get(target)
        chosen, cumulative = self._route
        if not chosen:
            return None
        if len(chosen) == 1:
            return chosen[0]
        return chosen[bisect.bisect_right(cumulative, random.random() * cumulative[-1])]  # noqa: S311

    # --- traffic -------------------------------------------------------------------------------------------

    def enter(self) -> bool:
        """Count a request in; False when the deployment is retired (use the endpoint's new one)."""
        with self._condition:
            if self._retired:
                return False
            self._in_flight += 1
            return True

    def exit(self) -> None:
        with self._condition:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._condition.notify_all()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def retired(self) -> bool:
        return self._retired

    def retire(self, timeout: float) -> bool:
        """Take no new requests and wait up to *timeout* seconds for the running ones; whether all finished."""
        deadline = time.monotonic() + timeout
        with self._condition:
            self._retired = True
            while self._in_flight > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    # --- resources -----------------------------------------------------------------------------------------

    def servers(self) -> Iterable[tuple[VariantDeployment, ModelServer]]:
        for variant in self.variants.values():
            if variant.server is not None:
                yield variant, variant.server

    def stop(self) -> None:
        """Close the capture files (they go to the uploader) and stop the servers."""
        if self.capture is not None:
            self.capture.close()
        threads = [threading.Thread(target=server.stop, daemon=True) for _, server in self.servers()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(15.0)
