"""The docstring examples of sagewatch.capture run and pass."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["keys", "manifest", "skips", "tabular", "flatten", "transform_records"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"sagewatch.capture.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
