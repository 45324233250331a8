"""Render the HTML report from result files on disk."""

from __future__ import annotations

from pathlib import Path

from sagewatch.errors import InvalidParameterError
from sagewatch.report.html import render_report
from sagewatch.schemas.constraints import load_violations
from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.report import check_report
from sagewatch.schemas.statistics import load_statistics

__all__ = ["render_report_files"]


def _report(path: Path | None) -> dict | None:
    if path is None or not path.exists():
        return None
    document = read_json_file(path, "sagewatch report")
    check_report(document, source=str(path))  # its declared layout; the renderer reads the plain document
    return document


def render_report_files(*, statistics: Path, output: Path, baseline_statistics: Path | None = None,
                        violations: Path | None = None, extra: Path | None = None) -> Path:
    try:  # the place to write is checked before any work
        output.parent.mkdir(parents=True, exist_ok=True)
        if output.is_dir():
            raise IsADirectoryError(21, "is a folder")
    except OSError as e:
        raise InvalidParameterError(f"cannot write the report to {output}: {e.strerror or e}") from e
    current = load_statistics(statistics)
    baseline = load_statistics(baseline_statistics) if baseline_statistics else None
    found = load_violations(violations) if violations is not None and violations.exists() else []
    text = render_report(current=current, baseline=baseline, violations=found,
                         extra=_report(extra))
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InvalidParameterError(f"cannot write the report to {output}: {e.strerror or e}") from e
    return output
