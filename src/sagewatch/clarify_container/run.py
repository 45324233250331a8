"""The mode switch of the Clarify container and its monitoring mode (contract §7.1, §7.6; the fixed contract of a
ModelBias / ModelExplainability monitoring execution in docs/clarify.md).

Monitoring executions set ``endpoint_name`` and ``monitoring_schedule_name``; they reach the engine as the
analyzer's ``sagemaker_endpoint_name`` and ``sagemaker_monitoring_schedule_name``. Explainability asks the model
of ``predictor`` (injected into ``run_job``); bias takes its predicted labels from the merged captures and is
given no model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from sagewatch.clarify_container.endpoint import EndpointPredictor, deleting_on_sigterm
from sagewatch.clarify_container.payload import payload_format
from sagewatch.errors import JobError
from sagewatch.job.__main__ import export_user_environment
from sagewatch.job.run import run_job
from sagewatch.job.spec import OptMlPaths, parse_job_spec
from sagewatch.schemas.clarify_config import ANALYSIS_CONFIG_FILE, AnalysisConfig, load_analysis_config

__all__ = ["run_clarify", "analysis_mode", "job_environment", "feature_names", "CONFIG_PATH", "MODEL_BIAS",
           "MODEL_EXPLAINABILITY"]

CONFIG_PATH = "/opt/ml/processing/input/config/" + ANALYSIS_CONFIG_FILE  # Clarify's config input (contract §7.1)
MODEL_BIAS, MODEL_EXPLAINABILITY = "MODEL_BIAS", "MODEL_EXPLAINABILITY"
_ALIASES = {"endpoint_name": "sagemaker_endpoint_name",
            "monitoring_schedule_name": "sagemaker_monitoring_schedule_name"}


def job_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The environment with the monitoring execution's names added under the analyzer's names.

    >>> job_environment({"endpoint_name": "e"})["sagemaker_endpoint_name"]
    'e'
    """
    out = dict(env)
    for given, analyzer in _ALIASES.items():
        if out.get(given) and not out.get(analyzer):
            out[analyzer] = out[given]
    return out


def _baseline_kind(path: Path) -> str:
    try:
        document = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise JobError(f"baseline_constraints {path} does not exist") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise JobError(f"baseline_constraints {path.name} is not a JSON analysis.json: {error}") from error
    if isinstance(document, dict):
        if "explanations" in document:
            return MODEL_EXPLAINABILITY
        if "pre_training_bias_metrics" in document or "post_training_bias_metrics" in document:
            return MODEL_BIAS
    raise JobError(f"baseline_constraints {path.name} is neither a bias analysis.json (pre_training_bias_metrics, "
                   "post_training_bias_metrics) nor an explainability one (explanations)")


def analysis_mode(env: Mapping[str, str], paths: OptMlPaths) -> str | None:
    """``MODEL_BIAS`` / ``MODEL_EXPLAINABILITY`` (monitoring), or None (a Clarify processing job).

    Without ``analysis_type``, a ``baseline_constraints`` decides by its content (contract §7.1).
    """
    kind = env.get("analysis_type", "").strip().upper()
    if kind:
        if kind not in (MODEL_BIAS, MODEL_EXPLAINABILITY):
            raise JobError(f"analysis_type {env['analysis_type']!r} is not a Clarify analysis; the Clarify container "
                           f"runs {MODEL_BIAS} and {MODEL_EXPLAINABILITY} (or, without analysis_type, the methods "
                           "of analysis_config.json)")
        return kind
    baseline = env.get("baseline_constraints", "").strip()
    if baseline:
        return _baseline_kind(paths.relocate(baseline))
    return None


def feature_names(config: AnalysisConfig) -> tuple[str, ...]:
    """``headers`` without the label and the excluded columns (what is sent to the model), or () without headers.

    >>> from sagewatch.schemas.clarify_config import parse_analysis_config
    >>> feature_names(parse_analysis_config({"headers": ["a", "id", "y"], "label": "y", "excluded_columns": [1]}))
    ('a',)
    """
    headers = list(config.headers or ())
    if not headers:
        return ()
    skip = set()
    for column in (config.label, *(config.excluded_columns or ())):
        if isinstance(column, int) and not isinstance(column, bool):
            if 0 <= column < len(headers):
                skip.add(headers[column])
        elif column is not None:
            skip.add(column)
    return tuple(h for h in headers if h not in skip)


def _load_config(path: Path) -> AnalysisConfig:
    if not path.is_file():
        raise JobError(f"{ANALYSIS_CONFIG_FILE} not found at {path}: a Clarify job reads its configuration from the "
                       "analysis_config input (/opt/ml/processing/input/config)")
    return load_analysis_config(path)


def endpoint_predictor(config: AnalysisConfig) -> EndpointPredictor | None:
    """The model of the config's ``predictor`` (None without one); nothing starts before the first request."""
    if config.predictor is None:
        return None
    return EndpointPredictor(config.predictor, payload_format(config.predictor, config.dataset_type,
                                                              feature_names(config)))


def run_clarify(environ: Mapping[str, str]) -> str:
    """Run the Clarify job of ``environ``; returns the exit message, raises on failure (shadow endpoint deleted)."""
    from sagewatch.clarify_container.processing import run_processing_job

    paths = OptMlPaths.from_env(environ)
    env = job_environment(environ)
    mode = analysis_mode(env, paths)
    config_file = paths.relocate(env.get("analysis_config", "").strip() or CONFIG_PATH)
    config = _load_config(config_file)
    needs_model = mode == MODEL_EXPLAINABILITY or mode is None
    predictor = endpoint_predictor(config) if needs_model else None
    with deleting_on_sigterm(predictor):
        if mode is None:
            return run_processing_job(env, config, config_file, predictor)
        spec = parse_job_spec({**env, "analysis_type": mode, "analysis_config": str(config_file)})
        export_user_environment(spec)
        return run_job(spec, model=predictor).message
