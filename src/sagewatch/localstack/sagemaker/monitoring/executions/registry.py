"""Monitoring type -> the module that plans its executions (``plan_execution(run) -> ExecutionPlan``).

Adding a monitor to the emulator: one module next to :mod:`.data_quality` and :mod:`.model_quality` and one line
here (and the request builders of its jobs in :data:`sagewatch.job.execution_contract.REQUEST_BUILDERS`; the
launcher runs them one after the other).
"""

from __future__ import annotations

from collections.abc import Callable

from sagewatch.job.execution_contract import ExecutionPlan
from sagewatch.localstack.sagemaker.monitoring.executions import (data_quality, model_bias, model_explainability,
                                                                   model_quality)
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionRun

__all__ = ["EXECUTION_PLANNERS"]

EXECUTION_PLANNERS: dict[str, Callable[[ExecutionRun], ExecutionPlan]] = {
    "DataQuality": data_quality.plan_execution,
    "ModelQuality": model_quality.plan_execution,
    "ModelBias": model_bias.plan_execution,
    "ModelExplainability": model_explainability.plan_execution,
}
