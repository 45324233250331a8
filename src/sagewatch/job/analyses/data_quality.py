"""The data-quality analysis: profile → statistics, suggest → constraints, check → violations (contract §3).

This is the Model Monitor analyzer's default analysis (``analysis_type`` unset or ``DATA_QUALITY``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

import pyarrow as pa

from sagewatch.constraints.suggest import suggest_constraints
from sagewatch.datasets import iter_dataset, load_preprocessor, parse_dataset_format
from sagewatch.datasets.files import find_data_files
from sagewatch.datasets.formats import CaptureJsonFormat, CsvFormat, DatasetFormat, ParquetFormat
from sagewatch.errors import JobError, SagewatchError
from sagewatch.job.analyses import Analysed, Analysis, Checked, register_analysis
from sagewatch.job.metrics import data_quality_metrics
from sagewatch.job.spec import JobSpec
from sagewatch.profile.columnar import profile_parquet_files
from sagewatch.profile.dataset import DatasetProfile, profile_tables
from sagewatch.schemas.constraints import (CONSTRAINTS_FILE, VIOLATIONS_FILE, Constraints, dumps_violations,
                                           load_constraints)
from sagewatch.schemas.report import REPORT_FILE
from sagewatch.schemas.serialize import dumps_jackson
from sagewatch.schemas.statistics import STATISTICS_FILE, load_statistics, statistics_document

__all__ = ["DataQuality", "DataQualityBaseline", "has_header", "name_positional_columns", "EXTRA_REPORT_FILE"]

EXTRA_REPORT_FILE = REPORT_FILE  # sagewatch_report.json
_POSITIONAL = re.compile(r"^_c(\d+)$")


def has_header(fmt: DatasetFormat) -> bool:
    """Whether the data names its columns: CSV with a header, JSON and Parquet; not captures.

    >>> has_header(CsvFormat(header=True)), has_header(CsvFormat(header=False))
    (True, False)
    """
    if isinstance(fmt, CaptureJsonFormat):
        return False
    return not (isinstance(fmt, CsvFormat) and not fmt.header)


def name_positional_columns(profile: DatasetProfile, baseline_names: list[str]) -> DatasetProfile:
    """Captured data has no header: give its columns the baseline's names by position.

    Flattened captures are named ``_c0, _c1, …`` (JSON payloads may add keys such as
    ``predictions.0``); when no current name is a baseline name, columns are matched by position
    (sagewatch's rule, docs/decisions.md). Columns beyond the baseline keep their names.
    Only for data without a header (:func:`has_header`): named columns are never renamed.
    """
    names = list(profile.columns)
    if not names or set(names) & set(baseline_names):
        return profile
    renamed = {}
    for index, (name, column) in enumerate(profile.columns.items()):
        match = _POSITIONAL.match(name)
        position = int(match.group(1)) if match else index
        new = baseline_names[position] if position < len(baseline_names) else name
        if new in renamed:  # two columns claiming one position: keep the original name
            new = name
        renamed[new] = replace(column, name=new)
    sample = {new: profile.sample[old] for old, new in zip(names, renamed) if old in profile.sample}
    return DatasetProfile(renamed, profile.item_count, sample, profile.sample_seen)


def _counted(chunks: Iterable[pa.Table], progress: Callable[[int], None]) -> Iterable[pa.Table]:
    for chunk in chunks:
        progress(chunk.num_rows)
        yield chunk


class DataQualityBaseline:
    """The baseline of a data-quality monitoring job: constraints, and statistics when given."""

    def __init__(self, constraints: Constraints, statistics: DatasetProfile | None, statistics_path,
                 report_path=None) -> None:
        self.constraints = constraints
        self.statistics = statistics
        self.statistics_path = statistics_path
        self.report_path = report_path  # the baseline's sagewatch_report.json when mounted apart from its statistics


class DataQuality(Analysis):
    name = "DATA_QUALITY"

    def baseline(self, spec: JobSpec) -> DataQualityBaseline:
        if spec.baseline_constraints is None:
            raise JobError("baseline_statistics is set but baseline_constraints is not; monitoring needs both "
                           "or at least baseline_constraints")
        try:
            constraints = load_constraints(spec.baseline_constraints)
            statistics = load_statistics(spec.baseline_statistics) if spec.baseline_statistics else None
        except SagewatchError as e:
            raise JobError(f"cannot load the baseline: {e}") from e
        return DataQualityBaseline(constraints, statistics, spec.baseline_statistics, spec.baseline_report)

    def analyse(self, spec: JobSpec, *, progress: Callable[[int], None] | None = None) -> Analysed:
        fmt = parse_dataset_format(spec.dataset_format)
        if isinstance(fmt, ParquetFormat) and not spec.record_preprocessor_script:
            profile = profile_parquet_files(find_data_files(spec.dataset_source), progress=progress)
            skips: dict[str, int] = {}
        else:
            preprocessor = load_preprocessor(spec.record_preprocessor_script) if spec.record_preprocessor_script \
                else None
            reader = iter_dataset(spec.dataset_source, fmt, start_time=spec.start_time, end_time=spec.end_time,
                                  preprocessor=preprocessor)
            chunks: Iterable[pa.Table] = _counted(reader, progress) if progress else reader
            profile = profile_tables(chunks)
            skips = reader.skips.to_dict()
        if profile.item_count == 0:
            skipped = sum(skips.values())
            raise JobError(f"no records to analyse in {spec.dataset_source.name}"
                           + (f" ({skipped} records skipped: {skips})" if skipped else ""))
        return Analysed(profile, skips)

    def suggest(self, analysed: Analysed, spec: JobSpec) -> Mapping[str, str]:
        profile = analysed.summary
        suggested = suggest_constraints(profile, categorical_drift_method=spec.categorical_drift_method)
        return {STATISTICS_FILE: dumps_jackson(statistics_document(profile)),
                CONSTRAINTS_FILE: suggested.dumps(),
                EXTRA_REPORT_FILE: self._extra_report(profile, None, None, analysed.skips, None, None)}

    def check(self, analysed: Analysed, baseline: DataQualityBaseline, spec: JobSpec) -> Checked:
        from sagewatch.constraints.check import CheckResult, check_constraints  # scipy only when monitoring
        profile = analysed.summary
        constraints = baseline.constraints
        if not has_header(parse_dataset_format(spec.dataset_format)):
            profile = name_positional_columns(profile, [f.name for f in constraints.features])
        check = check_constraints(profile, constraints, baseline.statistics) \
            if constraints.monitoring_config.evaluate_constraints or baseline.statistics is not None \
            else CheckResult(())
        files = {STATISTICS_FILE: dumps_jackson(statistics_document(profile)),
                 CONSTRAINTS_FILE: suggest_constraints(profile).dumps(),
                 VIOLATIONS_FILE: dumps_violations(list(check.violations)),
                 EXTRA_REPORT_FILE: self._extra_report(profile, baseline.statistics, check, analysed.skips,
                                                       constraints, baseline.statistics_path,
                                                       baseline.report_path)}
        return Checked(files, len(check.violations), check, profile)

    def metrics(self, analysed: Analysed, checked: Checked, baseline: DataQualityBaseline, spec: JobSpec, *,
                timestamp: datetime) -> list[dict[str, Any]]:
        return data_quality_metrics(checked.summary, checked.result, baseline.constraints, timestamp=timestamp,
                                    endpoint=spec.endpoint_name, schedule=spec.schedule_name)

    @staticmethod
    def _extra_report(profile, statistics, check, skips, constraints, statistics_path, report_path=None) -> str:
        from sagewatch.report.extra import drift_report_document, load_baseline_sample
        sample = load_baseline_sample(statistics_path, report_path=report_path)
        return json.dumps(drift_report_document(profile, statistics, check, skips, constraints=constraints,
                                                baseline_sample=sample), indent=2)


register_analysis(DataQuality())
