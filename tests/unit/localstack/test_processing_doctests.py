"""The examples in the docstrings of the processing, job-definition and schedule modules run as shown."""

import doctest
import importlib

import pytest

MODULES = [
    "sagewatch.localstack.events",
    "sagewatch.localstack.sagemaker.cron",
    "sagewatch.localstack.sagemaker.monitoring_common",
    "sagewatch.localstack.sagemaker.monitoring_executions",
    "sagewatch.localstack.sagemaker.monitoring_tags",
    "sagewatch.localstack.sagemaker.processing_images",
    "sagewatch.localstack.sagemaker.processing_runner",
    "sagewatch.localstack.sagemaker.processing_settings",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
