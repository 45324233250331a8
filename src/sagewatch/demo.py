"""The local demo loop behind ``make demo``: baseline, drifted traffic, violations, HTML report."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pacsv

from sagewatch.demo_data import churn_table, drifted_churn_table
from sagewatch.job.run import run_job
from sagewatch.job.spec import JobSpec, OptMlPaths
from sagewatch.report.files import render_report_files

__all__ = ["run_demo"]

CSV_FORMAT = {"csv": {"header": True, "output_columns_position": "START"}}


def run_demo(workdir: Path, *, rows: int = 20_000) -> int:
    workdir = Path(workdir)
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(churn_table(rows), data / "baseline.csv")
    (data / "drifted").mkdir(exist_ok=True)
    pacsv.write_csv(drifted_churn_table(max(rows // 5, 500)), data / "drifted" / "batch.csv")
    print(f"1. generated {rows} baseline rows and a drifted batch under {data}")

    baseline_out = workdir / "baseline"
    baseline = run_job(JobSpec(dataset_source=data / "baseline.csv", output_path=baseline_out,
                               dataset_format=CSV_FORMAT, paths=OptMlPaths(workdir / "opt-ml")))
    print(f"2. baseline: {baseline.message} -> {baseline_out}/statistics.json, constraints.json")

    monitor_out = workdir / "monitoring"
    outcome = run_job(JobSpec(dataset_source=data / "drifted", output_path=monitor_out, dataset_format=CSV_FORMAT,
                              paths=OptMlPaths(workdir / "opt-ml"),
                              baseline_statistics=baseline_out / "statistics.json",
                              baseline_constraints=baseline_out / "constraints.json"))
    print(f"3. monitoring the drifted batch: {outcome.message}")
    for v in outcome.check.violations:
        print(f"   - {v.feature_name:<16} {v.constraint_check_type:<25} {v.description}")
    report = render_report_files(statistics=monitor_out / "statistics.json",
                                 baseline_statistics=baseline_out / "statistics.json",
                                 violations=monitor_out / "constraint_violations.json",
                                 extra=monitor_out / "sagewatch_report.json", output=workdir / "report.html")
    print(f"4. HTML report: {report}")
    return 0
