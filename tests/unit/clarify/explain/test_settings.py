"""The ``shap`` method of analysis_config.json: defaults, accepted forms and errors naming the key."""

from __future__ import annotations

import pytest

from sagewatch.clarify.explain.settings import ShapSettings, read_shap_method
from sagewatch.errors import InvalidParameterError


def test_defaults_are_clarifys_and_sagewatchs_choices():
    settings = read_shap_method({})
    assert settings == ShapSettings(baseline=None, num_clusters=None, num_samples=None, agg_method="mean_abs",
                                    use_logit=False, save_local_shap_values=True, seed=0, features_to_explain=None)


def test_the_dg_monitoring_example_is_read():
    settings = read_shap_method({"baseline": [[0.4441164946610942, 0.5190374448171748, 0.20722795300473712]],
                                 "num_samples": 100, "agg_method": "mean_abs"})
    assert settings.baseline == ((0.4441164946610942, 0.5190374448171748, 0.20722795300473712),)
    assert settings.num_samples == 100


def test_every_key_is_read():
    settings = read_shap_method({"baseline": [{"features": [1, 2]}, [3, "4"]], "num_samples": 10.0,
                                 "agg_method": "median", "use_logit": "true", "save_local_shap_values": False,
                                 "seed": 42, "features_to_explain": ["a", 1]})
    assert settings == ShapSettings(baseline=((1, 2), (3, "4")), num_samples=10, agg_method="median",
                                    use_logit=True, save_local_shap_values=False, seed=42,
                                    features_to_explain=("a", 1))
    assert read_shap_method({"baseline": " data/baseline.csv "}).baseline == "data/baseline.csv"
    assert read_shap_method({"num_clusters": 3}).num_clusters == 3


@pytest.mark.parametrize("method, message", [
    ([], "methods.shap must be an object, got list"),
    ({"agg_method": "max"}, "shap: agg_method must be one of mean_abs, median, mean_sq, got 'max'"),
    ({"baseline": [[1]], "num_clusters": 2}, "shap: baseline and num_clusters cannot be given together; give one"),
    ({"num_samples": 0}, "shap: num_samples must be a whole number of at least 1, got 0"),
    ({"num_samples": 2.5}, "shap: num_samples must be a whole number, got 2.5"),
    ({"num_clusters": True}, "shap: num_clusters must be a whole number, got True"),
    ({"seed": -1}, "shap: seed must be a whole number from 0 to 2**32 - 1, got -1"),
    ({"use_logit": "yes"}, "shap: use_logit must be true or false, got 'yes'"),
    ({"features_to_explain": "a"}, "shap: features_to_explain must be a list of feature names or indexes, got 'a'"),
    ({"features_to_explain": []}, "shap: features_to_explain must name at least one feature when given"),
    ({"baseline": []}, "shap: baseline must be a list of rows or the location of a file, got []"),
    ({"baseline": ""}, "shap: baseline is an empty string; give rows, a file, or num_clusters"),
    ({"baseline": [[1, 2], [3]]}, "shap: baseline rows have different lengths ([1, 2]); each row holds one value per "
                                  "feature"),
    ({"baseline": [{"x": [1]}]}, "shap: baseline row 0 is an object without a 'features' list"),
    ({"baseline": [[1, None]]}, "shap: baseline row 0 holds None; feature values are finite numbers (or numeric "
                                "text)"),
    ({"baseline": [[float("nan")]]}, "shap: baseline row 0 holds nan; feature values are finite numbers"),
    ({"text_config": {"granularity": "token"}}, "shap: text_config (text or image features) is not supported by "
                                                 "sagewatch; only tabular features are explained"),
    ({"image_config": {}}, "shap: image_config (text or image features) is not supported by sagewatch"),
])
def test_bad_methods_name_the_key(method, message):
    with pytest.raises(InvalidParameterError) as info:
        read_shap_method(method)
    assert str(info.value).startswith(message)
