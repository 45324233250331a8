"""The model-quality HTML report: metrics against the baseline thresholds, violations, the confusion matrix and
the ROC and precision-recall curves as inline SVG, and sagewatch's extras (low-confidence counts, the label-free
estimate with its calibration, slices, skipped rows).

No scripts and no external assets (as :mod:`sagewatch.report.html`); every user-provided text (class labels,
slice values, metric names, skip reasons) is escaped; the same input gives the same bytes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sagewatch import __version__
from sagewatch.report.html import _CSS
from sagewatch.schemas.model_quality import ModelQualityConstraints, STATISTICS_KEYS, crosses

__all__ = ["render_model_quality_report", "MAX_MATRIX_CLASSES"]

#: the confusion matrix shows at most this many classes (the most frequent true classes), the rest pooled
MAX_MATRIX_CLASSES = 20
_SIZE = 260
_PAD = 34
_EXTRA_CSS = ".plots{display:flex;flex-wrap:wrap;gap:18px}.plot{background:#fff;border:1px solid #d9e2ec;" \
             "border-radius:6px;padding:8px}.num{text-align:right;font-variant-numeric:tabular-nums}"


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table whose cells are already HTML (escape before)."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _axes(title: str, x_label: str, y_label: str) -> list[str]:
    inner = _SIZE - 2 * _PAD
    return [f'<svg width="{_SIZE}" height="{_SIZE}" role="img" aria-label="{_esc(title)}">',
            f'<rect x="{_PAD}" y="{_PAD}" width="{inner}" height="{inner}" fill="#fff" stroke="#9aa5b1"/>',
            f'<text x="{_SIZE / 2:.1f}" y="14" font-size="12" text-anchor="middle">{_esc(title)}</text>',
            f'<text x="{_SIZE / 2:.1f}" y="{_SIZE - 6}" font-size="11" text-anchor="middle">{_esc(x_label)}</text>',
            f'<text x="10" y="{_SIZE / 2:.1f}" font-size="11" text-anchor="middle" '
            f'transform="rotate(-90 10 {_SIZE / 2:.1f})">{_esc(y_label)}</text>',
            f'<text x="{_PAD}" y="{_SIZE - _PAD + 12}" font-size="10" text-anchor="middle">0</text>',
            f'<text x="{_SIZE - _PAD}" y="{_SIZE - _PAD + 12}" font-size="10" text-anchor="middle">1</text>',
            f'<text x="{_PAD - 4}" y="{_PAD + 4}" font-size="10" text-anchor="end">1</text>']


def _point(x: float, y: float) -> str:
    inner = _SIZE - 2 * _PAD
    return f"{_PAD + inner * x:.1f},{_SIZE - _PAD - inner * y:.1f}"


def _curve_svg(title: str, x_label: str, y_label: str, xs: Sequence[float], ys: Sequence[float], *,
               diagonal: bool = False, markers: bool = False) -> str:
    parts = _axes(title, x_label, y_label)
    if diagonal:
        parts.append(f'<polyline points="{_point(0, 0)} {_point(1, 1)}" fill="none" stroke="#cbd2d9" '
                     'stroke-dasharray="4 3"/>')
    points = [(x, y) for x, y in zip(xs, ys) if isinstance(x, (int, float)) and isinstance(y, (int, float))
              and math.isfinite(x) and math.isfinite(y)]
    if points:
        parts.append('<polyline points="' + " ".join(_point(x, y) for x, y in points)
                     + '" fill="none" stroke="#2f80ed" stroke-width="2"/>')
        if markers:
            parts.extend(f'<circle cx="{_point(x, y).split(",")[0]}" cy="{_point(x, y).split(",")[1]}" r="3" '
                         f'fill="#2f80ed"><title>{_fmt(x)}, {_fmt(y)}</title></circle>' for x, y in points)
    else:
        parts.append(f'<text x="{_SIZE / 2:.1f}" y="{_SIZE / 2:.1f}" font-size="11" text-anchor="middle">'
                     'undefined (one class)</text>')
    parts.append("</svg>")
    return f'<div class="plot">{"".join(parts)}</div>'


def _confusion_svg(matrix: Mapping[str, Mapping[str, int]]) -> str:
    classes = list(matrix)
    pooled = 0
    if len(classes) > MAX_MATRIX_CLASSES:
        totals = {c: sum(matrix[c].values()) for c in classes}
        keep = sorted(classes, key=lambda c: (-totals[c], classes.index(c)))[:MAX_MATRIX_CLASSES]
        pooled = len(classes) - len(keep)
        classes = [c for c in classes if c in keep]
    n = len(classes)
    cell = max(18, min(60, (_SIZE * 2 - 80) // max(n, 1)))
    left, top = 80, 40
    peak = max((matrix[a].get(p, 0) for a in classes for p in classes), default=0) or 1
    width, height = left + cell * n + 10, top + cell * n + 10
    parts = [f'<svg width="{width}" height="{height}" role="img" aria-label="confusion matrix">',
             f'<text x="{left + cell * n / 2:.1f}" y="12" font-size="11" text-anchor="middle">predicted</text>',
             f'<text x="10" y="{top + cell * n / 2:.1f}" font-size="11" text-anchor="middle" '
             f'transform="rotate(-90 10 {top + cell * n / 2:.1f})">actual</text>']
    for j, predicted in enumerate(classes):
        parts.append(f'<text x="{left + cell * (j + 0.5):.1f}" y="{top - 6}" font-size="10" text-anchor="middle">'
                     f'{_esc(predicted[:12])}</text>')
    for i, actual in enumerate(classes):
        parts.append(f'<text x="{left - 6}" y="{top + cell * (i + 0.5) + 4:.1f}" font-size="10" text-anchor="end">'
                     f'{_esc(actual[:12])}</text>')
        for j, predicted in enumerate(classes):
            count = int(matrix[actual].get(predicted, 0))
            shade = 0.08 + 0.85 * count / peak
            color = "47,128,237" if i == j else "240,68,56"
            parts.append(f'<rect x="{left + cell * j}" y="{top + cell * i}" width="{cell}" height="{cell}" '
                         f'fill="rgba({color},{shade:.3f})" stroke="#fff"><title>actual {_esc(actual)}, predicted '
                         f'{_esc(predicted)}: {count}</title></rect>')
            if cell >= 28:
                parts.append(f'<text x="{left + cell * (j + 0.5):.1f}" y="{top + cell * (i + 0.5) + 4:.1f}" '
                             f'font-size="10" text-anchor="middle">{count}</text>')
    parts.append("</svg>")
    note = f'<p class="small">{pooled} less frequent classes not shown</p>' if pooled else ""
    return f'<div class="plot">{"".join(parts)}{note}</div>'


def _metrics_table(metrics: Mapping[str, Any], constraints: ModelQualityConstraints | None,
                   violated: set[str]) -> str:
    rows = []
    for name, entry in metrics.items():
        if not isinstance(entry, Mapping) or "value" not in entry:
            continue
        value, std = entry.get("value"), entry.get("standard_deviation")
        threshold = operator = "–"
        status = ""
        if constraints is not None and name in constraints.metrics:
            limit, op = constraints.metrics[name]
            threshold, operator = _fmt(limit), _esc(op)
            bad = name in violated or (isinstance(value, (int, float)) and crosses(float(value), limit, op))
            status = '<span class="bad">violated</span>' if bad else '<span class="ok">ok</span>'
        rows.append([_esc(name), f'<span class="num">{_fmt(value)}</span>',
                     _fmt(std) if isinstance(std, (int, float)) else _esc(std), threshold, operator, status])
    return _table(["metric", "value", "standard deviation", "baseline threshold", "operator", "status"], rows)


def _estimation(block: Mapping[str, Any]) -> list[str]:
    labelled = block.get("labels_available")
    out = [f"<h2>Label-free performance estimate ({_esc(block.get('method', 'CBPE'))})</h2>",
           f'<p class="small">{_esc(block.get("rows"))} rows; estimated from the predicted probabilities, assuming '
           "they are calibrated; the standard deviation is the sampling error under that assumption."
           + (" Labels are available: the realised metric is shown beside the estimate." if labelled else
              " No labels have arrived for these rows.")
           + (" The probabilities were first put through the calibration map fitted on the baseline."
              if block.get("calibrated_with_baseline") else "") + "</p>"]
    rows = []
    for name, entry in (block.get("metrics") or {}).items():
        row = [_esc(name), _fmt(entry.get("value")), _fmt(entry.get("standard_deviation"))]
        if labelled:
            err = entry.get("error_in_standard_deviations")
            flag = '<span class="bad">' if isinstance(err, (int, float)) and abs(err) > 3 else "<span>"
            row += [_fmt(entry.get("realised")), f"{flag}{_fmt(err, 3)}</span>"]
        rows.append(row)
    out.append(_table(["metric", "estimate", "standard deviation"]
                      + (["realised", "error (standard deviations)"] if labelled else []), rows))
    confusion = block.get("expected_confusion_matrix") or {}
    if confusion:
        out.append('<p class="small">expected confusion matrix: '
                   + " · ".join(f"{_esc(k)} {_fmt(v, 6)}" for k, v in confusion.items()) + "</p>")
    calibration = block.get("calibration")
    if calibration:
        out.append(f'<p>calibration on these labels: expected calibration error '
                   f'{_fmt(calibration.get("expected_calibration_error"))}, Brier score '
                   f'{_fmt(calibration.get("brier_score"))}</p>')
        bins = [b for b in calibration.get("bins", []) if b.get("rows")]
        out.append('<div class="plots">' + _curve_svg(
            "reliability", "mean predicted probability", "positive rate",
            [b["mean_probability"] for b in bins], [b["positive_rate"] for b in bins], diagonal=True, markers=True)
                   + "</div>")
    baseline = block.get("baseline_calibration")
    if baseline:
        if "error" in baseline:
            out.append(f'<p class="small bad">{_esc(baseline["error"])}</p>')
        else:
            out.append(f'<p>calibration on the baseline: expected calibration error '
                       f'{_fmt(baseline.get("expected_calibration_error"))}, Brier score '
                       f'{_fmt(baseline.get("brier_score"))}</p>')
    return out


def _slices(block: Mapping[str, Any]) -> list[str]:
    entries = block.get("entries") or []
    metric_names: list[str] = []
    estimated_names: list[str] = []
    for e in entries:
        metric_names += [m for m in (e.get("metrics") or {}) if m not in metric_names]
        estimated_names += [m for m in (e.get("estimated") or {}) if m not in estimated_names]
    rows = []
    for e in entries:
        low = e.get("low_confidence")
        row = [_esc(e.get("slice")), str(int(e.get("rows", 0)))]
        row += [_fmt((e.get("metrics") or {}).get(m)) for m in metric_names]
        row += [_fmt(((e.get("estimated") or {}).get(m) or {}).get("value")) for m in estimated_names]
        if any(x.get("low_confidence") for x in entries):
            row.append(f"{low['count']} ({_fmt(low['fraction'], 3)})" if low else "–")
        rows.append(row)
    header = ["slice", "rows"] + metric_names + [f"estimated {m}" for m in estimated_names]
    if any(x.get("low_confidence") for x in entries):
        header.append("low confidence")
    pooled = block.get("pooled_values") or 0
    return [f"<h2>Slices ({_esc(block.get('kind'))})</h2>", _table(header, rows)] + (
        [f'<p class="small">{int(pooled)} less frequent values pooled in (other)</p>'] if pooled else [])


def render_model_quality_report(*, statistics: Mapping[str, Any] | None,
                                violations: Sequence[Mapping[str, Any]] | None = None,
                                constraints: ModelQualityConstraints | None = None,
                                extra: Mapping[str, Any] | None = None,
                                title: str = "sagewatch model-quality report") -> str:
    """Render the model-quality report as one HTML document (string).

    ``statistics`` is a model-quality ``statistics.json`` document (``None`` for captures without labels, whose
    report holds only the estimate), ``violations`` the entries of ``constraint_violations.json``, ``constraints``
    the baseline's, ``extra`` the job's ``sagewatch_report.json``. Without ``violations`` (a baseline run) there
    is no violations section.
    """
    extra = extra or {}
    problem_type, metrics = "", {}
    for problem, key in STATISTICS_KEYS.items():
        if statistics is not None and key in statistics:
            problem_type, metrics = problem, statistics[key]
    problem_type = problem_type or str(extra.get("problem_type", ""))
    rows = (statistics or {}).get("dataset", {}).get("item_count", extra.get("rows_evaluated"))
    skipped = extra.get("skipped_rows") or {}
    out = [f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
           f"<style>{_CSS}{_EXTRA_CSS}</style></head><body><h1>{_esc(title)}</h1>"
           f'<div class="meta">generated by sagewatch {_esc(__version__)} · {_esc(problem_type)} · rows evaluated '
           f'{_esc(rows)}' + (f" · rows skipped {sum(skipped.values())}" if skipped else "")
           + ("" if statistics is not None else " · no labels: label-free estimate only") + "</div>"]
    if statistics is not None and violations is not None:
        status = f'<span class="bad">{len(violations)} violations</span>' if violations else \
            '<span class="ok">no violations</span>'
        out.append(f"<h2>Violations: {status}</h2>")
        if violations:
            out.append(_table(["metric", "check", "description"], [
                [_esc(v.get("metric_name")), _esc(v.get("constraint_check_type")), _esc(v.get("description"))]
                for v in violations]))
    estimated = extra.get("estimated_violations")
    if estimated:
        out.append(f'<h2>Estimated violations: <span class="bad">{len(estimated)}</span></h2>')
        out.append(_table(["metric", "estimate", "standard deviation", "threshold", "operator"], [
            [_esc(v.get("metric_name")), _fmt(v.get("estimated_value")), _fmt(v.get("standard_deviation")),
             _fmt(v.get("threshold")), _esc(v.get("comparison_operator"))] for v in estimated]))
    if metrics:
        violated = {str(v.get("metric_name")) for v in violations or ()}
        out.append("<h2>Metrics</h2>" + _metrics_table(metrics, constraints, violated))
        plots = []
        if isinstance(metrics.get("confusion_matrix"), Mapping):
            plots.append(_confusion_svg(metrics["confusion_matrix"]))
        roc = metrics.get("receiver_operating_characteristic_curve")
        if isinstance(roc, Mapping):
            auc = (metrics.get("auc") or {}).get("value")
            plots.append(_curve_svg(f"ROC curve (auc {_fmt(auc)})", "false positive rate", "true positive rate",
                                    roc.get("false_positive_rates", []), roc.get("true_positive_rates", []),
                                    diagonal=True))
        pr = metrics.get("precision_recall_curve")
        if isinstance(pr, Mapping):
            plots.append(_curve_svg("precision-recall curve", "recall", "precision", pr.get("recalls", []),
                                    pr.get("precisions", [])))
        if plots:
            out.append('<div class="plots">' + "".join(plots) + "</div>")
    low = extra.get("low_confidence")
    if low:
        out.append(f"<h2>Low-confidence predictions</h2><p>{_esc(low.get('count'))} of the rows "
                   f"({_fmt(low.get('fraction'), 3)}) have a confidence under {_fmt(low.get('threshold'))}"
                   + (f"; {_esc(low['rows_without_confidence'])} rows have no usable probability"
                      if low.get("rows_without_confidence") else "") + "</p>")
    never = extra.get("labels_never_predicted")
    if never:
        out.append('<h2>True classes never predicted</h2><p class="bad">'
                   + ", ".join(f"{_esc(k)} ({_esc(v)} rows)" for k, v in never.items()) + "</p>")
    if extra.get("estimation"):
        out.extend(_estimation(extra["estimation"]))
    if extra.get("slices"):
        out.extend(_slices(extra["slices"]))
    if skipped:
        out.append("<h2>Skipped rows</h2>" + _table(["reason", "rows"], [[_esc(k), _esc(v)]
                                                                          for k, v in skipped.items()]))
    not_evaluated = extra.get("constraints_not_evaluated")
    if not_evaluated:
        out.append('<p class="small">constraints not evaluated: ' + ", ".join(_esc(n) for n in not_evaluated)
                   + "</p>")
    out.append("</body></html>\n")
    return "".join(out)
