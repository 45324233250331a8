"""The model-bias analysis (``analysis_type=MODEL_BIAS``, contract §7): Clarify's bias metrics of a dataset
that holds the labels and the model's predicted labels.

* the settings come from Clarify's ``analysis_config.json``: the file named by the job's ``analysis_config``
  setting, else ``/opt/ml/processing/input/config/analysis_config.json`` (contract §7.1);
* the data is ``dataset_source``, read as the config's ``dataset_type`` says (a capture-format
  ``dataset_format`` of a monitoring job, ``sagemakerCaptureJson``/``sagemakerMergeJson``, wins). Merged
  captures (``sagemakerMergeJson``, a model-bias execution) are read as Clarify's monitoring reads them
  (:mod:`sagewatch.clarify.bias.merged`): features from ``endpointInput`` named by ``headers``, the label from
  ``groundTruthData``, the predicted label from ``endpointOutput`` (``inference_attribute``, or
  ``probability_attribute`` and ``probability_threshold_attribute``);
* baselining (no baseline) writes ``analysis.json``; monitoring compares it with the baseline
  ``analysis.json`` given as ``baseline_constraints`` (bias drift, §7.6) and writes
  ``constraint_violations.json`` too; the metric lines go to ``aws/sagemaker/Endpoints/bias-metrics``.

Post-training metrics without a ``predicted_label`` column ask the model injected by the caller
(``run_job(spec, model=...)``, a :class:`~sagewatch.clarify.predictions.Predictor`: the Clarify container's
shadow endpoint of ``predictor``), else the local model named by ``sagewatch_model`` (the CLI's ``--model``:
its ``predict``, or with ``probability_threshold`` its positive-class probability); without either they fail
naming ``predicted_label``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sagewatch.clarify.bias.dataset import run_bias_analysis
from sagewatch.clarify.bias.drift import DriftResult, bias_metric_lines, check_bias_drift
from sagewatch.clarify.bias.merged import MergedAttributes, run_merged_bias_analysis
from sagewatch.clarify.bias.report import BiasReport
from sagewatch.clarify.predictions import Predictor, local_predictor
from sagewatch.datasets import parse_dataset_format
from sagewatch.datasets.formats import CaptureJsonFormat, DatasetFormat, MergeJsonFormat
from sagewatch.errors import JobError, SagewatchError
from sagewatch.job.analyses import Analysed, Analysis, Checked, register_analysis
from sagewatch.job.analyses.model_quality import _merge_counts as merge_counts  # one reader of the merge's counts
from sagewatch.job.spec import JobSpec
from sagewatch.schemas.clarify_analysis import (ANALYSIS_FILE, BiasAnalysis, dumps_analysis, dumps_bias_violations,
                                                load_bias_analysis, parse_bias_analysis)
from sagewatch.schemas.clarify_config import ANALYSIS_CONFIG_FILE, AnalysisConfig, load_analysis_config
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


def _local_model(spec: JobSpec, config: AnalysisConfig) -> Predictor | None:
    """The model named by ``sagewatch_model`` as a predictor, if any (no default path: bias reads predictions from a
    column): its ``predict``, or with ``probability_threshold`` what it answers for explanation (the positive
    class' probability)."""
    if spec.model_path is None:
        return None
    if config.predicted_label is not None:
        raise JobError(f"{ANALYSIS_CONFIG_FILE}: field 'predicted_label' names the predicted labels and a model "
                       "(sagewatch_model) would give them too: leave out the model or predicted_label")
    from sagewatch.clarify.explain.model import load_local_model, predict_function
    if not spec.model_path.exists():
        raise JobError(f"no model at {spec.model_path} (sagewatch_model)")
    try:
        model = load_local_model(spec.model_path)
    except SagewatchError as e:
        raise JobError(str(e)) from e
    if config.probability_threshold is None and callable(getattr(model, "predict", None)) \
            and type(model).__name__ != "Booster":
        return local_predictor(model.predict)
    return local_predictor(predict_function(model))


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
        fmt = _capture_format(spec)
        if isinstance(fmt, MergeJsonFormat):  # a model-bias execution: the predictions are the captured outputs
            attributes = MergedAttributes(features=spec.features_attribute, inference=spec.inference_attribute,
                                          probability=spec.probability_attribute,
                                          probability_threshold=spec.probability_threshold_attribute)
            report = run_merged_bias_analysis(config, spec.dataset_source, attributes, start_time=spec.start_time,
                                              end_time=spec.end_time)
        else:
            report = run_bias_analysis(config, spec.dataset_source, start_time=spec.start_time,
                                       end_time=spec.end_time, fmt=fmt,
                                       predictor=model if model is not None else _local_model(spec, config))
        if progress:
            progress(report.rows)
        return Analysed(report, dict(report.skips))

    def suggest(self, analysed: Analysed, spec: JobSpec) -> Mapping[str, str]:
        report: BiasReport = analysed.summary
        return {ANALYSIS_FILE: dumps_analysis(report.document), REPORT_FILE: self._report(report, None, spec)}

    def check(self, analysed: Analysed, baseline: BiasAnalysis, spec: JobSpec) -> Checked:
        report: BiasReport = analysed.summary
        current = parse_bias_analysis(json.loads(dumps_analysis(report.document)))
        result = check_bias_drift(current, baseline)
        files = {ANALYSIS_FILE: dumps_analysis(report.document),
                 VIOLATIONS_FILE: dumps_bias_violations(list(result.violations)),
                 REPORT_FILE: self._report(report, result, spec)}
        return Checked(files, len(result.violations), result, report)

    def metrics(self, analysed: Analysed, checked: Checked, baseline: BiasAnalysis, spec: JobSpec, *,
                timestamp: datetime) -> list[dict[str, Any]]:
        report: BiasReport = analysed.summary
        current = parse_bias_analysis(json.loads(dumps_analysis(report.document)))
        return bias_metric_lines(current, timestamp=format_metric_time(timestamp), endpoint=spec.endpoint_name,
                                 schedule=spec.schedule_name)

    @staticmethod
    def _report(report: BiasReport, result: DriftResult | None, spec: JobSpec) -> str:
        document: dict[str, Any] = {"monitor": "ModelBias", "rows_evaluated": report.rows,
                                    "skipped_rows": dict(report.skips)}
        merge = merge_counts(spec)
        if merge is not None:  # a model-bias execution: what its ground-truth merge job joined and dropped
            document["merge"] = merge
        if result is not None:
            document["violations"] = len(result.violations)
            document["metrics_not_evaluated"] = list(result.not_evaluated)
        return json.dumps(document, indent=2)


register_analysis(ModelBias())
