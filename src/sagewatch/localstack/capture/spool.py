"""Local spool files: every capture record is on disk before InvokeEndpoint answers.

A capture file is built in the spool folder first and uploaded to S3 when it is closed. Each file is a pair:

- ``<id>.meta.json``: where the file goes (account, region, bucket, key, KMS key), written atomically before the
  first record;
- ``<id>.jsonl``: the records, one JSON line each, appended with one ``write`` system call per record (no
  user-space buffer), so a record survives a crash of the emulator as soon as :meth:`SpoolFile.append` returns.

A pair left behind by a previous run (crash, ``kill -9``) is found by :func:`leftover_files` and uploaded as it
is; a last line without its newline (a write cut short) is dropped by :func:`complete_lines`.

A record that cannot be written (the disk is full, an I/O error, or the spool's byte budget
``SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES`` is used up: :class:`SpoolQuota`) raises ``OSError`` from
:meth:`SpoolFile.append` and leaves the file as it was before the call (a partly written line is cut off again),
so the records before and after it stay readable.
"""

from __future__ import annotations

import errno
import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["DATA_SUFFIX", "META_SUFFIX", "SpoolFile", "SpoolQuota", "SpoolTarget", "complete_lines",
           "leftover_files", "read_target", "remove_pair"]

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


class SpoolQuota:
    """A byte budget for the spool folder that behaves like a disk of that size (``SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES``).

    Appends reserve their bytes (:meth:`reserve` raises ``OSError(ENOSPC)`` when the budget is used up) and the
    uploader gives them back when it deletes an uploaded file (:meth:`release`). ``max_bytes=None`` is no budget:
    nothing is counted and no lock is taken.

    Examples
    --------
    >>> quota = SpoolQuota(10)
    >>> quota.reserve(8); quota.used
    8
    >>> quota.reserve(4)
    Traceback (most recent call last):
    ...
    OSError: [Errno 28] capture spool is full: 8 of SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES=10 bytes used, 4 more asked for
    >>> quota.release(8); quota.reserve(4); quota.used
    4
    """

    def __init__(self, max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self.used = 0
        self._lock = threading.Lock()

    def reserve(self, size: int) -> None:
        """Count *size* more bytes; ``OSError(ENOSPC)`` (nothing counted) when they do not fit."""
        if self.max_bytes is None:
            return
        with self._lock:
            if self.used + size > self.max_bytes:
                raise OSError(errno.ENOSPC, f"capture spool is full: {self.used} of "
                                            f"SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES={self.max_bytes} bytes used, "
                                            f"{size} more asked for")
            self.used += size

    def add_existing(self, size: int) -> None:
        """Count *size* bytes already on disk (files a previous run left), even beyond the budget."""
        if self.max_bytes is None:
            return
        with self._lock:
            self.used += size

    def release(self, size: int) -> None:
        """Give back *size* bytes (a file was uploaded and deleted, or an append was undone)."""
        if self.max_bytes is None or size <= 0:
            return
        with self._lock:
            self.used = max(0, self.used - size)


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
    quota : SpoolQuota, optional
        The spool folder's byte budget; records are refused with ``OSError(ENOSPC)`` beyond it.

    Raises
    ------
    OSError
        When the meta file or the data file cannot be created (the disk is full, an I/O error).

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

    def __init__(self, directory: Path, target: SpoolTarget, quota: SpoolQuota | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.target = target
        self.quota = quota or SpoolQuota()
        file_id = uuid.uuid4().hex
        self.data_path = directory / f"{file_id}{DATA_SUFFIX}"
        self.meta_path = directory / f"{file_id}{META_SUFFIX}"
        partial = directory / f".{file_id}{META_SUFFIX}.tmp"
        try:
            partial.write_text(json.dumps(asdict(target)), encoding="utf-8")
            os.replace(partial, self.meta_path)
            self._fd: int | None = os.open(self.data_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError:  # a full disk: leave no half pair behind
            for path in (partial, self.meta_path, self.data_path):
                path.unlink(missing_ok=True)
            raise
        self.records = 0
        self.size = 0

    @property
    def closed(self) -> bool:
        return self._fd is None

    def append(self, data: bytes) -> None:
        """Append *data* (whole lines) with unbuffered writes: in the OS's hands when this returns.

        Raises
        ------
        OSError
            When the bytes do not fit (``ENOSPC``: the disk or the quota is full) or cannot be written (``EIO``);
            the file is then as it was before the call. If even that cannot be ensured (the cut fails too), the
            file is closed: its last line is then torn, and :func:`complete_lines` drops it at upload.
        """
        if self._fd is None:
            raise ValueError(f"{self.data_path.name} is closed")
        self.quota.reserve(len(data))
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError:
            self.quota.release(len(data))
            try:
                os.ftruncate(self._fd, self.size)  # O_APPEND: the next record starts where this one did
            except OSError:
                self.close()
            raise
        self.size += len(data)
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
