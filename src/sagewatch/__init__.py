"""sagewatch: SageMaker Model Monitor, anywhere.

The engine (profiles, constraints, drift, the processing-job contract) imports no AWS SDK.

The Python API lives in :mod:`sagewatch.api` (``profile``, ``suggest_baseline``, ``check``); ``suggest_baseline``
and ``check`` are also here, imported on first use so that ``import sagewatch`` stays light. ``sagewatch.profile``
is the package of profiles, so the ``profile`` function is reached as ``sagewatch.api.profile``.
"""

__version__ = "0.1.0"

#: names re-exported from sagewatch.api on first access (PEP 562)
_API_NAMES = ("suggest_baseline", "check", "Statistics", "Baseline", "CheckResult")


def __getattr__(name: str):
    if name in _API_NAMES:
        from sagewatch import api

        return getattr(api, name)
    raise AttributeError(f"module 'sagewatch' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_API_NAMES])
