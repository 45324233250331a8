"""Model serving without LocalStack: container specs, artefacts and host-process workers."""

import json
import tarfile
import textwrap
import time
from pathlib import Path

import pytest

from sagewatch.localstack.runtime.serving import (
    ContainerSpec,
    ServingError,
    ServingSettings,
    WorkerPool,
    container_spec,
    fetch_artifact,
    prepare,
    split_s3_uri,
)

SCRIPT = textwrap.dedent(
    """
    import json, os

    class Doubler:
        def __init__(self, factor):
            self.factor = factor

        def predict(self, data):
            if (data < 0).any():
                raise ValueError("negative input")
            return data * self.factor

    def model_fn(model_dir):
        print("loading model from", model_dir)  # must not break the protocol
        with open(os.path.join(model_dir, "model.json")) as handle:
            return Doubler(json.load(handle)["factor"])
    """
)


def _model_spec(tmp_path: Path, script: str = SCRIPT, factor: float = 2.0, created: str = "2026-01-01 00:00:00",
                **environment: str) -> ContainerSpec:
    (tmp_path / "model.json").write_text(json.dumps({"factor": factor}))
    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "model.json", arcname="model.json")
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    (source / "inference.py").write_text(script)
    return container_spec({
        "ModelName": "doubler",
        "CreationTime": created,
        "PrimaryContainer": {
            "Image": "sklearn:1.2",
            "ModelDataUrl": f"file://{tmp_path / 'model.tar.gz'}",
            "Environment": {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": str(source),
                            **environment},
        },
    })


def _no_s3(*args):
    raise AssertionError("no S3 access expected")


@pytest.fixture
def pool(tmp_path):
    pool = WorkerPool(root=tmp_path / "serving", download=_no_s3, environment=lambda account, region: {},
                      settings=ServingSettings(startup_timeout=60, invocation_timeout=30))
    yield pool
    pool.close()


def test_container_spec_reads_script_mode_fields():
    spec = container_spec({"ModelName": "m", "Containers": [{
        "Image": "img", "ModelDataUrl": "s3://b/m.tar.gz",
        "Environment": {"SAGEMAKER_PROGRAM": "serve.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}}]})
    assert (spec.model_name, spec.image, spec.program) == ("m", "img", "serve.py")
    assert spec.submit_directory == "/opt/ml/model/code"
    assert spec.model_data_url == "s3://b/m.tar.gz"


def test_container_spec_without_program_explains_what_to_set():
    with pytest.raises(ServingError, match="SAGEMAKER_PROGRAM .* SAGEMAKER_SUBMIT_DIRECTORY"):
        container_spec({"ModelName": "m", "PrimaryContainer": {"Image": "xgboost:1"}})


def test_container_spec_rejects_pipelines_and_empty_models():
    with pytest.raises(ServingError, match="inference pipeline"):
        container_spec({"ModelName": "m", "Containers": [{"Image": "a"}, {"Image": "b"}]})
    with pytest.raises(ServingError, match="has no container"):
        container_spec({"ModelName": "m"})


def test_fingerprint_changes_with_the_model():
    base = {"ModelName": "m", "PrimaryContainer": {"Image": "i", "Environment": {"SAGEMAKER_PROGRAM": "a.py"}}}
    other = {"ModelName": "m", "PrimaryContainer": {"Image": "i", "Environment": {"SAGEMAKER_PROGRAM": "b.py"}}}
    assert container_spec(base).fingerprint == container_spec(base).fingerprint
    assert container_spec(base).fingerprint != container_spec(other).fingerprint


def test_split_s3_uri_rejects_bucket_only():
    with pytest.raises(ServingError, match="not an s3://<bucket>/<key> URI"):
        split_s3_uri("s3://bucket")


def test_fetch_artifact_from_s3_unpacks_archive(tmp_path):
    (tmp_path / "weights.txt").write_text("w")
    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "weights.txt", arcname="weights.txt")
    calls = []

    def download(bucket, key, destination):
        calls.append((bucket, key))
        destination.write_bytes((tmp_path / "model.tar.gz").read_bytes())

    fetch_artifact("s3://bucket/prefix/model.tar.gz", tmp_path / "out", download)
    assert calls == [("bucket", "prefix/model.tar.gz")]
    assert (tmp_path / "out" / "weights.txt").read_text() == "w"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.tar.gz", "out", "weights.txt"]


def test_fetch_artifact_rejects_unsafe_archive(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "evil.txt").write_text("x")
    with tarfile.open(tmp_path / "evil.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "src" / "evil.txt", arcname="../evil.txt")
    with pytest.raises(ServingError, match="evil.tar.gz contains an unsafe entry"):
        fetch_artifact(str(tmp_path / "evil.tar.gz"), tmp_path / "out", _no_s3)
    assert not (tmp_path / "evil.txt").exists()


def test_fetch_artifact_missing_local_file(tmp_path):
    with pytest.raises(ServingError, match="does not exist"):
        fetch_artifact(str(tmp_path / "missing.tar.gz"), tmp_path / "out", _no_s3)


def test_prepare_finds_code_inside_model_artifacts(tmp_path):
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text(SCRIPT)
    with tarfile.open(tmp_path / "model.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "code", arcname="code")
    spec = ContainerSpec(model_name="m", image="pytorch", program="inference.py",
                         submit_directory="/opt/ml/model/code", model_data_url=str(tmp_path / "model.tar.gz"))
    model_dir, code_dir = prepare(spec, tmp_path / "work", _no_s3)
    assert code_dir == model_dir / "code"
    assert (code_dir / "inference.py").is_file()


def test_prepare_reports_missing_script(tmp_path):
    spec = _model_spec(tmp_path)
    broken = ContainerSpec(model_name="m", image="i", program="other.py",
                           submit_directory=spec.submit_directory, model_data_url=spec.model_data_url)
    with pytest.raises(ServingError, match="inference script other.py of model m is not in its source"):
        prepare(broken, tmp_path / "work", _no_s3)


def test_worker_serves_json_with_default_functions(tmp_path, pool):
    worker = pool.worker("000000000000", "us-east-1", _model_spec(tmp_path))
    result = worker.invoke(b"[[1.0, 2.0], [3.0, 4.0]]", "application/json", None)
    assert json.loads(result.body) == [[2.0, 4.0], [6.0, 8.0]]
    assert result.content_type == "application/json"
    csv = worker.invoke(b"1,2\n3,4\n", "text/csv", "text/csv")
    assert csv.body.decode().split() == ["2.0,4.0", "6.0,8.0"]
    assert csv.content_type == "text/csv"
    log = pool.log_file("000000000000", "us-east-1", "doubler").read_text()
    assert "loading model from" in log


def test_worker_is_reused_until_the_model_changes(tmp_path, pool):
    first = pool.worker("000000000000", "us-east-1", _model_spec(tmp_path))
    assert pool.worker("000000000000", "us-east-1", _model_spec(tmp_path)) is first
    # the same name created again (new creation time) with new artefacts
    changed = pool.worker("000000000000", "us-east-1", _model_spec(tmp_path, factor=3.0, created="2026-01-01 00:00:09"))
    assert changed is not first
    assert not first.alive
    assert json.loads(changed.invoke(b"[1.0]", "application/json", None).body) == [3.0]


def test_worker_reports_model_errors_with_status(tmp_path, pool):
    worker = pool.worker("000000000000", "us-east-1", _model_spec(tmp_path))
    with pytest.raises(ServingError) as error:
        worker.invoke(b"[-1.0]", "application/json", None)
    assert error.value.status == 500
    assert error.value.from_model
    assert "ValueError: negative input" in str(error.value)
    with pytest.raises(ServingError) as unsupported:
        worker.invoke(b"\x89PNG", "image/png", None)
    assert unsupported.value.status == 415
    assert json.loads(worker.invoke(b"[1.0]", "application/json", "*/*").body) == [2.0]  # still serving


def test_worker_uses_transform_fn(tmp_path, pool):
    script = textwrap.dedent(
        """
        def model_fn(model_dir):
            return "model"

        def transform_fn(model, body, content_type, accept):
            return body.upper(), "text/plain"
        """
    )
    worker = pool.worker("000000000000", "us-east-1", _model_spec(tmp_path, script=script))
    result = worker.invoke(b"abc", "text/plain", None)
    assert (result.body, result.content_type) == (b"ABC", "text/plain")


def test_worker_start_failure_is_reported(tmp_path, pool):
    script = "def model_fn(model_dir):\n    raise RuntimeError('no weights')\n"
    with pytest.raises(ServingError, match="The model failed to load: RuntimeError: no weights"):
        pool.worker("000000000000", "us-east-1", _model_spec(tmp_path, script=script))


def test_worker_without_model_fn_is_reported(tmp_path, pool):
    with pytest.raises(ServingError, match="has no model_fn"):
        pool.worker("000000000000", "us-east-1", _model_spec(tmp_path, script="x = 1\n"))


def test_worker_timeout_stops_the_process(tmp_path):
    script = SCRIPT + "\nimport time\ndef predict_fn(data, model):\n    time.sleep(30)\n"
    pool = WorkerPool(root=tmp_path / "serving", download=_no_s3, environment=lambda account, region: {},
                      settings=ServingSettings(startup_timeout=60, invocation_timeout=1))
    try:
        worker = pool.worker("000000000000", "us-east-1", _model_spec(tmp_path, script=script))
        with pytest.raises(ServingError, match="did not answer within 1 s"):
            worker.invoke(b"[1.0]", "application/json", None)
        assert not worker.alive
    finally:
        pool.close()


def test_worker_gets_container_environment(tmp_path, pool):
    script = SCRIPT + "\nimport os\ndef predict_fn(data, model):\n    return os.environ['GREETING']\n"
    spec = _model_spec(tmp_path, script=script, GREETING="hello")
    worker = pool.worker("000000000000", "us-east-1", spec)
    assert worker.invoke(b"[1.0]", "application/json", None).body == b'"hello"'


def test_idle_workers_are_stopped_and_started_again(tmp_path):
    pool = WorkerPool(root=tmp_path / "serving", download=_no_s3, environment=lambda account, region: {},
                      settings=ServingSettings(startup_timeout=60, invocation_timeout=30, idle_timeout=0.2))
    try:
        spec = _model_spec(tmp_path)
        first = pool.worker("000000000000", "us-east-1", spec)
        assert pool.stop_idle() == 0  # just used
        deadline = time.monotonic() + 10
        while first.alive and time.monotonic() < deadline:
            time.sleep(0.1)  # the reaper thread stops it
        assert not first.alive
        second = pool.worker("000000000000", "us-east-1", spec)
        assert second is not first
        assert json.loads(second.invoke(b"[1.0]", "application/json", None).body) == [2.0]
    finally:
        pool.close()
