"""Builders shared by the model-server unit tests."""

from __future__ import annotations

import textwrap
from pathlib import Path


class Doubler:
    """A model whose predictions are easy to pin: twice the row sums."""

    def predict(self, data):
        return data.sum(axis=1) * 2

    def predict_proba(self, data):
        return data / data.sum(axis=1, keepdims=True)


def write_script(folder: Path, source: str, name: str = "inference.py") -> Path:
    """Write a dedented inference script (and its folder) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(source))
    return path
