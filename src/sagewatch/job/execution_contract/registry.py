"""Monitoring type -> the request builders of its jobs, in the order they run (one line per monitor)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sagewatch.errors import InvalidParameterError
from sagewatch.job.execution_contract.clarify import model_bias_request, model_explainability_request
from sagewatch.job.execution_contract.data_quality import data_quality_request
from sagewatch.job.execution_contract.model_quality import ground_truth_merge_request, model_quality_request
from sagewatch.job.execution_contract.plan import ExecutionPlan

__all__ = ["UnsupportedMonitoringType", "REQUEST_BUILDERS", "job_requests", "job_request"]


class UnsupportedMonitoringType(InvalidParameterError):
    """No request builder is registered for the monitoring type."""




# monitoring type -> the requests of its jobs, in the order they run (the last one is the execution's job);
# one line per monitor
REQUEST_BUILDERS: dict[str, tuple[Callable[[ExecutionPlan], dict[str, Any]], ...]] = {
    "DataQuality": (data_quality_request,),
    "ModelQuality": (ground_truth_merge_request, model_quality_request),
    "ModelBias": (ground_truth_merge_request, model_bias_request),
    "ModelExplainability": (model_explainability_request,),
}


def job_requests(plan: ExecutionPlan) -> list[dict[str, Any]]:
    """The ``CreateProcessingJob`` requests of *plan*, in the order its jobs run, built by its monitoring type's
    builders; each job starts when the one before it completed.

    Raises
    ------
    UnsupportedMonitoringType
        If no builder is registered for ``plan.monitoring_type``.
    """
    builders = REQUEST_BUILDERS.get(plan.monitoring_type)
    if builders is None:
        raise UnsupportedMonitoringType(
            f"{plan.monitoring_type} monitoring executions are not supported yet; only "
            f"{', '.join(REQUEST_BUILDERS)} executions run.")
    return [builder(plan) for builder in builders]


def job_request(plan: ExecutionPlan) -> dict[str, Any]:
    """The request of *plan*'s analysis job: the last of :func:`job_requests` (the one the execution reports).

    Raises
    ------
    UnsupportedMonitoringType
        If no builder is registered for ``plan.monitoring_type``.
    """
    return job_requests(plan)[-1]
