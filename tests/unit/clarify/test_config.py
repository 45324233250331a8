"""analysis_config.json: the declared model and its resolution against the dataset's columns."""

from __future__ import annotations

import pytest

from sagewatch.clarify.config import bias_methods, bias_spec
from sagewatch.errors import SchemaError
from sagewatch.schemas.clarify_config import load_analysis_config, parse_analysis_config

BIAS = {"label": "y", "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
        "methods": {"pre_training_bias": {"methods": "all"}}}


@pytest.mark.parametrize(("document", "field", "text"), [
    ({"dataset_type": "text/tsv"}, "dataset_type", "expected one of 'text/csv'"),
    ({"headers": ["a", "a"]}, "headers[1]", "expected a column name used once"),
    ({"label": True}, "label", "expected a column name or index"),
    ({"label": -1}, "label", "expected a column name or index"),
    ({"label_values_or_threshold": 1}, "label_values_or_threshold", "expected a non-empty list"),
    ({"label_values_or_threshold": [[1]]}, "label_values_or_threshold[0]", "expected a string, number or boolean"),
    ({"facet": [{"value_or_threshold": [1]}]}, "facet[0].name_or_index", "the field is required"),
    ({"probability_threshold": "0.5"}, "probability_threshold", "expected a number from 0 to 1"),
    ({"methods": {"post_training_bias": {"methods": ["DPPL", "KL"]}}}, "methods.post_training_bias.methods[1]",
     "expected one of AD, CDDPL"),
    ({"methods": {"pre_training_bias": {"methods": "some"}}}, "methods.pre_training_bias.methods",
     'expected "all" or a non-empty list'),
    ({"methods": {"shap": {"agg_method": "max"}}}, "methods.shap.agg_method", "expected one of 'mean_abs'"),
    ({"methods": {"shap": {"num_samples": 0}}}, "methods.shap.num_samples", "expected a whole number >= 1"),
    ({"methods": {"shap": {"baseline": [1, 2]}}}, "methods.shap.baseline[0]", "expected a row"),
    ({"predictor": {"model_name": "m"}}, "predictor.instance_type", "expected instance_type"),
    ({"predictor": {"instance_type": "x"}}, "predictor.model_name", "expected model_name"),
    ({"predictor": {"endpoint_name": "e", "content_type": "text/plain"}}, "predictor.content_type",
     "expected one of 'text/csv'"),
    ({"excluded_columns": ["id", None]}, "excluded_columns[1]", "expected a column name or index"),
])
def test_invalid_config_names_the_field(document, field, text):
    with pytest.raises(SchemaError) as info:
        parse_analysis_config(document)
    assert info.value.field == field
    assert text in str(info.value)


def test_explainability_sections_are_declared():
    config = parse_analysis_config({
        "headers": ["f1", "f2"], "methods": {"shap": {"baseline": [[0.1, 0.2]], "num_samples": 100, "seed": 3,
                                                         "agg_method": "median", "use_logit": True,
                                                         "save_local_shap_values": True, "features_to_explain": ["f1"]},
                                                "report": {"name": "report", "title": "Analysis Report"}},
        "predictor": {"endpoint_name": "ep", "label_headers": ["no", "yes"], "probability": 1, "accept_type":
                      "application/jsonlines"}})
    shap = config.methods.shap
    assert (shap.baseline, shap.num_samples, shap.seed, shap.agg_method, shap.use_logit) == \
        (([0.1, 0.2],), 100, 3, "median", True)
    assert config.predictor.label_headers == ("no", "yes") and config.predictor.probability == 1


def test_dcacc_is_accepted_for_dca():
    config = parse_analysis_config({"methods": {"post_training_bias": {"methods": ["DCAcc", "DI", "DCA"]}}})
    assert config.methods.post_training_bias.methods == ("DCA", "DI")


def test_unknown_keys_are_ignored():
    assert parse_analysis_config({**BIAS, "future_option": 1}).label == "y"


def test_invalid_json_file_names_the_file_and_line(tmp_path):
    path = tmp_path / "analysis_config.json"
    path.write_text('{\n  "label": "y",\n  oops\n}')
    with pytest.raises(SchemaError) as info:
        load_analysis_config(path)
    assert str(path) in str(info.value) and "line 3" in str(info.value) and "invalid JSON" in str(info.value)


def test_spec_resolves_names_and_indexes():
    config = parse_analysis_config({**BIAS, "label": 3, "predicted_label": "p", "group_variable": 0,
                                    "excluded_columns": ["id"],
                                    "methods": {"post_training_bias": {"methods": ["DI"]}}})
    spec = bias_spec(config, ["g", "sex", "p", "y", "id"])
    assert (spec.label, spec.predicted_label, spec.group_variable, spec.excluded_columns) == ("y", "p", "g", ("id",))
    assert spec.pre_training is None and spec.post_training == ("DI",)
    assert spec.used_columns == ("y", "p", "sex", "g")


@pytest.mark.parametrize(("change", "field", "text"), [
    ({"label": 9}, "label", "column index 9 is out of range: the dataset has 3 columns"),
    ({"label": None}, "label", "needs the label column"),
    ({"label_values_or_threshold": None}, "label_values_or_threshold", "needs the positive label values"),
    ({"facet": None}, "facet", "needs at least one facet"),
    ({"facet": [{"name_or_index": "y"}]}, "facet[0].name_or_index", "is the label or predicted-label column"),
    ({"group_variable": "zip"}, "group_variable", "'zip' names no column of the dataset; its columns are: sex, x, y"),
    ({"methods": {}}, "methods", "no bias analysis is asked for"),
    ({"methods": {"post_training_bias": {"methods": "all"}}}, "predicted_label", "need predicted labels"),
])
def test_spec_errors_name_the_field(change, field, text):
    document = {k: v for k, v in {**BIAS, **change}.items() if v is not None}
    with pytest.raises(SchemaError) as info:
        bias_spec(parse_analysis_config(document), ["sex", "x", "y"])
    assert info.value.field == field and text in str(info.value)


def test_config_without_methods_asks_for_both_bias_stages():
    # the SageMaker SDK's ModelBiasMonitor writes its ConfigUri file from BiasAnalysisConfig: BiasConfig plus
    # headers and label, no methods section (predicted labels come from the EndpointInput attributes)
    document = {"label_values_or_threshold": [1], "facet": [{"name_or_index": "sex", "value_or_threshold": [0]}],
                "headers": ["y", "sex", "x"], "label": "y"}
    config = parse_analysis_config(document)
    assert bias_methods(config) == ("all", "all")
    spec = bias_spec(config, ["y", "sex", "x", "p"], model_predictions=True)
    assert spec.pre_training == "all" and spec.post_training == "all"


def test_methods_without_a_bias_stage_still_ask_for_none():
    assert bias_methods(parse_analysis_config({**BIAS, "methods": {"shap": {"num_samples": 10}}})) == (None, None)
