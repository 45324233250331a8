"""The emulator's one :class:`~sagewatch.localstack.durable.keeper.StateKeeper`: started (and the saved state
restored) before LocalStack's first SageMaker request is handled, and the save after each changing request.

:func:`ensure_restored` is called by the ``on_infra_ready`` hook (:mod:`sagewatch.localstack.runtime.startup`)
and by the factories of both SageMaker providers (:mod:`sagewatch.localstack.providers`), whichever comes
first: no request sees the emulator before its state is back. ``SAGEWATCH_DURABLE_STATE=0`` turns the
whole mechanism off (nothing is read or written).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["READ_ONLY_PREFIXES", "current_keeper", "ensure_restored", "saving_handlers"]

LOG = logging.getLogger(__name__)

ENV_SWITCH = "SAGEWATCH_DURABLE_STATE"
READ_ONLY_PREFIXES = ("Describe", "List", "Get", "Search", "Query", "BatchDescribe", "BatchGet")
"""SageMaker operations with these prefixes change nothing; every other one is followed by a save."""

_keeper: Any = None
_lock = threading.Lock()
_done = False


def current_keeper() -> Any:
    """The running keeper, or None (outside LocalStack, switched off, or not started yet)."""
    return _keeper


def ensure_restored() -> Any:
    """Start the keeper once: restore the saved state, then save every change; the keeper (None if off)."""
    global _keeper, _done
    with _lock:
        if _done:
            return _keeper
        _done = True
        if os.environ.get(ENV_SWITCH, "1").strip().lower() in ("0", "false", "no", "off"):
            LOG.info("sagewatch: durable emulator state is off (%s=0)", ENV_SWITCH)
            return None
        try:
            _keeper = _start()
        except Exception:  # noqa: BLE001 - LocalStack must still start; the log says changes are not saved
            LOG.exception("sagewatch: restoring the emulator's state failed; changes are NOT saved in this run")
        return _keeper


def _start() -> Any:
    from localstack.runtime.shutdown import SHUTDOWN_HANDLERS

    from sagewatch.localstack.durable.artefacts import ArtefactStore, localstack_s3
    from sagewatch.localstack.durable.keeper import StateKeeper
    from sagewatch.localstack.runtime.hosting import get_hosting
    from sagewatch.localstack.runtime.servers import ServerRegistry
    from sagewatch.localstack.sagemaker.plane import get_plane

    hosting = get_hosting()
    plane = get_plane()
    folder = hosting.state_dir / "durable"
    jobs = ServerRegistry(folder / "job-processes")
    stopped = jobs.stop_leftovers()
    if stopped:
        LOG.info("sagewatch: stopped %d processing job process(es) of a previous run", stopped)
    plane.processing.process_registry = jobs
    keeper = StateKeeper(folder, plane.store, hosting=hosting, artefacts=ArtefactStore(folder / "artefacts",
                                                                                       localstack_s3()))
    keeper.restore()
    SHUTDOWN_HANDLERS.register(keeper.freeze)  # runs before hosting's shutdown (registered earlier) tears down
    keeper.save()
    keeper.start()
    if any(state.schedules for state in plane.store.states()):
        plane.scheduler.ensure_started()  # schedules resume; see docs/endpoints.md for missed hours
    return keeper


def saving_handlers(table: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """*table* with every changing operation followed by a save of the state, before its answer leaves.

    When the save fails the request answers ``InternalFailure`` (500): the change was made in memory but is
    not on disk, so it must not be acknowledged as if it were.
    """
    def saved(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def handle(context: Any, request: Any) -> Any:
            keeper = _keeper
            answer = handler(context, request)
            if keeper is not None:
                try:
                    keeper.save()
                except Exception as error:  # noqa: BLE001
                    from sagewatch.localstack.errors import AwsError

                    LOG.exception("sagewatch: saving the emulator's state after %s failed", context.operation.name)
                    raise AwsError(f"The request was carried out but the emulator could not save its state: "
                                   f"{type(error).__name__}: {error}") from error
            return answer
        if hasattr(handler, "__self__"):  # the service a bound handler belongs to stays visible
            handle.__self__ = handler.__self__  # type: ignore[attr-defined]
        return handle

    return {name: handler if name.startswith(READ_ONLY_PREFIXES) else saved(handler)
            for name, handler in table.items()}
