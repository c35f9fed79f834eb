"""Overlap the numpy preparation of the next items with TensorFlow work on the current one."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import islice


def prefetched(function: Callable, items: Iterable, ahead: int = 2, workers: int = 1) -> Iterator:
    """``function(item)`` for each item in order, computed up to ``ahead`` items early in ``workers``
    threads.

    The neighbour search and numpy release the GIL for most of their work, and
    TensorFlow releases it while a graph runs, so on two cores the index arrays
    of the next batches are built while the current one is being differentiated.
    ``function`` must not depend on what the caller does with earlier results.
    Closing the iterator (or leaving a ``for`` loop over it) waits for at most
    ``ahead`` calls still running.

    >>> list(prefetched(lambda x: x * x, range(5)))
    [0, 1, 4, 9, 16]
    """
    items = iter(items)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = deque(pool.submit(function, item) for item in islice(items, ahead))
        while pending:
            result = pending.popleft().result()
            pending.extend(pool.submit(function, item) for item in islice(items, 1))
            yield result
