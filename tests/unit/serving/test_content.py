"""Default decoding and encoding of the model server (sagewatch.serving.content)."""

import io

import numpy as np
import pytest

from sagewatch.serving.content import (
    ENCODERS,
    decode,
    decode_csv,
    decode_json,
    decode_npy,
    encode,
    encode_csv,
    encode_json,
    encode_npy,
    media_type,
    negotiate_accept,
    parse_accept,
)
from sagewatch.serving.errors import BadRequestError, ModelServerError, UnsupportedMediaTypeError


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


# --- headers ---------------------------------------------------------------------------------------------


def test_media_type_strips_parameters_and_case():
    assert media_type("Application/JSON ; charset=UTF-8") == "application/json"
    assert media_type(None) is None
    assert media_type(" ; q=1") is None


def test_parse_accept_orders_by_quality_then_position_and_drops_q0():
    assert parse_accept("text/csv;q=0.2, application/json, application/x-npy;q=0, */*;q=0.5") == [
        "application/json", "*/*", "text/csv"]
    assert parse_accept("text/csv;q=abc") == []


@pytest.mark.parametrize("header, expected", [
    (None, "application/json"),
    ("", "application/json"),
    ("*/*", "application/json"),
    ("text/csv", "text/csv"),
    ("application/jsonlines, text/csv", "text/csv"),
    ("application/*", "application/json"),
    ("text/*", "text/csv"),
    ("application/x-npy;q=0.9, text/csv", "text/csv"),
])
def test_negotiate_accept_picks_the_first_supported_type(header, expected):
    assert negotiate_accept(header, "application/json", ENCODERS) == expected


def test_negotiate_accept_without_a_supported_type_is_415():
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        negotiate_accept("image/png", "application/json", ENCODERS)
    assert caught.value.status == 415
    assert str(caught.value) == ("Accept type image/png is not supported: this server answers text/csv, "
                                 "application/json, application/x-npy.")


def test_negotiate_accept_for_a_user_output_fn_passes_any_concrete_type():
    assert negotiate_accept("application/jsonlines;q=0.8, image/png", "text/csv") == "image/png"
    assert negotiate_accept("*/*", "text/csv") == "text/csv"


# --- CSV ---------------------------------------------------------------------------------------------------


def test_decode_csv_many_rows_gives_float64_2d():
    array = decode_csv("1,2.5,-3\r\n4,5e-1,6\n\n")
    assert array.dtype == np.float64
    assert array.tolist() == [[1.0, 2.5, -3.0], [4.0, 0.5, 6.0]]


def test_decode_csv_single_row_is_2d():
    assert decode_csv("0.1,0.2,0.3").shape == (1, 3)


def test_decode_csv_empty_cells_are_nan():
    array = decode_csv("1,,3\n, 2 ,\n")
    assert array.dtype == np.float64
    assert np.isnan(array).tolist() == [[False, True, False], [True, False, True]]
    assert array[1, 1] == 2.0


def test_decode_csv_non_numeric_falls_back_to_object():
    array = decode_csv("1.5,red,\n2,blue,7\n")
    assert array.dtype == object
    assert array[:, :2].tolist() == [[1.5, "red"], [2.0, "blue"]]
    assert np.isnan(array[0, 2]) and array[1, 2] == 7.0


def test_decode_csv_quoted_fields_keep_commas():
    assert decode_csv('1,"a, b"\n2,"c ""q"""\n').tolist() == [[1.0, "a, b"], [2.0, 'c "q"']]


def test_decode_csv_ragged_rows_are_400():
    with pytest.raises(BadRequestError) as caught:
        decode_csv("1,2,3\n4,5\n")
    assert caught.value.status == 400
    assert str(caught.value) == "CSV row 2 has 2 values but row 1 has 3."


@pytest.mark.parametrize("text", ["", "\n\n", "  \n"])
def test_decode_csv_empty_payload_is_400(text):
    with pytest.raises(BadRequestError, match="The CSV payload is empty."):
        decode_csv(text)


# --- JSON --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "[[1, 2], [3, 4]]",
    '{"instances": [[1, 2], [3, 4]]}',
    '{"inputs": [[1, 2], [3, 4]]}',
    '{"instances": [{"features": [1, 2]}, {"features": [3, 4]}]}',
])
def test_decode_json_forms_of_many_rows(text):
    array = decode_json(text)
    assert array.dtype == np.float64
    assert array.tolist() == [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize("text", ["[1, 2, 3]", '{"instances": [1, 2, 3]}', '{"inputs": [1, 2, 3]}'])
def test_decode_json_single_row_is_one_row(text):
    assert decode_json(text).tolist() == [[1.0, 2.0, 3.0]]


def test_decode_json_null_is_nan_and_strings_fall_back_to_object():
    assert np.isnan(decode_json("[[1, null]]")[0, 1])
    array = decode_json('[[1, "a", null], [2, "b", 3]]')
    assert array.dtype == object
    assert array[:, :2].tolist() == [[1, "a"], [2, "b"]]
    assert np.isnan(array[0, 2])


@pytest.mark.parametrize("text, message", [
    ("[[1, 2", "The JSON payload is not valid JSON: "),
    ('{"rows": [[1]]}', 'A JSON object payload needs an "instances" or "inputs" member (it has: rows).'),
    ("5", "A JSON payload must be a list of rows or a single row, not int."),
    ("[]", "The JSON payload has no rows."),
    ("[[1, 2], [3]]", "JSON row 2 has 1 values but row 1 has 2."),
    ("[[[1, 2]]]", "JSON row 1 must be a flat list of numbers or strings"),
    ('[{"x": 1}]', 'JSON row 1 is an object without a "features" member.'),
    ("[[]]", "The JSON rows have no values."),
])
def test_decode_json_bad_payloads_are_400_with_the_reason(text, message):
    with pytest.raises(BadRequestError) as caught:
        decode_json(text)
    assert caught.value.status == 400
    assert str(caught.value).startswith(message)


# --- NPY and dispatch --------------------------------------------------------------------------------------


def test_decode_npy_keeps_2d_and_makes_1d_one_row():
    assert decode_npy(_npy(np.arange(6, dtype=np.int32).reshape(2, 3))).tolist() == [[0, 1, 2], [3, 4, 5]]
    assert decode_npy(_npy(np.array([0.5, 1.5]))).shape == (1, 2)


@pytest.mark.parametrize("body", [b"not npy", _npy(np.array([{"a": 1}], dtype=object)), _npy(np.float64(1.0))])
def test_decode_npy_rejects_garbage_pickles_and_scalars(body):
    with pytest.raises(BadRequestError):
        decode_npy(body)


def test_decode_dispatches_on_the_media_type():
    assert decode(b"1,2", "text/csv; charset=utf-8").tolist() == [[1.0, 2.0]]
    assert decode("[1, 2]", "application/json").tolist() == [[1.0, 2.0]]
    assert decode(_npy(np.ones((1, 2))), "application/x-npy").tolist() == [[1.0, 1.0]]


@pytest.mark.parametrize("content_type, shown", [("text/plain", "text/plain"), (None, "(no Content-Type header)")])
def test_decode_unsupported_content_type_is_415(content_type, shown):
    with pytest.raises(UnsupportedMediaTypeError) as caught:
        decode(b"1", content_type)
    assert caught.value.status == 415
    assert str(caught.value) == (f"Content type {shown} is not supported: this server reads text/csv, "
                                 "application/json, application/x-npy.")


def test_decode_non_utf8_text_is_400():
    with pytest.raises(BadRequestError, match="not UTF-8"):
        decode(b"\xff\xfe1", "text/csv")


# --- encoding ----------------------------------------------------------------------------------------------


def test_encode_csv_one_value_per_line_without_trailing_newline():
    assert encode_csv(np.array([1, 0, 1])) == b"1\n0\n1"
    assert encode_csv(np.array(["yes", "no"])) == b"yes\nno"
    assert encode_csv(np.array([0.1, 1e-20, np.nan])) == b"0.1\n1e-20\nnan"


def test_encode_csv_multi_output_rows_are_comma_joined():
    assert encode_csv(np.array([[0.25, 0.75], [1.0, 0.0]])) == b"0.25,0.75\n1.0,0.0"


def test_encode_csv_float32_uses_the_shortest_float32_text():
    assert encode_csv(np.array([0.1, 0.7], dtype=np.float32)) == b"0.1\n0.7"


def test_encode_csv_quotes_values_with_commas_and_quotes():
    assert encode_csv(np.array(['a,b', 'say "hi"'], dtype=object)) == b'"a,b"\n"say ""hi"""'


def test_encode_csv_scalar_and_lists():
    assert encode_csv(3) == b"3"
    assert encode_csv([[1, 2], [3, 4]]) == b"1,2\n3,4"


def test_encode_csv_3d_is_a_500_naming_the_alternatives():
    with pytest.raises(ModelServerError) as caught:
        encode_csv(np.zeros((1, 1, 1)))
    assert caught.value.status == 500
    assert "ask for application/json or application/x-npy" in str(caught.value)


def test_encode_json_wraps_predictions():
    assert encode_json(np.array([[0.5, 0.5]])) == b'{"predictions": [[0.5, 0.5]]}'
    assert encode_json([np.int64(1), np.float32(0.5)]) == b'{"predictions": [1, 0.5]}'
    assert encode_json(np.array(["a"])) == b'{"predictions": ["a"]}'


def test_encode_json_of_an_unserialisable_prediction_is_500():
    with pytest.raises(ModelServerError, match="cannot be written as JSON"):
        encode_json([object()])


def test_encode_npy_round_trips():
    prediction = np.array([[1.5, 2.5]], dtype=np.float32)
    loaded = np.load(io.BytesIO(encode_npy(prediction)))
    assert loaded.dtype == np.float32 and loaded.tolist() == [[1.5, 2.5]]


def test_encode_picks_the_encoder_and_rejects_others():
    assert encode(np.array([1]), "application/json; charset=utf-8") == (b'{"predictions": [1]}', "application/json")
    with pytest.raises(UnsupportedMediaTypeError):
        encode([1], "image/png")
