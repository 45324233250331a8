"""The examples in the LocalStack plugin's docstrings run and give what they show."""

import doctest
import importlib
import uuid

import pytest

MODULES = [
    "sagewatch.localstack.hostmode",
    "sagewatch.localstack.launcher",
    "sagewatch.localstack.process",
    "sagewatch.localstack.compat",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    # compat's examples apply the uuid shim; monkeypatch puts the original functions back afterwards.
    monkeypatch.setattr(uuid, "uuid3", uuid.uuid3)
    monkeypatch.setattr(uuid, "uuid5", uuid.uuid5)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
