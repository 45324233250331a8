"""The model-quality analysis (``analysis_type=MODEL_QUALITY``, contract §6): metrics → ``statistics.json``,
suggest → ``constraints.json``, check → ``constraint_violations.json``, metrics → ``model-metrics`` lines.

The dataset is either merged captures (``sagemakerMergeJson``: the ground truth is the record's
``groundTruthData``, the last flattened column; the attributes address the captured output) or a table (CSV, JSON,
Parquet) holding the attribute columns, ``ground_truth_attribute`` naming the label column. An attribute is a
column name, a zero-based column index, or a JSON path (``$.predictions[0].score`` reads the flattened column
``predictions.0.score``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pyarrow as pa

from sagewatch.datasets import iter_dataset, load_preprocessor, parse_dataset_format
from sagewatch.datasets.formats import CaptureJsonFormat, MergeJsonFormat
from sagewatch.errors import JobError, SagewatchError
from sagewatch.job.analyses import Analysed, Analysis, Checked, register_analysis
from sagewatch.job.spec import JobSpec
from sagewatch.quality.constraints import QualityCheck, check_quality, suggest_quality_constraints
from sagewatch.quality.estimation import ESTIMATED_METRICS, apply_calibration
from sagewatch.quality.fit import check_problem_fit
from sagewatch.quality.extras import (ExtraOptions, labelled_extras, multiclass_confidence, prepare_unlabelled,
                                      unlabelled_extras)
from sagewatch.quality.labels import BINARY, MULTICLASS, PROBLEM_TYPES, REGRESSION, QualityColumns, prepare_columns
from sagewatch.quality.metrics import METRICS_KEYS, SCALAR_METRICS, statistics_layout
from sagewatch.schemas.constraints import CONSTRAINTS_FILE, VIOLATIONS_FILE
from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.metric_lines import format_metric_time, metric_dimensions, metric_line
from sagewatch.schemas.model_quality import (ModelQualityConstraints, crosses, dumps_model_quality_constraints,
                                             dumps_model_quality_violations, load_model_quality_constraints)
from sagewatch.schemas.quality_report import quality_report_document
from sagewatch.schemas.report import REPORT_FILE
from sagewatch.schemas.serialize import dumps_jackson
from sagewatch.schemas.statistics import STATISTICS_FILE

__all__ = ["ModelQuality", "ModelQualitySummary", "resolve_attribute"]

_PATH_INDEX = re.compile(r"\[\s*['\"]?([^'\"\]]+?)['\"]?\s*\]")


def _json_path_name(attribute: str) -> str:
    """``$.a.b[0]`` / ``$['a']`` / ``a[0]`` -> the flattened column name ``a.b.0`` / ``a`` / ``a.0``."""
    text = attribute.strip()
    if text.startswith("$"):
        text = text[1:]
    text = _PATH_INDEX.sub(lambda m: "." + m.group(1), text)
    return text.strip(".")


def resolve_attribute(attribute: str, names: list[str], setting: str) -> str:
    """The column an attribute setting names: a column name, a zero-based index or a JSON path.

    >>> resolve_attribute("1", ["_c0", "_c1"], "inference_attribute")
    '_c1'
    >>> resolve_attribute("$.scores[0]", ["label", "scores.0"], "probability_attribute")
    'scores.0'
    >>> resolve_attribute("p", ["a"], "inference_attribute")
    Traceback (most recent call last):
    ...
    sagewatch.errors.JobError: inference_attribute 'p' names no column of the dataset; its columns are: a
    """
    if attribute in names:
        return attribute
    if attribute.strip().isdigit():
        index = int(attribute)
        if f"_c{index}" in names:
            return f"_c{index}"
        if index < len(names):
            return names[index]
    path = _json_path_name(attribute)
    if path in names:
        return path
    shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
    raise JobError(f"{setting} {attribute!r} names no column of the dataset; its columns are: {shown}")


@dataclass(frozen=True)
class ModelQualitySummary:
    """The current data: SageMaker's statistics document (``None`` for captures without labels), the rows read
    and sagewatch's extra report blocks (:mod:`sagewatch.quality.extras`)."""

    problem_type: str
    statistics: dict[str, Any] | None
    rows_read: int
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def labels_available(self) -> bool:
        return self.statistics is not None

    @property
    def metrics(self) -> dict[str, Any]:
        return self.statistics[METRICS_KEYS[self.problem_type]] if self.statistics is not None else {}

    @property
    def rows_evaluated(self) -> int:
        if self.statistics is not None:
            return self.statistics["dataset"]["item_count"]
        return self.extras["estimation"]["rows"]


def _problem_type(spec: JobSpec) -> str:
    if spec.problem_type not in PROBLEM_TYPES:
        raise JobError(f"problem_type must be one of {', '.join(PROBLEM_TYPES)} for analysis_type MODEL_QUALITY, "
                       f"got {spec.problem_type!r}")
    return spec.problem_type


def _evaluation_time(spec: JobSpec) -> str:
    moment = spec.metric_time or spec.end_time or datetime.now(timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _merge_counts(spec: JobSpec) -> dict[str, Any] | None:
    """The ground-truth merge job's counts (``sagewatch_merge_report``, set by the emulator's executions)."""
    setting = spec.extra_environment.get("sagewatch_merge_report", "").strip()
    if not setting:
        return None
    path = spec.paths.relocate(setting)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        return dict(report["counts"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise JobError(f"sagewatch_merge_report {path.name} (the merge job's counts) cannot be read: "
                       f"{type(e).__name__}: {e}") from e


def _options(spec: JobSpec) -> ExtraOptions:
    return ExtraOptions(positive_label=spec.positive_label or "1", slice_buckets=spec.slice_buckets,
                        low_confidence_threshold=spec.low_confidence_threshold)


def _probability_columns(attribute: str, names: list[str]) -> list[str]:
    """The columns of a multiclass probability attribute: one column, or one per class (``$.probabilities``
    reads the flattened ``probabilities.0``, ``probabilities.1``, ...)."""
    try:
        return [resolve_attribute(attribute, names, "probability_attribute")]
    except JobError:
        prefix = _json_path_name(attribute) + "."
        found = [n for n in names if n.startswith(prefix) and n[len(prefix):].isdigit()]
        if not found:
            raise
        return sorted(found, key=lambda n: int(n[len(prefix):]))


def _baseline_calibration(spec: JobSpec) -> dict[str, Any] | None:
    """The calibration the baseline's ``sagewatch_report.json`` (next to its constraints) measured, if any."""
    if spec.baseline_constraints is None:
        return None
    sidecar = spec.baseline_constraints.parent / REPORT_FILE
    if not sidecar.is_file():
        return None
    try:
        document = read_json_file(sidecar, "baseline sagewatch report")
        calibration = document["estimation"]["calibration"]
        out: dict[str, Any] = {"expected_calibration_error": float(calibration["expected_calibration_error"]),
                               "brier_score": float(calibration["brier_score"])}
        if calibration.get("map") is not None:
            apply_calibration(np.array([0.5]), calibration["map"])  # checks the map
            out["map"] = calibration["map"]
        return out
    except (SagewatchError, KeyError, TypeError, ValueError) as e:
        return {"error": f"the baseline's {REPORT_FILE} holds no usable calibration: {type(e).__name__}: {e}"}


class ModelQuality(Analysis):
    name = "MODEL_QUALITY"

    def baseline(self, spec: JobSpec) -> ModelQualityConstraints:
        if spec.baseline_constraints is None:
            raise JobError("model-quality monitoring needs baseline_constraints (the constraints.json of a "
                           "model-quality baseline)")
        try:
            constraints = load_model_quality_constraints(spec.baseline_constraints)
        except SagewatchError as e:
            raise JobError(f"cannot load the baseline: {e}") from e
        if spec.problem_type and constraints.problem_type != spec.problem_type:
            raise JobError(f"problem_type {spec.problem_type} does not fit the baseline constraints, which hold "
                           f"{constraints.problem_type} constraints")
        return constraints

    def analyse(self, spec: JobSpec, *, progress: Callable[[int], None] | None = None) -> Analysed:
        problem_type = _problem_type(spec)
        fmt = parse_dataset_format(spec.dataset_format)
        labelled = not isinstance(fmt, CaptureJsonFormat) or isinstance(fmt, MergeJsonFormat)
        if not labelled:
            self._check_label_free(spec, problem_type)
        preprocessor = load_preprocessor(spec.record_preprocessor_script) if spec.record_preprocessor_script \
            else None
        reader = iter_dataset(spec.dataset_source, fmt, start_time=spec.start_time, end_time=spec.end_time,
                              preprocessor=preprocessor)
        chunks = []
        for chunk in reader:
            if progress:
                progress(chunk.num_rows)
            chunks.append(chunk)
        skips = dict(reader.skips.to_dict())
        table = pa.concat_tables(chunks, promote_options="permissive") if chunks else pa.table({})
        if table.num_rows == 0:
            skipped = sum(skips.values())
            raise JobError(f"no records to analyse in {spec.dataset_source.name}"
                           + (f" ({skipped} records skipped: {skips})" if skipped else ""))
        if not labelled:
            return self._analyse_label_free(table, spec, skips)
        merged = isinstance(fmt, MergeJsonFormat)
        columns = self._columns(table, spec, problem_type, merged)
        for reason, count in columns.skips.items():
            skips[reason] = skips.get(reason, 0) + count
        if len(columns) == 0:
            raise JobError(f"problem_type {problem_type} does not fit the data: none of the {table.num_rows} rows "
                           f"is usable ({', '.join(f'{k}: {v}' for k, v in columns.skips.items())})")
        try:
            if problem_type != REGRESSION:
                check_problem_fit(problem_type, columns.y_true, columns.y_pred,
                                  positive_label=spec.positive_label or "1")
            statistics = statistics_layout(columns, problem_type, evaluation_time=_evaluation_time(spec),
                                           positive_label=spec.positive_label or "1")
            extras = labelled_extras(problem_type, columns, realised=statistics[METRICS_KEYS[problem_type]],
                                     slice_values=self._slice_values(table, spec),
                                     confidence=self._multiclass_confidence(table, spec, problem_type, merged),
                                     options=_options(spec))
        except SagewatchError as e:
            raise JobError(str(e)) from e
        return Analysed(ModelQualitySummary(problem_type, statistics, table.num_rows, extras), skips)

    @staticmethod
    def _check_label_free(spec: JobSpec, problem_type: str) -> None:
        if problem_type != BINARY or not spec.probability_attribute:
            raise JobError(
                "a sagemakerCaptureJson dataset has no ground truth: it gives only the label-free estimate, which "
                f"needs problem_type BinaryClassification and probability_attribute (got {problem_type}"
                f"{'' if spec.probability_attribute else ', no probability_attribute'}); merge the ground truth "
                "first (sagemakerMergeJson) for SageMaker's metrics")
        if not spec.is_monitoring:
            raise JobError("a model-quality baseline needs ground truth, and a sagemakerCaptureJson dataset has "
                           "none; baseline on a labelled dataset (ground_truth_attribute) or merged captures "
                           "(sagemakerMergeJson)")

    def _analyse_label_free(self, table: pa.Table, spec: JobSpec, skips: dict[str, int]) -> Analysed:
        names = list(table.column_names)
        probability = table.column(resolve_attribute(spec.probability_attribute, names, "probability_attribute"))
        prediction = table.column(resolve_attribute(spec.inference_attribute, names, "inference_attribute")) \
            if spec.inference_attribute else None
        threshold = 0.5 if spec.probability_threshold_attribute is None else spec.probability_threshold_attribute
        columns = prepare_unlabelled(probability.combine_chunks(),
                                     prediction=None if prediction is None else prediction.combine_chunks(),
                                     threshold=threshold, positive_label=spec.positive_label or "1")
        for reason, count in columns.skips.items():
            skips[reason] = skips.get(reason, 0) + count
        if len(columns.rows) == 0:
            raise JobError(f"none of the {table.num_rows} captures has a usable probability in "
                           f"probability_attribute {spec.probability_attribute!r} "
                           f"({', '.join(f'{k}: {v}' for k, v in columns.skips.items())})")
        try:
            extras = unlabelled_extras(columns, slice_values=self._slice_values(table, spec), options=_options(spec),
                                       baseline_calibration=_baseline_calibration(spec))
        except SagewatchError as e:
            raise JobError(str(e)) from e
        return Analysed(ModelQualitySummary(BINARY, None, table.num_rows, extras), skips)

    @staticmethod
    def _slice_values(table: pa.Table, spec: JobSpec) -> pa.Array | None:
        if not spec.slice_attribute:
            return None
        name = resolve_attribute(spec.slice_attribute, list(table.column_names), "slice_attribute")
        return table.column(name).combine_chunks()

    @staticmethod
    def _multiclass_confidence(table: pa.Table, spec: JobSpec, problem_type: str, merged: bool) -> np.ndarray | None:
        if problem_type != MULTICLASS or not spec.probability_attribute:
            return None
        names = list(table.column_names)
        outputs = names[:-1] if merged else names
        chosen = _probability_columns(spec.probability_attribute, outputs)
        return multiclass_confidence([table.column(n).combine_chunks() for n in chosen])

    @staticmethod
    def _columns(table: pa.Table, spec: JobSpec, problem_type: str, merged: bool) -> QualityColumns:
        names = list(table.column_names)
        if merged:
            if len(names) < 2:
                raise JobError("the sagemakerMergeJson records carry no groundTruthData (only the column "
                               f"{', '.join(names)}): merge the ground truth into the captures first, or read "
                               "captures without labels as sagemakerCaptureJson for the label-free estimate")
            truth_name, outputs = names[-1], names[:-1]
        else:
            if not spec.ground_truth_attribute:
                raise JobError("ground_truth_attribute is not set; it names the label column of the dataset "
                               "(a sagemakerMergeJson dataset carries its labels itself)")
            truth_name, outputs = resolve_attribute(spec.ground_truth_attribute, names, "ground_truth_attribute"), \
                names
        if not spec.inference_attribute and not (problem_type == BINARY and spec.probability_attribute):
            raise JobError(f"inference_attribute is not set; {problem_type} needs the predicted "
                           f"{'value' if problem_type == 'Regression' else 'label'} column"
                           + (" (or probability_attribute)" if problem_type == BINARY else ""))
        prediction = table.column(resolve_attribute(spec.inference_attribute, outputs, "inference_attribute")) \
            if spec.inference_attribute else None
        probability = table.column(resolve_attribute(spec.probability_attribute, outputs, "probability_attribute")) \
            if spec.probability_attribute and problem_type == BINARY else None
        positive = spec.positive_label or "1"
        try:
            return prepare_columns(problem_type, table.column(truth_name), prediction=prediction,
                                   probability=probability,
                                   threshold=0.5 if spec.probability_threshold_attribute is None
                                   else spec.probability_threshold_attribute,
                                   positive_label=positive, negative_label="0" if positive != "0" else "1")
        except SagewatchError as e:
            raise JobError(str(e)) from e

    def suggest(self, analysed: Analysed, spec: JobSpec) -> Mapping[str, str]:
        summary: ModelQualitySummary = analysed.summary
        constraints = suggest_quality_constraints(summary.problem_type, summary.metrics)
        return {STATISTICS_FILE: dumps_jackson(summary.statistics),
                CONSTRAINTS_FILE: dumps_model_quality_constraints(constraints),
                REPORT_FILE: self._report(summary, analysed.skips, None, None, spec)}

    def check(self, analysed: Analysed, baseline: ModelQualityConstraints, spec: JobSpec) -> Checked:
        summary: ModelQualitySummary = analysed.summary
        if not summary.labels_available:  # the label-free estimate: only sagewatch's report
            result = QualityCheck((), tuple(name for name in baseline.metrics if name not in ESTIMATED_METRICS))
            return Checked({REPORT_FILE: self._report(summary, analysed.skips, result, baseline, spec)}, 0, result,
                           summary)
        try:
            result = check_quality(summary.problem_type, summary.metrics, baseline)
        except SagewatchError as e:
            raise JobError(str(e)) from e
        files = {STATISTICS_FILE: dumps_jackson(summary.statistics),
                 VIOLATIONS_FILE: dumps_model_quality_violations(list(result.violations)),
                 REPORT_FILE: self._report(summary, analysed.skips, result, baseline, spec)}
        return Checked(files, len(result.violations), result, summary)

    def metrics(self, analysed: Analysed, checked: Checked, baseline: ModelQualityConstraints, spec: JobSpec, *,
                timestamp: datetime) -> list[dict[str, Any]]:
        summary: ModelQualitySummary = analysed.summary
        dimensions = metric_dimensions(spec.endpoint_name, spec.schedule_name)
        when = format_metric_time(timestamp)
        lines = []
        for name in SCALAR_METRICS[summary.problem_type] if summary.labels_available else ():
            value = summary.metrics[name]["value"]
            if value == value:  # NaN (undefined) is not published
                lines.append(metric_line(name, when, [dict(d) for d in dimensions], value=value))
        return lines

    @staticmethod
    def _report(summary: ModelQualitySummary, skips: Mapping[str, int], result: QualityCheck | None,
                baseline: ModelQualityConstraints | None = None, spec: JobSpec | None = None) -> str:
        estimated_violations = None
        if baseline is not None and "estimation" in summary.extras:
            estimated_violations = _estimated_violations(summary.extras["estimation"]["metrics"], baseline)
        document = quality_report_document(
            problem_type=summary.problem_type, labels_available=summary.labels_available,
            rows_read=summary.rows_read, rows_evaluated=summary.rows_evaluated, skips=skips,
            violations=None if result is None or not summary.labels_available else len(result.violations),
            constraints_not_evaluated=None if result is None else list(result.not_evaluated),
            estimated_violations=estimated_violations, extras=summary.extras,
            merge=None if spec is None else _merge_counts(spec))
        return json.dumps(document, indent=2)


def _estimated_violations(estimates: Mapping[str, Any], baseline: ModelQualityConstraints) -> list[dict[str, Any]]:
    """The baseline constraints the estimated metrics cross (sagewatch's report only, never SageMaker's file)."""
    out = []
    for name, (threshold, operator) in baseline.metrics.items():
        entry = estimates.get(name)
        if entry is None or entry["value"] is None:
            continue
        if crosses(entry["value"], threshold, operator):
            out.append({"metric_name": name, "estimated_value": entry["value"],
                        "standard_deviation": entry["standard_deviation"], "threshold": threshold,
                        "comparison_operator": operator})
    return out


register_analysis(ModelQuality())
