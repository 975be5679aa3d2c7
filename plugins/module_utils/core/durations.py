# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Prometheus durations: parse, compare, and print in their canonical form."""

from __future__ import annotations

import functools
import re
from typing import Any

UNITS = (
    ("y", 365 * 24 * 3600 * 1000),
    ("w", 7 * 24 * 3600 * 1000),
    ("d", 24 * 3600 * 1000),
    ("h", 3600 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
)
_UNIT_MS = dict(UNITS)
# Prometheus and Alertmanager hold a duration as int64 nanoseconds: about 292 years. Longer fails their parsers
# ("duration out of range") and with it the whole configuration every team shares.
MAX_MS = (2 ** 63 - 1) // 1000000
# The order Prometheus requires: each unit at most once, largest first.
# [0-9], not \d, which also matches other scripts' digits; \Z, not $, which allows a trailing newline.
_DURATION_RE = re.compile(
    r"^(?:(?P<y>[0-9]+)y)?(?:(?P<w>[0-9]+)w)?(?:(?P<d>[0-9]+)d)?(?:(?P<h>[0-9]+)h)?"
    r"(?:(?P<m>[0-9]+)m(?!s))?(?:(?P<s>[0-9]+)s)?(?:(?P<ms>[0-9]+)ms)?\Z"
)


class Duration:
    """A Prometheus duration, held as whole milliseconds."""

    __slots__ = ("ms",)

    def __init__(self, ms: Any) -> None:
        if not isinstance(ms, int) or ms <= 0:
            raise ValueError("a duration must be a positive whole number of milliseconds")
        self.ms = ms

    @classmethod
    def parse(cls, text: Any) -> "Duration":
        """Parse '1h30m' style text; raise ValueError with a reason otherwise."""
        if isinstance(text, bool) or not isinstance(text, str):
            raise ValueError("must be a Prometheus duration such as 30s, 5m or 1h (a string), got %r" % (text,))
        match = _DURATION_RE.match(text.strip()) if len(text) <= 64 else None
        if not text.strip() or not match or not any(match.groupdict().values()):
            raise ValueError("must be a Prometheus duration such as 30s, 5m or 1h30m, got %s" % _quoted(text))
        total = sum(int(v) * _UNIT_MS[u] for u, v in match.groupdict().items() if v)
        if total <= 0:
            raise ValueError("must be longer than zero, got %r" % (text,))
        if total > MAX_MS:
            raise ValueError("must be at most 292y, the longest duration Prometheus and Alertmanager accept, got %r" % (text,))
        return cls(total)

    @property
    def seconds(self) -> Any:
        return self.ms // 1000 if self.ms % 1000 == 0 else self.ms / 1000.0

    def __str__(self) -> str:
        return _text(self.ms)

    def __repr__(self) -> str:
        return "Duration(%r)" % str(self)

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Duration) and self.ms == other.ms

    def __lt__(self, other: "Duration") -> bool:
        return self.ms < other.ms

    def __le__(self, other: "Duration") -> bool:
        return self.ms <= other.ms

    def __gt__(self, other: "Duration") -> bool:
        return self.ms > other.ms

    def __ge__(self, other: "Duration") -> bool:
        return self.ms >= other.ms

    def __hash__(self) -> int:
        return hash(self.ms)

    def __mul__(self, factor: int) -> "Duration":
        return Duration(int(self.ms * factor))


def _quoted(text: str) -> str:
    shown = repr(text)
    return shown if len(shown) <= 80 else shown[:77] + "..."


@functools.lru_cache(maxsize=4096)
def _text(ms: int) -> str:
    # Largest units first, skipping weeks and years: '30d' reads better than '4w2d'. Printed in every rule: cached.
    rest, parts = ms, []
    for unit, size in UNITS:
        if unit in ("y", "w"):
            continue
        if rest >= size:
            parts.append("%d%s" % (rest // size, unit))
            rest %= size
    return "".join(parts)
