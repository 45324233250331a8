"""The examples in the docstrings of the model-quality extras run and give what they show."""

import doctest
import importlib

import pytest

MODULES = ["sagewatch.quality.estimation", "sagewatch.quality.slices", "sagewatch.quality.extras",
           "sagewatch.quality.fit", "sagewatch.schemas.quality_report"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
