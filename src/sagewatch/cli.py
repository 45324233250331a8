"""The ``sagewatch`` command line: baseline, monitor, merge, report, demo, local.

``baseline`` and ``monitor`` run any monitor on the same dataset options: ``--monitor data-quality`` (the
default), ``--monitor model-quality`` with the model-quality settings of the processing-job contract
(``--problem-type``, ``--inference-attribute``, ...), or ``--monitor model-bias`` / ``model-explainability`` with
Clarify's ``analysis_config.json`` (``--analysis-config``, ``--model``; see :mod:`sagewatch.cli_clarify`). ``merge`` joins data-capture files with ground-truth
labels into the merged records a model-quality ``monitor`` reads (``--format merged``).

Errors end in one line on stderr and exit status 1, never a traceback: ``sagewatch <command>:
error: <message>`` for bad input, ``... error: unexpected <type>: <message>`` for anything else
(``--debug`` or ``SAGEWATCH_DEBUG=1`` prints the traceback too). Usage errors exit 2 (argparse);
``monitor --fail-on-violations`` exits 2 when violations exist.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sagewatch import __version__
from sagewatch.cli_clarify import (CLARIFY_MONITORS, add_clarify_monitor_options, add_clarify_options,
                                   check_clarify_options, clarify_settings, print_clarify_outcome, unit_interval,
                                   write_clarify_report)
from sagewatch.errors import SagewatchError

__all__ = ["main", "build_parser"]

FORMATS = ("csv", "json", "parquet", "capture", "merged")
MONITORS = ("data-quality", "model-quality", *CLARIFY_MONITORS)
PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")
#: the model-quality options and the processing-job settings they set (contract §4.2, §6.1)
MODEL_QUALITY_OPTIONS = {"problem_type": "--problem-type", "inference_attribute": "--inference-attribute",
                         "probability_attribute": "--probability-attribute",
                         "probability_threshold_attribute": "--probability-threshold-attribute",
                         "ground_truth_attribute": "--ground-truth-attribute", "positive_label": "--positive-label"}
MERGE_REPORT = "_merge_report.json"
_DEFAULT_INDEX_NAMES = {"capture": ["endpointInput", "endpointOutput"], "merged": ["endpointOutput"]}


def _dataset_format(args: argparse.Namespace) -> dict[str, Any]:
    if args.dataset_format:
        try:
            value = json.loads(args.dataset_format)
        except json.JSONDecodeError as e:
            raise SagewatchError(f"--dataset-format is not valid JSON: {e.msg}") from e
        except RecursionError as e:
            raise SagewatchError("--dataset-format is nested too deeply to be a dataset format") from e
        return value
    if args.format == "csv":
        return {"csv": {"header": not args.no_header,
                        "output_columns_position": args.output_columns_position or "START"}}
    if args.format == "json":
        return {"json": {"lines": not args.json_array}}
    if args.format == "parquet":
        return {"parquet": {}}
    names = args.capture_index_names or _DEFAULT_INDEX_NAMES[args.format]
    if args.format == "merged":
        return {"sagemakerMergeJson": {"captureIndexNames": names}}
    return {"sagemakerCaptureJson": {"captureIndexNames": names}}


def _add_dataset_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", type=Path, help="a data file or a folder (read recursively, files in name order)")
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="dataset format: csv, json (JSON Lines unless --json-array), parquet, capture "
                             "(SageMaker data-capture JSON Lines) or merged (captures merged with ground truth by "
                             "'sagewatch merge'). Default: csv; for model-bias and model-explainability the "
                             "dataset_type of --analysis-config")
    parser.add_argument("--no-header", action="store_true",
                        help="csv: the first line is data; columns are named _c0, _c1, ...")
    parser.add_argument("--output-columns-position", choices=("START", "END"), default=None,
                        help="csv: where the model output columns are (SageMaker's output_columns_position). "
                             "Default: START")
    parser.add_argument("--json-array", action="store_true", help="json: the file is one JSON array, not JSON Lines")
    parser.add_argument("--capture-index-names", nargs="+", default=None,
                        metavar="NAME", help="capture, merged: which parts of each record to analyse "
                                             "(default: endpointInput endpointOutput; merged: endpointOutput)")
    parser.add_argument("--dataset-format", metavar="JSON",
                        help="the dataset_format JSON of the processing-job contract; overrides --format, e.g. "
                             "'{\"csv\": {\"header\": false}}'")
    parser.add_argument("--preprocessor", type=Path, metavar="FILE",
                        help="a record pre-processor script defining preprocess_handler(inference_record)")
    parser.add_argument("--output", "-o", type=Path, required=True, help="folder for the result files")
    parser.add_argument("--report", type=Path, metavar="HTML", help="also write an HTML report to this file")
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    _add_model_quality_options(parser)
    add_clarify_options(parser)


def _add_model_quality_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--monitor", choices=MONITORS, default="data-quality",
                        help="which monitor: data-quality (the default), model-quality (metrics of predictions "
                             "against ground-truth labels), model-bias (Clarify's pre- and post-training bias "
                             "metrics) or model-explainability (SHAP feature attributions); each needs its options "
                             "below")
    group = parser.add_argument_group("model quality (with --monitor model-quality)")
    group.add_argument("--problem-type", choices=PROBLEM_TYPES,
                       help="BinaryClassification, MulticlassClassification or Regression (monitor: default from "
                            "the baseline constraints)")
    group.add_argument("--inference-attribute", metavar="COLUMN",
                       help="the predicted label (or value) column: a name, a zero-based index or a JSON path such "
                            "as $.predictions[0]")
    group.add_argument("--probability-attribute", metavar="COLUMN",
                       help="BinaryClassification: the score column, for auc and the ROC and PR curves; without "
                            "--inference-attribute a score at or above the threshold predicts the positive class")
    group.add_argument("--probability-threshold-attribute", type=unit_interval, metavar="P",
                       help="BinaryClassification: the threshold for --probability-attribute (default 0.5)")
    group.add_argument("--ground-truth-attribute", metavar="COLUMN",
                       help="the label column of a csv, json or parquet dataset (merged records carry their label)")
    group.add_argument("--positive-label", metavar="LABEL",
                       help="BinaryClassification: the positive class (default 1)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sagewatch",
        description="SageMaker Model Monitor, anywhere: profile data, suggest constraints, detect drift and "
                    "violations, with files byte-compatible with SageMaker's.")
    parser.add_argument("--version", action="version", version=f"sagewatch {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="print the traceback of an unexpected error (also: SAGEWATCH_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    base = sub.add_parser("baseline", help="profile a baseline dataset; write statistics.json and constraints.json",
                          description="Profile a baseline dataset and suggest constraints (a SageMaker baselining "
                                      "job). Writes statistics.json, constraints.json and sagewatch_report.json. "
                                      "With --monitor model-quality: the model's metrics on a labelled dataset "
                                      "and the suggested metric thresholds. With --monitor model-bias or "
                                      "model-explainability: Clarify's bias metrics or SHAP feature attributions "
                                      "(analysis.json).")
    _add_dataset_options(base)
    base.add_argument("--categorical-drift-method", choices=("LInfinity", "ChiSquared"),
                      help="written into the suggested monitoring_config (default LInfinity)")

    mon = sub.add_parser("monitor", help="check a dataset against a baseline; write constraint_violations.json",
                         description="Profile the current data and check it against baseline constraints and "
                                     "statistics (a SageMaker monitoring execution). With --monitor model-quality: "
                                     "the model's metrics on labelled data (e.g. captures merged with ground "
                                     "truth by 'sagewatch merge', --format merged) checked against the baseline's "
                                     "metric thresholds. With --monitor model-bias or model-explainability: "
                                     "bias drift or feature-attribution drift against a baseline analysis.json "
                                     "(--baseline). Exit status 0 whether or not violations are found; see "
                                     "--fail-on-violations.")
    _add_dataset_options(mon)
    mon.add_argument("--baseline-statistics", type=Path, metavar="FILE", help="baseline statistics.json")
    mon.add_argument("--baseline-constraints", type=Path, metavar="FILE",
                     help="baseline constraints.json (required for data-quality and model-quality)")
    mon.add_argument("--start-time", metavar="TIME", help="capture: analyse records from this time "
                                                          "(inclusive), e.g. 2024-05-01T10:00:00Z")
    mon.add_argument("--end-time", metavar="TIME", help="capture: analyse records before this time (exclusive)")
    mon.add_argument("--endpoint", metavar="NAME", help="endpoint name for the CloudWatch metric dimensions")
    mon.add_argument("--schedule", metavar="NAME", help="monitoring schedule name for the metric dimensions")
    mon.add_argument("--metrics-dir", type=Path, metavar="DIR",
                     help="write CloudWatch metric lines (JSON Lines) into this folder")
    mon.add_argument("--fail-on-violations", action="store_true", help="exit with status 2 when violations exist")
    add_clarify_monitor_options(mon)

    rep = sub.add_parser("report", help="render an HTML report from result files",
                         description="Render a self-contained HTML report (distributions, drift distances, "
                                     "violations) from the files of a baseline and a monitoring run.")
    rep.add_argument("--statistics", type=Path, required=True, metavar="FILE", help="current statistics.json")
    rep.add_argument("--baseline-statistics", type=Path, metavar="FILE", help="baseline statistics.json")
    rep.add_argument("--violations", type=Path, metavar="FILE", help="constraint_violations.json")
    rep.add_argument("--extra", type=Path, metavar="FILE", help="sagewatch_report.json of the monitoring run")
    rep.add_argument("--output", "-o", type=Path, required=True, metavar="HTML", help="the HTML file to write")

    merge = sub.add_parser("merge", help="join data-capture files with ground-truth labels for model quality",
                           description="Join data-capture records with ground-truth records on inferenceId (else "
                                       "eventId), as SageMaker's merge job does, and write the merged records "
                                       "(merged.jsonl) for 'sagewatch monitor --monitor model-quality --format "
                                       "merged'. Both folders are read recursively, e.g. laid out as in S3: "
                                       "captures/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl and "
                                       "labels/yyyy/mm/dd/hh/*.jsonl. A label read later replaces an earlier one "
                                       "for the same record. Fails when nothing merges.")
    merge.add_argument("captures", type=Path, help="a data-capture file or folder")
    merge.add_argument("ground_truth", type=Path, help="a ground-truth JSON Lines file or folder")
    merge.add_argument("--output", "-o", type=Path, required=True,
                       help=f"folder for merged.jsonl and {MERGE_REPORT} (the counts; its leading _ keeps dataset "
                            "readers from reading it as data)")

    demo = sub.add_parser("demo", help="run the local demo loop",
                          description="The full local loop: start LocalStack with the sagewatch plugin, cdk deploy "
                                      "the storage, endpoint and monitoring stacks, run a baselining job, send normal "
                                      "and drifted traffic, run the monitoring schedule now, print the violations and "
                                      "write an HTML report, then cdk destroy. With --offline: the engine alone on "
                                      "local files (no LocalStack, no CDK).")
    demo.add_argument("--workdir", type=Path, default=Path("demo-output"), help="folder for all demo files")
    demo.add_argument("--rows", type=int, default=None,
                      help="rows of traffic per phase (default 400), or with --offline rows in the baseline "
                           "dataset (default 20000)")
    demo.add_argument("--offline", action="store_true", help="run the engine alone on local files")
    demo.add_argument("--keep", action="store_true",
                      help="leave the stacks deployed and LocalStack running after the demo")
    demo.add_argument("--port", type=int, default=None, help="LocalStack port (default 4566)")

    local = sub.add_parser("local", help="start, stop and inspect the local emulator (LocalStack + plugin)",
                           description="Manage LocalStack with the sagewatch plugin on this host. "
                                       "Run 'sagewatch local up --help' for the options.", add_help=False)
    local.add_argument("local_args", nargs=argparse.REMAINDER, help="up | down | status | logs, and their options")
    return parser


class _ProgressBar:
    """A tqdm bar over profiled rows, shown on a terminal only."""

    def __init__(self, enabled: bool) -> None:
        self._bar = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm
            self._bar = tqdm(unit=" rows", unit_scale=True, desc="profiling", file=sys.stderr)

    @property
    def callback(self):
        return self._bar.update if self._bar is not None else None

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _model_quality_settings(args: argparse.Namespace) -> dict[str, Any]:
    if args.monitor != "model-quality":
        return {}
    return {"analysis_type": "MODEL_QUALITY", **{key: getattr(args, key) for key in MODEL_QUALITY_OPTIONS}}


def _spec(args: argparse.Namespace, monitoring: bool):
    from sagewatch.job.spec import JobSpec, OptMlPaths, parse_time
    settings: dict[str, Any] = dict(
        dataset_source=args.dataset, output_path=args.output, paths=OptMlPaths(args.output),
        baseline_statistics=getattr(args, "baseline_statistics", None) if monitoring else None,
        baseline_constraints=getattr(args, "baseline_constraints", None) if monitoring else None,
        start_time=parse_time(args.start_time, "--start-time") if monitoring and args.start_time else None,
        end_time=parse_time(args.end_time, "--end-time") if monitoring and args.end_time else None,
        publish_cloudwatch_metrics=bool(monitoring and args.metrics_dir),
        endpoint_name=getattr(args, "endpoint", None), schedule_name=getattr(args, "schedule", None),
        categorical_drift_method=getattr(args, "categorical_drift_method", None),
        record_preprocessor_script=args.preprocessor, metrics_dir=getattr(args, "metrics_dir", None),
        **_model_quality_settings(args),
    )
    clarify = clarify_settings(args)
    settings.update(clarify)
    if not clarify:
        settings["dataset_format"] = _dataset_format(args)
    return JobSpec(**settings)


def _check_model_quality_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors (exit 2) for option combinations that cannot work, before any file is read."""
    if args.command not in ("baseline", "monitor"):
        return
    check_clarify_options(parser, args)
    if args.monitor in CLARIFY_MONITORS:
        given = [option for key, option in MODEL_QUALITY_OPTIONS.items() if getattr(args, key) is not None]
        if given:
            parser.error(f"{given[0]} is a model-quality option: add --monitor model-quality")
        return
    if args.format is None:
        args.format = "csv"
    if args.command == "monitor" and args.baseline_constraints is None:
        parser.error(f"--monitor {args.monitor} needs --baseline-constraints (the baseline constraints.json)")
    given = [option for key, option in MODEL_QUALITY_OPTIONS.items() if getattr(args, key) is not None]
    if args.monitor != "model-quality":
        if given:
            parser.error(f"{given[0]} is a model-quality option: add --monitor model-quality")
        if args.format == "merged":
            parser.error("--format merged holds captures merged with ground truth, the input of --monitor "
                         "model-quality; for data quality use --format capture on the captures themselves")
        return
    if args.command == "baseline" and args.problem_type is None:
        parser.error(f"--monitor model-quality needs --problem-type ({', '.join(PROBLEM_TYPES)})")
    if args.command == "baseline" and args.categorical_drift_method:
        parser.error("--categorical-drift-method is a data-quality option; model quality has no drift methods")
    if args.format == "capture":
        parser.error("--format capture: captures hold no labels; join them with the ground truth first "
                     "('sagewatch merge CAPTURES LABELS --output DIR') and monitor DIR with --format merged")
    if args.format == "merged" and args.ground_truth_attribute is not None:
        parser.error("--ground-truth-attribute does not apply to --format merged: each merged record carries "
                     "its label (groundTruthData)")
    if args.format not in ("merged",) and args.ground_truth_attribute is None and not args.dataset_format:
        parser.error(f"--monitor model-quality with --format {args.format} needs --ground-truth-attribute "
                     "(the label column)")
    problem = args.problem_type
    binary_only = [option for key, option in MODEL_QUALITY_OPTIONS.items()
                   if key in ("probability_attribute", "probability_threshold_attribute", "positive_label")
                   and getattr(args, key) is not None]
    if problem is not None and problem != "BinaryClassification" and binary_only:
        parser.error(f"{binary_only[0]} applies to --problem-type BinaryClassification only, not {problem}")
    if args.inference_attribute is None and args.probability_attribute is None:
        parser.error("--monitor model-quality needs --inference-attribute (the predicted "
                     f"{'value' if problem == 'Regression' else 'label'} column)"
                     + ("" if problem not in (None, "BinaryClassification") else
                        " or, for BinaryClassification, --probability-attribute"))
    if args.inference_attribute is None and problem not in (None, "BinaryClassification"):
        parser.error(f"{problem} needs --inference-attribute (the predicted "
                     f"{'value' if problem == 'Regression' else 'label'} column); --probability-attribute "
                     "alone is for BinaryClassification")
    if args.probability_threshold_attribute is not None and args.probability_attribute is None:
        parser.error("--probability-threshold-attribute needs --probability-attribute (the score it applies to)")


def _problem_type_from_baseline(args: argparse.Namespace) -> None:
    """``monitor --monitor model-quality`` without ``--problem-type``: the baseline constraints' problem type (a
    constraints file that cannot be read is reported by the job, naming the file and field)."""
    if args.command != "monitor" or args.monitor != "model-quality" or args.problem_type is not None:
        return
    from sagewatch.schemas.model_quality import load_model_quality_constraints
    try:
        args.problem_type = load_model_quality_constraints(args.baseline_constraints).problem_type
    except SagewatchError:
        return
    if args.problem_type != "BinaryClassification":
        extra = [option for key, option in MODEL_QUALITY_OPTIONS.items()
                 if key in ("probability_attribute", "probability_threshold_attribute", "positive_label")
                 and getattr(args, key) is not None]
        if extra:
            raise SagewatchError(f"{extra[0]} applies to BinaryClassification only; the baseline constraints "
                                 f"{args.baseline_constraints.name} are {args.problem_type} constraints")
        if args.inference_attribute is None:
            raise SagewatchError(f"{args.problem_type} needs --inference-attribute (the baseline constraints "
                                 f"{args.baseline_constraints.name} are {args.problem_type} constraints)")


def _write_report(output: Path, report: Path | None, baseline_statistics: Path | None, *,
                  model_quality_constraints: Path | None = None) -> None:
    if report is None:
        return
    if model_quality_constraints is not None:  # the model-quality report: metrics against these thresholds
        from sagewatch.report.files import render_model_quality_report_files
        statistics = output / "statistics.json"
        render_model_quality_report_files(output=report, statistics=statistics if statistics.exists() else None,
                                          violations=output / "constraint_violations.json",
                                          constraints=model_quality_constraints,
                                          extra=output / "sagewatch_report.json")
        print(f"report: {report}")
        return
    from sagewatch.report.files import render_report_files
    render_report_files(statistics=output / "statistics.json", baseline_statistics=baseline_statistics,
                        violations=output / "constraint_violations.json", extra=output / "sagewatch_report.json",
                        output=report)
    print(f"report: {report}")


def _print_violations(outcome) -> None:
    if outcome.check is None:
        return
    for v in outcome.check.violations:
        if isinstance(v, dict):  # model quality: {"constraint_check_type", "description", "metric_name"}
            print(f"  {v['metric_name']:<24} {v['constraint_check_type']:<26} {v['description']}")
        else:
            print(f"  {v.feature_name:<24} {v.constraint_check_type:<26} {v.description}")


def _print_model_metrics(outcome) -> None:
    from sagewatch.quality.metrics import SCALAR_METRICS
    summary = outcome.summary
    metrics = summary.metrics
    shown = [f"{name} {metrics[name]['value']:.4g}" for name in SCALAR_METRICS[summary.problem_type]
             if name in metrics and not name.endswith("_best_constant_classifier")]
    print(f"{summary.problem_type}, {summary.statistics['dataset']['item_count']} rows: {', '.join(shown)}")


def _run(args: argparse.Namespace) -> int:
    from sagewatch.job.run import run_job
    monitoring = args.command == "monitor"
    _problem_type_from_baseline(args)
    _check_baseline_monitor(args)
    bar = _ProgressBar(not args.no_progress)
    try:
        outcome = run_job(_spec(args, monitoring), progress=bar.callback)
    except SagewatchError as e:
        if args.monitor != "model-quality":
            raise
        raise SagewatchError(_option_names(str(e))) from e
    finally:
        bar.close()
    print(outcome.message)
    if args.monitor == "model-quality":
        _print_model_metrics(outcome)
    if outcome.skips and sum(outcome.skips.values()):
        print(f"skipped records: {outcome.skips}")
    if args.monitor in CLARIFY_MONITORS:
        print_clarify_outcome(args, outcome)
    else:
        _print_violations(outcome)
    for path in outcome.outputs:
        print(f"wrote {path}")
    if args.monitor in CLARIFY_MONITORS:
        write_clarify_report(args, outcome)
    elif args.monitor == "model-quality":
        constraints = args.baseline_constraints if monitoring else args.output / "constraints.json"
        _write_report(args.output, args.report, None, model_quality_constraints=constraints)
    else:
        _write_report(args.output, args.report, args.baseline_statistics if monitoring else None)
    return 2 if monitoring and args.fail_on_violations and outcome.violations else 0


def _option_names(message: str) -> str:
    """A job message in the CLI's words: ``inference_attribute 'p' names no column`` -> ``--inference-attribute
    'p' names no column``.

    >>> _option_names("problem_type Regression does not fit the data; set positive_label")
    '--problem-type Regression does not fit the data; set --positive-label'
    """
    return re.sub(r"\b(" + "|".join(MODEL_QUALITY_OPTIONS) + r")\b", lambda m: MODEL_QUALITY_OPTIONS[m.group(1)],
                  message)


def _check_baseline_monitor(args: argparse.Namespace) -> None:
    """A data-quality ``monitor`` given model-quality constraints: say which option is missing."""
    if args.command != "monitor" or args.monitor != "data-quality":
        return
    try:
        document = json.loads(args.baseline_constraints.read_bytes())
    except (OSError, ValueError, RecursionError):
        return  # the job names what is wrong with the file
    from sagewatch.schemas.model_quality import CONSTRAINTS_KEYS
    found = [key for key in CONSTRAINTS_KEYS.values() if isinstance(document, dict) and key in document]
    if found:
        raise SagewatchError(f"{args.baseline_constraints.name} holds model-quality constraints ({found[0]}): "
                             "add --monitor model-quality")


def _merge(args: argparse.Namespace) -> int:
    from sagewatch.datasets.files import CAPTURE_SUFFIXES, find_data_files
    from sagewatch.quality.merge import merge_ground_truth, write_merged
    for label, folder in (("captures", args.captures), ("ground truth", args.ground_truth)):
        if not folder.exists():
            raise SagewatchError(f"{label} {folder} does not exist")
        if folder.is_dir() and args.output.resolve().is_relative_to(folder.resolve()):
            raise SagewatchError(f"--output {args.output} is inside the {label} folder {folder}: the next merge "
                                 "would read the merged records as input; write them elsewhere")
    if args.output.exists() and not args.output.is_dir():
        raise SagewatchError(f"--output {args.output} is a file; it must be a folder")
    captures = find_data_files(args.captures, suffixes=CAPTURE_SUFFIXES)
    labels = find_data_files(args.ground_truth, suffixes=CAPTURE_SUFFIXES)
    result = merge_ground_truth(captures, labels)
    counts = result.counts
    print(f"merged {counts.merged} of {counts.captures} captures with {counts.labels} labels "
          f"({len(captures)} capture files, {len(labels)} ground-truth files)")
    print("counts: " + ", ".join(f"{k} {v}" for k, v in counts.to_dict().items() if v and k not in
                                 ("captures", "labels", "merged")))
    if counts.merged == 0:
        raise SagewatchError(
            f"nothing to merge: none of the {counts.captures} captures has a label among the {counts.labels} "
            f"ground-truth records (captures are joined on eventMetadata.inferenceId, else eventId; labels name "
            f"it in eventMetadata.eventId; unmatched captures {counts.unmatched_captures}, unmatched labels "
            f"{counts.unmatched_labels}, bad capture lines {counts.bad_capture_lines}, bad label lines "
            f"{counts.bad_label_lines})")
    try:
        args.output.mkdir(parents=True, exist_ok=True)
        write_merged(result, args.output / "merged.jsonl")
        (args.output / MERGE_REPORT).write_text(json.dumps(counts.to_dict(), indent=2) + "\n")
    except OSError as e:
        raise SagewatchError(f"cannot write to --output {args.output}: {e.strerror or e}") from e
    print(f"wrote {args.output / 'merged.jsonl'}")
    print(f"wrote {args.output / MERGE_REPORT}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from sagewatch.report.files import render_report_files
    render_report_files(statistics=args.statistics, baseline_statistics=args.baseline_statistics,
                        violations=args.violations, extra=args.extra, output=args.output)
    print(f"wrote {args.output}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "local":
        from sagewatch.localstack.launcher import main as local_main
        return int(local_main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    _check_model_quality_options(_subparser(parser, args.command), args)
    from sagewatch.job.process import configure_process
    configure_process()
    debug = args.debug or os.environ.get("SAGEWATCH_DEBUG", "").strip().lower() in ("1", "true", "yes")
    try:
        return _dispatch(args)
    except SagewatchError as e:
        print(f"sagewatch {args.command}: error: {_one_line(e)}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return 1
    except KeyboardInterrupt:
        print(f"sagewatch {args.command}: interrupted", file=sys.stderr)
        return 130
    except BaseException as e:  # noqa: BLE001 - one line, not a traceback (SystemExit from user code too)
        print(f"sagewatch {args.command}: error: unexpected {_describe(e)}"
              + ("" if debug else " (run with --debug for the traceback)"), file=sys.stderr)
        if debug:
            traceback.print_exc()
        return 1


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices[command]


def _one_line(e: BaseException) -> str:
    try:
        text = " ".join(str(e).split())
    except BaseException:  # noqa: BLE001 - str() itself failed (e.g. MemoryError)
        text = ""
    return text[:2000] or type(e).__name__


def _describe(e: BaseException) -> str:
    if isinstance(e, SystemExit):
        return f"sys.exit({e.code!r})"
    return f"{type(e).__name__}: {_one_line(e)}"


def _dispatch(args: argparse.Namespace) -> int:
    if args.command in ("baseline", "monitor"):
        return _run(args)
    if args.command == "report":
        return _report(args)
    if args.command == "merge":
        return _merge(args)
    if args.command == "demo":
        if args.offline:
            from sagewatch.demo import run_demo
            return run_demo(args.workdir, rows=args.rows or 20_000)
        from sagewatch.demo_local import run_local_demo
        return run_local_demo(args.workdir, rows=args.rows or 400, keep=args.keep, port=args.port)
    return 0


def console_main() -> None:
    """The ``sagewatch`` console script: :func:`main`, then :func:`sagewatch.process_exit.exit_process`."""
    from sagewatch.process_exit import run_and_exit

    run_and_exit(main)


if __name__ == "__main__":
    console_main()
