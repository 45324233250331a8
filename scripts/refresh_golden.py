"""Rewrite tests/data/golden/ from the fixtures of tests/contract (run only after a reviewed format change)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "contract"))

from test_file_formats import _small_profile  # noqa: E402

from sagewatch.constraints.suggest import suggest_constraints  # noqa: E402
from sagewatch.schemas.statistics import dumps_statistics  # noqa: E402

golden = ROOT / "tests" / "data" / "golden"
golden.mkdir(parents=True, exist_ok=True)
(golden / "statistics.json").write_text(dumps_statistics(_small_profile()), encoding="utf-8")
(golden / "constraints.json").write_text(suggest_constraints(_small_profile()).dumps(), encoding="utf-8")
print(f"refreshed {golden}")
