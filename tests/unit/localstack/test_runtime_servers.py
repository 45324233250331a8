"""Model-server plumbing: settings, image rules, model descriptions, the keep-alive connection pool."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sagewatch.errors import InvalidParameterError
from sagewatch.localstack.runtime.servers import (
    ConnectionPool,
    ServedModel,
    ServerUnavailableError,
    failure_text,
)
from sagewatch.localstack.runtime.settings import HostingSettings, parse_image_map, servable_image


@pytest.mark.parametrize("image", [
    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3",
    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn",
    "257758044811.dkr.ecr.us-east-2.amazonaws.com/sagemaker-xgboost:1.7-1",
    "414596584902.dkr.ecr.ap-southeast-2.amazonaws.com/sagemaker-xgboost:1.5-1@sha256:" + "0" * 64,
    "sagewatch-serving:latest",
    "localhost:5000/sagewatch-serving:dev",
])
def test_servable_images(image):
    assert servable_image(image)


@pytest.mark.parametrize("image", [
    "",
    "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn-extension:2.0",
    "683313688378.dkr.ecr.us-east-1.amazonaws.com/other/sagemaker-xgboost:1.7-1",
    "sagewatch-serving-fork:1",
    "acme/model:1",
])
def test_images_sagewatch_cannot_serve(image):
    assert not servable_image(image)


def test_image_map_adds_images_served_by_sagewatch_serving(tmp_path):
    mapping = parse_image_map('{"acme/*": "sagewatch-serving", "acme/job:1": "python -m job", '
                              '"scorer": ["python3", "-m", "sagewatch.serving"], "proc": "python -m x"}')
    assert servable_image("acme/model:1", mapping)
    assert servable_image("acme/job:1", mapping)  # the first matching entry decides
    assert servable_image("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/scorer:7", mapping)  # repository
    assert not servable_image("registry/proc:1", mapping)  # a processing image
    file = tmp_path / "images.json"
    file.write_text('{"served": "sagewatch-serving"}')
    assert servable_image("served:latest", parse_image_map(str(file)))


@pytest.mark.parametrize("text", ['{"a": 1}', "[1]", "{not json", "no/such/file.json"])
def test_bad_image_maps(text):
    with pytest.raises(InvalidParameterError, match="SAGEWATCH_IMAGE_MAP"):
        parse_image_map(text)


def test_a_bad_image_map_is_logged_not_fatal(caplog):
    assert HostingSettings.from_environ({"SAGEWATCH_IMAGE_MAP": "{oops"}).image_map == ()
    assert "SAGEWATCH_IMAGE_MAP is not valid JSON" in caplog.text


def test_settings_from_environment():
    settings = HostingSettings.from_environ({
        "SAGEWATCH_METRICS_INTERVAL": "1.5", "SAGEWATCH_SERVING_WORKERS": "2", "SAGEWATCH_STATE_DIR": "state",
        "SAGEWATCH_IMAGE_MAP": '{"x": "sagewatch-serving"}'})
    assert (settings.metrics_interval, settings.serving_workers, str(settings.state_dir)) == (1.5, 2, "state")
    assert settings.image_map == (("x", "sagewatch-serving"),)
    with pytest.raises(InvalidParameterError, match="SAGEWATCH_CAPTURE_ROLL_SECONDS must be at least 0.1"):
        HostingSettings.from_environ({"SAGEWATCH_CAPTURE_ROLL_SECONDS": "0"})
    with pytest.raises(InvalidParameterError, match="is not a number"):
        HostingSettings.from_environ({"SAGEWATCH_MODEL_STARTUP_TIMEOUT": "soon"})


def test_served_model_from_descriptions():
    script = ServedModel.from_description({"ModelName": "m", "Containers": [{
        "Image": "sagewatch-serving", "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "N": 1}}]})
    assert (script.model_data_url, dict(script.environment)) == (None, {"SAGEMAKER_PROGRAM": "inference.py", "N": "1"})
    source = ServedModel.from_description({"ModelName": "m", "PrimaryContainer": {"Image": "i", "ModelDataSource": {
        "S3DataSource": {"S3Uri": "s3://b/model.tar.gz", "S3DataType": "S3Object", "CompressionType": "Gzip"}}}})
    assert source.model_data_url == "s3://b/model.tar.gz"
    with pytest.raises(ValueError, match="uncompressed model data"):
        ServedModel.from_description({"ModelName": "m", "PrimaryContainer": {"Image": "i", "ModelDataSource": {
            "S3DataSource": {"S3Uri": "s3://b/prefix/", "CompressionType": "None"}}}})
    with pytest.raises(ValueError, match="inference pipeline of 2 containers"):
        ServedModel.from_description({"ModelName": "m", "Containers": [{"Image": "a"}, {"Image": "b"}]})
    with pytest.raises(ValueError, match="has no container"):
        ServedModel.from_description({"ModelName": "m"})


def test_failure_text_prefers_error_lines():
    log = ("2024 INFO [1] sagewatch.serving.run: Listening\n"
           "2024 ERROR [1] sagewatch.serving.run: The model cannot be served: Cannot load model.joblib\n")
    assert failure_text(log) == "The model cannot be served: Cannot load model.joblib"
    assert failure_text("a\nb\nc\nd\ne\nf\n") == "b | c | d | e | f"
    assert len(failure_text("2024 ERROR [1] x: " + "y" * 5000)) == 900


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    connections: set = set()

    def log_message(self, *args):
        pass

    def do_POST(self):  # noqa: N802 - BaseHTTPRequestHandler's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).connections.add(self.client_address)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("X-Amzn-SageMaker-Custom-Attributes", self.headers.get("X-Amzn-SageMaker-Custom-Attributes",
                                                                                "none"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        if self.path == "/drop":  # close the kept-alive connection without saying so, as an idle timeout does
            self.close_connection = True


@pytest.fixture
def echo_server():
    _Handler.connections = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_pool_reuses_connections(echo_server):
    pool = ConnectionPool("127.0.0.1", echo_server.server_port, timeout=5)
    for index in range(20):
        status, headers, body = pool.request("POST", "/invocations", f"{index}".encode(), {"Content-Length": str(
            len(str(index)))})
        assert (status, body) == (200, str(index).encode())
    assert len(_Handler.connections) == 1  # one keep-alive connection for all twenty requests
    pool.close()


def test_pool_retries_a_connection_the_server_closed(echo_server):
    pool = ConnectionPool("127.0.0.1", echo_server.server_port, timeout=5)
    pool.request("POST", "/drop", b"a", {"Content-Length": "1"})
    assert len(pool._idle) == 1  # kept: the server did not announce the close
    status, _, body = pool.request("POST", "/", b"b", {"Content-Length": "1"})
    assert (status, body) == (200, b"b")


def test_pool_reports_a_server_that_is_gone():
    from sagewatch.serving import find_free_port

    pool = ConnectionPool("127.0.0.1", find_free_port(), timeout=1)
    with pytest.raises(ServerUnavailableError):
        pool.request("POST", "/", b"a", {"Content-Length": "1"})
