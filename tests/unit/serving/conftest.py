import sys

import pytest


@pytest.fixture(autouse=True)
def isolated_imports(monkeypatch):
    """Undo what loading an inference script does to this process: sys.path and the modules it imported."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:  # only the test's own scripts (inference, helper, ...)
        module_file = getattr(sys.modules[name], "__file__", None) or ""
        if "sagewatch" not in module_file and "site-packages" not in module_file:
            del sys.modules[name]
