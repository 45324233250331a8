"""Per-feature attribution shift and its inline-SVG chart."""

from __future__ import annotations

import pytest

from sagewatch.clarify.explain.shift import attribution_shift, render_attribution_page, render_attribution_shift


def test_shift_orders_features_by_the_size_of_their_change():
    shift = attribution_shift({"a": 0.5, "b": 0.2, "c": 0.0}, {"a": 0.45, "b": 0.6, "c": 0.1}, measure="mean_abs")
    assert shift["measure"] == "mean_abs"
    assert [f["name"] for f in shift["features"]] == ["b", "c", "a"]
    b, c, a = shift["features"]
    assert b == {"name": "b", "baseline": 0.2, "current": 0.6, "change": pytest.approx(0.4),
                 "relative_change": pytest.approx(2.0), "baseline_rank": 2, "current_rank": 1}
    assert c["relative_change"] is None and (a["baseline_rank"], a["current_rank"]) == (1, 2)


def test_the_fragment_draws_two_bars_per_feature_and_escapes_names():
    block = {"threshold": 0.9, "labels": {"<yes>": {"ndcg": 0.5, "violated": True,
                                                     "shift": attribution_shift({"x<1": 1.0, "y": 0.5},
                                                                                {"x<1": 0.25, "y": 1.0})}}}
    fragment = render_attribution_shift(block)
    assert fragment.count("<rect ") == 4 and "<script" not in fragment
    assert "&lt;yes&gt;: nDCG 0.5000 (threshold 0.9)" in fragment and '<span class="bad">drift</span>' in fragment
    assert "x&lt;1" in fragment and "x<1" not in fragment
    assert 'width="310.0"' in fragment and 'width="77.5"' in fragment  # bars scale with the largest value
    assert "−0.75" in fragment and "+0.5" in fragment


def test_the_page_is_self_contained():
    page = render_attribution_page({"threshold": 0.9, "labels": {}})
    assert page.startswith("<!doctype html>") and "<style>" in page and "http" not in page
