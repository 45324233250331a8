import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_imports(monkeypatch, tmp_path):
    """Undo what loading an inference script does to this process: sys.path, and the modules it imported
    from the test's own folder (inference, helper_settings, ...); nothing else is touched."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    for name, module in list(sys.modules.items()):
        module_file = getattr(module, "__file__", None)
        if module_file and Path(module_file).is_relative_to(tmp_path):
            del sys.modules[name]
