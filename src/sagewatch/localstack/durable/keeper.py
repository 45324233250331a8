"""The emulator's state file: what is saved, when, and how it comes back.

One JSON document, ``<state folder>/durable/emulator-state.json`` (format ``sagewatch-emulator-state``,
version :data:`VERSION`), holds

- ``sagemaker``: every :class:`~sagewatch.localstack.sagemaker.store.RegionState` (processing jobs, job
  definitions, schedules, executions, alerts and their history, tags; every field, through
  :mod:`~sagewatch.localstack.durable.jsoncodec`);
- ``moto``: moto's models, endpoint configs and endpoints (:mod:`~sagewatch.localstack.durable.moto_records`);
- ``endpoints``: how each endpoint runs (:mod:`~sagewatch.localstack.durable.endpoints`).

**When.** :meth:`StateKeeper.save` writes the document atomically when it changed. The SageMaker provider calls it
after every successful request that changes something, before the answer leaves (a request answered 200 is on
disk); a background thread calls it every second for the changes made by the emulator itself (job and execution
status, schedule bookkeeping, endpoints becoming ``InService``). ``InvokeEndpoint`` and data capture never write it.

**Restore.** :meth:`StateKeeper.restore` reads the document once at start. Jobs and executions that were running
are ``Failed`` with :data:`RESTART_REASON` (their processes, if still alive, are stopped); endpoints start their
model servers again. A file that cannot be read is moved aside, the emulator logs an ERROR line naming it and
starts empty.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from sagewatch.localstack.durable import records  # noqa: F401 - registers the persisted classes
from sagewatch.localstack.durable.artefacts import ArtefactStore
from sagewatch.localstack.durable.atomic import StateFileError, read_state, set_aside, write_atomically
from sagewatch.localstack.durable.endpoints import (
    EndpointRecord,
    model_artefacts,
    restore_endpoints,
    snapshot_endpoints,
)
from sagewatch.localstack.durable.jsoncodec import Encoder, StateCodecError, decode
from sagewatch.localstack.durable.moto_records import restore_moto, snapshot_moto
from sagewatch.localstack.sagemaker.common import utcnow
from sagewatch.localstack.sagemaker.store import RegionState, SageMakerStore

__all__ = ["FORMAT", "RESTART_REASON", "STATE_FILE", "VERSION", "Loaded", "StateKeeper"]

LOG = logging.getLogger(__name__)

FORMAT = "sagewatch-emulator-state"
VERSION = 1
STATE_FILE = "emulator-state.json"
RESTART_REASON = ("InternalServerError: The emulator (LocalStack) restarted while this job was running; sagewatch "
                  "does not resume jobs. Start it again.")
EXECUTION_RESTART_REASON = ("InternalServerError: The emulator (LocalStack) restarted while this execution was "
                            "running; sagewatch does not resume executions.")
_RUNNING_JOB = frozenset({"InProgress", "Stopping"})
_RUNNING_EXECUTION = frozenset({"Pending", "InProgress", "Stopping"})


@dataclasses.dataclass
class Loaded:
    """A state file read back."""

    regions: list[RegionState]
    endpoints: list[EndpointRecord]
    moto: list[dict[str, Any]]


class StateKeeper:
    """Saves and restores one emulator's state.

    Parameters
    ----------
    folder : Path
        ``<state folder>/durable``.
    store : SageMakerStore
    hosting : Hosting, optional
        Whose endpoints are saved and restored (none without it).
    artefacts : ArtefactStore, optional
        Copies of the endpoints' model artefacts.
    moto : bool
        Whether moto's SageMaker records are saved and restored.
    clock : callable
    """

    def __init__(self, folder: Path, store: SageMakerStore, *, hosting: Any = None,
                 artefacts: ArtefactStore | None = None, moto: bool = True,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.folder = folder
        self.path = folder / STATE_FILE
        self.store = store
        self.hosting = hosting
        self.artefacts = artefacts
        self.moto = moto
        self.clock = clock
        self._lock = threading.Lock()
        self._last: Any = None
        self._encoder = Encoder()
        self._frozen = False
        self._unrestored_endpoints: list[EndpointRecord] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- saving ------------------------------------------------------------------------------------------------

    def _endpoint_records(self) -> list[EndpointRecord]:
        if self._unrestored_endpoints is not None:
            return list(self._unrestored_endpoints)
        return snapshot_endpoints(self.hosting) if self.hosting is not None else []

    def document(self) -> dict[str, Any]:
        """The state as the JSON document that is written (call under the keeper's lock: the encoder is shared)."""
        def build(encode: Callable[[Any, str], Any]) -> dict[str, Any]:
            return {
                "format": FORMAT,
                "version": VERSION,
                "sagemaker": [encode(state, f"sagemaker[{state.account_id}/{state.region}]")
                              for state in self.store.states()],
                "endpoints": [encode(record, f"endpoints[{record.name}]") for record in self._endpoint_records()],
                "moto": snapshot_moto() if self.moto else [],
            }

        return self._encoder.document(build)

    def save(self) -> bool:
        """Write the state if it changed since the last write; whether it wrote.

        Raises
        ------
        StateCodecError, OSError
            The state cannot be encoded or written (the previous file stays as it was).
        """
        with self._lock:
            if self._frozen:
                return False
            document = self.document()
            if document == self._last:  # unchanged records are the same objects: compared by identity
                return False
            write_atomically(self.path, json.dumps(document, sort_keys=True, separators=(",", ":")).encode())
            self._last = document
            return True

    def freeze(self) -> None:
        """Save one last time and write no more (the emulator is stopping: what it tears down stays saved)."""
        try:
            self.save()
        except Exception:  # noqa: BLE001 - stopping must go on
            LOG.exception("sagewatch: the last save of the emulator's state failed")
        with self._lock:
            self._frozen = True
        self._stop.set()

    def start(self, interval: float = 1.0) -> None:
        """Save changes the emulator makes by itself every *interval* seconds, and keep model artefacts."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, args=(interval,), name="sagewatch-state-keeper",
                                        daemon=True)
        self._thread.start()

    def _loop(self, interval: float) -> None:
        failing, pause = False, interval
        while not self._stop.wait(pause):
            started = time.monotonic()
            try:
                self.save()
                self.keep_artefacts()
                failing = False
            except Exception:  # noqa: BLE001 - the keeper must keep running
                if not failing:
                    LOG.exception("sagewatch: saving the emulator's state failed (retrying every %.0f s)", interval)
                failing = True
            # a very large state is checked less often: the passes use at most about 5% of one core
            pause = max(interval, 20 * (time.monotonic() - started))

    def keep_artefacts(self) -> None:
        """Copy the model artefacts of endpoints in service that are not kept yet."""
        if self.artefacts is None or self._unrestored_endpoints is not None:
            return
        for record in self._endpoint_records():
            if record.status == "InService":
                for uri in model_artefacts(record):
                    self.artefacts.keep(record.account_id, record.region, uri)

    # --- restoring ---------------------------------------------------------------------------------------------

    def load(self) -> Loaded | None:
        """The saved state, or None when there is none or it cannot be read (then logged and set aside)."""
        try:
            document = read_state(self.path, FORMAT, VERSION)
        except StateFileError as error:
            LOG.error("sagewatch: %s The emulator starts with an empty SageMaker state.", error)
            return None
        if document is None:
            return None
        try:
            regions = [decode(item, "sagemaker") for item in document.get("sagemaker") or []]
            endpoints = [decode(item, "endpoints") for item in document.get("endpoints") or []]
            if not all(isinstance(r, RegionState) for r in regions) or not all(
                    isinstance(e, EndpointRecord) for e in endpoints):
                raise StateCodecError("sagemaker/endpoints hold records of the wrong kind")
            moto = document.get("moto") or []
            if not isinstance(moto, list):
                raise StateCodecError("moto is not a list")
        except StateCodecError as error:
            kept = set_aside(self.path)
            LOG.error("sagewatch: The emulator's state file %s cannot be read (%s)%s. The emulator starts with an "
                      "empty SageMaker state.", self.path.name, error,
                      f"; it was moved to {kept.name}" if kept else "")
            return None
        return Loaded(regions, endpoints, moto)

    def restore(self, loaded: Loaded | None = None, *, restore_endpoints_now: bool = True) -> Loaded | None:
        """Put the saved state back (jobs and executions that were running end ``Failed``); what was loaded."""
        loaded = loaded if loaded is not None else self.load()
        if loaded is None:
            self._unrestored_endpoints = None
            return None
        now = self.clock()
        for saved in loaded.regions:
            target = self.store[saved.account_id, saved.region]
            for item in dataclasses.fields(RegionState):
                setattr(target, item.name, getattr(saved, item.name))
            _fail_running(target, now)
        if self.moto:
            restore_moto(loaded.moto)
        self._unrestored_endpoints = list(loaded.endpoints)
        if restore_endpoints_now:
            self.restore_endpoints()
        LOG.info("sagewatch: restored the emulator's state from %s (%d region(s), %d endpoint(s), %d moto record(s))",
                 self.path.name, len(loaded.regions), len(loaded.endpoints), len(loaded.moto))
        return loaded

    def restore_endpoints(self) -> None:
        """Hand the saved endpoints to hosting (their model servers start in the background)."""
        records, self._unrestored_endpoints = self._unrestored_endpoints or [], None
        if self.hosting is None:
            return

        def missing(account_id: str, region: str, uri: str) -> str | None:
            return self.artefacts.missing_reason(account_id, region, uri) if self.artefacts is not None else None

        restore_endpoints(self.hosting, records, missing)


def _fail_running(state: RegionState, now: datetime) -> None:
    """End the jobs and executions a stopped emulator was running: ``Failed``, saying why."""
    for job in list(state.processing_jobs.values()):
        if job.status in _RUNNING_JOB:
            job.status, job.failure_reason = "Failed", RESTART_REASON
            job.end_time = job.last_modified_time = now
        if job.status not in _RUNNING_JOB:
            job.finished.set()
    for transform in list(state.transform_jobs.values()):
        if transform.status in _RUNNING_JOB:
            transform.status, transform.failure_reason = "Failed", RESTART_REASON
            transform.end_time = transform.last_modified_time = now
        if transform.status not in _RUNNING_JOB:
            transform.finished.set()
    for execution in list(state.executions):
        if execution.status in _RUNNING_EXECUTION:
            execution.status, execution.failure_reason = "Failed", EXECUTION_RESTART_REASON
            execution.last_modified_time = now
