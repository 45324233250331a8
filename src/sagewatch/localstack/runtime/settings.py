"""Settings of the emulator's endpoints, read once from ``SAGEWATCH_*`` variables when LocalStack loads the plugin.

==================================== ======================================================================
variable                             meaning (default)
==================================== ======================================================================
``SAGEWATCH_MODEL_STARTUP_TIMEOUT``  seconds a model server may take to answer ``/ping`` (120)
``SAGEWATCH_INVOCATION_TIMEOUT``     seconds a model server may take to answer one invocation (60, AWS's)
``SAGEWATCH_SERVING_WORKERS``        worker processes per model server (1)
``SAGEWATCH_CAPTURE_ROLL_SECONDS``   seconds a capture file stays open at most (60)
``SAGEWATCH_METRICS_INTERVAL``       seconds between two CloudWatch puts (60)
``SAGEWATCH_DRAIN_TIMEOUT``          seconds UpdateEndpoint/DeleteEndpoint wait for running requests (60)
``SAGEWATCH_IMAGE_MAP``              more container images to serve with ``sagewatch.serving``: a JSON
                                     object ``{"<image or glob>": "sagewatch-serving", ...}`` or
                                     ``<image or glob>=sagewatch-serving,...``; entries with another target
                                     belong to other emulator parts (processing images) and are ignored here
``SAGEWATCH_STATE_DIR``              where capture spool files, model-server logs and the server registry
                                     live (default: ``sagewatch/`` under LocalStack's ``var/lib`` folder,
                                     which survives restarts)
==================================== ======================================================================
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sagewatch.errors import InvalidParameterError

__all__ = ["SERVING_TARGET", "HostingSettings", "parse_image_map", "servable_image"]

SERVING_TARGET = "sagewatch-serving"

# SageMaker's scikit-learn and XGBoost framework images, in any region and partition (SDK image_uri_config).
_FRAMEWORK_IMAGE = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/sagemaker-(?:scikit-learn|xgboost)"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)
# sagewatch's own serving image (containers/serving), in any registry.
_SERVING_IMAGE = re.compile(r"^(?:[^/\s]+/)*sagewatch-serving(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$")


def parse_image_map(text: str | None) -> tuple[tuple[str, str], ...]:
    """Read ``SAGEWATCH_IMAGE_MAP``: ``(pattern, target)`` pairs in the order given.

    Examples
    --------
    >>> parse_image_map('{"123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:*": "sagewatch-serving"}')
    (('123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:*', 'sagewatch-serving'),)
    >>> parse_image_map("my-image:1=sagewatch-serving, other=sagewatch.job")
    (('my-image:1', 'sagewatch-serving'), ('other', 'sagewatch.job'))
    >>> parse_image_map("")
    ()
    """
    text = (text or "").strip()
    if not text:
        return ()
    if text.startswith("{"):
        try:
            mapping = json.loads(text)
        except ValueError as error:
            raise InvalidParameterError(f"SAGEWATCH_IMAGE_MAP is not valid JSON: {error}") from error
        if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
            raise InvalidParameterError("SAGEWATCH_IMAGE_MAP must be a JSON object of strings")
        return tuple((str(k), v) for k, v in mapping.items())
    pairs = []
    for item in text.split(","):
        pattern, sep, target = item.strip().rpartition("=")
        if not sep or not pattern.strip() or not target.strip():
            raise InvalidParameterError(f"SAGEWATCH_IMAGE_MAP entry {item.strip()!r} is not <image>=<target>")
        pairs.append((pattern.strip(), target.strip()))
    return tuple(pairs)


def servable_image(image: str, image_map: tuple[tuple[str, str], ...] = ()) -> bool:
    """Whether ``sagewatch.serving`` can stand in for the container *image*.

    Examples
    --------
    >>> servable_image("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3")
    True
    >>> servable_image("246618743249.dkr.ecr.us-west-2.amazonaws.com/sagemaker-xgboost:1.7-1")
    True
    >>> servable_image("ghcr.io/acme/sagewatch-serving:0.1.0"), servable_image("sagewatch-serving")
    (True, True)
    >>> servable_image("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1-cpu-py310")
    False
    >>> servable_image("acme/model:3", (("acme/model:*", "sagewatch-serving"),))
    True
    """
    image = image.strip()
    if _FRAMEWORK_IMAGE.match(image) or _SERVING_IMAGE.match(image):
        return True
    return any(target.strip().lower() == SERVING_TARGET and fnmatch.fnmatchcase(image, pattern)
               for pattern, target in image_map)


def _number(environ: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InvalidParameterError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise InvalidParameterError(f"{name} must be at least {minimum:g}, got {value:g}")
    return value


@dataclass(frozen=True)
class HostingSettings:
    """The endpoint emulation's settings (see the module docstring for the variables).

    Examples
    --------
    >>> settings = HostingSettings.from_environ({"SAGEWATCH_CAPTURE_ROLL_SECONDS": "2"})
    >>> settings.capture_roll_seconds, settings.metrics_interval
    (2.0, 60.0)
    """

    startup_timeout: float = 120.0
    invocation_timeout: float = 60.0
    serving_workers: int = 1
    capture_roll_seconds: float = 60.0
    metrics_interval: float = 60.0
    drain_timeout: float = 60.0
    image_map: tuple[tuple[str, str], ...] = field(default=())
    state_dir: Path | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> HostingSettings:
        state_dir = environ.get("SAGEWATCH_STATE_DIR", "").strip()
        return cls(
            startup_timeout=_number(environ, "SAGEWATCH_MODEL_STARTUP_TIMEOUT", cls.startup_timeout, 1.0),
            invocation_timeout=_number(environ, "SAGEWATCH_INVOCATION_TIMEOUT", cls.invocation_timeout, 0.1),
            serving_workers=int(_number(environ, "SAGEWATCH_SERVING_WORKERS", cls.serving_workers, 1)),
            capture_roll_seconds=_number(environ, "SAGEWATCH_CAPTURE_ROLL_SECONDS", cls.capture_roll_seconds, 0.1),
            metrics_interval=_number(environ, "SAGEWATCH_METRICS_INTERVAL", cls.metrics_interval, 0.1),
            drain_timeout=_number(environ, "SAGEWATCH_DRAIN_TIMEOUT", cls.drain_timeout, 0.0),
            image_map=parse_image_map(environ.get("SAGEWATCH_IMAGE_MAP")),
            state_dir=Path(state_dir) if state_dir else None,
        )
