"""``Content-Encoding`` of request bodies: ``gzip`` (``x-gzip``), ``deflate`` and ``identity``.

The decompressed body is held to the same size limit as the body on the wire and decompression stops as
soon as it passes the limit, so a small "gzip bomb" costs no more memory than the limit. Several codings
(``gzip, deflate``) are undone in reverse order, at most :data:`MAX_CODINGS` of them.

======================== ============================================================================
request                  answer
======================== ============================================================================
unknown coding (``br``)  415 naming it and the supported ones
corrupt or truncated     400 with zlib's reason
decompressed too large   413 naming the limit
======================== ============================================================================
"""

from __future__ import annotations

import zlib

from sagewatch.serving.errors import BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError

__all__ = ["CODINGS", "MAX_CODINGS", "decode_content_encoding"]

CODINGS = ("gzip", "x-gzip", "deflate", "identity")
"""The content codings this server reads."""
MAX_CODINGS = 3
"""Most codings one request may stack (each one is undone within the size limit)."""

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS


def _inflate_member(data: bytes, wbits: int, limit: int, produced: int, name: str) -> tuple[bytes, bytes]:
    """Inflate one stream of *data*; ``(output, bytes after the stream)``; never more than *limit* in all."""
    decompressor = zlib.decompressobj(wbits)
    parts: list[bytes] = []
    pending = data
    try:
        while True:
            chunk = decompressor.decompress(pending, limit + 1 - produced)
            produced += len(chunk)
            if produced > limit:
                raise PayloadTooLargeError(
                    f"The {name}-decoded request body is larger than {limit} bytes, the most this server accepts.")
            parts.append(chunk)
            if decompressor.eof:
                return b"".join(parts), decompressor.unused_data
            pending = decompressor.unconsumed_tail
            if not pending:
                raise BadRequestError(f"The {name} request body is truncated.")
    except zlib.error as error:
        raise BadRequestError(f"The request body is not valid {name} data: {error}.") from error


def _gunzip(data: bytes, limit: int) -> bytes:
    """Every gzip member of *data* (RFC 1952 allows several), NUL padding after the last one ignored."""
    parts: list[bytes] = []
    produced = 0
    rest = data
    while True:
        output, rest = _inflate_member(rest, _GZIP_WBITS, limit, produced, "gzip")
        parts.append(output)
        produced += len(output)
        rest = rest.lstrip(b"\x00")
        if not rest:
            return b"".join(parts)


def _inflate(data: bytes, limit: int) -> bytes:
    """``deflate`` is zlib-wrapped (RFC 9110); raw deflate streams, which some clients send, are read too."""
    wbits = _ZLIB_WBITS if data[:1] and (data[0] & 0x0F) == 8 and int.from_bytes(data[:2], "big") % 31 == 0 \
        else _RAW_DEFLATE_WBITS
    output, rest = _inflate_member(data, wbits, limit, 0, "deflate")
    if rest:
        raise BadRequestError(f"The deflate request body has {len(rest)} bytes after the end of its stream.")
    return output


def decode_content_encoding(body: bytes, header: str | None, limit: int) -> bytes:
    """Undo the ``Content-Encoding`` of a request body.

    Parameters
    ----------
    body : bytes
        The body as received.
    header : str or None
        The ``Content-Encoding`` header; missing, blank or ``identity``: *body* unchanged.
    limit : int
        The largest decoded body accepted, in bytes.

    Returns
    -------
    bytes

    Raises
    ------
    UnsupportedMediaTypeError
        For an unknown coding or more than :data:`MAX_CODINGS` of them (415).
    BadRequestError
        For corrupt or truncated compressed data (400).
    PayloadTooLargeError
        When the decoded body passes *limit* (413).

    Examples
    --------
    >>> import gzip
    >>> decode_content_encoding(gzip.compress(b"1,2"), "gzip", 100)
    b'1,2'
    >>> decode_content_encoding(b"1,2", None, 100)
    b'1,2'
    >>> decode_content_encoding(b"1,2", "br", 100)
    Traceback (most recent call last):
    ...
    sagewatch.serving.errors.UnsupportedMediaTypeError: Content-Encoding br is not supported: this server reads \
gzip, x-gzip, deflate, identity.
    """
    if not header or not header.strip():
        return body
    codings = [coding.strip().lower() for coding in header.split(",")]
    codings = [coding for coding in codings if coding and coding != "identity"]
    unknown = [coding for coding in codings if coding not in CODINGS]
    if unknown:
        named = unknown[0] if len(unknown[0]) <= 100 else unknown[0][:100] + "..."
        raise UnsupportedMediaTypeError(
            f"Content-Encoding {named} is not supported: this server reads {', '.join(CODINGS)}.")
    if len(codings) > MAX_CODINGS:
        raise UnsupportedMediaTypeError(
            f"Content-Encoding stacks {len(codings)} codings; this server undoes at most {MAX_CODINGS}.")
    for coding in reversed(codings):
        body = _gunzip(body, limit) if coding in ("gzip", "x-gzip") else _inflate(body, limit)
    return body
