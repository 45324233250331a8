"""The property tests of this suite try the same examples on every machine (tests/conftest.py)."""

import os

from hypothesis import settings


def test_examples_come_from_a_fixed_seed_unless_asked_to_explore():
    expected = os.environ.get("HYPOTHESIS_PROFILE", "sagewatch") != "explore"
    assert settings.default.derandomize is expected
