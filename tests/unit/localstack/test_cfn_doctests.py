"""The examples in the CloudFormation providers' docstrings run and give what they show."""

import doctest
import importlib

import pytest

pytest.importorskip("localstack", reason="the plugin modules import LocalStack (extra 'localstack')")

MODULES = ["sagewatch.localstack.cfn.properties", "sagewatch.localstack.cfn.job_definitions"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
