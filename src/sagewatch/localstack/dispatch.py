"""Dict dispatch tables with moto fall-through (Option A of ``localstack-plugin.md`` §4.2).

Every operation of the API's botocore spec is routed to moto unless the provider overrides it. Handlers take
``(RequestContext, request dict)`` and return a response dict (serialized against the operation's output
shape) or a ``localstack.http.Response``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from localstack.aws.api import RequestContext, ServiceRequest, ServiceResponse
from localstack.aws.spec import load_service
from localstack.services.moto import call_moto
from localstack.services.plugins import ServiceLifecycleHook

from sagewatch.localstack.errors import NotEmulated

Handler = Callable[[RequestContext, ServiceRequest], Any]


def forward_to_moto(context: RequestContext, request: ServiceRequest) -> ServiceResponse:
    """Let moto answer the request; an operation moto lacks becomes an AWS-shaped 501 error."""
    try:
        return call_moto(context)
    except NotImplementedError as error:
        raise NotEmulated.operation(context.service.service_name, context.operation.name) from error


class FallThroughProvider(ServiceLifecycleHook):
    """Base of the sagewatch providers: moto answers every operation the subclass does not override.

    Subclasses set ``service`` (the botocore service name) and return their own handlers from
    :meth:`overrides`.
    """

    service: str = ""

    def overrides(self) -> Mapping[str, Handler]:
        """Operations this provider implements itself, keyed by operation name."""
        return {}

    def dispatch_table(self) -> dict[str, Handler]:
        """Return ``{operation name: handler}`` for every operation of the service's spec."""
        operations = load_service(self.service).operation_names
        table: dict[str, Handler] = dict.fromkeys(operations, forward_to_moto)
        own = dict(self.overrides())
        unknown = sorted(set(own) - set(operations))
        if unknown:
            raise ValueError(f"{type(self).__name__} overrides operations {self.service} does not have: {unknown}")
        table.update(own)
        return table
