"""The examples in the docstrings of the endpoint emulation (hosting, capture, metrics) run and give what they show."""

import doctest
import importlib

import pytest

pytest.importorskip("localstack", reason="the plugin modules import LocalStack (extra 'localstack')")

MODULES = [
    "sagewatch.localstack.runtime.settings",
    "sagewatch.localstack.runtime.servers",
    "sagewatch.localstack.errors",
    "sagewatch.localstack.runtime.provider",
    "sagewatch.localstack.capture.config",
    "sagewatch.localstack.capture.spool",
    "sagewatch.localstack.capture.uploader",
    "sagewatch.localstack.capture.writer",
    "sagewatch.localstack.metrics",
    "sagewatch.localstack.sagemaker.endpoints.validation",
    "sagewatch.localstack.sagemaker.endpoints.handlers",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
