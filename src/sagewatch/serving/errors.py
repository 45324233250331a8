"""Errors of the model server, each carrying the HTTP status it is answered with.

They derive from :class:`sagewatch.errors.SagewatchError`. Exceptions raised by a user's ``inference.py``
are not wrapped: the server answers them with 500 and ``"<type>: <message>"`` in the body, as SageMaker's
framework containers do.
"""

from __future__ import annotations

from typing import ClassVar

from sagewatch.errors import SagewatchError

__all__ = [
    "BadRequestError",
    "ModelLoadError",
    "ModelServerError",
    "PayloadTooLargeError",
    "ServerStartError",
    "UnsupportedMediaTypeError",
]


class ModelServerError(SagewatchError):
    """Root of the model server's own errors; ``status`` is the HTTP status of the answer."""

    status: ClassVar[int] = 500


class BadRequestError(ModelServerError, ValueError):
    """The request body cannot be decoded (malformed CSV or JSON, ragged rows, no rows): 400."""

    status = 400


class UnsupportedMediaTypeError(ModelServerError):
    """The Content-Type cannot be decoded or no Accept type can be encoded: 415.

    SageMaker's inference toolkit answers 415 for both directions; so does this server.
    """

    status = 415


class PayloadTooLargeError(ModelServerError):
    """The request body is larger than the server accepts: 413."""

    status = 413


class ModelLoadError(ModelServerError):
    """The model or its ``inference.py`` cannot be loaded; the server never becomes ready."""


class ServerStartError(ModelServerError, RuntimeError):
    """A spawned model server exited or did not answer ``/ping`` with 200 in time."""
