"""Requests and answers of the Clarify container's endpoint calls."""

import json

import numpy as np
import pytest

from sagewatch.clarify_container.payload import (CSV, JSON, JSONLINES, PayloadFormat, batches, encode_records,
                                                 parse_answers, payload_format)
from sagewatch.errors import InvalidParameterError, ModelResponseError
from sagewatch.schemas.clarify_config import PredictorConfig


def fmt(content=CSV, accept=CSV, content_template=None, record_template=None, label=None, probability=None):
    return PayloadFormat(content, accept, content_template, record_template, label, probability, ("a", "b"))


def test_csv_records_keep_text_and_whole_numbers():
    records = np.array([[1, "x"], [2.5, "y"]], dtype=object)
    assert encode_records(fmt(), records) == [b'1,"x"', b'2.5,"y"']


def test_jsonlines_records_fill_the_content_template():
    pieces = encode_records(fmt(JSONLINES, content_template='{"features":$features}'), np.array([[1.0, 2.0]]))
    assert pieces == [b'{"features":[1.0, 2.0]}']


def test_json_records_fill_record_and_content_templates():
    f = fmt(JSON, content_template='{"instances":$records}', record_template='{"A": "${a}", "kv": {$features_kvp}}')
    (_, _, body), = batches(f, encode_records(f, np.array([[1.0, 2.0], [3.0, 4.0]])))
    assert json.loads(body) == {"instances": [{"A": 1.0, "kv": {"a": 1.0, "b": 2.0}},
                                              {"A": 3.0, "kv": {"a": 3.0, "b": 4.0}}]}


def test_single_record_json_template_sends_one_record_per_request():
    f = fmt(JSON, content_template="$record", record_template="$features")
    assert [body for _, _, body in batches(f, encode_records(f, np.array([[1.0, 2.0], [3.0, 4.0]])))] == \
        [b"[1.0, 2.0]", b"[3.0, 4.0]"]


def test_csv_answers_are_selected_by_column_index():
    answers = parse_answers(fmt(label=0, probability=1), b"yes,0.9\nno,0.2\n")
    assert answers.labels.tolist() == ["yes", "no"] and answers.scores.tolist() == [0.9, 0.2]


def test_csv_answer_without_settings_is_the_prediction():
    assert parse_answers(fmt(), b"0.25\n0.75").scores.tolist() == [0.25, 0.75]
    assert parse_answers(fmt(), b"1\n0").labels.tolist() == [1, 0]
    assert parse_answers(fmt(), b"0.1,0.9\n0.8,0.2").scores.shape == (2, 2)


def test_json_document_answers_use_jmespath_over_the_whole_answer():
    body = json.dumps({"predictions": [{"score": 0.3}, {"score": 0.6}]}).encode()
    assert parse_answers(fmt(accept=JSON, probability="predictions[*].score"), body).scores.tolist() == [0.3, 0.6]


@pytest.mark.parametrize("accept, body, setting, message", [
    (CSV, b"0.5\n", {"label": 3}, "predictor.label is column 3 but the model answered 1 columns"),
    (JSONLINES, b'{"p": 0.5}\n', {}, "set predictor.label and/or predictor.probability"),
    (JSONLINES, b'{"p": 0.5}\n{"q": 1}\n', {"probability": "p"}, "finds nothing in answer record 1"),
    (JSONLINES, b"not json\n", {}, "not valid JSON"),
    (CSV, b"", {}, "empty text/csv body"),
])
def test_unreadable_answers_name_the_problem(accept, body, setting, message):
    with pytest.raises(ModelResponseError, match=message):
        parse_answers(fmt(accept=accept, **setting), body)


def test_defaults_follow_the_dataset_and_templates_are_checked():
    assert payload_format(PredictorConfig(endpoint_name="e"), "application/jsonlines", ["a"]).accept_type == JSONLINES
    with pytest.raises(InvalidParameterError, match="needs a content_template"):
        payload_format(PredictorConfig(endpoint_name="e", content_type=JSON), "text/csv", ["a"])
