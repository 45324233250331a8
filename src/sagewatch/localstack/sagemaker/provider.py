"""SageMaker control-plane provider: moto answers every operation sagewatch does not own.

moto (``moto-ext`` 5.1.20) records models, endpoint configs, endpoints, processing jobs and job definitions,
but has no monitoring schedules, no ``UpdateEndpoint`` and runs no jobs (``localstack-plugin.md`` §9).
sagewatch's own handlers for those are added to :meth:`SageMakerProvider.overrides` as they are written;
their state lives in sagewatch's own store, never in moto's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sagewatch.localstack.dispatch import FallThroughProvider, Handler


class SageMakerProvider(FallThroughProvider):
    """``sagemaker:default``: the dispatch table of :class:`FallThroughProvider` for the ``sagemaker`` API.

    Parameters
    ----------
    plane : MonitoringPlane, optional
        The monitoring plane whose handlers answer; the process's (created at first use) by default.
    hosting : Hosting, optional
        The endpoints' model servers; the process's by default.
    """

    service = "sagemaker"

    def __init__(self, plane: Any = None, hosting: Any = None) -> None:
        super().__init__()
        self.plane, self.hosting = plane, hosting

    def overrides(self) -> Mapping[str, Handler]:
        """Operations sagewatch implements itself; every other operation goes to moto."""
        from sagewatch.localstack.sagemaker.endpoints.handlers import endpoint_overrides
        from sagewatch.localstack.sagemaker.plane import overrides as monitoring_overrides

        endpoints = endpoint_overrides(self.hosting)
        return {**endpoints, **monitoring_overrides(endpoints, self.plane)}

    def dispatch_table(self) -> dict[str, Handler]:
        """The table of :class:`FallThroughProvider`, each changing operation followed by a save of the emulator's
        state (:func:`sagewatch.localstack.durable.service.saving_handlers`)."""
        from sagewatch.localstack.durable.service import saving_handlers

        return saving_handlers(super().dispatch_table())
