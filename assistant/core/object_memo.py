"""A value computed once per object, for objects that are never changed once made.

The index store builds new ``DocumentMeta`` objects whenever the registry changes and never
alters one it has handed out, so what is derived from one (its name variants, its metadata
words) can be remembered for as long as it lives. Held weakly: an entry goes with its object,
before its id can be used again.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def per_object(compute: Callable[[object], T]) -> Callable[[object], T]:
    """``compute(obj)``, remembered while ``obj`` lives (the entries are in ``.memo``)."""
    memo: dict[int, tuple[weakref.ref, T]] = {}

    def remembered(obj: object) -> T:
        key = id(obj)
        entry = memo.get(key)
        if entry is not None and entry[0]() is obj:
            return entry[1]
        value = compute(obj)
        memo[key] = (weakref.ref(obj, lambda _, key=key: memo.pop(key, None)), value)
        return value

    remembered.memo = memo  # type: ignore[attr-defined]
    return remembered
