"""Background uploader: ships closed spool files to S3, then deletes them.

Uploads run on one thread, never on the request path. A failed upload (bucket missing, S3 down or not up yet, a
KMS key that does not exist) is retried with exponential back-off up to :attr:`CaptureUploader.max_backoff`
seconds between tries, for as long as it takes: the spool file stays on disk meanwhile (and the next start uploads
it too), so an S3 outage delays capture files but never drops them. Every failure is logged with its cause.
A file is uploaded to the key its meta file names, so a file uploaded again (the emulator was killed between the
upload and the delete) replaces its first copy instead of adding a second one.

With ``max_attempts`` set, a file is given up after that many failed tries: moved to the spool's ``failed/``
folder and left there, with an error in LocalStack's log.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sagewatch.localstack.capture.spool import SpoolQuota, SpoolTarget, complete_lines, read_target, remove_pair

__all__ = ["CaptureUploader", "PutObject"]

LOG = logging.getLogger(__name__)

PutObject = Callable[[SpoolTarget, bytes], None]
"""``put_object(target, body)``: upload *body* to ``target.bucket``/``target.key`` (SSE-KMS when
``target.kms_key_id`` is set); raises on failure."""


class CaptureUploader:
    """Upload spool files in the background.

    Parameters
    ----------
    put_object : callable
        See :data:`PutObject`.
    first_backoff, max_backoff : float
        Seconds before the first retry of a failed upload, and the cap of the doubling back-off.
    max_attempts : int, optional
        Tries before a file is given up (moved to ``failed/`` next to it); ``None`` (the default) never gives up.
    quota : SpoolQuota, optional
        The spool's byte budget: an uploaded and deleted file gives its bytes back.

    Examples
    --------
    >>> import tempfile
    >>> from sagewatch.localstack.capture.spool import SpoolFile
    >>> uploaded = {}
    >>> uploader = CaptureUploader(lambda target, body: uploaded.update({target.key: body}))
    >>> spool = SpoolFile(Path(tempfile.mkdtemp()), SpoolTarget("000000000000", "us-east-1", "b", "k.jsonl"))
    >>> spool.append(b"{}\\n"); spool.close()
    >>> uploader.start(); uploader.submit(spool.data_path, spool.meta_path)
    >>> uploader.drain(5.0), uploaded, spool.data_path.exists()
    (True, {'k.jsonl': b'{}\\n'}, False)
    >>> uploader.stop()
    """

    def __init__(self, put_object: PutObject, *, first_backoff: float = 1.0, max_backoff: float = 60.0,
                 max_attempts: int | None = None, quota: SpoolQuota | None = None) -> None:
        self._put_object = put_object
        self.quota = quota or SpoolQuota()
        self.first_backoff = first_backoff
        self.max_backoff = max_backoff
        self.max_attempts = max_attempts
        self._attempts: dict[Path, int] = {}
        self._pending: list[tuple[float, int, Path, Path, float]] = []  # (due, seq, data, meta, backoff)
        self._sequence = itertools.count()
        self._queued: set[Path] = set()
        self._condition = threading.Condition()
        self._busy = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.uploaded = 0
        self.failures = 0

    def start(self) -> None:
        """Start the upload thread (idempotent)."""
        with self._condition:
            if self._thread is not None:
                return
            self._stopping = False
            self._thread = threading.Thread(target=self._run, daemon=True, name="sagewatch-capture-upload")
            self._thread.start()

    def submit(self, data_path: Path, meta_path: Path) -> None:
        """Queue a closed spool file for upload (a file already queued is ignored)."""
        with self._condition:
            if data_path in self._queued:
                return
            self._queued.add(data_path)
            heapq.heappush(self._pending, (0.0, next(self._sequence), data_path, meta_path, 0.0))
            self._condition.notify_all()

    @property
    def pending(self) -> int:
        """Files queued or being uploaded."""
        with self._condition:
            return len(self._queued)

    def drain(self, timeout: float) -> bool:
        """Wait until every queued file is uploaded or *timeout* seconds pass; whether the queue is empty.

        Files waiting for a retry are tried again at once.
        """
        deadline = time.monotonic() + timeout
        with self._condition:
            self._pending = [(0.0, seq, data, meta, backoff) for _, seq, data, meta, backoff in self._pending]
            heapq.heapify(self._pending)
            self._condition.notify_all()
            while self._queued:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
            return True

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread; files still queued stay in the spool folder for the next start."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)

    def upload(self, data_path: Path, meta_path: Path) -> None:
        """Upload one spool file now and delete it; raises when the upload fails."""
        if not data_path.exists():  # uploaded and removed by an earlier try
            meta_path.unlink(missing_ok=True)
            return
        target = read_target(meta_path)
        raw = data_path.read_bytes()
        body = complete_lines(raw)
        if body:
            self._put_object(target, body)
        remove_pair(data_path, meta_path)
        self.quota.release(len(raw))

    def _run(self) -> None:
        while True:
            with self._condition:
                while not self._stopping and (not self._pending or self._pending[0][0] > time.monotonic()):
                    wait = self._pending[0][0] - time.monotonic() if self._pending else None
                    self._condition.wait(wait)
                if self._stopping:
                    return
                _, _, data_path, meta_path, backoff = heapq.heappop(self._pending)
            try:
                self.upload(data_path, meta_path)
            except ValueError as error:  # a meta file that is not ours: leave both files for a human to look at
                LOG.error("sagewatch: capture spool file %s cannot be uploaded: %s", data_path, error)
                with self._condition:
                    self._queued.discard(data_path)
                    self._condition.notify_all()
                continue
            except Exception as error:  # any other failure: keep the file and try again later
                backoff = min(self.max_backoff, backoff * 2 if backoff else self.first_backoff)
                self.failures += 1
                attempts = self._attempts[data_path] = self._attempts.get(data_path, 0) + 1
                if self.max_attempts is not None and attempts >= self.max_attempts:
                    self._give_up(data_path, meta_path, error)
                    continue
                LOG.warning("sagewatch: capture upload of %s to s3://%s failed (try %d: %s); kept in the spool, "
                            "retrying in %.0f s", data_path.name, _destination(meta_path), attempts, error, backoff)
                with self._condition:
                    heapq.heappush(self._pending, (time.monotonic() + backoff, next(self._sequence), data_path,
                                                   meta_path, backoff))
                continue
            with self._condition:
                self.uploaded += 1
                self._queued.discard(data_path)
                self._attempts.pop(data_path, None)
                self._condition.notify_all()

    def _give_up(self, data_path: Path, meta_path: Path, error: Exception) -> None:
        failed = data_path.parent / "failed"
        failed.mkdir(exist_ok=True)
        for path in (data_path, meta_path):
            if path.exists():
                path.replace(failed / path.name)
        LOG.error("sagewatch: gave up uploading capture file %s after %d tries (%s); kept in %s", data_path.name,
                  self.max_attempts, error, failed)
        with self._condition:
            self._queued.discard(data_path)
            self._attempts.pop(data_path, None)
            self._condition.notify_all()


def _destination(meta_path: Path) -> str:
    try:
        return read_target(meta_path).uri[len("s3://"):]
    except (OSError, ValueError):
        return "?"
