"""``sagewatch baseline|monitor --monitor model-bias|model-explainability``: the CLI side of the Clarify analyses.

The command line builds the job settings of ``analysis_type`` ``MODEL_BIAS`` / ``MODEL_EXPLAINABILITY`` (the
``analysis_config``, ``sagewatch_model``, ``sagewatch_explainer`` and ``sagewatch_attribution_threshold``
settings of :class:`~sagewatch.job.spec.JobSpec`) and runs the same ``run_job`` as a processing job. Option
combinations that cannot work are usage errors (exit 2) naming the option, before any file is read.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sagewatch.errors import SagewatchError

__all__ = ["CLARIFY_MONITORS", "add_clarify_options", "add_clarify_monitor_options", "check_clarify_options",
           "clarify_settings", "print_clarify_outcome", "write_clarify_report"]

#: the --monitor values and the analysis_type they run
CLARIFY_MONITORS = {"model-bias": "MODEL_BIAS", "model-explainability": "MODEL_EXPLAINABILITY"}
EXPLAINERS = ("kernel_shap", "tree_shap")
#: analysis_config.json's dataset_type -> the --format it means
DATASET_TYPE_FORMATS = {"text/csv": "csv", "application/jsonlines": "json", "application/json": "json",
                        "application/x-parquet": "parquet", "application/sagemakercapturejson": "capture"}
_CAPTURE_PARTS = ["endpointInput", "endpointOutput"]


def unit_interval(text: str) -> float:
    """An option value from 0 to 1 (a probability threshold, an nDCG threshold); argparse's error otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, got {text!r}")
    return value


def add_clarify_options(parser: argparse.ArgumentParser) -> None:
    """The options of both ``baseline`` and ``monitor``."""
    group = parser.add_argument_group("bias and feature attribution (with --monitor model-bias or "
                                      "model-explainability)")
    group.add_argument("--analysis-config", type=Path, metavar="FILE",
                       help="Clarify's analysis_config.json: label, facets, methods, shap settings; its "
                            "dataset_type and headers say how to read the dataset (required for both monitors)")
    group.add_argument("--model", type=Path, metavar="PATH",
                       help="a local model file or folder (model.joblib, *.pkl, xgboost-model, *.ubj, *.json): "
                            "the model explained by model-explainability (required there), or for model-bias the "
                            "source of the predicted labels when analysis_config.json names no predicted_label")
    group.add_argument("--explainer", choices=EXPLAINERS,
                       help="model-explainability: kernel_shap (Clarify's, the default) or tree_shap (the exact "
                            "tree explainer for XGBoost and scikit-learn tree models, named in the output)")


def add_clarify_monitor_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``monitor`` only."""
    group = parser.add_argument_group("bias and feature attribution drift (with --monitor model-bias or "
                                      "model-explainability)")
    group.add_argument("--baseline", type=Path, metavar="FILE",
                       help="the baseline analysis.json (written by 'sagewatch baseline' with the same --monitor, "
                            "or by Clarify); required for both monitors")
    group.add_argument("--attribution-threshold", type=unit_interval, metavar="NDCG",
                       help="model-explainability: the nDCG below which a label's attribution ranking violates "
                            "(default 0.9)")


def _given(args: argparse.Namespace, *names: str) -> list[str]:
    return [f"--{name.replace('_', '-')}" for name in names if getattr(args, name, None) not in (None, False)]


def check_clarify_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) for Clarify options, before any file is read."""
    monitoring = args.command == "monitor"
    if args.monitor not in CLARIFY_MONITORS:
        for option in _given(args, "analysis_config", "model", "baseline"):
            parser.error(f"{option} is a bias and feature-attribution option: add --monitor model-bias or "
                         "--monitor model-explainability" + ("; the other monitors take --baseline-constraints"
                                                             if option == "--baseline" else ""))
        for option in _given(args, "explainer", "attribution_threshold"):
            parser.error(f"{option} is a feature-attribution option: add --monitor model-explainability")
        return
    monitor = f"--monitor {args.monitor}"
    if args.analysis_config is None:
        parser.error(f"{monitor} needs --analysis-config (Clarify's analysis_config.json)")
    explainability = args.monitor == "model-explainability"
    if explainability and args.model is None:
        parser.error(f"{monitor} needs --model (the model file or folder to explain)")
    if not explainability:
        for option in _given(args, "explainer", "attribution_threshold"):
            parser.error(f"{option} is a feature-attribution option: it applies to --monitor model-explainability, "
                         "not model-bias")
        if args.preprocessor is not None:
            parser.error("--preprocessor applies to --monitor data-quality, model-quality and model-explainability, "
                         "not model-bias")
    for option in _given(args, "categorical_drift_method"):
        parser.error(f"{option} is a data-quality option; {monitor} has no drift methods")
    for option in _given(args, "no_header", "json_array", "output_columns_position", "dataset_format"):
        parser.error(f"{option} does not apply to {monitor}: analysis_config.json's dataset_type and headers say "
                     "how to read the dataset")
    if monitoring:
        for option in _given(args, "baseline_constraints", "baseline_statistics"):
            parser.error(f"{option} is for data-quality and model-quality; {monitor} takes --baseline (the "
                         "baseline analysis.json)")
        if args.baseline is None:
            parser.error(f"{monitor} needs --baseline (the analysis.json of a "
                         f"{'feature-attribution' if explainability else 'bias'} baseline)")
    if args.format == "capture" and not explainability:
        parser.error("--format capture: captures hold no labels; join them with the ground truth first "
                     "('sagewatch merge CAPTURES LABELS --output DIR') and use DIR with --format merged")
    if args.format == "merged" and explainability:
        parser.error("--format merged does not apply to --monitor model-explainability: explain the captured "
                     "inputs with --format capture")
    if explainability and args.report is not None and not monitoring:
        parser.error("--report with --monitor model-explainability draws the attribution shift against a "
                     "baseline: use it with 'sagewatch monitor'")


def _dataset_format(args: argparse.Namespace, config: Any) -> dict[str, Any]:
    """The job's dataset_format: --format capture/merged, else the config's dataset_type (a --format given must
    agree with it)."""
    if args.format in ("capture", "merged"):
        key = "sagemakerMergeJson" if args.format == "merged" else "sagemakerCaptureJson"
        return {key: {"captureIndexNames": args.capture_index_names or _CAPTURE_PARTS}}
    meant = DATASET_TYPE_FORMATS.get(config.dataset_type)
    if meant is None:
        raise SagewatchError(f"--analysis-config {args.analysis_config.name}: dataset_type {config.dataset_type} is "
                             "not supported by the CLI (tabular data only)")
    if args.format is not None and args.format != meant:
        raise SagewatchError(f"--format {args.format} does not match dataset_type {config.dataset_type} of "
                             f"--analysis-config {args.analysis_config.name}; leave --format out or use --format "
                             f"{meant}")
    if config.dataset_type == "text/csv":
        return {"csv": {"header": config.headers is None}}
    if meant == "json":
        return {"json": {"lines": config.dataset_type == "application/jsonlines"}}
    if meant == "parquet":
        return {"parquet": {}}
    return {"sagemakerCaptureJson": {"captureIndexNames": args.capture_index_names or _CAPTURE_PARTS}}


def clarify_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The :class:`~sagewatch.job.spec.JobSpec` settings of a Clarify monitor (empty for the other monitors)."""
    if args.monitor not in CLARIFY_MONITORS:
        return {}
    from sagewatch.schemas.clarify_config import load_analysis_config

    if not args.analysis_config.is_file():
        raise SagewatchError(f"--analysis-config {args.analysis_config} is not a file")
    if args.model is not None and not args.model.exists():
        raise SagewatchError(f"--model {args.model} does not exist")
    monitoring = args.command == "monitor"
    if monitoring and not args.baseline.is_file():
        raise SagewatchError(f"--baseline {args.baseline} is not a file")
    config = load_analysis_config(args.analysis_config)
    return {"analysis_type": CLARIFY_MONITORS[args.monitor], "analysis_config": args.analysis_config,
            "model_path": args.model, "explainer": args.explainer, "dataset_format": _dataset_format(args, config),
            "attribution_threshold": getattr(args, "attribution_threshold", None),
            "baseline_constraints": args.baseline if monitoring else None}


def _fmt(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _print_bias(outcome: Any) -> None:
    report = outcome.summary
    print(f"bias, {report.rows} rows:")
    stages = {"pre_training_bias_metrics": "pre-training", "post_training_bias_metrics": "post-training"}
    for key, stage in stages.items():
        block = report.document.get(key)
        if not block:
            continue
        for facet, entries in block["facets"].items():
            for entry in entries:
                shown = " ".join(f"{m['name']} {_fmt(m['value'])}" for m in entry["metrics"])
                print(f"  {stage:<14} {facet}={entry['value_or_threshold']}: {shown}")
    for v in outcome.check.violations if outcome.check is not None else ():
        print(f"  {v['facet']}={v['facet_value']:<12} {v['metric_name']:<8} {v['constraint_check_type']:<18} "
              f"{v['description']}")


def _print_explainability(outcome: Any) -> None:
    explanation = outcome.summary.explanation
    print(f"feature attribution ({explanation.explainer}, {explanation.agg_method}), "
          f"{len(explanation.local.values)} records explained:")
    drift = {d.label: d for d in outcome.check.labels} if outcome.check is not None else {}
    for j, label in enumerate(explanation.label_names):
        values = explanation.global_values[j]
        order = sorted(range(len(values)), key=lambda i: (-abs(values[i]), i))[:10]
        top = ", ".join(f"{explanation.feature_names[i]} {values[i]:.4g}" for i in order)
        verdict = ""
        if label in drift:
            verdict = f" | nDCG {drift[label].ndcg:.4f} ({'violation' if drift[label].violated else 'ok'})"
        print(f"  {label}: {top}{verdict}")
    for v in outcome.check.violations if outcome.check is not None else ():
        print(f"  {v['label']:<24} {v['constraint_check_type']:<32} {v['description']}")


def print_clarify_outcome(args: argparse.Namespace, outcome: Any) -> None:
    """The summary lines of a Clarify run (metrics or top attributions, then the violations)."""
    if args.monitor == "model-bias":
        _print_bias(outcome)
    else:
        _print_explainability(outcome)


def write_clarify_report(args: argparse.Namespace, outcome: Any) -> None:
    """``--report``: the bias page (metrics, and drift against the baseline) or the attribution shift page."""
    if args.report is None:
        return
    if args.monitor == "model-bias":
        from sagewatch.report.bias_html import render_bias_report_files
        render_bias_report_files(output=args.report, analysis=args.output / "analysis.json",
                                 baseline=args.baseline if args.command == "monitor" else None,
                                 violations=args.output / "constraint_violations.json"
                                 if args.command == "monitor" else None,
                                 extra=args.output / "sagewatch_report.json")
    else:
        from sagewatch.clarify.explain.shift import render_attribution_page
        from sagewatch.errors import InvalidParameterError
        try:
            args.report.parent.mkdir(parents=True, exist_ok=True)
            args.report.write_text(render_attribution_page(outcome.check.report_block()), encoding="utf-8")
        except OSError as e:
            raise InvalidParameterError(f"cannot write the report to {args.report}: {e.strerror or e}") from e
    print(f"report: {args.report}")
