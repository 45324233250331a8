"""The fuzz runner itself: a crash, a hang or an exit of one case is a reported result, and the cases after
it still run in a fresh worker."""

from sw_fuzz_runner import run_cases


def test_runner_reports_every_kind_of_bad_case_and_goes_on(tmp_path):
    actions = ["ok", "segfault", "ok", "hang", "ok", "exit", "raise", "error", "wrong", "system_exit", "ok"]
    cases = [{"id": f"selftest:{i}", "family": "selftest", "action": action} for i, action in enumerate(actions)]
    results = {r["id"]: r for r in run_cases(cases, tmp_path, workers=1, case_seconds=3.0)}
    assert sorted(results) == sorted(case["id"] for case in cases)
    outcome = {actions[int(key.split(":")[1])]: (r["outcome"], r["detail"]) for key, r in results.items()}
    assert outcome["segfault"][0] == "bad" and "crash: killed by signal SIGSEGV" in outcome["segfault"][1]
    assert outcome["hang"] == ("bad", "hang: no answer within 3 s")
    assert outcome["exit"][0] == "bad" and "worker exited with status 7" in outcome["exit"][1]
    assert outcome["raise"][0] == "bad" and outcome["raise"][1].startswith("KeyError: 'a plain bug'")
    assert outcome["error"] == ("error", "a clear error")
    assert outcome["wrong"] == ("bad", "wrong result: a wrong result")
    assert outcome["system_exit"][0] == "bad" and outcome["system_exit"][1].startswith("SystemExit: 3")
    assert [results[f"selftest:{i}"]["outcome"] for i in (0, 2, 4, 10)] == ["ok"] * 4
