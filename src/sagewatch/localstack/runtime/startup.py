"""``on_infra_ready`` hook: start endpoint hosting with LocalStack, not at the first SageMaker call, and restore
the emulator's saved state (:mod:`sagewatch.localstack.durable`).

Starting it uploads the capture spool files a killed emulator left and stops the model servers it left behind.
Without this hook that happens when the ``sagemaker`` or ``sagemaker-runtime`` provider is first loaded (any
SageMaker call). Entry point (``pyproject.toml``)::

    [project.entry-points."localstack.hooks.on_infra_ready"]
    start_endpoint_hosting = "sagewatch.localstack.runtime.startup:start_endpoint_hosting"
"""

from __future__ import annotations

import logging

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)


@hooks.on_infra_ready()
def start_endpoint_hosting() -> None:
    from sagewatch.localstack.durable.service import ensure_restored
    from sagewatch.localstack.runtime.hosting import get_hosting

    try:
        get_hosting()
    except Exception:  # a broken hosting start must not stop LocalStack; the first SageMaker call retries
        LOG.exception("sagewatch: starting endpoint hosting failed")
        return
    try:
        ensure_restored()
    except Exception:  # a broken restore must not stop LocalStack: it runs without durable state
        LOG.exception("sagewatch: restoring the emulator's state failed; changes are NOT saved in this run")
