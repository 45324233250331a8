"""Fetch model artefacts and inference code: ``s3://``, ``file://`` or local ``.tar.gz`` archives, files or folders.

boto3 is imported only to fetch an ``s3://`` URI.
"""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

from sagewatch.serving.errors import ModelLoadError

__all__ = ["extract_archive", "fetch", "relocate_model_path", "split_s3_uri"]


def split_s3_uri(uri: str) -> tuple[str, str]:
    """``"s3://bucket/a/b"`` -> ``("bucket", "a/b")``.

    Examples
    --------
    >>> split_s3_uri("s3://models/churn/model.tar.gz")
    ('models', 'churn/model.tar.gz')
    """
    from sagewatch.errors import InvalidParameterError
    from sagewatch.schemas.s3_uri import split_s3_uri as split  # the one parser; an artefact needs a key
    try:
        bucket, key = split(uri)
    except InvalidParameterError:
        bucket, key = "", ""
    if not bucket or not key:
        raise ModelLoadError(f"{uri} is not an s3://<bucket>/<key> URI.")
    return bucket, key


def relocate_model_path(path: str, model_dir: Path, container_model_dir: str) -> Path | None:
    """Map a path inside the container's model folder (``/opt/ml/model/code``) onto *model_dir*.

    Returns ``None`` for other paths.

    Examples
    --------
    >>> relocate_model_path("/opt/ml/model/code", Path("m"), "/opt/ml/model").as_posix()
    'm/code'
    >>> relocate_model_path("s3://b/sourcedir.tar.gz", Path("m"), "/opt/ml/model") is None
    True
    """
    root = container_model_dir.rstrip("/")
    if path == root or path.startswith(root + "/"):
        return model_dir / path[len(root):].lstrip("/")
    return None


def extract_archive(archive: Path, destination: Path) -> None:
    """Extract a tar archive (any compression) into *destination*, refusing links and paths that leave it."""
    destination.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(destination, filter="data")
                return
            root = destination.resolve()
            for member in tar.getmembers():
                target = (root / member.name).resolve()
                if not target.is_relative_to(root) or member.issym() or member.islnk():
                    raise ModelLoadError(f"{archive.name} has an unsafe entry: {member.name}")
            tar.extractall(destination)  # noqa: S202 - members checked above
    except (tarfile.TarError, OSError) as error:
        raise ModelLoadError(f"Cannot extract {archive.name}: {error}") from error


def _download_s3(uri: str, target: Path, endpoint_url: str | None) -> None:
    try:
        import boto3
    except ImportError as error:
        raise ModelLoadError(f"Fetching {uri} needs boto3, which is not installed (pip install boto3).") from error
    bucket, key = split_s3_uri(uri)
    client = boto3.client("s3", endpoint_url=endpoint_url) if endpoint_url else boto3.client("s3")
    try:
        client.download_file(bucket, key, str(target))
    except Exception as error:  # botocore raises several unrelated types
        raise ModelLoadError(f"Cannot download {uri}: {error}") from error


def fetch(uri: str, destination: Path, *, s3_endpoint_url: str | None = None) -> Path:
    """Make the artefact at *uri* available as a local folder and return that folder.

    Parameters
    ----------
    uri : str
        ``s3://bucket/key``, ``file:///path`` or a local path of a tar archive (``model.tar.gz``), of a
        single file (``model.joblib``), or (not S3) of a folder.
    destination : Path
        Folder to fill for archives and files (created if missing). A local folder is used in place.
    s3_endpoint_url : str, optional
        S3 endpoint (LocalStack); boto3's own configuration otherwise.

    Returns
    -------
    Path
        *destination*, or the folder *uri* names.

    Raises
    ------
    ModelLoadError
        If the artefact does not exist or cannot be downloaded or extracted.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as name:
    ...     root = Path(name)
    ...     _ = (root / "model.joblib").write_bytes(b"x")
    ...     sorted(p.name for p in fetch(f"file://{root / 'model.joblib'}", root / "out").iterdir())
    ['model.joblib']
    """
    if uri.startswith("s3://"):
        destination.mkdir(parents=True, exist_ok=True)
        name = uri.rstrip("/").rsplit("/", 1)[-1]
        download = destination.parent / f".{destination.name}-{name}.download"
        try:
            _download_s3(uri, download, s3_endpoint_url)
            _unpack(download, destination, name)
        finally:
            download.unlink(missing_ok=True)
        return destination
    source = Path(uri[len("file://"):] if uri.startswith("file://") else uri)
    if source.is_dir():
        return source
    if not source.is_file():
        raise ModelLoadError(f"The artefact {uri} does not exist.")
    destination.mkdir(parents=True, exist_ok=True)
    _unpack(source, destination, source.name)
    return destination


def _unpack(source: Path, destination: Path, name: str) -> None:
    if tarfile.is_tarfile(source):
        extract_archive(source, destination)
    else:
        shutil.copyfile(source, destination / name)
