"""HTTP routes under ``/_sagewatch/`` served by the LocalStack gateway (``localstack-plugin.md`` §7).

The handlers are plain functions of a LocalStack ``Request``; :mod:`sagewatch.localstack.hooks` adds them to
LocalStack's router when the runtime starts and removes them when it stops.
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

from localstack.http import Request, Response

HEALTH_ROUTE = "/_sagewatch/health"


def plugin_version() -> str:
    """Return the installed sagewatch version, or ``"unknown"`` when no distribution metadata is found."""
    try:
        return metadata.version("sagewatch")
    except metadata.PackageNotFoundError:
        return "unknown"


def health_payload() -> dict[str, Any]:
    """Return the body of ``GET /_sagewatch/health``.

    Examples
    --------
    >>> sorted(health_payload())
    ['status', 'version']
    """
    return {"status": "ok", "version": plugin_version()}


def health(request: Request) -> Response:
    """``GET /_sagewatch/health``: ``{"status": "ok", "version": <sagewatch version>}``."""
    return Response.for_json(health_payload())


def route_table() -> list[tuple[str, Any, list[str]]]:
    """Return the routes to register as ``(path, handler, methods)``."""
    from sagewatch.localstack.sagemaker.monitoring.routes import schedule_routes

    return [(HEALTH_ROUTE, health, ["GET"]), *schedule_routes()]
