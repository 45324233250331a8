"""SageMaker control-plane provider: moto answers every operation sagewatch does not own.

moto (``moto-ext`` 5.1.20) records models, endpoint configs, endpoints, processing jobs and job definitions,
but has no monitoring schedules, no ``UpdateEndpoint`` and runs no jobs (``localstack-plugin.md`` §9).
sagewatch's own handlers for those are added to :meth:`SageMakerProvider.overrides` as they are written;
their state lives in sagewatch's own store, never in moto's.
"""

from __future__ import annotations

from collections.abc import Mapping

from sagewatch.localstack.dispatch import FallThroughProvider, Handler


class SageMakerProvider(FallThroughProvider):
    """``sagemaker:default``: the dispatch table of :class:`FallThroughProvider` for the ``sagemaker`` API."""

    service = "sagemaker"

    def overrides(self) -> Mapping[str, Handler]:
        """Operations sagewatch implements itself; every other operation goes to moto."""
        from sagewatch.localstack.sagemaker.endpoints.handlers import endpoint_overrides
        from sagewatch.localstack.sagemaker.plane import overrides as monitoring_overrides

        endpoints = endpoint_overrides()
        return {**endpoints, **monitoring_overrides(endpoints)}
