"""Fuzzed requests against the model server (issue 11, "model-server requests" of the fuzz suite).

Random bodies (bytes, CSV, JSON, deep JSON, NPY, oversized), content types, accepts, encodings (gzip, deflate,
truncated, bombs, unknown), methods and paths, over real HTTP to a server with a fitted scikit-learn model.
Whatever the client sends: never a 5xx, every error a non-empty ``text/plain`` message, the server stays up.
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
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.linear_model import LogisticRegression

from sagewatch.serving import start_server

LIMIT = 64 * 1024
TEXT = "text/plain; charset=utf-8"
ANSWER_TYPES = {"text/csv", "application/json", "application/x-npy"}

header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40)
content_types = st.one_of(st.none(), st.sampled_from(
    ["text/csv", "application/json", "application/x-npy", "text/csv; charset=utf-8", "TEXT/CSV", ";;;", "",
     "text/plain", "application/octet-stream", "text/", "*/*", "application/json; charset=latin-1"]), header_text)
accepts = st.one_of(st.none(), st.sampled_from(
    ["text/csv", "application/json", "application/x-npy", "*/*", "text/*", "image/png", ";;;", "",
     "application/json;q=0, text/csv;q=0.5", "q=x"]), header_text)
methods = st.sampled_from(["POST"] * 8 + ["PUT", "DELETE", "PATCH", "GET", "OPTIONS", "BREW", "HEAD"])
paths = st.sampled_from(["/invocations"] * 8 + ["/ping", "/execution-parameters", "/nothing", "/invocations?x=1"])
cells = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr), st.integers(-10**6, 10**6).map(str),
                  st.sampled_from(["", "abc", "NaN", "inf", '"1,2"', "1e999", "0x10", "true", "a,b", '"']),
                  st.text(max_size=8))


@st.composite
def csv_bodies(draw):
    width = draw(st.integers(1, 6))
    rows = draw(st.lists(st.lists(cells, min_size=width, max_size=width + draw(st.integers(0, 1))),
                         min_size=0, max_size=8))
    header = draw(st.booleans())
    lines = ([",".join(f"c{i}" for i in range(width))] if header else []) + [",".join(row) for row in rows]
    return draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines).encode("utf-8")


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(), st.integers(-10**400, 10**400), st.text(max_size=6)),
    lambda children: st.one_of(st.lists(children, max_size=5),
                               st.dictionaries(st.sampled_from(["instances", "inputs", "features", "x"]), children,
                                               max_size=3)),
    max_leaves=30)


@st.composite
def npy_bodies(draw):
    dtype = draw(st.sampled_from(["<f8", "<i4", "|b1", "<U3", "<c16", "<f4"]))
    array = draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)))
    buffer = io.BytesIO()
    np.save(buffer, array)
    data = buffer.getvalue()
    return data[:draw(st.integers(0, len(data)))] if draw(st.booleans()) else data


bodies = st.one_of(
    st.binary(max_size=2000),
    csv_bodies(),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.integers(500, 20_000).map(lambda depth: b"[" * depth + b"1" + b"]" * depth),
    npy_bodies(),
    st.integers(LIMIT - 50, LIMIT + 5000).map(lambda size: (b"1,2,3,4\n" * (size // 8 + 1))[:size]),
)


@st.composite
def requests(draw):
    method, path, body = draw(methods), draw(paths), draw(bodies)
    headers = {}
    for name, strategy in (("Content-Type", content_types), ("Accept", accepts)):
        value = draw(strategy)
        if value is not None:
            headers[name] = value
    encoding = draw(st.sampled_from([None] * 6 + ["gzip", "gzip", "deflate", "identity", "truncated", "bomb", "br",
                                                  "gzip, gzip, gzip, gzip", "x-gzip", "garbage"]))
    if encoding in ("gzip", "x-gzip"):
        body = gzip.compress(body)
    elif encoding == "deflate":
        body = zlib.compress(body)
    elif encoding == "truncated":
        body, encoding = gzip.compress(body)[:-draw(st.integers(1, 10))], "gzip"
    elif encoding == "bomb":
        body, encoding = gzip.compress(b"1," * (4 * LIMIT)), "gzip"
    elif encoding == "garbage":
        encoding = draw(header_text)
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    return method, path, headers, body, draw(st.booleans())


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-model")
    features = np.random.default_rng(3).normal(size=(100, 4))
    joblib.dump(LogisticRegression().fit(features, (features[:, 0] > 0).astype(int)), folder / "model.joblib")
    with start_server(folder, max_payload_bytes=LIMIT) as handle:
        yield handle


def _send(port, method, path, headers, body, chunked):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms waits between chunks
    try:
        if chunked and method != "HEAD":
            pieces = [body[start:start + 997] for start in range(0, len(body), 997)]
            connection.request(method, path, body=iter(pieces), headers=headers, encode_chunked=True)
        else:
            connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.getheader("Allow"), response.read()
    finally:
        connection.close()


@seed(20261205)
@settings(max_examples=600, deadline=None, database=None, print_blob=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(case=requests())
def test_fuzzed_requests_get_a_clear_answer_and_never_a_5xx(server, case):
    method, path, headers, body, chunked = case
    status, content_type, allow, data = _send(server.port, method, path, headers, body, chunked)
    assert status < 500, (status, data[:500])
    if status >= 400:
        assert content_type == TEXT
        if method != "HEAD":
            message = data.decode("utf-8")
            assert message.strip() and len(message) <= 4096
    if status == 405:
        assert allow in ("POST", "GET, HEAD")
    if status == 413:
        assert method == "POST" and path.split("?")[0] == "/invocations"
    if status == 200 and path.split("?")[0] == "/invocations":
        assert content_type in ANSWER_TYPES
    assert server._thread.is_alive()


def test_the_server_is_still_up_after_the_fuzzing(server):
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("POST", "/invocations", body=b"1,2,3,4", headers={"Content-Type": "text/csv",
                                                                             "Accept": "text/csv"})
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"1")
    finally:
        connection.close()
