"""The HTTP routes and the model service, driven in process (sagewatch.serving.server)."""

import http.client
import json
import socket

import joblib
import numpy as np
import pytest

from sagewatch.serving import ModelLoadError, ModelService, start_server

from ._helpers import Doubler, write_script


@pytest.fixture()
def model_dir(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    joblib.dump(Doubler(), folder / "model.joblib")
    return folder


@pytest.fixture()
def server(model_dir):
    handle = start_server(model_dir)
    yield handle
    handle.stop()


def _request(port, method, path, body=None, headers=None, connection=None):
    own = connection is None
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        if own:
            connection.close()


def _invoke(port, body, content_type="text/csv", accept="text/csv", connection=None):
    headers = {"Content-Type": content_type}
    if accept is not None:
        headers["Accept"] = accept
    return _request(port, "POST", "/invocations", body, headers, connection)


def test_service_pings_503_before_and_200_after_loading(model_dir):
    service = ModelService(model_dir)
    assert service.ping().status == 503
    assert service.invoke(b"1", "text/csv", None).body == b"The model is not loaded yet."
    service.load()
    assert service.ready and service.ping().status == 200


def test_server_binds_127_0_0_1_and_reports_its_port(server):
    assert server.host == "127.0.0.1" and server.port > 0
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert _request(server.port, "GET", "/ping")[0] == 200


def test_csv_and_json_invocations(server):
    assert _invoke(server.port, b"1,2\n3,4\n") == (200, "text/csv", b"6.0\n14.0")
    assert _invoke(server.port, b'{"instances": [[1, 2]]}', "application/json", "application/json") == (
        200, "application/json", b'{"predictions": [6.0]}')
    assert _invoke(server.port, b"[1, 2]", "application/json", None) == (
        200, "application/json", b'{"predictions": [6.0]}')


def test_error_statuses_and_messages(server):
    assert _invoke(server.port, b"1", "text/plain") == (
        415, "text/plain; charset=utf-8",
        b"Content type text/plain is not supported: this server reads text/csv, application/json, application/x-npy.")
    assert _invoke(server.port, b"1,2", accept="image/png")[0] == 415
    assert _invoke(server.port, b"1,2\n3\n") == (400, "text/plain; charset=utf-8",
                                                 b"CSV row 2 has 1 values but row 1 has 2.")
    status, _, body = _invoke(server.port, b'[[1, "a"]]', "application/json")
    assert status == 400  # text the model cannot take: the client's error, with the model's own message
    assert body == (b"TypeError: unsupported operand type(s) for +: 'int' and 'str' (the rows have text values "
                    b"where the model takes numbers)")


def test_unknown_routes_are_404_and_wrong_methods_405(server):
    assert _request(server.port, "GET", "/nothing")[0] == 404
    assert _request(server.port, "POST", "/nothing", b"x")[0] == 404
    assert _request(server.port, "POST", "/ping", b"x")[:2] == (405, "text/plain; charset=utf-8")


def test_execution_parameters(server):
    status, content_type, body = _request(server.port, "GET", "/execution-parameters")
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body) == {"MaxConcurrentTransforms": 1, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}


def test_keep_alive_serves_many_requests_on_one_connection(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for value in range(5):
            assert _invoke(server.port, f"{value},1".encode(), connection=connection)[2] == f"{2.0 * value + 2}".encode()
        first_socket = connection.sock
        assert _request(server.port, "GET", "/ping", connection=connection)[0] == 200
        assert connection.sock is first_socket  # not reopened: HTTP/1.1 keep-alive
    finally:
        connection.close()


def test_an_error_keeps_the_connection_usable(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        assert _invoke(server.port, b"1,2\n3", connection=connection)[0] == 400
        assert _invoke(server.port, b"1,2", connection=connection) == (200, "text/csv", b"6.0")
    finally:
        connection.close()


def test_oversized_bodies_are_413_and_close_the_connection(model_dir):
    with start_server(model_dir) as handle:
        handle._server.max_payload_bytes = 8
        connection = http.client.HTTPConnection("127.0.0.1", handle.port, timeout=10)
        connection.request("POST", "/invocations", body=b"1,2,3,4,5", headers={"Content-Type": "text/csv"})
        response = connection.getresponse()
        assert (response.status, response.read()) == (
            413, b"The request body has 9 bytes; this server accepts at most 8.")
        assert response.getheader("Connection") == "close"
        connection.close()


def test_chunked_request_bodies_are_read(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
        raw.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nAccept: text/csv\r\n"
                    b"Transfer-Encoding: chunked\r\n\r\n3\r\n1,2\r\n4\r\n\n3,4\r\n0\r\n\r\n")
        reply = b""
        while not reply.endswith(b"6.0\n14.0"):
            chunk = raw.recv(4096)
            assert chunk, reply
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")


def test_predict_proba_method(model_dir):
    with start_server(model_dir, predict_method="predict_proba") as handle:
        assert _invoke(handle.port, b"1,3") == (200, "text/csv", b"0.25,0.75")


def test_predict_proba_on_a_model_without_it_fails_to_load(tmp_path):
    joblib.dump(np.zeros(3), tmp_path / "model.joblib")
    with pytest.raises(ModelLoadError, match=r"^The model \(ndarray\) has no predict_proba method.$"):
        start_server(tmp_path, predict_method="predict_proba")


def test_start_server_raises_when_the_model_cannot_load_and_frees_the_port(tmp_path):
    write_script(tmp_path / "code", "def model_fn(model_dir):\n    raise RuntimeError('weights missing')\n")
    with pytest.raises(ModelLoadError) as caught:
        start_server(tmp_path)
    assert str(caught.value) == "model_fn failed: RuntimeError: weights missing"


def test_default_accept_applies_to_missing_and_wildcard_accept(model_dir):
    with start_server(model_dir, default_accept="text/csv") as handle:
        assert _invoke(handle.port, b"1,1", accept=None) == (200, "text/csv", b"4.0")
        assert _invoke(handle.port, b"1,1", accept="*/*") == (200, "text/csv", b"4.0")
