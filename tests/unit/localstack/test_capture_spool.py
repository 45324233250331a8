"""Spool files, the background uploader and crash recovery of data capture."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from sagewatch.localstack.capture import CaptureConfig, CaptureService
from sagewatch.localstack.capture.spool import SpoolFile, SpoolTarget, complete_lines, leftover_files
from sagewatch.localstack.capture.uploader import CaptureUploader
from sagewatch.localstack.capture.writer import CapturedInvocation

TARGET = SpoolTarget("000000000000", "us-east-1", "bucket", "dc/ep/v/2024/05/01/10/20-30-123-x.jsonl", "alias/k")


class Store:
    """A fake S3: records uploads; fails the first *failures* calls."""

    def __init__(self, failures=0):
        self.failures = failures
        self.objects: dict[str, bytes] = {}
        self.targets: list[SpoolTarget] = []
        self.lock = threading.Lock()

    def put(self, target, body):
        with self.lock:
            if self.failures:
                self.failures -= 1
                raise ConnectionError("S3 is not up yet")
            self.objects[target.key] = body
            self.targets.append(target)


def test_spool_file_records_its_target_before_data(tmp_path):
    spool = SpoolFile(tmp_path, TARGET)
    assert json.loads(spool.meta_path.read_text())["key"] == TARGET.key
    spool.append(b"a\n")
    spool.append(b"b\n")
    assert spool.data_path.read_bytes() == b"a\nb\n"  # unbuffered: visible before close
    spool.close()
    spool.close()
    with pytest.raises(ValueError, match="closed"):
        spool.append(b"c\n")


def test_records_survive_a_killed_process(tmp_path):
    """A child appends records and is killed with SIGKILL without closing anything: every record is there."""
    script = textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        from sagewatch.localstack.capture.spool import SpoolFile, SpoolTarget
        spool = SpoolFile(Path({str(tmp_path)!r}), SpoolTarget("000000000000", "us-east-1", "b", "k.jsonl"))
        for index in range(500):
            spool.append(b'{{"n":%d}}\\n' % index)
        print("appended", flush=True)
        time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    assert child.stdout.readline().strip() == b"appended"
    child.kill()
    child.wait()
    ((data, meta),) = list(leftover_files(tmp_path))
    assert len(data.read_bytes().splitlines()) == 500


def test_leftover_files_removes_half_pairs(tmp_path):
    whole = SpoolFile(tmp_path, TARGET)
    whole.append(b"x\n")
    whole.close()
    (tmp_path / "orphan.meta.json").write_text("{}")
    (tmp_path / "stray.jsonl").write_text("x\n")
    (tmp_path / ".half.meta.json.tmp").write_text("{")
    assert list(leftover_files(tmp_path)) == [(whole.data_path, whole.meta_path)]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([whole.data_path.name, whole.meta_path.name])
    assert list(leftover_files(tmp_path / "missing")) == []


def test_complete_lines_drops_a_torn_last_record():
    assert complete_lines(b'{"a":1}\n{"b":2}\n{"c"') == b'{"a":1}\n{"b":2}\n'


def _closed_spool(directory, body=b'{"a":1}\n', target=TARGET):
    spool = SpoolFile(directory, target)
    spool.append(body)
    spool.close()
    return spool


def test_uploader_uploads_and_deletes(tmp_path):
    store = Store()
    uploader = CaptureUploader(store.put)
    uploader.start()
    spool = _closed_spool(tmp_path, b'{"a":1}\n{"partial"')
    uploader.submit(spool.data_path, spool.meta_path)
    uploader.submit(spool.data_path, spool.meta_path)  # queued once
    assert uploader.drain(5)
    uploader.stop()
    assert store.objects == {TARGET.key: b'{"a":1}\n'}
    assert store.targets[0].kms_key_id == "alias/k"
    assert list(tmp_path.iterdir()) == []


def test_uploader_retries_with_backoff(tmp_path):
    store = Store(failures=2)
    uploader = CaptureUploader(store.put, first_backoff=0.05, max_backoff=0.1)
    uploader.start()
    spool = _closed_spool(tmp_path)
    uploader.submit(spool.data_path, spool.meta_path)
    deadline = time.monotonic() + 5
    while uploader.pending and time.monotonic() < deadline:
        time.sleep(0.02)
    uploader.stop()
    assert (uploader.failures, uploader.uploaded) == (2, 1)
    assert TARGET.key in store.objects


def test_uploader_gives_up_after_max_attempts(tmp_path):
    store = Store(failures=100)
    uploader = CaptureUploader(store.put, first_backoff=0.01, max_backoff=0.01, max_attempts=3)
    uploader.start()
    spool = _closed_spool(tmp_path)
    uploader.submit(spool.data_path, spool.meta_path)
    assert uploader.drain(5)
    uploader.stop()
    assert store.objects == {}
    assert sorted(p.name for p in (tmp_path / "failed").iterdir()) == sorted([spool.data_path.name,
                                                                              spool.meta_path.name])


def test_drain_times_out_while_uploads_fail(tmp_path):
    store = Store(failures=100)
    uploader = CaptureUploader(store.put, first_backoff=10.0)
    uploader.start()
    spool = _closed_spool(tmp_path)
    uploader.submit(spool.data_path, spool.meta_path)
    assert not uploader.drain(0.3)
    uploader.stop()
    assert spool.data_path.exists()  # kept for the next start


def _service(directory: Path, store: Store, roll=60.0) -> CaptureService:
    return CaptureService(directory, roll, store.put)


def _invocation(index=0):
    return CapturedInvocation(datetime.now(timezone.utc), b"1,2", "text/csv", b"0", "text/csv", f"i-{index}")


CONFIG = CaptureConfig(enabled=True, sampling_percentage=100, destination_s3_uri="s3://bucket/dc",
                       csv_content_types=("text/csv",))


def test_service_uploads_what_a_previous_run_left(tmp_path):
    first = _service(tmp_path, Store())
    writer = first.open_writer("000000000000", "us-east-1", "ep", CONFIG)
    for index in range(5):
        writer.capture("v", _invocation(index))
    # the first run "dies" here: no close, no upload
    store = Store()
    second = _service(tmp_path, store)
    assert second.start() == 1
    assert second.uploader.drain(5)
    second.shutdown(1)
    ((key, body),) = store.objects.items()
    assert key.startswith("dc/ep/v/")
    assert len(body.splitlines()) == 5


def test_service_rolls_and_shutdown_uploads_open_files(tmp_path):
    store = Store()
    service = _service(tmp_path, store, roll=0.2)
    service.start()
    writer = service.open_writer("000000000000", "us-east-1", "ep", CONFIG)
    writer.capture("v", _invocation(1))
    deadline = time.monotonic() + 5
    while not store.objects and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(store.objects) == 1  # closed by the roller, uploaded in the background
    writer.capture("v", _invocation(2))
    assert service.shutdown(5)
    assert len(store.objects) == 2
    assert [p for p in tmp_path.iterdir() if p.is_file()] == []


def test_flush_closes_open_files_now(tmp_path):
    store = Store()
    service = _service(tmp_path, store)
    service.start()
    writer = service.open_writer("000000000000", "us-east-1", "ep", CONFIG)
    writer.capture("v", _invocation())
    assert service.flush(5)
    assert len(store.objects) == 1
    service.shutdown(1)



# --- faults: S3 down for long, disk full, spool quota ----------------------------------------------------------


def test_uploader_never_gives_up_by_default(tmp_path):
    """An S3 outage of many more tries than the old give-up limit (40) still ends with the file uploaded."""
    store = Store(failures=60)
    uploader = CaptureUploader(store.put, first_backoff=0.001, max_backoff=0.001)
    uploader.start()
    spool = _closed_spool(tmp_path)
    uploader.submit(spool.data_path, spool.meta_path)
    assert uploader.drain(10)
    uploader.stop()
    assert (uploader.failures, uploader.uploaded) == (60, 1)
    assert store.objects == {TARGET.key: b'{"a":1}\n'}
    assert not (tmp_path / "failed").exists()


def _failing_write(monkeypatch, error_number, written_first=3):
    """``os.write`` in the spool module writes *written_first* bytes of the next call, then raises."""
    import errno
    import os

    from sagewatch.localstack.capture import spool as spool_module

    real_write = os.write
    calls = {"n": 0}

    def write(fd, data):
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, bytes(data[:written_first]))
        raise OSError(error_number, os.strerror(error_number))

    monkeypatch.setattr(spool_module.os, "write", write)
    return errno, real_write


@pytest.mark.parametrize("error_name", ["ENOSPC", "EIO"])
def test_append_that_fails_midway_leaves_the_file_as_it_was(tmp_path, monkeypatch, error_name):
    import errno

    spool = SpoolFile(tmp_path, TARGET)
    spool.append(b'{"n":1}\n')
    _failing_write(monkeypatch, getattr(errno, error_name))
    with pytest.raises(OSError) as raised:
        spool.append(b'{"n":2}\n')
    assert raised.value.errno == getattr(errno, error_name)
    assert spool.data_path.read_bytes() == b'{"n":1}\n'  # the torn 3 bytes are cut off again
    monkeypatch.undo()
    spool.append(b'{"n":3}\n')
    assert spool.data_path.read_bytes() == b'{"n":1}\n{"n":3}\n'
    assert (spool.records, spool.size) == (2, 16)


def _lost_calls():
    calls = []
    return calls, calls.append


def test_disk_full_loses_the_record_not_the_invocation(tmp_path, monkeypatch):
    import errno

    store = Store()
    service = _service(tmp_path, store)
    service.start()
    calls, on_lost = _lost_calls()
    writer = service.open_writer("000000000000", "us-east-1", "ep", CONFIG, on_lost)
    assert writer.capture("v", _invocation(1))
    _failing_write(monkeypatch, errno.ENOSPC, written_first=0)
    assert writer.capture("v", _invocation(2)) is False  # no exception reaches the request
    assert (writer.records, writer.lost, calls) == (1, 1, ["v"])
    monkeypatch.undo()
    assert writer.capture("v", _invocation(3))
    assert service.flush(5)
    service.shutdown(1)
    ((body),) = store.objects.values()
    assert [json.loads(line)["eventMetadata"]["inferenceId"] for line in body.splitlines()] == ["i-1", "i-3"]


def test_disk_full_when_a_file_is_opened_leaves_no_half_pair(tmp_path, monkeypatch):
    import errno
    import os

    from sagewatch.localstack.capture import spool as spool_module

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(spool_module.os, "open", full)
    service = _service(tmp_path, Store())
    calls, on_lost = _lost_calls()
    writer = service.open_writer("000000000000", "us-east-1", "ep", CONFIG, on_lost)
    assert writer.capture("v", _invocation()) is False
    assert (writer.lost, calls, writer.open_files) == (1, ["v"], 0)
    assert [path.name for path in tmp_path.iterdir()] == []


def test_spool_quota_behaves_like_a_full_disk_until_uploads_free_it(tmp_path):
    store = Store()
    line = len(json.dumps({"x": 1}))  # any record is longer than this
    service = CaptureService(tmp_path, 60.0, store.put, max_spool_bytes=1200)
    service.start()
    calls, on_lost = _lost_calls()
    writer = service.open_writer("000000000000", "us-east-1", "ep", CONFIG, on_lost)
    written = [writer.capture("v", _invocation(index)) for index in range(10)]
    assert line < service.quota.used <= 1200
    assert written[0] and not written[-1]
    kept = written.count(True)
    assert (writer.records, writer.lost, len(calls)) == (kept, 10 - kept, 10 - kept)
    assert service.flush(5)  # uploaded and deleted: the bytes are free again
    assert service.quota.used == 0
    assert writer.capture("v", _invocation(99))
    service.shutdown(1)
    uploaded = [json.loads(line)["eventMetadata"]["inferenceId"] for body in store.objects.values()
                for line in body.splitlines()]
    assert sorted(uploaded) == sorted([f"i-{index}" for index in range(kept)] + ["i-99"])


def test_spool_quota_counts_files_a_previous_run_left(tmp_path):
    first = _service(tmp_path, Store())
    writer = first.open_writer("000000000000", "us-east-1", "ep", CONFIG)
    writer.capture("v", _invocation())
    left = sum(path.stat().st_size for path in tmp_path.glob("*.jsonl"))
    store = Store(failures=1000)
    second = CaptureService(tmp_path, 60.0, store.put, max_spool_bytes=10_000)
    second.start()
    assert second.quota.used == left
    second.uploader.stop()
