"""MonitoringStack: monitors (Model Monitor schedules or the processing-mode Lambda), alarms, alerts, retraining
and the CloudWatch dashboard of one endpoint."""

from __future__ import annotations

from aws_cdk import CfnOutput, Environment, RemovalPolicy, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.components.alarms import MonitorAlarms
from stacks.components.alerts import AlertTopic
from stacks.components.cloudwatch_dashboard import CloudWatchDashboard
from stacks.components.endpoint import CaptureEndpoint
from stacks.components.function import EngineLayer
from stacks.components.monitors import (DataQualityMonitor, ModelBiasMonitor, ModelExplainabilityMonitor,
                                        ModelQualityMonitor, MonitorContext, MonitoringRole, ProcessingMonitor)
from stacks.components.monitors.common import builtin_image_uri, schedule_name
from stacks.components.monitors.processing import INLINE_EVENT_DETAIL_TYPE, INLINE_EVENT_SOURCE
from stacks.components.retraining import RetrainingTrigger
from stacks.components.storage import MonitoringStorage
from stacks.config import DATA_METRICS_NAMESPACE, S3Ref, ShapAnalysisProps, StageConfig
from stacks.endpoint_stack import explained_variant

__all__ = ["MonitoringStack"]


class MonitoringStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, env: Environment | None,
                 storage: MonitoringStorage, endpoint: CaptureEndpoint) -> None:
        super().__init__(scope, construct_id, env=env, stack_name=f"{stage.project}-monitoring",
                         description="sagewatch: monitoring schedules, alarms, retraining trigger and dashboard")
        m = stage.monitoring
        removal = RemovalPolicy.RETAIN if stage.is_aws else RemovalPolicy.DESTROY
        analyzer = m.analyzer_image_uri or builtin_image_uri(self, "analyzer", stage.region)
        needs_clarify = m.mode == "model-monitor" and (m.model_bias or m.model_explainability)
        clarify = (m.clarify_image_uri or builtin_image_uri(self, "clarify", stage.region)) if needs_clarify else None
        baseline_refs = tuple(ref for props in (m.data_quality, m.model_quality, m.model_bias, m.model_explainability)
                              if props is not None for ref in _refs(props))
        self.monitoring_role = MonitoringRole(
            self, "MonitoringRole", props=m, captures=storage.captures, capture_prefix=endpoint.capture_prefix,
            baselines=storage.baselines, reports=storage.reports, ground_truth=storage.ground_truth, key=storage.key,
            baseline_refs=baseline_refs,
            image_uris=tuple(i for i in (m.analyzer_image_uri, m.clarify_image_uri if needs_clarify else None) if i))
        seed = stage.endpoint.endpoint_name or "generated"
        context = MonitorContext(
            project=stage.project, target=stage.target, endpoint_name=endpoint.endpoint_name,
            endpoint_name_seed=seed, props=m, role=self.monitoring_role.role, key=storage.key,
            baselines=storage.baselines, reports=storage.reports, ground_truth=storage.ground_truth,
            analyzer_image_uri=analyzer, clarify_image_uri=clarify)
        names = {kind: schedule_name(stage.project, stage.target, seed, kind) for kind in ("dq", "mq", "mb", "me")}

        self.monitors: list[Construct] = []
        self.engine_layer = EngineLayer(self, "EngineLayer", removal=removal)
        layers = [self.engine_layer.layer] + [
            _layer(self, f"EngineDependencies{i}", arn) for i, arn in enumerate(m.processing.engine_layer_arns)]
        dq_schedule = names["dq"] if m.data_quality else None
        mq_schedule = names["mq"] if m.model_quality else None
        clarify_schedules = {"bias": names["mb"] if m.model_bias and m.mode == "model-monitor" else None,
                             "explainability": names["me"] if m.model_explainability and m.mode == "model-monitor"
                             else None}
        if m.mode == "model-monitor":
            for props, monitor_class, kind in ((m.data_quality, DataQualityMonitor, "dq"),
                                               (m.model_quality, ModelQualityMonitor, "mq"),
                                               (m.model_bias, ModelBiasMonitor, "mb"),
                                               (m.model_explainability, ModelExplainabilityMonitor, "me")):
                if props is not None:
                    extra = {"model_name": endpoint.model_names.get(explained_variant(stage) or "")} \
                        if kind == "me" else {}
                    self.monitors.append(monitor_class(self, monitor_class.__name__, props=props, context=context,
                                                       schedule_name=names[kind], **extra))
        else:
            for props, construct_id, kind in ((m.data_quality, "ProcessingMonitor", "dq"),
                                              (m.model_quality, "ModelQualityProcessingMonitor", "mq")):
                if props is not None:
                    self.monitors.append(ProcessingMonitor(
                        self, construct_id, props=props, context=context, schedule_name=names[kind],
                        variant_names=endpoint.variant_names, captures=storage.captures,
                        capture_prefix=endpoint.capture_prefix, engine_layers=layers,
                        log_retention_days=stage.log_retention_days, removal=removal))
        namespace = m.processing.metrics_namespace if m.mode == "processing" else DATA_METRICS_NAMESPACE

        self.alerts = AlertTopic(self, "Alerts", props=stage.alerts, retain=stage.is_aws)
        self.alarms = MonitorAlarms(self, "Alarms", props=stage.alarms, endpoint_name=endpoint.endpoint_name,
                                    data_quality_schedule=dq_schedule, model_quality_schedule=mq_schedule,
                                    topic=self.alerts.topic, data_metrics_namespace=namespace,
                                    bias_schedule=clarify_schedules["bias"],
                                    explainability_schedule=clarify_schedules["explainability"],
                                    bias_config=m.model_bias.analysis_config.built if m.model_bias else None,
                                    shap_config=(m.model_explainability.analysis_config.built
                                                 if m.model_explainability else None))
        inline = m.mode == "processing" and m.processing.run_engine_in_lambda
        self.retraining = RetrainingTrigger(
            self, "Retraining", props=stage.retraining, alarms=self.alarms.alarms, topic=self.alerts.topic,
            topic_key=self.alerts.key, reports=storage.reports, baselines=storage.baselines,
            monitoring_output_prefix=m.output_prefix,
            inline_event=(INLINE_EVENT_SOURCE, INLINE_EVENT_DETAIL_TYPE) if inline else None,
            engine_layers=layers, log_retention_days=stage.log_retention_days, removal=removal)
        self.cloudwatch_dashboard = None
        if stage.cloudwatch_dashboard.enabled:
            self.cloudwatch_dashboard = CloudWatchDashboard(
                self, "Dashboard", endpoint_name=endpoint.endpoint_name, variant_names=endpoint.variant_names,
                drift_features=stage.alarms.drift_features, data_quality_schedule=dq_schedule,
                data_metrics_namespace=namespace, alarms=self.alarms.alarms,
                period_seconds=stage.alarms.period_seconds)

        CfnOutput(self, "AlertTopicArn", value=self.alerts.topic.topic_arn)
        for monitor in self.monitors:
            CfnOutput(self, f"{monitor.node.id}ScheduleName", value=monitor.schedule_name)

def _refs(props) -> tuple:
    """The S3 objects a monitor's jobs read besides captures: baselines, and a SHAP baseline file."""
    refs = tuple(getattr(props, name) for name in ("baseline_constraints", "baseline_statistics")
                 if getattr(props, name, None) is not None)
    built = getattr(getattr(props, "analysis_config", None), "built", None)
    if isinstance(built, ShapAnalysisProps) and isinstance(built.baseline, S3Ref):
        refs += (built.baseline,)
    return refs


def _layer(scope: Construct, construct_id: str, arn: str) -> lambda_.ILayerVersion:
    return lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, arn)
