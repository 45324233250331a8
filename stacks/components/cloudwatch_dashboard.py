"""CloudWatchDashboard: the endpoint's traffic, latency, utilisation and drift on one CloudWatch dashboard."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from stacks.components.alarms import drift_metric

__all__ = ["CloudWatchDashboard"]

_INVOCATION_NAMESPACE = "AWS/SageMaker"  # invocation metrics (EndpointName, VariantName)
_INSTANCE_NAMESPACE = "/aws/sagemaker/Endpoints"  # instance utilisation (EndpointName, VariantName)


class CloudWatchDashboard(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, endpoint_name: str, variant_names: tuple[str, ...],
                 drift_features: tuple[str, ...], data_quality_schedule: str | None, data_metrics_namespace: str,
                 alarms: list[cloudwatch.IAlarm], period_seconds: int) -> None:
        super().__init__(scope, construct_id)
        period = Duration.minutes(5)

        def per_variant(namespace: str, metric: str, statistic: str) -> list[cloudwatch.IMetric]:
            return [cloudwatch.Metric(namespace=namespace, metric_name=metric, statistic=statistic, period=period,
                                      label=f"{metric} {variant}",
                                      dimensions_map={"EndpointName": endpoint_name, "VariantName": variant})
                    for variant in variant_names]

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.days(1))
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="Invocations", width=8,
                                   left=per_variant(_INVOCATION_NAMESPACE, "Invocations", "Sum")),
            cloudwatch.GraphWidget(title="Errors", width=8,
                                   left=per_variant(_INVOCATION_NAMESPACE, "Invocation4XXErrors", "Sum")
                                   + per_variant(_INVOCATION_NAMESPACE, "Invocation5XXErrors", "Sum")),
            cloudwatch.GraphWidget(title="Latency (microseconds)", width=8,
                                   left=per_variant(_INVOCATION_NAMESPACE, "ModelLatency", "p90")
                                   + per_variant(_INVOCATION_NAMESPACE, "OverheadLatency", "p90")),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="CPU and memory utilisation (%)", width=12,
                                   left=per_variant(_INSTANCE_NAMESPACE, "CPUUtilization", "Average")
                                   + per_variant(_INSTANCE_NAMESPACE, "MemoryUtilization", "Average")),
            cloudwatch.GraphWidget(title="Disk utilisation (%)", width=12,
                                   left=per_variant(_INSTANCE_NAMESPACE, "DiskUtilization", "Average")),
        )
        if data_quality_schedule and drift_features:
            self.dashboard.add_widgets(cloudwatch.GraphWidget(
                title="Baseline drift per feature", width=24,
                left=[drift_metric(namespace=data_metrics_namespace, feature=f, endpoint_name=endpoint_name,
                                   schedule_name=data_quality_schedule, statistic="Maximum",
                                   period_seconds=period_seconds) for f in drift_features]))
        if alarms:
            self.dashboard.add_widgets(cloudwatch.AlarmStatusWidget(title="Monitor alarms", alarms=alarms, width=24))
