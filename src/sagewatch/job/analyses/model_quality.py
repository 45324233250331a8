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
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pyarrow as pa

from sagewatch.datasets import iter_dataset, load_preprocessor, parse_dataset_format
from sagewatch.datasets.formats import MergeJsonFormat
from sagewatch.errors import JobError, SagewatchError
from sagewatch.job.analyses import Analysed, Analysis, Checked, register_analysis
from sagewatch.job.spec import JobSpec
from sagewatch.quality.constraints import check_quality, suggest_quality_constraints
from sagewatch.quality.labels import BINARY, PROBLEM_TYPES, QualityColumns, prepare_columns
from sagewatch.quality.metrics import METRICS_KEYS, SCALAR_METRICS, statistics_layout
from sagewatch.schemas.constraints import CONSTRAINTS_FILE, VIOLATIONS_FILE
from sagewatch.schemas.metric_lines import format_metric_time, metric_line
from sagewatch.schemas.model_quality import (ModelQualityConstraints, dumps_model_quality_constraints,
                                             dumps_model_quality_violations, load_model_quality_constraints)
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
    problem_type: str
    statistics: dict[str, Any]
    rows_read: int

    @property
    def metrics(self) -> dict[str, Any]:
        return self.statistics[METRICS_KEYS[self.problem_type]]


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
        columns = self._columns(table, spec, problem_type, isinstance(fmt, MergeJsonFormat))
        for reason, count in columns.skips.items():
            skips[reason] = skips.get(reason, 0) + count
        if len(columns) == 0:
            raise JobError(f"problem_type {problem_type} does not fit the data: none of the {table.num_rows} rows "
                           f"is usable ({', '.join(f'{k}: {v}' for k, v in columns.skips.items())})")
        try:
            statistics = statistics_layout(columns, problem_type, evaluation_time=_evaluation_time(spec),
                                           positive_label=spec.positive_label or "1")
        except SagewatchError as e:
            raise JobError(str(e)) from e
        return Analysed(ModelQualitySummary(problem_type, statistics, table.num_rows), skips)

    @staticmethod
    def _columns(table: pa.Table, spec: JobSpec, problem_type: str, merged: bool) -> QualityColumns:
        names = list(table.column_names)
        if merged:
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
                REPORT_FILE: self._report(summary, analysed.skips, None, spec)}

    def check(self, analysed: Analysed, baseline: ModelQualityConstraints, spec: JobSpec) -> Checked:
        summary: ModelQualitySummary = analysed.summary
        try:
            result = check_quality(summary.problem_type, summary.metrics, baseline)
        except SagewatchError as e:
            raise JobError(str(e)) from e
        files = {STATISTICS_FILE: dumps_jackson(summary.statistics),
                 VIOLATIONS_FILE: dumps_model_quality_violations(list(result.violations)),
                 REPORT_FILE: self._report(summary, analysed.skips, result, spec)}
        return Checked(files, len(result.violations), result, summary)

    def metrics(self, analysed: Analysed, checked: Checked, baseline: ModelQualityConstraints, spec: JobSpec, *,
                timestamp: datetime) -> list[dict[str, Any]]:
        summary: ModelQualitySummary = analysed.summary
        dimensions = []
        if spec.endpoint_name:
            dimensions.append({"Name": "Endpoint", "Value": spec.endpoint_name})
        if spec.schedule_name:
            dimensions.append({"Name": "MonitoringSchedule", "Value": spec.schedule_name})
        when = format_metric_time(timestamp)
        lines = []
        for name in SCALAR_METRICS[summary.problem_type]:
            value = summary.metrics[name]["value"]
            if value == value:  # NaN (undefined) is not published
                lines.append(metric_line(name, when, [dict(d) for d in dimensions], value=value))
        return lines

    @staticmethod
    def _report(summary: ModelQualitySummary, skips: Mapping[str, int], result: Any, spec: JobSpec) -> str:
        document: dict[str, Any] = {"monitor": "ModelQuality", "problem_type": summary.problem_type,
                                    "rows_read": summary.rows_read,
                                    "rows_evaluated": summary.statistics["dataset"]["item_count"],
                                    "skipped_rows": dict(skips)}
        merge = _merge_counts(spec)
        if merge is not None:
            document["merge"] = merge
        if result is not None:
            document["violations"] = len(result.violations)
            document["constraints_not_evaluated"] = list(result.not_evaluated)
        return json.dumps(document, indent=2)


register_analysis(ModelQuality())
