"""Typed, frozen props of the sagewatch CDK kit, built once from context by ``app.py``.

:func:`stacks.config_readers.read_stage` turns one per-target block of ``cdk.json``
(``context["sagewatch:targets"][target]``, camelCase keys) into the frozen dataclasses defined here. Every check runs where a
value enters: a bad or unknown value raises ``ValueError`` naming the prop and the context key it came from,
e.g. ``EndpointProps.variants[1].weight (context endpoint.variants[1].weight) must be > 0, got -1``.

Nothing here reads the environment, the clock or the network; ``app.py`` is the only reader of context.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

__all__ = [
    "TARGETS", "MONITORING_MODES", "MONITOR_TYPES", "METRIC_NAMESPACES", "DATA_METRICS_NAMESPACE", "RETRAINING_ACTIONS", "S3Ref", "StorageProps", "VariantProps",
    "CaptureProps", "EndpointProps", "DataQualityProps", "ModelQualityProps", "BiasFacetProps", "BiasAnalysisProps",
    "ShapAnalysisProps", "AnalysisConfigSource", "ModelBiasProps", "ModelExplainabilityProps",
    "BiasAlarmProps", "AttributionAlarmProps", "ProcessingProps", "MonitoringProps", "QualityAlarmProps", "AlarmProps",
    "AlertProps", "RetrainingProps", "CloudWatchDashboardProps", "StageConfig",
]

TARGETS = ("local", "aws")
MONITORING_MODES = ("model-monitor", "processing")
MONITOR_TYPES = ("dataQuality", "modelQuality", "modelBias", "modelExplainability")
RETRAINING_ACTIONS = ("none", "sns", "start-pipeline", "start-training-job-from-template")
PROBLEM_TYPES = ("Regression", "BinaryClassification", "MulticlassClassification")
COMPARISONS = ("GreaterThanThreshold", "GreaterThanOrEqualToThreshold", "LessThanThreshold",
               "LessThanOrEqualToThreshold")
STATISTICS = ("Average", "Maximum", "Minimum", "Sum", "SampleCount")
# Clarify's analysis_config.json (contract §7.2, §7.4): the metric codes a methods list may name, SHAP's
# aggregations, the predictor's content types for tabular data and the bias stages of the bias-metrics dimension.
PRE_TRAINING_METHODS = ("CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD")
POST_TRAINING_METHODS = ("AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE")
SHAP_AGG_METHODS = ("mean_abs", "median", "mean_sq")
PREDICTOR_CONTENT_TYPES = ("text/csv", "application/jsonlines", "application/json")
BIAS_STAGES = ("Pre-training", "Post-Training")
# The monitors' CloudWatch namespaces (contract §5). The CDK kit imports no engine code, so it keeps its own copy
# of sagewatch.schemas.metric_lines.NAMESPACE_KINDS; tests/cdk/test_cdk_config.py checks that the two agree.
METRIC_NAMESPACES = {
    "dataQuality": "aws/sagemaker/Endpoints/data-metrics",
    "modelQuality": "aws/sagemaker/Endpoints/model-metrics",
    "modelBias": "aws/sagemaker/Endpoints/bias-metrics",
    "modelExplainability": "aws/sagemaker/Endpoints/explainability-metrics",
}
DATA_METRICS_NAMESPACE = METRIC_NAMESPACES["dataQuality"]
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
                      2922, 3288, 3653)

_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
                    r"(?P<repository>[a-z0-9._/-]+)(:(?P<tag>[\w.-]+)|@sha256:[0-9a-f]{64})?$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_KEY_PART = re.compile(r"^[A-Za-z0-9!_.*'()/-]+$")


def prop_error(prop: str, key: str, message: str) -> ValueError:
    return ValueError(f"{prop} (context {key}) {message}")


# --- values -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class S3Ref:
    """An S3 object or prefix: ``s3://bucket/key`` or a bare key inside the kit's baselines bucket."""

    key: str
    bucket: str | None = None  # None: the kit's baselines bucket (StorageStack)

    @classmethod
    def parse(cls, value: str, prop: str, key: str) -> S3Ref:
        text = value.strip()
        if text.startswith("s3://"):
            bucket, _, object_key = text[5:].partition("/")
            if not _BUCKET.match(bucket):
                raise prop_error(prop, key, f"names an invalid bucket {bucket!r} in {value!r}")
        elif "://" in text:
            raise prop_error(prop, key, f"must be s3://bucket/key or a key in the baselines bucket, got {value!r}")
        else:
            bucket, object_key = None, text
        object_key = object_key.strip("/")
        if not object_key or not _KEY_PART.match(object_key):
            raise prop_error(prop, key, f"must name an object key, got {value!r}")
        return cls(key=object_key, bucket=bucket)


@dataclass(frozen=True)
class StorageProps:
    capture_expiration_days: int = 30
    report_expiration_days: int = 365
    access_log_expiration_days: int = 90
    noncurrent_version_expiration_days: int = 90


@dataclass(frozen=True)
class VariantProps:
    name: str
    weight: float
    instance_type: str
    instance_count: int
    model_data: S3Ref | None = None  # overrides EndpointProps.model_data (A/B tests of two models)
    image_uri: str | None = None  # overrides EndpointProps.serving_image_uri


@dataclass(frozen=True)
class CaptureProps:
    sampling_percentage: int = 100
    prefix: str = "datacapture"
    csv_content_types: tuple[str, ...] = ("text/csv",)
    json_content_types: tuple[str, ...] = ("application/json",)


@dataclass(frozen=True)
class EndpointProps:
    serving_image_uri: str
    model_data: S3Ref
    variants: tuple[VariantProps, ...]
    capture: CaptureProps
    model_environment: tuple[tuple[str, str], ...] = ()
    endpoint_name: str | None = None  # None: CloudFormation generates it

    @property
    def environment(self) -> dict[str, str]:
        return dict(self.model_environment)


@dataclass(frozen=True)
class DataQualityProps:
    baseline_constraints: S3Ref
    baseline_statistics: S3Ref


@dataclass(frozen=True)
class ModelQualityProps:
    problem_type: str
    baseline_constraints: S3Ref
    inference_attribute: str | None
    probability_attribute: str | None
    probability_threshold: float | None
    ground_truth_prefix: str
    start_time_offset: str
    end_time_offset: str


Scalar = str | int | float


@dataclass(frozen=True)
class BiasFacetProps:
    """One facet: its column, and the sensitive values or one threshold (None: every value against the rest)."""

    name_or_index: str | int
    value_or_threshold: tuple[Scalar, ...] | None = None


@dataclass(frozen=True)
class BiasAnalysisProps:
    """The bias monitor's ``analysis_config.json`` built by the kit: the SDK's ``BiasAnalysisConfig`` (the
    ``BiasConfig`` plus ``headers`` and ``label``, contract §7.2) and the bias ``methods`` of each stage."""

    headers: tuple[str, ...]  # the features, then the label (the label comes from the ground truth)
    label: str | int
    label_values_or_threshold: tuple[Scalar, ...]
    facets: tuple[BiasFacetProps, ...]
    group_variable: str | int | None = None
    pre_training_methods: str | tuple[str, ...] | None = "all"  # None: the stage is not computed
    post_training_methods: str | tuple[str, ...] | None = "all"

    @property
    def label_name(self) -> str:
        """The label's column name (the ``Label`` dimension of the bias metrics)."""
        return self.headers[self.label] if isinstance(self.label, int) else self.label

    def column(self, name_or_index: str | int) -> str:
        return self.headers[name_or_index] if isinstance(name_or_index, int) else name_or_index


@dataclass(frozen=True)
class ShapAnalysisProps:
    """The explainability monitor's ``analysis_config.json`` built by the kit: the SDK's
    ``ExplainabilityAnalysisConfig`` (``methods.shap``, ``predictor``, feature ``headers``; contract §7.2), the
    predictor being the model of one of the endpoint's variants (Clarify starts a shadow endpoint from it)."""

    headers: tuple[str, ...]  # the features, in the order the model reads them
    baseline: tuple[tuple[float, ...], ...] | S3Ref | None  # None: num_clusters k-means summaries
    num_clusters: int | None
    num_samples: int
    agg_method: str
    use_logit: bool
    save_local_shap_values: bool
    seed: int | None
    label_headers: tuple[str, ...] | None
    variant_name: str | None  # None: the endpoint's first variant
    instance_type: str
    initial_instance_count: int
    content_type: str
    accept_type: str

    @property
    def labels(self) -> tuple[str, ...]:
        """The ``Label`` values of the explainability metrics: the label headers, else ``label0``."""
        return self.label_headers or ("label0",)


@dataclass(frozen=True)
class AnalysisConfigSource:
    """Where a Clarify monitor's ``analysis_config.json`` comes from: exactly one of ``built`` (written by the kit
    from the props), ``file`` (a local file) or ``uri`` (an S3 object managed by the user). The kit uploads the
    first two as file assets of the monitoring stack."""

    built: BiasAnalysisProps | ShapAnalysisProps | None = None
    file: str | None = None  # an absolute path (relative paths are resolved against cdk.json's folder)
    uri: S3Ref | None = None


@dataclass(frozen=True)
class ModelBiasProps:
    analysis_config: AnalysisConfigSource
    baseline_constraints: S3Ref
    features_attribute: str | None
    inference_attribute: str | None
    probability_attribute: str | None
    probability_threshold: float | None
    ground_truth_prefix: str
    start_time_offset: str
    end_time_offset: str


@dataclass(frozen=True)
class ModelExplainabilityProps:
    analysis_config: AnalysisConfigSource
    baseline_constraints: S3Ref
    features_attribute: str | None
    inference_attribute: str | None


@dataclass(frozen=True)
class ProcessingProps:
    """The ``processing`` monitoring mode: EventBridge schedule -> Lambda -> CreateProcessingJob (or in-Lambda)."""

    run_engine_in_lambda: bool = False
    window_hours: int = 1
    lambda_memory_mb: int = 1024
    lambda_timeout_seconds: int = 300
    engine_layer_arns: tuple[str, ...] = ()  # on aws: layers with numpy/scipy/pyarrow/... for the in-Lambda engine
    metrics_namespace: str = DATA_METRICS_NAMESPACE


@dataclass(frozen=True)
class MonitoringProps:
    mode: str
    schedule_expression: str
    instance_type: str
    instance_count: int
    volume_size_gb: int
    max_runtime_seconds: int
    analyzer_image_uri: str | None  # None: SageMaker's analyzer image of the region (CfnMapping)
    clarify_image_uri: str | None  # None: SageMaker Clarify's image of the region (CfnMapping)
    publish_cloudwatch_metrics: bool
    output_prefix: str
    data_quality: DataQualityProps | None
    model_quality: ModelQualityProps | None
    model_bias: ModelBiasProps | None
    model_explainability: ModelExplainabilityProps | None
    processing: ProcessingProps = field(default_factory=ProcessingProps)

    @property
    def enabled_types(self) -> tuple[str, ...]:
        return tuple(t for t, v in zip(MONITOR_TYPES, (self.data_quality, self.model_quality, self.model_bias,
                                                        self.model_explainability)) if v is not None)


@dataclass(frozen=True)
class QualityAlarmProps:
    metric_name: str
    threshold: float
    comparison: str


@dataclass(frozen=True)
class BiasAlarmProps:
    """An alarm on one ``bias_metric_<CODE>`` series (contract §5): the facet value as the metrics name it
    (categorical values joined by commas, e.g. ``0,1``)."""

    metric_name: str  # the code, e.g. DPPL
    facet: str
    facet_value: str
    stage: str  # Pre-training | Post-Training
    threshold: float
    comparison: str
    label: str | None = None  # None: from the kit-built analysis config
    label_value: str | None = None


@dataclass(frozen=True)
class AttributionAlarmProps:
    """An alarm on one feature's global SHAP value ``feature_<name>`` (contract §5)."""

    feature: str
    threshold: float
    comparison: str
    label: str | None = None  # None: the kit-built config's first label (label0 or its first label header)


@dataclass(frozen=True)
class AlarmProps:
    drift_features: tuple[str, ...]
    drift_threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int
    period_seconds: int
    statistic: str
    quality_metrics: tuple[QualityAlarmProps, ...] = ()
    bias_metrics: tuple[BiasAlarmProps, ...] = ()
    attribution_features: tuple[AttributionAlarmProps, ...] = ()


@dataclass(frozen=True)
class AlertProps:
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetrainingProps:
    action: str = "none"  # none | sns | start-pipeline:<name> | start-training-job-from-template:<s3 uri>
    training_role_arn: str | None = None

    @property
    def kind(self) -> str:
        return self.action.split(":", 1)[0]

    @property
    def argument(self) -> str | None:
        return self.action.split(":", 1)[1] if ":" in self.action else None


@dataclass(frozen=True)
class CloudWatchDashboardProps:
    enabled: bool = True


@dataclass(frozen=True)
class StageConfig:
    target: str
    account: str | None  # None: environment-agnostic synthesis
    region: str | None
    project: str
    log_retention_days: int
    storage: StorageProps
    endpoint: EndpointProps
    monitoring: MonitoringProps
    alarms: AlarmProps
    alerts: AlertProps
    retraining: RetrainingProps
    cloudwatch_dashboard: CloudWatchDashboardProps

    @property
    def is_aws(self) -> bool:
        return self.target == "aws"

    def check_across(self) -> None:
        """Checks that involve more than one block."""
        monitoring = self.monitoring
        if monitoring.mode == "processing":
            if self.is_aws and not monitoring.analyzer_image_uri:
                raise prop_error("MonitoringProps.analyzer_image_uri", "monitoring.analyzerImageUri",
                            "is required in processing mode on target aws: push containers/analyzer to ECR and "
                            "set its URI")
            if monitoring.data_quality is None:
                raise prop_error("MonitoringProps.data_quality", "monitoring.dataQuality",
                            "is required in processing mode (it runs the data-quality analyzer)")
            others = [t for t in monitoring.enabled_types if t not in ("dataQuality", "modelQuality")]
            if others:
                raise prop_error("MonitoringProps", "monitoring", "processing mode runs data quality and model "
                                 f"quality only; disable {others}")
            inputs = len(self.endpoint.variants) * monitoring.processing.window_hours + 2
            if inputs > 10:
                raise prop_error("ProcessingProps.window_hours", "monitoring.processing.windowHours",
                            f"gives {inputs} processing inputs (variants x hours + 2 baseline files); "
                            "CreateProcessingJob accepts at most 10")
            if monitoring.model_quality is not None:
                _check_model_quality_inputs(monitoring.model_quality, len(self.endpoint.variants))
            if (self.is_aws and monitoring.processing.run_engine_in_lambda
                    and not monitoring.processing.engine_layer_arns):
                raise prop_error("ProcessingProps.engine_layer_arns", "monitoring.processing.engineLayerArns",
                            "must list layers with the engine's dependencies (numpy, scipy, pyarrow, scikit-learn, "
                            "datasketches) when runEngineInLambda is true on target aws")
        if self.alarms.quality_metrics and monitoring.model_quality is None:
            raise prop_error("AlarmProps.quality_metrics", "alarms.qualityMetrics",
                        "needs monitoring.modelQuality to be enabled")
        self._check_clarify_across()
        if self.alarms.drift_features and monitoring.data_quality is None:
            raise prop_error("AlarmProps.drift_features", "alarms.driftFeatures",
                        "needs monitoring.dataQuality to be enabled")
        if (self.retraining.kind == "start-training-job-from-template"
                and not self.retraining.training_role_arn):
            raise prop_error("RetrainingProps.training_role_arn", "retraining.trainingRoleArn",
                        "is required by the start-training-job-from-template action (the role is passed to "
                        "CreateTrainingJob)")
        for variant in self.endpoint.variants:
            image = variant.image_uri or self.endpoint.serving_image_uri
            found = _IMAGE.match(image)
            if self.region and found and found.group("region") != self.region and self.is_aws:
                raise prop_error(f"EndpointProps.variants[{variant.name}]", "endpoint.servingImageUri",
                            f"image {image} is in region {found.group('region')}, the stage in {self.region}")


    def _check_clarify_across(self) -> None:
        """The Clarify monitors against the endpoint and the alarms."""
        bias, explainability = self.monitoring.model_bias, self.monitoring.model_explainability
        built = explainability.analysis_config.built if explainability else None
        if isinstance(built, ShapAnalysisProps) and built.variant_name is not None:
            names = [v.name for v in self.endpoint.variants]
            if built.variant_name not in names:
                raise prop_error("ShapAnalysisProps.variant_name",
                                 "monitoring.modelExplainability.analysisConfig.variantName",
                                 f"must name a variant of the endpoint {names}, got {built.variant_name!r}")
        if self.alarms.bias_metrics and bias is None:
            raise prop_error("AlarmProps.bias_metrics", "alarms.biasMetrics",
                             "needs monitoring.modelBias to be enabled")
        bias_built = bias.analysis_config.built if bias else None
        for i, alarm in enumerate(self.alarms.bias_metrics):
            if (alarm.label is None or alarm.label_value is None) and not isinstance(bias_built, BiasAnalysisProps):
                raise prop_error(f"AlarmProps.bias_metrics[{i}].label", f"alarms.biasMetrics[{i}].label",
                                 "and labelValue are required when the bias analysis config is not built by the kit "
                                 "(monitoring.modelBias.analysisConfig)")
        if self.alarms.attribution_features and explainability is None:
            raise prop_error("AlarmProps.attribution_features", "alarms.attributionFeatures",
                             "needs monitoring.modelExplainability to be enabled")
        if isinstance(built, ShapAnalysisProps):
            for i, alarm in enumerate(self.alarms.attribution_features):
                if alarm.feature not in built.headers:
                    raise prop_error(f"AlarmProps.attribution_features[{i}].feature",
                                     f"alarms.attributionFeatures[{i}].feature",
                                     f"must be one of the explained features {list(built.headers)}, got "
                                     f"{alarm.feature!r}")
                if alarm.label is not None and alarm.label not in built.labels:
                    raise prop_error(f"AlarmProps.attribution_features[{i}].label",
                                     f"alarms.attributionFeatures[{i}].label",
                                     f"must be one of the model's labels {list(built.labels)}, got {alarm.label!r}")


def offset_hours(offset: str) -> float:
    """Hours of a window offset as the readers accept it (``-P1D``, ``-PT1H``, ``-PT90M``, ``-P1DT2H``), positive.

    >>> offset_hours("-P1DT2H"), offset_hours("-PT30M")
    (26.0, 0.5)
    """
    found = re.match(r"^-P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?)?$", offset)
    if found is None:
        raise ValueError(f"not a window offset: {offset!r}")
    days, hours, minutes = (int(v or 0) for v in found.groups())
    return days * 24 + hours + minutes / 60


def _check_model_quality_inputs(props: ModelQualityProps, variants: int) -> None:
    """Processing mode starts the model-quality jobs itself: the merge job reads every captured hour of every
    variant plus the ground-truth hours from the window start to the scheduled hour (contract §2.2, §2.3)."""
    start, end = offset_hours(props.start_time_offset), offset_hours(props.end_time_offset)
    captured = math.ceil(start) - math.floor(end)
    inputs = variants * captured + math.ceil(start) + 1
    if inputs > 10:
        raise prop_error("ModelQualityProps.start_time_offset", "monitoring.modelQuality.startTimeOffset",
                         f"gives the ground-truth merge job {inputs} processing inputs in processing mode (variants x "
                         f"{captured} captured hours + {math.ceil(start) + 1} ground-truth hours); "
                         "CreateProcessingJob accepts at most 10")


def parse_image_uri(uri: str) -> dict[str, str] | None:
    """Split an ECR image URI into account, region and repository (``None`` when it is not one)."""
    found = _IMAGE.match(uri)
    return None if found is None else {"account": found.group("account"), "region": found.group("region"),
                                       "repository": found.group("repository")}
