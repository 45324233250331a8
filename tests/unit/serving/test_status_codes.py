"""Status codes of the model server (issue 11 §7): client errors are 4xx with a clear message, model errors 5xx.

Real HTTP requests against a server running in this process, a fitted scikit-learn model behind it.
"""

import gzip
import http.client
import io
import json
import socket
import zlib

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from sagewatch.serving import start_server

from ._helpers import write_script

TEXT = "text/plain; charset=utf-8"
MB = 1024 * 1024
ROWS = b"3,3,-3,0\n-3,-3,3,0"  # far from the boundary of y = [x0 + 2 x1 - x2 > 0]: predicted 1, 0


def _fit() -> LogisticRegression:
    features = np.random.default_rng(7).normal(size=(200, 4))
    return LogisticRegression().fit(features, (features[:, 0] + 2 * features[:, 1] - features[:, 2] > 0).astype(int))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("logistic")
    joblib.dump(_fit(), folder / "model.joblib")
    return folder


@pytest.fixture(scope="module")
def server(model_dir):
    with start_server(model_dir, default_accept="text/csv") as handle:
        yield handle


def request(port, method, path, body=None, headers=None):
    """(status, headers as a lower-cased dict, body) of one request on its own connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {name.lower(): value for name, value in response.getheaders()}, response.read()
    finally:
        connection.close()


def invoke(port, body, content_type="text/csv", **headers):
    return request(port, "POST", "/invocations", body, {"Content-Type": content_type, "Accept": "text/csv",
                                                         **{k.replace("_", "-"): v for k, v in headers.items()}})


def answer(port, body, content_type="text/csv", **headers):
    status, response_headers, data = invoke(port, body, content_type, **headers)
    return status, response_headers["content-type"], data


# --- rows the model refuses: 400 with scikit-learn's own message ----------------------------------------------


def test_wrong_feature_count_is_400_with_the_models_message(server):
    assert answer(server.port, b"1,2,3") == (
        400, TEXT, b"ValueError: X has 3 features, but LogisticRegression is expecting 4 features as input.")


def test_nan_values_are_400(server):
    status, content_type, body = answer(server.port, b"1,,3,4")
    assert (status, content_type) == (400, TEXT)
    assert body.startswith(b"ValueError: Input X contains NaN.")


def test_text_values_are_400(server):
    assert answer(server.port, b"1,abc,3,4") == (400, TEXT, b"ValueError: could not convert string to float: 'abc'")


def test_a_header_row_is_400_naming_it(server):
    assert answer(server.port, b"a,b,c,d\n" + ROWS) == (
        400, TEXT, b"CSV row 1 ('a, b, c, d') is a header: send the rows without a header line (SageMaker's "
                   b"text/csv has none).")


def test_infinity_in_json_is_400(server):
    status, _, body = answer(server.port, b"[[1e999, 1, 1, 1]]", "application/json")
    assert status == 400 and body.startswith(b"ValueError: Input X contains infinity")


def test_valid_rows_still_predict(server):
    assert answer(server.port, ROWS) == (200, "text/csv", b"1\n0")


# --- decoding ----------------------------------------------------------------------------------------------


def test_json_nested_100000_deep_is_400(server):
    status, content_type, body = answer(server.port, b"[" * 100_000 + b"]" * 100_000, "application/json")
    assert (status, content_type) == (400, TEXT)
    assert body.startswith(b"The JSON payload is nested too deeply to decode")
    assert answer(server.port, ROWS)[0] == 200


def test_json_integer_beyond_float64_is_400(server):
    assert answer(server.port, b"[[1" + b"0" * 400 + b", 1, 1, 1]]", "application/json") == (
        400, TEXT, b"The JSON payload has a number too large for a 64-bit float.")


def test_csv_with_a_quoted_field_over_the_csv_limit_is_400(server):
    assert answer(server.port, b'"' + b"1" * 200_000 + b'",2,3,4') == (
        400, TEXT, b"The CSV payload cannot be read: field larger than field limit (131072).")


def test_npy_declaring_more_rows_than_it_holds_is_400(server):
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((2, 4)))
    truncated = buffer.getvalue()[:-32]
    assert answer(server.port, truncated, "application/x-npy") == (
        400, TEXT, b"The .npy header declares 64 bytes of data ((2, 4), float64) but the payload holds 32.")


def test_npy_header_with_a_huge_shape_is_400_before_allocating(server):
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000, 4), }"
    prefix = b"\x93NUMPY\x01\x00"
    padded = header.ljust(118 - len(prefix) - 2) + "\n"
    body = prefix + len(padded).to_bytes(2, "little") + padded.encode("latin1") + b"\x00" * 64
    assert answer(server.port, body, "application/x-npy") == (
        400, TEXT, b"The .npy header declares 3200000000000 bytes of data ((100000000000, 4), float64) but the "
                   b"payload holds 64.")


@pytest.mark.parametrize("content_type", [";;;", "csv", "text/", "/csv", "text/csv/x"])
def test_a_malformed_content_type_is_415_naming_it(server, content_type):
    assert answer(server.port, ROWS, content_type) == (
        415, TEXT, f"Content type {content_type!r} is not a media type (type/subtype, such as text/csv).".encode())


def test_a_missing_content_type_is_415_saying_so(server):
    status, headers, body = request(server.port, "POST", "/invocations", ROWS, {"Accept": "text/csv"})
    assert (status, body) == (415, b"Content type (no Content-Type header) is not supported: this server reads "
                                    b"text/csv, application/json, application/x-npy.")


# --- size limit ----------------------------------------------------------------------------------------------


def test_the_default_limit_is_the_announced_6_mb(server):
    parameters = json.loads(request(server.port, "GET", "/execution-parameters")[2])
    assert parameters["MaxPayloadInMB"] == 6
    assert answer(server.port, b"1" * (10 * MB)) == (
        413, TEXT, b"The request body has 10485760 bytes; this server accepts at most 6291456.")
    assert answer(server.port, b"1" * (6 * MB + 1))[0] == 413
    assert answer(server.port, ROWS)[0] == 200


def test_a_body_at_the_limit_is_accepted(model_dir):
    with start_server(model_dir, max_payload_bytes=MB) as handle:
        row = b"3,3,-3,0\n"
        body = row * (MB // len(row)) + b"1" * (MB % len(row))  # the last line is ragged: 400, not 413
        assert len(body) == MB
        assert answer(handle.port, body)[0] == 400
        assert answer(handle.port, body + b"1")[0] == 413


def test_the_limit_is_configurable_and_announced(model_dir):
    with start_server(model_dir, max_payload_bytes=2 * MB) as handle:
        assert json.loads(request(handle.port, "GET", "/execution-parameters")[2])["MaxPayloadInMB"] == 2
        assert answer(handle.port, b"1" * (3 * MB))[0] == 413


# --- Content-Encoding ----------------------------------------------------------------------------------------


def test_gzip_and_deflate_bodies_are_decompressed(server):
    assert answer(server.port, gzip.compress(ROWS), Content_Encoding="gzip") == (200, "text/csv", b"1\n0")
    assert answer(server.port, zlib.compress(ROWS), Content_Encoding="deflate") == (200, "text/csv", b"1\n0")
    assert answer(server.port, ROWS, Content_Encoding="identity") == (200, "text/csv", b"1\n0")


def test_a_gzip_bomb_is_413_and_the_server_stays_up(server):
    bomb = gzip.compress(b"\x00" * (64 * MB))
    assert len(bomb) < MB // 10
    assert answer(server.port, bomb, Content_Encoding="gzip") == (
        413, TEXT, b"The gzip-decoded request body is larger than 6291456 bytes, the most this server accepts.")
    assert request(server.port, "GET", "/ping")[0] == 200


def test_corrupt_gzip_is_400(server):
    assert answer(server.port, gzip.compress(ROWS)[:-4], Content_Encoding="gzip") == (
        400, TEXT, b"The gzip request body is truncated.")
    status, _, body = answer(server.port, b"not gzip", Content_Encoding="gzip")
    assert status == 400 and body.startswith(b"The request body is not valid gzip data: ")


def test_an_unknown_encoding_is_415(server):
    assert answer(server.port, ROWS, Content_Encoding="br") == (
        415, TEXT, b"Content-Encoding br is not supported: this server reads gzip, x-gzip, deflate, identity.")


# --- methods -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", "/invocations", "POST"), ("DELETE", "/invocations", "POST"), ("PATCH", "/invocations", "POST"),
    ("GET", "/invocations", "POST"), ("BREW", "/invocations", "POST"), ("POST", "/ping", "GET, HEAD"),
    ("PUT", "/execution-parameters", "GET, HEAD"),
])
def test_other_methods_are_405_with_allow_and_a_text_body(server, method, path, allow):
    status, headers, body = request(server.port, method, path, ROWS, {"Content-Type": "text/csv"})
    assert (status, headers["allow"], headers["content-type"]) == (405, allow, TEXT)
    assert body == f"Method {method} is not allowed on {path}: use {allow.replace(', ', ' or ')}.".encode()


def test_head_ping_answers_without_a_body(server):
    status, headers, body = request(server.port, "HEAD", "/ping")
    assert (status, body) == (200, b"")


def test_errors_of_the_http_layer_are_text_too(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"POST /invocations HTTP/1.1\r\n" + b"X-Filler: 1\r\n" * 101 + b"\r\n")
        reply = b""
        while chunk := raw.recv(4096):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 ") and b"Content-Type: text/plain; charset=utf-8" in head
    assert body == b"Too many headers"


# --- model errors stay 5xx -----------------------------------------------------------------------------------


def test_an_exception_of_the_users_predict_fn_on_valid_rows_is_500(tmp_path):
    write_script(tmp_path / "code", """\
        def model_fn(model_dir):
            return None
        def predict_fn(data, model):
            raise ValueError("X has 4 features but the lookup table is empty")
        """)
    with start_server(tmp_path) as handle:
        assert answer(handle.port, ROWS) == (500, TEXT, b"ValueError: X has 4 features but the lookup table is empty")


def test_an_exception_of_the_users_predict_fn_on_text_stays_500(tmp_path):
    write_script(tmp_path / "code", """\
        def model_fn(model_dir):
            return None
        def predict_fn(data, model):
            return data.astype(float)
        """)
    with start_server(tmp_path) as handle:
        assert answer(handle.port, b"1,a")[0] == 500


def test_a_models_own_error_on_finite_numbers_is_500(tmp_path):
    write_script(tmp_path / "code", """\
        class Broken:
            def predict(self, data):
                raise ValueError("weights are corrupt")
        def model_fn(model_dir):
            return Broken()
        """)
    with start_server(tmp_path) as handle:
        assert answer(handle.port, ROWS) == (500, TEXT, b"ValueError: weights are corrupt")


def test_a_users_input_fn_that_cannot_decode_is_400(tmp_path):
    write_script(tmp_path / "code", """\
        import json
        def model_fn(model_dir):
            return None
        def input_fn(body, content_type):
            return json.loads(body)
        def predict_fn(data, model):
            return data
        """)
    with start_server(tmp_path) as handle:
        status, _, body = answer(handle.port, b"{nope", "application/json")
        assert status == 400 and body.startswith(b"input_fn cannot decode the request: JSONDecodeError: ")
        assert answer(handle.port, b"[" * 100_000, "application/json") == (
            400, TEXT, b"The request is nested too deeply to decode (RecursionError in input_fn).")


def test_a_booster_with_the_wrong_feature_count_is_400(tmp_path):
    xgboost = pytest.importorskip("xgboost")
    features = np.random.default_rng(1).normal(size=(50, 4))
    booster = xgboost.train({"objective": "binary:logistic"}, xgboost.DMatrix(features, (features[:, 0] > 0)),
                            num_boost_round=2)
    booster.save_model(str(tmp_path / "xgboost-model.json"))
    with start_server(tmp_path) as handle:
        assert answer(handle.port, b"1,2,3") == (
            400, TEXT, b"ValueError: X has 3 features, but the XGBoost Booster is expecting 4 features as input.")
        status, _, body = answer(handle.port, b"1,a,3,4")
        assert status == 400 and body.startswith(b"The rows cannot be made into an xgboost.DMatrix: ")
        assert answer(handle.port, b"1,2,3,4")[0] == 200


# --- custom attributes ---------------------------------------------------------------------------------------


def test_custom_attributes_set_by_a_handler_reach_the_caller(tmp_path):
    write_script(tmp_path / "code", """\
        def model_fn(model_dir):
            return None
        def transform_fn(model, body, content_type, accept, context):
            asked = context.get_request_header(0, "X-Amzn-SageMaker-Custom-Attributes")
            context.set_response_header(0, "X-Amzn-SageMaker-Custom-Attributes", f"echo={asked}")
            return "ok", "text/plain"
        """)
    with start_server(tmp_path) as handle:
        status, headers, body = invoke(handle.port, b"1", X_Amzn_SageMaker_Custom_Attributes="trace=7")
        assert (status, body, headers["x-amzn-sagemaker-custom-attributes"]) == (200, b"ok", "echo=trace=7")
        status, headers, _ = invoke(handle.port, b"1")
        assert headers["x-amzn-sagemaker-custom-attributes"] == "echo=None"


def test_custom_attributes_of_a_flask_like_response_reach_the_caller(tmp_path):
    write_script(tmp_path / "code", """\
        class Reply:
            mimetype = "text/csv"
            headers = {"X-Amzn-SageMaker-Custom-Attributes": "model=v2"}
            def get_data(self):
                return b"1"
        def model_fn(model_dir):
            return None
        def transform_fn(model, body, content_type, accept):
            return Reply()
        """)
    with start_server(tmp_path) as handle:
        status, headers, body = invoke(handle.port, b"1")
        assert (status, body, headers["x-amzn-sagemaker-custom-attributes"]) == (200, b"1", "model=v2")


def test_custom_attributes_that_cannot_travel_are_dropped(tmp_path):
    write_script(tmp_path / "code", """\
        def model_fn(model_dir):
            return None
        def transform_fn(model, body, content_type, accept, context):
            context.set_response_header(0, "X-Amzn-SageMaker-Custom-Attributes", "a\\r\\nSet-Cookie: x=1")
            return "ok", "text/plain"
        """)
    with start_server(tmp_path) as handle:
        status, headers, body = invoke(handle.port, b"1")
        assert (status, body) == (200, b"ok")
        assert "x-amzn-sagemaker-custom-attributes" not in headers and "set-cookie" not in headers


def test_default_handlers_send_no_custom_attributes(server):
    status, headers, _ = invoke(server.port, ROWS, X_Amzn_SageMaker_Custom_Attributes="a=1")
    assert status == 200 and "x-amzn-sagemaker-custom-attributes" not in headers
