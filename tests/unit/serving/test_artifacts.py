"""Fetching model artefacts and code (sagewatch.serving.artifacts) and preparing them for a run."""

import io
import tarfile
from pathlib import Path

import pytest

from sagewatch.serving.artifacts import extract_archive, fetch, relocate_model_path, split_s3_uri
from sagewatch.serving.errors import ModelLoadError
from sagewatch.serving.run import prepare
from sagewatch.serving.settings import ServerSettings


def _tarball(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("as_uri", [False, True])
def test_fetch_extracts_a_local_tarball(tmp_path, as_uri):
    archive = _tarball(tmp_path / "model.tar.gz", {"model.joblib": b"m", "code/inference.py": b"# s"})
    uri = f"file://{archive}" if as_uri else str(archive)
    folder = fetch(uri, tmp_path / "out")
    assert folder == tmp_path / "out"
    assert _tree(folder) == {"code/inference.py": b"# s", "model.joblib": b"m"}


def test_fetch_uses_a_local_folder_in_place(tmp_path):
    assert fetch(str(tmp_path), tmp_path / "unused") == tmp_path
    assert not (tmp_path / "unused").exists()


def test_fetch_copies_a_single_file(tmp_path):
    (tmp_path / "xgboost-model").write_bytes(b"booster")
    assert _tree(fetch(str(tmp_path / "xgboost-model"), tmp_path / "out")) == {"xgboost-model": b"booster"}


def test_fetch_of_a_missing_artefact_names_it(tmp_path):
    with pytest.raises(ModelLoadError) as caught:
        fetch("file:///nonexistent/model.tar.gz", tmp_path / "out")
    assert str(caught.value) == "The artefact file:///nonexistent/model.tar.gz does not exist."


def test_extract_refuses_entries_leaving_the_folder(tmp_path):
    archive = _tarball(tmp_path / "evil.tar.gz", {"../escaped.txt": b"x"})
    with pytest.raises(ModelLoadError, match=r"^Cannot extract evil.tar.gz: "):
        extract_archive(archive, tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_split_s3_uri_refuses_uris_without_a_key():
    assert split_s3_uri("s3://b/k/model.tar.gz") == ("b", "k/model.tar.gz")
    with pytest.raises(ModelLoadError, match="is not an s3://<bucket>/<key> URI"):
        split_s3_uri("s3://bucket-only")


def test_relocate_model_path_maps_only_paths_inside_the_model_folder():
    assert relocate_model_path("/opt/ml/model", Path("m"), "/opt/ml/model") == Path("m")
    assert relocate_model_path("/opt/ml/modelx/code", Path("m"), "/opt/ml/model") is None


def test_fetch_downloads_and_extracts_from_s3(tmp_path, monkeypatch):
    moto = pytest.importorskip("moto")
    boto3 = pytest.importorskip("boto3")
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    archive = _tarball(tmp_path / "model.tar.gz", {"model.joblib": b"weights"})
    with moto.mock_aws():
        boto3.client("s3").create_bucket(Bucket="models")
        boto3.client("s3").upload_file(str(archive), "models", "churn/model.tar.gz")
        folder = fetch("s3://models/churn/model.tar.gz", tmp_path / "out")
        with pytest.raises(ModelLoadError, match=r"^Cannot download s3://models/absent.tar.gz: "):
            fetch("s3://models/absent.tar.gz", tmp_path / "other")
    assert _tree(folder) == {"model.joblib": b"weights"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.tar.gz", "other", "out"]  # no download left


def test_prepare_relocates_the_container_code_path_onto_the_model_folder(tmp_path):
    archive = _tarball(tmp_path / "model.tar.gz", {"model.joblib": b"m", "code/inference.py": b"# s"})
    settings = ServerSettings(model_data=str(archive), code_dir="/opt/ml/model/code")
    model_dir, code_dir = prepare(settings, tmp_path / "work")
    assert (model_dir, code_dir) == (tmp_path / "work" / "model", tmp_path / "work" / "model" / "code")


def test_prepare_fetches_a_separate_source_archive(tmp_path):
    (tmp_path / "model").mkdir()
    source = _tarball(tmp_path / "sourcedir.tar.gz", {"inference.py": b"# s"})
    settings = ServerSettings(model_dir=tmp_path / "model", code_dir=f"file://{source}")
    model_dir, code_dir = prepare(settings, tmp_path / "work")
    assert model_dir == tmp_path / "model"
    assert _tree(code_dir) == {"inference.py": b"# s"}
