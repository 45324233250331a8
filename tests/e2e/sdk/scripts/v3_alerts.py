"""SageMaker Python SDK v3 line (sagemaker-core): a monitor's alerts (``ModelMonitor.list_monitoring_alerts``, ``update_monitoring_alert``,
``list_monitoring_alert_history``), exactly as written for AWS.

Parameters (JSON): schedule (name of a schedule whose one execution ended CompletedWithViolations).
Result (JSON): what the SDK read back at each step (``alerts_workflow.py``).
"""

from __future__ import annotations

from sagemaker.core.helper.session_helper import Session
from sagemaker.core.model_monitor import ModelMonitor
from alerts_workflow import run_alerts_workflow
from sdk_script import emit, parameters

params = parameters()
session = Session()
monitor = ModelMonitor.attach(monitor_schedule_name=params["schedule"], sagemaker_session=session)
emit(run_alerts_workflow(monitor))
