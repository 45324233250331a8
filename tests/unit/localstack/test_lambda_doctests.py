"""The examples in the host-process Lambda modules' docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "sagewatch.localstack.lambda_host.contract",
    "sagewatch.localstack.lambda_host.init",
    "sagewatch.localstack.lambda_host.executor",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name.endswith(".executor"):
        pytest.importorskip("localstack")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
