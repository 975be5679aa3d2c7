# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Problems found in inventory input, each tied to the variable path it came from.

Validation collects every problem before failing, so a user fixes a whole
inventory in one pass instead of one error per run. A problem is a
(path, message) pair; `items` gives them as "path: message" lines.
"""

from __future__ import annotations

from typing import Iterable, List, Tuple, Union

Problem = Tuple[str, str]


def _as_pair(item: Union[Problem, str]) -> Problem:
    if isinstance(item, tuple):
        return item
    path, _sep, message = str(item).partition(": ")
    return path, message


class ModelError(Exception):
    """Raised with every problem of an input at once."""

    def __init__(self, problems: Iterable[Union[Problem, str]]) -> None:
        self.pairs: List[Problem] = [_as_pair(p) for p in problems]
        self.problems: List[str] = ["%s: %s" % pair for pair in self.pairs]
        super().__init__(self.render())

    def render(self) -> str:
        return render_problems(self.problems)


def render_problems(lines: List[str]) -> str:
    count = len(lines)
    head = "%d problem%s in the observability inventory:" % (count, "" if count == 1 else "s")
    return "\n".join([head] + ["  - %s" % p for p in lines])


class Problems:
    """An ordered collection of (path, message) pairs, each kept once."""

    def __init__(self) -> None:
        self._pairs: List[Problem] = []
        self._seen: set = set()
        self._warnings: List[str] = []

    def warn(self, path: str, message: str) -> None:
        """A lint warning at `path`: valid input the run goes on with, said once (it never fails the run)."""
        text = "%s: %s" % (path, message)
        if text not in self._warnings:
            self._warnings.append(text)

    @property
    def warnings(self) -> List[str]:
        return list(self._warnings)

    def add(self, path: str, message: str) -> None:
        # A shared setting read by several components reports its problem once.
        pair = (str(path), str(message))
        if pair not in self._seen:
            self._seen.add(pair)
            self._pairs.append(pair)

    def extend(self, other: Union["Problems", Iterable[Union[Problem, str]]]) -> None:
        for item in other.pairs if isinstance(other, Problems) else other:
            self.add(*_as_pair(item))

    @property
    def pairs(self) -> List[Problem]:
        return list(self._pairs)

    @property
    def items(self) -> List[str]:
        return ["%s: %s" % pair for pair in self._pairs]

    def __bool__(self) -> bool:
        return bool(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def raise_if_any(self) -> None:
        if self._pairs:
            raise ModelError(self._pairs)


def join_path(path: str, key: Union[str, int]) -> str:
    """Extend a variable path with a mapping key or a list index."""
    if isinstance(key, int):
        return "%s[%d]" % (path, key)
    return "%s.%s" % (path, key) if path else str(key)
