"""How one monitoring execution runs: its definition, baseline and job name, then the plan of its monitor's
module (:mod:`.registry`) as a chain of processing jobs (contract §2.3, §4.2, §4.4, §9).

- the baseline files are the definition's ``BaselineConfig`` (``BaseliningJobName`` alone points at that job's
  output: ``constraints.json`` and ``statistics.json`` under its S3 output, ``analysis.json`` for model bias and
  model explainability);
- the job is named ``model-monitoring-<yyyymmddHHMM of T>-<24 hex>`` (the data-quality pattern is unconfirmed;
  contract §12 decides this form; :func:`sagewatch.job.execution_contract.execution_job_name`);
- the requests are :func:`sagewatch.job.execution_contract.job_requests` of the plan, run one after the other:
  one job for data quality and model explainability; the ground-truth merge job, then the analysis job for model
  quality and model bias. A job starts when the one before it completed.

The execution is ``InProgress`` while the jobs before the last run; its ProcessingJobArn is the last job's and
its status follows that job: ``Completed`` with an ExitMessage starting ``CompletedWithViolations`` gives
``CompletedWithViolations`` (contract §4.4, §12). An earlier job that fails or stops ends the execution
``Failed`` (``Stopped``) with that job's FailureReason and ARN. A monitoring type without a module in the
registry would fail at once with a FailureReason saying it is not supported.
"""

from __future__ import annotations

import copy
import logging
import threading
import uuid
from collections.abc import Mapping
from typing import Any

from localstack.aws.api import CommonServiceException

from sagewatch.job.execution_contract import WindowError, execution_job_name, job_requests
from sagewatch.localstack.sagemaker.monitoring.cron import ScheduleError
from sagewatch.localstack.sagemaker.monitoring.executions.base import ExecutionFailure, ExecutionRun
from sagewatch.localstack.sagemaker.monitoring.executions.registry import EXECUTION_PLANNERS
from sagewatch.localstack.sagemaker.monitoring.jobdefs import ExecutionDefinition

__all__ = ["ExecutionFailure", "ExecutionLauncher", "execution_status"]

LOG = logging.getLogger(__name__)

JOB_NAME_PREFIX = "model-monitoring"
_BASELINE_FILES = {"ModelBias": "analysis.json", "ModelExplainability": "analysis.json"}


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
            # a Clarify baselining job's constraints are its analysis.json (contract §7.6)
            constraints_file = _BASELINE_FILES.get(definition.monitoring_type, "constraints.json")
            constraints = constraints or f"{uri.rstrip('/')}/{constraints_file}"
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
        token = uuid.uuid4().hex
        run = ExecutionRun(
            definition=definition, schedule_name=schedule.name, schedule_config=config.get("ScheduleConfig") or {},
            expression=expression, scheduled=execution.scheduled_time,
            job_name=execution_job_name(JOB_NAME_PREFIX, execution.scheduled_time, token),
            baseline=lambda: self._baseline(definition, schedule.account_id, schedule.region),
            aws=self.processing.aws(schedule.account_id, schedule.region), token=token)
        requests = job_requests(planner(run))
        self._start_chain(monitoring, schedule, execution, requests, 0)

    def _start_chain(self, monitoring: Any, schedule: Any, execution: Any, requests: list[dict[str, Any]],
                     index: int) -> None:
        """Create job *index* of the chain; its listener starts the next one when it completed."""
        last = index == len(requests) - 1
        started = threading.Event()

        def follow(job: Any) -> None:
            if last:
                monitoring.update_execution(execution, status=execution_status(job), processing_job_arn=job.arn,
                                            processing_job_name=job.name, failure_reason=job.failure_reason)
            elif job.status == "Completed":
                if not started.is_set():
                    started.set()
                    self._continue_chain(monitoring, schedule, execution, requests, index + 1)
            elif job.status in ("Failed", "Stopped"):
                monitoring.update_execution(execution, status=job.status, processing_job_arn=job.arn,
                                            processing_job_name=job.name, failure_reason=job.failure_reason or (
                                                f"The {job.name} processing job of this execution {job.status.lower()}."
                                                if job.status == "Failed" else None))
            else:
                monitoring.update_execution(execution, status="InProgress")

        self.processing.create_job(schedule.account_id, schedule.region, requests[index],
                                   monitoring_schedule_arn=schedule.arn, listener=follow)

    def _continue_chain(self, monitoring: Any, schedule: Any, execution: Any, requests: list[dict[str, Any]],
                        index: int) -> None:
        try:
            self._start_chain(monitoring, schedule, execution, requests, index)
        except CommonServiceException as error:
            message = getattr(error, "message", None) or str(error)
            monitoring.update_execution(execution, status="Failed", failure_reason=f"ClientError: {message}")
        except Exception as error:  # noqa: BLE001 - an execution must end, whatever happens
            LOG.exception("sagewatch: monitoring execution of %s failed", schedule.name)
            monitoring.update_execution(execution, status="Failed", failure_reason=(
                f"InternalServerError: sagewatch could not run the execution: {type(error).__name__}: {error}"))
