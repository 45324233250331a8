"""The examples in the Clarify modules' docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "sagewatch.schemas.clarify_config", "sagewatch.schemas.clarify_analysis", "sagewatch.clarify.config",
    "sagewatch.clarify.bias.arithmetic", "sagewatch.clarify.bias.facets", "sagewatch.clarify.bias.counts",
    "sagewatch.clarify.bias.pretraining", "sagewatch.clarify.bias.posttraining", "sagewatch.clarify.bias.flip_test",
    "sagewatch.clarify.bias.registry", "sagewatch.clarify.bias.report", "sagewatch.clarify.bias.dataset",
    "sagewatch.clarify.bias.drift", "sagewatch.clarify.bias.merged",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
