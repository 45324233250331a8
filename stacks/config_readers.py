"""Readers that turn a ``sagewatch:targets`` context block into the props of :mod:`stacks.config`.

Every value is checked where it enters; errors are ``ValueError`` naming the prop and its context key.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Mapping

from stacks.config_readers_clarify import (read_analysis_config, read_attribution_alarms, read_bias_alarms)
from stacks.context_block import ContextBlock
from stacks.config import (COMPARISONS, DATA_METRICS_NAMESPACE, LOG_RETENTION_DAYS, MONITORING_MODES, PROBLEM_TYPES, RETRAINING_ACTIONS,
                           STATISTICS, TARGETS, AlarmProps, AlertProps, CaptureProps, CloudWatchDashboardProps,
                           DataQualityProps, EndpointProps, ModelBiasProps, ModelExplainabilityProps,
                           ModelQualityProps, MonitoringProps, ProcessingProps, QualityAlarmProps, RetrainingProps,
                           S3Ref, StageConfig, StorageProps, VariantProps, prop_error, parse_image_uri)

__all__ = ["read_stage"]

_Block = ContextBlock

_MIME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9])*/[a-zA-Z0-9](-*[a-zA-Z0-9.])*$")  # contract §1.1
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")  # SageMaker resource names (contract §9.4)
_CRON = re.compile(r"^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
_KEY_PART = re.compile(r"^[A-Za-z0-9!_.*'()/-]+$")
_METRIC_NAME = re.compile(r"^[A-Za-z0-9_.\-/#:]{1,255}$")


def read_stage(target: str, block: Mapping[str, Any] | None, *, base_dir: Path | None = None) -> StageConfig:
    """Build and check the whole stage from one ``sagewatch:targets`` block (see :mod:`stacks.config`);
    ``base_dir`` is where relative file settings (``analysisConfigFile``) are found (``cdk.json``'s folder)."""
    if target not in TARGETS:
        raise prop_error("StageConfig.target", "target", f"must be one of {list(TARGETS)}, got {target!r}")
    if block is None:
        raise prop_error("StageConfig", f"sagewatch:targets.{target}", "is missing from cdk.json")
    root = _Block(block, "StageConfig", "")
    account = root.string("account", "account")
    region = root.string("region", "region")
    if account is not None and not _ACCOUNT.match(account):
        raise prop_error("StageConfig.account", "account", f"must be 12 digits, got {account!r}")
    if region is not None and not _REGION.match(region):
        raise prop_error("StageConfig.region", "region", f"must look like us-east-1, got {region!r}")
    project = root.string("projectName", "project", "sagewatch") or "sagewatch"
    if not re.match(r"^[a-z][a-z0-9-]{0,19}$", project):
        raise prop_error("StageConfig.project", "projectName", f"must be 1-20 lowercase letters, digits or '-', "
                                                          f"starting with a letter, got {project!r}")
    retention = root.integer("logRetentionDays", "log_retention_days", 30, low=1, high=3653)
    if retention not in LOG_RETENTION_DAYS:
        raise prop_error("StageConfig.log_retention_days", "logRetentionDays",
                    f"must be one of CloudWatch's retention values {list(LOG_RETENTION_DAYS)}, got {retention}")
    stage = StageConfig(
        target=target, account=account, region=region, project=project, log_retention_days=retention,
        storage=_storage(root.block("storage", "StorageProps")),
        endpoint=_endpoint(root.block("endpoint", "EndpointProps")),
        monitoring=_monitoring(root.block("monitoring", "MonitoringProps"), base_dir),
        alarms=_alarms(root.block("alarms", "AlarmProps")),
        alerts=_alerts(root.block("alerts", "AlertProps")),
        retraining=_retraining(root.block("retraining", "RetrainingProps")),
        cloudwatch_dashboard=_cloudwatch_dashboard(root.block("cloudWatchDashboard", "CloudWatchDashboardProps")),
    )
    root.finish()
    stage.check_across()
    return stage


# --- block readers ------------------------------------------------------------------------------------------

def _image(value: str | None, prop: str, key: str) -> str | None:
    if value is None:
        return None
    if parse_image_uri(value) is None:
        raise prop_error(prop, key, f"must be an ECR image URI <account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag], "
                               f"got {value!r}")
    return value


def _offset(value: str | None, prop: str, key: str, default: str) -> str:
    value = value or default
    if not re.match(r"^-P(\d+D)?(T(\d+H)?(\d+M)?)?$", value) or value in ("-P", "-PT"):
        raise prop_error(prop, key, f"must be a negative ISO-8601 duration such as -PT1H or -P1D, got {value!r}")
    return value


def _storage(b: _Block) -> StorageProps:
    props = StorageProps(
        capture_expiration_days=b.integer("captureExpirationDays", "capture_expiration_days", 30, low=1,
                                          high=3650),
        report_expiration_days=b.integer("reportExpirationDays", "report_expiration_days", 365, low=1, high=3650),
        access_log_expiration_days=b.integer("accessLogExpirationDays", "access_log_expiration_days", 90, low=1,
                                             high=3650),
        noncurrent_version_expiration_days=b.integer("noncurrentVersionExpirationDays",
                                                     "noncurrent_version_expiration_days", 90, low=1, high=3650),
    )
    b.finish()
    return props


def _endpoint(b: _Block) -> EndpointProps:
    image = _image(b.string("servingImageUri", "serving_image_uri", required=True), "EndpointProps.serving_image_uri",
                   f"{b.key}.servingImageUri")
    model = S3Ref.parse(b.string("modelDataUrl", "model_data", required=True), "EndpointProps.model_data",
                        f"{b.key}.modelDataUrl")
    name = b.string("endpointName", "endpoint_name")
    if name is not None and not _NAME.match(name):
        raise prop_error("EndpointProps.endpoint_name", f"{b.key}.endpointName",
                    f"must match [a-zA-Z0-9](-*[a-zA-Z0-9]){{0,62}}, got {name!r}")
    environment = b.get("modelEnvironment") or {}
    if not isinstance(environment, Mapping) or not all(isinstance(v, str) for v in environment.values()):
        raise prop_error("EndpointProps.model_environment", f"{b.key}.modelEnvironment",
                    f"must be an object of strings, got {environment!r}")
    raw_variants = b.get("variants")
    if not isinstance(raw_variants, list) or not raw_variants:
        raise prop_error("EndpointProps.variants", f"{b.key}.variants", "must be a non-empty list of variants")
    if len(raw_variants) > 10:
        raise prop_error("EndpointProps.variants", f"{b.key}.variants", f"allows at most 10, got {len(raw_variants)}")
    variants = []
    for i, raw in enumerate(raw_variants):
        v = _Block(raw, f"EndpointProps.variants[{i}]", f"{b.key}.variants[{i}]")
        variant_name = v.string("name", "name", required=True)
        if not _NAME.match(variant_name):
            raise prop_error(f"EndpointProps.variants[{i}].name", f"{v.key}.name",
                             f"is not a valid name: {variant_name!r}")
        model_data = v.string("modelDataUrl", "model_data")
        variants.append(VariantProps(
            name=variant_name,
            weight=v.number("weight", "weight", 1.0, positive=True),
            instance_type=_instance(v.string("instanceType", "instance_type", required=True),
                                    f"EndpointProps.variants[{i}].instance_type", f"{v.key}.instanceType"),
            instance_count=v.integer("instanceCount", "instance_count", 1, low=1, high=100),
            model_data=S3Ref.parse(model_data, f"EndpointProps.variants[{i}].model_data", f"{v.key}.modelDataUrl")
            if model_data else None,
            image_uri=_image(v.string("servingImageUri", "image_uri"), f"EndpointProps.variants[{i}].image_uri",
                             f"{v.key}.servingImageUri"),
        ))
        v.finish()
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        raise prop_error("EndpointProps.variants", f"{b.key}.variants", f"names must be unique, got {names}")
    c = b.block("capture", "CaptureProps")
    capture = CaptureProps(
        sampling_percentage=c.integer("samplingPercentage", "sampling_percentage", 100, low=0, high=100),
        prefix=(c.string("prefix", "prefix", "datacapture") or "datacapture").strip("/"),
        csv_content_types=c.strings("csvContentTypes", "csv_content_types", ("text/csv",)),
        json_content_types=c.strings("jsonContentTypes", "json_content_types", ("application/json",)),
    )
    for attr, key_name, types in (("csv_content_types", "csvContentTypes", capture.csv_content_types),
                              ("json_content_types", "jsonContentTypes", capture.json_content_types)):
        if not 1 <= len(types) <= 10 or not all(_MIME.match(t) and len(t) <= 256 for t in types):
            raise prop_error(f"CaptureProps.{attr}", f"{c.key}.{key_name}",
                             f"must be 1 to 10 MIME types, got {list(types)}")
    if not _KEY_PART.match(capture.prefix):
        raise prop_error("CaptureProps.prefix", f"{c.key}.prefix", f"is not a valid key prefix: {capture.prefix!r}")
    c.finish()
    props = EndpointProps(serving_image_uri=image, model_data=model, variants=tuple(variants), capture=capture,
                          model_environment=tuple(sorted((str(k), v) for k, v in environment.items())),
                          endpoint_name=name)
    b.finish()
    return props


def _instance(value: str, prop: str, key: str) -> str:
    if not re.match(r"^ml\.[a-z0-9]+\.[a-z0-9]+$", value):
        raise prop_error(prop, key, f"must be a SageMaker instance type such as ml.m5.large, got {value!r}")
    return value


def _attribute(b: _Block, name: str, attr: str) -> str | None:
    value = b.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise prop_error(f"{b.prop}.{attr}", f"{b.key}.{name}", f"must be a string or an index, got {value!r}")
    return str(value)


def _threshold(b: _Block) -> float | None:
    value = b.get("probabilityThreshold")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise prop_error(f"{b.prop}.probability_threshold", f"{b.key}.probabilityThreshold",
                    f"must be a number between 0 and 1, got {value!r}")
    return float(value)


def _enabled(b: _Block) -> bool:
    return b.boolean("enabled", "enabled", False)


def _s3_ref(b: _Block, name: str, attr: str) -> S3Ref:
    return S3Ref.parse(b.string(name, attr, required=True), f"{b.prop}.{attr}", f"{b.key}.{name}")


def _ground_truth_prefix(b: _Block) -> str:
    prefix = (b.string("groundTruthPrefix", "ground_truth_prefix", "ground-truth") or "ground-truth").strip("/")
    if not _KEY_PART.match(prefix):
        raise prop_error(f"{b.prop}.ground_truth_prefix", f"{b.key}.groundTruthPrefix",
                         f"is not a valid key prefix: {prefix!r}")
    return prefix


def _check_model_quality_attributes(props: ModelQualityProps, key: str) -> None:
    """Which EndpointInput attributes each problem type reads (contract §6.1): the analyzer needs the predicted
    label or value, or, for a binary classifier, the score it thresholds."""
    where = "ModelQualityProps"
    if props.problem_type == "BinaryClassification":
        if props.inference_attribute is None and props.probability_attribute is None:
            raise prop_error(f"{where}.inference_attribute", f"{key}.inferenceAttribute",
                             "or probabilityAttribute is required for BinaryClassification (the predicted label, or "
                             "the score compared with probabilityThreshold)")
        if props.probability_threshold is not None and props.probability_attribute is None:
            raise prop_error(f"{where}.probability_threshold", f"{key}.probabilityThreshold",
                             "needs probabilityAttribute (the score it is compared with)")
        return
    if props.inference_attribute is None:
        raise prop_error(f"{where}.inference_attribute", f"{key}.inferenceAttribute",
                         f"is required for {props.problem_type} (the predicted "
                         f"{'value' if props.problem_type == 'Regression' else 'label'})")
    for attr, name, value in (("probability_attribute", "probabilityAttribute", props.probability_attribute),
                              ("probability_threshold", "probabilityThreshold", props.probability_threshold)):
        if value is not None:
            raise prop_error(f"{where}.{attr}", f"{key}.{name}",
                             f"applies to BinaryClassification only, not {props.problem_type}; remove it")


def _window(b: _Block) -> dict[str, str]:
    return {"start_time_offset": _offset(b.string("startTimeOffset", "start_time_offset"),
                                         f"{b.prop}.start_time_offset", f"{b.key}.startTimeOffset", "-PT1H"),
            "end_time_offset": _offset(b.string("endTimeOffset", "end_time_offset"),
                                       f"{b.prop}.end_time_offset", f"{b.key}.endTimeOffset", "-PT0H")}


def _monitor_block(b: _Block, build: Callable[[_Block], Any]) -> Any:
    """Build an enabled monitor's props; a disabled monitor's other settings are kept, not checked."""
    props = build(b) if _enabled(b) else None
    if props is None:
        b.used.update(b.raw)
    b.finish()
    return props


def _monitoring(b: _Block, base_dir: Path | None = None) -> MonitoringProps:
    mode = b.string("mode", "mode", "model-monitor")
    if mode not in MONITORING_MODES:
        raise prop_error("MonitoringProps.mode", f"{b.key}.mode",
                         f"must be one of {list(MONITORING_MODES)}, got {mode!r}")
    expression = b.string("scheduleExpression", "schedule_expression", "cron(0 * ? * * *)")
    found = _CRON.match(expression)
    if not found:
        raise prop_error("MonitoringProps.schedule_expression", f"{b.key}.scheduleExpression",
                    f"must be a six-field cron expression such as cron(0 * ? * * *), got {expression!r}")
    if mode == "model-monitor" and found.group(1) != "0":
        raise prop_error("MonitoringProps.schedule_expression", f"{b.key}.scheduleExpression",
                    f"must start at minute 0 for Model Monitor schedules (contract §9.3), got {expression!r}")

    def data_quality(dq: _Block) -> DataQualityProps:
        return DataQualityProps(baseline_constraints=_s3_ref(dq, "baselineConstraintsUri", "baseline_constraints"),
                                baseline_statistics=_s3_ref(dq, "baselineStatisticsUri", "baseline_statistics"))

    def model_quality(mq: _Block) -> ModelQualityProps:
        problem = mq.string("problemType", "problem_type", required=True)
        if problem not in PROBLEM_TYPES:
            raise prop_error("ModelQualityProps.problem_type", f"{mq.key}.problemType",
                        f"must be one of {list(PROBLEM_TYPES)}, got {problem!r}")
        props = ModelQualityProps(
            problem_type=problem,
            baseline_constraints=_s3_ref(mq, "baselineConstraintsUri", "baseline_constraints"),
            inference_attribute=_attribute(mq, "inferenceAttribute", "inference_attribute"),
            probability_attribute=_attribute(mq, "probabilityAttribute", "probability_attribute"),
            probability_threshold=_threshold(mq),
            ground_truth_prefix=_ground_truth_prefix(mq),
            **_window(mq))
        _check_model_quality_attributes(props, mq.key)
        return props

    def model_bias(mb: _Block) -> ModelBiasProps:
        return ModelBiasProps(
            analysis_config=read_analysis_config(mb, "bias", base_dir),
            baseline_constraints=_s3_ref(mb, "baselineConstraintsUri", "baseline_constraints"),
            features_attribute=_attribute(mb, "featuresAttribute", "features_attribute"),
            inference_attribute=_attribute(mb, "inferenceAttribute", "inference_attribute"),
            probability_attribute=_attribute(mb, "probabilityAttribute", "probability_attribute"),
            probability_threshold=_threshold(mb),
            ground_truth_prefix=_ground_truth_prefix(mb),
            **_window(mb))

    def model_explainability(me: _Block) -> ModelExplainabilityProps:
        return ModelExplainabilityProps(
            analysis_config=read_analysis_config(me, "shap", base_dir),
            baseline_constraints=_s3_ref(me, "baselineConstraintsUri", "baseline_constraints"),
            features_attribute=_attribute(me, "featuresAttribute", "features_attribute"),
            inference_attribute=_attribute(me, "inferenceAttribute", "inference_attribute"))

    data_quality = _monitor_block(b.block("dataQuality", "DataQualityProps"), data_quality)
    model_quality = _monitor_block(b.block("modelQuality", "ModelQualityProps"), model_quality)
    model_bias = _monitor_block(b.block("modelBias", "ModelBiasProps"), model_bias)
    model_explainability = _monitor_block(b.block("modelExplainability", "ModelExplainabilityProps"),
                                          model_explainability)

    p = b.block("processing", "ProcessingProps")
    layers = p.strings("engineLayerArns", "engine_layer_arns")
    for arn in layers:
        if not re.match(r"^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:layer:[\w-]+:\d+$", arn):
            raise prop_error("ProcessingProps.engine_layer_arns", f"{p.key}.engineLayerArns",
                        f"must hold Lambda layer version ARNs, got {arn!r}")
    processing = ProcessingProps(
        run_engine_in_lambda=p.boolean("runEngineInLambda", "run_engine_in_lambda", False),
        window_hours=p.integer("windowHours", "window_hours", 1, low=1, high=24),
        lambda_memory_mb=p.integer("lambdaMemoryMb", "lambda_memory_mb", 1024, low=128, high=10240),
        lambda_timeout_seconds=p.integer("lambdaTimeoutSeconds", "lambda_timeout_seconds", 300, low=10, high=900),
        engine_layer_arns=layers,
        metrics_namespace=p.string("metricsNamespace", "metrics_namespace", DATA_METRICS_NAMESPACE)
        or DATA_METRICS_NAMESPACE,
    )
    p.finish()

    props = MonitoringProps(
        mode=mode,
        schedule_expression=expression,
        instance_type=_instance(b.string("instanceType", "instance_type", "ml.m5.xlarge"),
                                "MonitoringProps.instance_type", f"{b.key}.instanceType"),
        instance_count=b.integer("instanceCount", "instance_count", 1, low=1, high=100),
        volume_size_gb=b.integer("volumeSizeGb", "volume_size_gb", 20, low=1, high=16384),
        max_runtime_seconds=b.integer("maxRuntimeSeconds", "max_runtime_seconds", 3600, low=1, high=86400),
        analyzer_image_uri=_image(b.string("analyzerImageUri", "analyzer_image_uri"),
                                  "MonitoringProps.analyzer_image_uri", f"{b.key}.analyzerImageUri"),
        clarify_image_uri=_image(b.string("clarifyImageUri", "clarify_image_uri"),
                                 "MonitoringProps.clarify_image_uri", f"{b.key}.clarifyImageUri"),
        publish_cloudwatch_metrics=b.boolean("publishCloudwatchMetrics", "publish_cloudwatch_metrics", True),
        output_prefix=(b.string("outputPrefix", "output_prefix", "monitoring") or "monitoring").strip("/"),
        data_quality=data_quality, model_quality=model_quality, model_bias=model_bias,
        model_explainability=model_explainability, processing=processing,
    )
    if props.instance_count > 1 and mode == "processing" and processing.run_engine_in_lambda:
        raise prop_error("MonitoringProps.instance_count", f"{b.key}.instanceCount",
                    "must be 1 when the engine runs in the Lambda")
    b.finish()
    return props


def _alarms(b: _Block) -> AlarmProps:
    features = b.strings("driftFeatures", "drift_features")
    for feature in features:
        if not _METRIC_NAME.match(f"feature_baseline_drift_{feature}"):
            raise prop_error("AlarmProps.drift_features", f"{b.key}.driftFeatures",
                        f"holds a name that cannot be part of a metric name: {feature!r}")
    statistic = b.string("statistic", "statistic", "Average")
    if statistic not in STATISTICS:
        raise prop_error("AlarmProps.statistic", f"{b.key}.statistic", f"must be one of {list(STATISTICS)}, "
                                                                  f"got {statistic!r}")
    period = b.integer("periodSeconds", "period_seconds", 3600, low=60, high=86400)
    if period % 60:
        raise prop_error("AlarmProps.period_seconds", f"{b.key}.periodSeconds",
                         f"must be a multiple of 60, got {period}")
    evaluation = b.integer("evaluationPeriods", "evaluation_periods", 1, low=1, high=100)
    datapoints = b.integer("datapointsToAlarm", "datapoints_to_alarm", 1, low=1, high=100)
    if datapoints > evaluation:
        raise prop_error("AlarmProps.datapoints_to_alarm", f"{b.key}.datapointsToAlarm",
                    f"must not exceed evaluationPeriods ({evaluation}), got {datapoints}")
    raw_quality = b.get("qualityMetrics") or []
    if isinstance(raw_quality, str):  # -c qualityMetrics='[{"metricName": "f2", ...}]'
        try:
            raw_quality = json.loads(raw_quality)
        except ValueError as e:
            raise prop_error("AlarmProps.quality_metrics", f"{b.key}.qualityMetrics",
                             f"must be a list (or its JSON text), got {raw_quality!r}") from e
    if not isinstance(raw_quality, list):
        raise prop_error("AlarmProps.quality_metrics", f"{b.key}.qualityMetrics", "must be a list")
    quality = []
    for i, raw in enumerate(raw_quality):
        q = _Block(raw, f"AlarmProps.quality_metrics[{i}]", f"{b.key}.qualityMetrics[{i}]")
        metric = q.string("metricName", "metric_name", required=True)
        if not _METRIC_NAME.match(metric):
            raise prop_error(f"AlarmProps.quality_metrics[{i}].metric_name", f"{q.key}.metricName",
                        f"is not a metric name: {metric!r}")
        comparison = q.string("comparison", "comparison", "LessThanThreshold")
        if comparison not in COMPARISONS:
            raise prop_error(f"AlarmProps.quality_metrics[{i}].comparison", f"{q.key}.comparison",
                        f"must be one of {list(COMPARISONS)}, got {comparison!r}")
        quality.append(QualityAlarmProps(metric_name=metric, comparison=comparison,
                                         threshold=q.number("threshold", "threshold", 0.0)))
        q.finish()
    props = AlarmProps(
        drift_features=features,
        drift_threshold=b.number("driftThreshold", "drift_threshold", 0.2, positive=True),
        evaluation_periods=evaluation, datapoints_to_alarm=datapoints, period_seconds=period, statistic=statistic,
        quality_metrics=tuple(quality), bias_metrics=read_bias_alarms(b),
        attribution_features=read_attribution_alarms(b))
    b.finish()
    return props


def _alerts(b: _Block) -> AlertProps:
    emails = b.strings("emails", "emails")
    for email in emails:
        if not _EMAIL.match(email):
            raise prop_error("AlertProps.emails", f"{b.key}.emails", f"holds an invalid address {email!r}")
    b.finish()
    return AlertProps(emails=emails)


def _retraining(b: _Block) -> RetrainingProps:
    action = b.string("action", "action", "none") or "none"
    kind, _, argument = action.partition(":")
    if kind not in RETRAINING_ACTIONS:
        raise prop_error("RetrainingProps.action", f"{b.key}.action",
                    "must be none, sns, start-pipeline:<name> or start-training-job-from-template:<s3 uri>, "
                    f"got {action!r}")
    if kind in ("none", "sns") and argument:
        raise prop_error("RetrainingProps.action", f"{b.key}.action", f"takes no argument for {kind!r}, got {action!r}")
    if kind == "start-pipeline" and not re.match(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$", argument):
        raise prop_error("RetrainingProps.action", f"{b.key}.action", f"needs a pipeline name, got {action!r}")
    if kind == "start-training-job-from-template":
        S3Ref.parse(argument, "RetrainingProps.action", f"{b.key}.action")
    role = b.string("trainingRoleArn", "training_role_arn")
    if role is not None and not _ROLE_ARN.match(role):
        raise prop_error("RetrainingProps.training_role_arn", f"{b.key}.trainingRoleArn",
                         f"is not a role ARN: {role!r}")
    b.finish()
    return RetrainingProps(action=action, training_role_arn=role)


def _cloudwatch_dashboard(b: _Block) -> CloudWatchDashboardProps:
    props = CloudWatchDashboardProps(enabled=b.boolean("enabled", "enabled", True))
    b.finish()
    return props


