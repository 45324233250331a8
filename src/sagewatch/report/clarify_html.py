"""``report.html`` of a Clarify processing job (the ``report`` method, contract §7.1): a self-contained page with
the bias metrics of every stage, facet and facet value, and the global SHAP values of every label, from the
job's ``analysis.json`` document. Every text is escaped; the same document gives the same bytes.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

__all__ = ["REPORT_HTML_FILE", "render_clarify_report"]

REPORT_HTML_FILE = "report.html"
_STAGES = (("pre_training_bias_metrics", "Pre-training bias"), ("post_training_bias_metrics", "Post-training bias"))
_STYLE = ("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
          "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}td.n{text-align:right;"
          "font-variant-numeric:tabular-nums}caption{text-align:left;font-weight:bold;padding:.3em 0}"
          ".err{color:#a33}")


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return html.escape(str(value))


def _bias_section(key: str, title: str, stage: Mapping[str, Any]) -> list[str]:
    out = [f"<h2>{html.escape(title)}</h2>",
           f"<p>Label <code>{html.escape(str(stage.get('label')))}</code>, positive label value(s) "
           f"<code>{html.escape(str(stage.get('label_value_or_threshold')))}</code>.</p>"]
    for facet, groups in (stage.get("facets") or {}).items():
        for group in groups:
            out.append(f'<table id="{html.escape(key)}-{html.escape(facet)}-{html.escape(str(group.get("value_or_threshold")))}">'
                       f"<caption>Facet {html.escape(facet)} = {html.escape(str(group.get('value_or_threshold')))}"
                       "</caption><tr><th>metric</th><th>description</th><th>value</th></tr>")
            for metric in group.get("metrics", []):
                if metric.get("value") is None:
                    value = f'<td class="err">{html.escape(str(metric.get("error", "not computed")))}</td>'
                else:
                    value = f'<td class="n">{_number(metric["value"])}</td>'
                out.append(f"<tr><td>{html.escape(metric['name'])}</td>"
                           f"<td>{html.escape(metric.get('description', ''))}</td>{value}</tr>")
            out.append("</table>")
    return out


def _explanations_section(explanations: Mapping[str, Any]) -> list[str]:
    out = []
    for method, labels in explanations.items():
        out.append(f"<h2>Feature attribution ({html.escape(method)})</h2>")
        for label, values in labels.items():
            ranked = sorted((values.get("global_shap_values") or {}).items(), key=lambda kv: (-abs(kv[1]), kv[0]))
            top = max((abs(v) for _, v in ranked), default=0.0) or 1.0
            out.append(f"<table><caption>{html.escape(label)} (expected value "
                       f"{_number(values.get('expected_value'))})</caption>"
                       "<tr><th>feature</th><th>global SHAP value</th><th></th></tr>")
            for feature, value in ranked:
                width = round(200 * abs(value) / top)
                out.append(f'<tr><td>{html.escape(feature)}</td><td class="n">{_number(value)}</td>'
                           f'<td><svg width="200" height="10"><rect width="{width}" height="10" fill="#4a7"/>'
                           "</svg></td></tr>")
            out.append("</table>")
    return out


def render_clarify_report(document: Mapping[str, Any], *, title: str = "Analysis Report") -> str:
    """The HTML page of an ``analysis.json`` document.

    >>> page = render_clarify_report({"version": "1.0", "explanations": {"kernel_shap": {"label0": {
    ...     "global_shap_values": {"x<1": 0.5}, "expected_value": 0.25}}}}, title="T")
    >>> "x&lt;1" in page and "<title>T</title>" in page
    True
    """
    body = [f"<h1>{html.escape(title)}</h1>"]
    for key, stage_title in _STAGES:
        if key in document:
            body += _bias_section(key, stage_title, document[key])
    if "explanations" in document:
        body += _explanations_section(document["explanations"])
    if len(body) == 1:
        body.append("<p>No analysis was asked for.</p>")
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>\n")
