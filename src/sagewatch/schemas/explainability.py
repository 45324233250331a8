"""Clarify's explainability files: ``analysis.json`` (``explanations``), ``explanations_shap/out.csv`` and the
feature-attribution-drift ``constraint_violations.json`` (contract §7.5, §7.6).

Layouts (written with ``json.dumps(indent=4)`` like Clarify, :func:`~sagewatch.schemas.serialize.dumps_clarify`)::

    {"version": "1.0",
     "explanations": {"kernel_shap": {"label0": {"global_shap_values": {"f1": 0.1, ...},
                                                 "expected_value": 0.5}}}}
    {"version": "1.0",
     "violations": [{"label": "label0", "metric_name": "shap",
                     "constraint_check_type": "feature_attribution_drift_check",
                     "description": "Feature attribution drift 0.76 exceeds threshold 0.9"}]}

``out.csv``: one header row of ``<feature>_<label>`` (label by label, features in order), then one row of local
SHAP values per record. ``tree_shap`` is sagewatch's exact tree explainer, named in place of ``kernel_shap``;
the reader takes either (``kernel_shap`` first). The reader is declared (pydantic, no numpy).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import field_validator

from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.serialize import dumps_clarify
from sagewatch.schemas.validation import Document, FiniteNumber, expected, validate_document

__all__ = ["ANALYSIS_FILE", "LOCAL_SHAP_FILE", "EXPLAINER_KEYS", "DRIFT_CHECK_TYPE", "LabelAttribution",
           "ExplanationsFile", "explanations_document", "dumps_explanations", "local_shap_csv",
           "attribution_violation", "dumps_attribution_violations", "check_explanations", "load_explanations"]

ANALYSIS_FILE = "analysis.json"
LOCAL_SHAP_FILE = "explanations_shap/out.csv"
EXPLAINER_KEYS = ("kernel_shap", "tree_shap")
DRIFT_CHECK_TYPE = "feature_attribution_drift_check"
_VERSION = "1.0"


def explanations_document(explainer: str, labels: Mapping[str, tuple[Mapping[str, float], float]]) -> dict[str, Any]:
    """The ``analysis.json`` of an explainability run: label → (global SHAP values by feature, expected value).

    >>> explanations_document("kernel_shap", {"label0": ({"a": 0.25}, 0.5)})
    {'version': '1.0', 'explanations': {'kernel_shap': {'label0': {'global_shap_values': {'a': 0.25}, 'expected_value': 0.5}}}}
    """
    if explainer not in EXPLAINER_KEYS:
        raise ValueError(f"unknown explainer {explainer!r}; known: {', '.join(EXPLAINER_KEYS)}")
    return {"version": _VERSION, "explanations": {explainer: {
        label: {"global_shap_values": {name: float(value) for name, value in values.items()},
                "expected_value": float(expected_value)}
        for label, (values, expected_value) in labels.items()}}}


def dumps_explanations(document: Mapping[str, Any]) -> str:
    """``analysis.json`` text, as Clarify writes it (``json.dump(indent=4)``)."""
    return dumps_clarify(document)


def local_shap_csv(columns: Sequence[str], rows: Any) -> str:
    """``explanations_shap/out.csv``: a header of ``<feature>_<label>`` names, one row of values per record
    (shortest round-trip float text).

    >>> local_shap_csv(["a_label0", "b_label0"], [[0.5, -0.25]])
    'a_label0,b_label0\\r\\n0.5,-0.25\\r\\n'
    """
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows([repr(float(value)) for value in row] for row in rows)
    return out.getvalue()


def attribution_violation(label: str, score: float, threshold: float) -> dict[str, Any]:
    """One feature-attribution-drift violation, in the DG's layout and wording (it says "exceeds" for a score
    *below* the threshold; copied as it is, contract §7.6).

    >>> attribution_violation("label0", 0.7639720923277322, 0.9)["description"]
    'Feature attribution drift 0.7639720923277322 exceeds threshold 0.9'
    """
    return {"label": label, "metric_name": "shap", "constraint_check_type": DRIFT_CHECK_TYPE,
            "description": f"Feature attribution drift {float(score)!r} exceeds threshold {float(threshold)!r}"}


def dumps_attribution_violations(violations: Sequence[Mapping[str, Any]]) -> str:
    """``constraint_violations.json`` of an attribution-drift check."""
    return dumps_clarify({"version": _VERSION, "violations": [dict(v) for v in violations]})


class LabelAttribution(Document):
    global_shap_values: dict[str, FiniteNumber]
    expected_value: FiniteNumber | None = None

    @field_validator("global_shap_values")
    @classmethod
    def _not_empty(cls, value: dict[str, float]) -> dict[str, float]:
        if not value:
            raise expected("at least one feature's global SHAP value")
        return value


class ExplanationsFile(Document):
    version: str | None = None
    explanations: dict[str, dict[str, LabelAttribution] | Any]

    @field_validator("explanations")
    @classmethod
    def _has_shap(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not any(key in value for key in EXPLAINER_KEYS):
            raise expected("a kernel_shap (or tree_shap) block")
        for key in EXPLAINER_KEYS:
            if key in value and (not isinstance(value[key], dict) or not value[key]):
                raise expected("an object of labels", at=(key,), found=value[key])
        return value

    @property
    def explainer(self) -> str:
        return next(key for key in EXPLAINER_KEYS if key in self.explanations)

    @property
    def labels(self) -> dict[str, LabelAttribution]:
        return self.explanations[self.explainer]


def check_explanations(document: Any, *, source: str = ANALYSIS_FILE) -> ExplanationsFile:
    """Check a parsed explainability ``analysis.json``; :class:`~sagewatch.errors.SchemaError` names the field."""
    parsed = validate_document(ExplanationsFile, document, source=source)
    key = parsed.explainer
    labels = {label: validate_document(LabelAttribution, block, source=source, at=("explanations", key, label))
              for label, block in parsed.explanations[key].items()}
    return parsed.model_copy(update={"explanations": {**parsed.explanations, key: labels}})


def load_explanations(path: str | Path) -> ExplanationsFile:
    """Read and check an explainability ``analysis.json`` (e.g. the baseline of an attribution-drift check)."""
    return check_explanations(read_json_file(path, "explainability analysis"), source=str(Path(path).name))
