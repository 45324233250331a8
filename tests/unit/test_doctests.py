"""The examples in the engine's docstrings run and give what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "sagewatch.schemas.serialize", "sagewatch.sketches.kll", "sagewatch.sketches.distinct",
    "sagewatch.profile.moments", "sagewatch.profile.infer", "sagewatch.profile.column",
    "sagewatch.profile.dataset", "sagewatch.constraints.suggest", "sagewatch.constraints.messages",
    "sagewatch.constraints.check", "sagewatch.job.spec", "sagewatch.job.run", "sagewatch.job.analyses", "sagewatch.job.analyses.data_quality", "sagewatch.demo_data",
    "sagewatch.schemas.validation", "sagewatch.schemas.files", "sagewatch.datasets.formats",
    "sagewatch.schemas.capture", "sagewatch.schemas.ground_truth", "sagewatch.schemas.s3_uri", "sagewatch.schemas.report",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0 or name in ()
