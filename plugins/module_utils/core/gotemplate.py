# -*- coding: utf-8 -*-
# Copyright: Vigil contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Inventory text inside Go templates (Prometheus' annotations and alert labels, Alertmanager's notifier fields)."""

from __future__ import annotations

import re


def literal(text: str) -> str:
    """`text` as a Go template that prints exactly it: every `{{` becomes an action printing "{{".

    `}}` outside an action is plain text, so the opening delimiter is the only one that needs it.
    """
    return text.replace("{{", '{{ "{{" }}')


# Inside an action: comments, then string literals (interpreted, raw, rune), whose text is never a call.
_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\'(?:[^\'\\]|\\.)*\'', re.S)
# An identifier not reached through a field (.Name), a variable ($x) or a method chain: a function or a keyword.
_CALLED = re.compile(r"(?<![\w.$])([A-Za-z_][A-Za-z0-9_]*)")
_KEYWORDS = frozenset(("if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil",
                       "true", "false"))


def template_functions(text: str) -> set:
    """The names of the functions a Go template calls (Prometheus' templates: `{{ $value | humanizePercentage }}` calls
    humanizePercentage). ValueError when an action is not closed.

    Only what a function name can be is read (outside strings and comments, not a field, variable or keyword); the
    template's syntax is left to Prometheus' own check (promtool check rules)."""
    called: set = set()
    pos = 0
    while True:
        start = text.find("{{", pos)
        if start < 0:
            return called
        end = _action_end(text, start + 2)
        if end < 0:
            raise ValueError("the action at character %d is not closed with }}" % (start + 1))
        action = _STRINGS.sub(" ", _COMMENT.sub(" ", text[start + 2:end]))
        called.update(name for name in _CALLED.findall(action) if name not in _KEYWORDS)
        pos = end + 2


def _action_end(text: str, pos: int) -> int:
    """Where the action opened before `pos` closes (its `}}` outside strings and comments), or -1."""
    while pos < len(text):
        if text.startswith("}}", pos):
            return pos
        if text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            if close < 0:
                return -1
            pos = close + 2
            continue
        match = _STRINGS.match(text, pos)
        pos = match.end() if match else pos + 1
    return -1
