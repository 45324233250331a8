"""The examples in the docstrings of the processing, job-definition and schedule modules run as shown."""

import doctest
import importlib

import pytest

MODULES = [
    "sagewatch.localstack.events",
    "sagewatch.localstack.sagemaker.monitoring.cron",
    "sagewatch.localstack.sagemaker.common",
    "sagewatch.localstack.sagemaker.monitoring.executions.launcher",
    "sagewatch.localstack.sagemaker.monitoring.tags",
    "sagewatch.localstack.sagemaker.processing.images",
    "sagewatch.localstack.sagemaker.processing.runner",
    "sagewatch.localstack.sagemaker.processing.settings",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
