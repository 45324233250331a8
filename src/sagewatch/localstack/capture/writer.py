"""The capture writer of one endpoint deployment: sampling, records, file rolling (contract §1.2, §1.3, §12).

One open file per production variant. A file is opened at its first record and named from that record's time
(``MM-SS-mmm-<uuid4>.jsonl`` in that time's UTC hour folder); it is closed when ``roll_seconds`` have passed
since it was opened or the UTC hour ends, whichever comes first, by the next record or by the service's roller
thread (:meth:`EndpointCapture.roll_expired`). Closed files go to the uploader.

A record that cannot be spooled (disk full, I/O error, spool quota used up) is lost, not the invocation: the
invocation is answered as usual, the loss is counted (:attr:`EndpointCapture.lost`) and reported through
``on_lost`` (the endpoint's ``CaptureRecordsLost`` metric, :mod:`sagewatch.localstack.metrics`), and LocalStack's
log says why (the first loss, then at most one line per :data:`LOSS_LOG_SECONDS`).
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sagewatch.capture.keys import capture_object_key
from sagewatch.schemas.capture import make_capture_record, serialize_capture_record
from sagewatch.localstack.capture.config import CaptureConfig
from sagewatch.localstack.capture.spool import SpoolFile, SpoolQuota, SpoolTarget

__all__ = ["LOSS_LOG_SECONDS", "CapturedInvocation", "EndpointCapture"]

LOG = logging.getLogger(__name__)

LOSS_LOG_SECONDS = 10.0
"""At most one log line per endpoint this often while records are being lost (a full disk at 300 requests/s)."""


@dataclass(frozen=True)
class CapturedInvocation:
    """What one successful invocation contributes to a capture record."""

    inference_time: datetime
    input_data: bytes
    input_content_type: str | None
    output_data: bytes
    output_content_type: str | None
    inference_id: str | None = None
    custom_attributes: str | None = None


@dataclass
class _OpenFile:
    spool: SpoolFile
    deadline: datetime


class EndpointCapture:
    """Data capture of one endpoint under one endpoint config.

    Parameters
    ----------
    account_id, region, endpoint_name : str
        Whose capture this is (the spool target records them).
    config : CaptureConfig
        The endpoint config's ``DataCaptureConfig``.
    spool_dir : Path
        Where files are built before upload.
    roll_seconds : float
        How long a file stays open at most.
    on_closed : callable
        ``on_closed(spool_file)``: called with every closed file that holds records (the uploader's submit).
    sample : callable
        Returns a float in [0, 1); a record is written when ``sample() * 100 < sampling_percentage``.
    quota : SpoolQuota, optional
        The spool folder's byte budget (shared by every writer of the process).
    on_lost : callable, optional
        ``on_lost(variant)``: called once for every sampled record that could not be spooled.

    Examples
    --------
    >>> import tempfile
    >>> closed = []
    >>> config = CaptureConfig(enabled=True, sampling_percentage=100, destination_s3_uri="s3://b/dc",
    ...                        csv_content_types=("text/csv",))
    >>> capture = EndpointCapture("000000000000", "us-east-1", "ep", config, Path(tempfile.mkdtemp()), 60.0,
    ...                           closed.append)
    >>> when = datetime(2024, 5, 1, 10, 20, 30, 123000, tzinfo=timezone.utc)
    >>> capture.capture("AllTraffic", CapturedInvocation(when, b"1,2", "text/csv", b"0.5", "text/csv"))
    True
    >>> capture.close()
    >>> closed[0].target.key[:41]
    'dc/ep/AllTraffic/2024/05/01/10/20-30-123-'
    >>> closed[0].data_path.read_text()[:60]
    '{"captureData":{"endpointInput":{"observedContentType":"text'
    """

    def __init__(self, account_id: str, region: str, endpoint_name: str, config: CaptureConfig, spool_dir: Path,
                 roll_seconds: float, on_closed: Callable[[SpoolFile], None],
                 sample: Callable[[], float] = random.random, quota: SpoolQuota | None = None,
                 on_lost: Callable[[str], None] | None = None) -> None:
        self.account_id = account_id
        self.region = region
        self.endpoint_name = endpoint_name
        self.config = config
        self.spool_dir = spool_dir
        self.roll = timedelta(seconds=roll_seconds)
        self._on_closed = on_closed
        self._sample = sample
        self._csv: Sequence[str] = config.csv_content_types
        self._json: Sequence[str] = config.json_content_types
        self._files: dict[str, _OpenFile] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._quota = quota
        self._on_lost = on_lost
        self._last_loss_log = float("-inf")
        self._unlogged_losses = 0
        self.records = 0
        self.lost = 0

    def sampled(self) -> bool:
        """Decide, at random, whether one invocation is captured (``InitialSamplingPercentage``)."""
        config = self.config
        if not config.active:
            return False
        return config.sampling_percentage >= 100 or self._sample() * 100.0 < config.sampling_percentage

    def capture(self, variant: str, invocation: CapturedInvocation) -> bool:
        """Sample, then append the record of *invocation* to the variant's open file; whether it was written.

        The record is in the spool file (handed to the OS) when this returns ``True``. A sampled record that
        cannot be written (``OSError``: disk full, I/O error, spool quota) is counted as lost and ``False`` is
        returned; it never raises for that.
        """
        if not self.sampled():
            return False
        config = self.config
        record = make_capture_record(
            event_id=str(uuid.uuid4()),
            inference_time=invocation.inference_time,
            input_data=invocation.input_data if config.capture_input else None,
            input_content_type=invocation.input_content_type,
            output_data=invocation.output_data if config.capture_output else None,
            output_content_type=invocation.output_content_type,
            inference_id=invocation.inference_id,
            custom_attributes=invocation.custom_attributes,
            csv_content_types=self._csv,
            json_content_types=self._json,
        )
        line = (serialize_capture_record(record) + "\n").encode("utf-8")
        with self._variant_lock(variant):
            if self._closed:
                return False
            current = self._files.get(variant)
            when = invocation.inference_time
            if current is not None and when >= current.deadline:
                self._close(variant)
                current = None
            try:
                if current is None:
                    current = self._open(variant, when)
                current.spool.append(line)
            except OSError as error:
                self._lost(variant, error)
                if current is not None and current.spool.closed:  # could not even undo a torn write
                    self._close(variant)
                return False
            self.records += 1
        return True

    def _lost(self, variant: str, error: OSError) -> None:
        self.lost += 1
        self._unlogged_losses += 1
        now = time.monotonic()
        if now - self._last_loss_log >= LOSS_LOG_SECONDS:
            LOG.error("sagewatch: %d capture record(s) of endpoint %s (variant %s) lost: the spool folder %s "
                      "cannot take them (%s); the invocations were answered", self._unlogged_losses,
                      self.endpoint_name, variant, self.spool_dir, error)
            self._last_loss_log, self._unlogged_losses = now, 0
        if self._on_lost is not None:
            self._on_lost(variant)

    def roll_expired(self, now: datetime) -> None:
        """Close the files whose time is up (called by the roller thread)."""
        for variant in list(self._files):
            current = self._files.get(variant)
            if current is None or now < current.deadline:
                continue
            with self._variant_lock(variant):
                current = self._files.get(variant)
                if current is not None and now >= current.deadline:
                    self._close(variant)

    def close(self) -> None:
        """Close every open file and accept no more records (the deployment is retired)."""
        with self._lock:
            self._closed = True
        for variant in list(self._files):
            with self._variant_lock(variant):
                self._close(variant)

    @property
    def open_files(self) -> int:
        return len(self._files)

    def _variant_lock(self, variant: str) -> threading.Lock:
        lock = self._locks.get(variant)
        if lock is None:
            with self._lock:
                lock = self._locks.setdefault(variant, threading.Lock())
        return lock

    def _open(self, variant: str, when: datetime) -> _OpenFile:
        when = when.astimezone(timezone.utc)
        key = capture_object_key(self.config.prefix, self.endpoint_name, variant, when, str(uuid.uuid4()))
        target = SpoolTarget(self.account_id, self.region, self.config.bucket, key, self.config.kms_key_id)
        next_hour = when.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        opened = _OpenFile(SpoolFile(self.spool_dir, target, self._quota), min(when + self.roll, next_hour))
        self._files[variant] = opened
        return opened

    def _close(self, variant: str) -> None:
        current = self._files.pop(variant, None)
        if current is None:
            return
        current.spool.close()
        self._on_closed(current.spool)
