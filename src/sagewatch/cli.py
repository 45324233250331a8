"""The ``sagewatch`` command line: baseline, monitor, report, demo, local.

Errors end in one line on stderr and exit status 1, never a traceback: ``sagewatch <command>:
error: <message>`` for bad input, ``... error: unexpected <type>: <message>`` for anything else
(``--debug`` or ``SAGEWATCH_DEBUG=1`` prints the traceback too). Usage errors exit 2 (argparse);
``monitor --fail-on-violations`` exits 2 when violations exist.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sagewatch import __version__
from sagewatch.errors import SagewatchError

__all__ = ["main", "build_parser"]

FORMATS = ("csv", "json", "parquet", "capture")


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
        return {"csv": {"header": not args.no_header, "output_columns_position": args.output_columns_position}}
    if args.format == "json":
        return {"json": {"lines": not args.json_array}}
    if args.format == "parquet":
        return {"parquet": {}}
    return {"sagemakerCaptureJson": {"captureIndexNames": args.capture_index_names}}


def _add_dataset_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", type=Path, help="a data file or a folder (read recursively, files in name order)")
    parser.add_argument("--format", choices=FORMATS, default="csv",
                        help="dataset format: csv, json (JSON Lines unless --json-array), parquet, or capture "
                             "(SageMaker data-capture JSON Lines). Default: csv")
    parser.add_argument("--no-header", action="store_true",
                        help="csv: the first line is data; columns are named _c0, _c1, ...")
    parser.add_argument("--output-columns-position", choices=("START", "END"), default="START",
                        help="csv: where the model output columns are (SageMaker's output_columns_position). "
                             "Default: START")
    parser.add_argument("--json-array", action="store_true", help="json: the file is one JSON array, not JSON Lines")
    parser.add_argument("--capture-index-names", nargs="+", default=["endpointInput", "endpointOutput"],
                        metavar="NAME", help="capture: which parts of each record to analyse "
                                             "(default: endpointInput endpointOutput)")
    parser.add_argument("--dataset-format", metavar="JSON",
                        help="the dataset_format JSON of the processing-job contract; overrides --format, e.g. "
                             "'{\"csv\": {\"header\": false}}'")
    parser.add_argument("--preprocessor", type=Path, metavar="FILE",
                        help="a record pre-processor script defining preprocess_handler(inference_record)")
    parser.add_argument("--output", "-o", type=Path, required=True, help="folder for the result files")
    parser.add_argument("--report", type=Path, metavar="HTML", help="also write an HTML report to this file")
    parser.add_argument("--no-progress", action="store_true", help="do not show a progress bar")


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
                                      "job). Writes statistics.json, constraints.json and sagewatch_report.json.")
    _add_dataset_options(base)
    base.add_argument("--categorical-drift-method", choices=("LInfinity", "ChiSquared"),
                      help="written into the suggested monitoring_config (default LInfinity)")

    mon = sub.add_parser("monitor", help="check a dataset against a baseline; write constraint_violations.json",
                         description="Profile the current data and check it against baseline constraints and "
                                     "statistics (a SageMaker monitoring execution). Exit status 0 whether or not "
                                     "violations are found; see --fail-on-violations.")
    _add_dataset_options(mon)
    mon.add_argument("--baseline-statistics", type=Path, metavar="FILE", help="baseline statistics.json")
    mon.add_argument("--baseline-constraints", type=Path, metavar="FILE", required=True,
                     help="baseline constraints.json")
    mon.add_argument("--start-time", metavar="TIME", help="capture: analyse records from this time "
                                                          "(inclusive), e.g. 2024-05-01T10:00:00Z")
    mon.add_argument("--end-time", metavar="TIME", help="capture: analyse records before this time (exclusive)")
    mon.add_argument("--endpoint", metavar="NAME", help="endpoint name for the CloudWatch metric dimensions")
    mon.add_argument("--schedule", metavar="NAME", help="monitoring schedule name for the metric dimensions")
    mon.add_argument("--metrics-dir", type=Path, metavar="DIR",
                     help="write CloudWatch metric lines (JSON Lines) into this folder")
    mon.add_argument("--fail-on-violations", action="store_true", help="exit with status 2 when violations exist")

    rep = sub.add_parser("report", help="render an HTML report from result files",
                         description="Render a self-contained HTML report (distributions, drift distances, "
                                     "violations) from the files of a baseline and a monitoring run.")
    rep.add_argument("--statistics", type=Path, required=True, metavar="FILE", help="current statistics.json")
    rep.add_argument("--baseline-statistics", type=Path, metavar="FILE", help="baseline statistics.json")
    rep.add_argument("--violations", type=Path, metavar="FILE", help="constraint_violations.json")
    rep.add_argument("--extra", type=Path, metavar="FILE", help="sagewatch_report.json of the monitoring run")
    rep.add_argument("--output", "-o", type=Path, required=True, metavar="HTML", help="the HTML file to write")

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


def _spec(args: argparse.Namespace, monitoring: bool):
    from sagewatch.job.spec import JobSpec, OptMlPaths, parse_time
    return JobSpec(
        dataset_source=args.dataset, output_path=args.output, dataset_format=_dataset_format(args),
        paths=OptMlPaths(args.output),
        baseline_statistics=getattr(args, "baseline_statistics", None) if monitoring else None,
        baseline_constraints=getattr(args, "baseline_constraints", None) if monitoring else None,
        start_time=parse_time(args.start_time, "--start-time") if monitoring and args.start_time else None,
        end_time=parse_time(args.end_time, "--end-time") if monitoring and args.end_time else None,
        publish_cloudwatch_metrics=bool(monitoring and args.metrics_dir),
        endpoint_name=getattr(args, "endpoint", None), schedule_name=getattr(args, "schedule", None),
        categorical_drift_method=getattr(args, "categorical_drift_method", None),
        record_preprocessor_script=args.preprocessor, metrics_dir=getattr(args, "metrics_dir", None),
    )


def _write_report(output: Path, report: Path | None, baseline_statistics: Path | None) -> None:
    if report is None:
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
        print(f"  {v.feature_name:<24} {v.constraint_check_type:<26} {v.description}")


def _run(args: argparse.Namespace) -> int:
    from sagewatch.job.run import run_job
    monitoring = args.command == "monitor"
    bar = _ProgressBar(not args.no_progress)
    try:
        outcome = run_job(_spec(args, monitoring), progress=bar.callback)
    finally:
        bar.close()
    print(outcome.message)
    if outcome.skips and sum(outcome.skips.values()):
        print(f"skipped records: {outcome.skips}")
    _print_violations(outcome)
    for path in outcome.outputs:
        print(f"wrote {path}")
    _write_report(args.output, args.report, args.baseline_statistics if monitoring else None)
    return 2 if monitoring and args.fail_on_violations and outcome.violations else 0


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
    args = build_parser().parse_args(argv)
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
    if args.command == "demo":
        if args.offline:
            from sagewatch.demo import run_demo
            return run_demo(args.workdir, rows=args.rows or 20_000)
        from sagewatch.demo_local import run_local_demo
        return run_local_demo(args.workdir, rows=args.rows or 400, keep=args.keep, port=args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
