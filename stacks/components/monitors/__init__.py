"""One construct per monitor type (model-monitor mode) plus the processing-mode monitor."""

from stacks.components.monitors.common import MonitorContext, MonitoringRole
from stacks.components.monitors.data_quality import DataQualityMonitor
from stacks.components.monitors.model_bias import ModelBiasMonitor
from stacks.components.monitors.model_explainability import ModelExplainabilityMonitor
from stacks.components.monitors.model_quality import ModelQualityMonitor
from stacks.components.monitors.processing import ProcessingMonitor

__all__ = ["MonitorContext", "MonitoringRole", "DataQualityMonitor", "ModelQualityMonitor", "ModelBiasMonitor",
           "ModelExplainabilityMonitor", "ProcessingMonitor"]
