"""Settings of the emulator's endpoints, read once from ``SAGEWATCH_*`` variables when LocalStack loads the plugin.

======================================= ======================================================================
variable                                meaning (default)
======================================= ======================================================================
``SAGEWATCH_MODEL_STARTUP_TIMEOUT``     seconds a model server may take to answer ``/ping`` (120)
``SAGEWATCH_INVOCATION_TIMEOUT``        seconds a model server may take to answer one invocation (60, AWS's)
``SAGEWATCH_SERVING_WORKERS``           worker processes per model server (1)
``SAGEWATCH_CAPTURE_ROLL_SECONDS``      seconds a capture file stays open at most (60)
``SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES``   bytes the capture spool folder may hold (files not yet uploaded);
                                        beyond it records are lost and counted as on a full disk (no limit)
``SAGEWATCH_METRICS_INTERVAL``          seconds between two CloudWatch puts (60)
``SAGEWATCH_DRAIN_TIMEOUT``             seconds UpdateEndpoint/DeleteEndpoint wait for running requests (60)
``SAGEWATCH_IMAGE_MAP``                 more container images to serve with ``sagewatch.serving``: a JSON
                                        object (or the path of a JSON file) ``{"<repository, URI or glob>":
                                        "sagewatch-serving", ...}``; entries with another command are processing
                                        images (:mod:`sagewatch.localstack.sagemaker.processing.images`)
``SAGEWATCH_STATE_DIR``                 where capture spool files, model-server logs and the server registry
                                        live (default: ``sagewatch/`` under LocalStack's ``var/lib`` folder,
                                        which survives restarts)
======================================= ======================================================================
"""

from __future__ import annotations

import fnmatch
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sagewatch.errors import InvalidParameterError

__all__ = ["SERVING_TARGET", "HostingSettings", "parse_image_map", "servable_image"]

LOG = logging.getLogger(__name__)

SERVING_TARGET = "sagewatch-serving"

# SageMaker's scikit-learn and XGBoost framework images, in any region and partition (SDK image_uri_config).
_FRAMEWORK_IMAGE = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/sagemaker-(?:scikit-learn|xgboost)"
    r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$"
)
# sagewatch's own serving image (containers/serving), in any registry.
_SERVING_IMAGE = re.compile(r"^(?:[^/\s]+/)*sagewatch-serving(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$")


def parse_image_map(text: str | None) -> tuple[tuple[str, str], ...]:
    """Read ``SAGEWATCH_IMAGE_MAP``: ``(image key, command)`` pairs in the order given.

    The setting is shared with the processing-job emulation
    (:mod:`sagewatch.localstack.sagemaker.processing.images`): a JSON object, or the path of a file holding one, mapping an image (its repository name, its whole URI or a
    glob over the URI) to a command (a string, or a list of words joined here with spaces). Endpoints only use
    the entries whose command is ``sagewatch-serving`` (or ``python -m sagewatch.serving``).

    Examples
    --------
    >>> parse_image_map('{"123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:*": "sagewatch-serving"}')
    (('123456789012.dkr.ecr.us-east-1.amazonaws.com/my-model:*', 'sagewatch-serving'),)
    >>> parse_image_map('{"my-processor": ["python", "-m", "my_package.process"]}')
    (('my-processor', 'python -m my_package.process'),)
    >>> parse_image_map("")
    ()
    """
    raw = (text or "").strip()
    if not raw:
        return ()
    if not raw.startswith("{"):
        try:
            raw = Path(raw).expanduser().read_text(encoding="utf-8")
        except OSError as error:
            raise InvalidParameterError(f"SAGEWATCH_IMAGE_MAP is neither a JSON object nor a readable file: "
                                        f"{error}") from error
    try:
        mapping = json.loads(raw)
    except ValueError as error:
        raise InvalidParameterError(f"SAGEWATCH_IMAGE_MAP is not valid JSON: {error}") from error
    if not isinstance(mapping, dict):
        raise InvalidParameterError("SAGEWATCH_IMAGE_MAP must be a JSON object mapping images to commands")
    pairs = []
    for key, value in mapping.items():
        if isinstance(value, list) and all(isinstance(word, str) for word in value):
            value = " ".join(value)
        if not isinstance(value, str):
            raise InvalidParameterError(f"SAGEWATCH_IMAGE_MAP[{key!r}] must be a command (a string or a list of "
                                        f"strings), got {value!r}")
        pairs.append((str(key), value))
    return tuple(pairs)


def _repository(image: str) -> str:
    """The last path segment of an image reference, without tag or digest (``.../team/model:1`` -> ``model``)."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0]


def _serves(command: str) -> bool:
    words = command.split()
    python = bool(words) and words[0].rsplit("/", 1)[-1].startswith("python")
    return words == [SERVING_TARGET] or (python and words[1:] == ["-m", "sagewatch.serving"])


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
    >>> servable_image("acme/model:3", (("model", "sagewatch-serving"),))
    True
    """
    image = image.strip()
    if _FRAMEWORK_IMAGE.match(image) or _SERVING_IMAGE.match(image):
        return True
    for key, command in image_map:
        if key == image or key == _repository(image) or fnmatch.fnmatchcase(image, key):
            return _serves(command)  # the first matching entry decides, as for processing images
    return False


def _image_map(text: str | None) -> tuple[tuple[str, str], ...]:
    try:
        return parse_image_map(text)
    except InvalidParameterError as error:  # endpoints of the standard images still work; the log says why
        LOG.error("sagewatch: %s; no extra images are served", error)
        return ()


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


def _optional_int(environ: Mapping[str, str], name: str, minimum: int) -> int | None:
    """An integer setting that is off when unset or empty."""
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameterError(f"{name}={raw!r} is not a whole number of bytes") from None
    if value < minimum:
        raise InvalidParameterError(f"{name} must be at least {minimum}, got {value}")
    return value


@dataclass(frozen=True)
class HostingSettings:
    """The endpoint emulation's settings (see the module docstring for the variables).

    Examples
    --------
    >>> settings = HostingSettings.from_environ({"SAGEWATCH_CAPTURE_ROLL_SECONDS": "2"})
    >>> settings.capture_roll_seconds, settings.metrics_interval, settings.capture_spool_max_bytes
    (2.0, 60.0, None)
    >>> HostingSettings.from_environ({"SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES": "1048576"}).capture_spool_max_bytes
    1048576
    """

    startup_timeout: float = 120.0
    invocation_timeout: float = 60.0
    serving_workers: int = 1
    capture_roll_seconds: float = 60.0
    capture_spool_max_bytes: int | None = None
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
            capture_spool_max_bytes=_optional_int(environ, "SAGEWATCH_CAPTURE_SPOOL_MAX_BYTES", 0),
            metrics_interval=_number(environ, "SAGEWATCH_METRICS_INTERVAL", cls.metrics_interval, 0.1),
            drain_timeout=_number(environ, "SAGEWATCH_DRAIN_TIMEOUT", cls.drain_timeout, 0.0),
            image_map=_image_map(environ.get("SAGEWATCH_IMAGE_MAP")),
            state_dir=Path(state_dir) if state_dir else None,
        )
