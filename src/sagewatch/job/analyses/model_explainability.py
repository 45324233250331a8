"""The feature-attribution analysis (``analysis_type=MODEL_EXPLAINABILITY``, contract §7.5, §7.6).

Baselining: SHAP values of the dataset with a local model (or the model injected by the caller,
``run_job(spec, model=...)``: the Clarify container's endpoint of ``predictor``) → ``analysis.json``
(``explanations.kernel_shap``, or ``tree_shap`` with the exact tree explainer) and ``explanations_shap/out.csv``. Monitoring: the same on the
current data, then the nDCG check against the baseline ``analysis.json`` (``baseline_constraints``) →
``constraint_violations.json`` and ``explainability-metrics`` lines. Both write ``sagewatch_report.json``
(with the per-feature attribution shift when monitoring) and monitoring writes ``sagewatch_attribution.html``.

Settings (the job's environment; the ``sagewatch_`` ones are sagewatch's own):

=====================================  ==============================================================
``analysis_config``                    the ``analysis_config.json`` (default: Clarify's config input,
                                       ``/opt/ml/processing/input/config/analysis_config.json``)
``sagewatch_model``                    the model file or folder (``model.joblib``, an XGBoost file...;
                                       default ``/opt/ml/processing/input/model``)
``sagewatch_explainer``                ``kernel_shap`` (default) or ``tree_shap`` (exact, tree models)
``sagewatch_attribution_threshold``    the nDCG below which a label violates (default 0.9)
=====================================  ==============================================================

Features are the config's ``headers`` without ``label`` and ``excluded_columns``, found by name, or by position
in a headerless dataset (captures: the last columns, where ``endpointInput`` sits). Rows with a missing or
non-numeric feature are skipped and counted (``missing_feature_value``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sagewatch import __version__
from sagewatch.clarify.explain.attributions import KERNEL_SHAP
from sagewatch.clarify.explain.drift import (DEFAULT_DRIFT_THRESHOLD, AttributionDrift, check_attribution_drift,
                                             explainability_metric_lines)
from sagewatch.clarify.explain.explain import Explanation, explain_records
from sagewatch.clarify.explain.model import load_local_model
from sagewatch.clarify.explain.settings import ShapSettings, read_shap_method
from sagewatch.clarify.explain.shift import render_attribution_page
from sagewatch.clarify.predictions import Predictor, shap_predict
from sagewatch.datasets import iter_dataset, load_preprocessor, parse_dataset_format
from sagewatch.datasets.formats import CaptureJsonFormat, CsvFormat, JsonFormat, ParquetFormat
from sagewatch.errors import JobError, SagewatchError
from sagewatch.job.analyses import Analysed, Analysis, Checked, register_analysis
from sagewatch.job.spec import JobSpec
from sagewatch.schemas.constraints import VIOLATIONS_FILE
from sagewatch.schemas.explainability import (ExplanationsFile, check_explanations, dumps_attribution_violations,
                                              load_explanations)
from sagewatch.schemas.metric_lines import format_metric_time, metric_dimensions
from sagewatch.schemas.report import REPORT_FILE, report_document
from sagewatch.schemas.serialize import dumps_clarify

__all__ = ["ModelExplainability", "ExplainabilityConfig", "ExplainabilitySummary", "read_explainability_config",
           "ATTRIBUTION_PAGE_FILE"]

CONFIG_PATH = "/opt/ml/processing/input/config/analysis_config.json"  # Clarify's config input (contract §7.1)
MODEL_PATH = "/opt/ml/processing/input/model"
ATTRIBUTION_PAGE_FILE = "sagewatch_attribution.html"
_DATASET_FORMATS = {"text/csv": CsvFormat(header=False), "application/jsonlines": JsonFormat(lines=True),
                    "application/json": JsonFormat(lines=False), "application/x-parquet": ParquetFormat(),
                    "application/sagemakercapturejson": CaptureJsonFormat()}
_POSITIONAL = re.compile(r"^_c\d+$")


@dataclass(frozen=True)
class ExplainabilityConfig:
    """What the analysis needs from ``analysis_config.json``."""

    features: tuple[str, ...]
    headers: tuple[str, ...]
    shap: ShapSettings
    label_headers: tuple[str, ...] | None
    dataset_type: str = "text/csv"  # Clarify's default (SDK DataConfig); read when the job sets no dataset_format


@dataclass(frozen=True)
class ExplainabilitySummary:
    explanation: Explanation
    config: ExplainabilityConfig
    rows: int


def _config_error(message: str) -> JobError:
    return JobError(f"analysis_config.json: {message}")


def read_explainability_config(document: Any) -> ExplainabilityConfig:
    """The explainability parts of a parsed ``analysis_config.json``; :class:`JobError` naming the field.

    >>> config = read_explainability_config({"headers": ["a", "b", "y"], "label": "y",
    ...                                      "methods": {"shap": {"baseline": [[0, 0]]}}})
    >>> config.features
    ('a', 'b')
    >>> read_explainability_config({"headers": ["a"], "methods": {}})
    Traceback (most recent call last):
    ...
    sagewatch.errors.JobError: analysis_config.json: methods has no shap method; feature attribution needs methods.shap
    """
    if not isinstance(document, Mapping):
        raise _config_error(f"must hold a JSON object, got {type(document).__name__}")
    methods = document.get("methods")
    if not isinstance(methods, Mapping) or methods.get("shap") is None:
        raise _config_error("methods has no shap method; feature attribution needs methods.shap")
    try:
        shap = read_shap_method(methods["shap"])
    except SagewatchError as error:
        raise _config_error(f"methods.{error}") from error
    headers = document.get("headers")
    if not isinstance(headers, list) or not headers or not all(isinstance(h, str) and h for h in headers):
        raise _config_error("headers must be a non-empty list of column names")
    if len(set(headers)) != len(headers):
        raise _config_error("headers names a column twice")
    label = document.get("label")
    if isinstance(label, int) and not isinstance(label, bool):
        if not 0 <= label < len(headers):
            raise _config_error(f"label index {label} is out of range for {len(headers)} headers")
        label = headers[label]
    elif label is not None and label not in headers:
        raise _config_error(f"label {label!r} is not one of the headers")
    excluded = document.get("excluded_columns") or []
    if not isinstance(excluded, list):
        raise _config_error("excluded_columns must be a list")
    excluded_names = {headers[e] if isinstance(e, int) and not isinstance(e, bool) and 0 <= e < len(headers) else e
                      for e in excluded}
    features = tuple(h for h in headers if h != label and h not in excluded_names)
    if not features:
        raise _config_error("no feature column is left after label and excluded_columns")
    predictor = document.get("predictor") or {}
    label_headers = predictor.get("label_headers") if isinstance(predictor, Mapping) else None
    if label_headers is not None and (not isinstance(label_headers, list) or not label_headers):
        raise _config_error("predictor.label_headers must be a non-empty list")
    dataset_type = document.get("dataset_type", "text/csv")
    if dataset_type not in _DATASET_FORMATS:
        raise _config_error(f"dataset_type must be one of {', '.join(_DATASET_FORMATS)} for feature attribution, "
                            f"got {dataset_type!r}")
    return ExplainabilityConfig(features, tuple(headers), shap,
                                tuple(str(h) for h in label_headers) if label_headers else None, dataset_type)


def _load_config(spec: JobSpec) -> ExplainabilityConfig:
    path = _config_path(spec)
    if not path.is_file():
        raise JobError(f"analysis_config.json not found at {path} (set analysis_config to its path)")
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as e:
        raise _config_error(f"not UTF-8 text ({e.reason} at byte {e.start})") from e
    except (ValueError, RecursionError) as e:
        raise _config_error(f"not valid JSON: {e}") from e
    return read_explainability_config(document)


def _config_path(spec: JobSpec) -> Path:
    return spec.analysis_config or spec.paths.relocate(CONFIG_PATH)


def _feature_columns(table: pa.Table, config: ExplainabilityConfig, capture: bool) -> list[str]:
    names = list(table.column_names)
    if all(feature in names for feature in config.features):
        return list(config.features)
    if names and all(_POSITIONAL.match(name) for name in names):
        if len(names) == len(config.headers):
            by_header = dict(zip(config.headers, names))
            return [by_header[feature] for feature in config.features]
        if len(names) == len(config.features):
            return names
        if capture and len(names) > len(config.features):  # endpointInput's columns come last (capture/flatten.py)
            return names[-len(config.features):]
        raise JobError(f"the dataset has {len(names)} unnamed columns, but headers name {len(config.headers)} "
                       f"columns ({len(config.features)} features); the columns cannot be matched")
    missing = [feature for feature in config.features if feature not in names]
    shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
    raise JobError(f"feature {missing[0]!r} of analysis_config.json headers is not a column of the dataset; its "
                   f"columns are: {shown}")


def _feature_matrix(table: pa.Table, columns: list[str], features: tuple[str, ...]) -> tuple[np.ndarray, int]:
    arrays = []
    valid = np.ones(table.num_rows, dtype=bool)
    for column, feature in zip(columns, features):
        data = table.column(column)
        if pa.types.is_string(data.type) or pa.types.is_large_string(data.type):
            data = pc.utf8_trim_whitespace(data)
            numeric = pc.match_substring_regex(data, r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
            data = pc.if_else(numeric, data, pa.scalar(None, data.type))
        elif not (pa.types.is_integer(data.type) or pa.types.is_floating(data.type) or pa.types.is_boolean(data.type)
                  or pa.types.is_null(data.type)):
            raise JobError(f"feature {feature!r} holds {data.type} values; SHAP explains numeric features")
        values = pc.cast(data, pa.float64()).to_numpy(zero_copy_only=False)
        valid &= np.isfinite(values)
        arrays.append(values)
    matrix = np.column_stack(arrays)[valid]
    return np.ascontiguousarray(matrix), int(table.num_rows - valid.sum())


class ModelExplainability(Analysis):
    name = "MODEL_EXPLAINABILITY"
    accepts_model = True

    def baseline(self, spec: JobSpec) -> ExplanationsFile:
        if spec.baseline_constraints is None:
            raise JobError("feature-attribution monitoring needs baseline_constraints (the analysis.json of an "
                           "explainability baseline)")
        try:
            return load_explanations(spec.baseline_constraints)
        except SagewatchError as e:
            raise JobError(f"cannot load the baseline: {e}") from e

    def _model(self, spec: JobSpec) -> Any:
        path = spec.model_path or spec.paths.relocate(MODEL_PATH)
        if not path.exists():
            raise JobError(f"no model at {path}: feature attribution needs the model (set sagewatch_model to a "
                           "model file or folder)")
        try:
            return load_local_model(path)
        except SagewatchError as e:
            raise JobError(str(e)) from e

    def analyse(self, spec: JobSpec, *, progress: Callable[[int], None] | None = None,
                model: Predictor | None = None) -> Analysed:
        config = _load_config(spec)
        explainer = spec.explainer or KERNEL_SHAP
        if model is not None and explainer != KERNEL_SHAP:
            raise JobError(f"sagewatch_explainer {explainer} needs the model file (sagewatch_model); a model "
                           "reached through an endpoint is explained with kernel_shap")
        # the job's dataset_format (a monitoring execution's captures) wins; else the config's dataset_type, whose
        # CSV files have no header line since headers are given (Clarify's rule)
        fmt = parse_dataset_format(spec.dataset_format) if spec.dataset_format \
            else _DATASET_FORMATS[config.dataset_type]
        local_model = self._model(spec) if model is None else None
        preprocessor = load_preprocessor(spec.record_preprocessor_script) if spec.record_preprocessor_script \
            else None
        reader = iter_dataset(spec.dataset_source, fmt, start_time=spec.start_time, end_time=spec.end_time,
                              preprocessor=preprocessor)
        matrices, skipped_values, rows = [], 0, 0
        for chunk in reader:
            if progress:
                progress(chunk.num_rows)
            rows += chunk.num_rows
            columns = _feature_columns(chunk, config, isinstance(fmt, CaptureJsonFormat))
            matrix, skipped = _feature_matrix(chunk, columns, config.features)
            matrices.append(matrix)
            skipped_values += skipped
        skips = dict(reader.skips.to_dict())
        if skipped_values:
            skips["missing_feature_value"] = skips.get("missing_feature_value", 0) + skipped_values
        records = np.concatenate(matrices) if matrices else np.empty((0, len(config.features)))
        if len(records) == 0:
            raise JobError(f"no records to explain in {spec.dataset_source.name}"
                           + (f" ({sum(skips.values())} records skipped: {skips})" if skips else ""))
        base_dir = _config_path(spec).parent
        try:
            explanation = explain_records(records, config.features, config.shap, model=local_model,
                                          predict=shap_predict(model) if model is not None else None,
                                          explainer=explainer, label_headers=config.label_headers,
                                          base_dir=base_dir)
        except SagewatchError as e:
            raise JobError(str(e)) from e
        return Analysed(ExplainabilitySummary(explanation, config, rows), skips)

    def suggest(self, analysed: Analysed, spec: JobSpec) -> Mapping[str, str]:
        summary: ExplainabilitySummary = analysed.summary
        files = dict(summary.explanation.files(save_local_shap_values=summary.config.shap.save_local_shap_values))
        files[REPORT_FILE] = self._report(summary, analysed.skips, None)
        return files

    def check(self, analysed: Analysed, baseline: ExplanationsFile, spec: JobSpec) -> Checked:
        summary: ExplainabilitySummary = analysed.summary
        current = check_explanations(summary.explanation.analysis_document())
        threshold = DEFAULT_DRIFT_THRESHOLD if spec.attribution_threshold is None else spec.attribution_threshold
        try:
            drift = check_attribution_drift(baseline, current, threshold=threshold,
                                            measure=summary.config.shap.agg_method)
        except SagewatchError as e:
            raise JobError(str(e)) from e
        files = dict(summary.explanation.files(save_local_shap_values=summary.config.shap.save_local_shap_values))
        files[VIOLATIONS_FILE] = dumps_attribution_violations(drift.violations)
        files[REPORT_FILE] = self._report(summary, analysed.skips, drift)
        files[ATTRIBUTION_PAGE_FILE] = render_attribution_page(drift.report_block())
        return Checked(files, len(drift.violations), drift, summary)

    def metrics(self, analysed: Analysed, checked: Checked, baseline: ExplanationsFile, spec: JobSpec, *,
                timestamp: datetime) -> list[dict[str, Any]]:
        summary: ExplainabilitySummary = analysed.summary
        dimensions = metric_dimensions(spec.endpoint_name, spec.schedule_name)
        current = check_explanations(summary.explanation.analysis_document())
        return explainability_metric_lines(current, timestamp=format_metric_time(timestamp), dimensions=dimensions)

    @staticmethod
    def _report(summary: ExplainabilitySummary, skips: Mapping[str, int], drift: AttributionDrift | None) -> str:
        explanation = summary.explanation
        block: dict[str, Any] = {"explainer": explanation.explainer, "agg_method": explanation.agg_method,
                                 "records_explained": int(len(explanation.local.values))}
        if drift is not None:
            block.update(drift.report_block())
        document = report_document(generator=f"sagewatch {__version__}", item_count=summary.rows, skips=dict(skips),
                                   violations=len(drift.violations) if drift is not None else None,
                                   feature_attribution=block)
        return dumps_clarify(document)


register_analysis(ModelExplainability())
