"""Per-feature attribution shift (beyond SageMaker): which feature's importance moved, not only that the
ranking did.

For each label and feature: the baseline and current global SHAP values (with the default ``agg_method``
``mean_abs`` these are the mean |SHAP| values), their change, the change relative to the baseline, and both
ranks. :func:`attribution_shift` lays it out for ``sagewatch_report.json``; :func:`render_attribution_shift`
draws it as an HTML fragment with one inline-SVG bar chart per label (no scripts, no external assets, the
style of ``report/html.py``).
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["attribution_shift", "render_attribution_shift", "render_attribution_page"]

_W, _ROW, _LABEL_W, _VALUE_W = 560, 22, 160, 90
_BASE, _CURRENT = "#7b8794", "#2f80ed"
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1f2933;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px}
.bad{color:#b42318;font-weight:600} .ok{color:#067647} .small{font-size:12px;color:#52606d}
.legend span{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px}
"""


def _ranks(values: np.ndarray) -> list[int]:
    order = np.argsort(-np.abs(values), kind="stable")
    ranks = np.empty(len(values), dtype=np.int64)
    ranks[order] = np.arange(1, len(values) + 1)
    return ranks.tolist()


def attribution_shift(baseline: Mapping[str, float], current: Mapping[str, float], *, measure: str = "mean_abs"
                      ) -> dict[str, Any]:
    """The shift of one label's global SHAP values, features ordered by the size of their change.

    Examples
    --------
    >>> shift = attribution_shift({"a": 0.5, "b": 0.25}, {"a": 0.25, "b": 0.5})
    >>> [(f["name"], f["change"], f["baseline_rank"], f["current_rank"]) for f in shift["features"]]
    [('a', -0.25, 1, 2), ('b', 0.25, 2, 1)]
    """
    names = [name for name in baseline if name in current]
    base = np.array([baseline[name] for name in names], dtype=np.float64)
    cur = np.array([current[name] for name in names], dtype=np.float64)
    change = cur - base
    base_ranks, cur_ranks = _ranks(base), _ranks(cur)
    features = [{"name": name, "baseline": float(base[i]), "current": float(cur[i]), "change": float(change[i]),
                 "relative_change": float(change[i] / base[i]) if base[i] != 0 else None,
                 "baseline_rank": base_ranks[i], "current_rank": cur_ranks[i]}
                for i, name in enumerate(names)]
    order = np.argsort(-np.abs(change), kind="stable")
    return {"measure": measure, "features": [features[i] for i in order]}


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _chart(shift: Mapping[str, Any]) -> str:
    features = list(shift.get("features", []))
    peak = max([abs(f["baseline"]) for f in features] + [abs(f["current"]) for f in features] + [0.0]) or 1.0
    bar_w = _W - _LABEL_W - _VALUE_W
    height = _ROW * len(features) + 4
    parts = [f'<svg width="{_W}" height="{height}" role="img" aria-label="attribution shift">']
    for row, feature in enumerate(features):
        y = row * _ROW + 2
        parts.append(f'<text x="{_LABEL_W - 6}" y="{y + 14}" font-size="11" text-anchor="end">'
                     f'{_esc(feature["name"])}</text>')
        for j, (key, color) in enumerate((("baseline", _BASE), ("current", _CURRENT))):
            width = bar_w * abs(feature[key]) / peak
            parts.append(f'<rect x="{_LABEL_W}" y="{y + j * 9}" width="{width:.1f}" height="8" fill="{color}">'
                         f'<title>{_esc(feature["name"])} {key}: {feature[key]:.4g}</title></rect>')
        sign = "+" if feature["change"] >= 0 else "−"
        parts.append(f'<text x="{_W - 4}" y="{y + 14}" font-size="11" text-anchor="end">'
                     f'{sign}{abs(feature["change"]):.3g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_attribution_shift(block: Mapping[str, Any]) -> str:
    """An HTML fragment: per label, its nDCG against the threshold and the bar chart of the shift.

    ``block`` is the ``feature_attribution`` block of ``sagewatch_report.json``
    (``{"threshold", "labels": {label: {"ndcg", "violated", "shift"}}}``).

    Examples
    --------
    >>> block = {"threshold": 0.9, "labels": {"label0": {"ndcg": 0.95, "violated": False,
    ...          "shift": attribution_shift({"a": 0.5}, {"a": 0.4})}}}
    >>> fragment = render_attribution_shift(block)
    >>> fragment.startswith('<section class="attribution-shift">'), "<svg" in fragment
    (True, True)
    """
    out = ['<section class="attribution-shift"><div class="legend small">'
           f'<span style="background:{_BASE}"></span>baseline<span style="background:{_CURRENT}"></span>current'
           "</div>"]
    for label, result in block.get("labels", {}).items():
        status = '<span class="bad">drift</span>' if result.get("violated") else '<span class="ok">no drift</span>'
        measure = result.get("shift", {}).get("measure", "mean_abs")
        out.append(f"<h2>{_esc(label)}: nDCG {result.get('ndcg', float('nan')):.4f} (threshold "
                   f"{block.get('threshold', float('nan')):.4g}) {status}</h2>"
                   f'<p class="small">global SHAP values ({_esc(measure)}), largest change first</p>')
        out.append(_chart(result.get("shift", {})))
    out.append("</section>")
    return "".join(out)


def render_attribution_page(block: Mapping[str, Any], *, title: str = "sagewatch feature-attribution drift") -> str:
    """A self-contained HTML page around :func:`render_attribution_shift`."""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{_esc(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{_esc(title)}</h1>{render_attribution_shift(block)}"
            "</body></html>\n")
