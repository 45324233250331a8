"""The fuzz suite of issue 11: over 10,000 seeded cases against every input surface of sagewatch.

Every case must end in a clear error (a ``SagewatchError`` with a message; the job: exit 255 and a
``ClientError`` message; the CLI: a one-line error; the model server: a 4xx with a message), a counted
skip, or a correct result: never a traceback, a crash, a hang, a wrong result or half-written output.
Cases run in worker subprocesses (``sw_fuzz_runner``), so a segfault or a hang is one reported case.
A failure lists every bad case; reproduce one with
``python tests/fuzz/sw_fuzz_worker.py --case FAMILY:SEED`` (or ``--case fixed:NAME``).
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from sw_fuzz_fixed import FIXED
from sw_fuzz_runner import run_cases

# Cases per family; the case seeds are 0..n-1, and each input is built from random.Random("family:seed").
CASES = {
    "capture_line": 3000,
    "ground_truth_line": 2000,
    "dataset_format": 1500,
    "statistics": 1200,
    "constraints": 800,
    "dataset": 1500,
    "job": 400,
    "cli": 300,
    "monitor": 400,
    "serving": 600,
}
CASE_SECONDS = 30.0  # far above any case (under a second when the machine is idle), for loaded CI machines


def _all_cases() -> list[dict]:
    cases = [{"id": f"fixed:{name}", "family": family, "fixed": name} for name, (family, _) in FIXED.items()]
    for family, count in CASES.items():
        cases += [{"id": f"{family}:{seed}", "family": family, "seed": seed} for seed in range(count)]
    # the slow families first, interleaved with the fast ones, so both workers finish together
    weight = {"job": 0, "cli": 1, "monitor": 1, "dataset": 2, "serving": 3}
    return sorted(cases, key=lambda case: (weight.get(case["family"], 9), case["id"]))


@pytest.fixture(scope="module")
def fuzz_results(tmp_path_factory):
    cases = _all_cases()
    results = run_cases(cases, tmp_path_factory.mktemp("fuzz"), workers=2, case_seconds=CASE_SECONDS)
    family_of = {case["id"]: case["family"] for case in cases}
    by_family = defaultdict(list)
    for result in results:
        by_family[family_of[result["id"]]].append(result)
    return cases, by_family


def test_fuzz_corpus_covers_every_surface(fuzz_results):
    cases, by_family = fuzz_results
    assert len(cases) >= 10_000
    assert set(by_family) == set(CASES)
    assert sum(len(results) for results in by_family.values()) == len(cases), "a case got no result"
    for family, results in by_family.items():
        outcomes = {result["outcome"] for result in results}
        # each family's generator reaches both sides: inputs that are accepted and inputs that are refused
        assert {"error"} <= outcomes and outcomes & {"ok", "skip"}, (family, outcomes)


@pytest.mark.parametrize("family", sorted(CASES))
def test_fuzz_family_ends_cleanly(fuzz_results, family):
    _, by_family = fuzz_results
    bad = defaultdict(list)
    for result in by_family[family]:
        if result["outcome"] == "bad":
            bad[result["detail"][:160]].append(result["id"])
    if bad:
        lines = [f"{sum(map(len, bad.values()))} bad {family} cases in {len(by_family[family])}:"]
        for detail, ids in sorted(bad.items(), key=lambda item: -len(item[1])):
            lines.append(f"  {len(ids)} x {detail}\n      {' '.join(ids)}")
        lines.append("run one alone: python tests/fuzz/sw_fuzz_worker.py --case ID (ID as listed)")
        pytest.fail("\n".join(lines), pytrace=False)
