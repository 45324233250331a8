"""The baseline's sagewatch_report.json: a malformed file skips the MMD test with its reason (issue 11 §4)."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.profile.dataset import profile_table
from sagewatch.report.extra import drift_report_document, load_baseline_sample

ROWS = 40


def _profile():
    x = np.arange(ROWS, dtype=float)
    return profile_table(pa.table({"x": x, "y": x * 2.0, "z": x % 3}))


def _baseline(tmp_path, text: str | bytes):
    (tmp_path / "statistics.json").write_text("{}", encoding="utf-8")
    sidecar = tmp_path / "sagewatch_report.json"
    sidecar.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return tmp_path / "statistics.json"


def _multivariate(statistics_path):
    sample = load_baseline_sample(statistics_path)
    return drift_report_document(_profile(), _profile(), None, {}, baseline_sample=sample)["multivariate"]


@pytest.mark.parametrize(("text", "why"), [
    ("[]", "expected an object, found a list of 0 items"),
    ('{"sample": {"columns": ["x", "y"], "data": [[1.0, 2.0], [1.0]]}}', "sample.data[1]"),
    ('{"sample": {"columns": ["x", "y"], "data": [[1.0, "2"]]}}', "sample.data[0][1]"),
    ('{"sample": {"columns": "xy", "data": []}}', "sample.columns"),
    ('{"sample": {"columns": ["x", "x"], "data": [[1.0, 2.0]]}}', "sample.columns"),
    ('{"sample": {"columns": ["x", null], "data": []}}', "sample.columns[1]"),
    ('{"sample": {"columns": ["x", "y"], "rows_seen": -1, "data": []}}', "sample.rows_seen"),
    ('{"sample": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    (b'{"sample": "\xff"}', "not UTF-8"),
    ('{"sample": ', "invalid JSON"),
])
def test_malformed_baseline_report_skips_mmd_with_the_reason(tmp_path, text, why):
    multivariate = _multivariate(_baseline(tmp_path, text))
    assert multivariate["mmd"] is None
    reason = multivariate["reason"]
    assert "sagewatch_report.json is malformed, multivariate test skipped" in reason and why in reason
    assert str(tmp_path / "sagewatch_report.json") in reason


def test_valid_baseline_sample_is_used(tmp_path):
    x = np.arange(ROWS, dtype=float)
    rows = [[float(a), float(2 * a), None if a == 0 else float(a % 3)] for a in x]
    text = json.dumps({"version": "1.0", "sample": {"columns": ["x", "y", "z"], "rows_seen": ROWS, "data": rows}})
    sample = load_baseline_sample(_baseline(tmp_path, text))
    assert sample.skip_reason is None and np.isnan(sample.columns["z"][0])
    assert _multivariate(tmp_path / "statistics.json")["mmd"] is not None


def test_missing_baseline_report_is_not_an_error(tmp_path):
    (tmp_path / "statistics.json").write_text("{}", encoding="utf-8")
    assert load_baseline_sample(tmp_path / "statistics.json") is None
    assert "no row sample" in _multivariate(tmp_path / "statistics.json")["reason"]


def test_a_report_mounted_apart_from_the_statistics_is_read_from_its_own_path(tmp_path):
    x = np.arange(ROWS, dtype=float)
    text = json.dumps({"version": "1.0", "sample": {"columns": ["x", "y"], "rows_seen": ROWS,
                                                    "data": [[float(a), float(2 * a)] for a in x]}})
    (tmp_path / "stats").mkdir()
    (tmp_path / "stats" / "statistics.json").write_text("{}", encoding="utf-8")
    (tmp_path / "sagewatch").mkdir()
    (tmp_path / "sagewatch" / "sagewatch_report.json").write_text(text, encoding="utf-8")
    sample = load_baseline_sample(tmp_path / "stats" / "statistics.json",
                                  report_path=tmp_path / "sagewatch" / "sagewatch_report.json")
    assert sample.skip_reason is None and sample.columns["y"].tolist() == (x * 2).tolist()


def test_a_report_named_by_the_environment_but_absent_says_so(tmp_path):
    missing = tmp_path / "sagewatch" / "sagewatch_report.json"
    sample = load_baseline_sample(None, report_path=missing)
    assert sample.columns is None
    assert sample.skip_reason == f"the baseline's sagewatch_report.json is not at {missing}, multivariate test skipped"
