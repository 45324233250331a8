"""read_ahead: items in order from a worker thread; errors in place; an early stop ends the worker."""

from __future__ import annotations

import threading
import time

import pytest

from sagewatch.datasets.ahead import read_ahead


def test_items_come_in_order_from_another_thread():
    threads = []

    def numbers():
        for i in range(50):
            threads.append(threading.get_ident())
            yield i

    assert list(read_ahead(numbers(), depth=3)) == list(range(50))
    assert set(threads) != {threading.get_ident()}


def test_the_worker_stays_at_most_depth_items_ahead():
    produced = []

    def numbers():
        for i in range(10):
            produced.append(i)
            yield i

    ahead = read_ahead(numbers(), depth=2)
    assert next(ahead) == 0
    time.sleep(0.3)
    assert len(produced) <= 1 + 2 + 1  # the one taken, two waiting, one being handed over
    ahead.close()


def test_an_error_is_raised_in_place_after_the_items_before_it():
    def failing():
        yield 1
        yield 2
        raise KeyError("third")

    seen = []
    with pytest.raises(KeyError, match="third"):
        for item in read_ahead(failing()):
            seen.append(item)
    assert seen == [1, 2]


def test_stopping_early_ends_the_worker_and_closes_the_source():
    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    before = set(threading.enumerate())
    ahead = read_ahead(endless())
    assert [next(ahead) for _ in range(3)] == [0, 1, 2]
    ahead.close()
    assert closed.wait(5)
    assert [t for t in threading.enumerate() if t not in before and t.name == "sagewatch-read-ahead"] == []


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth must be at least 1"):
        list(read_ahead([1], depth=0))
