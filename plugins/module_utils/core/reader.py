# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed reads from one inventory mapping, reporting problems with their variable path.

Every parser of an inventory block uses a `Reader`: it records what went wrong
(and where) instead of raising, and `done()` reports keys nobody read, so a
typo such as `objectve` is an error rather than a silently ignored setting.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from ansible_collections.vigil.observability.plugins.module_utils.core.durations import Duration
from ansible_collections.vigil.observability.plugins.module_utils.core.errors import Problems, join_path
from ansible_collections.vigil.observability.plugins.module_utils.core.naming import is_dns_label, is_label_key, is_label_value
from ansible_collections.vigil.observability.plugins.module_utils.core.promql import LABEL_NAME_RE, SelectorError, check_regex, parse_selector
from typing import Any, Dict, List, Optional

_MISSING = object()
_BOOL_TEXT = {"true": True, "yes": True, "on": True, "false": False, "no": False, "off": False}


# Whole numbers the platform passes on: Kubernetes' CRDs and Alertmanager's fields are 32-bit at their narrowest.
MAX_INTEGER = 2 ** 31 - 1


def describe(value: Any) -> str:
    """A short, safe rendering of an input value for a problem message."""
    try:
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10 ** 30:
            return "a whole number of about %d digits" % int(value.bit_length() * 0.30103)
        text = repr(value)
    except (RecursionError, ValueError):
        # Nested deeper than repr can go, or an integer longer than Python prints.
        return "a %s too large to show" % type(value).__name__
    return text if len(text) <= 80 else text[:77] + "..."


# Inventory data nests a few levels (a team, its services, an SLO, a tier); a chart's values or a dashboard a few
# dozen. Deeper input is refused before anything recursive (repr, json, YAML, merging) can overflow the stack.
MAX_DEPTH = 100
# A whole variable may nest deeper (a team holds its dashboards), but not as deep as Python's recursion limit.
MAX_VARIABLE_DEPTH = 200


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and mappings in `value` nest deeper than `limit` (walked without recursion)."""
    stack = [(value, 1)]
    seen = set()
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > limit:
            return True
        if id(item) in seen:
            continue  # YAML anchors share objects; a cycle would be endless
        seen.add(id(item))
        stack.extend((child, depth + 1) for child in children)
    return False


class Reader:
    """Read keys of `data` (found at `path`) into typed values, collecting problems."""

    def __init__(self, data: Any, path: str, problems: Problems, paths: Optional[Any] = None) -> None:
        self.path = path
        self.problems = problems
        # Keys assembled from separate variables report at that variable's path (`paths[key]`).
        self.paths = paths or {}
        self.ok = isinstance(data, dict)
        if data is None:
            data, self.ok = {}, True
        if not self.ok:
            problems.add(path, "must be a mapping, got %s" % describe(data))
            data = {}
        self.data = data
        self._seen = set()

    def sub(self, key: str) -> str:
        if key in self.paths:
            return self.paths[key]
        return join_path(self.path, key)

    def has(self, key: str) -> bool:
        # A key asked about is a key the reader accepts: it belongs in the known-keys hint even when absent.
        self._seen.add(key)
        return key in self.data and self.data[key] is not None

    def raw(self, key: str, default: Optional[Any] = None) -> Any:
        self._seen.add(key)
        value = self.data.get(key)
        return default if value is None else value

    def fail(self, key: str, message: str) -> None:
        self.problems.add(self.sub(key), message)

    def _get(self, key: str, required: bool) -> Any:
        """The value of `key`, or _MISSING when it is absent or null (a problem when required)."""
        self._seen.add(key)
        value = self.data.get(key)
        if value is None:
            # When the block itself is not a mapping, that one problem says it all.
            if required and self.ok:
                self.problems.add(self.sub(key), "is required")
            return _MISSING
        return value

    def string(
        self,
        key: str,
        default: Optional[Any] = None,
        required: bool = False,
        choices: Optional[Any] = None,
        pattern: Optional[Any] = None,
        what: Optional[Any] = None,
    ) -> Any:
        """A string; `pattern` must match all of it (re.fullmatch), `what` names it in the problem."""
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not isinstance(value, str):
            self.fail(key, "must be a string, got %s" % describe(value))
            return default
        if choices is not None and value not in choices:
            self.fail(key, "must be one of %s, got %s" % (", ".join(choices), describe(value)))
            return default
        if pattern is not None and not re.fullmatch(pattern, value):
            self.fail(key, "must be %s, got %s" % (what or "of the form %s" % pattern, describe(value)))
            return default
        return value

    def name(self, key: str, default: Optional[Any] = None, required: bool = False, max_len: int = 63) -> Any:
        """A Kubernetes object name (RFC 1123 label)."""
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if not is_dns_label(value, max_len):
            self.fail(
                key,
                "must be a valid Kubernetes name (lower-case letters, digits and '-', starting and ending "
                "with a letter or digit, at most %d characters), got %s" % (max_len, describe(value)),
            )
            return default
        return value

    def boolean(self, key: str, default: Any = False, required: bool = False) -> Any:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if key in self.paths and isinstance(value, str) and value.strip().lower() in _BOOL_TEXT:
            # A whole variable given as `-e name=true` on the command line is text; inside team data a quoted
            # 'yes' is more likely a mistake, so only variables read so.
            return _BOOL_TEXT[value.strip().lower()]
        if not isinstance(value, bool):
            self.fail(key, "must be true or false, got %s" % describe(value))
            return default
        return value

    def integer(self, key: str, default: Optional[Any] = None, minimum: Optional[int] = None, required: bool = False,
                maximum: int = MAX_INTEGER) -> Any:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(key, "must be a whole number, got %s" % describe(value))
            return default
        if minimum is not None and value < minimum:
            self.fail(key, "must be at least %s, got %s" % (minimum, describe(value)))
            return default
        if value > maximum:
            self.fail(key, "must be at most %d, got %s" % (maximum, describe(value)))
            return default
        return value

    def decimal(
        self,
        key: str,
        default: Optional[Any] = None,
        required: bool = False,
        low: Optional[Any] = None,
        high: Optional[Any] = None,
        low_open: bool = True,
        high_open: bool = True,
    ) -> Any:
        """A number read exactly (as a Fraction), from an int, a float's repr or a numeric string."""
        value = self._get(key, required)
        if value is _MISSING:
            return default
        try:
            number = to_fraction(value)
            if number is not None and number != 0 and float(number) == 0:
                self.fail(key, "is too close to zero for a 64-bit float, got %s" % describe(value))
                return default
        except OverflowError:
            # Prometheus and Alertmanager hold numbers as 64-bit floats.
            self.fail(key, "is out of the range of a 64-bit float (about 1.8e308), got %s" % describe(value))
            return default
        if number is None:
            self.fail(key, "must be a number, got %s" % describe(value))
            return default
        bad_low = low is not None and (number <= low if low_open else number < low)
        bad_high = high is not None and (number >= high if high_open else number > high)
        if bad_low or bad_high:
            self.fail(key, "%s, got %s" % (_range_text(low, high, low_open, high_open), describe(value)))
            return default
        return number

    def duration(self, key: str, default: Optional[Any] = None, required: bool = False) -> Any:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        try:
            return Duration.parse(value)
        except ValueError as exc:
            self.fail(key, str(exc))
            return default

    def selector(self, key: str, required: bool = False, default: None = None) -> Any:
        value = self._get(key, required)
        if value is _MISSING:
            return default
        try:
            return parse_selector(value)
        except SelectorError as exc:
            self.fail(key, "is not a PromQL selector: %s" % exc)
            return None

    def mapping(self, key: str, required: bool = False) -> Dict[str, Any]:
        value = self._get(key, required)
        if value is _MISSING:
            return {}
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping, got %s" % describe(value))
            return {}
        return value

    def items(self, key: str, required: bool = False) -> List[Any]:
        """A list, returned as (path, item) pairs."""
        value = self._get(key, required)
        if value is _MISSING:
            return []
        if not isinstance(value, list):
            self.fail(key, "must be a list, got %s" % describe(value))
            return []
        return [(join_path(self.sub(key), i), item) for i, item in enumerate(value)]

    def string_list(self, key: str, regex: bool = False) -> List[Any]:
        out = []
        for path, item in self.items(key):
            if not isinstance(item, str):
                self.problems.add(path, "must be a string, got %s" % describe(item))
                continue
            if regex:
                try:
                    check_regex(item)
                except SelectorError as exc:
                    self.problems.add(path, str(exc))
                    continue
            out.append(item)
        return out

    def label_map(self, key: str) -> Dict[str, str]:
        """A mapping of Prometheus label names to string values."""
        out = {}
        for name, value in sorted(self.mapping(key).items(), key=lambda kv: str(kv[0])):
            path = join_path(self.sub(key), str(name))
            if not isinstance(name, str) or not LABEL_NAME_RE.fullmatch(name) or name.startswith("__"):
                self.problems.add(path, "is not a valid Prometheus label name")
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                self.problems.add(path, "must be a string, got %s" % describe(value))
                continue
            out[name] = str(value)
        return out

    def k8s_label_map(self, key: str) -> Dict[str, str]:
        """A mapping of Kubernetes label keys to values (for object metadata, not Prometheus)."""
        out = {}
        for name, value in sorted(self.mapping(key).items(), key=lambda kv: str(kv[0])):
            path = join_path(self.sub(key), str(name))
            if not is_label_key(name):
                self.problems.add(path, "is not a valid Kubernetes label key ([prefix/]name, name at most 63 characters)")
                continue
            if isinstance(value, bool) or not isinstance(value, (str, int)):
                self.problems.add(path, "must be a string, got %s" % describe(value))
                continue
            value = str(value)
            if not is_label_value(value):
                self.problems.add(path, "is not a valid Kubernetes label value (at most 63 letters, digits, '-', '_', '.'), got %s"
                                  % describe(value))
                continue
            out[name] = value
        return out

    def done(self) -> None:
        """Report keys that no read asked for."""
        for key in sorted(set(self.data) - self._seen, key=str):
            path = self.sub(str(key))
            if not self.path and key in self.paths and path.endswith(str(key)):
                # Role variables: name the variables the role has, with their prefix.
                prefix = path[:len(path) - len(str(key))]
                known = sorted(n for n in {self.paths.get(k, prefix + str(k)) for k in self._seen} if n.startswith(prefix))
                self.problems.add(path, "is not a variable of this collection (known: %s)" % ", ".join(known))
                continue
            known = sorted(str(k) for k in self._seen)
            self.problems.add(path, "unknown key (known keys: %s)" % ", ".join(known))

    def known(self, *keys) -> None:
        """Mark keys as accepted without reading them (read elsewhere, or reserved), for `done()` and its hint."""
        self._seen.update(keys)


def _range_text(low: Any, high: Any, low_open: bool, high_open: bool) -> str:
    if high is None:
        return "must be %s %s" % ("greater than" if low_open else "at least", low)
    if low is None:
        return "must be %s %s" % ("less than" if high_open else "at most", high)
    if low_open and high_open:
        bounds = "exclusive"
    elif not (low_open or high_open):
        bounds = "inclusive"
    else:
        bounds = "excluding %s" % (low if low_open else high)
    return "must be between %s and %s (%s)" % (low, high, bounds)


# Decimal exponents past a 64-bit float's range (with room for its subnormals): such text is refused before an
# exact Fraction of it is built, which for "1e999999999" would take all memory.
_MAX_EXPONENT = 330


def to_fraction(value: Any) -> Any:
    """An exact number from an int, float or numeric string; None when it is not a number.

    OverflowError when it is far outside a 64-bit float's range (either way).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value.bit_length() > 1100:
            raise OverflowError("out of range")
        return Fraction(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return Fraction(Decimal(repr(value)))
    if isinstance(value, str):
        try:
            dec = Decimal(value.strip())
        except InvalidOperation:
            return None
        if not dec.is_finite():
            return None
        if dec != 0 and abs(dec.adjusted()) > _MAX_EXPONENT:
            raise OverflowError("out of range")
        return Fraction(dec)
    return None


def no_duplicate_names(items: List[Any], what: str, problems: Problems) -> None:
    """(path, item) pairs whose items' `name` must be unique: each repeat reported at its name, with the first's path."""
    seen: Dict[str, str] = {}
    for path, item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if isinstance(name, str):
            if name in seen:
                problems.add(join_path(path, "name"), "duplicate %s name %r (first at %s)" % (what, name, seen[name]))
            else:
                seen[name] = path


class SettingsReader(Reader):
    """A Reader of role variables, every one of which has its default in the role's defaults (`fallbacks`).

    Those defaults are the only place a setting's default is written: a variable left out (or null) reads as its role
    default, and a wrong one is reported and read as its role default too, so the run goes on collecting its other
    problems (it fails at the end) and one wrong setting never reads as several. Keys without a role default (what
    the plan gives a component) read as with Reader.
    """

    def __init__(self, data: Any, path: str, problems: Problems, paths: Optional[Any] = None,
                 fallbacks: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(data, path, problems, paths)
        self.fallbacks = dict(fallbacks or {})
        self.failed: set = set()

    def fail(self, key: str, message: str) -> None:
        self.failed.add(key)
        super().fail(key, message)

    def _get(self, key: str, required: bool) -> Any:
        self._seen.add(key)
        if self.data.get(key) is None and key in self.fallbacks:
            return self.fallbacks[key]
        return super()._get(key, required)


def _settings_read(name: str) -> Any:
    read = getattr(Reader, name)

    def typed(self: SettingsReader, key: str, *args: Any, **kwargs: Any) -> Any:
        self.failed.discard(key)
        value = read(self, key, *args, **kwargs)
        if key in self.failed and key in self.fallbacks:
            value = read(Reader(self.fallbacks, "", Problems()), key, *args, **kwargs)
        return value

    typed.__doc__ = read.__doc__
    return typed


for _name in ("string", "name", "boolean", "integer", "decimal", "duration", "mapping", "items", "string_list"):
    setattr(SettingsReader, _name, _settings_read(_name))
