"""The examples in the feature-attribution modules' docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "sagewatch.clarify.explain.settings", "sagewatch.clarify.explain.model", "sagewatch.clarify.explain.background",
    "sagewatch.clarify.explain.kernel", "sagewatch.clarify.explain.tree", "sagewatch.clarify.explain.explain",
    "sagewatch.clarify.explain.ndcg", "sagewatch.clarify.explain.drift", "sagewatch.clarify.explain.shift",
    "sagewatch.schemas.explainability", "sagewatch.job.analyses.model_explainability",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
