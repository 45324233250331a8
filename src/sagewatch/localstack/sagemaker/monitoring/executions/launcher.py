"""How one monitoring execution runs: its definition, baseline and job name, then the plan of its monitor's
module (:mod:`.registry`) as one processing job (contract §4.2, §4.4, §9).

- the baseline files are the definition's ``BaselineConfig`` (``BaseliningJobName`` alone points at that job's
  output: ``constraints.json`` and ``statistics.json`` under its S3 output);
- the job is named ``model-monitoring-<yyyymmddHHMM of T>-<24 hex>`` (the data-quality pattern is unconfirmed;
  contract §12 decides this form; :func:`sagewatch.job.execution_contract.execution_job_name`);
- the request is :func:`sagewatch.job.execution_contract.job_request` of the plan.

The execution's status follows its job: ``Completed`` with an ExitMessage starting ``CompletedWithViolations``
gives ``CompletedWithViolations`` (contract §4.4, §12). Monitoring types without a module in the registry
(model quality, model bias and model explainability today) fail at once with a FailureReason saying they are
not supported yet.
"""

from __future__ import annotations

import copy
import logging
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from localstack.aws.api import CommonServiceException

from sagewatch.job.execution_contract import WindowError, execution_job_name, job_request
from sagewatch.localstack.sagemaker.monitoring.cron import ScheduleError
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionFailure, ExecutionRun
from sagewatch.localstack.sagemaker.monitoring.executions.registry import EXECUTION_PLANNERS
from sagewatch.localstack.sagemaker.monitoring.jobdefs import ExecutionDefinition

__all__ = ["ExecutionFailure", "ExecutionLauncher", "execution_status"]

LOG = logging.getLogger(__name__)

JOB_NAME_PREFIX = "model-monitoring"


def execution_status(job: Any) -> str:
    """The MonitoringExecutionStatus of an execution whose processing job is *job*.

    Examples
    --------
    >>> from types import SimpleNamespace as Job
    >>> execution_status(Job(status="Completed", exit_message="CompletedWithViolations: Job completed ..."))
    'CompletedWithViolations'
    >>> execution_status(Job(status="Completed", exit_message=None)), execution_status(Job(status="Stopping"))
    ('Completed', 'Stopping')
    """
    if job.status == "Completed" and (job.exit_message or "").startswith("CompletedWithViolations"):
        return "CompletedWithViolations"
    return job.status


class ExecutionLauncher:
    """Runs executions in the background: ``launcher(monitoring, schedule, execution)``."""

    def __init__(self, processing: Any) -> None:
        self.processing = processing

    def __call__(self, monitoring: Any, schedule: Any, execution: Any) -> None:
        threading.Thread(target=self.run, args=(monitoring, schedule, execution), daemon=True,
                         name=f"sagewatch-execution-{schedule.name}").start()

    def run(self, monitoring: Any, schedule: Any, execution: Any) -> None:
        try:
            self._run(monitoring, schedule, execution)
        except ExecutionFailure as failure:
            monitoring.update_execution(execution, status="Failed", failure_reason=str(failure))
        except (ScheduleError, WindowError, CommonServiceException) as error:
            message = getattr(error, "message", None) or str(error)
            monitoring.update_execution(execution, status="Failed", failure_reason=f"ClientError: {message}")
        except Exception as error:  # noqa: BLE001 - an execution must end, whatever happens
            LOG.exception("sagewatch: monitoring execution of %s failed", schedule.name)
            monitoring.update_execution(execution, status="Failed", failure_reason=(
                f"InternalServerError: sagewatch could not run the execution: {type(error).__name__}: {error}"))

    def _definition(self, monitoring: Any, schedule: Any, config: Mapping[str, Any]) -> ExecutionDefinition:
        if config.get("MonitoringJobDefinition") is not None:
            return ExecutionDefinition.from_inline(config["MonitoringType"], config["MonitoringJobDefinition"])
        found = monitoring.jobdefs.find(schedule.account_id, schedule.region, config["MonitoringType"],
                                        config["MonitoringJobDefinitionName"])
        if found is None:
            raise ExecutionFailure(f"The {config['MonitoringType']} job definition "
                                   f"{config['MonitoringJobDefinitionName']} does not exist any more.")
        return found.execution_definition()

    def _baseline(self, definition: ExecutionDefinition, account_id: str, region: str) -> tuple[str | None, str | None]:
        baseline = definition.baseline
        constraints = (baseline.get("ConstraintsResource") or {}).get("S3Uri")
        statistics = (baseline.get("StatisticsResource") or {}).get("S3Uri")
        job_name = baseline.get("BaseliningJobName")
        if job_name and not (constraints and statistics):
            job = self.processing.find(account_id, region, job_name)
            outputs = ((job.request.get("ProcessingOutputConfig") or {}).get("Outputs") or []) if job else []
            uri = next((o["S3Output"]["S3Uri"] for o in outputs if o.get("S3Output")), None)
            if uri is None:
                raise ExecutionFailure(f"BaseliningJobName {job_name} names no processing job with an S3 output.")
            constraints = constraints or f"{uri.rstrip('/')}/constraints.json"
            statistics = statistics or f"{uri.rstrip('/')}/statistics.json"
        return constraints, statistics

    def _run(self, monitoring: Any, schedule: Any, execution: Any) -> None:
        with monitoring.lock:
            config = copy.deepcopy(schedule.config)
            expression = schedule.expression
        definition = self._definition(monitoring, schedule, config)
        planner = EXECUTION_PLANNERS.get(definition.monitoring_type)
        if planner is None:
            raise ExecutionFailure(f"{definition.monitoring_type} monitoring executions are not supported by this "
                                   f"emulator yet; only {', '.join(EXECUTION_PLANNERS)} executions run.")
        run = ExecutionRun(
            definition=definition, schedule_name=schedule.name, schedule_config=config.get("ScheduleConfig") or {},
            expression=expression, scheduled=execution.scheduled_time,
            job_name=execution_job_name(JOB_NAME_PREFIX, execution.scheduled_time, uuid.uuid4().hex),
            baseline=lambda: self._baseline(definition, schedule.account_id, schedule.region),
            aws=self.processing.aws(schedule.account_id, schedule.region))
        request = job_request(planner(run))

        def follow(job: Any) -> None:
            monitoring.update_execution(execution, status=execution_status(job), processing_job_arn=job.arn,
                                        processing_job_name=job.name, failure_reason=job.failure_reason)

        self.processing.create_job(schedule.account_id, schedule.region, request,
                                   monitoring_schedule_arn=schedule.arn, listener=follow)

