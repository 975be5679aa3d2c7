# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Problems found in inventory input, each tied to the variable path it came from.

Validation collects every problem before failing, so a user fixes a whole
inventory in one pass instead of one error per run.
"""

from __future__ import annotations


class ModelError(Exception):
    """Raised with every problem of an input at once."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__(self.render())

    def render(self):
        count = len(self.problems)
        head = "%d problem%s in the observability inventory:" % (count, "" if count == 1 else "s")
        return "\n".join([head] + ["  - %s" % p for p in self.problems])


class Problems:
    """An ordered collection of 'path: message' strings."""

    def __init__(self):
        self._items = []

    def add(self, path, message):
        self._items.append("%s: %s" % (path, message))

    def extend(self, other):
        self._items.extend(other.items)

    @property
    def items(self):
        return list(self._items)

    def __bool__(self):
        return bool(self._items)

    def __len__(self):
        return len(self._items)

    def raise_if_any(self):
        if self._items:
            raise ModelError(self._items)


def join_path(path, key):
    """Extend a variable path with a mapping key or a list index."""
    if isinstance(key, int):
        return "%s[%d]" % (path, key)
    return "%s.%s" % (path, key) if path else str(key)
