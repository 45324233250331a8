"""Every golden file and every file our writers produce validates against the declared schemas (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.constraints.check import check_constraints
from sagewatch.constraints.suggest import suggest_constraints
from sagewatch.profile.dataset import profile_table
from sagewatch.report.extra import drift_report_document, load_baseline_sample
from sagewatch.schemas.constraints import Constraints, dumps_violations, load_constraints, load_violations
from sagewatch.schemas.statistics import dumps_statistics, load_statistics, profile_from_statistics

GOLDEN = Path(__file__).parent.parent / "data" / "golden"


def _tables():
    rng = np.random.default_rng(11)
    n = 30_000  # several KLL levels at k = 2048
    yield "small", pa.table({"label": ["0", "1", "1", "0"], "age": ["31", "45", "", "27"],
                             "score": [0.25, 0.5, 0.75, 1.0], "city": ["Oslo", "Lima", "Oslo", "Oslo"]})
    yield "large", pa.table({"income": rng.lognormal(10, 1, n), "delta": rng.normal(0, 1e-300, n),
                             "count": rng.integers(-5, 5, n), "id": [f"id{i}" for i in range(n)]})
    yield "edge", pa.table({"empty": pa.array([None] * 5, pa.string()), "mixed": ["1", "x", "2.5", None, ""],
                            "same": [0.1] * 5, "big": [1e300, -1e300, 1e300, -1e300, 0.0]})


@pytest.mark.parametrize("name", ["statistics.json", "constraints.json"])
def test_golden_files_validate(name):
    loaded = load_statistics(GOLDEN / name) if name == "statistics.json" else load_constraints(GOLDEN / name)
    assert loaded is not None


@pytest.mark.parametrize(("label", "table"), list(_tables()), ids=lambda v: v if isinstance(v, str) else "")
def test_our_files_validate_and_round_trip(tmp_path, label, table):
    profile = profile_table(table)
    statistics = dumps_statistics(profile)
    (tmp_path / "statistics.json").write_text(statistics, encoding="utf-8")
    again = load_statistics(tmp_path / "statistics.json")
    assert list(again.columns) == list(profile.columns) and again.item_count == profile.item_count
    for name, column in profile.columns.items():
        assert again.columns[name].inferred_type == column.inferred_type
        assert again.columns[name].n_missing == column.n_missing
        assert again.columns[name].category_counts() == column.category_counts()

    constraints = suggest_constraints(profile)
    (tmp_path / "constraints.json").write_text(constraints.dumps(), encoding="utf-8")
    assert load_constraints(tmp_path / "constraints.json").dumps() == constraints.dumps()

    check = check_constraints(profile, constraints, again)
    (tmp_path / "constraint_violations.json").write_text(dumps_violations(list(check.violations)), encoding="utf-8")
    assert load_violations(tmp_path / "constraint_violations.json") == [v.to_dict() for v in check.violations]

    report = drift_report_document(profile, again, check, {"bad_rows": 0}, constraints=constraints)
    (tmp_path / "sagewatch_report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    sample = load_baseline_sample(tmp_path / "statistics.json")
    assert sample is None or sample.skip_reason is None


def test_rewritten_user_constraints_validate():
    user = json.loads((GOLDEN / "constraints.json").read_text(encoding="utf-8"))
    user["features"][3]["string_constraints"]["monitoring_config_overrides"] = {"evaluate_constraints": "Disabled"}
    user["monitoring_config"]["distribution_constraints"]["enable_comparisons"] = True
    rewritten = json.loads(Constraints.from_dict(user).dumps())
    assert Constraints.from_dict(rewritten).features[3].evaluate_constraints is False
    assert profile_from_statistics(json.loads((GOLDEN / "statistics.json").read_text())).item_count == 4
