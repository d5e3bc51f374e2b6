"""A thread-safe least-recently-used map bounded by a budget, not by a count: a newspaper page
and a one-paragraph note should not cost a cache the same."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Budgeted(Generic[K, V]):
    """Values kept while their costs add up to at most `budget`; the least recently used go
    first. A value that alone costs more than the budget is not kept."""

    def __init__(self, budget: int, cost: Callable[[V], int]) -> None:
        self.budget = budget
        self._cost = cost
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._spent = 0
        self._lock = threading.Lock()

    @property
    def spent(self) -> int:
        return self._spent

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def discard(self, key: K) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._spent -= old[1]

    def put(self, key: K, value: V) -> None:
        cost = self._cost(value)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._spent -= old[1]
            if cost > self.budget:
                return
            self._items[key] = (value, cost)
            self._spent += cost
            while self._spent > self.budget:
                _, (_, freed) = self._items.popitem(last=False)
                self._spent -= freed


def one(_: object) -> int:
    """The cost of a value when the budget is a count."""
    return 1
