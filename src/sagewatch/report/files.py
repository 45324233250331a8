"""Render the HTML report from result files on disk (data quality, or model quality when the statistics are a
model-quality ``statistics.json`` or absent next to a model-quality ``sagewatch_report.json``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sagewatch.errors import InvalidParameterError
from sagewatch.report.html import render_report
from sagewatch.report.model_quality_html import render_model_quality_report
from sagewatch.schemas.constraints import load_violations
from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.model_quality import (STATISTICS_KEYS, load_model_quality_constraints,
                                             load_model_quality_statistics)
from sagewatch.schemas.quality_report import check_quality_report
from sagewatch.schemas.report import check_report
from sagewatch.schemas.statistics import load_statistics

__all__ = ["render_report_files", "render_model_quality_report_files", "is_model_quality_statistics"]


def _report(path: Path | None) -> dict | None:
    if path is None or not path.exists():
        return None
    document = read_json_file(path, "sagewatch report")
    check_report(document, source=str(path))  # its declared layout; the renderer reads the plain document
    return document


def _prepare(output: Path) -> None:
    try:  # the place to write is checked before any work
        output.parent.mkdir(parents=True, exist_ok=True)
        if output.is_dir():
            raise IsADirectoryError(21, "is a folder")
    except OSError as e:
        raise InvalidParameterError(f"cannot write the report to {output}: {e.strerror or e}") from e


def _write(output: Path, text: str) -> Path:
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InvalidParameterError(f"cannot write the report to {output}: {e.strerror or e}") from e
    return output


def is_model_quality_statistics(path: Path) -> bool:
    """Whether ``path`` holds a model-quality ``statistics.json`` (one of its three metrics blocks)."""
    document = read_json_file(path, "statistics")
    return isinstance(document, dict) and any(key in document for key in STATISTICS_KEYS.values())


def render_model_quality_report_files(*, output: Path, statistics: Path | None = None,
                                      violations: Path | None = None, constraints: Path | None = None,
                                      extra: Path | None = None) -> Path:
    """Render the model-quality report; every file is checked against its declared layout first
    (:class:`~sagewatch.errors.SchemaError` names the file and field). ``statistics`` may be ``None`` for
    captures without labels, whose ``extra`` report holds the label-free estimate."""
    _prepare(output)
    if statistics is None and (extra is None or not extra.exists()):
        raise InvalidParameterError("a model-quality report needs statistics.json or sagewatch_report.json")
    document: dict[str, Any] | None = None
    if statistics is not None:
        load_model_quality_statistics(statistics)
        document = read_json_file(statistics, "model-quality statistics")
    found: list[dict[str, Any]] | None = None
    if violations is not None and violations.exists():
        raw = read_json_file(violations, "model-quality violations")
        found = [v for v in (raw.get("violations") or []) if isinstance(v, dict)] if isinstance(raw, dict) else []
    baseline = load_model_quality_constraints(constraints) if constraints is not None and constraints.exists() \
        else None
    report = None
    if extra is not None and extra.exists():
        report = read_json_file(extra, "sagewatch report")
        check_quality_report(report, source=str(extra))
    return _write(output, render_model_quality_report(statistics=document, violations=found, constraints=baseline,
                                                      extra=report))


def render_report_files(*, statistics: Path, output: Path, baseline_statistics: Path | None = None,
                        violations: Path | None = None, extra: Path | None = None) -> Path:
    if statistics.exists() and is_model_quality_statistics(statistics):
        constraints = baseline_statistics.parent / "constraints.json" if baseline_statistics is not None else None
        return render_model_quality_report_files(output=output, statistics=statistics, violations=violations,
                                                 constraints=constraints, extra=extra)
    _prepare(output)
    current = load_statistics(statistics)
    baseline = load_statistics(baseline_statistics) if baseline_statistics else None
    found = load_violations(violations) if violations is not None and violations.exists() else []
    text = render_report(current=current, baseline=baseline, violations=found,
                         extra=_report(extra))
    return _write(output, text)
