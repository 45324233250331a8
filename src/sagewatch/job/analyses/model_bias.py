"""The model-bias analysis (``analysis_type=MODEL_BIAS``, contract §7): Clarify's bias metrics of a dataset
that holds the labels and the model's predicted labels.

* the settings come from Clarify's ``analysis_config.json``: the file named by the job's ``analysis_config``
  setting, else ``/opt/ml/processing/input/config/analysis_config.json`` (contract §7.1);
* the data is ``dataset_source``, read as the config's ``dataset_type`` says (a capture-format
  ``dataset_format`` of a monitoring job, ``sagemakerCaptureJson``/``sagemakerMergeJson``, wins);
* baselining (no baseline) writes ``analysis.json``; monitoring compares it with the baseline
  ``analysis.json`` given as ``baseline_constraints`` (bias drift, §7.6) and writes
  ``constraint_violations.json`` too; the metric lines go to ``aws/sagemaker/Endpoints/bias-metrics``.

Post-training metrics without a ``predicted_label`` column ask the model injected by the caller
(``run_job(spec, model=...)``, a :class:`~sagewatch.clarify.predictions.Predictor`: the Clarify container's
shadow endpoint of ``predictor``); without one they fail naming ``predicted_label``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sagewatch.clarify.bias.dataset import run_bias_analysis
from sagewatch.clarify.bias.drift import DriftResult, bias_metric_lines, check_bias_drift
from sagewatch.clarify.bias.report import BiasReport
from sagewatch.clarify.predictions import Predictor
from sagewatch.datasets import parse_dataset_format
from sagewatch.datasets.formats import CaptureJsonFormat, DatasetFormat
from sagewatch.errors import JobError, SagewatchError
from sagewatch.job.analyses import Analysed, Analysis, Checked, register_analysis
from sagewatch.job.spec import JobSpec
from sagewatch.schemas.clarify_analysis import (ANALYSIS_FILE, BiasAnalysis, dumps_analysis, dumps_bias_violations,
                                                load_bias_analysis, parse_bias_analysis)
from sagewatch.schemas.clarify_config import ANALYSIS_CONFIG_FILE, load_analysis_config
from sagewatch.schemas.constraints import VIOLATIONS_FILE
from sagewatch.schemas.metric_lines import format_metric_time
from sagewatch.schemas.report import REPORT_FILE

__all__ = ["ModelBias", "CONFIG_SETTING", "config_path"]

CONFIG_SETTING = "analysis_config"  # sagewatch setting: where analysis_config.json is, if not at the §7.1 path
CLARIFY_CONFIG_PATH = "/opt/ml/processing/input/config/" + ANALYSIS_CONFIG_FILE


def config_path(spec: JobSpec) -> Path:
    """The job's ``analysis_config.json``."""
    return spec.analysis_config or spec.paths.relocate(CLARIFY_CONFIG_PATH)


def _capture_format(spec: JobSpec) -> DatasetFormat | None:
    if not spec.dataset_format:
        return None
    fmt = parse_dataset_format(spec.dataset_format)
    return fmt if isinstance(fmt, CaptureJsonFormat) else None


class ModelBias(Analysis):
    name = "MODEL_BIAS"
    accepts_model = True

    def baseline(self, spec: JobSpec) -> BiasAnalysis:
        if spec.baseline_constraints is None:
            raise JobError("bias monitoring needs baseline_constraints (the analysis.json of a bias baseline)")
        try:
            return load_bias_analysis(spec.baseline_constraints)
        except SagewatchError as e:
            raise JobError(f"cannot load the baseline: {e}") from e

    def analyse(self, spec: JobSpec, *, progress: Callable[[int], None] | None = None,
                model: Predictor | None = None) -> Analysed:
        path = config_path(spec)
        if not path.is_file():
            raise JobError(f"{ANALYSIS_CONFIG_FILE} not found at {path} (set {CONFIG_SETTING} to its path)")
        config = load_analysis_config(path)
        report = run_bias_analysis(config, spec.dataset_source, start_time=spec.start_time, end_time=spec.end_time,
                                   fmt=_capture_format(spec), predictor=model)
        if progress:
            progress(report.rows)
        return Analysed(report, dict(report.skips))

    def suggest(self, analysed: Analysed, spec: JobSpec) -> Mapping[str, str]:
        report: BiasReport = analysed.summary
        return {ANALYSIS_FILE: dumps_analysis(report.document), REPORT_FILE: self._report(report, None)}

    def check(self, analysed: Analysed, baseline: BiasAnalysis, spec: JobSpec) -> Checked:
        report: BiasReport = analysed.summary
        current = parse_bias_analysis(json.loads(dumps_analysis(report.document)))
        result = check_bias_drift(current, baseline)
        files = {ANALYSIS_FILE: dumps_analysis(report.document),
                 VIOLATIONS_FILE: dumps_bias_violations(list(result.violations)),
                 REPORT_FILE: self._report(report, result)}
        return Checked(files, len(result.violations), result, report)

    def metrics(self, analysed: Analysed, checked: Checked, baseline: BiasAnalysis, spec: JobSpec, *,
                timestamp: datetime) -> list[dict[str, Any]]:
        report: BiasReport = analysed.summary
        current = parse_bias_analysis(json.loads(dumps_analysis(report.document)))
        return bias_metric_lines(current, timestamp=format_metric_time(timestamp), endpoint=spec.endpoint_name,
                                 schedule=spec.schedule_name)

    @staticmethod
    def _report(report: BiasReport, result: DriftResult | None) -> str:
        document: dict[str, Any] = {"monitor": "ModelBias", "rows_evaluated": report.rows,
                                    "skipped_rows": dict(report.skips)}
        if result is not None:
            document["violations"] = len(result.violations)
            document["metrics_not_evaluated"] = list(result.not_evaluated)
        return json.dumps(document, indent=2)


register_analysis(ModelBias())
