"""The examples in the docstrings of the CDK kit's helpers and the Lambda glue run and give what they show."""

import doctest
import importlib

import pytest

import sw_cdkhelpers  # noqa: F401 - puts the repository root on sys.path for ``stacks``

MODULES = ["stacks.naming", "sagewatch.lambda_support.monitoring", "sagewatch.lambda_support.retraining"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
