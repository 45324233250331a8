"""The bias HTML report: metrics beside the baseline, violations marked, texts escaped, same bytes."""

from __future__ import annotations

import doctest

from sagewatch.report import bias_html
from sagewatch.report.bias_html import render_bias_report
from sagewatch.schemas.clarify_analysis import bias_violation, parse_bias_analysis


def _analysis(dppl, di, facet="sex", value="1"):
    return parse_bias_analysis({"post_training_bias_metrics": {"label": "y", "label_value_or_threshold": "1",
        "facets": {facet: [{"value_or_threshold": value, "metrics": [
            {"name": "CDDPL", "description": "Conditional Demographic Disparity in Predicted Labels (CDDPL)",
             "value": None, "error": "Group variable is empty or not provided"},
            {"name": "DI", "description": "Disparate Impact (DI)", "value": di},
            {"name": "DPPL", "description": "Difference in Positive Proportions in Predicted Labels (DPPL)",
             "value": dppl}]}]}}})


def test_docstring_examples():
    result = doctest.testmod(bias_html, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_violations_are_marked_and_baseline_values_shown():
    violations = [bias_violation("sex", "1", "DPPL", 0.4)]
    page = render_bias_report(_analysis(0.4, "Infinity"), baseline=_analysis(0.1, 0.9), violations=violations,
                              extra={"rows_evaluated": 10, "skipped_rows": {"missing_value": 2},
                                     "metrics_not_evaluated": ["post_training_bias_metrics/sex=1/CDDPL"]})
    assert page.count('<span class="bad">violation</span>') == 1
    assert page.count('<span class="ok">ok</span>') == 1  # DI: infinite now, but not a listed violation
    assert "not computed: Group variable is empty or not provided" in page
    assert "Value 0.4 does not meet the constraint requirement" in page
    assert "10 rows" in page and "missing_value 2" in page and "1 violations" in page
    assert "<td><span class=\"num\">∞</span></td>" in page and "<td><span class=\"num\">0.1</span></td>" in page
    assert "post_training_bias_metrics/sex=1/CDDPL" in page


def test_texts_from_the_files_are_escaped():
    page = render_bias_report(_analysis(0.1, 1.0, facet="<b>race</b>", value="<i>x</i>"))
    assert "<b>race</b>" not in page and "&lt;b&gt;race&lt;/b&gt; = &lt;i&gt;x&lt;/i&gt;" in page
    assert "<th>baseline</th>" not in page and "violation" not in page


def test_same_input_same_bytes():
    first = render_bias_report(_analysis(0.2, 0.5), baseline=_analysis(0.1, 0.9))
    assert first == render_bias_report(_analysis(0.2, 0.5), baseline=_analysis(0.1, 0.9))
