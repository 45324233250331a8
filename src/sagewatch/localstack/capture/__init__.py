"""Data capture of the emulator's endpoints: spool, writer, background uploader (contract §1).

:class:`CaptureService` ties them together for the whole LocalStack process:

- :meth:`CaptureService.open_writer` gives an endpoint deployment its :class:`EndpointCapture`;
- a roller thread closes files whose time is up, and the uploader ships closed files to S3;
- :meth:`CaptureService.start` first queues every spool file a previous run left behind (crash or ``kill -9``);
- :meth:`CaptureService.shutdown` closes the open files and uploads them before LocalStack stops.

Nothing here talks to S3 directly: the caller passes a ``put_object`` function (LocalStack's internal client).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from sagewatch.localstack.capture.config import CaptureConfig
from sagewatch.localstack.capture.spool import SpoolFile, SpoolQuota, SpoolTarget, leftover_files
from sagewatch.localstack.capture.uploader import CaptureUploader, PutObject
from sagewatch.localstack.capture.writer import CapturedInvocation, EndpointCapture

__all__ = ["CaptureConfig", "CaptureService", "CapturedInvocation", "EndpointCapture", "PutObject", "SpoolQuota",
           "SpoolTarget"]

LOG = logging.getLogger(__name__)


class CaptureService:
    """Capture writers, the roller thread and the uploader of one emulator process.

    Parameters
    ----------
    spool_dir : Path
        Where capture files are built (kept across restarts).
    roll_seconds : float
        How long a capture file stays open at most (``SAGEWATCH_CAPTURE_ROLL_SECONDS``).
    put_object : callable
        Uploads one file (see :data:`sagewatch.localstack.capture.uploader.PutObject`).
    max_spool_bytes : int, optional
        The spool folder's byte budget (``SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES``): records beyond it are lost and
        counted as on a full disk. ``None``: only the disk limits it.
    """

    def __init__(self, spool_dir: Path, roll_seconds: float, put_object: PutObject,
                 max_spool_bytes: int | None = None) -> None:
        self.spool_dir = spool_dir
        self.roll_seconds = roll_seconds
        self.quota = SpoolQuota(max_spool_bytes)
        self.uploader = CaptureUploader(put_object, quota=self.quota)
        self._writers: weakref.WeakSet[EndpointCapture] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._roller: threading.Thread | None = None

    def start(self) -> int:
        """Queue the files a previous run left in the spool folder, start the threads; the number queued."""
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        leftovers = list(leftover_files(self.spool_dir))
        for data_path, meta_path in leftovers:
            try:
                self.quota.add_existing(data_path.stat().st_size)
            except OSError:
                pass
            self.uploader.submit(data_path, meta_path)
        if leftovers:
            LOG.info("sagewatch: uploading %d capture file(s) left by a previous run", len(leftovers))
        self.uploader.start()
        with self._lock:
            if self._roller is None:
                self._stop.clear()
                self._roller = threading.Thread(target=self._roll, daemon=True, name="sagewatch-capture-roll")
                self._roller.start()
        return len(leftovers)

    def open_writer(self, account_id: str, region: str, endpoint_name: str, config: CaptureConfig,
                    on_lost: Callable[[str], None] | None = None) -> EndpointCapture:
        """A writer for one deployment of *endpoint_name*; close it with :meth:`EndpointCapture.close`.

        *on_lost(variant)* is called for every record that could not be spooled.
        """
        writer = EndpointCapture(account_id, region, endpoint_name, config, self.spool_dir, self.roll_seconds,
                                 self._closed, quota=self.quota, on_lost=on_lost)
        with self._lock:
            self._writers.add(writer)
        return writer

    def flush(self, timeout: float = 30.0) -> bool:
        """Close every open file now and wait for the uploads; whether all were uploaded in time."""
        for writer in self._live_writers():
            writer.roll_expired(datetime.max.replace(tzinfo=timezone.utc))
        return self.uploader.drain(timeout)

    def shutdown(self, timeout: float = 20.0) -> bool:
        """Close every writer and upload what is open (files that fail stay for the next start)."""
        self._stop.set()
        for writer in self._live_writers():
            writer.close()
        done = self.uploader.drain(timeout)
        self.uploader.stop()
        with self._lock:
            roller, self._roller = self._roller, None
        if roller is not None:
            roller.join(2.0)
        return done

    def _live_writers(self) -> list[EndpointCapture]:
        with self._lock:
            return list(self._writers)

    def _closed(self, spool: SpoolFile) -> None:
        if spool.records:
            self.uploader.submit(spool.data_path, spool.meta_path)
        else:
            spool.data_path.unlink(missing_ok=True)
            spool.meta_path.unlink(missing_ok=True)

    def _roll(self) -> None:
        interval = max(0.05, min(1.0, self.roll_seconds / 10))
        while not self._stop.wait(interval):
            now = datetime.now(timezone.utc)
            for writer in self._live_writers():
                try:
                    writer.roll_expired(now)
                except Exception:  # one broken writer must not stop the others rolling
                    LOG.exception("sagewatch: rolling capture files of %s failed", writer.endpoint_name)
