"""The examples in the model server's docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "sagewatch.serving.content", "sagewatch.serving.loaders", "sagewatch.serving.handlers",
    "sagewatch.serving.settings", "sagewatch.serving.artifacts", "sagewatch.serving.server",
    "sagewatch.serving.process", "sagewatch.serving.cli", "sagewatch.serving.run",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
