"""The ``sagewatch`` console script, run as a user would."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SAGEWATCH = [sys.executable, "-m", "sagewatch"]


def _run(*args, check=True):
    done = subprocess.run([*SAGEWATCH, *map(str, args)], capture_output=True, text=True, timeout=180)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def test_help_explains_every_option():
    for command in ("baseline", "monitor", "report", "demo"):
        text = _run(command, "--help").stdout
        options = [w for w in text.split() if w.startswith("--")]
        assert options, command
    monitor = _run("monitor", "--help").stdout
    for option in ("--baseline-statistics", "--baseline-constraints", "--start-time", "--end-time",
                   "--metrics-dir", "--fail-on-violations", "--format", "--report"):
        assert option in monitor


def test_baseline_monitor_report(tmp_path, churn_files):
    base_out, mon_out = tmp_path / "base", tmp_path / "mon"
    done = _run("baseline", churn_files / "baseline", "--output", base_out)
    assert "Completed" in done.stdout
    done = _run("monitor", churn_files / "drifted", "--output", mon_out,
                "--baseline-statistics", base_out / "statistics.json",
                "--baseline-constraints", base_out / "constraints.json", "--report", tmp_path / "r.html")
    assert "CompletedWithViolations" in done.stdout and "monthly_charges" in done.stdout
    html = (tmp_path / "r.html").read_text()
    assert html.startswith("<!doctype html>") and "monthly_charges" in html and "<script" not in html
    assert "baseline_drift_check" in html
    failing = _run("monitor", churn_files / "drifted", "--output", tmp_path / "mon2",
                   "--baseline-constraints", base_out / "constraints.json", "--fail-on-violations", check=False)
    assert failing.returncode == 2
    _run("report", "--statistics", mon_out / "statistics.json", "--baseline-statistics", base_out / "statistics.json",
         "--violations", mon_out / "constraint_violations.json", "--output", tmp_path / "again.html")
    assert "monthly_charges" in (tmp_path / "again.html").read_text()


def test_cli_errors_are_specific(tmp_path, churn_files):
    done = _run("monitor", churn_files / "drifted", "--output", tmp_path / "x",
                "--baseline-constraints", tmp_path / "missing.json", check=False)
    assert done.returncode == 1 and "baseline constraints file not found" in done.stderr
    done = _run("baseline", tmp_path / "nothing-here", "--output", tmp_path / "y", check=False)
    assert done.returncode == 1 and "does not exist" in done.stderr


def test_demo_runs(tmp_path):
    done = _run("demo", "--offline", "--workdir", tmp_path / "demo", "--rows", "3000")
    assert "CompletedWithViolations" in done.stdout
    assert (tmp_path / "demo" / "report.html").exists()
