"""boto3 sessions against the emulator, through ``localstack-client`` (LocalStack's own session helper).

:func:`emulator_session` is the one place sagewatch's own code (the local demo, its e2e tests) makes AWS clients
for the emulator: a ``localstack_client.session.Session``, whose clients carry the endpoint, test credentials and
region, so no call site repeats them. Without ``endpoint_url`` the emulator is found the way LocalStack's tools
find it: ``AWS_ENDPOINT_URL``, else ``LOCALSTACK_HOST`` (``host:port``, ``https`` with ``USE_SSL=1``), else
``http://localhost:4566``.

Code that runs on AWS too (the Lambda handlers, the containers) keeps plain ``boto3.client(...)``: there the
environment chooses the endpoint (LocalStack sets ``AWS_ENDPOINT_URL`` for the functions it runs).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sagewatch.errors import InvalidParameterError, SagewatchError

__all__ = ["emulator_session", "DEFAULT_REGION", "TEST_CREDENTIALS"]

DEFAULT_REGION = "us-east-1"
TEST_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


def _localstack_host(endpoint_url: str) -> str:
    """``http://127.0.0.1:4566`` -> ``127.0.0.1:4566`` (localstack-client's ``localstack_host``).

    >>> _localstack_host("http://127.0.0.1:4566/"), _localstack_host("http://localhost")
    ('127.0.0.1:4566', 'localhost:80')
    """
    parts = urlsplit(endpoint_url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1 or parts.path.strip("/") \
            or parts.query:
        raise InvalidParameterError(f"endpoint_url must look like http://127.0.0.1:4566, got {endpoint_url!r}")
    return f"{parts.hostname}:{port or (443 if parts.scheme == 'https' else 80)}"


def emulator_session(endpoint_url: str | None = None, *, region_name: str = DEFAULT_REGION) -> Any:
    """A boto3-style session whose ``client(service, **kwargs)`` talks to the emulator.

    Parameters
    ----------
    endpoint_url : str, optional
        The emulator, e.g. ``http://127.0.0.1:4566``; without it, localstack-client's rule (module docstring).
    region_name : str
        The region of every client (default ``us-east-1``).

    Returns
    -------
    localstack_client.session.Session
        ``session.client("s3", config=...)``: extra keyword arguments reach ``boto3.client``; the endpoint,
        credentials and region are the session's.

    Raises
    ------
    InvalidParameterError
        ``endpoint_url`` is not an ``http(s)://host[:port]`` URL.
    SagewatchError
        localstack-client is not installed, or the environment (``AWS_ENDPOINT_URL``, ``USE_SSL``) would send
        the requests somewhere other than ``endpoint_url``.
    """
    host = _localstack_host(endpoint_url) if endpoint_url is not None else None
    try:
        from localstack_client.config import get_service_endpoint
        from localstack_client.session import Session
    except ImportError as e:
        raise SagewatchError("localstack-client is not installed; it comes with the localstack extra: run "
                             "`make install` (or pip install -c constraints.txt -e '.[localstack]')") from e
    if endpoint_url is not None:
        resolved = (get_service_endpoint("sagemaker", host) or "").rstrip("/")
        if resolved != endpoint_url.rstrip("/"):
            raise SagewatchError(f"localstack-client would send requests to {resolved}, not {endpoint_url}: "
                                 "AWS_ENDPOINT_URL or USE_SSL in the environment say otherwise; unset them or use "
                                 "that URL")
    return Session(localstack_host=host, region_name=region_name, **TEST_CREDENTIALS)
