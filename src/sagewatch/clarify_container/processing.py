"""Clarify's processing-job mode (the SDK's ``SageMakerClarifyProcessor.run_pre_training_bias`` /
``run_post_training_bias`` / ``run_bias`` / ``run_explainability``; contract §7.1, §7.2).

The ``methods`` present in ``analysis_config.json`` run on ``/opt/ml/processing/input/data``, read as its
``dataset_type`` says, and write ONE ``analysis.json`` to ``/opt/ml/processing/output``, as Clarify does when several
methods run: ``version``, then ``post_training_bias_metrics`` / ``pre_training_bias_metrics``, then
``explanations``. ``shap`` with ``save_local_shap_values`` adds ``explanations_shap/out.csv``; ``report`` adds
``report.html``. Post-training bias without a ``predicted_label`` column and ``shap`` ask the model of
``predictor``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sagewatch.clarify.config import bias_methods
from sagewatch.clarify.predictions import Predictor
from sagewatch.errors import JobError
from sagewatch.job.analyses import get_analysis
from sagewatch.job.run import _publish, completed_message  # the analyzer's atomic writer of result files
from sagewatch.job.spec import JobSpec, parse_job_spec
from sagewatch.report.clarify_html import REPORT_HTML_FILE, render_clarify_report
from sagewatch.schemas.clarify_analysis import ANALYSIS_FILE, dumps_analysis
from sagewatch.schemas.clarify_config import AnalysisConfig
from sagewatch.schemas.explainability import LOCAL_SHAP_FILE

__all__ = ["run_processing_job", "dataset_format_setting"]

_FORMATS = {"application/jsonlines": {"json": {"lines": True}}, "application/json": {"json": {"lines": False}},
            "application/x-parquet": {"parquet": {}}, "application/sagemakercapturejson": {"sagemakerCaptureJson": {}}}


def dataset_format_setting(config: AnalysisConfig) -> dict[str, Any]:
    """The analyzer's ``dataset_format`` for the config's ``dataset_type``.

    >>> from sagewatch.schemas.clarify_config import parse_analysis_config
    >>> dataset_format_setting(parse_analysis_config({"dataset_type": "text/csv", "headers": ["a"]}))
    {'csv': {'header': False}}
    """
    if config.dataset_type == "text/csv":
        return {"csv": {"header": config.headers is None}}
    try:
        return _FORMATS[config.dataset_type]
    except KeyError:
        raise JobError(f"analysis_config.json: dataset_type {config.dataset_type} is not supported by sagewatch's "
                       "Clarify container (tabular data only)") from None


def _spec(env: Mapping[str, str], analysis_type: str, config_file: Path, **extra: str) -> JobSpec:
    spec = parse_job_spec({**env, "analysis_type": analysis_type, "analysis_config": str(config_file), **extra})
    if not spec.dataset_source.exists():
        raise JobError(f"no dataset at {spec.dataset_source}: a Clarify job reads its data from the dataset input "
                       "(/opt/ml/processing/input/data)")
    return spec


def run_processing_job(env: Mapping[str, str], config: AnalysisConfig, config_file: Path,
                       predictor: Predictor | None) -> str:
    """Run the config's methods; the exit message. Raises :class:`JobError` (or the engine's errors) naming the
    problem."""
    pre, post = bias_methods(config)
    shap = config.methods.shap if config.methods else None
    if pre is None and post is None and shap is None:
        raise JobError("analysis_config.json: methods asks for no analysis; give pre_training_bias, "
                       "post_training_bias and/or shap")
    document: dict[str, Any] = {"version": "1.0"}
    files: dict[str, str] = {}
    spec = None
    if pre is not None or post is not None:
        spec = _spec(env, "MODEL_BIAS", config_file)
        asks_model = post is not None and config.predicted_label is None
        if asks_model and predictor is None:
            raise JobError("analysis_config.json: post-training bias needs predicted labels: name their column in "
                           "predicted_label, or give the model in predictor (model_name or endpoint_name)")
        analysed = get_analysis("MODEL_BIAS").analyse(spec, model=predictor if asks_model else None)
        document.update((k, v) for k, v in analysed.summary.document.items() if k != "version")
    if shap is not None:
        spec = _spec(env, "MODEL_EXPLAINABILITY", config_file,
                     dataset_format=json.dumps(dataset_format_setting(config)))
        if predictor is None and spec.model_path is None:
            raise JobError("analysis_config.json: the shap method needs the model: give predictor (model_name or "
                           "endpoint_name)")
        analysed = get_analysis("MODEL_EXPLAINABILITY").analyse(spec, model=predictor)
        explanation = analysed.summary.explanation
        document["explanations"] = explanation.analysis_document()["explanations"]
        if shap.save_local_shap_values:
            files[LOCAL_SHAP_FILE] = explanation.local_csv()
    files[ANALYSIS_FILE] = dumps_analysis(document)
    report = config.methods.report if config.methods else None
    if report is not None:
        files[REPORT_HTML_FILE] = render_clarify_report(document, title=report.title)
    assert spec is not None
    written = _publish(files, spec)
    for path in written:
        print(f"sagewatch clarify: wrote {path.relative_to(spec.output_path)}", flush=True)
    return completed_message(0)
