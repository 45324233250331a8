"""Run the Examples sections of every drift module (style guide: runnable numpydoc examples)."""

import doctest
import importlib
import pkgutil

import pytest

import sagewatch.drift

MODULES = sorted(m.name for m in pkgutil.iter_modules(sagewatch.drift.__path__, "sagewatch.drift."))


def test_every_module_is_covered():
    assert {"sagewatch.drift.registry", "sagewatch.drift.linf", "sagewatch.drift.mmd"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_module_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
