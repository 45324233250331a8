"""Post-training bias with the predicted labels of a local model (``sagewatch_model``)."""

from __future__ import annotations

import doctest
import json

import numpy as np
import pyarrow as pa
import pytest
from sklearn.linear_model import LogisticRegression

from sagewatch.clarify.bias import model_predictions
from sagewatch.clarify.bias.model_predictions import PREDICTED_LABEL_COLUMN, add_model_predictions
from sagewatch.errors import ModelResponseError, SchemaError
from sagewatch.schemas.clarify_config import parse_analysis_config

CONFIG = {"label": "y", "label_values_or_threshold": [1], "excluded_columns": ["id"],
          "facet": [{"name_or_index": "sex", "value_or_threshold": [1]}],
          "methods": {"post_training_bias": {"methods": ["DPPL"]}}}


def _model():
    X = np.array([[0, 0.1], [1, 0.2], [0, 0.9], [1, 0.8], [0, 0.3], [1, 0.7]])
    return LogisticRegression(C=100.0).fit(X, [0, 0, 1, 1, 0, 1])


def test_docstring_examples():
    result = doctest.testmod(model_predictions, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_features_are_all_columns_but_label_and_excluded_in_dataset_order():
    model = _model()
    table = pa.table({"id": ["a", "b", "c"], "sex": [0, 1, 0], "x": [0.1, 0.9, 0.8], "y": [0, 1, 1]})
    out, config = add_model_predictions(table, parse_analysis_config(CONFIG), model)
    assert config.predicted_label == PREDICTED_LABEL_COLUMN
    assert out.column(PREDICTED_LABEL_COLUMN).to_pylist() == model.predict([[0, 0.1], [1, 0.9], [0, 0.8]]).tolist()


def test_a_record_with_a_missing_or_non_numeric_feature_gets_no_prediction():
    table = pa.table({"id": ["a", "b", "c"], "sex": [0, None, 1], "x": ["0.1", "0.9", "n/a"], "y": [0, 1, 1]})
    out, _ = add_model_predictions(table, parse_analysis_config(CONFIG), _model())
    assert out.column(PREDICTED_LABEL_COLUMN).to_pylist()[1:] == [None, None]
    assert out.column(PREDICTED_LABEL_COLUMN)[0].as_py() == _model().predict([[0, 0.1]])[0]


def test_probability_threshold_uses_the_positive_class_probability():
    model = _model()
    table = pa.table({"id": ["a", "b"], "sex": [0, 1], "x": [0.1, 0.9], "y": [0, 1]})
    config = parse_analysis_config({**CONFIG, "probability_threshold": 0.5})
    out, _ = add_model_predictions(table, config, model)
    assert out.column(PREDICTED_LABEL_COLUMN).to_pylist() == model.predict_proba([[0, 0.1], [1, 0.9]])[:, 1].tolist()


def test_a_predicted_label_column_and_a_model_are_refused():
    with pytest.raises(SchemaError, match="field 'predicted_label'.*leave out the model or predicted_label"):
        add_model_predictions(pa.table({"y": [1], "p": [1]}), parse_analysis_config({**CONFIG, "predicted_label": "p",
                                                                                     "excluded_columns": None}),
                              _model())


def test_a_model_answering_the_wrong_shape_is_named():
    class Wrong:
        def predict(self, X):
            return np.zeros((len(X), 3))

    table = pa.table({"id": ["a"], "sex": [0], "x": [0.1], "y": [0]})
    with pytest.raises(ModelResponseError, match=r"answered \(1, 3\) for 1 records"):
        add_model_predictions(table, parse_analysis_config(CONFIG), Wrong())


def test_the_job_reads_the_model_from_sagewatch_model(tmp_path):
    import joblib

    from sagewatch.job.run import run_job
    from sagewatch.job.spec import parse_job_spec

    rng = np.random.default_rng(0)
    sex, x = rng.integers(0, 2, 300), rng.random(300).round(3)
    y = (x + 0.3 * sex > 0.6).astype(int)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.csv").write_text("id,sex,x,y\n" + "".join(
        f"r{i},{s},{v},{t}\n" for i, (s, v, t) in enumerate(zip(sex, x, y))))
    model = LogisticRegression().fit(np.column_stack([sex, x]), y)
    joblib.dump(model, tmp_path / "model.joblib")
    (tmp_path / "analysis_config.json").write_text(json.dumps(CONFIG))
    spec = parse_job_spec({"SAGEWATCH_OPT_ML": str(tmp_path / "opt"), "analysis_type": "MODEL_BIAS",
                           "dataset_source": str(tmp_path / "data"), "output_path": str(tmp_path / "out"),
                           "analysis_config": str(tmp_path / "analysis_config.json"),
                           "sagewatch_model": str(tmp_path / "model.joblib")})
    run_job(spec)
    document = json.loads((tmp_path / "out" / "analysis.json").read_text())
    (metric,) = document["post_training_bias_metrics"]["facets"]["sex"][0]["metrics"]
    predicted = model.predict(np.column_stack([sex, x]))
    assert metric["name"] == "DPPL"
    assert metric["value"] == pytest.approx(predicted[sex == 0].mean() - predicted[sex == 1].mean(), abs=1e-12)
