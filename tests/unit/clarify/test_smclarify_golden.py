"""Our bias reports equal smclarify's on the committed datasets (goldens made by scripts/smclarify_golden.py)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sagewatch.clarify.bias.dataset import run_bias_analysis
from sagewatch.schemas.clarify_analysis import dumps_analysis
from sagewatch.schemas.clarify_config import load_analysis_config

DATA = Path(__file__).resolve().parents[2] / "data" / "clarify"
DATASETS = ("categorical", "continuous", "coded")


def _ours(name: str) -> dict:
    config = load_analysis_config(DATA / name / "analysis_config.json")
    report = run_bias_analysis(config, DATA / name / "data.csv")
    return json.loads(dumps_analysis(report.document))


def _golden(name: str) -> dict:
    return json.loads((DATA / name / "smclarify_golden.json").read_text(encoding="utf-8"))["report"]


def _assert_same_value(ours, theirs, where: str) -> None:
    if isinstance(theirs, float) and isinstance(ours, float):
        assert math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12), f"{where}: {ours!r} != {theirs!r}"
    else:  # null, "Infinity", and the integer 0 of DCA/DCR/...: same JSON value and type
        assert (type(ours), ours) == (type(theirs), theirs), f"{where}: {ours!r} != {theirs!r}"


@pytest.mark.parametrize("name", DATASETS)
def test_bias_report_equals_smclarify_golden(name):
    ours, theirs = _ours(name), _golden(name)
    assert list(ours) == list(theirs)
    checked = 0
    for stage in theirs:
        if stage == "version":
            assert ours[stage] == theirs[stage] == "1.0"
            continue
        assert list(ours[stage]) == ["label", "facets", "label_value_or_threshold"]
        assert ours[stage]["label"] == theirs[stage]["label"]
        assert ours[stage]["label_value_or_threshold"] == theirs[stage]["label_value_or_threshold"]
        assert list(ours[stage]["facets"]) == list(theirs[stage]["facets"])
        for facet, entries in theirs[stage]["facets"].items():
            mine = ours[stage]["facets"][facet]
            assert [e["value_or_threshold"] for e in mine] == [e["value_or_threshold"] for e in entries]
            for our_entry, their_entry in zip(mine, entries):
                assert [m["name"] for m in our_entry["metrics"]] == [m["name"] for m in their_entry["metrics"]]
                for our_metric, their_metric in zip(our_entry["metrics"], their_entry["metrics"]):
                    where = f"{stage}/{facet}={their_entry['value_or_threshold']}/{their_metric['name']}"
                    assert list(our_metric) == list(their_metric), where
                    assert our_metric["description"] == their_metric["description"], where
                    assert our_metric.get("error") == their_metric.get("error"), where
                    _assert_same_value(our_metric["value"], their_metric["value"], where)
                    checked += 1
    assert checked >= 40


def test_goldens_cover_the_issue_cases():
    """Categorical and continuous facets, with and without a group variable, every metric computed once."""
    configs = {name: json.loads((DATA / name / "analysis_config.json").read_text()) for name in DATASETS}
    assert any("group_variable" in c for c in configs.values())
    assert any("group_variable" not in c for c in configs.values())
    values = {name: [m for stage in ("pre_training_bias_metrics", "post_training_bias_metrics")
                     for entries in _golden(name)[stage]["facets"].values() for e in entries for m in e["metrics"]]
              for name in DATASETS}
    computed = {m["name"] for metrics in values.values() for m in metrics if m["value"] is not None}
    assert computed == {"CI", "DPL", "KL", "JS", "LP", "TVD", "KS", "CDDL", "DPPL", "DI", "DCA", "DCR", "RD",
                        "DAR", "DRR", "AD", "CDDPL", "TE", "FT", "SD", "GE"}
    thresholds = [e["value_or_threshold"] for e in _golden("continuous")["pre_training_bias_metrics"]["facets"]
                  ["income"]]
    assert thresholds == ["(60000, 149949]"]
