"""MonitorAlarms: CloudWatch alarms on the drift and quality metrics that monitoring executions publish."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import METRIC_NAMESPACES, AlarmProps, BiasAlarmProps, BiasAnalysisProps, ShapAnalysisProps

__all__ = ["MonitorAlarms", "DATA_METRICS_NAMESPACE", "MODEL_METRICS_NAMESPACE", "drift_metric"]

# Real-time namespaces as the official samples spell them (contract §5, §12).
DATA_METRICS_NAMESPACE = METRIC_NAMESPACES["dataQuality"]
MODEL_METRICS_NAMESPACE = METRIC_NAMESPACES["modelQuality"]
BIAS_METRICS_NAMESPACE = METRIC_NAMESPACES["modelBias"]
EXPLAINABILITY_METRICS_NAMESPACE = METRIC_NAMESPACES["modelExplainability"]


def drift_metric(*, namespace: str, feature: str, endpoint_name: str, schedule_name: str, statistic: str,
                 period_seconds: int) -> cloudwatch.Metric:
    """``feature_baseline_drift_<feature>`` with dimensions ``Endpoint`` and ``MonitoringSchedule`` (contract §5)."""
    return cloudwatch.Metric(
        namespace=namespace, metric_name=f"feature_baseline_drift_{feature}",
        dimensions_map={"Endpoint": endpoint_name, "MonitoringSchedule": schedule_name},
        statistic=statistic, period=Duration.seconds(period_seconds))


class MonitorAlarms(Construct):
    """One alarm per drift feature (data quality), per quality metric (model quality), per bias metric series
    (model bias) and per attribution feature (model explainability); each notifies the alert topic, and their
    ALARM state changes reach the retraining rule through EventBridge."""

    def __init__(self, scope: Construct, construct_id: str, *, props: AlarmProps, endpoint_name: str,
                 data_quality_schedule: str | None, model_quality_schedule: str | None, topic: sns.ITopic,
                 data_metrics_namespace: str = DATA_METRICS_NAMESPACE, bias_schedule: str | None = None,
                 explainability_schedule: str | None = None, bias_config: object = None,
                 shap_config: object = None) -> None:
        super().__init__(scope, construct_id)
        self.alarms: list[cloudwatch.Alarm] = []
        action = actions.SnsAction(topic)
        if data_quality_schedule:
            for feature in props.drift_features:
                metric = drift_metric(namespace=data_metrics_namespace, feature=feature, endpoint_name=endpoint_name,
                                      schedule_name=data_quality_schedule, statistic=props.statistic,
                                      period_seconds=props.period_seconds)
                self._add(f"Drift-{feature}", metric, props.drift_threshold,
                          cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                          f"sagewatch: baseline drift of feature {feature} above {props.drift_threshold}", props,
                          action)
        if model_quality_schedule:
            for quality in props.quality_metrics:
                metric = cloudwatch.Metric(
                    namespace=MODEL_METRICS_NAMESPACE, metric_name=quality.metric_name,
                    dimensions_map={"Endpoint": endpoint_name, "MonitoringSchedule": model_quality_schedule},
                    statistic=props.statistic, period=Duration.seconds(props.period_seconds))
                self._add(f"Quality-{quality.metric_name}", metric, quality.threshold,
                          getattr(cloudwatch.ComparisonOperator, _OPERATORS[quality.comparison]),
                          f"sagewatch: model quality {quality.metric_name} {quality.comparison} {quality.threshold}",
                          props, action)
        if bias_schedule:
            for alarm in props.bias_metrics:
                label, label_value = _bias_label(alarm, bias_config)
                metric = cloudwatch.Metric(
                    namespace=BIAS_METRICS_NAMESPACE, metric_name=f"bias_metric_{alarm.metric_name}",
                    dimensions_map={"Endpoint": endpoint_name, "MonitoringSchedule": bias_schedule,
                                    "BiasStage": alarm.stage, "Label": label, "LabelValue": label_value,
                                    "Facet": alarm.facet, "FacetValue": alarm.facet_value},
                    statistic=props.statistic, period=Duration.seconds(props.period_seconds))
                self._add(f"Bias-{alarm.metric_name}-{alarm.facet}-{alarm.facet_value}", metric, alarm.threshold,
                          getattr(cloudwatch.ComparisonOperator, _OPERATORS[alarm.comparison]),
                          f"sagewatch: bias {alarm.metric_name} of {alarm.facet}={alarm.facet_value} "
                          f"{alarm.comparison} {alarm.threshold}", props, action)
        if explainability_schedule:
            for alarm in props.attribution_features:
                label = alarm.label or (shap_config.labels[0] if isinstance(shap_config, ShapAnalysisProps)
                                        else "label0")
                metric = cloudwatch.Metric(
                    namespace=EXPLAINABILITY_METRICS_NAMESPACE, metric_name=f"feature_{alarm.feature}",
                    dimensions_map={"Endpoint": endpoint_name, "MonitoringSchedule": explainability_schedule,
                                    "ExplainabilityMethod": "KernelShap", "Label": label,
                                    "ValueType": "GlobalShapValues"},
                    statistic=props.statistic, period=Duration.seconds(props.period_seconds))
                self._add(f"Attribution-{alarm.feature}-{label}", metric, alarm.threshold,
                          getattr(cloudwatch.ComparisonOperator, _OPERATORS[alarm.comparison]),
                          f"sagewatch: global SHAP value of {alarm.feature} ({label}) {alarm.comparison} "
                          f"{alarm.threshold}", props, action)

    def _add(self, construct_id: str, metric: cloudwatch.Metric, threshold: float,
             comparison: cloudwatch.ComparisonOperator, description: str, props: AlarmProps,
             action: actions.SnsAction) -> None:
        alarm = cloudwatch.Alarm(
            self, construct_id, metric=metric, threshold=threshold, comparison_operator=comparison,
            evaluation_periods=props.evaluation_periods, datapoints_to_alarm=props.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING, alarm_description=description)
        alarm.add_alarm_action(action)
        self.alarms.append(alarm)


_OPERATORS = {
    "GreaterThanThreshold": "GREATER_THAN_THRESHOLD",
    "GreaterThanOrEqualToThreshold": "GREATER_THAN_OR_EQUAL_TO_THRESHOLD",
    "LessThanThreshold": "LESS_THAN_THRESHOLD",
    "LessThanOrEqualToThreshold": "LESS_THAN_OR_EQUAL_TO_THRESHOLD",
}


def _bias_label(alarm: BiasAlarmProps, config: object) -> tuple[str, str]:
    """The ``Label`` and ``LabelValue`` dimensions: the alarm's own, else the kit-built config's label column and
    its positive values joined by commas, as Clarify writes ``label_value_or_threshold`` (contract §7.3)."""
    if isinstance(config, BiasAnalysisProps):
        label = alarm.label or config.label_name
        value = alarm.label_value or ",".join(str(v) for v in config.label_values_or_threshold)
        return label, value
    return alarm.label or "", alarm.label_value or ""
