"""Run a processing job: the dispatcher over the registered analyses (contract §3–4, ``job.analyses``)."""

from __future__ import annotations

import importlib.util
import os
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sagewatch.datasets.preprocessor import script_failure
from sagewatch.errors import JobError
from sagewatch.job.analyses import get_analysis
from sagewatch.job.analyses.data_quality import EXTRA_REPORT_FILE
from sagewatch.job.metrics import dumps_metric_lines
from sagewatch.job.spec import JobSpec

__all__ = ["JobOutcome", "run_job", "completed_message", "EXTRA_REPORT_FILE"]


@dataclass(frozen=True)
class JobOutcome:
    message: str
    violations: int
    outputs: tuple[Path, ...]
    summary: Any  # the analysis' summary of the current data (a DatasetProfile for data quality)
    check: Any = None  # the analysis' check result when monitoring (a CheckResult for data quality)
    skips: dict[str, int] = field(default_factory=dict)


def completed_message(violations: int) -> str:
    """The analyzer's exit messages (contract §4.4).

    >>> completed_message(0), completed_message(60)
    ('Completed: Job completed successfully with no violations.', 'CompletedWithViolations: Job completed successfully with 60 violations.')
    """
    if violations:
        return f"CompletedWithViolations: Job completed successfully with {violations} violations."
    return "Completed: Job completed successfully with no violations."


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
            (staging / name).parent.mkdir(parents=True, exist_ok=True)  # e.g. explanations_shap/out.csv
            (staging / name).write_text(text, encoding="utf-8")
        written = []
        for name in outputs:
            (spec.output_path / name).parent.mkdir(parents=True, exist_ok=True)
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


def run_job(spec: JobSpec, *, progress: Callable[[int], None] | None = None, model: Any = None) -> JobOutcome:
    """Baseline (no baseline files) or monitor (with them) with the job's analysis; raises on failure.

    ``progress`` is called with the number of rows of each analysed chunk. Everything that can
    be checked before the work is (the analysis type, the baseline files, the output folders, the
    post-analytics script: it must import and define ``postprocess_handler``). The handler runs
    after the result files are written, as in SageMaker; when it fails, the files of this run are
    removed again and :class:`JobError` is raised.

    ``model`` is a :class:`~sagewatch.clarify.predictions.Predictor` for the analyses that ask a model
    (``accepts_model``: model bias without a predicted-label column, feature attribution); it is an error for
    the others.
    """
    analysis = get_analysis(spec.analysis_type)
    if model is not None and not analysis.accepts_model:
        raise JobError(f"analysis_type {analysis.name} takes no model; a model is only asked by MODEL_BIAS and "
                       "MODEL_EXPLAINABILITY")
    baseline = analysis.baseline(spec) if spec.is_monitoring else None
    if not spec.dataset_source.exists():
        raise JobError(f"dataset_source {spec.dataset_source} does not exist")
    _check_outputs(spec)
    post_handler = _load_script(spec.post_analytics_processor_script, "postprocess_handler") \
        if spec.post_analytics_processor_script else None
    analysed = analysis.analyse(spec, progress=progress, **({"model": model} if model is not None else {}))
    checked = None
    if baseline is None:
        files, violations = analysis.suggest(analysed, spec), 0
    else:
        checked = analysis.check(analysed, baseline, spec)
        files, violations = checked.files, checked.violations
    written = _publish(dict(files), spec)
    if checked is not None and spec.publish_cloudwatch_metrics:
        stamp = spec.metric_time or spec.start_time or spec.end_time \
            or datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        lines = analysis.metrics(analysed, checked, baseline, spec, timestamp=stamp)
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
    summary = checked.summary if checked is not None and checked.summary is not None else analysed.summary
    return JobOutcome(completed_message(violations), violations, tuple(written), summary,
                      checked.result if checked is not None else None, dict(analysed.skips))
