"""MonitorAlarms: CloudWatch alarms on the drift and quality metrics that monitoring executions publish."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from stacks.config import METRIC_NAMESPACES, AlarmProps

__all__ = ["MonitorAlarms", "DATA_METRICS_NAMESPACE", "MODEL_METRICS_NAMESPACE", "drift_metric"]

# Real-time namespaces as the official samples spell them (contract §5, §12).
DATA_METRICS_NAMESPACE = METRIC_NAMESPACES["dataQuality"]
MODEL_METRICS_NAMESPACE = METRIC_NAMESPACES["modelQuality"]


def drift_metric(*, namespace: str, feature: str, endpoint_name: str, schedule_name: str, statistic: str,
                 period_seconds: int) -> cloudwatch.Metric:
    """``feature_baseline_drift_<feature>`` with dimensions ``Endpoint`` and ``MonitoringSchedule`` (contract §5)."""
    return cloudwatch.Metric(
        namespace=namespace, metric_name=f"feature_baseline_drift_{feature}",
        dimensions_map={"Endpoint": endpoint_name, "MonitoringSchedule": schedule_name},
        statistic=statistic, period=Duration.seconds(period_seconds))


class MonitorAlarms(Construct):
    """One alarm per drift feature (data quality) and per quality metric (model quality); each notifies the alert
    topic, and their ALARM state changes reach the retraining rule through EventBridge."""

    def __init__(self, scope: Construct, construct_id: str, *, props: AlarmProps, endpoint_name: str,
                 data_quality_schedule: str | None, model_quality_schedule: str | None, topic: sns.ITopic,
                 data_metrics_namespace: str = DATA_METRICS_NAMESPACE) -> None:
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
