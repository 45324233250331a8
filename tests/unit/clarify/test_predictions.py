"""Model answers -> predicted labels (contract §7.2), and post-training bias from a model equal to bias from the
same predictions written as a column."""

import numpy as np
import pyarrow as pa
import pytest

from sagewatch.clarify.bias.dataset import run_bias_analysis
from sagewatch.clarify.predictions import ModelAnswers, local_predictor, predicted_labels
from sagewatch.errors import InvalidParameterError, ModelResponseError, SchemaError
from sagewatch.schemas.clarify_config import parse_analysis_config


@pytest.mark.parametrize("answers, settings, expected", [
    (ModelAnswers(scores=np.array([0.3, 0.81])), {"probability_threshold": 0.8}, [0, 1]),
    (ModelAnswers(scores=np.array([0.5, 0.51])), {}, [0, 1]),  # above 0.5, not at it
    (ModelAnswers(scores=np.array([0.3, 0.9])), {"label_headers": ["no", "yes"]}, ["no", "yes"]),
    (ModelAnswers(labels=np.array([["cat", "dog", "fish"]] * 2, dtype=object),
                  scores=np.array([[0.35, 0.25, 0.4], [0.1, 0.8, 0.1]])), {}, ["fish", "dog"]),
    (ModelAnswers(scores=np.array([[0.35, 0.25, 0.4]])), {"label_headers": ["cat", "dog", "fish"]}, ["fish"]),
    (ModelAnswers(labels=np.array(["1", "0"], dtype=object)), {}, [1, 0]),
    (ModelAnswers(labels=np.array([0.2, 0.7])), {}, [0, 1]),  # a probability selected by label
    (ModelAnswers(labels=np.array([3.0, 7.0])), {}, [3.0, 7.0]),  # a regression's score stays
])
def test_predicted_labels_follow_clarifys_rules(answers, settings, expected):
    assert predicted_labels(answers, records=len(expected), **settings).tolist() == expected


@pytest.mark.parametrize("answers, settings, message", [
    (ModelAnswers(scores=np.array([[0.1, 0.9]])), {"label_headers": ["a", "b", "c"]}, "names 3 labels but"),
    (ModelAnswers(labels=np.array([["a", "b"]], dtype=object)), {}, "2 labels per record and no scores"),
    (ModelAnswers(scores=np.array(["x"], dtype=object)), {}, "scores that are not numbers"),
    (ModelAnswers(scores=np.array([np.nan])), {}, "NaN or infinite scores"),
    (ModelAnswers(), {}, "neither a label nor a score"),
])
def test_answers_of_the_wrong_shape_are_named(answers, settings, message):
    with pytest.raises(ModelResponseError, match=message):
        predicted_labels(answers, records=1, **settings)


CONFIG = {"dataset_type": "text/csv", "headers": ["x1", "id", "sex", "x2", "y"], "label": "y",
          "label_values_or_threshold": [1], "excluded_columns": ["id"],
          "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
          "methods": {"post_training_bias": {"methods": "all"}, "pre_training_bias": {"methods": "all"}}}


def _data(tmp_path, with_predictions: bool):
    rng = np.random.default_rng(3)
    n = 400
    x1, x2 = rng.normal(size=n).round(3), rng.normal(size=n).round(3)
    sex = rng.integers(0, 2, n)
    y = (x1 + 0.5 * sex + rng.normal(scale=0.5, size=n) > 0).astype(int)
    columns = [x1.tolist(), list(range(n)), sex.tolist(), x2.tolist(), y.tolist()]
    if with_predictions:
        p = 1 / (1 + np.exp(-(x1 - x2 + sex)))
        columns.append((p > 0.5).astype(int).tolist())
    path = tmp_path / ("with.csv" if with_predictions else "without.csv")
    path.write_text("\n".join(",".join(str(v) for v in row) for row in zip(*columns)) + "\n")
    return path


def _model(X):
    assert X.shape[1] == 3  # x1, sex, x2: the label and the excluded id are not sent
    return 1 / (1 + np.exp(-(X[:, 0] - X[:, 2] + X[:, 1])))


def test_bias_from_the_model_equals_bias_from_its_predictions_as_a_column(tmp_path):
    config = parse_analysis_config(CONFIG)
    from_model = run_bias_analysis(config, _data(tmp_path, False), predictor=local_predictor(_model))
    column = parse_analysis_config({**CONFIG, "headers": CONFIG["headers"] + ["predicted"],
                                    "predicted_label": "predicted"})
    from_column = run_bias_analysis(column, _data(tmp_path, True))
    assert from_model.document == from_column.document
    assert from_model.document["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"][0]["name"] == "AD"


def test_model_answering_the_wrong_number_of_predictions_fails(tmp_path):
    config = parse_analysis_config(CONFIG)
    with pytest.raises(ModelResponseError, match="answered 399 scores for 400 records"):
        run_bias_analysis(config, _data(tmp_path, False), predictor=local_predictor(lambda X: _model(X)[1:]))


def test_post_training_without_predictions_or_model_names_both(tmp_path):
    with pytest.raises(SchemaError, match="name their column in predicted_label, or give the model in predictor"):
        run_bias_analysis(parse_analysis_config(CONFIG), _data(tmp_path, False))


def test_model_that_only_predicts_negative_fails_naming_the_predictions(tmp_path):
    with pytest.raises(InvalidParameterError, match="every prediction is negative"):
        run_bias_analysis(parse_analysis_config(CONFIG), _data(tmp_path, False),
                          predictor=local_predictor(lambda X: np.zeros(len(X))))
