"""Compatibility shims for LocalStack 4.13.1 on Python 3.11, applied by :mod:`sagewatch.localstack.hooks`.

**uuid bytes names** (``localstack-plugin.md`` §2.1).

LocalStack's KMS key creation calls ``uuid.uuid5(namespace, <bytes>)``. Python accepts bytes names only from
3.12 on; on 3.11 every ``kms:CreateKey`` (and every S3 upload with ``ServerSideEncryption=aws:kms``) fails
with ``TypeError: encoding without a string argument``. :func:`patch_uuid_bytes_names` makes ``uuid.uuid3``
and ``uuid.uuid5`` accept bytes the way 3.12 does: the hash runs over ``namespace.bytes + name``. Names given
as ``str`` go to the original functions unchanged.

**Shutdown wake-up.** LocalStack's hypercorn runtime server stops its asyncio loop from the shutdown thread
with a plain ``loop.stop()``, which does not wake a loop that sleeps in ``select()`` with nothing scheduled.
Such a shutdown hangs until SIGKILL; it happened intermittently (2 of about 12 stops in our runs). :func:`wake_loop_until_closed` pokes the loop from a
daemon thread so ``run_forever`` notices the stop request.

The shims are applied inside the LocalStack process by the hooks in :mod:`sagewatch.localstack.hooks`;
this module itself imports nothing from LocalStack.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

_MARKER = "__sagewatch_bytes_names__"


def uuid3_bytes(namespace: uuid.UUID, name: bytes) -> uuid.UUID:
    """Return the version-3 UUID of a bytes *name*, as Python 3.12's ``uuid.uuid3`` computes it.

    Parameters
    ----------
    namespace : uuid.UUID
    name : bytes

    Returns
    -------
    uuid.UUID
        MD5 over ``namespace.bytes + name``, first 16 bytes, version 3.

    Examples
    --------
    >>> uuid3_bytes(uuid.NAMESPACE_DNS, b"python.org") == uuid.uuid3(uuid.NAMESPACE_DNS, "python.org")
    True
    """
    digest = hashlib.md5(namespace.bytes + name, usedforsecurity=False).digest()
    return uuid.UUID(bytes=digest[:16], version=3)


def uuid5_bytes(namespace: uuid.UUID, name: bytes) -> uuid.UUID:
    """Return the version-5 UUID of a bytes *name*, as Python 3.12's ``uuid.uuid5`` computes it.

    Parameters
    ----------
    namespace : uuid.UUID
    name : bytes

    Returns
    -------
    uuid.UUID
        SHA-1 over ``namespace.bytes + name``, first 16 bytes, version 5.

    Examples
    --------
    >>> str(uuid5_bytes(uuid.NAMESPACE_DNS, b"python.org"))
    '886313e1-3b8a-5372-9b90-0c9aee199e5d'
    """
    digest = hashlib.sha1(namespace.bytes + name, usedforsecurity=False).digest()
    return uuid.UUID(bytes=digest[:16], version=5)


def _accepting_bytes(original: Callable[[uuid.UUID, str], uuid.UUID],
                     for_bytes: Callable[[uuid.UUID, bytes], uuid.UUID]) -> Callable[[uuid.UUID, Any], uuid.UUID]:
    def wrapper(namespace: uuid.UUID, name: Any) -> uuid.UUID:
        if isinstance(name, (bytes, bytearray, memoryview)):
            return for_bytes(namespace, bytes(name))
        return original(namespace, name)

    wrapper.__name__ = original.__name__
    wrapper.__qualname__ = original.__qualname__
    wrapper.__doc__ = original.__doc__
    wrapper.__wrapped__ = original  # type: ignore[attr-defined]
    setattr(wrapper, _MARKER, True)
    return wrapper


def uuid_accepts_bytes_names() -> bool:
    """Return whether ``uuid.uuid5`` and ``uuid.uuid3`` accept bytes names in this interpreter.

    Examples
    --------
    >>> patch_uuid_bytes_names()
    >>> uuid_accepts_bytes_names()
    True
    """
    try:
        uuid.uuid5(uuid.NAMESPACE_DNS, b"probe")
        uuid.uuid3(uuid.NAMESPACE_DNS, b"probe")
    except TypeError:
        return False
    return True


def patch_uuid_bytes_names() -> None:
    """Make ``uuid.uuid5`` / ``uuid.uuid3`` accept bytes names as Python 3.12 does; idempotent.

    Does nothing on interpreters that already accept bytes (3.12 and later) or when already applied.

    Examples
    --------
    >>> patch_uuid_bytes_names()
    >>> patch_uuid_bytes_names()  # a second call changes nothing
    >>> uuid.uuid5(uuid.NAMESPACE_URL, b"abc") == uuid.uuid5(uuid.NAMESPACE_URL, "abc")
    True
    """
    if not getattr(uuid.uuid5, _MARKER, False) and not _native_bytes_support(uuid.uuid5):
        uuid.uuid5 = _accepting_bytes(uuid.uuid5, uuid5_bytes)
    if not getattr(uuid.uuid3, _MARKER, False) and not _native_bytes_support(uuid.uuid3):
        uuid.uuid3 = _accepting_bytes(uuid.uuid3, uuid3_bytes)


def _native_bytes_support(function: Callable[[uuid.UUID, Any], uuid.UUID]) -> bool:
    try:
        function(uuid.NAMESPACE_DNS, b"probe")
    except TypeError:
        return False
    return True


def wake_loop_until_closed(loop: asyncio.AbstractEventLoop, *, interval: float = 0.25,
                           limit: float = 30.0) -> threading.Thread:
    """Schedule a no-op on *loop* every *interval* seconds from a daemon thread until the loop is closed.

    Each call wakes the loop's selector, so a ``loop.stop()`` issued from another thread takes effect.
    Gives up after *limit* seconds.

    Parameters
    ----------
    loop : asyncio.AbstractEventLoop
    interval, limit : float
        Seconds between pokes; seconds before giving up.

    Returns
    -------
    threading.Thread
        The (already started) daemon thread.
    """

    def poke() -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(lambda: None)
            except RuntimeError:  # closed in the meantime
                return
            time.sleep(interval)

    thread = threading.Thread(target=poke, name="sagewatch-shutdown-wakeup", daemon=True)
    thread.start()
    return thread
