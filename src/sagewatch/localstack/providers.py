"""``localstack.aws.provider`` factories of the sagewatch plugin (entry points in ``pyproject.toml``).

``sagemaker:default`` and ``sagemaker-runtime:default``: community LocalStack has no provider for either API,
so these are the ones it loads. Heavy imports stay inside the factories, so LocalStack starts fast and a
broken import only disables the API concerned (``localstack-plugin.md`` §8).
"""

from __future__ import annotations

from localstack.services.plugins import Service, aws_provider


@aws_provider(api="sagemaker")
def sagemaker() -> Service:
    from sagewatch.localstack.durable.service import ensure_restored
    from sagewatch.localstack.sagemaker.provider import SageMakerProvider

    ensure_restored()  # the saved state is back before the first request is handled
    provider = SageMakerProvider()
    return Service.for_provider(provider, dispatch_table_factory=SageMakerProvider.dispatch_table)


@aws_provider(api="sagemaker-runtime")
def sagemaker_runtime() -> Service:
    from sagewatch.localstack.durable.service import ensure_restored
    from sagewatch.localstack.runtime.provider import SageMakerRuntimeProvider

    ensure_restored()
    provider = SageMakerRuntimeProvider()
    return Service.for_provider(provider, dispatch_table_factory=SageMakerRuntimeProvider.dispatch_table)
