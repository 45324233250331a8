"""Run an iterator on a worker thread, a few items ahead of its consumer.

The capture reader flattens the next block (``pyarrow.json``, Arrow compute and numpy, which release the GIL)
while the profiler works on the one before; on a machine with two cores the two overlap.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["read_ahead"]

T = TypeVar("T")
_POLL_SECONDS = 0.1
_DONE = object()


class _Raised:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def read_ahead(items: Iterable[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` in order, produced on a worker thread at most ``depth`` items ahead.

    An exception raised while producing an item is raised here, in its place. When the consumer stops early
    (``close()``, an exception, garbage collection), the worker stops at its next item and closes ``items``.

    >>> list(read_ahead(iter(range(5))))
    [0, 1, 2, 3, 4]
    >>> def failing():
    ...     yield 1
    ...     raise ValueError("bad block")
    >>> try:
    ...     for item in read_ahead(failing()):
    ...         print(item)
    ... except ValueError as error:
    ...     print(error)
    1
    bad block
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            put(_Raised(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=produce, name="sagewatch-read-ahead", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
