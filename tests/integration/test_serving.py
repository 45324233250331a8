"""The model server as a real host process: scikit-learn models in model.tar.gz, inference.py, S3, workers.

Every server binds 127.0.0.1 on a free port and logs to a file in the test's folder.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import joblib
import numpy as np
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

from sagewatch.serving import ServerStartError, find_free_port, spawn_server, wait_until_ready

# Rows far from the decision boundary of y = [x0 + 2 x1 - x2 > 0]: every model here predicts 1, 0, 1.
CLEAR_ROWS = "3,3,-3,0\n-3,-3,3,0\n2,2,0,1"
STARTUP_TIMEOUT = 60


def _training_data():
    rng = np.random.default_rng(7)
    features = rng.normal(size=(400, 4))
    labels = (features[:, 0] + 2 * features[:, 1] - features[:, 2] > 0).astype(int)
    return features, labels


def _probe_rows(count=20):
    return np.round(np.random.default_rng(11).normal(size=(count, 4)), 3)


def _csv(rows) -> bytes:
    return "\n".join(",".join(repr(float(v)) for v in row) for row in rows).encode()


def _tarball(path: Path, files: dict[str, Path | bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, source in files.items():
            data = source.read_bytes() if isinstance(source, Path) else source
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


class Server:
    """A spawned model server and its log."""

    def __init__(self, model: str | Path, log: Path, *, env: dict[str, str] | None = None, workers: int = 1):
        self.port = find_free_port()
        self.log = log
        with open(log, "wb") as handle:
            self.process = spawn_server(model, self.port, env=env, workers=workers, stderr=handle,
                                        stdout=subprocess.DEVNULL)
        try:
            wait_until_ready(self.port, STARTUP_TIMEOUT, process=self.process)
        except ServerStartError as error:
            self.stop()
            raise AssertionError(f"{error}\n{log.read_text()}") from error
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, str | None, bytes]:
        self.connection.request(method, path, body=body, headers=headers or {})
        response = self.connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()

    def invoke(self, body: bytes, content_type: str = "text/csv", accept: str | None = "text/csv"):
        headers = {"Content-Type": content_type}
        if accept is not None:
            headers["Accept"] = accept
        return self.request("POST", "/invocations", body, headers)

    def stop(self) -> int:
        if getattr(self, "connection", None) is not None:
            self.connection.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A logistic regression and a random forest, each saved with joblib into a model.tar.gz."""
    root = tmp_path_factory.mktemp("serving-models")
    features, labels = _training_data()
    models = {
        "logistic": LogisticRegression().fit(features, labels),
        "forest": RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(features, labels),
    }
    archives = {}
    for name, model in models.items():
        joblib.dump(model, root / f"{name}.joblib")
        archives[name] = _tarball(root / f"{name}.tar.gz", {"model.joblib": root / f"{name}.joblib"})
    return root, models, archives


@pytest.fixture(scope="module")
def logistic_server(trained, tmp_path_factory):
    _, _, archives = trained
    server = Server(archives["logistic"], tmp_path_factory.mktemp("logistic-log") / "server.log")
    yield server
    assert server.stop() == 0, server.log.read_text()


def test_ping_answers_200_once_loaded(logistic_server):
    assert logistic_server.request("GET", "/ping")[0] == 200


def test_csv_invocation_predicts_labels_as_the_model_does(logistic_server, trained):
    _, models, _ = trained
    assert logistic_server.invoke(CLEAR_ROWS.encode()) == (200, "text/csv", b"1\n0\n1")
    rows = _probe_rows()
    expected = "\n".join(str(label) for label in models["logistic"].predict(rows)).encode()
    assert logistic_server.invoke(_csv(rows)) == (200, "text/csv", expected)


def test_json_invocation_forms(logistic_server):
    for body in (b"[[3, 3, -3, 0], [-3, -3, 3, 0], [2, 2, 0, 1]]", b'{"instances": [[3, 3, -3, 0], [-3, -3, 3, 0], '
                 b'[2, 2, 0, 1]]}', b'{"instances": [{"features": [3, 3, -3, 0]}, {"features": [-3, -3, 3, 0]}, '
                 b'{"features": [2, 2, 0, 1]}]}'):
        assert logistic_server.invoke(body, "application/json", "application/json") == (
            200, "application/json", b'{"predictions": [1, 0, 1]}')
    assert logistic_server.invoke(b"[-3, -3, 3, 0]", "application/json", None) == (
        200, "application/json", b'{"predictions": [0]}')


def test_unsupported_content_type_is_415(logistic_server):
    assert logistic_server.invoke(b"3 3 -3 0", "text/plain") == (
        415, "text/plain; charset=utf-8",
        b"Content type text/plain is not supported: this server reads text/csv, application/json, application/x-npy.")
    assert logistic_server.invoke(b"3,3,-3,0", accept="application/xml") == (
        415, "text/plain; charset=utf-8",
        b"Accept type application/xml is not supported: this server answers text/csv, application/json, "
        b"application/x-npy.")


def test_bad_payload_is_400_with_the_reason(logistic_server):
    assert logistic_server.invoke(b"1,2,3,4\n5,6\n") == (
        400, "text/plain; charset=utf-8", b"CSV row 2 has 2 values but row 1 has 4.")
    status, _, body = logistic_server.invoke(b'{"instances": [[1, 2', "application/json")
    assert status == 400 and body.startswith(b"The JSON payload is not valid JSON: ")


def test_rows_the_model_refuses_are_400_with_its_message(logistic_server):
    assert logistic_server.invoke(b"1,2,3") == (
        400, "text/plain; charset=utf-8",
        b"ValueError: X has 3 features, but LogisticRegression is expecting 4 features as input.")
    assert logistic_server.invoke(CLEAR_ROWS.encode())[0] == 200  # and the server keeps serving


def test_the_process_enforces_the_announced_6_mb_and_answers_other_methods_405(logistic_server):
    assert logistic_server.invoke(b"1" * (10 * 1024 * 1024)) == (
        413, "text/plain; charset=utf-8", b"The request body has 10485760 bytes; this server accepts at most 6291456.")
    logistic_server.connection.close()  # the server closes after a 413
    status, _, body = logistic_server.request("PUT", "/invocations", b"1", {"Content-Type": "text/csv"})
    assert (status, body) == (405, b"Method PUT is not allowed on /invocations: use POST.")
    assert logistic_server.invoke(CLEAR_ROWS.encode())[0] == 200


def test_the_payload_limit_comes_from_the_environment(trained, tmp_path):
    _, _, archives = trained
    server = Server(archives["logistic"], tmp_path / "server.log", env={"SAGEWATCH_MAX_PAYLOAD_MB": "12"})
    try:
        assert json.loads(server.request("GET", "/execution-parameters")[2])["MaxPayloadInMB"] == 12
        # read and decoded (not 413): one feature where the model takes 4
        assert server.invoke(b"1" * (10 * 1024 * 1024))[0] == 400
    finally:
        assert server.stop() == 0, server.log.read_text()


def test_execution_parameters(logistic_server):
    status, content_type, body = logistic_server.request("GET", "/execution-parameters")
    assert (status, content_type, json.loads(body)) == (
        200, "application/json", {"MaxConcurrentTransforms": 1, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6})


def test_random_forest_from_a_folder_with_two_workers(trained, tmp_path):
    root, models, archives = trained
    model_dir = tmp_path / "model"
    with tarfile.open(archives["forest"]) as tar:
        tar.extractall(model_dir, filter="data")
    server = Server(model_dir, tmp_path / "server.log", workers=2)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT  # /ping answered by one worker; wait for the second
        while server.log.read_text().count("Ready: serving on http://127.0.0.1:") < 2:
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.05)
        rows = _probe_rows()
        expected = json.dumps({"predictions": models["forest"].predict(rows).tolist()}).encode()
        for _ in range(4):
            assert server.invoke(_csv(rows), accept="application/json") == (200, "application/json", expected)
        assert server.invoke(CLEAR_ROWS.encode(), accept="application/json")[2] == b'{"predictions": [1, 0, 1]}'
        assert json.loads(server.request("GET", "/execution-parameters")[2])["MaxConcurrentTransforms"] == 2
    finally:
        assert server.stop() == 0, server.log.read_text()
    assert server.log.read_text().count("Stopping (pid ") == 2


def test_predict_proba_through_the_environment(trained, tmp_path):
    _, models, archives = trained
    server = Server(archives["logistic"], tmp_path / "server.log", env={"SAGEWATCH_PREDICT_METHOD": "predict_proba"})
    try:
        rows = _probe_rows(5)
        expected = "\n".join(",".join(str(p) for p in row) for row in models["logistic"].predict_proba(rows))
        assert server.invoke(_csv(rows)) == (200, "text/csv", expected.encode())
    finally:
        assert server.stop() == 0, server.log.read_text()


INFERENCE = textwrap.dedent(
    """
    import json
    import os

    import joblib
    from scaling import THRESHOLD  # a sibling module of code/

    def model_fn(model_dir):
        return joblib.load(os.path.join(model_dir, "model.joblib"))

    def input_fn(request_body, request_content_type):
        if request_content_type != "application/json":
            raise ValueError(f"only JSON, got {request_content_type}")
        return json.loads(request_body)["rows"]

    def predict_fn(input_data, model):
        scores = model.predict_proba(input_data)[:, 1]
        return [{"score": round(float(s), 6), "label": int(s > THRESHOLD)} for s in scores]

    def output_fn(prediction, accept):
        if accept == "text/csv":
            return "\\n".join(f"{p['label']},{p['score']}" for p in prediction), accept
        return json.dumps({"results": prediction}), "application/json"
    """
)


def test_inference_py_with_custom_functions(trained, tmp_path):
    root, models, _ = trained
    archive = _tarball(tmp_path / "model.tar.gz", {
        "model.joblib": root / "logistic.joblib",
        "code/inference.py": INFERENCE.encode(),
        "code/scaling.py": b"THRESHOLD = 0.9\n",
    })
    server = Server(f"file://{archive}", tmp_path / "server.log")
    try:
        rows = [[3, 3, -3, 0], [-3, -3, 3, 0], [0.2, 0.1, 0.1, 0]]
        scores = models["logistic"].predict_proba(np.array(rows, dtype=float))[:, 1]
        expected = [{"score": round(float(s), 6), "label": int(s > 0.9)} for s in scores]
        assert [item["label"] for item in expected] == [1, 0, 0]  # the third row is below the script's threshold
        status, content_type, body = server.invoke(json.dumps({"rows": rows}).encode(), "application/json",
                                                   "application/json")
        assert (status, content_type, json.loads(body)) == (200, "application/json", {"results": expected})
        assert server.invoke(json.dumps({"rows": rows[:1]}).encode(), "application/json", "text/csv") == (
            200, "text/csv", f"1,{expected[0]['score']}".encode())
        assert server.invoke(b"1,2,3,4", "text/csv") == (
            400, "text/plain; charset=utf-8",
            b"input_fn cannot decode the request: ValueError: only JSON, got text/csv")
    finally:
        assert server.stop() == 0, server.log.read_text()


def test_startup_failure_exits_1_with_the_reason(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "README.txt").write_text("no model here")
    port = find_free_port()
    process = spawn_server(tmp_path / "model", port, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        with pytest.raises(ServerStartError) as caught:
            wait_until_ready(port, STARTUP_TIMEOUT, process=process)
    finally:
        process.wait(timeout=30)
    assert process.returncode == 1
    message = str(caught.value)
    assert message.startswith("The model server exited with status 1 before it was ready.")
    assert "The model cannot be served: No model file in the model folder (it has: README.txt)." in message


# --- S3 through AWS_ENDPOINT_URL ------------------------------------------------------------------------------


class _FakeS3(BaseHTTPRequestHandler):
    """Path-style GetObject/HeadObject over a dict, recording the requests it saw."""

    objects: dict[str, bytes] = {}
    seen: list[str] = []

    def log_message(self, format, *args):  # noqa: A002
        pass

    def _answer(self, with_body: bool) -> None:
        path = self.path.split("?", 1)[0]
        self.seen.append(f"{self.command} {path}")
        data = self.objects.get(path)
        if data is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        status, start, end = 200, 0, len(data) - 1
        if self.headers.get("Range", "").startswith("bytes="):
            first, _, last = self.headers["Range"][6:].partition("-")
            status, start, end = 206, int(first), min(int(last or end), end)
        self.send_response(status)
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("ETag", '"0123456789abcdef"')
        self.send_header("Last-Modified", "Thu, 01 Jan 2026 00:00:00 GMT")
        self.send_header("Content-Type", "application/octet-stream")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.end_headers()
        if with_body:
            self.wfile.write(data[start:end + 1])

    def do_HEAD(self):  # noqa: N802
        self._answer(False)

    def do_GET(self):  # noqa: N802
        self._answer(True)


def test_model_data_from_s3_honours_aws_endpoint_url(trained, tmp_path):
    pytest.importorskip("boto3", reason="boto3 (the s3 extra) is needed to fetch s3:// model data")
    _, _, archives = trained
    _FakeS3.objects = {"/models/churn/model.tar.gz": archives["logistic"].read_bytes()}
    _FakeS3.seen = []
    s3 = ThreadingHTTPServer(("127.0.0.1", 0), _FakeS3)
    threading.Thread(target=s3.serve_forever, daemon=True).start()
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{s3.server_port}", "AWS_ACCESS_KEY_ID": "test",
           "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
    try:
        server = Server("s3://models/churn/model.tar.gz", tmp_path / "server.log", env=env)
        try:
            assert server.invoke(CLEAR_ROWS.encode()) == (200, "text/csv", b"1\n0\n1")
        finally:
            assert server.stop() == 0, server.log.read_text()
    finally:
        s3.shutdown()
        s3.server_close()
    assert "GET /models/churn/model.tar.gz" in _FakeS3.seen


# --- XGBoost -------------------------------------------------------------------------------------------------


def test_xgboost_booster_in_model_tar_gz(tmp_path):
    xgboost = pytest.importorskip(
        "xgboost", reason="xgboost is not installed here; the server's XGBoost path (lazy import) is not exercised")
    features, labels = _training_data()
    booster = xgboost.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.3, "seed": 0},
                            xgboost.DMatrix(features, labels), num_boost_round=10)
    booster.save_model(tmp_path / "xgboost-model.ubj")
    (tmp_path / "xgboost-model.ubj").rename(tmp_path / "xgboost-model")  # SageMaker XGBoost container's name
    archive = _tarball(tmp_path / "model.tar.gz", {"xgboost-model": tmp_path / "xgboost-model"})
    server = Server(archive, tmp_path / "server.log")
    try:
        rows = _probe_rows()
        scores = booster.predict(xgboost.DMatrix(rows))
        assert server.invoke(_csv(rows)) == (200, "text/csv", "\n".join(str(s) for s in scores).encode())
        status, _, body = server.invoke(CLEAR_ROWS.encode(), accept="application/json")
        clear = json.loads(body)["predictions"]
        assert status == 200 and [round(score) for score in clear] == [1, 0, 1]
    finally:
        assert server.stop() == 0, server.log.read_text()


# --- the container entry point -------------------------------------------------------------------------------

DOCKERFILE = Path(__file__).resolve().parents[2] / "containers" / "serving" / "Dockerfile"


def _instruction(name: str) -> str:
    lines = [line for line in DOCKERFILE.read_text().splitlines() if line.startswith(name + " ")]
    assert len(lines) == 1, f"{DOCKERFILE.name} must have one {name}"
    return lines[0][len(name) + 1:].strip()


def _entrypoint_command() -> list[str]:
    """The ENTRYPOINT + CMD of the Dockerfile (exec form), run with this interpreter as `python`."""
    entrypoint, command = json.loads(_instruction("ENTRYPOINT")), json.loads(_instruction("CMD"))
    assert entrypoint[0] == "python"
    return [sys.executable, *entrypoint[1:], *command]


def test_dockerfile_is_the_sagemaker_serving_image():
    assert _instruction("FROM") == "python:3.11-slim"
    assert json.loads(_instruction("ENTRYPOINT")) == ["python", "-m", "sagewatch.serving"]
    assert json.loads(_instruction("CMD")) == ["serve"]
    assert _instruction("EXPOSE") == "8080"
    root = DOCKERFILE.parents[2]
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY "):
            for source in line.split()[1:-1]:
                assert (root / source).exists(), f"COPY source {source} is not in the repository"


def test_entrypoint_help_runs_in_the_project_environment():
    result = subprocess.run([*_entrypoint_command()[:-1], "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m sagewatch.serving")


def test_entrypoint_serves_the_relocated_opt_ml_model_and_stops_on_sigterm(trained, tmp_path):
    root, _, _ = trained
    model_dir = tmp_path / "opt_ml" / "model"
    (model_dir / "code").mkdir(parents=True)
    (model_dir / "model.joblib").write_bytes((root / "logistic.joblib").read_bytes())
    (model_dir / "code" / "inference.py").write_text(
        "def output_fn(prediction, accept):\n    return ','.join(map(str, prediction)), accept\n")
    port = find_free_port()
    env = {**os.environ, "SAGEWATCH_OPT_ML": str(tmp_path / "opt_ml"), "SAGEMAKER_BIND_TO_PORT": str(port),
           "SAGEWATCH_SERVING_HOST": "127.0.0.1", "SAGEMAKER_PROGRAM": "inference.py",
           "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}
    log = tmp_path / "server.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(_entrypoint_command(), env=env, stderr=handle, stdout=subprocess.DEVNULL,
                                   cwd=tmp_path)
    try:
        wait_until_ready(port, STARTUP_TIMEOUT, process=process)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("POST", "/invocations", body=CLEAR_ROWS.encode(),
                           headers={"Content-Type": "text/csv", "Accept": "text/csv"})
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"1,0,1")  # through the relocated code/inference.py
        connection.close()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0, log.read_text()
    assert f"Listening on 127.0.0.1:{port}; loading the model from {model_dir}" in log.read_text()
