"""LocalStack lifecycle hooks of the sagewatch plugin (entry points in ``pyproject.toml``).

- :func:`apply_python311_compat` (``on_infra_start``, runs first): the uuid shim of
  :mod:`sagewatch.localstack.compat`, so KMS keys and SSE-KMS uploads work on Python 3.11.
- :func:`register_sagewatch_routes` (``on_infra_start``) and :func:`remove_sagewatch_routes`
  (``on_infra_shutdown``): the ``/_sagewatch/...`` routes of :mod:`sagewatch.localstack.routes`.
- :func:`wake_gateway_on_shutdown` (``on_infra_shutdown``): works around LocalStack's shutdown race
  (:func:`sagewatch.localstack.compat.wake_loop_until_closed`), so SIGTERM stops LocalStack promptly.

The decorators turn each function into a plux plugin spec; LocalStack's hook manager calls them.
"""

from __future__ import annotations

import logging

from localstack.runtime import hooks

LOG = logging.getLogger(__name__)

_rules: list = []


@hooks.on_infra_start(priority=100)
def apply_python311_compat() -> None:
    from sagewatch.localstack.compat import patch_uuid_bytes_names, uuid_accepts_bytes_names

    patch_uuid_bytes_names()
    LOG.debug("sagewatch: uuid3/uuid5 accept bytes names: %s", uuid_accepts_bytes_names())


@hooks.on_infra_start()
def register_sagewatch_routes() -> None:
    from localstack.services.edge import ROUTER

    from sagewatch.localstack.routes import route_table

    if _rules:  # already registered in this process
        return
    for path, handler, methods in route_table():
        _rules.append(ROUTER.add(path, endpoint=handler, methods=methods))
    LOG.debug("sagewatch: registered %d route(s) under /_sagewatch", len(_rules))


@hooks.on_infra_shutdown()
def remove_sagewatch_routes() -> None:
    from localstack.services.edge import ROUTER

    if _rules:
        ROUTER.remove(list(_rules))
        _rules.clear()


@hooks.on_infra_shutdown()
def wake_gateway_on_shutdown() -> None:
    from localstack.runtime.current import get_current_runtime

    from sagewatch.localstack.compat import wake_loop_until_closed

    try:
        server = get_current_runtime().components.runtime_server
    except (ValueError, AttributeError):
        return
    loop = getattr(server, "loop", None)  # only the hypercorn server has an asyncio loop
    if loop is not None:
        wake_loop_until_closed(loop)
