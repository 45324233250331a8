"""Run a data-quality job: suggest a baseline, or monitor against one (contract §3–4)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pyarrow as pa

from sagewatch.constraints.suggest import suggest_constraints
from sagewatch.datasets import iter_dataset, load_preprocessor, parse_dataset_format
from sagewatch.datasets.files import find_data_files
from sagewatch.datasets.formats import CaptureJsonFormat, CsvFormat, DatasetFormat, ParquetFormat
from sagewatch.datasets.preprocessor import script_failure
from sagewatch.errors import JobError, SagewatchError
from sagewatch.job.metrics import data_quality_metrics, dumps_metric_lines
from sagewatch.job.spec import JobSpec
from sagewatch.profile.columnar import profile_parquet_files
from sagewatch.profile.dataset import DatasetProfile, profile_tables
from sagewatch.schemas.constraints import (CONSTRAINTS_FILE, VIOLATIONS_FILE, Constraints, dumps_violations,
                                           load_constraints)
from sagewatch.schemas.serialize import dumps_jackson
from sagewatch.schemas.statistics import STATISTICS_FILE, load_statistics, statistics_document

__all__ = ["JobOutcome", "run_job", "completed_message", "EXTRA_REPORT_FILE"]

EXTRA_REPORT_FILE = "sagewatch_report.json"
_POSITIONAL = re.compile(r"^_c(\d+)$")


@dataclass(frozen=True)
class JobOutcome:
    message: str
    violations: int
    outputs: tuple[Path, ...]
    profile: DatasetProfile
    check: Any = None  # CheckResult when monitoring
    skips: dict[str, int] = field(default_factory=dict)


def completed_message(violations: int) -> str:
    """The analyzer's exit messages (contract §4.4).

    >>> completed_message(0), completed_message(60)
    ('Completed: Job completed successfully with no violations.', 'CompletedWithViolations: Job completed successfully with 60 violations.')
    """
    if violations:
        return f"CompletedWithViolations: Job completed successfully with {violations} violations."
    return "Completed: Job completed successfully with no violations."


def _name_positional_columns(profile: DatasetProfile, baseline_names: list[str]) -> DatasetProfile:
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


def has_header(fmt: DatasetFormat) -> bool:
    """Whether the data names its columns: CSV with a header, JSON and Parquet; not captures.

    >>> has_header(CsvFormat(header=True)), has_header(CsvFormat(header=False))
    (True, False)
    """
    if isinstance(fmt, CaptureJsonFormat):
        return False
    return not (isinstance(fmt, CsvFormat) and not fmt.header)


def _load_script(path: Path, function: str) -> Callable[..., Any]:
    if not path.is_file():
        raise JobError(f"post-analytics processor script not found: {path.name}")
    spec = importlib.util.spec_from_file_location(f"sagewatch_user_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise JobError(f"cannot import post-analytics processor script {path.name}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as e:  # a user script: any error, sys.exit() included, is reported
        raise JobError(f"post-analytics processor script {path.name} failed to import: {script_failure(e)}") from e
    handler = getattr(module, function, None)
    if not callable(handler):
        raise JobError(f"post-analytics processor script {path.name} defines no function {function}()")
    return handler


def _check_outputs(spec: JobSpec) -> None:
    """Fail before any profiling when the results could not be written or would be read back as data."""
    source, output = spec.dataset_source.resolve(), spec.output_path.resolve()
    if source.is_dir() and output.is_relative_to(source):
        raise JobError(f"output_path {spec.output_path} is inside dataset_source {spec.dataset_source}: the next "
                       "run would read this run's result files as data; write the results elsewhere")
    for label, folder in (("output_path", spec.output_path),
                          ("CLOUDWATCH_METRICS_DIRECTORY", spec.metrics_dir if spec.publish_cloudwatch_metrics
                           else None)):
        if folder is None:
            continue
        if folder.exists() and not folder.is_dir():
            raise JobError(f"{label} {folder} is a file; it must be a folder for the result files")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise JobError(f"cannot create {label} {folder}: {e.strerror or e}") from e


def _counted(chunks: Iterable[pa.Table], progress: Callable[[int], None]) -> Iterable[pa.Table]:
    for chunk in chunks:
        progress(chunk.num_rows)
        yield chunk


def _profile(spec: JobSpec, progress: Callable[[int], None] | None) -> tuple[DatasetProfile, dict[str, int]]:
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
    return profile, skips


def _publish(outputs: dict[str, str], spec: JobSpec) -> list[Path]:
    """Write every file to a private folder first, then move them in: no half-written report."""
    try:
        spec.output_path.mkdir(parents=True, exist_ok=True)
        staging = spec.output_path / f".sagewatch-staging-{uuid.uuid4().hex}"
        staging.mkdir()
    except OSError as e:
        raise JobError(f"cannot write the results to output_path {spec.output_path}: {e.strerror or e}") from e
    try:
        for name, text in outputs.items():
            (staging / name).write_text(text, encoding="utf-8")
        written = []
        for name in outputs:
            os.replace(staging / name, spec.output_path / name)
            written.append(spec.output_path / name)
        return written
    except OSError as e:
        raise JobError(f"cannot write the results to output_path {spec.output_path}: {e.strerror or e}") from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _withdraw(paths: Iterable[Path]) -> None:
    """Remove result files of a run that failed after writing them: no complete-looking result stays."""
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            pass


def _run_post_analytics(handler: Callable[..., Any], written: list[Path]) -> None:
    """Run ``postprocess_handler()`` after the outputs exist (contract §4.3); on failure withdraw them."""
    try:
        handler()
    except KeyboardInterrupt:
        _withdraw(written)
        raise
    except BaseException as e:  # a user script: any error, sys.exit() included
        _withdraw(written)
        raise JobError(f"There is an exception raised in post-analytics processor script. "
                       f"Please double check the script. {script_failure(e)}") from e


def run_job(spec: JobSpec, *, progress: Callable[[int], None] | None = None) -> JobOutcome:
    """Baseline (no baseline files) or monitor (with them); returns the outcome, raises on failure.

    ``progress`` is called with the number of rows of each profiled chunk. Everything that can
    be checked before the work is (baseline files, the output folders, the post-analytics
    script: it must import and define ``postprocess_handler``). The handler runs after the
    result files are written, as in SageMaker; when it fails, the files of this run are
    removed again and :class:`JobError` is raised.
    """
    if spec.analysis_type and spec.analysis_type.upper() != "DATA_QUALITY":
        raise JobError(f"analysis_type {spec.analysis_type!r} is not supported by this analyzer yet; "
                       "supported: data quality (analysis_type unset)")
    for key, value in spec.extra_environment.items():  # exported for user scripts, as the analyzer does
        os.environ.setdefault(key, value)
    constraints = baseline = None
    if spec.is_monitoring:
        if spec.baseline_constraints is None:
            raise JobError("baseline_statistics is set but baseline_constraints is not; monitoring needs both "
                           "or at least baseline_constraints")
        try:
            constraints = load_constraints(spec.baseline_constraints)
            baseline = load_statistics(spec.baseline_statistics) if spec.baseline_statistics else None
        except SagewatchError as e:
            raise JobError(f"cannot load the baseline: {e}") from e
    if not spec.dataset_source.exists():
        raise JobError(f"dataset_source {spec.dataset_source} does not exist")
    _check_outputs(spec)
    post_handler = _load_script(spec.post_analytics_processor_script, "postprocess_handler") \
        if spec.post_analytics_processor_script else None
    profile, skips = _profile(spec, progress)
    outputs: dict[str, str] = {}
    check = None
    if constraints is None:
        suggested = suggest_constraints(profile, categorical_drift_method=spec.categorical_drift_method)
        outputs[STATISTICS_FILE] = dumps_jackson(statistics_document(profile))
        outputs[CONSTRAINTS_FILE] = suggested.dumps()
        violations = 0
    else:
        from sagewatch.constraints.check import CheckResult, check_constraints  # scipy only when monitoring
        if not has_header(parse_dataset_format(spec.dataset_format)):
            profile = _name_positional_columns(profile, [f.name for f in constraints.features])
        check = check_constraints(profile, constraints, baseline) if constraints.monitoring_config.evaluate_constraints \
            or baseline is not None else CheckResult(())
        violations = len(check.violations)
        outputs[STATISTICS_FILE] = dumps_jackson(statistics_document(profile))
        outputs[CONSTRAINTS_FILE] = suggest_constraints(profile).dumps()
        outputs[VIOLATIONS_FILE] = dumps_violations(list(check.violations))
    from sagewatch.report.extra import drift_report_document, load_baseline_sample
    outputs[EXTRA_REPORT_FILE] = json.dumps(
        drift_report_document(profile, baseline, check, skips, constraints=constraints,
                              baseline_sample=load_baseline_sample(spec.baseline_statistics)), indent=2)
    written = _publish(outputs, spec)
    if constraints is not None and spec.publish_cloudwatch_metrics:
        stamp = spec.metric_time or spec.start_time or spec.end_time
        if stamp is None:
            from datetime import datetime, timezone
            stamp = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        lines = data_quality_metrics(profile, check, constraints, timestamp=stamp, endpoint=spec.endpoint_name,
                                     schedule=spec.schedule_name)
        metrics_file = spec.metrics_dir / "cloudwatch_metrics.jsonl"
        try:
            spec.metrics_dir.mkdir(parents=True, exist_ok=True)
            metrics_file.write_text(dumps_metric_lines(lines), encoding="utf-8")
        except OSError as e:
            _withdraw(written)
            raise JobError(f"cannot write the metrics to {spec.metrics_dir}: {e.strerror or e}") from e
        written.append(metrics_file)
    if post_handler is not None:
        _run_post_analytics(post_handler, written)
    return JobOutcome(completed_message(violations), violations, tuple(written), profile, check, skips)
