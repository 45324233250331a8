"""Render the HTML report from result files on disk."""

from __future__ import annotations

import json
from pathlib import Path

from sagewatch.errors import SchemaError
from sagewatch.report.html import render_report
from sagewatch.schemas.statistics import load_statistics

__all__ = ["render_report_files"]


def _json(path: Path | None, what: str) -> dict | None:
    if path is None or not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise SchemaError(f"cannot read {what}: {e}", source=str(path)) from e


def render_report_files(*, statistics: Path, output: Path, baseline_statistics: Path | None = None,
                        violations: Path | None = None, extra: Path | None = None) -> Path:
    current = load_statistics(statistics)
    baseline = load_statistics(baseline_statistics) if baseline_statistics else None
    found = _json(violations, "constraint violations") or {}
    text = render_report(current=current, baseline=baseline, violations=found.get("violations", []),
                         extra=_json(extra, "sagewatch report"))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return output
