"""The bias HTML report: Clarify's bias metrics per stage, facet and facet value, beside the baseline's, with
the bias-drift verdict of each metric and a bar per value showing how far it is from its ideal (0, or 1 for DI).

No scripts and no external assets (as :mod:`sagewatch.report.html`); every text from the files (facet names
and values, labels, error texts) is escaped; the same input gives the same bytes.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sagewatch import __version__
from sagewatch.clarify.bias.drift import distance_from_ideal
from sagewatch.errors import InvalidParameterError
from sagewatch.report.html import _CSS
from sagewatch.schemas.clarify_analysis import BiasAnalysis, load_bias_analysis, metric_value
from sagewatch.schemas.files import read_json_file

__all__ = ["render_bias_report", "render_bias_report_files"]

STAGE_TITLES = {"pre_training_bias_metrics": "Pre-training bias", "post_training_bias_metrics": "Post-training bias"}
_BAR_W, _BAR_H = 180, 14
_CURRENT, _BASE, _BAD = "#2f80ed", "#7b8794", "#f04438"
_EXTRA_CSS = ".num{text-align:right;font-variant-numeric:tabular-nums}td svg{vertical-align:middle}"


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _fmt(value: float | int | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.4g}" if isinstance(value, float) else metric_value(value)


def _bar(code: str, value: float | int | None, baseline: float | int | None, peak: float, violated: bool) -> str:
    """Distance from the ideal value as a bar (current above, baseline below); infinite distances fill it."""
    parts = [f'<svg width="{_BAR_W}" height="{_BAR_H}" role="img" aria-label="{_esc(code)} distance from ideal">']
    for row, (key, number, color) in enumerate((("current", value, _BAD if violated else _CURRENT),
                                                ("baseline", baseline, _BASE))):
        if number is None:
            continue
        distance = distance_from_ideal(code, number)
        width = _BAR_W if math.isinf(distance) else _BAR_W * distance / peak
        parts.append(f'<rect x="0" y="{row * 7}" width="{width:.1f}" height="6" fill="{color}">'
                     f"<title>{key}: {_esc(_fmt(number))}</title></rect>")
    parts.append("</svg>")
    return "".join(parts)


def _metric_rows(stage: str, facet: str, entry: Any, baseline: Mapping[tuple[str, str, str, str], Any],
                 violated: set[tuple[str, str, str]], has_baseline: bool) -> list[str]:
    finite = [distance_from_ideal(m.name, v) for m in entry.metrics
              for v in (m.value, baseline.get((stage, facet, entry.value_or_threshold, m.name)))
              if v is not None and not math.isinf(distance_from_ideal(m.name, v))]
    peak = max(finite + [0.0]) or 1.0
    rows = []
    for metric in entry.metrics:
        reference = baseline.get((stage, facet, entry.value_or_threshold, metric.name))
        bad = (facet, entry.value_or_threshold, metric.name) in violated
        if metric.value is None:
            status = f'<span class="small">not computed: {_esc(metric.error or "no value")}</span>'
        elif not has_baseline:
            status = ""
        elif reference is None:
            status = '<span class="small">not evaluated (no baseline value)</span>'
        else:
            status = '<span class="bad">violation</span>' if bad else '<span class="ok">ok</span>'
        cells = [f"<b>{_esc(metric.name)}</b>", _esc(metric.description), f'<span class="num">'
                 f"{_esc(_fmt(metric.value))}</span>"]
        if has_baseline:
            cells.append(f'<span class="num">{_esc(_fmt(reference))}</span>')
        cells += [_bar(metric.name, metric.value, reference if has_baseline else None, peak, bad), status]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return rows


def _values(analysis: BiasAnalysis | None) -> dict[tuple[str, str, str, str], Any]:
    if analysis is None:
        return {}
    return {(stage, facet, entry.value_or_threshold, metric.name): metric.value
            for stage, report in analysis.stages().items() for facet, entries in report.facets.items()
            for entry in entries for metric in entry.metrics}


def render_bias_report(current: BiasAnalysis, *, baseline: BiasAnalysis | None = None,
                       violations: Sequence[Mapping[str, Any]] = (), extra: Mapping[str, Any] | None = None) -> str:
    """A self-contained HTML page of a bias ``analysis.json`` (and its drift check against ``baseline``).

    Examples
    --------
    >>> from sagewatch.schemas.clarify_analysis import parse_bias_analysis
    >>> doc = parse_bias_analysis({"pre_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1",
    ...     "facets": {"sex": [{"value_or_threshold": "0", "metrics": [{"name": "CI", "value": 0.2}]}]}}})
    >>> page = render_bias_report(doc, baseline=doc)
    >>> page.startswith("<!doctype html>"), "<svg" in page, '<span class="ok">ok</span>' in page
    (True, True, True)
    """
    has_baseline = baseline is not None
    reference = _values(baseline)
    violated = {(str(v.get("facet")), str(v.get("facet_value")), str(v.get("metric_name"))) for v in violations}
    extra = extra or {}
    meta = [f"sagewatch {_esc(__version__)}"]
    if "rows_evaluated" in extra:
        meta.append(f"{_esc(extra['rows_evaluated'])} rows")
    skipped = {k: v for k, v in (extra.get("skipped_rows") or {}).items() if v}
    if skipped:
        meta.append("skipped: " + ", ".join(f"{_esc(k)} {_esc(v)}" for k, v in sorted(skipped.items())))
    if has_baseline:
        meta.append(f'<span class="{"bad" if violations else "ok"}">{len(violations)} violations</span>')
    out = ['<!doctype html><html lang="en"><head><meta charset="utf-8"><title>sagewatch bias report</title>',
           f"<style>{_CSS}{_EXTRA_CSS}</style></head><body><h1>sagewatch bias report</h1>",
           f'<div class="meta">{" · ".join(meta)}</div>']
    if has_baseline:
        out.append('<p class="small">A metric violates when it is farther from its ideal value (0; 1 for DI) than '
                   'the baseline\'s. Bars: distance from the ideal, current <span style="color:'
                   f'{_CURRENT}">■</span> above, baseline <span style="color:{_BASE}">■</span> below.</p>')
    else:
        out.append('<p class="small">Bars: distance of each value from its ideal (0; 1 for DI).</p>')
    if violations:
        out.append("<h2>Violations</h2><table><tr><th>facet</th><th>value</th><th>metric</th><th>description</th>"
                   "</tr>" + "".join(
                       f"<tr><td>{_esc(v.get('facet'))}</td><td>{_esc(v.get('facet_value'))}</td>"
                       f"<td>{_esc(v.get('metric_name'))}</td><td class=\"bad\">{_esc(v.get('description'))}</td></tr>"
                       for v in violations) + "</table>")
    header = "<tr><th>metric</th><th>description</th><th>value</th>" + \
        ("<th>baseline</th>" if has_baseline else "") + "<th>distance from ideal</th><th></th></tr>"
    for stage, report in current.stages().items():
        out.append(f"<h2>{_esc(STAGE_TITLES[stage])}</h2><p class=\"small\">label {_esc(report.label)}, positive "
                   f"{_esc(report.label_value_or_threshold)}</p>")
        for facet, entries in report.facets.items():
            for entry in entries:
                out.append(f"<h3>facet {_esc(facet)} = {_esc(entry.value_or_threshold)}</h3><table>{header}")
                out += _metric_rows(stage, facet, entry, reference, violated, has_baseline)
                out.append("</table>")
    not_evaluated = extra.get("metrics_not_evaluated") or []
    if has_baseline and not_evaluated:
        out.append(f'<h2>Not evaluated</h2><p class="small">{len(not_evaluated)} metrics have no value here or in '
                   "the baseline: " + ", ".join(_esc(key) for key in not_evaluated) + "</p>")
    out.append("</body></html>\n")
    return "".join(out)


def render_bias_report_files(*, output: Path, analysis: Path, baseline: Path | None = None,
                             violations: Path | None = None, extra: Path | None = None) -> Path:
    """Render the bias report from the files of a run; each file is checked first (errors name file and field)."""
    current = load_bias_analysis(analysis)
    reference = load_bias_analysis(baseline) if baseline is not None else None
    found: list[Mapping[str, Any]] = []
    if violations is not None and violations.exists():
        raw = read_json_file(violations, "bias violations")
        found = [v for v in (raw.get("violations") or []) if isinstance(v, dict)] if isinstance(raw, dict) else []
    report = read_json_file(extra, "sagewatch report") if extra is not None and extra.exists() else None
    text = render_bias_report(current, baseline=reference, violations=found,
                              extra=report if isinstance(report, dict) else None)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise InvalidParameterError(f"cannot write the report to {output}: {e.strerror or e}") from e
    return output
