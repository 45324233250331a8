"""Readers of the Clarify monitors' settings: the ``analysis_config.json`` source of the bias and explainability
monitors (built by the kit from ``analysisConfig``, a local ``analysisConfigFile`` or an ``analysisConfigUri``)
and the alarms on their metrics (``alarms.biasMetrics``, ``alarms.attributionFeatures``).

Every value is checked where it enters; errors are ``ValueError`` naming the prop and its context key.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from stacks.config import (BIAS_STAGES, COMPARISONS, POST_TRAINING_METHODS, PRE_TRAINING_METHODS,
                           PREDICTOR_CONTENT_TYPES, SHAP_AGG_METHODS, AnalysisConfigSource, AttributionAlarmProps,
                           BiasAlarmProps, BiasAnalysisProps, BiasFacetProps, S3Ref, Scalar, ShapAnalysisProps,
                           prop_error)
from stacks.context_block import ContextBlock

__all__ = ["read_analysis_config", "read_bias_alarms", "read_attribution_alarms"]

_METRIC_NAME = re.compile(r"^[A-Za-z0-9_.\-/#:]{1,255}$")
_DIMENSION_VALUE = re.compile(r"^[^\x00-\x1f]{1,1024}$")


def read_analysis_config(b: ContextBlock, kind: str, base_dir: Path | None) -> AnalysisConfigSource:
    """The ``analysis_config.json`` source of monitor block ``b`` (``kind`` ``bias`` or ``shap``): exactly one of
    ``analysisConfig`` (an object the kit turns into the file), ``analysisConfigFile`` or ``analysisConfigUri``."""
    built_raw = b.get("analysisConfig")
    file_value = b.string("analysisConfigFile", "analysis_config.file")
    uri_value = b.string("analysisConfigUri", "analysis_config.uri")
    given = [name for name, value in (("analysisConfig", built_raw), ("analysisConfigFile", file_value),
                                      ("analysisConfigUri", uri_value)) if value is not None]
    if len(given) != 1:
        raise prop_error(f"{b.prop}.analysis_config", f"{b.key}.analysisConfig",
                         "needs exactly one of analysisConfig (built by the kit), analysisConfigFile (a local file "
                         f"the kit uploads) or analysisConfigUri (an S3 object), got {given or 'none'}")
    if file_value is not None:
        return AnalysisConfigSource(file=_config_file(file_value, f"{b.prop}.analysis_config.file",
                                                      f"{b.key}.analysisConfigFile", base_dir))
    if uri_value is not None:
        return AnalysisConfigSource(uri=S3Ref.parse(uri_value, f"{b.prop}.analysis_config.uri",
                                                    f"{b.key}.analysisConfigUri"))
    block = b.block("analysisConfig", "BiasAnalysisProps" if kind == "bias" else "ShapAnalysisProps")
    built = _bias_analysis(block) if kind == "bias" else _shap_analysis(block)
    block.finish()
    return AnalysisConfigSource(built=built)


def _config_file(value: str, prop: str, key: str, base_dir: Path | None) -> str:
    path = Path(value)
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise prop_error(prop, key, f"cannot be read: {path} ({e.strerror or e})") from e
    except ValueError as e:
        raise prop_error(prop, key, f"is not JSON: {path}: {e}") from e
    if not isinstance(document, dict):
        raise prop_error(prop, key, f"must hold a JSON object (Clarify's analysis_config.json), got "
                                    f"{type(document).__name__} in {path}")
    return str(path.resolve())


# --- values -------------------------------------------------------------------------------------------------

def _headers(b: ContextBlock) -> tuple[str, ...]:
    value = b.get("headers")
    prop, key = f"{b.prop}.headers", f"{b.key}.headers"
    if (not isinstance(value, list) or not value
            or not all(isinstance(h, str) and h.strip() for h in value)):
        raise prop_error(prop, key, f"must be a non-empty list of column names, got {value!r}")
    headers = tuple(h.strip() for h in value)
    duplicates = sorted({h for h in headers if headers.count(h) > 1})
    if duplicates:
        raise prop_error(prop, key, f"names columns more than once: {duplicates}")
    return headers


def _column(b: ContextBlock, name: str, attr: str, headers: tuple[str, ...], *, required: bool,
            where: str | None = None) -> str | int | None:
    value = b.get(name)
    prop, key = f"{b.prop}.{attr}", f"{b.key}.{name}"
    if value is None:
        if required:
            raise prop_error(prop, key, "is required (a column name of headers, or its zero-based index)")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise prop_error(prop, key, f"must be a column name or a zero-based index, got {value!r}")
    if isinstance(value, int):
        if not 0 <= value < len(headers):
            raise prop_error(prop, key, f"index {value} is out of range: headers has {len(headers)} columns")
        return value
    if value not in headers:
        raise prop_error(prop, key, f"{value!r} is not one of the headers {list(headers)}")
    return value


def _scalars(value: Any, prop: str, key: str, *, optional: bool) -> tuple[Scalar, ...] | None:
    if value is None and optional:
        return None
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        value = [value]
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value)):
        raise prop_error(prop, key, f"must be a non-empty list of values (or one threshold), got {value!r}")
    return tuple(value)


def _methods(b: ContextBlock, name: str, attr: str, known: tuple[str, ...]) -> str | tuple[str, ...] | None:
    value = b.get(name, "all")
    prop, key = f"{b.prop}.{attr}", f"{b.key}.{name}"
    if value is None or value == "all":
        return value
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise prop_error(prop, key, f"must be \"all\", a list of metric codes or null, got {value!r}")
    unknown = [v for v in value if v not in known and not (v == "DCAcc" and "DCA" in known)]
    if unknown:
        raise prop_error(prop, key, f"names unknown metric codes {unknown}; known: {list(known)}")
    return tuple(value)


def _bias_analysis(b: ContextBlock) -> BiasAnalysisProps:
    headers = _headers(b)
    label = _column(b, "label", "label", headers, required=True)
    label_name = headers[label] if isinstance(label, int) else label
    values = _scalars(b.get("labelValuesOrThreshold"), f"{b.prop}.label_values_or_threshold",
                      f"{b.key}.labelValuesOrThreshold", optional=False)
    raw_facets = b.get("facets")
    if not isinstance(raw_facets, list) or not raw_facets:
        raise prop_error(f"{b.prop}.facets", f"{b.key}.facets",
                         f"must be a non-empty list of {{nameOrIndex, valueOrThreshold}}, got {raw_facets!r}")
    facets = []
    for i, raw in enumerate(raw_facets):
        f = ContextBlock(raw, f"{b.prop}.facets[{i}]", f"{b.key}.facets[{i}]")
        column = _column(f, "nameOrIndex", "name_or_index", headers, required=True)
        if (headers[column] if isinstance(column, int) else column) == label_name:
            raise prop_error(f"{f.prop}.name_or_index", f"{f.key}.nameOrIndex", f"is the label column {label_name!r}")
        facets.append(BiasFacetProps(name_or_index=column, value_or_threshold=_scalars(
            f.get("valueOrThreshold"), f"{f.prop}.value_or_threshold", f"{f.key}.valueOrThreshold", optional=True)))
        f.finish()
    group = _column(b, "groupVariable", "group_variable", headers, required=False)
    if group is not None and (headers[group] if isinstance(group, int) else group) == label_name:
        raise prop_error(f"{b.prop}.group_variable", f"{b.key}.groupVariable", f"is the label column {label_name!r}")
    pre = _methods(b, "preTrainingMethods", "pre_training_methods", PRE_TRAINING_METHODS)
    post = _methods(b, "postTrainingMethods", "post_training_methods", POST_TRAINING_METHODS)
    if pre is None and post is None:
        raise prop_error(f"{b.prop}.post_training_methods", f"{b.key}.postTrainingMethods",
                         "or preTrainingMethods must ask for metrics (both are null)")
    return BiasAnalysisProps(headers=headers, label=label, label_values_or_threshold=values, facets=tuple(facets),
                             group_variable=group, pre_training_methods=pre, post_training_methods=post)


def _shap_analysis(b: ContextBlock) -> ShapAnalysisProps:
    headers = _headers(b)
    raw_baseline = b.get("baseline")
    num_clusters = b.get("numClusters")
    prop, key = f"{b.prop}.baseline", f"{b.key}.baseline"
    baseline: tuple[tuple[float, ...], ...] | S3Ref | None
    if raw_baseline is None:
        baseline = None
    elif isinstance(raw_baseline, str):
        baseline = S3Ref.parse(raw_baseline, prop, key)
        if baseline.bucket is None:  # the file is written at synthesis, before the kit's bucket names exist
            raise prop_error(prop, key, f"must be s3://bucket/key (the kit writes the config at synthesis, when "
                                        f"its own buckets' names are not known yet), got {raw_baseline!r}")
    elif isinstance(raw_baseline, list) and raw_baseline:
        rows = []
        for i, row in enumerate(raw_baseline):
            if (not isinstance(row, list)
                    or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row)):
                raise prop_error(prop, f"{key}[{i}]", f"must be a list of numbers, got {row!r}")
            if len(row) != len(headers):
                raise prop_error(prop, f"{key}[{i}]", f"has {len(row)} values, headers names {len(headers)} "
                                                      "features")
            rows.append(tuple(row))
        baseline = tuple(rows)
    else:
        raise prop_error(prop, key, f"must be rows of feature values ([[...], ...]) or the S3 URI of a baseline "
                                    f"file, got {raw_baseline!r}")
    if num_clusters is not None:
        if baseline is not None:
            raise prop_error(f"{b.prop}.num_clusters", f"{b.key}.numClusters",
                             "and baseline exclude each other (contract §7.2); give one")
        num_clusters = b.integer("numClusters", "num_clusters", 1, low=1, high=10000)
    agg = b.string("aggMethod", "agg_method", "mean_abs")
    if agg not in SHAP_AGG_METHODS:
        raise prop_error(f"{b.prop}.agg_method", f"{b.key}.aggMethod", f"must be one of {list(SHAP_AGG_METHODS)}, "
                                                                     f"got {agg!r}")
    seed = b.get("seed")
    if seed is not None:
        seed = b.integer("seed", "seed", 0, low=0, high=2**31 - 1)
    label_headers = None
    if b.get("labelHeaders") is not None:
        label_headers = b.strings("labelHeaders", "label_headers")
        if not label_headers or len(set(label_headers)) != len(label_headers) or not all(label_headers):
            raise prop_error(f"{b.prop}.label_headers", f"{b.key}.labelHeaders",
                             f"must be distinct non-empty names, got {list(label_headers)}")
    instance_type = b.string("instanceType", "instance_type", "ml.m5.xlarge")
    if not re.match(r"^ml\.[a-z0-9]+\.[a-z0-9]+$", instance_type):
        raise prop_error(f"{b.prop}.instance_type", f"{b.key}.instanceType",
                         f"must be a SageMaker instance type such as ml.m5.xlarge, got {instance_type!r}")
    types = {}
    for name, attr in (("contentType", "content_type"), ("acceptType", "accept_type")):
        value = b.string(name, attr, "text/csv")
        if value not in PREDICTOR_CONTENT_TYPES:
            raise prop_error(f"{b.prop}.{attr}", f"{b.key}.{name}",
                             f"must be one of {list(PREDICTOR_CONTENT_TYPES)}, got {value!r}")
        types[attr] = value
    return ShapAnalysisProps(
        headers=headers, baseline=baseline, num_clusters=num_clusters,
        num_samples=b.integer("numSamples", "num_samples", 100, low=1, high=1_000_000),
        agg_method=agg, use_logit=b.boolean("useLogit", "use_logit", False),
        save_local_shap_values=b.boolean("saveLocalShapValues", "save_local_shap_values", True),
        seed=seed, label_headers=label_headers, variant_name=b.string("variantName", "variant_name"),
        instance_type=instance_type,
        initial_instance_count=b.integer("initialInstanceCount", "initial_instance_count", 1, low=1, high=10),
        **types)


# --- alarms -------------------------------------------------------------------------------------------------

def _entries(b: ContextBlock, name: str, attr: str) -> list[Any]:
    raw = b.get(name) or []
    prop, key = f"{b.prop}.{attr}", f"{b.key}.{name}"
    if isinstance(raw, str):  # -c biasMetrics='[...]'
        try:
            raw = json.loads(raw)
        except ValueError as e:
            raise prop_error(prop, key, f"must be a list (or its JSON text), got {raw!r}") from e
    if not isinstance(raw, list):
        raise prop_error(prop, key, f"must be a list, got {raw!r}")
    return raw


def _comparison(e: ContextBlock) -> str:
    comparison = e.string("comparison", "comparison", "GreaterThanThreshold")
    if comparison not in COMPARISONS:
        raise prop_error(f"{e.prop}.comparison", f"{e.key}.comparison",
                         f"must be one of {list(COMPARISONS)}, got {comparison!r}")
    return comparison


def _dimension(e: ContextBlock, name: str, attr: str, *, required: bool) -> str | None:
    value = e.get(name)
    if value is None:
        if required:
            raise prop_error(f"{e.prop}.{attr}", f"{e.key}.{name}", "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not _DIMENSION_VALUE.match(str(value)):
        raise prop_error(f"{e.prop}.{attr}", f"{e.key}.{name}", f"must be a CloudWatch dimension value, got {value!r}")
    return str(value)


def read_bias_alarms(b: ContextBlock) -> tuple[BiasAlarmProps, ...]:
    """``alarms.biasMetrics``: ``[{"metricName": "DPPL", "facet": "support_calls", "facetValue": "0,1",
    "threshold": 0.2, "comparison": "GreaterThanThreshold"}]`` (``stage``, ``label``, ``labelValue`` optional)."""
    alarms = []
    known = PRE_TRAINING_METHODS + POST_TRAINING_METHODS
    for i, raw in enumerate(_entries(b, "biasMetrics", "bias_metrics")):
        e = ContextBlock(raw, f"AlarmProps.bias_metrics[{i}]", f"{b.key}.biasMetrics[{i}]")
        code = (e.string("metricName", "metric_name", required=True) or "").removeprefix("bias_metric_")
        if code not in known:
            raise prop_error(f"{e.prop}.metric_name", f"{e.key}.metricName",
                             f"must be a bias metric code {list(known)} (or bias_metric_<code>), got {code!r}")
        stage = e.string("stage", "stage", "Pre-training" if code in PRE_TRAINING_METHODS else "Post-Training")
        if stage not in BIAS_STAGES:
            raise prop_error(f"{e.prop}.stage", f"{e.key}.stage", f"must be one of {list(BIAS_STAGES)}, got {stage!r}")
        alarms.append(BiasAlarmProps(
            metric_name=code, facet=_dimension(e, "facet", "facet", required=True),
            facet_value=_dimension(e, "facetValue", "facet_value", required=True), stage=stage,
            threshold=e.number("threshold", "threshold", 0.0), comparison=_comparison(e),
            label=_dimension(e, "label", "label", required=False),
            label_value=_dimension(e, "labelValue", "label_value", required=False)))
        e.finish()
    return tuple(alarms)


def read_attribution_alarms(b: ContextBlock) -> tuple[AttributionAlarmProps, ...]:
    """``alarms.attributionFeatures``: ``[{"feature": "monthly_charges", "threshold": 0.1}]`` (``comparison``
    default ``GreaterThanThreshold``, ``label`` optional)."""
    alarms = []
    for i, raw in enumerate(_entries(b, "attributionFeatures", "attribution_features")):
        e = ContextBlock(raw, f"AlarmProps.attribution_features[{i}]", f"{b.key}.attributionFeatures[{i}]")
        feature = e.string("feature", "feature", required=True)
        if not _METRIC_NAME.match(f"feature_{feature}"):
            raise prop_error(f"{e.prop}.feature", f"{e.key}.feature",
                             f"cannot be part of a metric name: {feature!r}")
        alarms.append(AttributionAlarmProps(
            feature=feature, threshold=e.number("threshold", "threshold", 0.0), comparison=_comparison(e),
            label=_dimension(e, "label", "label", required=False)))
        e.finish()
    return tuple(alarms)
