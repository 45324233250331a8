"""sagewatch's own SageMaker state, in one store keyed by account and region (as LocalStack's
``AccountRegionBundle`` or moto's ``BackendDict``): processing jobs, job definitions, monitoring schedules and
executions, the schedules' alerts and their history, transform jobs, and the tags of those resources. moto keeps the rest (models, endpoint configs, endpoints).

The services of :mod:`~sagewatch.localstack.sagemaker.plane` share one :class:`SageMakerStore`; each guards
the collections it owns with its own lock, and reads the others' (a job definition a schedule uses cannot be
deleted) without being wired to them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RegionState", "SageMakerStore"]


@dataclass
class RegionState:
    """Everything sagewatch keeps for one account in one region.

    Attributes
    ----------
    processing_jobs : dict
        Name -> ``ProcessingJob``.
    job_definitions : dict
        Monitoring type -> name -> ``JobDefinition``.
    schedules : dict
        Name -> ``MonitoringSchedule``.
    executions : list
        ``MonitoringExecution`` in creation order.
    alerts : dict
        Schedule name -> alert name -> ``MonitoringAlert``.
    alert_history : list
        ``AlertHistoryEntry`` (one per change of an alert's status) in creation order.
    transform_jobs : dict
        Name -> ``TransformJob``.
    tags : dict
        ARN -> tag key -> value, for the resources above.
    """

    account_id: str
    region: str
    processing_jobs: dict[str, Any] = field(default_factory=dict)
    job_definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    schedules: dict[str, Any] = field(default_factory=dict)
    executions: list[Any] = field(default_factory=list)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    alert_history: list[Any] = field(default_factory=list)
    transform_jobs: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)


class SageMakerStore:
    """One :class:`RegionState` per (account, region), created at first use.

    Examples
    --------
    >>> store = SageMakerStore()
    >>> store["000000000000", "us-east-1"] is store["000000000000", "us-east-1"]
    True
    >>> store.for_arn("arn:aws:sagemaker:eu-west-1:111122223333:monitoring-schedule/s").region
    'eu-west-1'
    >>> [(s.account_id, s.region) for s in store.states()]
    [('000000000000', 'us-east-1'), ('111122223333', 'eu-west-1')]
    """

    def __init__(self) -> None:
        self._states: dict[tuple[str, str], RegionState] = {}
        self._lock = threading.Lock()

    def __getitem__(self, key: tuple[str, str]) -> RegionState:
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = RegionState(*key)
            return state

    def for_arn(self, arn: str) -> RegionState:
        """The state of the account and region named in *arn* (``arn:<partition>:sagemaker:<region>:<account>:...``)."""
        parts = arn.split(":", 5)
        return self[parts[4], parts[3]] if len(parts) == 6 else self["", ""]

    def states(self) -> list[RegionState]:
        """Every account's and region's state, in creation order."""
        with self._lock:
            return list(self._states.values())
