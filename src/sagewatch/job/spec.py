"""The processing-container contract parsed once into a typed :class:`JobSpec` (contract §4).

Settings come from the process environment and from the ``Environment`` of
``/opt/ml/config/processingjobconfig.json`` (the environment wins). ``SAGEWATCH_OPT_ML``
relocates every fixed ``/opt/ml`` path so the job runs outside a container.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from sagewatch.errors import JobError

__all__ = ["JobSpec", "OptMlPaths", "parse_job_spec", "parse_time", "RESERVED_KEYS"]

CONTAINER_ROOT = "/opt/ml"
EXPLAINERS = ("kernel_shap", "tree_shap")  # sagewatch_explainer (clarify/explain/attributions.py)
RESERVED_KEYS = frozenset({
    "dataset_format", "dataset_source", "output_path", "publish_cloudwatch_metrics", "sagemaker_endpoint_name",
    "sagemaker_monitoring_schedule_name", "sagemaker_endpoint_datacapture_prefix", "start_time", "end_time",
    "metric_time", "baseline_constraints", "baseline_statistics", "record_preprocessor_script",
    "post_analytics_processor_script", "analysis_type", "problem_type", "inference_attribute",
    "probability_attribute", "probability_threshold_attribute", "ground_truth_attribute", "features_attribute",
    "categorical_drift_method", "positive_label", "exclude_features_attribute", "monitoring_input_type",
    "report_enabled", "automl_problem_name", "detect_outliers", "detect_drift", "image_data",
    "CLOUDWATCH_METRICS_DIRECTORY", "ground_truth_source",
    "analysis_config", "sagewatch_model", "sagewatch_explainer", "sagewatch_attribution_threshold",
    # sagewatch's model-quality report (docs/model-quality.md), beyond SageMaker's settings
    "slice_attribute", "slice_buckets", "low_confidence_threshold",
    # the baseline's sagewatch_report.json (its row sample for the MMD test), mounted by emulator executions
    "baseline_sagewatch_report",
})
CLARIFY_ANALYSES = frozenset({"MODEL_BIAS", "MODEL_EXPLAINABILITY"})
CLARIFY_PATHS = {"dataset_source": "/opt/ml/processing/input/data", "output_path": "/opt/ml/processing/output"}
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$", re.ASCII)


def parse_time(value: str, name: str) -> datetime:
    """Parse the contract's ``YYYY-MM-DDTHH:MM:SSZ`` (offsets and fractions accepted) as UTC.

    A value that has the shape but is not a time (``2024-02-30``, ``T25:00``, an offset of
    ``+25:00``, year 0000) raises :class:`JobError` too.

    >>> parse_time("2019-12-01T16:20:00Z", "end_time").isoformat()
    '2019-12-01T16:20:00+00:00'
    >>> parse_time("2024-02-30T10:00:00Z", "start_time")
    Traceback (most recent call last):
    ...
    sagewatch.errors.JobError: start_time '2024-02-30T10:00:00Z' is not a valid time: day is out of range for month
    """
    text = value.strip()
    if not _TIME_RE.match(text):
        raise JobError(f"{name} must look like 2019-12-01T16:20:00Z, got {value!r}")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError) as e:
        raise JobError(f"{name} {value!r} is not a valid time: {e}") from e


@dataclass(frozen=True)
class OptMlPaths:
    """The fixed container paths, relocated under ``root``."""

    root: Path

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> OptMlPaths:
        return cls(Path(environ.get("SAGEWATCH_OPT_ML", CONTAINER_ROOT)))

    def relocate(self, path: str) -> Path:
        """Map a ``/opt/ml/...`` path of the contract onto ``root``; other paths stay as they are."""
        if path == CONTAINER_ROOT or path.startswith(CONTAINER_ROOT + "/"):
            return self.root / path[len(CONTAINER_ROOT):].lstrip("/")
        return Path(path)

    @property
    def config_file(self) -> Path:
        return self.root / "config" / "processingjobconfig.json"

    @property
    def legacy_config_file(self) -> Path:  # one DG page's location (contract §12)
        return self.root / "processing" / "processingjobconfig.json"

    @property
    def message_file(self) -> Path:
        return self.root / "output" / "message"

    @property
    def default_metrics_dir(self) -> Path:
        return self.root / "output" / "metrics" / "cloudwatch"


@dataclass(frozen=True)
class JobSpec:
    dataset_source: Path
    output_path: Path
    dataset_format: dict[str, Any]
    paths: OptMlPaths
    baseline_statistics: Path | None = None
    baseline_constraints: Path | None = None
    baseline_report: Path | None = None  # baseline_sagewatch_report: the baseline's own sagewatch_report.json
    start_time: datetime | None = None
    end_time: datetime | None = None
    metric_time: datetime | None = None
    publish_cloudwatch_metrics: bool = False
    endpoint_name: str | None = None
    schedule_name: str | None = None
    categorical_drift_method: str | None = None
    record_preprocessor_script: Path | None = None
    post_analytics_processor_script: Path | None = None
    analysis_type: str | None = None
    metrics_dir: Path | None = None
    extra_environment: dict[str, str] = field(default_factory=dict)
    # model quality (contract §4.2, §6.1): the attributes are column names, indexes or JSON paths, as given
    problem_type: str | None = None
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold_attribute: float | None = None
    ground_truth_attribute: str | None = None
    features_attribute: str | None = None  # model bias on merged captures: where the endpointInput's features are
    positive_label: str | None = None
    # feature attribution (contract §7): Clarify's analysis_config.json and sagewatch's own settings
    analysis_config: Path | None = None
    model_path: Path | None = None
    explainer: str | None = None
    attribution_threshold: float | None = None
    # sagewatch's model-quality report: slices and low-confidence counts (docs/model-quality.md)
    slice_attribute: str | None = None
    slice_buckets: int = 5
    low_confidence_threshold: float | None = None

    @property
    def is_monitoring(self) -> bool:
        """Baseline files given -> monitor; none -> suggest a baseline."""
        return self.baseline_constraints is not None or self.baseline_statistics is not None


def _load_config_environment(paths: OptMlPaths) -> dict[str, str]:
    for candidate in (paths.config_file, paths.legacy_config_file):
        if candidate.is_file():
            try:
                config = json.loads(candidate.read_bytes().decode("utf-8"))
            except UnicodeDecodeError as e:
                raise JobError(f"cannot read {candidate.name}: not UTF-8 text ({e.reason} at byte {e.start})") from e
            except (OSError, ValueError, RecursionError) as e:
                raise JobError(f"cannot read {candidate.name}: {type(e).__name__}: {e}") from e
            if not isinstance(config, dict):
                raise JobError(f"{candidate.name} must hold a JSON object, got {type(config).__name__}")
            environment = config.get("Environment") or {}
            if not isinstance(environment, dict):
                raise JobError(f"{candidate.name}: Environment must be an object")
            return {str(k): str(v) for k, v in environment.items()}
    return {}


def _default_format(settings: Mapping[str, str]) -> dict[str, Any]:
    if settings.get("analysis_type", "").strip().upper() in CLARIFY_ANALYSES:
        return {}  # Clarify analyses read analysis_config.json's dataset_type (contract §7.2)
    # the analyzer's default for endpoint monitoring when no dataset_format is given
    if settings.get("sagemaker_endpoint_name") or settings.get("sagemaker_monitoring_schedule_name"):
        return {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
    raise JobError("dataset_format is required, e.g. '{\"csv\": {\"header\": true}}'")


def parse_job_spec(environ: Mapping[str, str] | None = None) -> JobSpec:
    """Build the job's settings; a missing or malformed setting raises :class:`JobError`."""
    environ = dict(os.environ if environ is None else environ)
    paths = OptMlPaths.from_env(environ)
    settings = _load_config_environment(paths)
    settings.update({k: v for k, v in environ.items() if k in RESERVED_KEYS})
    # a Clarify job's fixed input and output folders (contract §7.1)
    clarify_defaults = CLARIFY_PATHS if settings.get("analysis_type", "").strip().upper() in CLARIFY_ANALYSES else {}

    def path(key: str, required: bool = False) -> Path | None:
        value = settings.get(key, "").strip() or clarify_defaults.get(key, "")
        if not value:
            if required:
                raise JobError(f"{key} is not set; it must name a folder of the processing job")
            return None
        return paths.relocate(value)

    def time(key: str) -> datetime | None:
        value = settings.get(key, "").strip()
        return parse_time(value, key) if value else None

    raw_format = settings.get("dataset_format", "").strip()
    if raw_format:
        try:
            dataset_format = json.loads(raw_format)
        except json.JSONDecodeError as e:
            raise JobError(f"dataset_format is not valid JSON: {raw_format[:200]!r} ({e.msg})") from e
        except RecursionError as e:
            raise JobError("dataset_format is nested too deeply to be a dataset format") from e
        if not isinstance(dataset_format, dict):
            raise JobError(f"dataset_format must be a JSON object, got {raw_format!r}")
    else:
        dataset_format = _default_format(settings)
    publish = settings.get("publish_cloudwatch_metrics", "Disabled").strip().lower()
    if publish not in ("enabled", "disabled"):
        raise JobError(f"publish_cloudwatch_metrics must be Enabled or Disabled, got {publish!r}")
    start, end = time("start_time"), time("end_time")
    if start and end and start >= end:
        raise JobError(f"start_time {settings['start_time']} is not before end_time {settings['end_time']}")
    metrics_dir = settings.get("CLOUDWATCH_METRICS_DIRECTORY")
    threshold_text = settings.get("probability_threshold_attribute", "").strip()
    try:
        threshold = float(threshold_text) if threshold_text else None
    except ValueError:
        threshold = None
    if threshold_text and (threshold is None or not 0.0 <= threshold <= 1.0):
        raise JobError(f"probability_threshold_attribute must be a number from 0 to 1, got {threshold_text!r}")
    attribution_text = settings.get("sagewatch_attribution_threshold", "").strip()
    try:
        attribution_threshold = float(attribution_text) if attribution_text else None
    except ValueError:
        attribution_threshold = math.nan
    if attribution_threshold is not None and not 0.0 <= attribution_threshold <= 1.0:
        raise JobError(f"sagewatch_attribution_threshold must be a number from 0 to 1, got {attribution_text!r}")
    explainer = settings.get("sagewatch_explainer", "").strip() or None
    if explainer is not None and explainer not in EXPLAINERS:
        raise JobError(f"sagewatch_explainer must be one of {', '.join(EXPLAINERS)}, got {explainer!r}")
    buckets_text = settings.get("slice_buckets", "").strip()
    if buckets_text and not (buckets_text.isdigit() and 2 <= int(buckets_text) <= 100):
        raise JobError(f"slice_buckets must be a whole number from 2 to 100, got {buckets_text!r}")
    confidence_text = settings.get("low_confidence_threshold", "").strip()
    try:
        confidence = float(confidence_text) if confidence_text else None
    except ValueError:
        confidence = None
    if confidence_text and (confidence is None or not 0.0 <= confidence <= 1.0):
        raise JobError(f"low_confidence_threshold must be a number from 0 to 1, got {confidence_text!r}")
    return JobSpec(
        dataset_source=path("dataset_source", required=True),
        output_path=path("output_path", required=True),
        dataset_format=dataset_format,
        paths=paths,
        baseline_statistics=path("baseline_statistics"),
        baseline_constraints=path("baseline_constraints"),
        baseline_report=path("baseline_sagewatch_report"),
        start_time=start, end_time=end, metric_time=time("metric_time"),
        publish_cloudwatch_metrics=publish == "enabled",
        endpoint_name=settings.get("sagemaker_endpoint_name") or None,
        schedule_name=settings.get("sagemaker_monitoring_schedule_name") or None,
        categorical_drift_method=settings.get("categorical_drift_method") or None,
        record_preprocessor_script=path("record_preprocessor_script"),
        post_analytics_processor_script=path("post_analytics_processor_script"),
        analysis_type=settings.get("analysis_type") or None,
        metrics_dir=paths.relocate(metrics_dir) if metrics_dir else paths.default_metrics_dir,
        extra_environment={k: v for k, v in settings.items() if k not in RESERVED_KEYS},
        problem_type=settings.get("problem_type", "").strip() or None,
        inference_attribute=settings.get("inference_attribute", "").strip() or None,
        probability_attribute=settings.get("probability_attribute", "").strip() or None,
        probability_threshold_attribute=threshold,
        ground_truth_attribute=settings.get("ground_truth_attribute", "").strip() or None,
        features_attribute=settings.get("features_attribute", "").strip() or None,
        positive_label=settings.get("positive_label", "").strip() or None,
        analysis_config=path("analysis_config"),
        model_path=path("sagewatch_model"),
        explainer=explainer,
        attribution_threshold=attribution_threshold,
        slice_attribute=settings.get("slice_attribute", "").strip() or None,
        slice_buckets=int(buckets_text) if buckets_text else 5,
        low_confidence_threshold=confidence,
    )
