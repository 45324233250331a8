"""Local spool files: every capture record is on disk before InvokeEndpoint answers.

A capture file is built in the spool folder first and uploaded to S3 when it is closed. Each file is a pair:

- ``<id>.meta.json``: where the file goes (account, region, bucket, key, KMS key), written atomically before the
  first record;
- ``<id>.jsonl``: the records, one JSON line each, appended with one ``write`` system call per record (no
  user-space buffer), so a record survives a crash of the emulator as soon as :meth:`SpoolFile.append` returns.

A pair left behind by a previous run (crash, ``kill -9``) is found by :func:`leftover_files` and uploaded as it
is; a last line without its newline (a write cut short) is dropped by :func:`complete_lines`.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["DATA_SUFFIX", "META_SUFFIX", "SpoolFile", "SpoolTarget", "complete_lines", "leftover_files",
           "read_target", "remove_pair"]

DATA_SUFFIX = ".jsonl"
META_SUFFIX = ".meta.json"


@dataclass(frozen=True)
class SpoolTarget:
    """Where a spool file is uploaded.

    Examples
    --------
    >>> SpoolTarget("000000000000", "us-east-1", "bucket", "capture/ep/v/2024/01/01/00/00-00-000-x.jsonl").uri
    's3://bucket/capture/ep/v/2024/01/01/00/00-00-000-x.jsonl'
    """

    account_id: str
    region: str
    bucket: str
    key: str
    kms_key_id: str | None = None

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def read_target(meta_path: Path) -> SpoolTarget:
    """Read a ``.meta.json`` file.

    Raises
    ------
    ValueError
        If the file is not a spool target (``OSError`` if it cannot be read).
    """
    payload = json.loads(meta_path.read_text(encoding="utf-8"))
    try:
        return SpoolTarget(**payload)
    except TypeError as error:
        raise ValueError(f"{meta_path.name} is not a capture spool target: {error}") from error


class SpoolFile:
    """One capture file being written: its target is recorded first, then records are appended.

    Parameters
    ----------
    directory : Path
        The spool folder (created if missing).
    target : SpoolTarget
        Where the file is uploaded once closed.

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> spool = SpoolFile(folder, SpoolTarget("000000000000", "us-east-1", "b", "k.jsonl"))
    >>> spool.append(b'{"a":1}\\n')
    >>> spool.close()
    >>> spool.data_path.read_bytes(), read_target(spool.meta_path).key
    (b'{"a":1}\\n', 'k.jsonl')
    """

    def __init__(self, directory: Path, target: SpoolTarget) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.target = target
        file_id = uuid.uuid4().hex
        self.data_path = directory / f"{file_id}{DATA_SUFFIX}"
        self.meta_path = directory / f"{file_id}{META_SUFFIX}"
        partial = directory / f".{file_id}{META_SUFFIX}.tmp"
        partial.write_text(json.dumps(asdict(target)), encoding="utf-8")
        os.replace(partial, self.meta_path)
        self._fd: int | None = os.open(self.data_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.records = 0

    @property
    def closed(self) -> bool:
        return self._fd is None

    def append(self, data: bytes) -> None:
        """Append *data* (whole lines) with unbuffered writes: in the OS's hands when this returns."""
        if self._fd is None:
            raise ValueError(f"{self.data_path.name} is closed")
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self.records += 1

    def close(self) -> None:
        """Stop appending; idempotent."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def leftover_files(directory: Path) -> Iterator[tuple[Path, Path]]:
    """Yield the ``(data, meta)`` pairs in *directory*, oldest first; stray half-pairs are deleted.

    A meta file whose data file is missing (a crash between the two writes) is removed, and so is a data file
    without its meta file (its destination is unknown).
    """
    if not directory.is_dir():
        return
    metas = sorted(directory.glob(f"*{META_SUFFIX}"), key=lambda path: path.stat().st_mtime)
    paired: set[Path] = set()
    for meta in metas:
        data = meta.with_name(meta.name[: -len(META_SUFFIX)] + DATA_SUFFIX)
        if data.exists():
            paired.add(data)
            yield data, meta
        else:
            meta.unlink(missing_ok=True)
    for data in directory.glob(f"*{DATA_SUFFIX}"):
        if data not in paired and not data.with_name(data.name[: -len(DATA_SUFFIX)] + META_SUFFIX).exists():
            data.unlink(missing_ok=True)
    for partial in directory.glob(f".*{META_SUFFIX}.tmp"):
        partial.unlink(missing_ok=True)


def complete_lines(data: bytes) -> bytes:
    """*data* without a trailing partial line (a record whose write was cut short).

    Examples
    --------
    >>> complete_lines(b'{"a":1}\\n{"b"')
    b'{"a":1}\\n'
    >>> complete_lines(b"")
    b''
    """
    end = data.rfind(b"\n")
    return data[: end + 1]


def remove_pair(data_path: Path, meta_path: Path) -> None:
    """Delete an uploaded spool file and its meta file (meta last, so a crash leaves no orphan data)."""
    data_path.unlink(missing_ok=True)
    meta_path.unlink(missing_ok=True)
