"""Clarify's ``analysis_config.json`` (contract §7.2): the declared reader, no numpy.

The file a Clarify processing job reads from ``/opt/ml/processing/input/config/analysis_config.json``::

    {"dataset_type": "text/csv", "headers": ["age", "sex", "label"], "label": "label",
     "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
     "group_variable": "age", "methods": {"pre_training_bias": {"methods": "all"},
                                          "post_training_bias": {"methods": ["DPPL", "DI"]}}}

Every section of the SDK's schema is declared, the bias ones (top level, ``methods.pre_training_bias``,
``methods.post_training_bias``) and those of explainability (``methods.shap``, ``methods.report``,
``predictor``), so that every reader of the file shares one model. Unknown keys are ignored (read
liberally); a wrong type or value raises :class:`~sagewatch.errors.SchemaError` naming the field, e.g.
``analysis_config.json, field 'facet[0].name_or_index': expected a column name or index, found null``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import PlainValidator, model_validator

from sagewatch.schemas.files import read_json_file
from sagewatch.schemas.validation import Document, expected, validate_document

__all__ = ["ANALYSIS_CONFIG_FILE", "DATASET_TYPES", "PRE_TRAINING_METHODS", "POST_TRAINING_METHODS",
           "METHOD_ALIASES", "FacetConfig", "BiasMethods", "ShapConfig", "ReportConfig", "MethodsConfig",
           "PredictorConfig", "AnalysisConfig", "parse_analysis_config", "load_analysis_config"]

ANALYSIS_CONFIG_FILE = "analysis_config.json"
DATASET_TYPES = ("text/csv", "application/jsonlines", "application/json", "application/sagemakercapturejson",
                 "application/x-parquet", "application/x-image")
#: the metric codes a ``methods`` list may name, per stage (contract §7.3, §7.4)
PRE_TRAINING_METHODS = ("CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD")
POST_TRAINING_METHODS = ("AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "FT", "GE", "RD", "SD", "TE")
#: the documentation's names accepted in a ``methods`` list (contract §12: "DCAcc" is written "DCA")
METHOD_ALIASES = {"DCAcc": "DCA"}


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _name_or_index(value: Any) -> str | int:
    if isinstance(value, str) and value:
        return value
    if _is_whole(value) and value >= 0:
        return value
    raise expected("a column name or index")


def _scalar(value: Any) -> str | int | float | bool:
    if isinstance(value, (str, int, float, bool)):
        return value
    raise expected("a string, number or boolean")


def _values(value: Any) -> tuple[str | int | float | bool, ...]:
    if not isinstance(value, list) or not value:
        raise expected("a non-empty list of values (or one threshold)")
    for i, item in enumerate(value):
        if not isinstance(item, (str, int, float, bool)):
            raise expected("a string, number or boolean", at=(i,), found=item)
    return tuple(value)


def _methods(stage: tuple[str, ...]):
    def check(value: Any) -> str | tuple[str, ...]:
        if isinstance(value, str) and value.strip().lower() == "all":
            return "all"
        if isinstance(value, list) and value:
            out = []
            for i, item in enumerate(value):
                code = METHOD_ALIASES.get(item, item) if isinstance(item, str) else None
                if code not in stage:
                    raise expected(f"one of {', '.join(stage)}", at=(i,), found=item)
                if code not in out:
                    out.append(code)
            return tuple(out)
        raise expected(f'"all" or a non-empty list of {", ".join(stage)}')
    return check


def _columns(value: Any) -> tuple[str | int, ...]:
    if not isinstance(value, list):
        raise expected("a list of column names or indexes")
    for i, item in enumerate(value):
        try:
            _name_or_index(item)
        except Exception:
            raise expected("a column name or index", at=(i,), found=item) from None
    return tuple(value)


def _headers(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise expected("a non-empty list of column names")
    seen: set[str] = set()
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item:
            raise expected("a non-empty string", at=(i,), found=item)
        if item in seen:
            raise expected("a column name used once", at=(i,), found=item)
        seen.add(item)
    return tuple(value)


def _positive_int(value: Any) -> int:
    if _is_whole(value) and value >= 1:
        return value
    raise expected("a whole number >= 1")


def _share(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise expected("a number from 0 to 1")


NameOrIndex = Annotated[str | int, PlainValidator(_name_or_index)]
Scalar = Annotated[str | int | float | bool, PlainValidator(_scalar)]
Values = Annotated[tuple[str | int | float | bool, ...], PlainValidator(_values)]
Columns = Annotated[tuple[str | int, ...], PlainValidator(_columns)]
Headers = Annotated[tuple[str, ...], PlainValidator(_headers)]
PositiveInt = Annotated[int, PlainValidator(_positive_int)]
Probability = Annotated[float, PlainValidator(_share)]


class FacetConfig(Document):
    """One ``facet`` entry: the column, and the sensitive values (categorical) or one threshold (continuous);
    without ``value_or_threshold`` each value of the column is measured against the rest."""

    name_or_index: NameOrIndex
    value_or_threshold: Values | None = None


class BiasMethods(Document):
    """``methods.pre_training_bias`` / ``methods.post_training_bias``."""

    methods: Any = "all"


class PreTrainingMethods(BiasMethods):
    methods: Annotated[str | tuple[str, ...], PlainValidator(_methods(PRE_TRAINING_METHODS))] = "all"


class PostTrainingMethods(BiasMethods):
    methods: Annotated[str | tuple[str, ...], PlainValidator(_methods(POST_TRAINING_METHODS))] = "all"


class ReportConfig(Document):
    name: str = "report"
    title: str = "Analysis Report"


def _baseline(value: Any) -> str | tuple[Any, ...]:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, list) and value:
        for i, row in enumerate(value):
            if not isinstance(row, (list, dict)):
                raise expected("a row (a list of values, or an object with \"features\")", at=(i,), found=row)
        return tuple(value)
    raise expected("an S3 URI or a non-empty list of rows")


class ShapConfig(Document):
    """``methods.shap`` (contract §7.2); ``baseline`` and ``num_clusters`` exclude each other."""

    baseline: Annotated[str | tuple[Any, ...], PlainValidator(_baseline)] | None = None
    num_clusters: PositiveInt | None = None
    num_samples: PositiveInt | None = None
    agg_method: Literal["mean_abs", "median", "mean_sq"] = "mean_abs"
    use_logit: bool = False
    save_local_shap_values: bool = False
    seed: int | None = None
    features_to_explain: Columns | None = None
    text_config: dict[str, Any] | None = None
    image_config: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _baseline_or_clusters(self) -> "ShapConfig":
        if self.baseline is not None and self.num_clusters is not None:
            raise expected("either baseline or num_clusters, not both", at=("num_clusters",),
                           found=self.num_clusters)
        return self


class MethodsConfig(Document):
    report: ReportConfig | None = None
    pre_training_bias: PreTrainingMethods | None = None
    post_training_bias: PostTrainingMethods | None = None
    shap: ShapConfig | None = None
    pdp: dict[str, Any] | None = None
    asymmetric_shapley_value: dict[str, Any] | None = None


class PredictorConfig(Document):
    """``predictor``: a model to start as a shadow endpoint, or an existing endpoint (never both)."""

    model_name: str | None = None
    instance_type: str | None = None
    initial_instance_count: PositiveInt | None = None
    endpoint_name: str | None = None
    endpoint_name_prefix: str | None = None
    target_model: str | None = None
    accelerator_type: str | None = None
    content_type: Literal["text/csv", "application/jsonlines", "application/json", "image/jpeg", "image/png",
                          "application/x-npy"] | None = None
    accept_type: Literal["text/csv", "application/jsonlines", "application/json"] | None = None
    content_template: str | None = None
    record_template: str | None = None
    custom_attributes: str | None = None
    label: NameOrIndex | None = None
    probability: NameOrIndex | None = None
    label_headers: Headers | None = None
    time_series_predictor_config: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _model_or_endpoint(self) -> "PredictorConfig":
        if self.endpoint_name is not None:
            if self.model_name is not None:
                raise expected("either endpoint_name or model_name, not both", at=("model_name",),
                               found=self.model_name)
        elif self.model_name is None:
            raise expected("model_name (with instance_type and initial_instance_count) or endpoint_name",
                           at=("model_name",), found=None)
        else:
            for key in ("instance_type", "initial_instance_count"):
                if getattr(self, key) is None:
                    raise expected(f"{key} (model_name starts a shadow endpoint)", at=(key,), found=None)
        return self


class AnalysisConfig(Document):
    """The whole ``analysis_config.json``."""

    version: str | None = None
    dataset_type: Literal[DATASET_TYPES] = "text/csv"  # type: ignore[valid-type]
    dataset_uri: str | None = None
    headers: Headers | None = None
    label: NameOrIndex | None = None
    predicted_label: NameOrIndex | None = None
    features: str | None = None
    label_values_or_threshold: Values | None = None
    probability_threshold: Probability | None = None
    facet: list[FacetConfig] | None = None
    group_variable: NameOrIndex | None = None
    excluded_columns: Columns | None = None
    joinsource_name_or_index: NameOrIndex | None = None
    methods: MethodsConfig | None = None
    predictor: PredictorConfig | None = None

    @model_validator(mode="after")
    def _facets_named_once(self) -> "AnalysisConfig":
        seen: set[str | int] = set()
        for i, facet in enumerate(self.facet or ()):
            if facet.name_or_index in seen:
                raise expected("a facet column named once", at=("facet", i, "name_or_index"),
                               found=facet.name_or_index)
            seen.add(facet.name_or_index)
        return self


def parse_analysis_config(document: Any, *, source: str = ANALYSIS_CONFIG_FILE) -> AnalysisConfig:
    """Check a parsed ``analysis_config.json``; any problem raises :class:`SchemaError` naming the field.

    >>> parse_analysis_config({"label": "y", "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}]}).label
    'y'
    >>> parse_analysis_config({"facet": [{"name_or_index": None}]})
    Traceback (most recent call last):
    ...
    sagewatch.errors.SchemaError: analysis_config.json, field 'facet[0].name_or_index': expected a column name or index, found null
    """
    return validate_document(AnalysisConfig, document, source=source)


def load_analysis_config(path: str | Path) -> AnalysisConfig:
    """Read and check an ``analysis_config.json`` file (errors name the file, line or field)."""
    return parse_analysis_config(read_json_file(path, "analysis config"), source=str(path))
